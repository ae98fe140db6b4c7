using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>Convolution and pooling against hand-computed values, TensorFlow's documented output shapes and padding split,
/// max-pool's tie rule (TF's CPU kernel: the first maximum in row-major window order), second order through pooling and
/// convolution, the argument forms TF accepts, and the error messages.</summary>
public class ConvTests
{
    private static Tensor Ramp(int[] shape, double start = 1)
    {
        int n = 1;
        foreach (var d in shape) n *= d;
        return TF.Reshape(TF.Constant(Enumerable.Range(0, n).Select(i => start + i).ToArray()), shape);
    }

    private static void Close(double[] expected, double[] actual, int digits = 12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], digits);
    }

    [Theory]
    // TF's rule: SAME gives ceil(n / s); VALID gives (n - k + s) / s (truncated)
    [InlineData(7, 3, 2, "SAME", 4)]
    [InlineData(7, 3, 2, "VALID", 3)]
    [InlineData(6, 3, 2, "SAME", 3)]
    [InlineData(6, 3, 2, "VALID", 2)]
    [InlineData(5, 2, 2, "VALID", 2)]
    [InlineData(5, 2, 2, "SAME", 3)]
    [InlineData(2, 3, 2, "VALID", 0)]
    [InlineData(2, 3, 1, "VALID", 0)]
    public void OutputExtentsAreTensorFlows(int n, int k, int s, string padding, int expected)
    {
        var x = TF.Ones(new[] { 1, n, n, 1 }, DType.Float64);
        var w = TF.Ones(new[] { k, k, 1, 2 }, DType.Float64);
        Assert.Equal(new[] { 1, expected, expected, 2 }, TF.Conv2D(x, w, s, padding).Shape);
        Assert.Equal(new[] { 1, expected, expected, 1 }, TF.MaxPool2D(x, k, s, padding).Shape);
        Assert.Equal(new[] { 1, expected, expected, 1 }, TF.AvgPool2D(x, k, s, padding).Shape);
    }

    [Fact]
    public void SamePaddingPutsTheOddElementAfter()
    {
        // 4 x 4 input 1..16, 3 x 3 ones, stride 2, SAME: out 2, total padding 1 -> 0 before, 1 after
        var x = Ramp(new[] { 1, 4, 4, 1 });
        var w = TF.Ones(new[] { 3, 3, 1, 1 }, DType.Float64);
        var y = TF.Conv2D(x, w, 2, "SAME");
        Assert.Equal(new[] { 1, 2, 2, 1 }, y.Shape);
        Close(new[] { 54.0, 45, 72, 54 }, y.ToArray<double>());
        // 5 x 5 input, stride 2, 2 x 2 window: total padding max((3 - 1) 2 + 2 - 5, 0) = 1, after
        var m = TF.MaxPool2D(Ramp(new[] { 1, 5, 5, 1 }), 2, 2, "SAME");
        Close(new[] { 7.0, 9, 10, 17, 19, 20, 22, 24, 25 }, m.ToArray<double>());
    }

    [Fact]
    public void AvgPoolSameDividesByTheValidCount()
    {
        var y = TF.AvgPool2D(Ramp(new[] { 1, 3, 3, 1 }), 3, 1, "SAME");
        Close(new[] { (1 + 2 + 4 + 5) / 4.0, (1 + 2 + 3 + 4 + 5 + 6) / 6.0, (2 + 3 + 5 + 6) / 4.0,
                      (1 + 2 + 4 + 5 + 7 + 8) / 6.0, 5.0, (2 + 3 + 5 + 6 + 8 + 9) / 6.0,
                      (4 + 5 + 7 + 8) / 4.0, (4 + 5 + 6 + 7 + 8 + 9) / 6.0, (5 + 6 + 8 + 9) / 4.0 }, y.ToArray<double>());
        using var tape = new GradientTape();
        var x = Ramp(new[] { 1, 3, 3, 1 });
        tape.Watch(x);
        var g = tape.Gradient(TF.AvgPool2D(x, 3, 1, "SAME"), x)!;
        // the corner belongs to 4 windows: three of 4 elements... counted by hand per window
        double c4 = 1 / 4.0, c6 = 1 / 6.0, c9 = 1 / 9.0;
        Close(new[] { c4 + c6 + c6 + c9, c4 + c6 + c4 + c6 + c9 + c6, c6 + c4 + c9 + c6,
                      c4 + c6 + c9 + c4 + c6 + c6, 4 * c4 + 4 * c6 + c9, c6 + c4 + c9 + c6 + c6 + c4,
                      c6 + c9 + c4 + c6, c6 + c9 + c6 + c4 + c6 + c4, c9 + c6 + c6 + c4 }, g.ToArray<double>());
    }

    [Fact]
    public void MaxPoolTiesGoToTheFirstMaximumInRowMajorOrder()
    {
        // one 2 x 2 window with 3 at (0, 1) and (1, 0): TF's CPU kernel gives the gradient to (0, 1)
        var x = TF.Reshape(TF.Constant(new[] { 1.0, 3, 3, 2 }), 1, 2, 2, 1);
        using (var tape = new GradientTape())
        {
            tape.Watch(x);
            var g = tape.Gradient(TF.MaxPool2D(x, 2, 2, "VALID"), x)!;
            Close(new[] { 0.0, 1, 0, 0 }, g.ToArray<double>());
        }
        // all equal: the first element, in every channel
        var flat = TF.Ones(new[] { 1, 2, 2, 2 }, DType.Float32);
        using (var tape = new GradientTape())
        {
            tape.Watch(flat);
            var g = tape.Gradient(TF.MaxPool2D(flat, 2, 2, "VALID"), flat)!;
            Assert.Equal(new[] { 1f, 1, 0, 0, 0, 0, 0, 0 }, g.ToArray<float>());
        }
        // overlapping windows (stride 1) along a row of equal values: each window picks its own first element
        var row = TF.Reshape(TF.Constant(new[] { 5.0, 5, 5, 5 }), 1, 1, 4, 1);
        using (var tape = new GradientTape())
        {
            tape.Watch(row);
            var g = tape.Gradient(TF.MaxPool2D(row, new[] { 1, 2 }, new[] { 1, 1 }, "VALID"), row)!;
            Close(new[] { 1.0, 1, 1, 0 }, g.ToArray<double>());
        }
        // NCHW picks the same element as NHWC
        var nchw = TF.Transpose(x, new[] { 0, 3, 1, 2 });
        using (var tape = new GradientTape())
        {
            tape.Watch(nchw);
            var g = tape.Gradient(TF.MaxPool2D(nchw, 2, 2, "VALID", "NCHW"), nchw)!;
            Close(new[] { 0.0, 1, 0, 0 }, g.ToArray<double>());
        }
    }

    [Fact]
    public void MaxPoolSecondOrderIsTheGatherOfTheDirection()
    {
        // f = sum(maxpool(x)^2): the Hessian times v is 2 v at each argmax, 0 elsewhere (MaxPoolGradGrad)
        var x = TF.Reshape(TF.Constant(new[] { 1.0, 4, 2, 0, 3, 8, 7, 6, 5, 9, -1, -2, 0, 1, 2, 3 }), 1, 4, 4, 1);
        var v = Ramp(new[] { 1, 4, 4, 1 }, 0.5);
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor g;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            g = inner.Gradient(TF.ReduceSum(TF.Square(TF.MaxPool2D(x, 2, 2, "VALID"))), x)!;
        }
        // window maxima 8, 7, 9, 3 at flat indices 5, 6, 9, 15
        Close(new[] { 0, 0, 0, 0, 0, 16.0, 14, 0, 0, 18, 0, 0, 0, 0, 0, 6 }, g.ToArray<double>());
        var hv = outer.Gradient(TF.ReduceSum(g * v), x)!;
        var vs = v.ToArray<double>();
        var expected = new double[16];
        foreach (var i in new[] { 5, 6, 9, 15 }) expected[i] = 2 * vs[i];
        Close(expected, hv.ToArray<double>());
    }

    [Fact]
    public void ConvSecondOrderMixesInputAndFilter()
    {
        // f(x, w) = sum(conv(x, w)^2); d/dw of (df/dx . v) = 2 (conv(v, w) paired with x ... ) checked against a
        // central finite difference of the first derivative in w
        var x = Ramp(new[] { 1, 4, 3, 2 }, -3) * 0.25;
        var w = Ramp(new[] { 2, 2, 2, 3 }, -6) * 0.1;
        var v = Ramp(new[] { 1, 4, 3, 2 }, 1) * 0.01;
        Tensor GradX(Tensor ww)
        {
            using var t = new GradientTape();
            t.Watch(x);
            return t.Gradient(TF.ReduceSum(TF.Square(TF.Conv2D(x, ww, new[] { 2, 1 }, "SAME", dilations: new[] { 1, 2 }))), x)!;
        }
        using var outer = new GradientTape();
        outer.Watch(w);
        var mixed = outer.Gradient(TF.ReduceSum(GradX(w) * v), w)!.ToArray<double>();
        var wv = w.ToArray<double>();
        const double h = 1e-5;
        for (int i = 0; i < wv.Length; i++)
        {
            Tensor Shifted(double s) => TF.Reshape(TF.Constant(wv.Select((e, j) => j == i ? e + s : e).ToArray()), 2, 2, 2, 3);
            double fd = (TF.ReduceSum(GradX(Shifted(h)) * v).ToDouble() - TF.ReduceSum(GradX(Shifted(-h)) * v).ToDouble()) / (2 * h);
            Assert.Equal(fd, mixed[i], 6);
        }
    }

    [Fact]
    public void NchwAgreesWithNhwc()
    {
        var x = Ramp(new[] { 2, 5, 4, 3 }, -20) * 0.1;
        var w = Ramp(new[] { 3, 2, 3, 2 }, -9) * 0.05;
        var toFirst = new[] { 0, 3, 1, 2 };
        var a = TF.Conv2D(x, w, new[] { 2, 1 }, "SAME", dilations: new[] { 1, 2 });
        var b = TF.Conv2D(TF.Transpose(x, toFirst), w, new[] { 1, 1, 2, 1 }, "SAME", "NCHW", new[] { 1, 1, 1, 2 });
        Close(TF.Transpose(a, toFirst).ToArray<double>(), b.ToArray<double>());
        var p = TF.MaxPool2D(x, new[] { 1, 2, 2, 1 }, new[] { 1, 2, 2, 1 }, "SAME");
        var q = TF.MaxPool2D(TF.Transpose(x, toFirst), new[] { 1, 1, 2, 2 }, new[] { 1, 1, 2, 2 }, "SAME", "NCHW");
        Close(TF.Transpose(p, toFirst).ToArray<double>(), q.ToArray<double>());
    }

    [Fact]
    public void TransposeIsTheInputGradientOfConv2D()
    {
        var x = Ramp(new[] { 2, 7, 6, 3 }, -40) * 0.05;
        var w = Ramp(new[] { 3, 3, 3, 4 }, -50) * 0.02;
        var y = TF.Conv2D(x, w, 2, "SAME");
        var g = Ramp(y.Shape.ToArray(), -10) * 0.1;
        using var tape = new GradientTape();
        tape.Watch(x);
        var dx = tape.Gradient(TF.Conv2D(x, w, 2, "SAME"), x, g)!;
        var t = TF.Conv2DTranspose(g, w, new[] { 2, 7, 6, 3 }, 2, "SAME");
        Assert.Equal(new[] { 2, 7, 6, 3 }, t.Shape);
        Close(dx.ToArray<double>(), t.ToArray<double>(), 10);
        // an output shape of 8 rows gives the same input extent 4 under stride 2: both are accepted, as TF
        Assert.Equal(new[] { 2, 8, 6, 3 }, TF.Conv2DTranspose(g, w, new[] { 2, 8, 6, 3 }, 2, "SAME").Shape);
    }

    [Fact]
    public void Conv1DIsConv2DOverAHeightOfOne()
    {
        var x = Ramp(new[] { 2, 9, 3 }, -10) * 0.1;
        var w = Ramp(new[] { 3, 3, 2 }, -5) * 0.1;
        var a = TF.Conv1D(x, w, 2, "VALID", dilations: 2);
        var b = TF.Squeeze(TF.Conv2D(TF.ExpandDims(x, 1), TF.ExpandDims(w, 0), new[] { 1, 2 }, "VALID", dilations: new[] { 1, 2 }), 1);
        Assert.Equal(new[] { 2, 3, 2 }, a.Shape);
        Close(b.ToArray<double>(), a.ToArray<double>());
        var c = TF.Conv1D(TF.Transpose(x, new[] { 0, 2, 1 }), w, new[] { 1, 1, 2 }, "VALID", "NCW", new[] { 1, 1, 2 });
        Close(TF.Transpose(a, new[] { 0, 2, 1 }).ToArray<double>(), c.ToArray<double>());
    }

    [Fact]
    public void DepthwiseOrdersOutputChannelsAsTensorFlow()
    {
        // channel c, multiplier m -> output channel c * M + m
        var x = TF.Reshape(TF.Constant(new[] { 1.0, 10 }), 1, 1, 1, 2);
        var w = TF.Reshape(TF.Constant(new[] { 1.0, 2, 3, 4, 5, 6 }), 1, 1, 2, 3);
        Close(new[] { 1.0, 2, 3, 40, 50, 60 }, TF.DepthwiseConv2D(x, w, 1, "VALID").ToArray<double>());
    }

    [Fact]
    public void Float32Works()
    {
        var x = TF.Cast(Ramp(new[] { 1, 4, 4, 2 }), DType.Float32);
        var w = TF.Ones(new[] { 2, 2, 2, 1 }, DType.Float32);
        var y = TF.Conv2D(x, w, 2, "VALID");
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(new[] { 1f + 2 + 3 + 4 + 9 + 10 + 11 + 12 }, y.ToArray<float>().Take(1).ToArray());
    }

    [Theory]
    [InlineData("NHWC")]
    [InlineData("NCHW")]
    public void IntegerDTypesTensorFlowRegistersGiveTheFloatResults(string format)
    {
        // TF registers Conv2D and Conv2DBackpropInput for int32 and MaxPool for int32 and int64: the same sums and maxima
        // as in Float64 (small integers, exact in both), with the integer dtype and no gradient
        var nhwc = format == "NHWC";
        var xs = nhwc ? new[] { 2, 5, 6, 3 } : new[] { 2, 3, 5, 6 };
        var x = TF.Reshape(TF.Constant(Enumerable.Range(0, 180).Select(i => (double)((i * 7) % 11 - 5)).ToArray()), xs);
        var w = TF.Reshape(TF.Constant(Enumerable.Range(0, 3 * 2 * 3 * 4).Select(i => (double)((i * 5) % 7 - 3)).ToArray()), new[] { 3, 2, 3, 4 });
        var xi = TF.Cast(x, DType.Int32);
        var wi = TF.Cast(w, DType.Int32);
        foreach (var (strides, padding, dil) in new[] { (1, "SAME", 1), (2, "SAME", 1), (2, "VALID", 1), (1, "VALID", 2) })
        {
            var y = TF.Conv2D(x, w, strides, padding, format, dil);
            var yi = TF.Conv2D(xi, wi, strides, padding, format, dil);
            Assert.Equal(DType.Int32, yi.DType);
            Assert.Equal(y.Shape, yi.Shape);
            Assert.Equal(y.ToArray<double>(), yi.ToArray<int>().Select(v => (double)v).ToArray());
            if (dil == 1)
            {
                // the transposed convolution of that output back to the input's shape
                var t = TF.Conv2DTranspose(y, w, xs, strides, padding, format);
                var ti = TF.Conv2DTranspose(yi, wi, xs, strides, padding, format);
                Assert.Equal(DType.Int32, ti.DType);
                Assert.Equal(t.ToArray<double>(), ti.ToArray<int>().Select(v => (double)v).ToArray());
            }
            var p = TF.MaxPool2D(x, 2, strides, padding, format);
            foreach (var dt in new[] { DType.Int32, DType.Int64 })
            {
                var pi = TF.MaxPool2D(TF.Cast(x, dt), 2, strides, padding, format);
                Assert.Equal(dt, pi.DType);
                Assert.Equal(p.ToArray<double>(), TF.Cast(pi, DType.Float64).ToArray<double>());
            }
        }
        var c1 = TF.Conv1D(TF.Reshape(xi, new[] { 2, 30, 3 }), TF.Reshape(wi, new[] { 6, 3, 4 }), 2, "SAME");
        var c1f = TF.Conv1D(TF.Reshape(x, new[] { 2, 30, 3 }), TF.Reshape(w, new[] { 6, 3, 4 }), 2, "SAME");
        Assert.Equal(c1f.ToArray<double>(), c1.ToArray<int>().Select(v => (double)v).ToArray());
    }

    private static void Throws(string[] parts, Action act)
    {
        var e = Assert.Throws<ArgumentException>(act);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void BadArgumentsNameTheOpTheShapesAndWhatWasExpected()
    {
        var x = TF.Ones(new[] { 1, 5, 5, 3 }, DType.Float64);
        var w = TF.Ones(new[] { 3, 3, 2, 4 }, DType.Float64);
        Throws(new[] { "Conv2D", "[1, 5, 5, 3]", "[3, 3, 2, 4]", "multiple" }, () => TF.Conv2D(x, w, 1, "SAME"));
        Throws(new[] { "Conv2D", "[5, 5, 3]", "rank 4" }, () => TF.Conv2D(TF.Ones(new[] { 5, 5, 3 }, DType.Float64), TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 1, "SAME"));
        Throws(new[] { "Conv2D", "\"same\"", "\"SAME\" or \"VALID\"" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 1, "same"));
        Throws(new[] { "Conv2D", "strides", "[0]", "positive" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 0, "SAME"));
        Throws(new[] { "Conv2D", "strides", "[2, 2, 2, 1]", "batch" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), new[] { 2, 2, 2, 1 }, "SAME"));
        Throws(new[] { "Conv2D", "3 entries" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), new[] { 1, 1, 1 }, "SAME"));
        Throws(new[] { "Conv2D", "data_format", "\"NWHC\"" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 1, "SAME", "NWHC"));
        // dtypes TF does not register: Bool anywhere, Int64 for convolutions, integers for the depthwise convolution and the average pool
        Throws(new[] { "Conv2D", "Int64", "Float32, Float64 or Int32" }, () => TF.Conv2D(TF.Ones(new[] { 1, 5, 5, 3 }, DType.Int64), TF.Ones(new[] { 3, 3, 3, 4 }, DType.Int64), 1, "SAME"));
        Throws(new[] { "Conv2D", "Int32", "Float64" }, () => TF.Conv2D(TF.Ones(new[] { 1, 5, 5, 3 }, DType.Int32), TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 1, "SAME"));
        Throws(new[] { "DepthwiseConv2D", "Int32", "Float32 or Float64" }, () => TF.DepthwiseConv2D(TF.Ones(new[] { 1, 5, 5, 3 }, DType.Int32), TF.Ones(new[] { 3, 3, 3, 1 }, DType.Int32), 1, "SAME"));
        Throws(new[] { "AvgPool2D", "Int32", "Float32 or Float64" }, () => TF.AvgPool2D(TF.Ones(new[] { 1, 5, 5, 3 }, DType.Int32), 2, 2, "VALID"));
        Throws(new[] { "MaxPool2D", "Bool", "Float32, Float64, Int32 or Int64" }, () => TF.MaxPool2D(TF.Cast(TF.Ones(new[] { 1, 5, 5, 3 }, DType.Int32), DType.Bool), 2, 2, "VALID"));
        Throws(new[] { "Conv2D", "Float64", "Float32" }, () => TF.Conv2D(x, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float32), 1, "SAME"));
        // VALID with a window larger than the input: negative output size is an error (TF raises), zero an empty output
        Throws(new[] { "Conv2D", "VALID", "negative" }, () => TF.Conv2D(TF.Ones(new[] { 1, 1, 1, 3 }, DType.Float64), TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), 1, "VALID"));
        Throws(new[] { "MaxPool2D", "VALID", "negative" }, () => TF.MaxPool2D(TF.Ones(new[] { 1, 1, 1, 3 }, DType.Float64), 3, 1, "VALID"));
        Throws(new[] { "MaxPool2D", "ksize", "positive" }, () => TF.MaxPool2D(x, 0, 1, "VALID"));
        Throws(new[] { "AvgPool2D", "padding", "\"FULL\"" }, () => TF.AvgPool2D(x, 2, 1, "FULL"));
        Throws(new[] { "DepthwiseConv2D", "[1, 5, 5, 3]", "[3, 3, 2, 1]" }, () => TF.DepthwiseConv2D(x, TF.Ones(new[] { 3, 3, 2, 1 }, DType.Float64), 1, "SAME"));
        Throws(new[] { "Conv1D", "[1, 5, 5, 3]", "rank 3" }, () => TF.Conv1D(x, TF.Ones(new[] { 3, 3, 4 }, DType.Float64), 1, "SAME"));
        var g = TF.Ones(new[] { 1, 3, 3, 4 }, DType.Float64);
        Throws(new[] { "Conv2DTranspose", "[1, 3, 3, 4]", "[1, 9, 9, 3]", "[5, 5]" }, () => TF.Conv2DTranspose(g, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), new[] { 1, 9, 9, 3 }, 2, "SAME"));
        Throws(new[] { "Conv2DTranspose", "output_shape", "channels" }, () => TF.Conv2DTranspose(g, TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64), new[] { 1, 5, 5, 2 }, 2, "SAME"));
    }

    [Fact]
    public void EmptyOutputsAndTheirGradients()
    {
        var x = TF.Ones(new[] { 2, 2, 2, 3 }, DType.Float64);
        var w = TF.Ones(new[] { 3, 3, 3, 4 }, DType.Float64);
        using var tape = new GradientTape();
        tape.Watch(x);
        tape.Watch(w);
        var y = TF.Conv2D(x, w, 1, "VALID");
        Assert.Equal(new[] { 2, 0, 0, 4 }, y.Shape);
        var grads = tape.Gradient(TF.ReduceSum(y), new[] { x, w });
        Assert.Equal(new double[24], grads[0]!.ToArray<double>());
        Assert.Equal(new double[108], grads[1]!.ToArray<double>());
    }

    [Fact]
    public void Float32MaxPoolPicksTheSameElementsAsFloat64()
    {
        // 19 channels: the Float32 kernel compares 8 channels at a time and the rest one by one; small integers make
        // many ties, which both dtypes must break alike (first in row-major window order)
        var rng = new Random(7);
        var values = Enumerable.Range(0, 2 * 5 * 6 * 19).Select(_ => (double)rng.Next(4)).ToArray();
        var x64 = TF.Reshape(TF.Constant(values), 2, 5, 6, 19);
        var x32 = TF.Cast(x64, DType.Float32);
        foreach (var padding in new[] { "SAME", "VALID" })
        {
            using var tape = new GradientTape(persistent: true);
            tape.Watch(x64);
            tape.Watch(x32);
            var y64 = TF.MaxPool2D(x64, new[] { 3, 2 }, new[] { 2, 1 }, padding);
            var y32 = TF.MaxPool2D(x32, new[] { 3, 2 }, new[] { 2, 1 }, padding);
            Close(y64.ToArray<double>(), y32.ToArray<float>().Select(v => (double)v).ToArray());
            var w = Ramp(y64.Shape.ToArray());
            var g64 = tape.Gradient(y64, x64, w)!.ToArray<double>();
            var g32 = tape.Gradient(y32, x32, TF.Cast(w, DType.Float32))!.ToArray<float>();
            Close(g64, g32.Select(v => (double)v).ToArray());
        }
    }

    [Fact]
    public void LargeBatchesAreDoneInPartsWithTheSameResults()
    {
        // a patch matrix of 32 x 32 x 5 x 5 x 1024 = 26.2M elements per image is above the 2^24 per part, so a batch of
        // 3 is done image by image; each image alone is one part: the results must agree
        var rng = new Random(11);
        var x = TF.Cast(TF.Reshape(TF.Constant(Enumerable.Range(0, 3 * 32 * 32 * 1024).Select(_ => rng.NextDouble() - 0.5).ToArray()), 3, 32, 32, 1024), DType.Float32);
        var w = TF.Cast(TF.Reshape(TF.Constant(Enumerable.Range(0, 5 * 5 * 1024 * 2).Select(_ => rng.NextDouble() - 0.5).ToArray()), 5, 5, 1024, 2), DType.Float32);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        tape.Watch(w);
        var y = TF.Conv2D(x, w, 1, "SAME");
        var g = tape.Gradient(TF.ReduceSum(TF.Square(y)), new[] { x, w });
        var dwSum = new double[5 * 5 * 1024 * 2];
        for (int i = 0; i < 3; i++)
        {
            var xi = TF.ExpandDims(x[i], 0);
            using var t = new GradientTape();
            t.Watch(xi);
            t.Watch(w);
            var yi = TF.Conv2D(xi, w, 1, "SAME");
            Close(yi.ToArray<float>().Select(v => (double)v).ToArray(), y[i].ToArray<float>().Select(v => (double)v).ToArray(), 3);
            var gi = t.Gradient(TF.ReduceSum(TF.Square(yi)), new[] { xi, w });
            Close(gi[0]!.ToArray<float>().Select(v => (double)v).ToArray(), g[0]![i].ToArray<float>().Select(v => (double)v).ToArray(), 2);
            var dw = gi[1]!.ToArray<float>();
            for (int j = 0; j < dw.Length; j++) dwSum[j] += dw[j];
        }
        var dwAll = g[1]!.ToArray<float>();
        for (int j = 0; j < dwSum.Length; j++) Assert.True(Math.Abs(dwSum[j] - dwAll[j]) <= 1e-3 * (1 + Math.Abs(dwSum[j])), $"dw[{j}]: {dwAll[j]} vs {dwSum[j]}");
    }
}
