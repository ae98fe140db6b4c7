using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>The tf.math additions (inverse trigonometric and hyperbolic functions, erf/erfc, expm1, reciprocal, rsqrt,
/// rounding, the gamma family, floor division and modulo, Atan2, SquaredDifference, AddN, logical ops, IsNan/IsFinite)
/// and the activations: values at special points against high-precision values (computed with 30-digit arithmetic),
/// TensorFlow's derivatives at kinks, integer sign rules, broadcasting, Bool ops and the error messages.</summary>
public class ElementwiseOpsTests
{
    private const double NaN = double.NaN;
    private const double Inf = double.PositiveInfinity;

    private static double[] V(Tensor t) => t.ToArray<double>();

    private static double Grad1(Func<Tensor, Tensor> f, double x, DType dtype = DType.Float64)
    {
        var t = Constant(x, dtype);
        using var tape = new GradientTape();
        tape.Watch(t);
        return tape.Gradient(f(t), t)!.ToDouble();
    }

    private static double Grad2(Func<Tensor, Tensor> f, double x)
    {
        var t = Constant(x);
        using var outer = new GradientTape();
        outer.Watch(t);
        Tensor g;
        using (var inner = new GradientTape())
        {
            inner.Watch(t);
            g = inner.Gradient(f(t), t)!;
        }
        // a piecewise-constant derivative (a slope mask) is unconnected to x: its derivative is 0
        return outer.Gradient(g, t, unconnectedGradients: UnconnectedGradients.Zero)!.ToDouble();
    }

    private static void Close(double expected, double actual, double rtol, string what, double atol = 1e-300)
    {
        bool ok = double.IsNaN(expected) ? double.IsNaN(actual)
            : double.IsInfinity(expected) ? actual == expected
            : Math.Abs(actual - expected) <= rtol * Math.Abs(expected) + atol;
        Assert.True(ok, $"{what}: expected {expected:R}, got {actual:R}");
    }

    // ------------------------------------------------------------------ special functions against 30-digit values

    public static IEnumerable<object[]> SpecialValues() => new[]
    {
        new object[] { "Erf", 0.5, 0.52049987781304653768 },
        new object[] { "Erf", 1.0, 0.84270079294971486934 },
        new object[] { "Erf", 2.0, 0.99532226501895273416 },
        new object[] { "Erf", 3.5, 0.99999925690162765859 },
        new object[] { "Erf", -0.3, -0.32862675945912741619 },
        new object[] { "Erfc", 0.5, 0.47950012218695346232 },
        new object[] { "Erfc", 2.0, 0.0046777349810472658379 },
        new object[] { "Erfc", 5.0, 1.5374597944280348502e-12 },
        new object[] { "Erfc", 10.0, 2.088487583762544757e-45 },
        new object[] { "Erfc", 26.0, 5.6631924088561428465e-296 },
        new object[] { "Erfc", -1.5, 1.9661051464753107271 },
        new object[] { "Lgamma", 0.5, 0.57236494292470008707 },
        new object[] { "Lgamma", 3.0, 0.69314718055994530942 },
        new object[] { "Lgamma", 10.0, 12.801827480081469611 },
        new object[] { "Lgamma", 100.0, 359.13420536957539878 },
        new object[] { "Lgamma", 1e-8, 18.420680738180208884 },
        new object[] { "Lgamma", -0.5, 1.2655121234846453965 },
        new object[] { "Lgamma", -2.5, -0.056243716497674050673 },
        new object[] { "Lgamma", 1.5, -0.12078223763524522235 },
        // near the zeros at 1 and 2: full relative accuracy (references at the exact double inputs)
        new object[] { "Lgamma", 1.0000000001, -5.772157125783244041e-11 },   // at the double nearest 1.0000000001
        new object[] { "Lgamma", 0.9, 0.066376239734742971189 },
        new object[] { "Lgamma", 1.2, -0.08537409000331584972 },
        new object[] { "Lgamma", 1.99999999, -4.2278432930433731409e-9 },    // at the double nearest 1.99999999
        new object[] { "Lgamma", 2.15, 0.070455733704111815129 },
        new object[] { "Lgamma", 1.8, -0.071083872914372166988 },
        new object[] { "Digamma", 1.0, -0.57721566490153286061 },
        new object[] { "Digamma", 0.5, -1.9635100260214234794 },
        new object[] { "Digamma", 2.5, 0.70315664064524318723 },
        new object[] { "Digamma", 10.0, 2.2517525890667211076 },
        new object[] { "Digamma", 0.001, -1000.5755719318102797 },
        new object[] { "Digamma", -0.5, 0.036489973978576520559 },
        new object[] { "Digamma", -2.5, 1.1031566406452431872 },
        new object[] { "Digamma", 100.0, 4.6001618527380874002 },
        new object[] { "Trigamma", 1.0, 1.6449340668482264365 },
        new object[] { "Trigamma", 0.5, 4.9348022005446793094 },
        new object[] { "Trigamma", 2.5, 0.49035775610023486497 },
        new object[] { "Trigamma", -0.5, 8.9348022005446793094 },
        new object[] { "Trigamma", 10.0, 0.10516633568168574612 },
        new object[] { "Tetragamma", 1.0, -2.4041138063191885708 },
        new object[] { "Tetragamma", 0.5, -16.828796644234319996 },
        new object[] { "Expm1", 1e-10, 1.0000000000500000364e-10 },
        new object[] { "Expm1", -1e-10, -9.9999999995000003643e-11 },
        new object[] { "Expm1", 1e-5, 0.000010000050000166667901 },
        new object[] { "Expm1", 0.5, 0.64872127070012814685 },
        new object[] { "Expm1", -20.0, -0.99999999793884637756 },
        new object[] { "Expm1", 30.0, 10686474581523.462147 },
    };

    private static Tensor Special(string name, Tensor x) => name switch
    {
        "Erf" => Erf(x),
        "Erfc" => Erfc(x),
        "Lgamma" => Lgamma(x),
        "Digamma" => Digamma(x),
        "Trigamma" => Polygamma(1, x),
        "Tetragamma" => Polygamma(2, x),
        "Expm1" => Expm1(x),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(SpecialValues))]
    public void SpecialFunction_MatchesItsHighPrecisionValue_InBothDtypes(string name, double x, double expected)
    {
        // relative 4e-15, and for Lgamma and Digamma at negative x (reflection: a difference of two larger terms) an
        // absolute 2e-15 as well
        double atol = x < 0 && name is "Lgamma" or "Digamma" ? 2e-15 : 1e-300;
        Close(expected, Special(name, Constant(x)).ToDouble(), 4e-15, $"{name}({x}) Float64", atol);
        // Float32: the float64 value rounded once (only where x itself is a Float32 value); below Float32's normal range
        // the correctly rounded subnormal
        float x32 = (float)x;
        if (x32 == x)
        {
            double e32 = (float)expected;
            if (Math.Abs(expected) < 1.2e-38)
                Assert.Equal(e32, Special(name, Constant(x32)).ToDouble());
            else
                Close(expected, Special(name, Constant(x32)).ToDouble(), 1.2e-7, $"{name}({x}) Float32");
        }
    }

    [Fact]
    public void SpecialFunctions_AgreeBetweenRankZeroAndTensorPaths()
    {
        var xs = new[] { -2.5, -0.5, 0.25, 0.5, 1.0, 3.0, 12.0 };
        foreach (var f in new Func<Tensor, Tensor>[] { Erf, Erfc, Lgamma, Digamma, x => Polygamma(1, x), Expm1 })
        {
            var whole = V(f(Constant(xs)));
            for (int i = 0; i < xs.Length; i++)
                Assert.Equal(whole[i], f(Constant(xs[i])).ToDouble());
        }
    }

    [Fact]
    public void GammaFamily_AtPolesAndInfinities_FollowsTheDocumentedRules()
    {
        Assert.Equal(new[] { Inf, Inf, Inf, Inf, NaN }, V(Lgamma(Constant(new[] { 0.0, -3.0, Inf, -Inf, NaN }))));
        Assert.Equal(new[] { NaN, NaN, Inf, NaN, NaN }, V(Digamma(Constant(new[] { 0.0, -3.0, Inf, -Inf, NaN }))));
        Assert.Equal(new[] { Inf, Inf, 0.0 }, V(Polygamma(1, Constant(new[] { 0.0, -2.0, Inf }))));
        Assert.True(double.IsNaN(Polygamma(2, Constant(0.0)).ToDouble()));
        // lgamma'' = trigamma: pi^2 / 6 at 1, and d/dx digamma the same
        Close(Math.PI * Math.PI / 6, Grad2(Lgamma, 1.0), 1e-14, "lgamma''(1)");
        Close(Math.PI * Math.PI / 6, Grad1(Digamma, 1.0), 1e-14, "digamma'(1)");
        Close(-0.57721566490153286061, Grad1(Lgamma, 1.0), 1e-15, "lgamma'(1)");
        var e = Assert.Throws<ArgumentException>(() => Polygamma(-1, Constant(1.0)));
        Assert.StartsWith("Polygamma:", e.Message);
    }

    [Fact]
    public void ErfAndErfc_AtInfinitiesAndNaN()
    {
        Assert.Equal(new[] { 1.0, -1.0, NaN, 0.0 }, V(Erf(Constant(new[] { Inf, -Inf, NaN, 0.0 }))));
        Assert.Equal(new[] { 0.0, 2.0, NaN, 1.0 }, V(Erfc(Constant(new[] { Inf, -Inf, NaN, 0.0 }))));
        Close(2 / Math.Sqrt(Math.PI), Grad1(Erf, 0.0), 1e-15, "erf'(0)");
        Close(-2 / Math.Sqrt(Math.PI), Grad1(Erfc, 0.0, DType.Float32), 1e-7, "erfc'(0) Float32");
        Assert.Equal(0.0, Grad1(Erf, Inf));
        Assert.True(double.IsNaN(Grad1(Erf, NaN)));
    }

    // ------------------------------------------------------------------ rounding: ties, infinities, NaN, derivative 0

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Round_TiesGoToEven_AsTensorFlow(DType dtype)
    {
        var x = Constant(new[] { 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, Inf, -Inf, NaN }, dtype);
        Assert.Equal(new[] { 0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 2.0, 3.0, Inf, -Inf, NaN }, V(Round(x)));
        Assert.Equal(new[] { 3, -2 }, Round(Constant(new[] { 3, -2 })).ToArray<int>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FloorAndCeil_AtSpecialPoints_WithZeroGradient_NaNAtNaN(DType dtype)
    {
        var xs = new[] { -1.5, -1.0, -0.0, 0.3, 2.0, Inf, -Inf, NaN };
        Assert.Equal(new[] { -2.0, -1.0, -0.0, 0.0, 2.0, Inf, -Inf, NaN }, V(Floor(Constant(xs, dtype))));
        Assert.Equal(new[] { -1.0, -1.0, -0.0, 1.0, 2.0, Inf, -Inf, NaN }, V(Ceil(Constant(xs, dtype))));
        foreach (var f in new Func<Tensor, Tensor>[] { Floor, Ceil, Round })
        {
            var x = Constant(xs, dtype);
            using var tape = new GradientTape();
            tape.Watch(x);
            var g = V(tape.Gradient(f(x) * 3.0, x)!);
            Assert.Equal(new[] { 0.0, 0, 0, 0, 0, 0, 0, NaN }, g);
        }
    }

    // ------------------------------------------------------------------ derivatives at kinks and domain edges (TensorFlow's)

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Activations_AtTheirKinks_TakeTensorFlowsDerivative(DType dtype)
    {
        Assert.Equal(0.2, Grad1(x => LeakyRelu(x), 0.0, dtype), 6);
        Assert.Equal(0.3, Grad1(x => LeakyRelu(x, 0.3), -4.0, dtype), 6);
        Assert.Equal(1.0, Grad1(x => LeakyRelu(x), 1e-3, dtype));
        Assert.Equal(0.0, Grad1(Relu6, 0.0, dtype));
        Assert.Equal(0.0, Grad1(Relu6, 6.0, dtype));
        Assert.Equal(1.0, Grad1(Relu6, 3.0, dtype));
        Assert.Equal(0.0, Grad1(Relu6, 7.0, dtype));
        Assert.Equal(1.0, Grad1(Elu, 0.0, dtype));
        Assert.Equal(Math.Exp(-1), Grad1(Elu, -1.0, dtype), dtype == DType.Float32 ? 6 : 14);
        Assert.Equal(1.0507009873554805, Grad1(Selu, 0.0, dtype), 6);
        Assert.Equal(1.0507009873554805 * 1.6732632423543772 * Math.Exp(-1), Grad1(Selu, -1.0, dtype), 6);
        Assert.Equal(1.0, Grad1(Softsign, 0.0, dtype));
        Assert.Equal(0.5, Grad1(x => Silu(x), 0.0, dtype));
        Assert.Equal(0.5, Grad1(LogSigmoid, 0.0, dtype));
        Assert.Equal(0.5, Grad1(x => Gelu(x), 0.0, dtype));
        Assert.Equal(0.5, Grad1(x => Gelu(x, approximate: true), 0.0, dtype));
        foreach (var f in new Func<Tensor, Tensor>[] { x => LeakyRelu(x), Relu6, Elu, Selu, x => Gelu(x), Softsign, x => Silu(x), LogSigmoid })
        {
            Assert.True(double.IsNaN(f(Constant(NaN, dtype)).ToDouble()));
            Assert.True(double.IsNaN(Grad1(f, NaN, dtype)));
        }
    }

    [Fact]
    public void SecondDerivatives_AtNaN_AreNaN_AndAtKinksTakeTheOneSidedRule()
    {
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[]
                 {
                     ("LeakyRelu", x => LeakyRelu(x)), ("Relu6", Relu6), ("Elu", Elu), ("Selu", Selu), ("Floor", Floor),
                     ("Round", Round), ("Erf", Erf), ("Lgamma", Lgamma), ("Digamma", Digamma), ("Softsign", Softsign),
                     ("Asin", Asin), ("Rsqrt", Rsqrt), ("Gelu", x => Gelu(x)),
                 })
            Assert.True(double.IsNaN(Grad2(f, NaN)), $"{name}'' at NaN is {Grad2(f, NaN)}");
        Assert.Equal(0.0, Grad2(x => LeakyRelu(x), 0.0));
        Assert.Equal(0.0, Grad2(Relu6, 6.0));
        Assert.Equal(0.0, Grad2(Elu, 0.0));          // y = 0 is not below 0: the rule's constant branch
        Assert.Equal(Math.Exp(-2), Grad2(Elu, -2.0), 14);
        Assert.Equal(0.0, Grad2(Floor, 1.5));
    }

    [Fact]
    public void Activations_Values_AsTensorFlow()
    {
        Close(0.8413447460685429, Gelu(Constant(1.0)).ToDouble(), 1e-15, "gelu(1)");
        Close(0.8411919906082768, Gelu(Constant(1.0), approximate: true).ToDouble(), 1e-15, "gelu(1) tanh");
        Close(-7.619853024160526066e-23, Gelu(Constant(-10.0)).ToDouble(), 1e-14, "gelu(-10), no cancellation");
        Assert.Equal(new[] { -0.4, 0.0, 3.0 }, V(LeakyRelu(Constant(new[] { -2.0, 0.0, 3.0 }))));
        Assert.Equal(new[] { 0.0, 0.0, 6.0, 5.5 }, V(Relu6(Constant(new[] { -1.0, 0.0, 8.0, 5.5 }))));
        Assert.Equal(-1.0, Elu(Constant(-Inf)).ToDouble());
        Close(-1.7580993408473768599, Selu(Constant(-100.0)).ToDouble(), 1e-15, "selu(-100)");
        Assert.Equal(new[] { -1000.0, 0.0 }, V(LogSigmoid(Constant(new[] { -1000.0, 1000.0 }))));
        Assert.Equal(new[] { -0.5, 0.75 }, V(Softsign(Constant(new[] { -1.0, 3.0 }))));
        Close(0.7310585786300049, Silu(Constant(1.0)).ToDouble(), 1e-15, "silu(1)");
        Assert.Equal(0.0, Grad1(Selu, 1000.0, DType.Float32) - 1.0507009873554805, 6);   // no NaN from an overflowing branch
    }

    [Fact]
    public void DomainEdges_TakeTensorFlowsInfiniteDerivatives()
    {
        Assert.Equal(Inf, Grad1(Asin, 1.0));
        Assert.Equal(-Inf, Grad1(Acos, -1.0));
        Assert.Equal(Inf, Grad1(Acosh, 1.0));
        Assert.Equal(Inf, Grad1(Atanh, 1.0));
        Assert.Equal(Inf, Grad1(Atanh, -1.0));
        Assert.Equal(new[] { Inf, -Inf }, V(Atanh(Constant(new[] { 1.0, -1.0 }))));
        Assert.Equal(-Inf, Grad1(Rsqrt, 0.0));
        Assert.Equal(Inf, Rsqrt(Constant(0.0)).ToDouble());
        Assert.Equal(-Inf, Grad1(Reciprocal, 0.0));
        Assert.Equal(-0.25, Grad1(Reciprocal, 2.0));
        Assert.Equal(-0.0625, Grad1(Rsqrt, 4.0));
        Assert.True(double.IsNaN(Asin(Constant(1.5)).ToDouble()));
        Assert.True(double.IsNaN(Acosh(Constant(0.5)).ToDouble()));
        Close(Math.Cosh(0.7), Grad1(Sinh, 0.7), 1e-15, "sinh'");
        Close(Math.Sinh(0.7), Grad1(Cosh, 0.7), 1e-15, "cosh'");
        Close(Math.Cosh(0.7), Grad2(Cosh, 0.7), 1e-15, "cosh''");
        Close(1 / Math.Sqrt(1.49), Grad1(Asinh, 0.7), 1e-15, "asinh'");
    }

    // ------------------------------------------------------------------ floor division and modulo

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    public void FloorDivAndFloorMod_OfIntegers_RoundTowardMinusInfinity_ModTakesTheDivisorsSign(DType dtype)
    {
        var a = Cast(Constant(new[] { 7, -7, 7, -7, 0, 6 }), dtype);
        var b = Cast(Constant(new[] { 2, 2, -2, -2, 3, -3 }), dtype);
        Assert.Equal(new long[] { 3, -4, -4, 3, 0, -2 }, FloorDiv(a, b).ToArray<long>());
        Assert.Equal(new long[] { 1, 1, -1, -1, 0, 0 }, FloorMod(a, b).ToArray<long>());
        Assert.Equal(dtype, FloorDiv(a, b).DType);
        var e = Assert.Throws<ArgumentException>(() => FloorDiv(a, Cast(Constant(new[] { 1, 0, 1, 1, 1, 1 }), dtype)));
        Assert.StartsWith("FloorDiv:", e.Message);
        Assert.Contains("division by zero", e.Message);
        e = Assert.Throws<ArgumentException>(() => FloorMod(a, Cast(Constant(0), dtype)));
        Assert.StartsWith("FloorMod:", e.Message);
    }

    [Fact]
    public void FloorDiv_OfMinValueByMinusOne_Wraps()
    {
        Assert.Equal(int.MinValue, FloorDiv(Constant(int.MinValue), Constant(-1)).ToArray<int>()[0]);
        Assert.Equal(0, FloorMod(Constant(int.MinValue), Constant(-1)).ToArray<int>()[0]);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void FloorDivAndFloorMod_OfFloats_FollowIeeeAtZeroDivisors(DType dtype)
    {
        var a = Constant(new[] { 7.5, -7.5, 7.5, 1.0, -1.0, 0.0, 1.0 }, dtype);
        var b = Constant(new[] { 2.0, 2.0, -2.0, 0.0, 0.0, 0.0, Inf }, dtype);
        Assert.Equal(new[] { 3.0, -4.0, -4.0, Inf, -Inf, NaN, 0.0 }, V(FloorDiv(a, b)));
        Assert.Equal(new[] { 1.5, 0.5, -0.5, NaN, NaN, NaN, 1.0 }, V(FloorMod(a, b)));
    }

    [Fact]
    public void FloorMod_Gradients_AreOneAndMinusTheFloorQuotient_FloorDivHasNone()
    {
        var a = Constant(new[] { 7.5, -7.5 });
        var b = Constant(2.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        tape.Watch(b);
        var m = FloorMod(a, b);
        var g = tape.Gradient(m, new[] { a, b });
        Assert.Equal(new[] { 1.0, 1.0 }, V(g[0]!));
        Assert.Equal(-(3.0 + -4.0), g[1]!.ToDouble());   // -floor(7.5/2) - floor(-7.5/2), summed over the broadcast
        Assert.Null(tape.Gradient(FloorDiv(a, b), a));
    }

    // ------------------------------------------------------------------ binary ops: broadcasting and Atan2's quadrants

    [Fact]
    public void Atan2_Broadcasts_KeepsTheQuadrant_AndSumsGradientsBack()
    {
        var y = Constant(new[,] { { 1.0 }, { -1.0 } });
        var x = Constant(new[] { 1.0, -1.0, 0.0 });
        var r = Atan2(y, x);
        Assert.Equal(new[] { 2, 3 }, r.Shape);
        var expected = new[] { Math.PI / 4, 3 * Math.PI / 4, Math.PI / 2, -Math.PI / 4, -3 * Math.PI / 4, -Math.PI / 2 };
        var got = V(r);
        for (int i = 0; i < 6; i++) Close(expected[i], got[i], 1e-15, $"atan2 [{i}]");
        Assert.Equal(new[] { 0.0, -0.0, Math.PI, -Math.PI }, V(Atan2(Constant(new[] { 0.0, -0.0, 0.0, -0.0 }), Constant(new[] { 1.0, 1.0, -0.0, -0.0 }))));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(y);
        tape.Watch(x);
        var z = Atan2(y, x);
        var gy = tape.Gradient(z, y)!;
        var gx = tape.Gradient(z, x)!;
        Assert.Equal(new[] { 2, 1 }, gy.Shape);
        // d/dy = x / (x² + y²): rows sum 1/2 - 1/2 + 0 = 0; d/dx = -y / (x² + y²): columns -1/2 + 1/2 = 0 and 0 - 0
        Assert.Equal(new[] { 0.0, 0.0 }, V(gy));
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, V(gx));
        Assert.Throws<ArgumentException>(() => Atan2(Constant(1), Constant(2)));
    }

    [Fact]
    public void SquaredDifference_WorksForIntegersAndBroadcasts()
    {
        Assert.Equal(new[] { 4, 1, 0 }, SquaredDifference(Constant(new[] { 1, 2, 3 }), Constant(3)).ToArray<int>());
        Assert.Equal(2.0 * (1.0 - 3.0), Grad1(v => SquaredDifference(v, 3.0), 1.0));
        var e = Assert.Throws<ArgumentException>(() => SquaredDifference(Constant(new[] { 1.0, 2.0 }), Constant(new[] { 1.0, 2.0, 3.0 })));
        Assert.StartsWith("SquaredDifference:", e.Message);
    }

    // ------------------------------------------------------------------ AddN

    [Fact]
    public void AddN_SumsSameShapedTensors_EachInputGetsTheWholeAdjoint()
    {
        var a = Constant(new[] { 1.0, 2.0 });
        var b = Constant(new[] { 10.0, 20.0 });
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        tape.Watch(b);
        var s = AddN(new[] { a, b, a });
        Assert.Equal(new[] { 12.0, 24.0 }, V(s));
        Assert.Equal(new[] { 2.0, 2.0 }, V(tape.Gradient(s, a)!));
        Assert.Equal(new[] { 1.0, 1.0 }, V(tape.Gradient(s, b)!));
        Assert.Equal(new[] { 3, 5 }, AddN(new[] { Constant(new[] { 1, 2 }), Constant(new[] { 2, 3 }) }).ToArray<int>());
        using (var acc = new ForwardAccumulator(a, Constant(new[] { 1.0, -1.0 })))
            Assert.Equal(new[] { 2.0, -2.0 }, V(acc.Jvp(AddN(new[] { a, b, a }))!));
    }

    [Fact]
    public void AddN_RejectsEmptyListsAndMismatches_NamingTheInput()
    {
        var e = Assert.Throws<ArgumentException>(() => AddN(Array.Empty<Tensor>()));
        Assert.StartsWith("AddN:", e.Message);
        e = Assert.Throws<ArgumentException>(() => AddN(new[] { Constant(new[] { 1.0, 2.0 }), Constant(new[] { 1.0 }) }));
        Assert.StartsWith("AddN:", e.Message);
        Assert.Contains("input 1", e.Message);
        Assert.Contains("[2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => AddN(new[] { Constant(new[] { 1.0 }), Constant(new[] { 1.0f }) }));
        Assert.Contains("Float32", e.Message);
    }

    // ------------------------------------------------------------------ logical ops and tests

    [Fact]
    public void LogicalOps_TruthTables_WithBroadcasting()
    {
        var p = Constant(new[,] { { true }, { false } });
        var q = Constant(new[] { true, false });
        Assert.Equal(new[] { true, false, false, false }, LogicalAnd(p, q).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, LogicalOr(p, q).ToArray<bool>());
        Assert.Equal(new[] { false, true }, LogicalNot(q).ToArray<bool>());
        Assert.Equal(new[] { 2, 2 }, LogicalOr(p, q).Shape);
        Assert.Equal(DType.Bool, LogicalAnd(p, q).DType);
        var e = Assert.Throws<ArgumentException>(() => LogicalAnd(Constant(new[] { 1.0 }), q));
        Assert.StartsWith("LogicalAnd:", e.Message);
        Assert.Contains("Float64", e.Message);
        Assert.Throws<ArgumentException>(() => LogicalNot(Constant(1)));
        Assert.Throws<ArgumentException>(() => LogicalOr(Constant(new[] { true, false, true }), q));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void IsNanAndIsFinite_AreBool_WithoutGradient(DType dtype)
    {
        var x = Constant(new[] { 1.0, NaN, Inf, -Inf, 0.0 }, dtype);
        Assert.Equal(new[] { false, true, false, false, false }, IsNan(x).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false, true }, IsFinite(x).ToArray<bool>());
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = Cast(IsNan(x), dtype);
        Assert.Null(tape.Gradient(y, x));
        var e = Assert.Throws<ArgumentException>(() => IsNan(Constant(new[] { 1 })));
        Assert.StartsWith("IsNan:", e.Message);
        Assert.Contains("Int32", e.Message);
    }

    // ------------------------------------------------------------------ errors: float-only ops name the op and the dtype

    [Fact]
    public void FloatOnlyOps_RejectIntegers_NamingTheOpAndDtype()
    {
        var ints = Constant(new[] { 1, 2 });
        foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[]
                 {
                     ("Asin", Asin), ("Acos", Acos), ("Sinh", Sinh), ("Cosh", Cosh), ("Asinh", Asinh), ("Acosh", Acosh),
                     ("Atanh", Atanh), ("Erf", Erf), ("Erfc", Erfc), ("Expm1", Expm1), ("Reciprocal", Reciprocal),
                     ("Rsqrt", Rsqrt), ("Floor", Floor), ("Ceil", Ceil), ("Lgamma", Lgamma), ("Digamma", Digamma),
                     ("LeakyRelu", x => LeakyRelu(x)), ("Relu6", Relu6), ("Elu", Elu), ("Selu", Selu), ("Gelu", x => Gelu(x)),
                     ("Softsign", Softsign), ("Silu", x => Silu(x)), ("LogSigmoid", LogSigmoid),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => f(ints));
            Assert.StartsWith(name + ":", e.Message);
            Assert.Contains("Int32", e.Message);
        }
        var nanAlpha = Assert.Throws<ArgumentException>(() => LeakyRelu(Constant(1.0), double.NaN));
        Assert.StartsWith("LeakyRelu:", nanAlpha.Message);
    }
}
