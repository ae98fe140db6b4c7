// A small CNN training step, Nabla's Conv2D/MaxPool2D against TorchSharp's conv2d/max_pool2d (see README.md beside this file).
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>One SGD step of a small CNN, float32, batch 32, 28 x 28 x 1: conv 3x3x32 SAME + bias, relu, max-pool 2,
/// conv 3x3x64 SAME + bias, relu, max-pool 2, dense 10, softmax cross-entropy; under a tape (Nabla, NHWC) and autograd
/// (TorchSharp, NCHW, its native layout).</summary>
public class Cnn : BenchBase
{
    private const int Batch = 32;
    private const double Lr = 0.01;

    private Variable w1 = null!, b1 = null!, w2 = null!, b2 = null!, w3 = null!, b3 = null!;
    private NTensor x = null!, labels = null!;
    private torch.Tensor tw1 = null!, tb1 = null!, tw2 = null!, tb2 = null!, tw3 = null!, tb3 = null!, tx = null!, ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(5);
        double[] R(int n, double scale) => Enumerable.Range(0, n).Select(_ => (rng.NextDouble() - 0.5) * scale).ToArray();
        NTensor F32(double[] v, params int[] shape) => TF.Cast(TF.Reshape(TF.Constant(v), shape), DType.Float32);
        // filters drawn in HWIO for Nabla and permuted to OIHW for TorchSharp: the same numbers on both sides
        var f1 = R(3 * 3 * 1 * 32, 2.0 / 3);
        var f2 = R(3 * 3 * 32 * 64, 2.0 / Math.Sqrt(288));
        var d3 = R(7 * 7 * 64 * 10, 2.0 / Math.Sqrt(3136));
        w1 = new Variable(F32(f1, 3, 3, 1, 32));
        w2 = new Variable(F32(f2, 3, 3, 32, 64));
        w3 = new Variable(F32(d3, 3136, 10));
        b1 = new Variable(TF.Zeros(new[] { 32 }));
        b2 = new Variable(TF.Zeros(new[] { 64 }));
        b3 = new Variable(TF.Zeros(new[] { 10 }));
        torch.Tensor Oihw(double[] hwio, long kh, long kw, long ci, long co) =>
            torch.tensor(hwio, new[] { kh, kw, ci, co }).permute(3, 2, 0, 1).contiguous().to_type(ScalarType.Float32).requires_grad_(true);
        tw1 = Oihw(f1, 3, 3, 1, 32);
        tw2 = Oihw(f2, 3, 3, 32, 64);
        // the dense layer reads flattened NHWC features on Nabla's side and NCHW ones on TorchSharp's: its rows permuted
        // to match, so both sides compute the same loss
        tw3 = torch.tensor(d3, new long[] { 7, 7, 64, 10 }).permute(2, 0, 1, 3).reshape(3136, 10).contiguous().to_type(ScalarType.Float32).requires_grad_(true);
        tb1 = torch.zeros(new long[] { 32 }, dtype: ScalarType.Float32).requires_grad_(true);
        tb2 = torch.zeros(new long[] { 64 }, dtype: ScalarType.Float32).requires_grad_(true);
        tb3 = torch.zeros(new long[] { 10 }, dtype: ScalarType.Float32).requires_grad_(true);
        var img = R(Batch * 28 * 28, 2.0);
        x = F32(img, Batch, 28, 28, 1);
        tx = torch.tensor(img, new long[] { Batch, 1, 28, 28 }).to_type(ScalarType.Float32);
        var cls = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
        labels = TF.Constant(cls);
        ty = torch.tensor(cls.Select(c => (long)c).ToArray());
    }

    [Benchmark(Description = "Nabla tape + SGD (Conv2D, MaxPool2D)")]
    public double Nabla()
    {
        NTensor loss;
        NTensor?[] grads;
        var vars = new[] { w1, b1, w2, b2, w3, b3 };
        using (var tape = new GradientTape())
        {
            var h = TF.MaxPool2D(TF.Relu(TF.BiasAdd(TF.Conv2D(x, w1, 1, "SAME"), b1)), 2, 2, "VALID");
            h = TF.MaxPool2D(TF.Relu(TF.BiasAdd(TF.Conv2D(h, w2, 1, "SAME"), b2)), 2, 2, "VALID");
            var logits = TF.BiasAdd(TF.MatMul(TF.Reshape(h, Batch, -1), w3), b3);
            loss = TF.ReduceMean(TF.SparseSoftmaxCrossEntropyWithLogits(labels, logits));
            grads = tape.Gradient(loss, vars);
        }
        for (int i = 0; i < vars.Length; i++) vars[i].AssignSub(grads[i]! * Lr);
        return loss.ToDouble();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp autograd + SGD (conv2d, max_pool2d)")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        var h = torch.nn.functional.max_pool2d(torch.nn.functional.relu(torch.nn.functional.conv2d(tx, tw1, tb1, padding: new long[] { 1, 1 })), new long[] { 2, 2 });
        h = torch.nn.functional.max_pool2d(torch.nn.functional.relu(torch.nn.functional.conv2d(h, tw2, tb2, padding: new long[] { 1, 1 })), new long[] { 2, 2 });
        var logits = torch.matmul(h.reshape(Batch, -1), tw3) + tb3;
        var loss = torch.nn.functional.cross_entropy(logits, ty);
        loss.backward();
        using (torch.no_grad())
        {
            foreach (var p in new[] { tw1, tb1, tw2, tb2, tw3, tb3 })
            {
                p.sub_(p.grad! * Lr);
                p.grad!.zero_();
            }
        }
        return loss.ToDouble();
    }
}

/// <summary>One convolution layer on a shape the kernels were not tuned for: float32, batch 8 of 64 x 64 x 16, filters
/// 3x3x16x32, SAME, stride 1 or 2; forward and the gradients with respect to the input and the filters of
/// sum(conv(x, w) * r), under a tape (Nabla, NHWC) and autograd (TorchSharp, NCHW).</summary>
public class ConvLayer : BenchBase
{
    [Params(1, 2)] public int Stride;

    private Variable x = null!, w = null!;
    private NTensor r = null!;
    private torch.Tensor tx = null!, tw = null!, tr = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(7);
        double[] R(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        NTensor F32(double[] v, params int[] shape) => TF.Cast(TF.Reshape(TF.Constant(v), shape), DType.Float32);
        int o = (64 + Stride - 1) / Stride;
        var img = R(8 * 64 * 64 * 16);
        var f = R(3 * 3 * 16 * 32);
        var g = R(8 * o * o * 32);
        x = new Variable(F32(img, 8, 64, 64, 16));
        w = new Variable(F32(f, 3, 3, 16, 32));
        r = F32(g, 8, o, o, 32);
        tx = torch.tensor(img, new long[] { 8, 64, 64, 16 }).permute(0, 3, 1, 2).contiguous().to_type(ScalarType.Float32).requires_grad_(true);
        tw = torch.tensor(f, new long[] { 3, 3, 16, 32 }).permute(3, 2, 0, 1).contiguous().to_type(ScalarType.Float32).requires_grad_(true);
        tr = torch.tensor(g, new long[] { 8, o, o, 32 }).permute(0, 3, 1, 2).contiguous().to_type(ScalarType.Float32);
    }

    [Benchmark(Description = "Nabla Conv2D forward + input and filter gradients")]
    public double Nabla()
    {
        NTensor?[] grads;
        using (var tape = new GradientTape())
        {
            var loss = TF.ReduceSum(TF.Conv2D(x, w, Stride, "SAME") * r);
            grads = tape.Gradient(loss, new[] { x, w });
        }
        return grads[0]!.Shape[0] + grads[1]!.Shape[0];
    }

    [Benchmark(Baseline = true, Description = "TorchSharp conv2d forward + backward")]
    public double Torch()
    {
        using var scope = torch.NewDisposeScope();
        // TF's SAME for a 3x3 window: 1 before and 1 after at stride 1; 0 before and 1 after at stride 2 on an even
        // extent (torch pads symmetrically, so pad 1 and drop nothing: the windows start one element earlier, the
        // same work)
        var y = torch.nn.functional.conv2d(tx, tw, strides: new long[] { Stride, Stride }, padding: new long[] { 1, 1 });
        (y * tr).sum().backward();
        var n = tx.grad!.shape[0] + tw.grad!.shape[0];
        tx.grad!.zero_();
        tw.grad!.zero_();
        return n;
    }
}
