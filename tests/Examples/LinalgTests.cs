using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>TF.Linalg: values against reconstruction identities on batched inputs, TensorFlow's singular and
/// non-positive-definite behaviour, gradients against closed forms, and error messages.</summary>
public class LinalgTests
{
    private static Tensor Random(int[] shape, int seed, DType dtype = DType.Float64) =>
        RandomNormal(shape, 0, 1, dtype, seed);

    private static Tensor Identity(int n, DType dtype) => Eye(n, dtype);

    /// <summary>X Xᵀ + n I: symmetric positive definite, well conditioned.</summary>
    private static Tensor Spd(int[] batch, int n, int seed, DType dtype = DType.Float64)
    {
        var x = Random(batch.Append(n).Append(n).ToArray(), seed, dtype);
        return MatMul(x, x, transposeB: true) + Identity(n, dtype) * Constant((double)n, dtype);
    }

    /// <summary>X + 3 √n I: comfortably invertible.</summary>
    private static Tensor Invertible(int[] batch, int n, int seed, DType dtype = DType.Float64) =>
        Random(batch.Append(n).Append(n).ToArray(), seed, dtype) + Identity(n, dtype) * Constant(3.0 * Math.Sqrt(n), dtype);

    private static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        double scale = 1 + e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    private static Tensor T(Tensor x) => Transpose(x, Enumerable.Range(0, x.Rank - 2).Concat(new[] { x.Rank - 1, x.Rank - 2 }).ToArray());

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-5)]
    public void Cholesky_BatchedFactorIsLowerAndReconstructs(DType dtype, double tol)
    {
        var a = Spd(new[] { 2, 3 }, 7, 1, dtype);
        var l = Linalg.Cholesky(a);
        Assert.Equal(new[] { 2, 3, 7, 7 }, l.Shape);
        Assert.Equal(dtype, l.DType);
        Close(a, MatMul(l, l, transposeB: true), tol);
        var v = l.ToArray<double>();
        for (int i = 0; i < v.Length; i++)
            if ((i % 49) / 7 < i % 7) Assert.Equal(0.0, v[i]);
            else if ((i % 49) / 7 == i % 7) Assert.True(v[i] > 0);
    }

    [Fact]
    public void Cholesky_ReadsOnlyTheLowerTriangle()
    {
        var a = Constant(new[,] { { 4.0, 100.0 }, { 2.0, 5.0 } });
        Close(Constant(new[,] { { 2.0, 0.0 }, { 1.0, 2.0 } }), Linalg.Cholesky(a), 1e-15);
    }

    [Fact]
    public void Cholesky_NotPositiveDefiniteRaisesNamingTheOp()
    {
        var a = Constant(new[,] { { 1.0, 2.0 }, { 2.0, 1.0 } });
        var e = Assert.Throws<ArgumentException>(() => Linalg.Cholesky(a));
        Assert.Contains("Cholesky", e.Message);
        Assert.Contains("not symmetric positive definite", e.Message);
        Assert.Throws<ArgumentException>(() => Linalg.LogDet(a));
    }

    [Theory]
    [InlineData(DType.Float64, false, 1e-12)]
    [InlineData(DType.Float64, true, 1e-12)]
    [InlineData(DType.Float32, false, 1e-5)]
    [InlineData(DType.Float32, true, 1e-5)]
    public void Solve_BatchedSolutionSatisfiesTheSystem(DType dtype, bool adjoint, double tol)
    {
        var a = Invertible(new[] { 2, 3 }, 6, 2, dtype);
        var b = Random(new[] { 2, 3, 6, 4 }, 3, dtype);
        var x = Linalg.Solve(a, b, adjoint);
        Assert.Equal(new[] { 2, 3, 6, 4 }, x.Shape);
        Close(b, MatMul(adjoint ? T(a) : a, x), tol);
    }

    [Fact]
    public void Solve_BroadcastsBatchAxes()
    {
        var a = Invertible(new[] { 3 }, 4, 4);
        var b = Random(new[] { 2, 1, 4, 2 }, 5);
        var x = Linalg.Solve(a, b);
        Assert.Equal(new[] { 2, 3, 4, 2 }, x.Shape);
        Close(b + Zeros(new[] { 2, 3, 4, 2 }, DType.Float64), MatMul(a, x), 1e-12);
    }

    [Fact]
    public void Solve_SingularMatrixRaisesAsTensorFlow()
    {
        var a = Constant(new[,] { { 1.0, 2.0 }, { 2.0, 4.0 } });
        var e = Assert.Throws<ArgumentException>(() => Linalg.Solve(a, Constant(new[,] { { 1.0 }, { 1.0 } })));
        Assert.Contains("Solve", e.Message);
        Assert.Contains("not invertible", e.Message);
        Assert.Throws<ArgumentException>(() => Linalg.Inv(a));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void TriangularSolve_UsesOnlyItsTriangle(bool lower, bool adjoint)
    {
        var full = Invertible(new[] { 2 }, 5, 6);
        var tri = lower ? Linalg.BandPart(full, -1, 0) : Linalg.BandPart(full, 0, -1);
        var b = Random(new[] { 2, 5, 3 }, 7);
        var x = Linalg.TriangularSolve(full, b, lower, adjoint);
        Close(b, MatMul(adjoint ? T(tri) : tri, x), 1e-12);
    }

    [Fact]
    public void CholeskySolve_SolvesTheSpdSystem()
    {
        var a = Spd(new[] { 2, 3 }, 5, 8);
        var b = Random(new[] { 2, 3, 5, 2 }, 9);
        var x = Linalg.CholeskySolve(Linalg.Cholesky(a), b);
        Close(b, MatMul(a, x), 1e-12);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-5)]
    public void Inv_TimesMatrixIsIdentity(DType dtype, double tol)
    {
        var a = Invertible(new[] { 2, 3 }, 6, 10, dtype);
        Close(Identity(6, dtype) + Zeros(new[] { 2, 3, 6, 6 }, dtype), MatMul(a, Linalg.Inv(a)), tol);
        Close(Identity(6, dtype) + Zeros(new[] { 2, 3, 6, 6 }, dtype), MatMul(T(a), Linalg.Inv(a, adjoint: true)), tol);
    }

    [Fact]
    public void Determinants_KnownValuesAndSingularAsTensorFlow()
    {
        var a = Constant(new[,] { { 2.0, 1.0 }, { 1.0, 3.0 } });
        Assert.Equal(5.0, Linalg.Det(a).ToDouble(), 12);
        Assert.Equal(Math.Log(5.0), Linalg.LogDet(a).ToDouble(), 12);
        var swap = Constant(new[,] { { 0.0, 2.0 }, { 3.0, 0.0 } });
        Assert.Equal(-6.0, Linalg.Det(swap).ToDouble(), 12);
        var (sign, logAbs) = Linalg.Slogdet(swap);
        Assert.Equal(-1.0, sign.ToDouble());
        Assert.Equal(Math.Log(6.0), logAbs.ToDouble(), 12);
        var singular = Constant(new[,] { { 1.0, 2.0 }, { 2.0, 4.0 } });
        Assert.Equal(0.0, Linalg.Det(singular).ToDouble());
        var (s0, l0) = Linalg.Slogdet(singular);
        Assert.Equal(0.0, s0.ToDouble());
        Assert.Equal(double.NegativeInfinity, l0.ToDouble());
        Assert.Equal(DType.Float64, s0.DType);
    }

    [Fact]
    public void Determinants_BatchedAgreeWithEachOther()
    {
        var a = Spd(new[] { 2, 3 }, 5, 11);
        var det = Linalg.Det(a);
        Assert.Equal(new[] { 2, 3 }, det.Shape);
        Close(Log(det), Linalg.LogDet(a), 1e-12);
        Close(Log(det), Linalg.Slogdet(a).LogAbsDeterminant, 1e-12);
    }

    [Fact]
    public void Gradients_MatchClosedForms()
    {
        var a = Spd(new[] { 3 }, 4, 12);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var logdet = ReduceSum(Linalg.LogDet(a));
        var logAbs = ReduceSum(Linalg.Slogdet(a).LogAbsDeterminant);
        var det = Linalg.Det(a);
        var detSum = ReduceSum(det);
        var inv = Linalg.Inv(a);
        Close(T(inv), tape.Gradient(logdet, a)!, 1e-12);                         // d log det A = A⁻ᵀ (A symmetric)
        Close(T(inv), tape.Gradient(logAbs, a)!, 1e-12);
        Close(Reshape(det, 3, 1, 1) * T(inv), tape.Gradient(detSum, a)!, 1e-10);   // d det A = det A · A⁻ᵀ
        var trace = ReduceSum(Linalg.Trace(a));
        Close(Identity(4, DType.Float64) + Zeros(new[] { 3, 4, 4 }, DType.Float64), tape.Gradient(trace, a)!, 0);
    }

    [Fact]
    public void DiagDiagPartTraceBandPart_Values()
    {
        var m = Constant(new[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } });
        Assert.Equal(new[] { 1.0, 5.0 }, Linalg.DiagPart(m).ToArray<double>());
        Assert.Equal(6.0, Linalg.Trace(m).ToDouble());
        Assert.Equal(new[] { 1.0, 2.0, 0.0, 4.0, 5.0, 6.0 }, Linalg.BandPart(m, 1, 1).ToArray<double>());
        Assert.Equal(new[] { 1.0, 0.0, 0.0, 4.0, 5.0, 0.0 }, Linalg.BandPart(m, -1, 0).ToArray<double>());
        var d = Linalg.Diag(Constant(new[,] { { 1.0, double.NaN }, { 3.0, 4.0 } }));
        Assert.Equal(new[] { 2, 2, 2 }, d.Shape);
        Assert.Equal(new[] { 1.0, 0.0, 0.0, double.NaN, 3.0, 0.0, 0.0, 4.0 }, d.ToArray<double>());
        var ints = Constant(new[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(5, Linalg.Trace(ints).ToArray<int>()[0]);
        Assert.Equal(DType.Int32, Linalg.BandPart(ints, 0, 0).DType);
    }

    [Fact]
    public void Errors_NameTheOpAndTheShapes()
    {
        var rect = Zeros(new[] { 2, 3 }, DType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => Linalg.Cholesky(rect));
        Assert.Contains("Cholesky", e1.Message);
        Assert.Contains("[2, 3]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Linalg.Det(Zeros(new[] { 3 }, DType.Float64)));
        Assert.Contains("Det", e2.Message);
        Assert.Contains("rank >= 2", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Linalg.Solve(Eye(3, DType.Float64), Zeros(new[] { 2, 1 }, DType.Float64)));
        Assert.Contains("Solve", e3.Message);
        Assert.Contains("[3, 3]", e3.Message);
        Assert.Contains("[2, 1]", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => Linalg.Inv(Constant(new[,] { { 1, 0 }, { 0, 1 } })));
        Assert.Contains("Inv", e4.Message);
        Assert.Contains("Int32", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() =>
            Linalg.TriangularSolve(Zeros(new[] { 2, 3, 3 }, DType.Float64), Zeros(new[] { 4, 3, 1 }, DType.Float64)));
        Assert.Contains("TriangularSolve", e5.Message);
        Assert.Contains("do not broadcast", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => Linalg.Solve(Eye(2, DType.Float64), Zeros(new[] { 2, 1 }, DType.Float32)));
        Assert.Contains("Float32", e6.Message);
    }

    [Fact]
    public void Norm_ValuesAsTensorFlow()
    {
        var v = Constant(new[] { 3.0, -4.0 });
        Assert.Equal(5.0, Norm(v).ToDouble(), 14);
        Assert.Equal(7.0, Norm(v, 1).ToDouble(), 14);
        Assert.Equal(4.0, Norm(v, double.PositiveInfinity).ToDouble(), 14);
        Assert.Equal(Math.Pow(27 + 64, 1.0 / 3), Norm(v, 3).ToDouble(), 12);
        var m = Constant(new[,] { { 1.0, -2.0 }, { 3.0, 4.0 } });
        Assert.Equal(Math.Sqrt(30), Norm(m).ToDouble(), 14);                             // axis null: all elements
        Assert.Equal(Math.Sqrt(30), Norm(m, "fro", new[] { 0, 1 }).ToDouble(), 14);
        Assert.Equal(6.0, Norm(m, 1, new[] { -2, -1 }).ToDouble(), 14);                 // largest column sum
        Assert.Equal(7.0, Norm(m, "inf", new[] { 0, 1 }).ToDouble(), 14);               // largest row sum
        Assert.Equal(new[] { Math.Sqrt(5), 5.0 }, Norm(m, axis: new[] { 1 }).ToArray<double>());
        var kept = Linalg.Norm(m, 1, new[] { 0 }, keepdims: true);
        Assert.Equal(new[] { 1, 2 }, kept.Shape);
        Assert.Equal(new[] { 4.0, 6.0 }, kept.ToArray<double>());
    }

    [Fact]
    public void Norm_GradientAtZeroIsNaNAsTensorFlowAndOneNormUsesSignZero()
    {
        var z = Constant(new[] { 0.0, 0.0 });
        using var tape = new GradientTape(persistent: true);
        tape.Watch(z);
        var two = Norm(z);
        var one = Norm(z, 1);
        Assert.All(tape.Gradient(two, z)!.ToArray<double>(), g => Assert.True(double.IsNaN(g)));
        Assert.Equal(new[] { 0.0, 0.0 }, tape.Gradient(one, z)!.ToArray<double>());
    }

    [Fact]
    public void Norm_UnsupportedOrdsRaiseNamingTheOp()
    {
        var v = Constant(new[] { 1.0, 2.0 });
        var m = Constant(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } });
        Assert.Contains("Norm", Assert.Throws<ArgumentException>(() => Norm(v, "fro")).Message);
        Assert.Contains("matrix norm", Assert.Throws<ArgumentException>(() => Norm(m, 3, new[] { 0, 1 })).Message);
        Assert.Contains("Norm", Assert.Throws<ArgumentException>(() => Norm(v, 0)).Message);
        Assert.Contains("Norm", Assert.Throws<ArgumentException>(() => Norm(v, -1)).Message);
        Assert.Contains("Norm", Assert.Throws<ArgumentException>(() => Norm(m, "euclidean", new[] { 1, 1 })).Message);
        Assert.Contains("Int32", Assert.Throws<ArgumentException>(() => Norm(Constant(new[] { 1, 2 }))).Message);
    }
}
