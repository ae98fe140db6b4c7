// TF.Einsum against TF.MatMul and TorchSharp's torch.einsum: a batched matrix product (Einsum's MatMul fast path) and a
// general contraction (two contracted axes and a transposed operand: transposes, reshapes and one GEMM).
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>Random operands of the given shapes in Nabla and in TorchSharp.</summary>
public abstract class EinsumBase : BenchBase
{
    [Params("f32", "f64")] public string DT = "f64";

    protected (NTensor, torch.Tensor) Make(Random rng, params int[] shape)
    {
        var n = shape.Aggregate(1, (a, b) => a * b);
        var data = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var t = TF.Cast(TF.Reshape(TF.Constant(data), shape), DT == "f32" ? DType.Float32 : DType.Float64);
        var tt = torch.tensor(data, shape.Select(d => (long)d).ToArray()).to_type(DT == "f32" ? ScalarType.Float32 : ScalarType.Float64);
        return (t, tt);
    }
}

/// <summary>"bij,bjk->bik", b = 32, i = j = k = 128: Einsum's fast path to MatMul.</summary>
public class EinsumBmm : EinsumBase
{
    private NTensor a = null!, b = null!;
    private torch.Tensor ta = null!, tb = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(1);
        (a, ta) = Make(rng, 32, 128, 128);
        (b, tb) = Make(rng, 32, 128, 128);
    }

    [Benchmark(Description = "Nabla TF.Einsum bij,bjk->bik")]
    public int Nabla() => TF.Einsum("bij,bjk->bik", a, b).Size;

    [Benchmark(Description = "Nabla TF.MatMul")]
    public int NablaMatMul() => TF.MatMul(a, b).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp einsum")]
    public long Torch()
    {
        using var c = torch.einsum("bij,bjk->bik", ta, tb);
        return c.numel();
    }
}

/// <summary>"abc,cbd->ad", a = d = 256, b = c = 32: two contracted axes, the second operand's transposed (one
/// transpose, reshapes and one 256 x 1024 x 256 GEMM).</summary>
public class EinsumContraction : EinsumBase
{
    private NTensor a = null!, b = null!;
    private torch.Tensor ta = null!, tb = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(2);
        (a, ta) = Make(rng, 256, 32, 32);
        (b, tb) = Make(rng, 32, 32, 256);
    }

    [Benchmark(Description = "Nabla TF.Einsum abc,cbd->ad")]
    public int Nabla() => TF.Einsum("abc,cbd->ad", a, b).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp einsum")]
    public long Torch()
    {
        using var c = torch.einsum("abc,cbd->ad", ta, tb);
        return c.numel();
    }
}
