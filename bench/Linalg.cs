// Cholesky and Solve (TF.Linalg) against TorchSharp's torch.linalg.cholesky / torch.linalg.solve.
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>Shared inputs: an SPD matrix X Xᵀ + n I and an invertible X + 3√n I, n x n, with a one-column rhs.</summary>
public abstract class LinalgBase : BenchBase
{
    [Params(256, 1024)] public int N;
    [Params("f64", "f32")] public string DT = "f64";

    protected NTensor spd = null!, general = null!, rhs = null!;
    protected torch.Tensor tSpd = null!, tGeneral = null!, tRhs = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(1);
        var x = Enumerable.Range(0, N * N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var s = new double[N * N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j <= i; j++)
            {
                double acc = i == j ? N : 0;
                for (int l = 0; l < N; l++) acc += x[i * N + l] * x[j * N + l];
                s[i * N + j] = acc;
                s[j * N + i] = acc;
            }
        var g = x.Select((v, q) => v + (q / N == q % N ? 3 * Math.Sqrt(N) : 0)).ToArray();
        var b = Enumerable.Range(0, N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var dtype = DT == "f32" ? DType.Float32 : DType.Float64;
        spd = TF.Cast(TF.Reshape(TF.Constant(s), N, N), dtype);
        general = TF.Cast(TF.Reshape(TF.Constant(g), N, N), dtype);
        rhs = TF.Cast(TF.Reshape(TF.Constant(b), N, 1), dtype);
        var sdt = DT == "f32" ? ScalarType.Float32 : ScalarType.Float64;
        tSpd = torch.tensor(s, new long[] { N, N }).to_type(sdt);
        tGeneral = torch.tensor(g, new long[] { N, N }).to_type(sdt);
        tRhs = torch.tensor(b, new long[] { N, 1 }).to_type(sdt);
    }
}

/// <summary>Cholesky factor of an n x n SPD matrix.</summary>
public class LinalgCholesky : LinalgBase
{
    [Benchmark(Description = "Nabla TF.Linalg.Cholesky")]
    public int Nabla() => TF.Linalg.Cholesky(spd).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp linalg.cholesky")]
    public long Torch()
    {
        using var l = torch.linalg.cholesky(tSpd);
        return l.numel();
    }
}

/// <summary>A X = b for an n x n invertible matrix and one right-hand side.</summary>
public class LinalgSolve : LinalgBase
{
    [Benchmark(Description = "Nabla TF.Linalg.Solve")]
    public int Nabla() => TF.Linalg.Solve(general, rhs).Size;

    [Benchmark(Baseline = true, Description = "TorchSharp linalg.solve")]
    public long Torch()
    {
        using var x = torch.linalg.solve(tGeneral, tRhs);
        return x.numel();
    }
}
