// The Keras building blocks' cost: one training step of an MLP built from Dense layers, against the same step written
// with raw Variables and against TorchSharp's nn modules.
using BenchmarkDotNet.Attributes;
using Nabla.Keras;
using Nabla.Keras.Layers;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>784-512-512-10 ReLU MLP, batch 256, sparse softmax cross-entropy, one SGD step under a tape: Keras layers
/// (Sequential of Dense, SparseCategoricalCrossentropy, Optimizers.SGD), the same ops on raw Variables, and TorchSharp's
/// nn.Sequential of Linear with its SGD.</summary>
public class Layers : BenchBase
{
    [Params("f32")] public string DT = "f32";
    private const int Batch = 256;
    private static readonly int[] Sizes = { 784, 512, 512, 10 };
    private const double Lr = 0.01;

    private Sequential model = null!;
    private Keras.Losses.SparseCategoricalCrossentropy loss = null!;
    private Optimizers.SGD sgd = null!, rawSgd = null!;
    private Variable[] ws = null!, bs = null!;
    private NTensor x = null!, labels = null!;
    private torch.nn.Module<torch.Tensor, torch.Tensor> tmodel = null!;
    private torch.optim.Optimizer topt = null!;
    private torch.Tensor tx = null!, ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(3);
        model = new Sequential(new Layer[] { new Dense(512, activation: "relu"), new Dense(512, activation: "relu"), new Dense(10) });
        model.Build(Batch, 784);
        ws = new Variable[3]; bs = new Variable[3];
        var denses = model.Layers.Cast<Dense>().ToArray();
        for (int l = 0; l < 3; l++)
        {
            ws[l] = new Variable(denses[l].Kernel!.Value);
            bs[l] = new Variable(denses[l].Bias!.Value);
        }
        loss = new Keras.Losses.SparseCategoricalCrossentropy(fromLogits: true);
        sgd = new Optimizers.SGD(Lr);
        rawSgd = new Optimizers.SGD(Lr);
        var xs = Enumerable.Range(0, Batch * 784).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        x = TF.Reshape(TF.Constant(xs), Batch, 784);
        var cls = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
        labels = TF.Constant(cls);
        tmodel = torch.nn.Sequential(
            ("l1", torch.nn.Linear(784, 512)), ("r1", torch.nn.ReLU()),
            ("l2", torch.nn.Linear(512, 512)), ("r2", torch.nn.ReLU()),
            ("l3", torch.nn.Linear(512, 10)));
        topt = torch.optim.SGD(tmodel.parameters(), Lr);
        tx = torch.tensor(xs, new long[] { Batch, 784 });
        ty = torch.tensor(cls.Select(c => (long)c).ToArray());
    }

    [Benchmark(Description = "Nabla Keras layers")]
    public double NablaLayers() => Steps.Keras(model, loss, sgd, x, labels);

    [Benchmark(Description = "Nabla raw Variables")]
    public double NablaRaw()
    {
        var vars = ws.Concat(bs).ToArray();
        NTensor value;
        NTensor?[] grads;
        using (var tape = new GradientTape())
        {
            NTensor h = x;
            for (int l = 0; l < 3; l++)
            {
                h = TF.BiasAdd(TF.MatMul(h, ws[l]), bs[l]);
                if (l < 2) h = TF.Relu(h);
            }
            value = TF.ReduceMean(TF.SparseSoftmaxCrossEntropyWithLogits(labels, h));
            grads = tape.Gradient(value, vars);
        }
        rawSgd.ApplyGradients(grads.Zip(vars));
        return value.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn + SGD")]
    public double Torch() => Steps.Torch(tmodel, topt, tx, ty);
}

/// <summary>The small CNN of the Cnn suite (f32, batch 32 of 28 x 28 x 1: Conv2D 3x3x32 SAME, ReLU, MaxPool 2, Conv2D 3x3x64
/// SAME, ReLU, MaxPool 2, Dense 10), one SGD step: Keras layers, the same ops on raw Variables, TorchSharp nn modules.</summary>
public class LayersCnn : BenchBase
{
    private const int Batch = 32;
    private const double Lr = 0.01;

    private Sequential model = null!;
    private Keras.Losses.SparseCategoricalCrossentropy loss = null!;
    private Optimizers.SGD sgd = null!, rawSgd = null!;
    private Variable[] raw = null!;
    private NTensor x = null!, labels = null!;
    private torch.nn.Module<torch.Tensor, torch.Tensor> tmodel = null!;
    private torch.optim.Optimizer topt = null!;
    private torch.Tensor tx = null!, ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(5);
        model = new Sequential(new Layer[]
        {
            new Conv2D(32, new[] { 3 }, padding: "same", activation: "relu"), new MaxPooling2D(),
            new Conv2D(64, new[] { 3 }, padding: "same", activation: "relu"), new MaxPooling2D(),
            new Flatten(), new Dense(10),
        });
        model.Build(Batch, 28, 28, 1);
        raw = model.TrainableVariables.Select(v => new Variable(v.Value)).ToArray();
        loss = new Keras.Losses.SparseCategoricalCrossentropy(fromLogits: true);
        sgd = new Optimizers.SGD(Lr);
        rawSgd = new Optimizers.SGD(Lr);
        var img = Enumerable.Range(0, Batch * 28 * 28).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        x = TF.Reshape(TF.Constant(img), Batch, 28, 28, 1);
        var cls = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
        labels = TF.Constant(cls);
        tmodel = torch.nn.Sequential(
            ("c1", torch.nn.Conv2d(1, 32, 3, padding: 1)), ("r1", torch.nn.ReLU()), ("p1", torch.nn.MaxPool2d(2)),
            ("c2", torch.nn.Conv2d(32, 64, 3, padding: 1)), ("r2", torch.nn.ReLU()), ("p2", torch.nn.MaxPool2d(2)),
            ("f", torch.nn.Flatten()), ("d", torch.nn.Linear(3136, 10)));
        topt = torch.optim.SGD(tmodel.parameters(), Lr);
        tx = torch.tensor(img, new long[] { Batch, 1, 28, 28 });
        ty = torch.tensor(cls.Select(c => (long)c).ToArray());
    }

    [Benchmark(Description = "Nabla Keras layers")]
    public double NablaLayers() => Steps.Keras(model, loss, sgd, x, labels);

    [Benchmark(Description = "Nabla raw Variables")]
    public double NablaRaw()
    {
        NTensor value;
        NTensor?[] grads;
        using (var tape = new GradientTape())
        {
            var h = TF.MaxPool2D(TF.Relu(TF.BiasAdd(TF.Conv2D(x, raw[0], 1, "SAME"), raw[1])), 2, 2, "VALID");
            h = TF.MaxPool2D(TF.Relu(TF.BiasAdd(TF.Conv2D(h, raw[2], 1, "SAME"), raw[3])), 2, 2, "VALID");
            var logits = TF.BiasAdd(TF.MatMul(TF.Reshape(h, Batch, -1), raw[4]), raw[5]);
            value = TF.ReduceMean(TF.SparseSoftmaxCrossEntropyWithLogits(labels, logits));
            grads = tape.Gradient(value, raw);
        }
        rawSgd.ApplyGradients(grads.Zip(raw));
        return value.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn + SGD")]
    public double Torch() => Steps.Torch(tmodel, topt, tx, ty);
}

/// <summary>The training steps both layer suites time: a Keras model with its loss and optimizer, and TorchSharp's
/// module with its optimizer.</summary>
internal static class Steps
{
    public static double Keras(Sequential model, Keras.Losses.Loss loss, Optimizers.Optimizer optimizer, NTensor x, NTensor labels)
    {
        var vars = model.TrainableVariables;
        NTensor value;
        NTensor?[] grads;
        using (var tape = new GradientTape())
        {
            value = loss.Call(labels, model.Apply(x, training: true));
            grads = tape.Gradient(value, vars);
        }
        optimizer.ApplyGradients(grads.Zip(vars));
        return value.ToDouble();
    }

    public static double Torch(torch.nn.Module<torch.Tensor, torch.Tensor> model, torch.optim.Optimizer optimizer, torch.Tensor x, torch.Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var l = torch.nn.functional.cross_entropy(model.call(x), y);
        l.backward();
        optimizer.step();
        return l.ToDouble();
    }
}
