// Workloads of issue 15 that no kernel was tuned on: chains of element-wise ops over large tensors, and MLP training
// steps on a shape and with activations the `Mlp` suite does not use. Both run under .NET's default GC settings
// (the package sets none); large results come from Nabla's buffer pool unless NABLA_BUFFER_POOL=off.
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>
/// A chain of element-wise ops over N elements, every intermediate and the output a fresh tensor: "TanhExp" is
/// exp(tanh(x)) (two unary ops), "SigmoidMulAdd" is sigmoid(x) * x + 1 (SiLU plus a constant: unary, binary, and a
/// scalar broadcast). TorchSharp runs the same out-of-place ops, disposing each intermediate as soon as it is used.
/// </summary>
public class ElementwiseChain : BenchBase
{
    [Params(100_000, 1_000_000, 4_000_000)] public int N = 100_000;
    [Params("TanhExp", "SigmoidMulAdd")] public string Ops = "TanhExp";
    [Params("f32", "f64")] public string DT = "f32";

    private NTensor x = null!;
    private torch.Tensor tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        if (Ops != "TanhExp" && Ops != "SigmoidMulAdd")
            throw new ArgumentException($"ElementwiseChain: unknown chain '{Ops}'; expected TanhExp or SigmoidMulAdd");
        var rng = new Random(5);
        var d = Enumerable.Range(0, N).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        x = TF.Cast(TF.Constant(d), DT == "f32" ? DType.Float32 : DType.Float64);
        tx = torch.tensor(d).to_type(DT == "f32" ? ScalarType.Float32 : ScalarType.Float64);
    }

    [Benchmark(Description = "Nabla")]
    public int Nabla() => (Ops == "TanhExp" ? TF.Exp(TF.Tanh(x)) : TF.Sigmoid(x) * x + 1.0).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp")]
    public long Torch()
    {
        if (Ops == "TanhExp")
        {
            using var t = torch.tanh(tx);
            using var r = torch.exp(t);
            return r.numel();
        }
        else
        {
            using var s = torch.sigmoid(tx);
            using var p = s * tx;
            using var r = p + 1.0;
            return r.numel();
        }
    }
}

/// <summary>
/// One SGD step of a 1024-384-384-10 MLP (tanh or ReLU hidden layers), float32, softmax cross-entropy, at batch 32,
/// 128 and 512: a shape the bench was not tuned on. Nabla: forward under a GradientTape, the gradient of the mean loss
/// with respect to the six variables, AssignSub (as the `Mlp` suite). TorchSharp: the same step under a dispose scope.
/// </summary>
public class MlpSweep : BenchBase
{
    [Params(32, 128, 512)] public int Batch = 32;
    [Params("tanh", "relu")] public string Act = "tanh";
    private static readonly int[] Sizes = { 1024, 384, 384, 10 };
    private const double Lr = 0.01;

    private Variable[] ws = null!, bs = null!;
    private NTensor x = null!, labels = null!;
    private torch.Tensor[] tws = null!, tbs = null!;
    private torch.Tensor tx = null!, ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        if (Act != "tanh" && Act != "relu")
            throw new ArgumentException($"MlpSweep: unknown activation '{Act}'; expected tanh or relu");
        var rng = new Random(6);
        NTensor Rand(int r, int c, double scale)
        {
            var v = Enumerable.Range(0, r * c).Select(_ => (rng.NextDouble() - 0.5) * scale).ToArray();
            return TF.Cast(TF.Reshape(TF.Constant(v), new[] { r, c }), DType.Float32);
        }
        ws = new Variable[3]; bs = new Variable[3];
        tws = new torch.Tensor[3]; tbs = new torch.Tensor[3];
        for (int l = 0; l < 3; l++)
        {
            var w = Rand(Sizes[l], Sizes[l + 1], 2.0 / Math.Sqrt(Sizes[l]));
            ws[l] = new Variable(w);
            bs[l] = new Variable(TF.Zeros(new[] { Sizes[l + 1] }, DType.Float32));
            tws[l] = torch.tensor(w.ToArray<float>(), new long[] { Sizes[l], Sizes[l + 1] }).requires_grad_(true);
            tbs[l] = torch.zeros(new long[] { Sizes[l + 1] }, dtype: ScalarType.Float32).requires_grad_(true);
        }
        x = Rand(Batch, Sizes[0], 1.0);
        tx = torch.tensor(x.ToArray<float>(), new long[] { Batch, Sizes[0] });
        var cls = Enumerable.Range(0, Batch).Select(i => (i * 7) % 10).ToArray();
        var onehot = new float[Batch * 10];
        for (int i = 0; i < Batch; i++) onehot[i * 10 + cls[i]] = 1;
        labels = TF.Reshape(TF.Constant(onehot), new[] { Batch, 10 });
        ty = torch.tensor(cls.Select(c => (long)c).ToArray());
    }

    [Benchmark(Description = "Nabla tape + SGD")]
    public double Nabla()
    {
        NTensor loss;
        NTensor?[] grads;
        var vars = ws.Concat(bs).ToArray();
        using (var tape = new GradientTape())
        {
            NTensor h = x;
            for (int l = 0; l < 3; l++)
            {
                h = TF.MatMul(h, ws[l]) + bs[l];
                if (l < 2) h = Act == "tanh" ? TF.Tanh(h) : TF.Relu(h);
            }
            loss = TF.ReduceMean(TF.SoftmaxCrossEntropyWithLogits(labels, h));
            grads = tape.Gradient(loss, vars);
        }
        for (int i = 0; i < vars.Length; i++) vars[i].AssignSub(grads[i]! * Lr);
        return loss.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp autograd + SGD")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        var h = tx;
        for (int l = 0; l < 3; l++)
        {
            h = torch.matmul(h, tws[l]) + tbs[l];
            if (l < 2) h = Act == "tanh" ? torch.tanh(h) : torch.nn.functional.relu(h);
        }
        var loss = torch.nn.functional.cross_entropy(h, ty);
        loss.backward();
        using (torch.no_grad())
        {
            foreach (var p in tws.Concat(tbs))
            {
                p.sub_(p.grad! * Lr);
                p.grad!.zero_();
            }
        }
        return loss.ToDouble();
    }
}
