using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Statistics, scans, norms, sorting and segment sums: the values TensorFlow's documentation gives, the edge
/// cases (negative axes, keepDims, ties, NaN, integer dtypes), closed-form gradients (CumProd at zeros, TopK and Sort
/// scattering back, segment gathers) and the error messages, each naming its op.</summary>
public class StatisticsTests
{
    private static double[] V(Tensor t) => t.ToArray<double>();
    private static int[] I(Tensor t) => t.ToArray<int>();

    private static void Near(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = V(actual);
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {a[i]}, expected {expected[i]}");
    }

    private static Tensor Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var tape = new GradientTape();
        tape.Watch(x);
        return tape.Gradient(f(x), x)!;
    }

    private static ArgumentException Fails(string op, Action a, string fragment)
    {
        var e = Assert.Throws<ArgumentException>(a);
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains(fragment, e.Message);
        return e;
    }

    private static readonly Tensor X22 = Constant(new double[,] { { 1, 2 }, { 3, 4 } });

    // ------------------------------------------------------------------ variance, std, moments

    [Fact]
    public void ReduceStdAndVariance_TensorFlowsExamples()
    {
        // tf.math.reduce_std([[1., 2.], [3., 4.]]) = 1.1180339887498949, axis 0 [1, 1], axis 1 [0.5, 0.5]
        Near(new[] { 1.1180339887498949 }, ReduceStd(X22));
        Near(new[] { 1.0, 1.0 }, ReduceStd(X22, 0));
        Near(new[] { 0.5, 0.5 }, ReduceStd(X22, 1));
        // tf.math.reduce_variance: 1.25, [1, 1], [0.25, 0.25]
        Near(new[] { 1.25 }, ReduceVariance(X22));
        Near(new[] { 1.0, 1.0 }, ReduceVariance(X22, 0));
        Near(new[] { 0.25, 0.25 }, ReduceVariance(X22, -1));
        Assert.Equal(new[] { 2, 1 }, ReduceVariance(X22, -1, keepDims: true).Shape);
        Assert.Equal(new[] { 1, 1 }, ReduceStd(X22, keepDims: true).Shape);
        var f = ReduceVariance(Constant(new float[] { 1, 2, 3, 4 }));
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(1.25f, f.ToSingle());
    }

    [Fact]
    public void ReduceVariance_Gradient_IsTwoOverNTimesTheDeviation()
    {
        var g = Grad(x => ReduceVariance(x), Constant(new[] { 1.0, 2.0, 4.0, 9.0 }));
        // mean 4: 2/4 (x - 4)
        Near(new[] { -1.5, -1.0, 0.0, 2.5 }, g);
        var s = Grad(x => ReduceStd(x), Constant(new[] { 1.0, 3.0 }));
        // std 1: (x - mean) / (N std)
        Near(new[] { -0.5, 0.5 }, s);
        // a constant group: std 0, derivative NaN (as TensorFlow)
        Assert.All(V(Grad(x => ReduceStd(x), Constant(new[] { 2.0, 2.0 }))), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Moments_MeanAndVariance_KeepDims_AndExactSecondDerivative()
    {
        var (mean, variance) = Nn.Moments(X22, new[] { 0 });
        Near(new[] { 2.0, 3.0 }, mean);
        Near(new[] { 1.0, 1.0 }, variance);
        var (m2, v2) = Nn.Moments(X22, new[] { -1, 0 }, keepDims: true);
        Assert.Equal(new[] { 1, 1 }, m2.Shape);
        Near(new[] { 2.5 }, m2);
        Near(new[] { 1.25 }, v2);
        // d²var/dx0dx1 over 2 elements = -2/N² = -0.5 (TensorFlow's stop_gradient would give 0)
        var x = Constant(new[] { 1.0, 4.0 });
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor g;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            g = inner.Gradient(Nn.Moments(x, new[] { 0 }).Variance, x)!;
        }
        var h = outer.Jacobian(g, x)!;
        Near(new[] { 0.5, -0.5, -0.5, 0.5 }, h);
    }

    // ------------------------------------------------------------------ Bool reductions

    [Fact]
    public void ReduceAllAndAny_TensorFlowsExamples()
    {
        var x = Constant(new[,] { { true, true }, { false, false } });
        Assert.False(ReduceAll(x).ToArray<bool>()[0]);
        Assert.Equal(new[] { false, false }, ReduceAll(x, 0).ToArray<bool>());
        Assert.Equal(new[] { true, false }, ReduceAll(x, 1).ToArray<bool>());
        Assert.True(ReduceAny(x).ToArray<bool>()[0]);
        Assert.Equal(new[] { true, true }, ReduceAny(x, 0).ToArray<bool>());
        Assert.Equal(new[] { true, false }, ReduceAny(x, -1).ToArray<bool>());
        Assert.Equal(new[] { 2, 1 }, ReduceAny(x, new[] { -1 }, keepDims: true).Shape);
        Assert.Equal(DType.Bool, ReduceAll(x, 0).DType);
        Fails("ReduceAll", () => ReduceAll(X22), "expected Bool");
        Fails("ReduceAny", () => ReduceAny(Constant(new[] { 1 })), "dtype Int32");
    }

    // ------------------------------------------------------------------ scans

    [Fact]
    public void CumSum_TensorFlowsExamples()
    {
        var x = Constant(new[] { 2.0, 4, 6, 8 });
        Near(new[] { 2.0, 6, 12, 20 }, CumSum(x));
        Near(new[] { 0.0, 2, 6, 12 }, CumSum(x, exclusive: true));
        Near(new[] { 20.0, 18, 14, 8 }, CumSum(x, reverse: true));
        Near(new[] { 18.0, 14, 8, 0 }, CumSum(x, exclusive: true, reverse: true));
        var y = Constant(new[,] { { 2, 4, 6, 8 }, { 1, 3, 5, 7 } });
        Assert.Equal(new[] { 2, 4, 6, 8, 3, 7, 11, 15 }, I(CumSum(y, 0)));
        Assert.Equal(new[] { 2, 6, 12, 20, 1, 4, 9, 16 }, I(CumSum(y, -1)));
        Assert.Equal(DType.Int32, CumSum(y).DType);
        Fails("CumSum", () => CumSum(Constant(1.0)), "rank >= 1");
        Fails("CumSum", () => CumSum(x, 1), "axis 1 is out of range");
    }

    [Fact]
    public void CumSum_Gradient_IsTheReverseScan()
    {
        var x = Constant(new[] { 1.0, 2, 3, 4 });
        Near(new[] { 4.0, 3, 2, 1 }, Grad(v => CumSum(v), x));
        Near(new[] { 3.0, 2, 1, 0 }, Grad(v => CumSum(v, exclusive: true), x));
        Near(new[] { 1.0, 2, 3, 4 }, Grad(v => CumSum(v, reverse: true), x));
        Near(new[] { 0.0, 1, 2, 3 }, Grad(v => CumSum(v, exclusive: true, reverse: true), x));
    }

    [Fact]
    public void CumProd_TensorFlowsExamples()
    {
        var x = Constant(new[] { 2.0, 4, 6, 8 });
        Near(new[] { 2.0, 8, 48, 384 }, CumProd(x));
        Near(new[] { 1.0, 2, 8, 48 }, CumProd(x, exclusive: true));
        Near(new[] { 384.0, 192, 48, 8 }, CumProd(x, reverse: true));
        Near(new[] { 192.0, 48, 8, 1 }, CumProd(x, exclusive: true, reverse: true));
        var ints = Constant(new long[] { 2, 4, 6, 8 });
        Assert.Equal(new long[] { 192, 48, 8, 1 }, CumProd(ints, exclusive: true, reverse: true).ToArray<long>());
        var m = Constant(new[,] { { 1.0, 2, 3 }, { 4, 5, 6 } });
        Near(new[] { 1.0, 2, 3, 4, 10, 18 }, CumProd(m, 0));
        Near(new[] { 1.0, 2, 6, 4, 20, 120 }, CumProd(m, -1));
        Fails("CumProd", () => CumProd(Constant(new[] { true })), "dtype Bool");
    }

    [Fact]
    public void CumProd_GradientWithZeros_IsExact_AtFirstAndSecondOrder()
    {
        // y = [x0, x0 x1, x0 x1 x2]; d sum / dx = [1 + x1 + x1 x2, x0 + x0 x2, x0 x1]
        Near(new[] { 1.0, 8, 0 }, Grad(v => CumProd(v), Constant(new[] { 2.0, 0, 3 })));
        Near(new[] { 1.0, 0, 0 }, Grad(v => CumProd(v), Constant(new[] { 0.0, 0, 3 })));
        // exclusive reverse: y = [x1 x2, x2, 1]; d sum / dx = [0, x2, x1 + 1]
        Near(new[] { 0.0, 3, 1 }, Grad(v => CumProd(v, exclusive: true, reverse: true), Constant(new[] { 2.0, 0, 3 })));
        // second order: H of sum(y) at [2, 0, 3] = [[0, 1 + x2, x1], [1 + x2, 0, x0], [x1, x0, 0]]
        var x = Constant(new[] { 2.0, 0, 3 });
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor g;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            g = inner.Gradient(CumProd(x), x)!;
        }
        Near(new[] { 0.0, 4, 0, 4, 0, 2, 0, 2, 0 }, outer.Jacobian(g, x)!);
    }

    // ------------------------------------------------------------------ norms

    [Fact]
    public void L2Normalize_TensorFlowsExamples()
    {
        Near(new[] { 0.6, 0.8 }, L2Normalize(Constant(new[] { 3.0, 4.0 })));
        Near(new[] { 0.6, 0.8 }, L2Normalize(Constant(new[,] { { 3.0 }, { 4.0 } }), 0));
        Near(new[] { 1.0, 0.0, 0.6, 0.8 }, L2Normalize(Constant(new[,] { { 2.0, 0.0 }, { 3.0, 4.0 } }), -1));
        // below epsilon the scale is 1/sqrt(epsilon): zeros stay zeros, tiny values grow to at most 1
        Near(new[] { 0.0, 0.0 }, L2Normalize(Constant(new[] { 0.0, 0.0 })));
        Near(new[] { 1e-7 / Math.Sqrt(1e-12) }, L2Normalize(Constant(new[] { 1e-7 })), 1e-9);
        // d(x / |x|) = (I - u uᵀ) / |x|: for x = [3, 4], the gradient of u0 is [0.64, -0.48] / 5
        Near(new[] { 0.128, -0.096 }, Grad(v => Slice(L2Normalize(v), new[] { 0 }, new[] { 1 }), Constant(new[] { 3.0, 4.0 })));
        Fails("L2Normalize", () => L2Normalize(Constant(new[] { 1, 2 })), "dtype Int32");
    }

    [Fact]
    public void ClipByNorm_TensorFlowsExample_AndGradients()
    {
        var nums = Constant(new float[,] { { 1, 2, 3, 4, 5 } });
        var clipped = ClipByNorm(nums, 2.0);
        Assert.Equal(DType.Float32, clipped.DType);
        Near(new[] { 0.26967996, 0.5393599, 0.80903983, 1.0787199, 1.3483998 }, clipped, 1e-6);
        // along axis 1 of a column: each row's own norm
        Near(new[] { 1.0, -1.0, 0.5 }, ClipByNorm(Constant(new[,] { { 3.0 }, { -2.0 }, { 0.5 } }), 1.0, new[] { 1 }));
        // not clipped: identity, and no derivative in clipNorm
        var x = Constant(new[] { 0.3, 0.4 });
        Near(new[] { 1.0, 1.0 }, Grad(v => ClipByNorm(v, 1.0), x));
        var c = Constant(1.0);
        Near(new[] { 0.0 }, Grad(k => ReduceSum(ClipByNorm(x, k)), c));
        // clipped: d/dclipNorm = sum(t) / |t| = 7 / 5
        Near(new[] { 1.4 }, Grad(k => ReduceSum(ClipByNorm(Constant(new[] { 3.0, 4.0 }), k)), Constant(1.0)));
        // a zero slice stays zero with finite (identity) gradient
        Near(new[] { 1.0, 1.0 }, Grad(v => ClipByNorm(v, 1.0), Constant(new[] { 0.0, 0.0 })));
        // inf: NaN at the inf, 0 elsewhere (as TensorFlow)
        var inf = V(ClipByNorm(Constant(new[] { double.PositiveInfinity, 1.0 }), 1.0));
        Assert.True(double.IsNaN(inf[0]));
        Assert.Equal(0.0, inf[1]);
        Fails("ClipByNorm", () => ClipByNorm(Constant(new[] { 1, 2 }), 1), "dtype Int32");
        Fails("ClipByNorm", () => ClipByNorm(Constant(new[] { 1.0, 2.0 }), Constant(new[] { 1.0, 2.0, 3.0 })), "does not broadcast");
    }

    [Fact]
    public void ClipByGlobalNorm_ScalesEveryTensor_AndReturnsTheNorm()
    {
        var a = Constant(new[] { 3.0, 0.0 });
        var b = Constant(new[,] { { 0.0 }, { 4.0 } });
        var (clipped, norm) = ClipByGlobalNorm(new Tensor?[] { a, null, b }, 2.5);
        Near(new[] { 5.0 }, norm);
        Near(new[] { 1.5, 0.0 }, clipped[0]!);
        Assert.Null(clipped[1]);
        Near(new[] { 0.0, 2.0 }, clipped[2]!);
        Assert.Equal(new[] { 2, 1 }, clipped[2]!.Shape);
        // under the clip norm: unchanged
        var (same, n2) = ClipByGlobalNorm(new[] { a, b }, 10.0);
        Near(new[] { 3.0, 0.0 }, same[0]!);
        Near(new[] { 5.0 }, n2);
        // useNorm replaces the computed norm
        Near(new[] { 0.3, 0.0 }, ClipByGlobalNorm(new[] { a }, 1.0, useNorm: 10.0).ListClipped[0]!);
        // an infinite norm makes every tensor NaN (TensorFlow's formula)
        var (nan, inf) = ClipByGlobalNorm(new[] { Constant(new[] { double.PositiveInfinity }), a }, 1.0);
        Assert.True(double.IsPositiveInfinity(inf.ToDouble()));
        Assert.All(V(nan[1]!), v => Assert.True(double.IsNaN(v)));
        // gradient of sum(clipped a) in a at norm 5 > 2.5: 2.5 (1/5 - a a_sum / 125) with a_sum = 3
        var g = Grad(v => ReduceSum(ClipByGlobalNorm(new[] { v, b }, 2.5).ListClipped[0]!), a);
        Near(new[] { 2.5 * (1.0 / 5 - 3.0 * 3 / 125), 2.5 * (1.0 / 5) }, g);
        Fails("ClipByGlobalNorm", () => ClipByGlobalNorm(new[] { a, Constant(new[] { 1f }) }, 1.0), "expected one dtype");
        Fails("ClipByGlobalNorm", () => ClipByGlobalNorm(new[] { a }, Constant(new[] { 1.0 })), "expected a scalar");
        Fails("ClipByGlobalNorm", () => ClipByGlobalNorm(new Tensor?[] { null }, 1.0), "at least one tensor");
    }

    // ------------------------------------------------------------------ sorting

    [Fact]
    public void TopK_TensorFlowsExamples_TiesLowerIndexFirst()
    {
        var (values, indices) = TopK(Constant(new[] { 1, 2, 98, 1, 1, 99, 3, 1, 3, 96, 4, 1 }), k: 3);
        Assert.Equal(new[] { 99, 98, 96 }, I(values));
        Assert.Equal(new[] { 5, 2, 9 }, I(indices));
        Assert.Equal(DType.Int32, indices.DType);
        var ties = TopK(Constant(new[] { 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0 }), k: 3);
        Assert.Equal(new[] { 0, 1, 3 }, I(ties.Indices));
        var m = TopK(Constant(new[,] { { 1.0, 5, 3 }, { 7, 2, 7 } }), 2);
        Assert.Equal(new[] { 2, 2 }, m.Values.Shape);
        Near(new[] { 5.0, 3, 7, 7 }, m.Values);
        Assert.Equal(new[] { 1, 2, 0, 2 }, I(m.Indices));
        // NaN counts above +inf
        var nan = TopK(Constant(new[] { 1.0, double.NaN, double.PositiveInfinity }), 2);
        Assert.Equal(new[] { 1, 2 }, I(nan.Indices));
        Fails("TopK", () => TopK(Constant(new[] { 1.0, 2.0 }), 3), "out of range");
        Fails("TopK", () => TopK(Constant(1.0)), "rank >= 1");
    }

    [Fact]
    public void TopK_Gradient_ScattersToTheChosenIndices()
    {
        var x = Constant(new[] { 1.0, 5, 3, 5 });
        Near(new[] { 0.0, 1, 0, 1 }, Grad(v => TopK(v, 2).Values, x));
        Near(new[] { 0.0, 1, 3, 2 }, Grad(v => TopK(v, 3).Values * Constant(new[] { 1.0, 2, 3 }), x));
    }

    [Fact]
    public void Sort_And_ArgSort_TensorFlowsExamples()
    {
        var x = Constant(new[] { 1, 10, 26.9, 2.8, 166.32, 62.3 });
        Near(new[] { 1, 2.8, 10, 26.9, 62.3, 166.32 }, Sort(x));
        Near(new[] { 166.32, 62.3, 26.9, 10, 2.8, 1 }, Sort(x, direction: "DESCENDING"));
        Assert.Equal(new[] { 0, 3, 1, 2, 5, 4 }, I(ArgSort(x)));
        Assert.Equal(new[] { 4, 5, 2, 1, 3, 0 }, I(ArgSort(x, direction: "DESCENDING")));
        Assert.Equal(DType.Int32, ArgSort(x).DType);
        // stable in both directions: equal elements keep their order
        var ties = Constant(new[] { 3, 1, 3, 1 });
        Assert.Equal(new[] { 1, 3, 0, 2 }, I(ArgSort(ties)));
        Assert.Equal(new[] { 0, 2, 1, 3 }, I(ArgSort(ties, direction: "DESCENDING", stable: true)));
        // along axis 0 of a matrix
        var m = Constant(new[,] { { 3.0, 1 }, { 1, 2 }, { 2, 0 } });
        Near(new[] { 1.0, 0, 2, 1, 3, 2 }, Sort(m, 0));
        Assert.Equal(new[] { 1, 2, 2, 0, 0, 1 }, I(ArgSort(m, -2)));
        // NaN last ascending, first descending
        var nan = V(Sort(Constant(new[] { double.NaN, 1, double.NegativeInfinity })));
        Assert.Equal(new[] { double.NegativeInfinity, 1 }, nan[..2]);
        Assert.True(double.IsNaN(nan[2]));
        Assert.True(double.IsNaN(V(Sort(Constant(new[] { 1, double.NaN }), direction: "DESCENDING"))[0]));
        Fails("Sort", () => Sort(x, direction: "UP"), "'UP' is not ASCENDING or DESCENDING");
        Fails("ArgSort", () => ArgSort(x, 1), "axis 1 is out of range");
        Fails("Sort", () => Sort(Constant(new[] { true })), "dtype Bool");
    }

    [Fact]
    public void Sort_Gradient_GoesBackToWhereEachElementCameFrom()
    {
        // sorted [1, 2, 3] came from positions [1, 2, 0]
        Near(new[] { 3.0, 1, 2 }, Grad(v => Sort(v) * Constant(new[] { 1.0, 2, 3 }), Constant(new[] { 3.0, 1, 2 })));
        Near(new[] { 1.0, 3, 2 }, Grad(v => Sort(v, direction: "DESCENDING") * Constant(new[] { 1.0, 2, 3 }), Constant(new[] { 3.0, 1, 2 })));
    }

    // ------------------------------------------------------------------ segments

    [Fact]
    public void SegmentSum_TensorFlowsExample_AndGradient()
    {
        var c = Constant(new[,] { { 1, 2, 3, 4 }, { 4, 3, 2, 1 }, { 5, 6, 7, 8 } });
        Assert.Equal(new[] { 5, 5, 5, 5, 5, 6, 7, 8 }, I(SegmentSum(c, Constant(new[] { 0, 0, 1 }))));
        // a skipped id gives a zero row
        Near(new[] { 1.0, 0, 5 }, SegmentSum(Constant(new[] { 1.0, 2, 3 }), Constant(new long[] { 0, 2, 2 })));
        Near(new[] { 10.0, 20, 20 }, Grad(d => SegmentSum(d, Constant(new[] { 0, 2, 2 })) * Constant(new[] { 10.0, 0, 20 }), Constant(new[] { 1.0, 2, 3 })));
        Fails("SegmentSum", () => SegmentSum(Constant(new[] { 1.0, 2 }), Constant(new[] { 1, 0 })), "not sorted");
        Fails("SegmentSum", () => SegmentSum(Constant(new[] { 1.0, 2 }), Constant(new[] { -1, 0 })), "is negative");
        Fails("SegmentSum", () => SegmentSum(Constant(new[] { 1.0, 2 }), Constant(new[] { 0 })), "expected a vector as long as data's first dimension (2)");
        Fails("SegmentSum", () => SegmentSum(Constant(new[] { 1.0 }), Constant(new[] { 0.0 })), "expected Int32 or Int64");
    }

    [Fact]
    public void UnsortedSegmentSum_TensorFlowsExample_NegativeIdsDropped_AndGradient()
    {
        var c = Constant(new[,] { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 4, 3, 2, 1 } });
        var r = UnsortedSegmentSum(c, Constant(new[] { 0, 1, 0 }), 2);
        Assert.Equal(new[] { 2, 4 }, r.Shape);
        Assert.Equal(new[] { 5, 5, 5, 5, 5, 6, 7, 8 }, I(r));
        // ids of a prefix shape [2, 2] over data [2, 2, 1]; -1 drops its slice
        var d = Constant(new double[,,] { { { 1 }, { 2 } }, { { 3 }, { 4 } } });
        var ids = Constant(new[,] { { 2, -1 }, { 0, 2 } });
        var s = UnsortedSegmentSum(d, ids, 3);
        Assert.Equal(new[] { 3, 1 }, s.Shape);
        Near(new[] { 3.0, 0, 5 }, s);
        Near(new[] { 30.0, 0, 10, 30 }, Grad(v => UnsortedSegmentSum(v, ids, 3) * Constant(new[,] { { 10.0 }, { 20 }, { 30 } }), d));
        Fails("UnsortedSegmentSum", () => UnsortedSegmentSum(d, ids, 2), "out of range [0, 2)");
        Fails("UnsortedSegmentSum", () => UnsortedSegmentSum(d, Constant(new[] { 0, 1, 0 }), 2), "expected a prefix of data's shape");
        Fails("UnsortedSegmentSum", () => UnsortedSegmentSum(d, ids, -1), "numSegments >= 0");
    }

    [Fact]
    public void SortAndSegments_UnderForwardMode_AgreeWithReverse()
    {
        var x = Constant(new[] { 3.0, 1, 2 });
        var t = Constant(new[] { 1.0, 10, 100 });
        using (var acc = new ForwardAccumulator(x, t))
        {
            Near(new[] { 10.0, 100, 1 }, acc.Jvp(Sort(x))!);
            Near(new[] { 1.0, 100 }, acc.Jvp(TopK(x, 2).Values)!);
            Near(new[] { 1.0, 11, 111 }, acc.Jvp(CumSum(x))!);
            Near(new[] { 101.0, 10 }, acc.Jvp(UnsortedSegmentSum(x, Constant(new[] { 0, 1, 0 }), 2))!);
        }
    }
}
