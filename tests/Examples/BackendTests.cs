using MathNet.Numerics.Providers.LinearAlgebra;
using Xunit;

namespace Nabla.Examples;

/// <summary>Runs after the parallel tests: some of these tests switch the process-wide provider.</summary>
[CollectionDefinition("Backend", DisableParallelization = true)]
public sealed class BackendCollection { }

/// <summary>
/// The backend: provider selection from the environment, the diagnostic, explicit failures, and native
/// results against references. build.fsx runs these under NABLA_PROVIDER=managed, =mkl (the MKL fetched by
/// `build.fsx mkl`) and =cblas (Debian's OpenBLAS), so each pass checks that its provider really is in use.
/// </summary>
[Collection("Backend")]
public sealed class BackendTests
{
    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string Requested => (Env("NABLA_PROVIDER") ?? "auto").ToLowerInvariant();

    /// <summary>Back to the provider the environment asked for (tests that switch call this at the end).</summary>
    private static void RestoreEnvironmentProvider()
    {
        switch (Requested)
        {
            case "managed": Backend.UseManaged(); break;
            case "mkl": Backend.UseMkl(Env("NABLA_MKL_PATH")); break;
            case "cblas": Backend.UseCblas(Env("NABLA_BLAS_PATH")!); break;
            default:
                if (Env("NABLA_BLAS_PATH") is { } p) Backend.UseCblas(p);
                else try { Backend.UseMkl(Env("NABLA_MKL_PATH")); } catch (InvalidOperationException) { Backend.UseManaged(); }
                break;
        }
    }

    /// <summary>Nabla sets no GC option: an application that references it runs with .NET's defaults (or its own
    /// settings), and the diagnostic says so. The runtime configuration of this test project, which references Nabla
    /// like an application, carries neither option.</summary>
    [Fact]
    public void NoGcSettings_ReachTheApplication_AndDescribeSaysSo()
    {
        Assert.Null(AppContext.GetData("System.GC.LOHThreshold"));
        Assert.Null(AppContext.GetData("System.GC.RegionSize"));
        var gc = Backend.Describe().Split(Environment.NewLine).Single(l => l.StartsWith("GC: "));
        if (Environment.GetEnvironmentVariable("DOTNET_GCLOHThreshold") is null && Environment.GetEnvironmentVariable("DOTNET_GCRegionSize") is null)
        {
            Assert.Contains("large-object threshold 85000 B", gc);
            Assert.Contains(".NET's defaults", gc);
        }
    }

    [Fact]
    public void Provider_IsTheOneTheEnvironmentAsksFor()
    {
        var provider = Backend.Provider;
        switch (Requested)
        {
            case "auto":
                Assert.Contains(provider, new[] { "managed", "mkl", "cblas" });
                break;
            default:
                Assert.Equal(Requested, provider);
                break;
        }
    }

    [Fact]
    public void Describe_NamesProviderLibraryVersionThreadsAndHowItWasChosen()
    {
        var text = Backend.Describe();
        Assert.Contains($"provider {Backend.Provider}", text);
        Assert.Contains($"threads: {Backend.Threads}", text);
        Assert.Contains("how it was chosen:", text);
        switch (Backend.Provider)
        {
            case "mkl":
                Assert.Contains("libmkl_rt.so", text);
                Assert.Contains("version: Intel(R) Math Kernel Library", text);
                Assert.Matches("MKL threading layer: (gnu|sequential)", text);
                break;
            case "cblas":
                Assert.Contains(Env("NABLA_BLAS_PATH") ?? "library:", text);
                Assert.Contains("version: OpenBLAS", text);
                break;
            default:
                Assert.Contains("MathNet managed provider", text);
                break;
        }
    }

    [Fact]
    public void UseMkl_WithAMissingLibrary_ThrowsTheDiagnostic_AndKeepsTheProvider()
    {
        var before = Backend.Provider;
        var missing = Path.Combine(Path.GetTempPath(), "nabla-no-such-dir", "libmkl_rt.so");
        var ex = Assert.Throws<InvalidOperationException>(() => Backend.UseMkl(missing));
        Assert.Contains($"{missing}: not found", ex.Message);
        Assert.StartsWith("Nabla backend:", ex.Message);
        Assert.Contains("UseMkl: MKL did not load; the provider in use is unchanged", ex.Message);
        Assert.Equal(before, Backend.Provider);
    }

    [Fact]
    public void UseMkl_WithoutMklsOtherLibrariesBesideIt_RefusesBeforeMklCanEndTheProcess()
    {
        // MKL exits the process when libmkl_core/libmkl_intel_lp64 are missing; the loader must check first.
        var dir = Directory.CreateTempSubdirectory("nabla-fake-mkl-");
        try
        {
            var fake = Path.Combine(dir.FullName, "libmkl_rt.so");
            File.WriteAllText(fake, "not a library");
            var ex = Assert.Throws<InvalidOperationException>(() => Backend.UseMkl(dir.FullName));
            Assert.Contains("libmkl_core.so and libmkl_intel_lp64.so missing beside it", ex.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void UseCblas_WithALibraryThatHasNoCblas_ThrowsNamingTheMissingEntryPoints()
    {
        var before = Backend.Provider;
        var ex = Assert.Throws<InvalidOperationException>(() => Backend.UseCblas("libc.so.6"));
        Assert.Contains("libc.so.6: loaded, but it does not export cblas_dgemm", ex.Message);
        Assert.Equal(before, Backend.Provider);
        Assert.Throws<ArgumentException>(() => Backend.UseCblas(" "));
    }

    [Fact]
    public void UseCblas_WithAFileThatIsNotALibrary_ThrowsTheLoadersMessage()
    {
        var path = Path.Combine(Path.GetTempPath(), "nabla-not-a-library.so");
        File.WriteAllText(path, "text");
        var ex = Assert.Throws<InvalidOperationException>(() => Backend.UseCblas(path));
        Assert.Contains($"{path}: failed to load", ex.Message);
    }

    [Fact]
    public void Threads_RoundTrips_AndRejectsZero()
    {
        var before = Backend.Threads;
        try
        {
            Backend.Threads = 1;
            Assert.Equal(1, Backend.Threads);
            Assert.Contains("threads: 1", Backend.Describe());
            Assert.Throws<ArgumentException>(() => Backend.Threads = 0);
            Assert.Equal(1, Backend.Threads);
        }
        finally { Backend.Threads = before; }
    }

    [Fact]
    public void UseManaged_Switches_AndProductsStillAgree()
    {
        try
        {
            var a = Matrix(DType.Float64, 5, 4, 1);
            var b = Matrix(DType.Float64, 4, 3, 2);
            var before = TF.MatMul(a, b).ToArray<double>();
            Backend.UseManaged();
            Assert.Equal("managed", Backend.Provider);
            var after = TF.MatMul(a, b).ToArray<double>();
            AssertClose(before, after, 1e-12);
        }
        finally { RestoreEnvironmentProvider(); }
        if (Requested != "auto") Assert.Equal(Requested, Backend.Provider);
    }

    public static IEnumerable<object[]> GemmCases()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    foreach (var (m, k, n) in new[] { (7, 5, 3), (1, 9, 4), (6, 8, 1), (1, 3, 1), (64, 33, 17), (3, 0, 2) })
                        yield return new object[] { dtype, ta, tb, m, k, n };
    }

    /// <summary>TF.MatMul under the current provider (gemm, gemv for a vector operand) against a plain loop in double.</summary>
    [Theory]
    [MemberData(nameof(GemmCases))]
    public void MatMul_AllTransposeFlags_MatchesAReferenceLoop(DType dtype, bool transposeA, bool transposeB, int m, int k, int n)
    {
        var a = transposeA ? Matrix(dtype, k, m, 3) : Matrix(dtype, m, k, 3);
        var b = transposeB ? Matrix(dtype, n, k, 4) : Matrix(dtype, k, n, 4);
        var c = TF.MatMul(a, b, transposeA, transposeB);
        Assert.Equal(new[] { m, n }, c.Shape);
        Assert.Equal(dtype, c.DType);
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (transposeA ? av[p * m + i] : av[i * k + p]) * (transposeB ? bv[j * k + p] : bv[p * n + j]);
                expected[i * n + j] = s;
            }
        AssertClose(expected, c.ToArray<double>(), dtype == DType.Float32 ? 1e-5 : 1e-13);
    }

    /// <summary>The provider's accelerated methods (gemm with alpha and beta, dot, axpy, scal) against MathNet's managed provider.</summary>
    [Fact]
    public void AcceleratedMethods_MatchMathNetsManagedProvider()
    {
        var provider = Core.Backend.linearAlgebra();
        var managed = (ILinearAlgebraProvider)ManagedLinearAlgebraProvider.Instance;
        var rng = new Random(11);
        double[] D(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        float[] F(double[] x) => x.Select(v => (float)v).ToArray();

        foreach (var ta in new[] { Transpose.DontTranspose, Transpose.Transpose })
            foreach (var tb in new[] { Transpose.DontTranspose, Transpose.Transpose })
            {
                // column-major: op(A) is 6 x 4, op(B) is 4 x 5
                var (ra, ca) = ta == Transpose.DontTranspose ? (6, 4) : (4, 6);
                var (rb, cb) = tb == Transpose.DontTranspose ? (4, 5) : (5, 4);
                var a = D(24); var b = D(20); var c0 = D(30);
                var c1 = (double[])c0.Clone(); var c2 = (double[])c0.Clone();
                provider.MatrixMultiplyWithUpdate(ta, tb, 0.7, a, ra, ca, b, rb, cb, -1.3, c1);
                managed.MatrixMultiplyWithUpdate(ta, tb, 0.7, a, ra, ca, b, rb, cb, -1.3, c2);
                AssertClose(c2, c1, 1e-13);
                var f1 = F(c0); var f2 = F(c0);
                provider.MatrixMultiplyWithUpdate(ta, tb, 0.7f, F(a), ra, ca, F(b), rb, cb, -1.3f, f1);
                managed.MatrixMultiplyWithUpdate(ta, tb, 0.7f, F(a), ra, ca, F(b), rb, cb, -1.3f, f2);
                AssertClose(f2.Select(v => (double)v).ToArray(), f1.Select(v => (double)v).ToArray(), 1e-5);
            }

        var x = D(1000); var y = D(1000);
        Assert.Equal(managed.DotProduct(x, y), provider.DotProduct(x, y), 1e-11);
        Assert.Equal(managed.DotProduct(F(x), F(y)), provider.DotProduct(F(x), F(y)), 1e-3);
        var r1 = new double[1000]; var r2 = new double[1000];
        provider.AddVectorToScaledVector(y, 2.5, x, r1);
        managed.AddVectorToScaledVector(y, 2.5, x, r2);
        AssertClose(r2, r1, 1e-14);
        provider.ScaleArray(-0.5, x, r1);
        managed.ScaleArray(-0.5, x, r2);
        AssertClose(r2, r1, 1e-15);
        var s1 = new float[1000]; var s2 = new float[1000];
        provider.AddVectorToScaledVector(F(y), 2.5f, F(x), s1);
        managed.AddVectorToScaledVector(F(y), 2.5f, F(x), s2);
        AssertClose(s2.Select(v => (double)v).ToArray(), s1.Select(v => (double)v).ToArray(), 1e-6);
        Assert.ThrowsAny<ArgumentException>(() => provider.MatrixMultiplyWithUpdate(
            Transpose.DontTranspose, Transpose.DontTranspose, 1.0, new double[6], 2, 3, new double[6], 2, 3, 0.0, new double[4]));
    }

    [Fact]
    public void Gradient_OfAMatMulChain_AgreesWithTheClosedForm()
    {
        // d/dW sum(X W) = X^T 1: exercises the transposed products of the VJP on the current provider.
        var x = Matrix(DType.Float64, 8, 5, 5);
        var w = new Variable(Matrix(DType.Float64, 5, 3, 6));
        using var tape = new GradientTape();
        var y = TF.ReduceSum(TF.MatMul(x, w));
        var g = tape.Gradient(y, w)!.ToArray<double>();
        var xv = x.ToArray<double>();
        for (int p = 0; p < 5; p++)
        {
            double colSum = 0;
            for (int i = 0; i < 8; i++) colSum += xv[i * 5 + p];
            for (int j = 0; j < 3; j++) Assert.Equal(colSum, g[p * 3 + j], 12);
        }
    }

    private static Tensor Matrix(DType dtype, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var v = Enumerable.Range(0, rows * cols).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var t = new Tensor(Core.Combinators.constant(Core.Storage.ofArray(new[] { rows, cols }, v)));
        return TF.Cast(t, dtype);
    }

    private static void AssertClose(double[] expected, double[] actual, double rtol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var tol = rtol * Math.Max(1.0, Math.Abs(expected[i])) * 10;
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:G3})");
        }
    }
}
