using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>The arithmetic, element-wise math, MatMul, reduction, shape and cast ops under a tape, against derivatives
/// worked out by hand.</summary>
public class OpsGradientTests
{
    private static double[] Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var t = new GradientTape();
        t.Watch(x);
        return t.Gradient(f(x), x)!.ToArray<double>();
    }

    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void Elementwise()
    {
        var x = TF.Constant(new[] { 0.5, 1.5 });
        Close(new[] { Math.Exp(0.5), Math.Exp(1.5) }, Grad(TF.Exp, x));
        Close(new[] { 2.0, 1 / 1.5 }, Grad(TF.Log, x));
        Close(new[] { Math.Cos(0.5), Math.Cos(1.5) }, Grad(TF.Sin, x));
        Close(new[] { -Math.Sin(0.5), -Math.Sin(1.5) }, Grad(TF.Cos, x));
        Close(new[] { 1 - Math.Pow(Math.Tanh(0.5), 2), 1 - Math.Pow(Math.Tanh(1.5), 2) }, Grad(TF.Tanh, x));
        Close(new[] { 1.0, 3.0 }, Grad(TF.Square, x));
        Close(new[] { -1.0, -1.0 }, Grad(TF.Negative, x));
        Close(new[] { -4.0, -1 / 2.25 }, Grad(v => 1.0 / v, x));
    }

    [Fact]
    public void BroadcastingAddSumsTheAdjointBack()
    {
        var b = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        var m = TF.Ones(new[] { 4, 3 }, DType.Float64);
        Assert.Equal(new[] { 4.0, 4.0, 4.0 }, Grad(v => m + v, b));
        Assert.Equal(new[] { -4.0, -4.0, -4.0 }, Grad(v => m - v, b));
    }

    [Fact]
    public void MatMulGradients()
    {
        var a = TF.Constant(new double[,] { { 1, 2 }, { 3, 4 } });
        var b = TF.Constant(new double[,] { { 5, 6 }, { 7, 8 } });
        // d sum(A B)/dA = 1 B^T: each row is the row sums of B.
        Assert.Equal(new[] { 11.0, 15.0, 11.0, 15.0 }, Grad(v => TF.MatMul(v, b), a));
        // d sum(A B)/dB = A^T 1: row k holds the k-th column sum of A.
        Assert.Equal(new[] { 4.0, 4.0, 6.0, 6.0 }, Grad(v => TF.MatMul(a, v), b));
        Assert.Equal(new[] { 11.0, 11.0, 15.0, 15.0 }, Grad(v => TF.MatMul(v, b, transposeA: true), a));
    }

    [Fact]
    public void Reductions()
    {
        var x = TF.Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 3 }, TF.ReduceSum(x, 0).Shape);
        Assert.Equal(new[] { 2, 1 }, TF.ReduceSum(x, -1, keepDims: true).Shape);
        Assert.Equal(new[] { 6.0, 15.0 }, TF.ReduceSum(x, 1).ToArray<double>());
        Assert.Equal(3.5, TF.ReduceMean(x).ToDouble());
        Assert.Equal(new[] { 2.5, 3.5, 4.5 }, TF.ReduceMean(x, 0).ToArray<double>());
        Assert.All(Grad(v => TF.ReduceMean(v), x), g => Assert.Equal(1 / 6.0, g, 15));
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }.Select(v => 2 * v), Grad(v => TF.ReduceSum(TF.Square(v), 0), x));
    }

    [Fact]
    public void ShapeOps()
    {
        var x = TF.Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 1.0, 4, 2, 5, 3, 6 }, TF.Transpose(x).ToArray<double>());
        var w = TF.Constant(new double[,] { { 1, 10 }, { 100, 1000 }, { 1e4, 1e5 } });
        Assert.Equal(new[] { 1.0, 100, 1e4, 10, 1000, 1e5 }, Grad(v => TF.Transpose(v) * w, x));
        Assert.Equal(new[] { 2.0, 3, 5, 6 }, TF.Slice(x, new[] { 0, 1 }, new[] { 2, -1 }).ToArray<double>());
        Assert.Equal(new[] { 0.0, 2, 3, 0, 5, 6 }, Grad(v => TF.Square(TF.Slice(v, new[] { 0, 1 }, new[] { 2, -1 })) / 2.0, x));
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, Grad(v => TF.Reshape(v, 3, 2) * TF.Reshape(v, 3, 2) / 2.0, x));
        var c = TF.Concat(new[] { x, x * 2.0 }, 0);
        Assert.Equal(new[] { 4, 3 }, c.Shape);
        Assert.Equal(new[] { 3.0, 3, 3, 3, 3, 3 }, Grad(v => TF.Concat(new[] { v, v * 2.0 }, 1), x));
    }

    [Fact]
    public void Float32GradientsStayFloat32()
    {
        var x = TF.Constant(new[] { 1f, 2f });
        using var t = new GradientTape();
        t.Watch(x);
        var y = TF.ReduceSum(TF.Exp(x) * 2.0);
        var g = t.Gradient(y, x)!;
        Assert.Equal(DType.Float32, g.DType);
        Assert.Equal(2 * MathF.Exp(2f), g.ToArray<float>()[1], 4);
    }

    [Fact]
    public void CastBetweenFloats_IsDifferentiable()
    {
        var x = TF.Constant(3f);
        using var t = new GradientTape();
        t.Watch(x);
        var y = TF.Square(TF.Cast(x, DType.Float64));
        var g = t.Gradient(y, x)!;
        Assert.Equal(DType.Float32, g.DType);
        Assert.Equal(6f, g.ToSingle());
    }
}
