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
    public double NablaLayers()
    {
        var vars = model.TrainableVariables;
        NTensor value;
        NTensor?[] grads;
        using (var tape = new GradientTape())
        {
            value = loss.Call(labels, model.Apply(x, training: true));
            grads = tape.Gradient(value, vars);
        }
        sgd.ApplyGradients(grads.Zip(vars));
        return value.ToDouble();
    }

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
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        topt.zero_grad();
        var l = torch.nn.functional.cross_entropy(tmodel.call(tx), ty);
        l.backward();
        topt.step();
        return l.ToDouble();
    }
}
