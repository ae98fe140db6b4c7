using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>NaN and infinities through every op, as IEEE says: the value, the reverse gradient, the
/// forward tangent and the second derivative at NaN inputs, in Float32 and Float64. A NaN input must never come out as
/// a number, and its gradient must never be 0. TensorFlow's tie rules stay as they are elsewhere.</summary>
public class NaNPropagationTests
{
    private const double NaN = double.NaN;
    private const double Inf = double.PositiveInfinity;

    private static Tensor C(DType dtype, params double[] values) => TF.Constant(values, dtype);

    private static double[] Values(Tensor t) => t.ToArray<double>();

    /// <summary>The gradient of sum(f(x)) with respect to x.</summary>
    private static double[] Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var tape = new GradientTape();
        tape.Watch(x);
        return Values(tape.Gradient(f(x), x)!);
    }

    /// <summary>The forward-mode tangent of f at x along ones.</summary>
    private static double[] Tangent(Func<Tensor, Tensor> f, Tensor x)
    {
        using var acc = new ForwardAccumulator(x, TF.OnesLike(x));
        return Values(acc.Jvp(f(x), UnconnectedGradients.Zero)!);
    }

    /// <summary>d/dx sum(d/dx sum(f(x))) by nested tapes (reverse over reverse): f'' for an element-wise f.</summary>
    private static double[] SecondReverse(Func<Tensor, Tensor> f, Tensor x)
    {
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor g;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            g = inner.Gradient(f(x), x)!;
        }
        return Values(outer.Gradient(g, x, unconnectedGradients: UnconnectedGradients.Zero)!);
    }

    /// <summary>The tangent along ones of the gradient (forward over reverse): f'' for an element-wise f.</summary>
    private static double[] SecondForwardOverReverse(Func<Tensor, Tensor> f, Tensor x)
    {
        using var acc = new ForwardAccumulator(x, TF.OnesLike(x));
        Tensor g;
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            g = tape.Gradient(f(x), x)!;
        }
        return Values(acc.Jvp(g, UnconnectedGradients.Zero)!);
    }

    /// <summary>NaN where NaN is expected, infinities and zeros exactly, other values to the dtype's rounding.</summary>
    private static void Same(double[] expected, double[] actual, DType dtype, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        var tol = dtype == DType.Float32 ? 1e-6 : 1e-14;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) || e == 0 ? a == e
                : Math.Abs(a - e) <= tol * Math.Max(1, Math.Abs(e));
            Assert.True(ok, $"{what} ({dtype}) at {i}: expected {e:R}, got {a:R}; all: [{string.Join(", ", actual)}]");
        }
    }

    /// <summary>Value, gradient, tangent and (both ways) second derivative of an element-wise op at x.</summary>
    private static void Elementwise(DType dtype, Func<Tensor, Tensor> f, double[] x, double[] value, double[] derivative, double[]? second = null)
    {
        var t = C(dtype, x);
        Same(value, Values(f(t)), dtype, "value");
        Same(derivative, Grad(f, t), dtype, "gradient");
        Same(derivative, Tangent(f, t), dtype, "tangent");
        if (second is not null)
        {
            Same(second, SecondReverse(f, t), dtype, "second derivative (reverse over reverse)");
            Same(second, SecondForwardOverReverse(f, t), dtype, "second derivative (forward over reverse)");
        }
    }

    // ------------------------------------------------------------------ kinks: Relu, Abs, Sign

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Relu_OfNaN_IsNaN_WithNaNGradientTangentAndSecondDerivative(DType dtype) =>
        Elementwise(dtype, TF.Relu,
            new[] { NaN, -1, 0, 2, Inf, -Inf },
            new[] { NaN, 0, 0, 2, Inf, 0 },
            new[] { NaN, 0, 0, 1, 1, 0 },
            new[] { NaN, 0, 0, 0, 0, 0 });

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Relu_NaN_PropagatesInTheSimdBodyAndTheScalarTail_AtEveryPosition(DType dtype)
    {
        foreach (var n in new[] { 1, 3, 4, 7, 8, 9, 15, 16, 17, 37 })
        {
            for (int k = 0; k < n; k++)
            {
                var xs = Enumerable.Range(0, n).Select(i => i == k ? NaN : i % 3 - 1.0).ToArray();
                var x = C(dtype, xs);
                var value = Values(TF.Relu(x));
                var grad = Grad(v => TF.Relu(v) * 3.0, x);
                for (int i = 0; i < n; i++)
                {
                    var expectedValue = i == k ? NaN : Math.Max(xs[i], 0);
                    var expectedGrad = i == k ? NaN : xs[i] > 0 ? 3 : 0;
                    Assert.True(double.IsNaN(expectedValue) ? double.IsNaN(value[i]) : value[i] == expectedValue, $"relu n={n} NaN at {k}: value[{i}] = {value[i]}");
                    Assert.True(double.IsNaN(expectedGrad) ? double.IsNaN(grad[i]) : grad[i] == expectedGrad, $"relu n={n} NaN at {k}: grad[{i}] = {grad[i]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Abs_OfNaN_IsNaN_WithNaNGradientTangentAndSecondDerivative(DType dtype) =>
        Elementwise(dtype, TF.Abs,
            new[] { NaN, -1, 0, 2, Inf, -Inf },
            new[] { NaN, 1, 0, 2, Inf, Inf },
            new[] { NaN, -1, 0, 1, 1, -1 },
            new[] { NaN, 0, 0, 0, 0, 0 });

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Sign_OfNaN_IsNaN_WithNaNGradientTangentAndSecondDerivative_ZeroGradientElsewhere(DType dtype) =>
        Elementwise(dtype, TF.Sign,
            new[] { NaN, -1, 0, 2, Inf, -Inf },
            new[] { NaN, -1, 0, 1, 1, -1 },
            new[] { NaN, 0, 0, 0, 0, 0 },
            new[] { NaN, 0, 0, 0, 0, 0 });

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void KinkOps_OnANaNScalar_GiveNaNValueGradientAndTangent(DType dtype)
    {
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[] { ("Relu", TF.Relu), ("Abs", TF.Abs), ("Sign", TF.Sign) })
        {
            var x = TF.Cast(TF.Constant(NaN), dtype);
            Assert.True(double.IsNaN(f(x).ToDouble()), name + " value");
            Assert.True(double.IsNaN(Grad(f, x)[0]), name + " gradient");
            Assert.True(double.IsNaN(Tangent(f, x)[0]), name + " tangent");
            Assert.True(double.IsNaN(SecondReverse(f, x)[0]), name + " second derivative");
        }
    }

    // ------------------------------------------------------------------ Maximum, Minimum, ClipByValue

    private static (double[] Value, double[] Ga, double[] Gb, double[] Ta, double[] Tb) Binary(Func<Tensor, Tensor, Tensor> f, Tensor a, Tensor b)
    {
        double[] ga, gb;
        Tensor y;
        using (var tape = new GradientTape())
        {
            tape.Watch(a);
            tape.Watch(b);
            y = f(a, b);
            var g = tape.Gradient(y, new[] { a, b });
            ga = Values(g[0]!);
            gb = Values(g[1]!);
        }
        double[] ta, tb;
        using (var acc = new ForwardAccumulator(a, TF.OnesLike(a))) ta = Values(acc.Jvp(f(a, b))!);
        using (var acc = new ForwardAccumulator(b, TF.OnesLike(b))) tb = Values(acc.Jvp(f(a, b))!);
        return (Values(y), ga, gb, ta, tb);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Maximum_WithEitherOperandNaN_IsNaN_AndBothOperandsGetNaNAdjointsAndTangents(DType dtype)
    {
        // NaN in a, in b, in both; a tie (to a); a wins; b wins; infinities
        var a = C(dtype, NaN, 1, NaN, 2, 3, 0, Inf, -Inf);
        var b = C(dtype, 1, NaN, NaN, 2, 1, 4, NaN, 1);
        var r = Binary(TF.Maximum, a, b);
        Same(new[] { NaN, NaN, NaN, 2, 3, 4, NaN, 1 }, r.Value, dtype, "value");
        Same(new[] { NaN, NaN, NaN, 1, 1, 0, NaN, 0 }, r.Ga, dtype, "gradient of a");
        Same(new[] { NaN, NaN, NaN, 0, 0, 1, NaN, 1 }, r.Gb, dtype, "gradient of b");
        Same(new[] { NaN, NaN, NaN, 1, 1, 0, NaN, 0 }, r.Ta, dtype, "tangent along a");
        Same(new[] { NaN, NaN, NaN, 0, 0, 1, NaN, 1 }, r.Tb, dtype, "tangent along b");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Minimum_WithEitherOperandNaN_IsNaN_AndBothOperandsGetNaNAdjointsAndTangents(DType dtype)
    {
        var a = C(dtype, NaN, 1, NaN, 2, 3, 0, -Inf, Inf);
        var b = C(dtype, 1, NaN, NaN, 2, 1, 4, NaN, 1);
        var r = Binary(TF.Minimum, a, b);
        Same(new[] { NaN, NaN, NaN, 2, 1, 0, NaN, 1 }, r.Value, dtype, "value");
        Same(new[] { NaN, NaN, NaN, 1, 0, 1, NaN, 0 }, r.Ga, dtype, "gradient of a");
        Same(new[] { NaN, NaN, NaN, 0, 1, 0, NaN, 1 }, r.Gb, dtype, "gradient of b");
        Same(new[] { NaN, NaN, NaN, 1, 0, 1, NaN, 0 }, r.Ta, dtype, "tangent along a");
        Same(new[] { NaN, NaN, NaN, 0, 1, 0, NaN, 1 }, r.Tb, dtype, "tangent along b");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Maximum_AgainstABroadcastNaNScalar_IsNaNEverywhere_AndTheScalarsGradientIsNaN(DType dtype)
    {
        var a = C(dtype, -1, 0, 5, 2, 7, 1, 3, 4, 9);
        var b = TF.Cast(TF.Constant(NaN), dtype);
        var r = Binary(TF.Maximum, a, b);
        Assert.All(r.Value, v => Assert.True(double.IsNaN(v)));
        Assert.All(r.Ga, v => Assert.True(double.IsNaN(v)));
        Assert.True(double.IsNaN(r.Gb.Single()));
        var m = Binary(TF.Minimum, b, a);
        Assert.All(m.Value, v => Assert.True(double.IsNaN(v)));
        Assert.All(m.Gb, v => Assert.True(double.IsNaN(v)));
        Assert.True(double.IsNaN(m.Ga.Single()));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaximumAndMinimum_SecondDerivativeAtANaNOperand_IsNaN(DType dtype)
    {
        var x = C(dtype, NaN, 2, -3);
        var c = C(dtype, 1, 1, 1);
        Same(new[] { NaN, 0, 0 }, SecondReverse(v => TF.Maximum(v, c), x), dtype, "max(x, 1), reverse over reverse");
        Same(new[] { NaN, 0, 0 }, SecondForwardOverReverse(v => TF.Maximum(v, c), x), dtype, "max(x, 1), forward over reverse");
        Same(new[] { NaN, 0, 0 }, SecondReverse(v => TF.Minimum(c, v), x), dtype, "min(1, x), reverse over reverse");
        Same(new[] { NaN, 0, 0 }, SecondForwardOverReverse(v => TF.Minimum(c, v), x), dtype, "min(1, x), forward over reverse");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ClipByValue_WithNaNInXOrInABound_IsNaN_AndAllThreeGetNaNAdjointsAndTangents(DType dtype)
    {
        // NaN in x, in min, in max; then inside, below, above, and a NaN-free x with infinite bounds
        var x = C(dtype, NaN, 0.5, 0.5, 0.5, -2, 2, 7);
        var lo = C(dtype, 0, NaN, 0, 0, 0, 0, -Inf);
        var hi = C(dtype, 1, 1, NaN, 1, 1, 1, Inf);
        var y = TF.ClipByValue(x, lo, hi);
        Same(new[] { NaN, NaN, NaN, 0.5, 0, 1, 7 }, Values(y), dtype, "value");
        double[][] g;
        using (var tape = new GradientTape())
        {
            tape.Watch(new[] { x, lo, hi });
            g = tape.Gradient(TF.ClipByValue(x, lo, hi), new[] { x, lo, hi }).Select(t => Values(t!)).ToArray();
        }
        Same(new[] { NaN, NaN, NaN, 1, 0, 0, 1 }, g[0], dtype, "gradient of x");
        Same(new[] { NaN, NaN, NaN, 0, 1, 0, 0 }, g[1], dtype, "gradient of min");
        Same(new[] { NaN, NaN, NaN, 0, 0, 1, 0 }, g[2], dtype, "gradient of max");
        var operands = new[] { x, lo, hi };
        for (int i = 0; i < 3; i++)
        {
            using var acc = new ForwardAccumulator(operands[i], TF.OnesLike(operands[i]));
            Same(g[i], Values(acc.Jvp(TF.ClipByValue(x, lo, hi))!), dtype, $"tangent along operand {i}");
        }
        Same(new[] { NaN, NaN, NaN, 0, 0, 0, 0 }, SecondReverse(v => TF.ClipByValue(v, lo, hi), x), dtype, "second derivative in x");
        Same(new[] { NaN, NaN, NaN, 0, 0, 0, 0 }, SecondForwardOverReverse(v => TF.ClipByValue(x, lo, v), hi), dtype, "second derivative in max");
    }

    // ------------------------------------------------------------------ ReduceMax, ReduceMin, ArgMax, ArgMin

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReduceMaxAndMin_OfASliceHoldingNaN_AreNaN_AndEveryElementOfThatSliceGetsANaNGradientAndTangent(DType dtype)
    {
        var x = TF.Constant(new double[,] { { 1, NaN, 3 }, { 1, 2, 2 } }, dtype);
        foreach (var (name, f, value, grad) in new (string, Func<Tensor, Tensor>, double[], double[])[]
        {
            ("ReduceMax", v => TF.ReduceMax(v, 1), new[] { NaN, 2 }, new[] { NaN, NaN, NaN, 0, 0.5, 0.5 }),
            ("ReduceMin", v => TF.ReduceMin(v, 1), new[] { NaN, 1 }, new[] { NaN, NaN, NaN, 1, 0, 0 }),
        })
        {
            Same(value, Values(f(x)), dtype, name + " value");
            Same(grad, Grad(f, x), dtype, name + " gradient");
            Same(new[] { NaN, 1 }, Tangent(f, x), dtype, name + " tangent");
            Same(new[] { NaN, NaN, NaN, 0, 0, 0 }, SecondReverse(f, x), dtype, name + " second derivative (reverse over reverse)");
            Same(new[] { NaN, NaN, NaN, 0, 0, 0 }, SecondForwardOverReverse(f, x), dtype, name + " second derivative (forward over reverse)");
            Assert.True(double.IsNaN(TF.ReduceMax(x).ToDouble()) && double.IsNaN(TF.ReduceMin(x).ToDouble()), name + " over all axes");
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReduceMaxAndMin_WithInfinities_AreTheInfinities_AndTiesOfInfinitiesSplitTheGradient(DType dtype)
    {
        var x = TF.Constant(new double[,] { { Inf, 1 }, { -Inf, -Inf } }, dtype);
        Same(new[] { Inf, -Inf }, Values(TF.ReduceMax(x, 1)), dtype, "max value");
        Same(new[] { 1, 0, 0.5, 0.5 }, Grad(v => TF.ReduceMax(v, 1), x), dtype, "max gradient");
        Same(new[] { 1, -Inf }, Values(TF.ReduceMin(x, 1)), dtype, "min value");
        Same(new[] { 0, 1, 0.5, 0.5 }, Grad(v => TF.ReduceMin(v, 1), x), dtype, "min gradient");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReduceMaxAndMin_OfEmptySlices_AreTheIdentity_MinusAndPlusInfinity_WithEmptyGradient(DType dtype)
    {
        Assert.Equal(double.NegativeInfinity, TF.ReduceMax(TF.Zeros(new[] { 0 }, dtype)).ToDouble());
        Assert.Equal(double.PositiveInfinity, TF.ReduceMin(TF.Zeros(new[] { 0 }, dtype)).ToDouble());
        var x = TF.Zeros(new[] { 2, 0 }, dtype);
        var max = TF.ReduceMax(x, 1);
        Assert.Equal(new[] { 2 }, max.Shape);
        Assert.Equal(new[] { double.NegativeInfinity, double.NegativeInfinity }, Values(max));
        Assert.Equal(new[] { 2, 1 }, TF.ReduceMin(x, 1, keepDims: true).Shape);
        Assert.Equal(new[] { double.PositiveInfinity, double.PositiveInfinity }, Values(TF.ReduceMin(x, 1, keepDims: true)));
        // over the non-empty axis of a [0, 3] tensor: no slice at all, an empty result
        Assert.Equal(new[] { 0 }, TF.ReduceMax(TF.Zeros(new[] { 0, 3 }, dtype), 1).Shape);
        Assert.Equal(new[] { 3 }, TF.ReduceMin(TF.Zeros(new[] { 0, 3 }, dtype), 0).Shape);
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            var g = tape.Gradient(TF.ReduceMax(x, 1), x)!;
            Assert.Equal(new[] { 2, 0 }, g.Shape);
            Assert.Equal(dtype, g.DType);
        }
        using (var acc = new ForwardAccumulator(x, TF.OnesLike(x)))
        {
            var t = acc.Jvp(TF.ReduceMin(x, 1), UnconnectedGradients.Zero)!;
            Assert.Equal(new[] { 0.0, 0.0 }, Values(t));
        }
    }

    [Fact]
    public void ReduceMaxAndMin_OfEmptyIntegerSlices_AreTheDtypesLowestAndHighest_AsTensorFlow()
    {
        Assert.Equal(int.MinValue, TF.ReduceMax(TF.Zeros(new[] { 0 }, DType.Int32)).ToArray<int>().Single());
        Assert.Equal(int.MaxValue, TF.ReduceMin(TF.Zeros(new[] { 0 }, DType.Int32)).ToArray<int>().Single());
        Assert.Equal(new[] { long.MinValue, long.MinValue }, TF.ReduceMax(TF.Zeros(new[] { 2, 0 }, DType.Int64), 1).ToArray<long>());
        Assert.Equal(new[] { long.MaxValue, long.MaxValue }, TF.ReduceMin(TF.Zeros(new[] { 2, 0 }, DType.Int64), 1).ToArray<long>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ArgMaxAndArgMin_OfASliceHoldingNaN_GiveTheFirstNaNsIndex_AsNumPy(DType dtype)
    {
        // rows: NaN in the middle, NaN first, NaN last, NaN between infinities, two NaNs, no NaN (first of ties)
        var x = TF.Constant(new double[,]
        {
            { 3, NaN, 1, 5 },
            { NaN, 1, 2, 0 },
            { 1, 2, 0, NaN },
            { Inf, NaN, -Inf, 0 },
            { 0, NaN, 9, NaN },
            { 2, 5, 5, 2 },
        }, dtype);
        Assert.Equal(new long[] { 1, 0, 3, 1, 1, 1 }, TF.ArgMax(x, 1).ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 3, 1, 1, 0 }, TF.ArgMin(x, 1).ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 1, 0 }, TF.ArgMax(TF.Constant(new double[,] { { 1, NaN, 1, 2 }, { 2, 1, NaN, 1 } }, dtype), 0).ToArray<long>());
    }

    [Fact]
    public void ArgMaxAndArgMin_TellApartInt64ValuesThatDoublesCannot()
    {
        const long big = 1L << 53;
        var x = TF.Constant(new[] { big, big + 1, big - 1 + 2, big });
        Assert.Equal(1L, TF.ArgMax(x).ToArray<long>().Single());
        Assert.Equal(0L, TF.ArgMin(TF.Constant(new[] { big, big + 1 })).ToArray<long>().Single());
        Assert.Equal(1L, TF.ArgMin(TF.Constant(new[] { big + 1, big })).ToArray<long>().Single());
    }

    // ------------------------------------------------------------------ Softmax, LogSoftmax, ReduceLogSumExp

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SoftmaxFamily_ARowHoldingNaN_IsNaNThroughout_InValueGradientAndTangent_OtherRowsUntouched(DType dtype)
    {
        var x = TF.Constant(new double[,] { { 1, NaN, 3 }, { 1, 2, 3 } }, dtype);
        var w = TF.Constant(new double[,] { { 1, 2, 3 }, { 1, 2, 3 } }, dtype);
        var e = new[] { Math.Exp(1), Math.Exp(2), Math.Exp(3) };
        var s = e.Select(v => v / e.Sum()).ToArray();
        foreach (var (name, f, finiteRow) in new (string, Func<Tensor, Tensor>, double[])[]
        {
            ("Softmax", v => TF.Softmax(v), s),
            ("LogSoftmax", v => TF.LogSoftmax(v), s.Select(v => Math.Log(v)).ToArray()),
            ("ReduceLogSumExp", v => TF.ReduceLogSumExp(v, 1, keepDims: true), new[] { Math.Log(e.Sum()) }),
        })
        {
            var value = Values(f(x));
            var n = value.Length / 2;
            Assert.All(value.Take(n), v => Assert.True(double.IsNaN(v), name + " value of the NaN row"));
            Same(finiteRow, value.Skip(n).ToArray(), dtype, name + " value of the finite row");
            var grad = Grad(v => f(v) * (name == "ReduceLogSumExp" ? TF.Constant(new double[,] { { 1 }, { 1 } }, dtype) : w), x);
            Assert.All(grad.Take(3), v => Assert.True(double.IsNaN(v), name + " gradient of the NaN row"));
            Assert.All(grad.Skip(3), v => Assert.True(double.IsFinite(v), name + " gradient of the finite row"));
            var tangent = Tangent(f, x);
            Assert.All(tangent.Take(n), v => Assert.True(double.IsNaN(v), name + " tangent of the NaN row"));
            Assert.All(tangent.Skip(n), v => Assert.True(double.IsFinite(v), name + " tangent of the finite row"));
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReduceLogSumExp_WithInfinities_IsTheInfinity_AsTensorFlow(DType dtype)
    {
        var x = TF.Constant(new double[,] { { Inf, 1 }, { -Inf, -Inf }, { -Inf, 0 } }, dtype);
        Same(new[] { Inf, -Inf, 0 }, Values(TF.ReduceLogSumExp(x, 1)), dtype, "ReduceLogSumExp");
        Same(new[] { 0.0, 1 }, Grad(v => TF.ReduceLogSumExp(v, 1), x).Skip(4).ToArray(), dtype, "ReduceLogSumExp's gradient at [-inf, 0]");
        Same(new[] { -Inf, 0 }, Values(TF.LogSoftmax(x)).Skip(4).ToArray(), dtype, "LogSoftmax of [-inf, 0]");
        Same(new[] { 0.0, 1 }, Values(TF.Softmax(x)).Skip(4).ToArray(), dtype, "Softmax of [-inf, 0]");
    }

    // ------------------------------------------------------------------ smooth ops at NaN and the infinities

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Exp_AtNaNAndTheInfinities_FollowsIEEE_OnTheSimdAndTheScalarPaths(DType dtype)
    {
        // 3 elements: the scalar loop; 11: whole vectors and an overlapping last one
        Elementwise(dtype, TF.Exp, new[] { NaN, Inf, -Inf }, new[] { NaN, Inf, 0 }, new[] { NaN, Inf, 0 });
        var x = new[] { 0.5, NaN, -1, Inf, 2, -Inf, 100, -200, 3, NaN, -Inf };
        var big = dtype == DType.Float32 ? Inf : Math.Exp(100);
        var y = new[] { Math.Exp(0.5), NaN, Math.Exp(-1), Inf, Math.Exp(2), 0, big, dtype == DType.Float32 ? 0 : Math.Exp(-200), Math.Exp(3), NaN, 0 };
        Elementwise(dtype, TF.Exp, x, y, y);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TanhSigmoidSoftplus_AtNaNAndTheInfinities_FollowIEEE(DType dtype)
    {
        var x = new[] { NaN, Inf, -Inf, 0.5, NaN, Inf, -Inf, 0.5, NaN, Inf, -Inf };
        static double Th(double v) => Math.Tanh(v);
        static double Sg(double v) => 1 / (1 + Math.Exp(-v));
        static double Sp(double v) => Math.Log(1 + Math.Exp(v));
        Elementwise(dtype, TF.Tanh, x, x.Select(v => double.IsNaN(v) ? NaN : Th(v)).ToArray(), x.Select(v => double.IsNaN(v) ? NaN : 1 - Th(v) * Th(v)).ToArray());
        Elementwise(dtype, TF.Sigmoid, x, x.Select(v => double.IsNaN(v) ? NaN : Sg(v)).ToArray(), x.Select(v => double.IsNaN(v) ? NaN : Sg(v) * (1 - Sg(v))).ToArray());
        Elementwise(dtype, TF.Softplus, x, x.Select(v => double.IsNaN(v) ? NaN : v == Inf ? Inf : Sp(v)).ToArray(), x.Select(v => double.IsNaN(v) ? NaN : Sg(v)).ToArray());
        // the scalar (rank-0) path
        foreach (var f in new Func<Tensor, Tensor>[] { TF.Tanh, TF.Atan, TF.Sigmoid, TF.Softplus, TF.Exp, TF.Sqrt, TF.Log, TF.Log1p })
        {
            var s = TF.Cast(TF.Constant(NaN), dtype);
            Assert.True(double.IsNaN(f(s).ToDouble()) && double.IsNaN(Grad(f, s)[0]) && double.IsNaN(Tangent(f, s)[0]));
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SqrtLogLog1p_OfNegativesAndNaN_AreNaN_AsIEEE_AndLog1pOfInfinityIsInfinity(DType dtype)
    {
        Elementwise(dtype, TF.Sqrt, new[] { NaN, -1, Inf, 4 }, new[] { NaN, NaN, Inf, 2 }, new[] { NaN, NaN, 0, 0.25 });
        Elementwise(dtype, TF.Log, new[] { NaN, -1, 0, Inf }, new[] { NaN, NaN, -Inf, Inf }, new[] { NaN, -1, Inf, 0 });
        Elementwise(dtype, TF.Log1p, new[] { NaN, -2, -1, Inf, 0 }, new[] { NaN, NaN, -Inf, Inf, 0 }, new[] { NaN, -1, Inf, 0, 1 });
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Pow_WithANaNOperand_HasNaNGradientsForBothOperands_EvenWhereTheValueIsOne(DType dtype)
    {
        // pow(NaN, 1), pow(NaN, 0) = 1, pow(1, NaN) = 1, pow(2, NaN), pow(-8, 1/3) = NaN, and a finite pair
        var a = C(dtype, NaN, NaN, 1, 2, -8, 3);
        var b = C(dtype, 1, 0, NaN, NaN, 1.0 / 3, 2);
        var r = Binary(TF.Pow, a, b);
        Same(new[] { NaN, 1, 1, NaN, NaN, 9 }, r.Value, dtype, "value");
        Same(new[] { NaN, NaN, NaN, NaN, NaN, 6 }, r.Ga, dtype, "gradient of a");
        Assert.All(r.Gb.Take(4), v => Assert.True(double.IsNaN(v), "gradient of b at a NaN operand"));
        Same(new[] { NaN, NaN, NaN, NaN, NaN, 6 }, r.Ta, dtype, "tangent along a");
        Assert.All(r.Tb.Take(4), v => Assert.True(double.IsNaN(v), "tangent along b at a NaN operand"));
        Same(new[] { 9 * Math.Log(3) }, r.Gb.Skip(5).ToArray(), dtype, "gradient of b at a finite pair");
    }
}
