using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Values, kinks and ties, stability and error messages of the ops of API.md.</summary>
public class OpsTests
{
    private static double[] Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var t = new GradientTape();
        t.Watch(x);
        return t.Gradient(f(x), x, unconnectedGradients: UnconnectedGradients.Zero)!.ToArray<double>();
    }

    private static void Close(double[] expected, double[] actual, int digits = 10)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], digits);
    }

    [Fact]
    public void Kinks_FollowTensorFlow()
    {
        var x = Constant(new[] { -1.0, 0.0, 2.0 });
        Assert.Equal(new[] { 0.0, 0.0, 1.0 }, Grad(Relu, x));      // relu'(0) = 0
        Assert.Equal(new[] { -1.0, 0.0, 1.0 }, Grad(Abs, x));      // abs'(0) = 0
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, Grad(Sign, x));      // zeros, not null
        using var t = new GradientTape();
        t.Watch(x);
        Assert.NotNull(t.Gradient(Sign(x), x));
    }

    [Fact]
    public void Ties_MaximumAndMinimumGiveEverythingToTheFirstArgument()
    {
        var a = Constant(new[] { 1.0, 2.0, 3.0 });
        var b = Constant(new[] { 1.0, 5.0, 0.0 });
        using var t = new GradientTape(persistent: true);
        t.Watch(a);
        t.Watch(b);
        var mx = Maximum(a, b);
        var mn = Minimum(a, b);
        Assert.Equal(new[] { 1.0, 0.0, 1.0 }, t.Gradient(mx, a)!.ToArray<double>());
        Assert.Equal(new[] { 0.0, 1.0, 0.0 }, t.Gradient(mx, b)!.ToArray<double>());
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, t.Gradient(mn, a)!.ToArray<double>());
        Assert.Equal(new[] { 0.0, 0.0, 1.0 }, t.Gradient(mn, b)!.ToArray<double>());
    }

    [Fact]
    public void Ties_ReduceMaxSplitsEvenly()
    {
        var x = Constant(new[] { 3.0, 1.0, 3.0, 3.0 });
        Close(new[] { 1 / 3.0, 0, 1 / 3.0, 1 / 3.0 }, Grad(v => ReduceMax(v), x));
        Close(new[] { 0, 1.0, 0, 0 }, Grad(v => ReduceMin(v), x));
    }

    [Fact]
    public void ClipByValue_GradientInsideAndAtTheBounds()
    {
        var x = Constant(new[] { -2.0, -1.0, 0.5, 1.0, 3.0 });
        Assert.Equal(new[] { -1.0, -1.0, 0.5, 1.0, 1.0 }, ClipByValue(x, -1.0, 1.0).ToArray<double>());
        Assert.Equal(new[] { 0.0, 1.0, 1.0, 1.0, 0.0 }, Grad(v => ClipByValue(v, -1.0, 1.0), x));
    }

    [Fact]
    public void Pow_BothArguments()
    {
        var a = Constant(new[] { 2.0, 3.0 });
        var b = Constant(new[] { 3.0, 0.5 });
        Close(new[] { 3 * 4.0, 0.5 / Math.Sqrt(3) }, Grad(v => Pow(v, b), a));
        Close(new[] { 8 * Math.Log(2), Math.Sqrt(3) * Math.Log(3) }, Grad(v => Pow(a, v), b));
        Assert.Equal(new[] { 0.0 }, Grad(v => Pow(Constant(new[] { 0.0 }), v), Constant(new[] { 2.0 }))); // log 0 taken as 0
        Assert.Equal(new[] { 8, 9 }, Pow(Constant(new[] { 2, 3 }), Constant(new[] { 3, 2 })).ToArray<int>());
    }

    [Fact]
    public void ElementwiseValuesAndDerivatives()
    {
        var x = Constant(new[] { 0.25, 1.5 });
        Close(new[] { Math.Log(1.25), Math.Log(2.5) }, Log1p(x).ToArray<double>());
        Assert.Equal(1.0, Log1p(Constant(1e-20)).ToDouble() / 1e-20, 12); // log(1 + x) with 1 + x rounded to 1 would give 0
        Close(new[] { 1 / 1.25, 1 / 2.5 }, Grad(Log1p, x));
        Close(new[] { 1 / Math.Pow(Math.Cos(0.25), 2), 1 / Math.Pow(Math.Cos(1.5), 2) }, Grad(Tan, x), 8);
        Close(new[] { 0.5 / Math.Sqrt(0.25), 0.5 / Math.Sqrt(1.5) }, Grad(Sqrt, x));
        Close(x.ToArray<double>().Select(v => 1 / (1 + Math.Exp(-v))).ToArray(), Grad(Softplus, x));
        Assert.Equal(1e4, Softplus(Constant(1e4)).ToDouble());
        Assert.Equal(0.0, Softplus(Constant(-1e4)).ToDouble());
    }

    [Fact]
    public void Where_RoutesGradients()
    {
        var c = Constant(new[] { true, false, true });
        var x = Constant(new[] { 1.0, 2.0, 3.0 });
        var y = Constant(new[] { 10.0, 20.0, 30.0 });
        Assert.Equal(new[] { 1.0, 20.0, 3.0 }, Where(c, x, y).ToArray<double>());
        Assert.Equal(new[] { 1.0, 0.0, 1.0 }, Grad(v => Where(c, v, y), x));
        Assert.Equal(new[] { 0.0, 1.0, 0.0 }, Grad(v => Where(c, x, v), y));
        var e = Assert.Throws<ArgumentException>(() => Where(x, x, y));
        Assert.Contains("Bool", e.Message);
    }

    [Fact]
    public void Comparisons_AreBool()
    {
        var a = Constant(new[] { 1, 2, 3 });
        var b = Constant(new[] { 2, 2, 2 });
        Assert.Equal(new[] { false, true, false }, Equal(a, b).ToArray<bool>());
        Assert.Equal(new[] { false, false, true }, Greater(a, b).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, Less(a, b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, GreaterEqual(a, b).ToArray<bool>());
        Assert.Equal(new[] { true, true, false }, LessEqual(a, b).ToArray<bool>());
        Assert.Equal(DType.Bool, Greater(Constant(1.5), 1.0).DType);
        Assert.Equal(new[] { 2L, 0L }, ArgMax(Constant(new double[,] { { 1, 2, 9 }, { 7, 2, 3 } })).ToArray<long>());
        Assert.Equal(new[] { 0L, 1L }, ArgMin(Constant(new double[,] { { 1, 2, 9 }, { 7, 2, 3 } })).ToArray<long>());
        Assert.Equal(new[] { 1L, 0L, 0L }, ArgMax(Constant(new double[,] { { 1, 2, 9 }, { 7, 2, 3 } }), 0).ToArray<long>());
    }

    [Fact]
    public void Reductions_SeveralAndNegativeAxes()
    {
        var x = Reshape(Range(0, 24, dtype: DType.Float64), 2, 3, 4);
        Assert.Equal(new[] { 3 }, ReduceSum(x, new[] { 0, -1 }).Shape);
        Assert.Equal(new[] { 0 + 1 + 2 + 3 + 12 + 13 + 14 + 15.0, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19, 8 + 9 + 10 + 11 + 20 + 21 + 22 + 23 },
            ReduceSum(x, new[] { 0, -1 }).ToArray<double>());
        Assert.Equal(new[] { 1, 3, 1 }, ReduceMax(x, new[] { 0, 2 }, keepDims: true).Shape);
        Assert.Equal(new[] { 15.0, 19, 23 }, ReduceMax(x, new[] { 0, 2 }).ToArray<double>());
        Assert.Equal(new[] { 0.0, 4, 8 }, ReduceMin(x, new[] { -3, -1 }).ToArray<double>());
        Assert.Equal(0.0, ReduceProd(x).ToDouble());
        Assert.Equal(24.0, ReduceProd(Constant(new[] { 1.0, 2, 3, 4 })).ToDouble());
        var e = Assert.Throws<ArgumentException>(() => ReduceSum(x, new[] { 1, -2 }));
        Assert.Contains("repeated", e.Message);
        Assert.Equal(new[] { 1, 2, 4 }, ReduceMean(Constant(new[,] { { 1, 2, 4 }, { 2, 3, 5 } }), 0).ToArray<int>()); // truncates
    }

    [Fact]
    public void ReduceProd_GradientWithZeros()
    {
        Close(new[] { 12.0, 8, 6 }, Grad(v => ReduceProd(v), Constant(new[] { 2.0, 3, 4 })));
        Close(new[] { 12.0, 0, 0 }, Grad(v => ReduceProd(v), Constant(new[] { 0.0, 3, 4 })));
        Close(new[] { 0.0, 0, 0 }, Grad(v => ReduceProd(v), Constant(new[] { 0.0, 0, 4 })));
    }

    [Fact]
    public void LogSumExp_IsStableForLargeLogits()
    {
        var x = Constant(new[] { 1e4, 1e4 });
        Assert.Equal(1e4 + Math.Log(2), ReduceLogSumExp(x).ToDouble(), 8);
        Close(new[] { 0.5, 0.5 }, Grad(v => ReduceLogSumExp(v), x));
        var sm = Softmax(Constant(new[] { 1e4, 0.0, -1e4 })).ToArray<double>();
        Assert.Equal(new[] { 1.0, 0.0, 0.0 }, sm);
        var ls = LogSoftmax(Constant(new[] { 1e4f, 0f })).ToArray<float>();
        Assert.Equal(0f, ls[0]);
        Assert.Equal(-1e4f, ls[1]);
    }

    [Fact]
    public void Softmax_ValuesAndGradient()
    {
        var x = Constant(new double[,] { { 1, 2, 3 }, { 1, 1, 1 } });
        var s = Softmax(x).ToArray<double>();
        var e = new[] { Math.Exp(1), Math.Exp(2), Math.Exp(3) };
        Close(e.Select(v => v / e.Sum()).Concat(new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }).ToArray(), s);
        Close(new double[6], Grad(v => Softmax(v), x)); // rows sum to 1: the gradient of the sum is zero
        Close(new[] { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 }, Softmax(Constant(new double[,] { { 1, 2, 3 }, { 1, 2, 3 } }), 0).ToArray<double>());
    }

    [Fact]
    public void CrossEntropies()
    {
        var logits = Constant(new double[,] { { 2, 1, 0.1 }, { 0.5, 2.5, 0.3 } });
        var labels = Constant(new double[,] { { 1, 0, 0 }, { 0, 1, 0 } });
        var dense = SoftmaxCrossEntropyWithLogits(labels, logits).ToArray<double>();
        var sparse = SparseSoftmaxCrossEntropyWithLogits(Constant(new[] { 0, 1 }), logits).ToArray<double>();
        Close(dense, sparse, 12);
        var row0 = new[] { 2, 1, 0.1 };
        Assert.Equal(-(2 - Math.Log(row0.Sum(Math.Exp))), dense[0], 12);
        // d/dlogits = softmax - labels
        using (var t = new GradientTape())
        {
            t.Watch(logits);
            var g = t.Gradient(SoftmaxCrossEntropyWithLogits(labels, logits), logits)!.ToArray<double>();
            var sm = Softmax(logits).ToArray<double>();
            var lb = labels.ToArray<double>();
            Close(sm.Zip(lb, (p, q) => p - q).ToArray(), g, 12);
        }
        var big = SoftmaxCrossEntropyWithLogits(Constant(new[] { 0.0, 1.0 }), Constant(new[] { 1e4, -1e4 }));
        Assert.Equal(2e4, big.ToDouble());
        var e = Assert.Throws<ArgumentException>(() => SparseSoftmaxCrossEntropyWithLogits(Constant(new[] { 0, 3 }), logits));
        Assert.Contains("out of range", e.Message);
        Assert.Throws<ArgumentException>(() => SparseSoftmaxCrossEntropyWithLogits(Constant(new[] { 0.0, 1.0 }), logits));
    }

    [Fact]
    public void SigmoidCrossEntropy_StableAndTensorFlowsGradientAtZero()
    {
        var z = Constant(new[] { 1.0, 0.0, 1.0 });
        var x = Constant(new[] { 0.0, 1e4, -1e4 });
        var v = SigmoidCrossEntropyWithLogits(z, x).ToArray<double>();
        Close(new[] { Math.Log(2), 1e4, 1e4 }, v);
        Close(new[] { 0.5 - 1, 1 - 0, 0 - 1 }, Grad(l => SigmoidCrossEntropyWithLogits(z, l), x));
    }

    [Fact]
    public void BiasAdd_AndItsErrors()
    {
        var v = Constant(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var b = Constant(new[] { 10.0, 20.0 });
        Assert.Equal(new[] { 11.0, 22, 13, 24, 15, 26 }, BiasAdd(v, b).ToArray<double>());
        Assert.Equal(new[] { 3.0, 3.0 }, Grad(bb => BiasAdd(v, bb), b));
        var e = Assert.Throws<ArgumentException>(() => BiasAdd(v, Constant(new[] { 1.0, 2, 3 })));
        Assert.Contains("BiasAdd", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }

    [Fact]
    public void ShapeOps_ExpandSqueezeStackGather()
    {
        var x = Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 2, 1, 3 }, ExpandDims(x, 1).Shape);
        Assert.Equal(new[] { 2, 3, 1 }, ExpandDims(x, -1).Shape);
        Assert.Equal(new[] { 2, 3 }, Squeeze(ExpandDims(x, 0)).Shape);
        var e = Assert.Throws<ArgumentException>(() => Squeeze(x, 0));
        Assert.Contains("extent 2", e.Message);
        Assert.Equal(new[] { 2, 2, 3 }, Stack(new[] { x, x }).Shape);
        Assert.Equal(new[] { 2, 3, 2 }, Stack(new[] { x, x * 2.0 }, axis: -1).Shape);
        Assert.Equal(new[] { 1.0, 2, 2, 4, 3, 6, 4, 8, 5, 10, 6, 12 }, Stack(new[] { x, x * 2.0 }, axis: -1).ToArray<double>());
        var g = Gather(x, Constant(new[] { 2, 0, 2 }), axis: 1);
        Assert.Equal(new[] { 3.0, 1, 3, 6, 4, 6 }, g.ToArray<double>());
        Assert.Equal(new[] { 1.0, 0, 2, 1, 0, 2 }, Grad(v => Gather(v, Constant(new[] { 2, 0, 2 }), axis: 1), x));
        var ge = Assert.Throws<ArgumentException>(() => Gather(x, Constant(new[] { 5 })));
        Assert.Contains("out of range", ge.Message);
        Assert.Equal(new[] { 2, 2, 3 }, Gather(x, Constant(new[,] { { 0, 1 }, { 1, 1 } })).Shape);
    }

    [Fact]
    public void MatMul_BatchedWithBroadcastingAndFlags()
    {
        var a = Reshape(Range(0, 12, dtype: DType.Float64), 2, 2, 3);  // [2, 2, 3]
        var b = Reshape(Range(0, 6, dtype: DType.Float64), 3, 2);      // [3, 2]
        var c = MatMul(a, b);
        Assert.Equal(new[] { 2, 2, 2 }, c.Shape);
        for (int i = 0; i < 2; i++)
            Assert.Equal(MatMul(a[i], b).ToArray<double>(), c[i].ToArray<double>());
        var bt = Transpose(b);
        Assert.Equal(c.ToArray<double>(), MatMul(a, Stack(new[] { bt, bt }), transposeB: true).ToArray<double>());
        Assert.Equal(c.ToArray<double>(), MatMul(Transpose(a, new[] { 0, 2, 1 }), b, transposeA: true).ToArray<double>());
        // broadcasting batch dims [2, 1] x [3]
        var p = Ones(new[] { 2, 1, 2, 3 }, DType.Float64);
        var q = Ones(new[] { 3, 3, 4 }, DType.Float64);
        Assert.Equal(new[] { 2, 3, 2, 4 }, MatMul(p, q).Shape);
        // gradient w.r.t. the broadcast operand sums over the batch
        Assert.Equal(new[] { 3, 2 }, b.Shape);
        using (var t = new GradientTape())
        {
            t.Watch(b);
            var gb = t.Gradient(MatMul(a, b), b)!;
            Assert.Equal(MatMul(ReduceSum(a, 0), Ones(new[] { 2, 2 }, DType.Float64), transposeA: true).ToArray<double>(), gb.ToArray<double>());
        }
        var e = Assert.Throws<ArgumentException>(() => MatMul(Ones(2, 2, 3), Ones(4, 3, 2)));
        Assert.Contains("[2, 2, 3]", e.Message);
        Assert.Contains("[4, 3, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => MatMul(Ones(3), Ones(3, 3)));
        Assert.Equal(new[] { 5.0, 11 }, MatVec(Constant(new double[,] { { 1, 2 }, { 3, 4 } }), Constant(new[] { 1.0, 2 })).ToArray<double>());
    }

    [Fact]
    public void CreationOps()
    {
        Assert.Equal(new[] { 0f, 1.5f, 3f, 4.5f }, Range(0, 6, 1.5).ToArray<float>());
        Assert.Equal(new[] { 5, 3, 1 }, Range(5, 0, -2, DType.Int32).ToArray<int>());
        Assert.Throws<ArgumentException>(() => Range(0, 1, 0));
        Assert.Contains("start <= limit", Assert.Throws<ArgumentException>(() => Range(0, 5, -1)).Message);
        Assert.Empty(Range(3, 3).ToArray<float>());
        Assert.Equal(new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, Linspace(0, 1, 5, DType.Float64).ToArray<double>());
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, Eye(2).ToArray<float>());
        Assert.Equal(new[] { 0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f }, OneHot(Constant(new[] { 1, 5, 0 }), 3).ToArray<float>());
        var r1 = RandomNormal(new[] { 1000 }, mean: 2, stddev: 3, dtype: DType.Float64, seed: 42).ToArray<double>();
        var r2 = RandomNormal(new[] { 1000 }, mean: 2, stddev: 3, dtype: DType.Float64, seed: 42).ToArray<double>();
        Assert.Equal(r1, r2);
        Assert.InRange(r1.Average(), 1.6, 2.4);
        var sd = Math.Sqrt(r1.Select(v => (v - r1.Average()) * (v - r1.Average())).Average());
        Assert.InRange(sd, 2.7, 3.3);
        var u = RandomUniform(new[] { 1000 }, -1, 1, seed: 7).ToArray<float>();
        Assert.All(u, v => Assert.InRange(v, -1f, 1f));
        Assert.NotEqual(u, RandomUniform(new[] { 1000 }, -1, 1, seed: 8).ToArray<float>());
        Assert.Throws<ArgumentException>(() => RandomUniform(new[] { 2 }, 1, 1));
    }

    [Fact]
    public void IntegerAndBoolDTypes_FlowThroughOps()
    {
        var i = Constant(new[] { 1, -2, 3 });
        Assert.Equal(new[] { 2, -4, 6 }, (i * 2).ToArray<int>());
        Assert.Equal(new[] { 1, 4, 9 }, Square(i).ToArray<int>());
        Assert.Equal(new[] { 1, 2, 3 }, Abs(i).ToArray<int>());
        Assert.Equal(2, ReduceSum(i).ToArray<int>()[0]);
        Assert.Equal(DType.Float64, (i / 2).DType);                  // truediv
        Assert.Equal(new[] { 0.5, -1, 1.5 }, (i / 2).ToArray<double>());
        Assert.Equal(new[] { 1L, 0L, 3L }, Relu(Cast(i, DType.Int64)).ToArray<long>());
        Assert.Equal(new[] { true, false, true }, Cast(Constant(new[] { 1.5, 0.0, -2.0 }), DType.Bool).ToArray<bool>());
        var e = Assert.Throws<ArgumentException>(() => Constant(true) + Constant(false));
        Assert.Contains("Bool", e.Message);
        using var t = new GradientTape();
        var f = Constant(new[] { 1.5, 2.5 });
        t.Watch(f);
        var y = Cast(Cast(f, DType.Int32), DType.Float64) * f; // the integer path carries no gradient
        Assert.Equal(new[] { 1.0, 2.0 }, t.Gradient(y, f)!.ToArray<double>());
    }
}
