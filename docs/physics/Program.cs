// Physics with nested tapes: a physics-informed neural network (Raissi, Perdikaris and Karniadakis 2019) for the heat
// equation u_t = alpha u_xx on x in [0, 1], t in [0, 1], with u(x, 0) = sin(pi x) and u(0, t) = u(1, t) = 0, whose
// solution is exp(-alpha pi^2 t) sin(pi x). A network u(x, t) learns it from the equation alone: no solution values
// are shown to it, only the residual u_t - alpha u_xx at random points, the initial and the boundary values.
// The residual needs derivatives of the network with respect to its inputs (an inner, persistent tape: u_x and u_t
// inside its block, u_xx from u_x after it); training needs the loss's gradient with respect to the weights (an outer
// tape around all of it, which differentiates through the inner tape's derivatives: third order in the weights' path).
// The program draws the learned solution against the exact one (docs/figures/heat-solution.png) and exits with
// code 1 unless the relative L2 error on a grid is below 2%.
using System.Diagnostics;
using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Nabla.Optimizers;
using Nabla.Optimizers.Schedules;
using ScottPlot;

int failures = 0;
void Check(string what, bool ok)
{
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? "ok" : "FAILED")}: {what}");
}
var total = Stopwatch.StartNew();

const double Alpha = 0.1;
double Exact(double x, double t) => Math.Exp(-Alpha * Math.PI * Math.PI * t) * Math.Sin(Math.PI * x);

// ------------------------------------------------------------------------------------------------ the network
// (x, t) -> u: three hidden tanh layers of 32 (tanh: smooth, so its second derivatives are too).
const int Hidden = 32;
var net = new Sequential(new Layer[]
{
    new Dense(Hidden, activation: "tanh", kernelInitializer: new GlorotNormal(seed: 1)),
    new Dense(Hidden, activation: "tanh", kernelInitializer: new GlorotNormal(seed: 2)),
    new Dense(Hidden, activation: "tanh", kernelInitializer: new GlorotNormal(seed: 3)),
    new Dense(1, kernelInitializer: new GlorotNormal(seed: 4)),
}, name: "heat_pinn");
net.Build(1, 2);
net.Summary();
Tensor U(Tensor x, Tensor t) => net.Apply(TF.Concat(new[] { x, t }, axis: 1));

// ------------------------------------------------------------------------------------------------ the points
// Collocation points inside the domain (drawn again every step), points on the initial line t = 0 and on the two
// boundaries x = 0 and x = 1 (fixed).
const int Interior = 256, Edge = 64;
TF.Random.SetSeed(2026);
Tensor Column(float[] values) => TF.Reshape(TF.Constant(values), values.Length, 1);
var x0 = TF.Random.Uniform(new[] { Edge, 1 }, seed: 1);
var u0 = TF.Sin(Math.PI * x0);
var tb = TF.Random.Uniform(new[] { 2 * Edge, 1 }, seed: 2);
var xb = Column(Enumerable.Range(0, 2 * Edge).Select(i => (float)(i % 2)).ToArray());
var t0 = TF.ZerosLike(x0);

// ------------------------------------------------------------------------------------------------ one step
(Tensor Loss, Tensor Residual, Tensor Initial, Tensor Boundary) Losses(Tensor x, Tensor t)
{
    Tensor u, ux, ut;
    var inner = new GradientTape(persistent: true);
    using (inner)
    {
        inner.Watch(x);
        inner.Watch(t);
        u = U(x, t);
        ux = inner.Gradient(u, x)!; // asked inside the block: the persistent tape records this computation too
        ut = inner.Gradient(u, t)!;
    }
    var uxx = inner.Gradient(ux, x)!; // so the derivative of u_x is u_xx
    var residual = TF.ReduceMean(TF.Square(ut - Alpha * uxx));
    var initial = TF.ReduceMean(TF.Square(U(x0, t0) - u0));
    var boundary = TF.ReduceMean(TF.Square(U(xb, tb)));
    return (residual + initial + boundary, residual, initial, boundary);
}

// Adam, its learning rate halved every quarter of the run.
const int Steps = 3000;
var optimizer = new Adam(new ExponentialDecay(initialLearningRate: 0.005, decaySteps: Steps / 4, decayRate: 0.5));
var weights = net.TrainableVariables;
var clock = Stopwatch.StartNew();
for (int step = 1; step <= Steps; step++)
{
    var x = TF.Random.Uniform(new[] { Interior, 1 });
    var t = TF.Random.Uniform(new[] { Interior, 1 });
    Tensor?[] grads;
    (Tensor Loss, Tensor Residual, Tensor Initial, Tensor Boundary) losses;
    using (var outer = new GradientTape())
    {
        losses = Losses(x, t);
        grads = outer.Gradient(losses.Loss, weights);
    }
    optimizer.ApplyGradients(grads.Zip(weights));
    if (step % (Steps / 10) == 0 || step == 1)
        Console.WriteLine($"step {step,5}/{Steps} - {clock.Elapsed.TotalSeconds,5:F1}s - loss {losses.Loss.ToDouble():E2} " +
                          $"(residual {losses.Residual.ToDouble():E2}, initial {losses.Initial.ToDouble():E2}, boundary {losses.Boundary.ToDouble():E2})");
}

// ------------------------------------------------------------------------------------------------ the derivatives
// The residual's derivatives, from the tapes, against central differences of the trained network (Float32, h = 0.01:
// agreement to about 1e-3 is all the differences can show).
{
    var px = Column(new[] { 0.2f, 0.5f, 0.7f });
    var pt = Column(new[] { 0.1f, 0.5f, 0.9f });
    Tensor u, ux, ut;
    var inner = new GradientTape(persistent: true);
    using (inner)
    {
        inner.Watch(px);
        inner.Watch(pt);
        u = U(px, pt);
        ux = inner.Gradient(u, px)!;
        ut = inner.Gradient(u, pt)!;
    }
    var uxx = inner.Gradient(ux, px)!;
    const float H = 0.01f;
    float[] At(float dx, float dt) => U(px + dx, pt + dt).ToArray<float>();
    float[] c = At(0, 0), xp = At(H, 0), xm = At(-H, 0), tp = At(0, H), tm = At(0, -H);
    double worst = 0;
    for (int i = 0; i < 3; i++)
    {
        double fdx = (xp[i] - xm[i]) / (2 * H), fdt = (tp[i] - tm[i]) / (2 * H), fdxx = (xp[i] - 2 * c[i] + xm[i]) / (H * H);
        double[] tape = { ux[i, 0].ToDouble(), ut[i, 0].ToDouble(), uxx[i, 0].ToDouble() };
        Console.WriteLine($"at (x, t) = ({px[i, 0].ToDouble():F1}, {pt[i, 0].ToDouble():F1}): u_x {tape[0],9:F5} (differences {fdx,9:F5}), " +
                          $"u_t {tape[1],9:F5} ({fdt,9:F5}), u_xx {tape[2],9:F5} ({fdxx,9:F5})");
        worst = Math.Max(worst, new[] { tape[0] - fdx, tape[1] - fdt, tape[2] - fdxx }.Max(Math.Abs));
    }
    Check($"tape derivatives match central differences (max |difference| {worst:E1} <= 2e-2)", worst <= 2e-2);
}

// ------------------------------------------------------------------------------------------------ the error
const int G = 51;
var gx = new float[G * G];
var gt = new float[G * G];
for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++)
    {
        gx[i * G + j] = (float)j / (G - 1);
        gt[i * G + j] = (float)i / (G - 1);
    }
var predicted = U(Column(gx), Column(gt)).ToArray<float>();
double diff = 0, norm = 0, maxError = 0;
for (int k = 0; k < G * G; k++)
{
    double e = Exact(gx[k], gt[k]);
    diff += (predicted[k] - e) * (predicted[k] - e);
    norm += e * e;
    maxError = Math.Max(maxError, Math.Abs(predicted[k] - e));
}
double relative = Math.Sqrt(diff / norm);
Console.WriteLine($"\ntrained in {total.Elapsed.TotalSeconds:F1}s; on a {G}x{G} grid: relative L2 error {relative:E2}, max |error| {maxError:E2}");
Check($"relative L2 error {relative:P2} < 2%", relative < 0.02);

// ------------------------------------------------------------------------------------------------ the figure
var plot = new Plot();
var xs = Enumerable.Range(0, 101).Select(i => i / 100.0).ToArray();
var times = new[] { 0.0, 0.25, 0.5, 1.0 };
var palette = new ScottPlot.Palettes.Category10();
for (int k = 0; k < times.Length; k++)
{
    var color = palette.GetColor(k);
    var exact = plot.Add.ScatterLine(xs, xs.Select(x => Exact(x, times[k])).ToArray());
    exact.Color = color;
    exact.LineWidth = 2;
    exact.LegendText = $"t = {times[k]:0.##}";
    var sample = xs.Where((_, i) => i % 5 == 0).ToArray();
    var net_t = U(Column(sample.Select(x => (float)x).ToArray()), Column(sample.Select(_ => (float)times[k]).ToArray())).ToArray<float>();
    var learned = plot.Add.ScatterPoints(sample, net_t.Select(v => (double)v).ToArray());
    learned.Color = color;
    learned.MarkerSize = 7;
    learned.MarkerShape = MarkerShape.OpenCircle;
}
plot.Title($"Heat equation u_t = {Alpha} u_xx: exact (lines), network (circles); error {relative:P1}");
plot.XLabel("x");
plot.YLabel("u(x, t)");
plot.ShowLegend(Alignment.UpperRight);
var path = Figures.PathOf("heat-solution.png");
plot.SavePng(path, 800, 500);
Console.WriteLine($"wrote {path}");

Console.WriteLine(failures == 0 ? "\nall checks passed" : $"\n{failures} check(s) failed");
return failures == 0 ? 0 : 1;
