// Training a classifier: two interleaved spirals, which no straight line separates, learned by a small MLP (Keras'
// Sequential of Dense layers) with Adam, on GradientTape. The program makes its own data (seeded), prints a
// Keras-style progress line per epoch, draws the loss curve and the learned decision boundary
// (docs/figures/spirals-loss.png, docs/figures/spirals-boundary.png), and exits with code 1 unless the model
// classifies at least 97% of the training points and 95% of fresh points from the same spirals correctly.
using System.Diagnostics;
using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Nabla.Keras.Losses;
using Nabla.Keras.Metrics;
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

// ------------------------------------------------------------------------------------------------ the data
// Spiral k (k = 0, 1) at s in [0.1, 1]: radius s, angle 4 pi s + k pi (almost two turns each, the second the first
// turned by half a circle), plus a little Gaussian noise.
(float[] Points, int[] Labels) Spirals(int perClass, double noise, Random rng)
{
    var points = new float[2 * perClass * 2];
    var labels = new int[2 * perClass];
    for (int i = 0; i < 2 * perClass; i++)
    {
        int k = i % 2;
        double s = 0.1 + 0.9 * rng.NextDouble();
        double angle = 4 * Math.PI * s + k * Math.PI;
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        points[2 * i] = (float)(s * Math.Cos(angle) + noise * Gauss());
        points[2 * i + 1] = (float)(s * Math.Sin(angle) + noise * Gauss());
        labels[i] = k;
    }
    return (points, labels);
}
const int PerClass = 300;
const double Noise = 0.03;
var (trainPoints, trainLabels) = Spirals(PerClass, Noise, new Random(2026));
var (testPoints, testLabels) = Spirals(PerClass, Noise, new Random(7));
int n = trainLabels.Length;
var trainX = TF.Reshape(TF.Constant(trainPoints), n, 2);
var trainY = TF.Constant(trainLabels);
var testX = TF.Reshape(TF.Constant(testPoints), n, 2);
var testY = TF.Constant(testLabels);

// ------------------------------------------------------------------------------------------------ the model
var model = new Sequential(new Layer[]
{
    new Dense(64, activation: "relu", kernelInitializer: new GlorotUniform(seed: 1)),
    new Dense(64, activation: "relu", kernelInitializer: new GlorotUniform(seed: 2)),
    new Dense(64, activation: "relu", kernelInitializer: new GlorotUniform(seed: 3)),
    new Dense(2, kernelInitializer: new GlorotUniform(seed: 4)),
}, name: "spirals_mlp");
model.Build(1, 2);
model.Summary();

// Adam with a learning rate halved every 10 epochs; mini-batches of 20 points, reshuffled each epoch.
const int Epochs = 30, Batch = 20;
int steps = n / Batch;
var optimizer = new Adam(new ExponentialDecay(initialLearningRate: 0.01, decaySteps: 10 * steps, decayRate: 0.5));
var lossFn = new SparseCategoricalCrossentropy(fromLogits: true);
var meanLoss = new Mean("loss");
var accuracy = new SparseCategoricalAccuracy("accuracy");
var order = Enumerable.Range(0, n).ToArray();
var shuffle = new Random(11);
var losses = new List<double>();
for (int epoch = 1; epoch <= Epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    meanLoss.ResetState();
    accuracy.ResetState();
    shuffle.Shuffle(order);
    for (int s = 0; s < steps; s++)
    {
        var idx = TF.Constant(order.AsSpan(s * Batch, Batch).ToArray());
        var x = TF.Gather(trainX, idx);
        var y = TF.Gather(trainY, idx);
        Tensor loss, logits;
        Tensor?[] grads;
        using (var tape = new GradientTape())
        {
            logits = model.Apply(x, training: true);
            loss = lossFn.Call(y, logits);
            grads = tape.Gradient(loss, model.TrainableVariables);
        }
        optimizer.ApplyGradients(grads.Zip(model.TrainableVariables));
        meanLoss.UpdateState(loss);
        accuracy.UpdateState(y, logits);
    }
    losses.Add(meanLoss.Result().ToDouble());
    Console.WriteLine($"Epoch {epoch,2}/{Epochs} - {steps}/{steps} - {clock.Elapsed.TotalMilliseconds,4:F0}ms - {meanLoss} - {accuracy}");
}

double Accuracy(Tensor x, Tensor y)
{
    var metric = new SparseCategoricalAccuracy();
    metric.UpdateState(y, model.Apply(x));
    return metric.Result().ToDouble();
}
double trainAccuracy = Accuracy(trainX, trainY), testAccuracy = Accuracy(testX, testY);
Console.WriteLine($"\ntrained in {total.Elapsed.TotalSeconds:F1}s: training accuracy {trainAccuracy:P1}, fresh points {testAccuracy:P1}");
Check($"training accuracy {trainAccuracy:P1} >= 97%", trainAccuracy >= 0.97);
Check($"accuracy on {n} fresh points {testAccuracy:P1} >= 95%", testAccuracy >= 0.95);
Check($"loss fell from {losses[0]:F3} to {losses[^1]:F3} (below a tenth)", losses[^1] < 0.1 * losses[0]);

// ------------------------------------------------------------------------------------------------ the figures
var lossPlot = new Plot();
var curve = lossPlot.Add.Scatter(Enumerable.Range(1, Epochs).Select(e => (double)e).ToArray(), losses.ToArray());
curve.LegendText = "mean training loss per epoch";
lossPlot.Title("Two spirals: loss (sparse categorical cross-entropy)");
lossPlot.XLabel("epoch");
lossPlot.YLabel("loss");
lossPlot.ShowLegend(Alignment.UpperRight);
var lossPath = Figures.PathOf("spirals-loss.png");
lossPlot.SavePng(lossPath, 800, 500);

// The boundary: the model's probability of spiral 1 on a grid (row 0 at the top, as a heatmap draws it), over a square
// wider than the axes show, so that the picture is filled whatever aspect the square axis units leave.
const int Grid = 240;
const double Lo = -2, Hi = 2, View = 1.1;
var grid = new float[Grid * Grid * 2];
for (int r = 0; r < Grid; r++)
    for (int c = 0; c < Grid; c++)
    {
        grid[2 * (r * Grid + c)] = (float)(Lo + (Hi - Lo) * (c + 0.5) / Grid);
        grid[2 * (r * Grid + c) + 1] = (float)(Hi - (Hi - Lo) * (r + 0.5) / Grid);
    }
var probability = TF.Softmax(model.Apply(TF.Reshape(TF.Constant(grid), Grid * Grid, 2))).ToArray<float>();
var p1 = new double[Grid, Grid];
for (int r = 0; r < Grid; r++)
    for (int c = 0; c < Grid; c++)
        p1[r, c] = probability[2 * (r * Grid + c) + 1];
var boundary = new Plot();
var map = boundary.Add.Heatmap(p1);
map.Rectangle = new CoordinateRect(Lo, Hi, Lo, Hi);
map.Colormap = new ScottPlot.Colormaps.Custom(new[] { Color.FromHex("#f4a582"), Colors.White, Color.FromHex("#92c5de") });
map.ManualRange = new ScottPlot.Range(0, 1);
foreach (var k in new[] { 0, 1 })
{
    var xs = Enumerable.Range(0, n).Where(i => trainLabels[i] == k).Select(i => (double)trainPoints[2 * i]).ToArray();
    var ys = Enumerable.Range(0, n).Where(i => trainLabels[i] == k).Select(i => (double)trainPoints[2 * i + 1]).ToArray();
    var dots = boundary.Add.ScatterPoints(xs, ys);
    dots.Color = k == 0 ? Color.FromHex("#b2182b") : Color.FromHex("#2166ac");
    dots.MarkerSize = 4;
    dots.LegendText = $"spiral {k}";
}
boundary.Title($"Two spirals: the learned decision boundary (training accuracy {trainAccuracy:P1})");
boundary.Axes.SetLimits(-View, View, -View, View);
boundary.Axes.SquareUnits();
boundary.ShowLegend(Alignment.UpperRight);
var boundaryPath = Figures.PathOf("spirals-boundary.png");
boundary.SavePng(boundaryPath, 800, 500);
Console.WriteLine($"wrote {lossPath}\nwrote {boundaryPath}");

Console.WriteLine(failures == 0 ? "\nall checks passed" : $"\n{failures} check(s) failed");
return failures == 0 ? 0 : 1;
