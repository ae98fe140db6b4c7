// CumSum and CumProd (forward + gradient), Sort and TopK (forward + gradient) against TorchSharp's cumsum, cumprod,
// sort and topk with autograd, on a [rows, 1024] f64 tensor along the last axis.
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>Shared input: uniform values in [0.5, 1.5) (products stay finite over 1024 factors only roughly, which
/// timing does not mind), [Rows, 1024] in f64.</summary>
public abstract class StatisticsBase : BenchBase
{
    [Params(64, 512)] public int Rows;
    protected const int Cols = 1024;

    protected NTensor x = null!;
    protected double[] data = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(1);
        data = Enumerable.Range(0, Rows * Cols).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        x = TF.Reshape(TF.Constant(data), Rows, Cols);
    }

    protected double NablaGrad(Func<NTensor, NTensor> f)
    {
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = TF.ReduceSum(f(x) * 1e-3);
        return tape.Gradient(y, x)!.ToArray<double>()[0];
    }

    protected double TorchGrad(Func<torch.Tensor, torch.Tensor> f)
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(data, new long[] { Rows, Cols }, requires_grad: true);
        var y = (f(t) * 1e-3).sum();
        y.backward();
        return t.grad!.view(-1)[0].item<double>();
    }
}

/// <summary>Cumulative sum along the last axis, forward and gradient.</summary>
public class CumSumGrad : StatisticsBase
{
    [Benchmark(Description = "Nabla TF.CumSum + grad")]
    public double Nabla() => NablaGrad(v => TF.CumSum(v, -1));

    [Benchmark(Baseline = true, Description = "TorchSharp cumsum + backward")]
    public double Torch() => TorchGrad(t => t.cumsum(-1));
}

/// <summary>Cumulative product along the last axis, forward and gradient (Nabla: recursive doubling, exact at zeros).</summary>
public class CumProdGrad : StatisticsBase
{
    [Benchmark(Description = "Nabla TF.CumProd + grad")]
    public double Nabla() => NablaGrad(v => TF.CumProd(v, -1));

    [Benchmark(Baseline = true, Description = "TorchSharp cumprod + backward")]
    public double Torch() => TorchGrad(t => t.cumprod(-1));
}

/// <summary>Sort along the last axis, forward and gradient.</summary>
public class SortGrad : StatisticsBase
{
    [Benchmark(Description = "Nabla TF.Sort + grad")]
    public double Nabla() => NablaGrad(v => TF.Sort(v));

    [Benchmark(Baseline = true, Description = "TorchSharp sort + backward")]
    public double Torch() => TorchGrad(t => t.sort(-1).Values);
}

/// <summary>The 16 largest of each row, forward and gradient.</summary>
public class TopKGrad : StatisticsBase
{
    [Benchmark(Description = "Nabla TF.TopK(16) + grad")]
    public double Nabla() => NablaGrad(v => TF.TopK(v, 16).Values);

    [Benchmark(Baseline = true, Description = "TorchSharp topk(16) + backward")]
    public double Torch() => TorchGrad(t => t.topk(16).values);
}
