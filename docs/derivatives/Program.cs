// Derivatives you can see: tanh and its first five derivatives on [-4, 4], each taken by one more GradientTape
// around the last (TensorFlow's advanced autodiff guide draws the same picture). The program checks every point
// against the closed forms, which it derives itself: with t = tanh x, d/dx p(t) = p'(t) (1 - t^2), so each derivative
// of tanh is a polynomial in t. It writes docs/figures/tanh-derivatives.png and exits with code 1 when a value is off.
using Nabla;
using ScottPlot;

int failures = 0;
void Check(string what, double error, double tolerance)
{
    bool ok = error <= tolerance;
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? "ok" : "FAILED")}: {what}: max |error| {error:E2} (tolerance {tolerance:E0})");
}

const int Order = 5, Points = 401;
var x = TF.Linspace(-4.0, 4.0, Points, DType.Float64);

// ------------------------------------------------------------------------------------------------ nested tapes
// tapes[0] is the innermost. Every tape watches x; tape k differentiates the (k-1)-th derivative, and because tapes
// k+1 .. Order are still recording when it does, they record that gradient computation too: so tape k+1 can
// differentiate it again. Each target is a vector; its gradient is the gradient of its sum, which for an element-wise
// function is the element-wise derivative.
var tapes = new GradientTape[Order];
for (int k = Order - 1; k >= 0; k--)
{
    tapes[k] = new GradientTape();
    tapes[k].Watch(x);
}
var curves = new Tensor[Order + 1];
curves[0] = TF.Tanh(x);
for (int k = 0; k < Order; k++)
    curves[k + 1] = tapes[k].Gradient(curves[k], x)!;
for (int k = Order - 1; k >= 0; k--) tapes[k].Dispose();

// ------------------------------------------------------------------------------------------------ closed forms
// p_0(t) = t; p_{n+1}(t) = p_n'(t) (1 - t^2). Coefficients in increasing powers of t.
var polys = new List<double[]> { new[] { 0.0, 1.0 } };
for (int n = 0; n < Order; n++)
{
    var p = polys[^1];
    var dp = new double[Math.Max(1, p.Length - 1)];
    for (int i = 1; i < p.Length; i++) dp[i - 1] = i * p[i];
    var next = new double[dp.Length + 2];
    for (int i = 0; i < dp.Length; i++) { next[i] += dp[i]; next[i + 2] -= dp[i]; }
    polys.Add(next);
}
static double Eval(double[] p, double t) { double s = 0; for (int i = p.Length - 1; i >= 0; i--) s = s * t + p[i]; return s; }
static string Show(double[] p) =>
    string.Join(" ", p.Select((c, i) => (c, i)).Where(ci => ci.c != 0).Select((ci, j) =>
    {
        var sign = j == 0 ? (ci.c < 0 ? "-" : "") : ci.c < 0 ? "- " : "+ ";
        var mag = Math.Abs(ci.c);
        var coef = mag == 1 && ci.i > 0 ? "" : $"{mag:G}";
        var pow = ci.i == 0 ? "" : ci.i == 1 ? "t" : $"t^{ci.i}";
        return sign + coef + (coef.Length > 0 && pow.Length > 0 ? " " : "") + pow;
    }));

Console.WriteLine("Derivatives of tanh as polynomials in t = tanh x:");
for (int n = 0; n <= Order; n++) Console.WriteLine($"  d^{n}/dx^{n} tanh x = {Show(polys[n])}");

var xs = x.ToArray<double>();
var ys = curves.Select(c => c.ToArray<double>()).ToArray();
var sample = new[] { -2.0, -0.5, 0.0, 1.0, 3.0 };
Console.WriteLine($"\n{"x",6} {"order",5} {"nested tapes",16} {"closed form",16}");
foreach (var at in sample)
{
    int i = (int)Math.Round((at + 4.0) / 8.0 * (Points - 1));
    for (int n = 1; n <= Order; n++)
        Console.WriteLine($"{xs[i],6:F2} {n,5} {ys[n][i],16:F10} {Eval(polys[n], Math.Tanh(xs[i])),16:F10}");
}
Console.WriteLine();
for (int n = 0; n <= Order; n++)
{
    double maxError = 0;
    for (int i = 0; i < Points; i++)
        maxError = Math.Max(maxError, Math.Abs(ys[n][i] - Eval(polys[n], Math.Tanh(xs[i]))));
    Check($"order {n} at all {Points} points", maxError, 1e-11);
}
// Known values at 0 (tanh x = x - x^3/3 + 2 x^5/15 - ...): 1, -2 and 16 for the odd orders.
int zero = (Points - 1) / 2;
Check("tanh'(0) = 1, tanh'''(0) = -2, tanh^(5)(0) = 16",
    new[] { Math.Abs(ys[1][zero] - 1), Math.Abs(ys[3][zero] + 2), Math.Abs(ys[5][zero] - 16) }.Max(), 1e-12);

// ------------------------------------------------------------------------------------------------ the figure
var plot = new Plot();
string[] names = { "tanh x", "1st derivative", "2nd derivative", "3rd derivative", "4th derivative", "5th derivative" };
for (int n = 0; n <= Order; n++)
{
    var line = plot.Add.ScatterLine(xs, ys[n]);
    line.LegendText = names[n];
    line.LineWidth = n == 0 ? 3 : 2;
}
plot.Title("tanh and its first five derivatives (nested GradientTapes)");
plot.XLabel("x");
plot.Axes.SetLimits(-4, 4, -9, 17);
plot.ShowLegend(Alignment.UpperRight);
var path = Figures.PathOf("tanh-derivatives.png");
plot.SavePng(path, 800, 500);
Console.WriteLine($"\nwrote {path}");

Console.WriteLine(failures == 0 ? "\nall checks passed" : $"\n{failures} check(s) failed");
return failures == 0 ? 0 : 1;
