// Nabla's Keras guide: the building blocks TensorFlow programs train with, on the same GradientTape.
//  1. A small CNN learns to tell drawn shapes apart (circles, squares, triangles, drawn by this program, seeded):
//     Sequential, Conv2D, MaxPooling2D, Dense, Adam with an ExponentialDecay schedule, a sparse categorical
//     cross-entropy, metrics, and a Keras-style progress line per epoch.
//  2. MAML (Finn et al. 2017) on sine waves: an inner gradient step w' = w - a g taken inside an outer tape, the model
//     called with w' through StatelessCall, and the outer gradient flowing through the inner one (second order).
// The program checks its own numbers and exits with code 1 when they are off.
using System.Diagnostics;
using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Nabla.Keras.Losses;
using Nabla.Keras.Metrics;
using Nabla.Optimizers;
using Nabla.Optimizers.Schedules;

int failures = 0;
void Check(string what, bool ok)
{
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? "ok" : "FAILED")}: {what}");
}

// ------------------------------------------------------------------------------------------------ 1. a CNN
Console.WriteLine("== 1. A small CNN on drawn shapes\n");
const int Size = 16, Classes = 3;
var rng = new Random(2026);

// One image of a class: a shape at a random place and size, on noise.
float[] Draw(int cls)
{
    var img = new float[Size * Size];
    double cx = 5 + rng.NextDouble() * 6, cy = 5 + rng.NextDouble() * 6, r = 2.5 + rng.NextDouble() * 2.5;
    for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++)
        {
            double dx = x - cx, dy = y - cy;
            bool inside = cls switch
            {
                0 => dx * dx + dy * dy <= r * r,                                      // circle
                1 => Math.Abs(dx) <= r * 0.8 && Math.Abs(dy) <= r * 0.8,              // square
                _ => dy <= r * 0.8 && dy >= -r * 0.8 && Math.Abs(dx) <= (dy + r * 0.8) * 0.6, // triangle, apex up
            };
            img[y * Size + x] = (inside ? 1f : 0f) + (float)(rng.NextDouble() * 0.3 - 0.15);
        }
    return img;
}

(Tensor Images, Tensor Labels) DataSet(int n)
{
    var pixels = new float[n * Size * Size];
    var labels = new int[n];
    for (int i = 0; i < n; i++)
    {
        labels[i] = i % Classes;
        Array.Copy(Draw(labels[i]), 0, pixels, i * Size * Size, Size * Size);
    }
    return (TF.Reshape(TF.Constant(pixels), n, Size, Size, 1), TF.Constant(labels));
}

var (trainX, trainY) = DataSet(600);
var (testX, testY) = DataSet(150);

var model = new Sequential(new Layer[]
{
    new Conv2D(8, new[] { 3 }, padding: "same", activation: "relu", kernelInitializer: new GlorotUniform(seed: 1)),
    new MaxPooling2D(),
    new Conv2D(16, new[] { 3 }, padding: "same", activation: "relu", kernelInitializer: new GlorotUniform(seed: 2)),
    new MaxPooling2D(),
    new Flatten(),
    new Dense(32, activation: "relu", kernelInitializer: new GlorotUniform(seed: 3)),
    new Dense(Classes, kernelInitializer: new GlorotUniform(seed: 4)),
}, name: "shapes_cnn");
model.Build(1, Size, Size, 1);
model.Summary();

const int Epochs = 6, Batch = 32;
int steps = (600 + Batch - 1) / Batch;
var optimizer = new Adam(new ExponentialDecay(initialLearningRate: 0.01, decaySteps: steps, decayRate: 0.7));
var lossFn = new SparseCategoricalCrossentropy(fromLogits: true);
var meanLoss = new Mean("loss");
var accuracy = new SparseCategoricalAccuracy("accuracy");
var valAccuracy = new SparseCategoricalAccuracy("val_accuracy");
var order = Enumerable.Range(0, 600).ToArray();
for (int epoch = 1; epoch <= Epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    meanLoss.ResetState();
    accuracy.ResetState();
    rng.Shuffle(order);
    for (int s = 0; s < steps; s++)
    {
        var idx = TF.Constant(order.Skip(s * Batch).Take(Batch).ToArray());
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
    valAccuracy.ResetState();
    valAccuracy.UpdateState(testY, model.Apply(testX));
    Console.WriteLine($"Epoch {epoch}/{Epochs}");
    Console.WriteLine($"{steps}/{steps} - {clock.Elapsed.TotalSeconds:F1}s - {meanLoss} - {accuracy} - {valAccuracy} - learning_rate: {optimizer.LearningRate:G3}");
}
double testAccuracy = valAccuracy.Result().ToDouble();
Check($"test accuracy {testAccuracy:P1} >= 90%", testAccuracy >= 0.9);

// ------------------------------------------------------------------------------------------------ 2. MAML
Console.WriteLine("\n== 2. MAML on sine waves: differentiating through an inner update\n");
// A task: y = A sin(x + phase), A in [0.5, 4], phase in [0, pi]; K = 10 points to adapt on, 10 to evaluate.
var taskRng = new Random(7);
(Tensor X, Tensor Y) Sample((double A, double Phase) task, int k)
{
    var xs = Enumerable.Range(0, k).Select(_ => taskRng.NextDouble() * 10 - 5).ToArray();
    var ys = xs.Select(x => task.A * Math.Sin(x + task.Phase)).ToArray();
    return (TF.Reshape(TF.Constant(xs), k, 1), TF.Reshape(TF.Constant(ys), k, 1));
}
(double, double) NewTask() => (0.5 + taskRng.NextDouble() * 3.5, taskRng.NextDouble() * Math.PI);

var net = new Sequential(new Layer[]
{
    new Dense(40, activation: "tanh", kernelInitializer: new GlorotUniform(seed: 11), dtype: DType.Float64),
    new Dense(40, activation: "tanh", kernelInitializer: new GlorotUniform(seed: 12), dtype: DType.Float64),
    new Dense(1, kernelInitializer: new GlorotUniform(seed: 13), dtype: DType.Float64),
}, name: "maml_net");
net.Build(1, 1);
var mse = new MeanSquaredError();
const double InnerRate = 0.01;
var metaOptimizer = new Adam(0.002);

// The loss on a task's query points after one inner step on its support points, as a function the tapes can see.
Tensor AdaptedLoss((double, double) task, IReadOnlyList<Variable> weights)
{
    var (xs, ys) = Sample(task, 10);
    var (xq, yq) = Sample(task, 10);
    IReadOnlyList<Tensor> adapted;
    using (var inner = new GradientTape())
    {
        var innerLoss = mse.Call(ys, net.Apply(xs));
        var g = inner.Gradient(innerLoss, weights);
        adapted = weights.Select((w, i) => (Tensor)w - InnerRate * g[i]!).ToList(); // recorded by the outer tape
    }
    var (prediction, _) = net.StatelessCall(adapted, null, xq);
    return mse.Call(yq, prediction);
}

double EvaluateAdapted(int tasks)
{
    double sum = 0;
    for (int t = 0; t < tasks; t++) sum += AdaptedLoss(NewTask(), net.TrainableVariables).ToDouble();
    return sum / tasks;
}

double before = EvaluateAdapted(50);
Console.WriteLine($"post-adaptation loss before meta-training: {before:F3}");
var meta = new Mean("meta_loss");
for (int iteration = 1; iteration <= 600; iteration++)
{
    var weights = net.TrainableVariables;
    Tensor?[] grads;
    Tensor metaLoss;
    using (var outer = new GradientTape())
    {
        metaLoss = TF.AddN(Enumerable.Range(0, 4).Select(_ => AdaptedLoss(NewTask(), weights)).ToList()) / 4.0;
        grads = outer.Gradient(metaLoss, weights);
    }
    metaOptimizer.ApplyGradients(grads.Zip(weights));
    meta.UpdateState(metaLoss);
    if (iteration % 100 == 0)
    {
        Console.WriteLine($"iteration {iteration}: {meta}");
        meta.ResetState();
    }
}
double after = EvaluateAdapted(50);
Console.WriteLine($"post-adaptation loss after meta-training: {after:F3}");
Check($"meta-training lowers the post-adaptation loss ({before:F3} -> {after:F3}) by at least 40%", after <= 0.6 * before);

Console.WriteLine(failures == 0 ? "\nall checks passed" : $"\n{failures} check(s) failed");
return failures == 0 ? 0 : 1;
