using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>TF.Linalg's decompositions (Qr, Eigh, Eigvalsh, Svd), Lstsq and the matrix 2-norm: reconstructions and
/// orthogonality (sign-free), TensorFlow's conventions (ascending eigenvalues, descending singular values, the lower
/// triangle read, s/u/v order), gradients against closed forms, TensorFlow's inf/NaN at degenerate spectra, the
/// non-differentiable cases and the error messages.</summary>
public class DecompositionTests
{
    private static Tensor Random(int[] shape, int seed, DType dtype = DType.Float64) => RandomNormal(shape, 0, 1, dtype, seed);

    private static Tensor T(Tensor x) => Transpose(x, Enumerable.Range(0, x.Rank - 2).Concat(new[] { x.Rank - 1, x.Rank - 2 }).ToArray());

    private static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        double scale = 1 + (e.Length == 0 ? 0 : e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    private static Tensor EyeLike(Tensor batchOf, int n) =>
        Zeros(batchOf.Shape.Take(batchOf.Rank - 2).Append(n).Append(n).ToArray(), batchOf.DType) + Eye(n, batchOf.DType);

    [Theory]
    [InlineData(DType.Float64, 1e-12, 5, 3, false)]
    [InlineData(DType.Float64, 1e-12, 3, 5, false)]
    [InlineData(DType.Float64, 1e-12, 5, 3, true)]
    [InlineData(DType.Float64, 1e-12, 4, 4, true)]
    [InlineData(DType.Float32, 1e-5, 5, 3, false)]
    [InlineData(DType.Float32, 1e-5, 3, 5, true)]
    public void Qr_ReconstructsWithOrthonormalQAndUpperRWithNonNegativeDiagonal(DType dtype, double tol, int m, int n, bool full)
    {
        var a = Random(new[] { 2, m, n }, 7, dtype);
        var (q, r) = Linalg.Qr(a, fullMatrices: full);
        int k = full ? m : Math.Min(m, n);
        Assert.Equal(new[] { 2, m, k }, q.Shape);
        Assert.Equal(new[] { 2, k, n }, r.Shape);
        Close(a, MatMul(q, r), tol);
        Close(EyeLike(a, k), MatMul(q, q, transposeA: true), tol);
        Close(Linalg.BandPart(r, 0, -1), r, 0);
        Assert.All(Linalg.DiagPart(r).ToArray<double>(), d => Assert.True(d >= 0));
    }

    [Fact]
    public void Qr_GradientOfLogAbsDiagonalIsTheInverseTranspose()
    {
        // |det A| = Π R_ii, so ∇ Σ log R_ii = A^-T (R's diagonal is positive here).
        var a = Random(new[] { 4, 4 }, 3) + Eye(4, DType.Float64) * 4.0;
        using var tape = new GradientTape();
        tape.Watch(a);
        var (_, r) = Linalg.Qr(a);
        var f = ReduceSum(Log(Linalg.DiagPart(r)));
        Close(T(Linalg.Inv(a)), tape.Gradient(f, a)!, 1e-12);
    }

    [Fact]
    public void Qr_FullMatricesWithMoreRowsThanColumnsHasNoGradientAsTensorFlow()
    {
        var a = Random(new[] { 4, 2 }, 5);
        using var tape = new GradientTape();
        tape.Watch(a);
        var (q, _) = Linalg.Qr(a, fullMatrices: true);
        var e = Assert.Throws<ArgumentException>(() => tape.Gradient(ReduceSum(q), a));
        Assert.StartsWith("Qr:", e.Message);
        Assert.Contains("full_matrices", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 2e-5)]
    public void Eigh_AscendingEigenvaluesAndOrthonormalEigenvectors_ReadingOnlyTheLowerTriangle(DType dtype, double tol)
    {
        var x = Random(new[] { 3, 5, 5 }, 11, dtype);
        var a = x + T(x);
        var (e, v) = Linalg.Eigh(a);
        Assert.Equal(new[] { 3, 5 }, e.Shape);
        Close(a, MatMul(v * ExpandDims(e, -2), v, transposeB: true), tol * 10);
        Close(EyeLike(a, 5), MatMul(v, v, transposeA: true), tol * 10);
        var ev = e.ToArray<double>();
        for (int b = 0; b < 3; b++)
            for (int i = 1; i < 5; i++) Assert.True(ev[b * 5 + i] >= ev[b * 5 + i - 1]);
        // Garbage above the diagonal changes nothing (TF reads the lower triangle).
        var garbage = Linalg.BandPart(a, 0, -1) - Linalg.BandPart(a, 0, 0);
        var (e2, v2) = Linalg.Eigh(a + garbage * 100.0);
        Close(e, e2, tol);
        Close(v, v2, tol * 10);
        Close(e, Linalg.Eigvalsh(a), tol);
    }

    [Fact]
    public void Eigh_GradientsMatchClosedFormsOnTheLowerTriangle()
    {
        // Σ e = tr A: gradient I. Σ e² = ‖S‖²_F: 2 S_ii on the diagonal, 4 S_ij below it, 0 above (TF's fold).
        var x = Random(new[] { 4, 4 }, 2);
        var a = x + T(x);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var (e, _) = Linalg.Eigh(a);
        Close(Eye(4, DType.Float64), tape.Gradient(ReduceSum(e), a)!, 1e-12);
        var expected = Linalg.BandPart(a, -1, 0) * 4.0 - Linalg.BandPart(a, 0, 0) * 2.0;
        Close(expected, tape.Gradient(ReduceSum(Square(e)), a)!, 1e-12);
        Close(expected, tape.Gradient(ReduceSum(Square(Linalg.Eigvalsh(a))), a)!, 1e-12);
    }

    [Fact]
    public void Eigh_RepeatedEigenvaluesGiveNonFiniteEigenvectorGradientsAsTensorFlow_EigvalshStaysFinite()
    {
        var a = Constant(new[,] { { 2.0, 0.0, 0.0 }, { 0.0, 2.0, 0.0 }, { 0.0, 0.0, 5.0 } });
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var (_, v) = Linalg.Eigh(a);
        var w = Constant(new[] { 1.0, 2.0, 3.0 });
        var f = ReduceSum(MatMul(v * w, v, transposeB: true));
        Assert.Contains(tape.Gradient(f, a)!.ToArray<double>(), g => !double.IsFinite(g));
        Close(Eye(3, DType.Float64), tape.Gradient(ReduceSum(Linalg.Eigvalsh(a)), a)!, 1e-12);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12, 5, 3)]
    [InlineData(DType.Float64, 1e-12, 3, 5)]
    [InlineData(DType.Float32, 2e-5, 5, 3)]
    [InlineData(DType.Float32, 2e-5, 3, 5)]
    public void Svd_ReturnsSThenUThenVAsTensorFlow_ReconstructingTheMatrix(DType dtype, double tol, int m, int n)
    {
        var a = Random(new[] { 2, m, n }, 13, dtype);
        int k = Math.Min(m, n);
        var (s, u, v) = Linalg.Svd(a);
        Assert.Equal(new[] { 2, k }, s.Shape);
        Assert.Equal(new[] { 2, m, k }, u!.Shape);
        Assert.Equal(new[] { 2, n, k }, v!.Shape);
        Close(a, MatMul(u * ExpandDims(s, -2), v, transposeB: true), tol * 10);
        Close(EyeLike(a, k), MatMul(u, u, transposeA: true), tol * 10);
        Close(EyeLike(a, k), MatMul(v, v, transposeA: true), tol * 10);
        var sv = s.ToArray<double>();
        for (int b = 0; b < 2; b++)
            for (int i = 1; i < k; i++) Assert.True(sv[b * k + i] <= sv[b * k + i - 1]);
        var (s2, u2, v2) = Linalg.Svd(a, computeUv: false);
        Assert.Null(u2);
        Assert.Null(v2);
        Close(s, s2, tol);
        var (s3, uf, vf) = Linalg.Svd(a, fullMatrices: true);
        Assert.Equal(new[] { 2, m, m }, uf!.Shape);
        Assert.Equal(new[] { 2, n, n }, vf!.Shape);
        Close(EyeLike(a, m), MatMul(uf, uf, transposeA: true), tol * 10);
        Close(EyeLike(a, n), MatMul(vf, vf, transposeA: true), tol * 10);
        Close(s, s3, tol);
    }

    [Fact]
    public void Svd_NuclearNormGradientIsUVTransposedAndTwoNormGradientIsU1V1Transposed()
    {
        var a = Random(new[] { 5, 3 }, 17);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var (s, u, v) = Linalg.Svd(a);
        var nuclear = ReduceSum(Linalg.Svd(a, computeUv: false).S);
        Close(MatMul(u!, v!, transposeB: true), tape.Gradient(nuclear, a)!, 1e-12);
        var two = Norm(a, 2, new[] { 0, 1 });
        Assert.Equal(s.ToArray<double>()[0], two.ToDouble(), 12);
        var u1 = Slice(u!, new[] { 0, 0 }, new[] { 5, 1 });
        var v1 = Slice(v!, new[] { 0, 0 }, new[] { 3, 1 });
        Close(MatMul(u1, v1, transposeB: true), tape.Gradient(two, a)!, 1e-12);
        // Through U and V: Σ of U diag(s) V^T is Σ A, whose gradient is all ones.
        Close(OnesLike(a), tape.Gradient(ReduceSum(MatMul(u! * ExpandDims(s, -2), v!, transposeB: true)), a)!, 1e-12);
    }

    [Fact]
    public void Svd_FullMatricesOfANonSquareMatrixHasNoGradientAsTensorFlow()
    {
        var a = Random(new[] { 4, 2 }, 19);
        using var tape = new GradientTape();
        tape.Watch(a);
        var (_, u, _) = Linalg.Svd(a, fullMatrices: true);
        var e = Assert.Throws<ArgumentException>(() => tape.Gradient(ReduceSum(u!), a));
        Assert.StartsWith("Svd:", e.Message);
        Assert.Contains("full_matrices", e.Message);
    }

    [Fact]
    public void Decompositions_OfNaNGiveNaN()
    {
        var a = Constant(new[,] { { 1.0, double.NaN }, { 2.0, 3.0 } });
        Assert.All(Linalg.Svd(a).S.ToArray<double>(), x => Assert.True(double.IsNaN(x)));
        Assert.All(Linalg.Qr(a).R.ToArray<double>(), x => Assert.True(double.IsNaN(x)));
        Assert.All(Linalg.Eigh(T(a)).Eigenvalues.ToArray<double>(), x => Assert.True(double.IsNaN(x)));
        // Only the lower triangle is read: the NaN above the diagonal is ignored.
        Assert.All(Linalg.Eigh(a).Eigenvalues.ToArray<double>(), x => Assert.False(double.IsNaN(x)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Lstsq_OverdeterminedMatchesTheNormalEquations_UnderdeterminedGivesTheMinimumNorm(bool fast)
    {
        var a = Random(new[] { 2, 6, 3 }, 23);
        var b = Random(new[] { 2, 6, 2 }, 29);
        var x = Linalg.Lstsq(a, b, fast: fast);
        Close(Linalg.Solve(MatMul(a, a, transposeA: true), MatMul(a, b, transposeA: true)), x, 1e-11);
        var w = T(a);                                           // 3 x 6: underdetermined
        var c = Random(new[] { 2, 3, 2 }, 31);
        var y = Linalg.Lstsq(w, c, fast: fast);
        Close(c, MatMul(w, y), 1e-11);
        Close(MatMul(w, Linalg.Solve(MatMul(w, w, transposeB: true), c), transposeA: true), y, 1e-11);
    }

    [Fact]
    public void Lstsq_RegularisedAndRankDeficientAsTensorFlow()
    {
        var i2 = Eye(2, DType.Float64);
        var b = Constant(new[,] { { 2.0 }, { 4.0 } });
        Close(b * 0.5, Linalg.Lstsq(i2, b, l2Regularizer: 1.0), 1e-14);
        var rankOne = Constant(new[,] { { 1.0, 1.0 }, { 1.0, 1.0 } });
        var zeroColumn = Constant(new[,] { { 1.0, 0.0 }, { 1.0, 0.0 } });  // AᵀA has an exact zero pivot
        var e = Assert.Throws<ArgumentException>(() => Linalg.Lstsq(zeroColumn, b));
        Assert.StartsWith("Lstsq:", e.Message);
        Assert.Contains("positive definite", e.Message);
        // fast=false: the minimum-norm solution of [1 1; 1 1] x = [3; 3] is [1.5; 1.5].
        Close(Constant(new[,] { { 1.5 }, { 1.5 } }), Linalg.Lstsq(rankOne, Constant(new[,] { { 3.0 }, { 3.0 } }), fast: false), 1e-12);
    }

    [Fact]
    public void Lstsq_GradientMatchesTheSolveComposite()
    {
        var a = Random(new[] { 5, 3 }, 37);
        var b = Random(new[] { 5, 1 }, 41);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var f = ReduceSum(Square(Linalg.Lstsq(a, b)));
        var g = ReduceSum(Square(Linalg.Solve(MatMul(a, a, transposeA: true), MatMul(a, b, transposeA: true))));
        Close(tape.Gradient(g, a)!, tape.Gradient(f, a)!, 1e-10);
        var h = ReduceSum(Square(Linalg.Lstsq(a, b, fast: false)));
        Close(tape.Gradient(g, a)!, tape.Gradient(h, a)!, 1e-10);
    }

    [Fact]
    public void Decompositions_RejectBadInputNamingTheOpAndShapes()
    {
        var v = Constant(new[] { 1.0, 2.0 });
        Assert.Contains("Qr", Assert.Throws<ArgumentException>(() => Linalg.Qr(v)).Message);
        Assert.Contains("[2]", Assert.Throws<ArgumentException>(() => Linalg.Svd(v)).Message);
        var e = Assert.Throws<ArgumentException>(() => Linalg.Eigh(Zeros(new[] { 2, 3 }, DType.Float64)));
        Assert.StartsWith("Eigh:", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("Int32", Assert.Throws<ArgumentException>(() => Linalg.Svd(Constant(new[,] { { 1, 2 } }))).Message);
        var l = Assert.Throws<ArgumentException>(() => Linalg.Lstsq(Zeros(new[] { 3, 2 }, DType.Float64), Zeros(new[] { 4, 1 }, DType.Float64)));
        Assert.StartsWith("Lstsq:", l.Message);
        Assert.Contains("3 rows", l.Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => Linalg.Lstsq(Eye(2, DType.Float64), Zeros(new[] { 2, 1 }, DType.Float64), -1)).Message);
    }
}
