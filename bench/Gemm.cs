// TF.MatMul over a sweep of (m, n, k) shapes the bench was not tuned on (issue 15): square, non-square and thin,
// Float32 and Float64, 1 and 2 threads; Nabla's automatic GEMM route (the managed AVX-512 kernel where Backend picks
// it), Nabla on the provider's GEMM (MKL under the bench's NABLA_PROVIDER=mkl) and TorchSharp (the baseline).
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>C = A B with A m x k and B k x n, including allocating the output; every shape has m n k >= 2^18.</summary>
public class GemmSweep : BenchBase
{
    /// <summary>"m x n x k".</summary>
    [Params("64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x256",
            "512x768x1536", "32x2048x2048", "2048x32x2048", "2048x2048x32", "100x300x700", "1000x200x500",
            "33x1000x65", "768x512x96")]
    public string Shape = "64x64x64";
    [Params("f32", "f64")] public string DT = "f64";

    private NTensor a = null!, b = null!;
    private torch.Tensor ta = null!, tb = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var d = Shape.Split('x').Select(int.Parse).ToArray();
        int m = d[0], n = d[1], k = d[2];
        var rng = new Random(1);
        var da = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var db = Enumerable.Range(0, k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var dtype = DT == "f32" ? DType.Float32 : DType.Float64;
        a = TF.Cast(TF.Reshape(TF.Constant(da), new[] { m, k }), dtype);
        b = TF.Cast(TF.Reshape(TF.Constant(db), new[] { k, n }), dtype);
        var sdt = DT == "f32" ? ScalarType.Float32 : ScalarType.Float64;
        ta = torch.tensor(da, new long[] { m, k }).to_type(sdt);
        tb = torch.tensor(db, new long[] { k, n }).to_type(sdt);
    }

    [Benchmark(Description = "Nabla TF.MatMul (auto GEMM)")]
    public int Nabla()
    {
        Backend.Gemm = "auto";
        return TF.MatMul(a, b).Size;
    }

    [Benchmark(Description = "Nabla TF.MatMul (provider GEMM)")]
    public int NablaProvider()
    {
        Backend.Gemm = "provider";
        return TF.MatMul(a, b).Size;
    }

    [Benchmark(Baseline = true, Description = "TorchSharp matmul")]
    public long Torch()
    {
        using var c = torch.matmul(ta, tb);
        return c.numel();
    }
}
