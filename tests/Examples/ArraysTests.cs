using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>The array ops (TF.Arrays.cs) and the indexer: TensorFlow's documented values, gradients worked by hand,
/// edge cases and error messages naming the op.</summary>
public class ArraysTests
{
    private static readonly Tensor T23 = Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });

    private static double[] V(Tensor t) => t.ToArray<double>();

    private static double[] Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var t = new GradientTape();
        t.Watch(x);
        return t.Gradient(f(x), x, unconnectedGradients: UnconnectedGradients.Zero)!.ToArray<double>();
    }

    /// <summary>The gradient of Σ w ⊙ f(x) for weights 1, 2, 3, ...: each output's weight lands on its source.</summary>
    private static double[] WeightedGrad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var t = new GradientTape();
        t.Watch(x);
        var y = f(x);
        var w = Reshape(Range(1, y.Size + 1, 1, DType.Float64), y.Shape.ToArray());
        return t.Gradient(ReduceSum(y * w), x, unconnectedGradients: UnconnectedGradients.Zero)!.ToArray<double>();
    }

    private static void Throws<TE>(string op, string fragment, Action a) where TE : Exception
    {
        var e = Assert.ThrowsAny<TE>(a);
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    // ------------------------------------------------------------ Tile, BroadcastTo

    [Fact]
    public void Tile_TensorFlowsExamples()
    {
        var a = Constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t12 = Tile(a, new[] { 1, 2 });
        Assert.Equal(new[] { 2, 6 }, t12.Shape);
        Assert.Equal(new[] { 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6 }, t12.ToArray<int>());
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 }, Tile(a, new[] { 2, 1 }).ToArray<int>());
        Assert.Equal(new[] { 0, 3 }, Tile(a, new[] { 0, 1 }).Shape);
        // every copy's adjoint adds up: 2 x 3 copies
        Assert.Equal(new double[] { 6, 6, 6, 6, 6, 6 }, Grad(x => ReduceSum(Tile(x, new[] { 2, 3 })), T23));
        Throws<ArgumentException>("Tile", "negative", () => Tile(a, new[] { 1, -1 }));
        Throws<ArgumentException>("Tile", "one entry per axis", () => Tile(a, new[] { 2 }));
    }

    [Fact]
    public void BroadcastTo_RepeatsRows_AndSumsTheAdjointBack()
    {
        var b = BroadcastTo(Constant(new[] { 1, 2, 3 }), new[] { 3, 3 });
        Assert.Equal(new[] { 1, 2, 3, 1, 2, 3, 1, 2, 3 }, b.ToArray<int>());
        Assert.Equal(new double[] { 3, 3, 3 }, Grad(x => ReduceSum(BroadcastTo(x, new[] { 3, 3 })), Constant(new[] { 1.0, 2, 3 })));
        Throws<ArgumentException>("BroadcastTo", "[3]", () => BroadcastTo(Constant(new[] { 1, 2, 3 }), new[] { 2, 2 }));
    }

    // ------------------------------------------------------------ Pad

    [Fact]
    public void Pad_TensorFlowsExamples_InTheThreeModes()
    {
        var t = Constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var p = new[,] { { 1, 1 }, { 2, 2 } };
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Pad(t, p).ToArray<int>());
        Assert.Equal(new[] { 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1 }, Pad(t, p, "REFLECT").ToArray<int>());
        Assert.Equal(new[] { 2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5 }, Pad(t, p, "SYMMETRIC").ToArray<int>());
        Assert.Equal(new[] { 4, 7 }, Pad(t, p, "symmetric").Shape);
        Assert.Equal(new[] { 9, 1, 2, 3, 9, 9, 4, 5, 6, 9 }, Pad(t, new[,] { { 0, 0 }, { 1, 1 } }, constantValues: 9).ToArray<int>());
    }

    [Fact]
    public void Pad_Gradients_CountEachSourceOnce_PerCopy()
    {
        var x = Constant(new[] { 1.0, 2.0, 3.0 });
        // REFLECT [[2, 2]]: [3, 2, 1, 2, 3, 2, 1]
        Assert.Equal(new double[] { 2, 3, 2 }, Grad(v => ReduceSum(Pad(v, new[,] { { 2, 2 } }, "REFLECT")), x));
        // SYMMETRIC [[2, 2]]: [2, 1, 1, 2, 3, 3, 2]
        Assert.Equal(new double[] { 2, 3, 2 }, Grad(v => ReduceSum(Pad(v, new[,] { { 2, 2 } }, "SYMMETRIC")), x));
        // CONSTANT 5: the constant is not differentiable, the interior is
        Assert.Equal(new double[] { 1, 1, 1 }, Grad(v => ReduceSum(Pad(v, new[,] { { 1, 2 } }, constantValues: 5)), x));
        Assert.Equal(13.0 + 6, ReduceSum(Pad(x, new[,] { { 1, 2 } }, constantValues: 13.0 / 3)).ToDouble(), 12);
    }

    [Fact]
    public void Pad_Errors_NameTheOp()
    {
        var x = Constant(new[] { 1.0, 2.0, 3.0 });
        Throws<ArgumentException>("Pad", "expected paddings <= 2", () => Pad(x, new[,] { { 3, 0 } }, "REFLECT"));
        Throws<ArgumentException>("Pad", "expected paddings <= 3", () => Pad(x, new[,] { { 0, 4 } }, "SYMMETRIC"));
        Throws<ArgumentException>("Pad", "expected shape [1, 2]", () => Pad(x, new[,] { { 1, 1 }, { 1, 1 } }));
        Throws<ArgumentException>("Pad", ">= 0", () => Pad(x, new[,] { { -1, 1 } }));
        Throws<ArgumentException>("Pad", "WRAP", () => Pad(x, new[,] { { 1, 1 } }, "WRAP"));
        Throws<ArgumentException>("Pad", "cannot be held", () => Pad(Constant(new[] { 1, 2 }), new[,] { { 1, 1 } }, constantValues: 0.5));
    }

    // ------------------------------------------------------------ Split, Unstack

    [Fact]
    public void Split_TensorFlowsExample_CountAndSizes()
    {
        var x = Zeros(new[] { 5, 30 }, DType.Float64);
        var parts = Split(x, new[] { 4, 15, 11 }, 1);
        Assert.Equal(new[] { new[] { 5, 4 }, new[] { 5, 15 }, new[] { 5, 11 } }, parts.Select(p => p.Shape.ToArray()));
        Assert.All(Split(x, 3, 1), p => Assert.Equal(new[] { 5, 10 }, p.Shape));
        var inferred = Split(x, new[] { 4, -1, 11 }, -1);
        Assert.Equal(new[] { 5, 15 }, inferred[1].Shape);
        Assert.Equal(new double[] { 3, 4, 5, 6 }, V(Split(Constant(new double[] { 1, 2, 3, 4, 5, 6 }), new[] { 2, -1 })[1]));
        // the parts' adjoints go back into place
        Assert.Equal(new double[] { 1, 1, 2, 2, 2, 2 }, Grad(v => { var s = Split(v, new[] { 2, 4 }); return ReduceSum(s[0]) + 2.0 * ReduceSum(s[1]); }, Constant(new double[6])));
        Throws<ArgumentException>("Split", "not divisible", () => Split(x, 4, 1));
        Throws<ArgumentException>("Split", "sum to 29", () => Split(x, new[] { 4, 15, 10 }, 1));
        Throws<ArgumentException>("Split", "at most one -1", () => Split(x, new[] { -1, -1 }, 1));
    }

    [Fact]
    public void Unstack_TensorFlowsExample_AlongBothAxes()
    {
        var rows = Unstack(T23);
        Assert.Equal(2, rows.Length);
        Assert.Equal(new double[] { 4, 5, 6 }, V(rows[1]));
        var cols = Unstack(T23, axis: 1);
        Assert.Equal(new[] { new double[] { 1, 4 }, new double[] { 2, 5 }, new double[] { 3, 6 } }, cols.Select(V));
        Assert.Equal(new double[] { 0, 1, 0, 0, 1, 0 }, Grad(v => ReduceSum(Unstack(v, axis: 1)[1]), T23));
        Throws<ArgumentException>("Unstack", "num is 3", () => Unstack(T23, 3));
        Throws<ArgumentException>("Unstack", "scalar", () => Unstack(Constant(1.0)));
    }

    // ------------------------------------------------------------ Reverse, Roll

    [Fact]
    public void Reverse_Axes_AndTheAdjointReversedBack()
    {
        Assert.Equal(new double[] { 3, 2, 1, 6, 5, 4 }, V(Reverse(T23, new[] { 1 })));
        Assert.Equal(new double[] { 6, 5, 4, 3, 2, 1 }, V(Reverse(T23, new[] { 0, -1 })));
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, V(Reverse(T23, Array.Empty<int>())));
        Assert.Equal(new double[] { 3, 2, 1, 6, 5, 4 }, WeightedGrad(v => Reverse(v, new[] { 1 }), T23));
        Assert.Equal(new[] { true, false }, Reverse(Constant(new[] { false, true }), new[] { 0 }).ToArray<bool>());
        Throws<ArgumentException>("Reverse", "twice", () => Reverse(T23, new[] { 1, -1 }));
    }

    [Fact]
    public void Roll_TensorFlowsExamples()
    {
        Assert.Equal(new[] { 3, 4, 0, 1, 2 }, Roll(Constant(new[] { 0, 1, 2, 3, 4 }), 2, 0).ToArray<int>());
        var t = Constant(new[,] { { 0, 1, 2, 3, 4 }, { 5, 6, 7, 8, 9 } });
        Assert.Equal(new[] { 7, 8, 9, 5, 6, 2, 3, 4, 0, 1 }, Roll(t, new[] { 1, -2 }, new[] { 0, 1 }).ToArray<int>());
        Assert.Equal(new[] { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 }, Roll(t, new[] { 2, -3 }, new[] { 1, 1 }).ToArray<int>());
        // weights 1..5 at the rolled positions [3, 4, 0, 1, 2] come back to each source
        Assert.Equal(new double[] { 3, 4, 5, 1, 2 }, WeightedGrad(v => Roll(v, 2, 0), Constant(new double[5])));
        Throws<ArgumentException>("Roll", "same length", () => Roll(t, new[] { 1 }, new[] { 0, 1 }));
        Throws<ArgumentException>("Roll", "axis 2", () => Roll(t, 1, 2));
    }

    // ------------------------------------------------------------ GatherNd, ScatterNd, TensorScatterNdUpdate

    [Fact]
    public void GatherNd_TensorFlowsExamples()
    {
        var p = Constant(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(new double[] { 1, 4 }, V(GatherNd(p, Constant(new[,] { { 0, 0 }, { 1, 1 } }))));
        var rows = GatherNd(p, Constant(new long[,] { { 1 }, { 0 } }));
        Assert.Equal(new[] { 2, 2 }, rows.Shape);
        Assert.Equal(new double[] { 3, 4, 1, 2 }, V(rows));
        // repeated indices accumulate
        Assert.Equal(new double[] { 0, 2, 0, 0 }, Grad(v => ReduceSum(GatherNd(v, Constant(new[,] { { 0, 1 }, { 0, 1 } }))), p));
        Throws<ArgumentException>("GatherNd", "index [2, 0]", () => GatherNd(p, Constant(new[,] { { 2, 0 } })));
        Throws<ArgumentException>("GatherNd", "Int32 or Int64", () => GatherNd(p, Constant(new[,] { { 0.0, 0.0 } })));
        Throws<ArgumentException>("GatherNd", "indices.shape[-1] <= 2", () => GatherNd(p, Constant(new[,] { { 0, 0, 0 } })));
    }

    [Fact]
    public void ScatterNd_TensorFlowsExample_DuplicatesSummed()
    {
        var indices = Constant(new[,] { { 4 }, { 3 }, { 1 }, { 7 } });
        Assert.Equal(new[] { 0, 11, 0, 10, 9, 0, 0, 12 }, ScatterNd(indices, Constant(new[] { 9, 10, 11, 12 }), new[] { 8 }).ToArray<int>());
        var dup = Constant(new[,] { { 1 }, { 1 } });
        Assert.Equal(new double[] { 0, 5, 0 }, V(ScatterNd(dup, Constant(new[] { 2.0, 3.0 }), new[] { 3 })));
        Assert.Equal(new double[] { 5, 4, 2, 8 }, Grad(u => ReduceSum(ScatterNd(indices, u, new[] { 8 }) * Range(1, 9, 1, DType.Float64)), Constant(new double[4])));
        Throws<ArgumentException>("ScatterNd", "expected indices.shape[:-1] + shape[1:] = [4]", () => ScatterNd(indices, Constant(new[] { 1.0, 2.0 }), new[] { 8 }));
        Throws<ArgumentException>("ScatterNd", "out of range", () => ScatterNd(indices, Constant(new[] { 9, 10, 11, 12 }), new[] { 5 }));
    }

    [Fact]
    public void TensorScatterNdUpdate_TensorFlowsExample_LastDuplicateWins_AndItsGradients()
    {
        var indices = Constant(new[,] { { 4 }, { 3 }, { 1 }, { 7 } });
        var tensor = Ones(new[] { 8 }, DType.Int32);
        Assert.Equal(new[] { 1, 11, 1, 10, 9, 1, 1, 12 }, TensorScatterNdUpdate(tensor, indices, Constant(new[] { 9, 10, 11, 12 })).ToArray<int>());
        var x = Constant(new double[] { 1, 2, 3 });
        var u = Constant(new double[] { 10, 20 });
        var dup = Constant(new[,] { { 1 }, { 1 } });
        Assert.Equal(new double[] { 1, 20, 3 }, V(TensorScatterNdUpdate(x, dup, u)));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        tape.Watch(u);
        var y = ReduceSum(TensorScatterNdUpdate(x, Constant(new[,] { { 2 }, { 0 } }), u) * Constant(new double[] { 1, 2, 3 }));
        Assert.Equal(new double[] { 0, 2, 0 }, tape.Gradient(y, x)!.ToArray<double>());   // zero where updated
        Assert.Equal(new double[] { 3, 1 }, tape.Gradient(y, u)!.ToArray<double>());      // the adjoint gathered
        var z = ReduceSum(TensorScatterNdUpdate(x, dup, u));
        Assert.Equal(new double[] { 0, 1 }, tape.Gradient(z, u)!.ToArray<double>());      // the overridden duplicate gets 0
        Throws<ArgumentException>("TensorScatterNdUpdate", "dtypes", () => TensorScatterNdUpdate(x, dup, Constant(new[] { 1f, 2f })));
    }

    // ------------------------------------------------------------ BooleanMask, Shape

    [Fact]
    public void BooleanMask_TensorFlowsExamples()
    {
        Assert.Equal(new[] { 0, 2 }, BooleanMask(Constant(new[] { 0, 1, 2, 3 }), Constant(new[] { true, false, true, false })).ToArray<int>());
        var t = Constant(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var m = BooleanMask(t, Constant(new[] { true, false, true }));
        Assert.Equal(new[] { 2, 2 }, m.Shape);
        Assert.Equal(new double[] { 1, 2, 5, 6 }, V(m));
        Assert.Equal(new double[] { 2, 4, 6 }, V(BooleanMask(t, Constant(new[] { false, true }), axis: 1)));
        Assert.Equal(new double[] { 1, 4, 5 }, V(BooleanMask(t, Constant(new[,] { { true, false }, { false, true }, { true, false } }))));
        Assert.Equal(new double[] { 1, 0, 0, 1, 1, 0 }, Grad(v => ReduceSum(BooleanMask(v, Constant(new[,] { { true, false }, { false, true }, { true, false } }))), t));
        Throws<ArgumentException>("BooleanMask", "does not match", () => BooleanMask(t, Constant(new[] { true, false })));
        Throws<ArgumentException>("BooleanMask", "expected Bool", () => BooleanMask(t, Constant(new[] { 1, 0, 1 })));
    }

    [Fact]
    public void Shape_IsAnInt32Tensor_OrInt64()
    {
        var s = Shape(T23);
        Assert.Equal(DType.Int32, s.DType);
        Assert.Equal(new[] { 2, 3 }, s.ToArray<int>());
        Assert.Equal(DType.Int64, Shape(T23, DType.Int64).DType);
        Assert.Equal(new[] { 0 }, Shape(Constant(1.0)).Shape);
        Throws<ArgumentException>("Shape", "Int32 or Int64", () => Shape(T23, DType.Float32));
    }

    // ------------------------------------------------------------ StridedSlice and the indexer

    private static readonly Tensor T332 = Constant(new[,,] { { { 1, 1, 1 }, { 2, 2, 2 } }, { { 3, 3, 3 }, { 4, 4, 4 } }, { { 5, 5, 5 }, { 6, 6, 6 } } });

    [Fact]
    public void StridedSlice_TensorFlowsExamples()
    {
        var a = StridedSlice(T332, new[] { 1, 0, 0 }, new[] { 2, 1, 3 }, new[] { 1, 1, 1 });
        Assert.Equal(new[] { 1, 1, 3 }, a.Shape);
        Assert.Equal(new[] { 3, 3, 3 }, a.ToArray<int>());
        Assert.Equal(new[] { 3, 3, 3, 4, 4, 4 }, StridedSlice(T332, new[] { 1, 0, 0 }, new[] { 2, 2, 3 }, new[] { 1, 1, 1 }).ToArray<int>());
        Assert.Equal(new[] { 4, 4, 4, 3, 3, 3 }, StridedSlice(T332, new[] { 1, -1, 0 }, new[] { 2, -3, 3 }, new[] { 1, -1, 1 }).ToArray<int>());
        Throws<ArgumentException>("StridedSlice", "stride at entry 0 is 0", () => StridedSlice(T332, new[] { 0 }, new[] { 1 }, new[] { 0 }));
    }

    [Fact]
    public void Indexer_IntegersRangesAndHats_AsPythonsSlices()
    {
        var x = Reshape(Range(0, 12, 1, DType.Float64), 3, 4);   // [[0..3], [4..7], [8..11]]
        Assert.Equal(new double[] { 0, 1, 2, 3 }, V(x[0]));
        Assert.Equal(new double[] { 8, 9, 10, 11 }, V(x[^1]));
        Assert.Equal(new[] { 3, 1 }, x[.., 0..1].Shape);
        Assert.Equal(new double[] { 0, 4, 8 }, V(x[.., 0..1]));
        Assert.Equal(new[] { 1 }, x[1..^1, 2].Shape);
        Assert.Equal(new double[] { 6 }, V(x[1..^1, 2]));
        Assert.Equal(new double[] { 11 }, V(Reshape(x[^1, ^1], 1)));
        Assert.Equal(Array.Empty<int>(), x[2, 3].Shape);
        Assert.Equal(new double[] { 7 }, V(Reshape(x[1, ^1], 1)));
    }

    [Fact]
    public void Indexer_StepsNewAxisAndEllipsis()
    {
        var v = Range(0, 6, 1, DType.Float64);
        Assert.Equal(new double[] { 5, 4, 3, 2, 1, 0 }, V(v[Idx.Slice(step: -1)]));
        Assert.Equal(new double[] { 5, 3, 1 }, V(v[Idx.Slice(step: -2)]));
        Assert.Equal(new double[] { 1, 3 }, V(v[Idx.Slice(1, 5, 2)]));
        Assert.Equal(new double[] { 4, 2 }, V(v[Idx.Slice(-2, 1, -2)]));
        Assert.Equal(new double[] { 5, 4, 3, 2, 1, 0 }, V(v[Idx.Slice(100, -100, -1)]));   // clamped both ways
        var x = Reshape(Range(0, 24, 1, DType.Float64), 2, 3, 4);
        Assert.Equal(new[] { 1, 2, 3, 4 }, x[TF.NewAxis].Shape);
        Assert.Equal(new[] { 2, 1, 3, 4 }, x[.., TF.NewAxis].Shape);
        Assert.Equal(new[] { 2, 3 }, x[TF.Ellipsis, 0].Shape);
        Assert.Equal(new double[] { 3, 7, 11, 15, 19, 23 }, V(x[TF.Ellipsis, ^1]));
        Assert.Equal(new[] { 2, 3, 4, 1 }, x[TF.Ellipsis, TF.NewAxis].Shape);
        Assert.Equal(new[] { 3, 2 }, x[1, TF.Ellipsis, Idx.Slice(null, null, 2)].Shape);
        Assert.Equal(new double[] { 12, 14, 16, 18, 20, 22 }, V(x[1, TF.Ellipsis, Idx.Slice(null, null, 2)]));
        Assert.Equal(new[] { 2, 3, 4 }, x[Idx.All, TF.Ellipsis].Shape);
    }

    [Fact]
    public void Indexer_OutOfRangeSlicesClamp_IntegersThrowNamingAxisIndexAndExtent()
    {
        var x = Reshape(Range(0, 12, 1, DType.Float64), 3, 4);
        Assert.Equal(new[] { 0, 4 }, x[5..].Shape);
        Assert.Equal(new[] { 3, 4 }, x[..100].Shape);
        Assert.Equal(new[] { 0, 4 }, x[2..1].Shape);
        var e = Assert.Throws<IndexOutOfRangeException>(() => x[.., 4]);
        Assert.StartsWith("StridedSlice:", e.Message);
        Assert.Contains("index 4 is out of range for axis 1 of extent 4", e.Message);
        Assert.Contains("index -5", Assert.Throws<IndexOutOfRangeException>(() => x[.., -5]).Message);
        Assert.Contains("^0", Assert.Throws<IndexOutOfRangeException>(() => x[^0, ..]).Message);
        Throws<ArgumentException>("StridedSlice", "3 indexed axes", () => _ = x[0, 0, ..]);
        Throws<ArgumentException>("StridedSlice", "at most one ellipsis", () => _ = x[TF.Ellipsis, TF.Ellipsis]);
        Assert.Throws<ArgumentException>(() => Idx.Slice(step: 0));
    }

    [Fact]
    public void Indexer_Gradients_AreStridedScattersIntoZeros_ToSecondOrder()
    {
        var x = Reshape(Range(0, 12, 1, DType.Float64), 3, 4);
        var g = Grad(v => ReduceSum(v[1..^1, 2]), x);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 }, g);
        // weights 1, 2, 3 on v[::-2] = [v5, v3, v1]
        Assert.Equal(new double[] { 0, 3, 0, 2, 0, 1 }, WeightedGrad(v => v[Idx.Slice(step: -2)], Range(0, 6, 1, DType.Float64)));
        // second order: d²/dx² of Σ x[::2]³ = 6 x at the even positions
        var y = Constant(new double[] { 1, 2, 3, 4 });
        using var outer = new GradientTape();
        outer.Watch(y);
        Tensor dy;
        using (var inner = new GradientTape())
        {
            inner.Watch(y);
            var s = ReduceSum(Pow(y[Idx.Slice(step: 2)], 3.0));
            dy = inner.Gradient(s, y)!;
        }
        Assert.Equal(new double[] { 3, 0, 27, 0 }, V(dy));
        Assert.Equal(new double[] { 6, 0, 18, 0 }, outer.Gradient(ReduceSum(dy), y)!.ToArray<double>());
        // forward mode: the same slice of the tangent
        using var acc = new ForwardAccumulator(y, Constant(new double[] { 1, 10, 100, 1000 }));
        var z = y[Idx.Slice(3, null, -2)];
        Assert.Equal(new double[] { 1000, 10 }, acc.Jvp(z)!.ToArray<double>());
    }

    [Fact]
    public void Indexer_OnAVariable_ReadsAndIsWatched()
    {
        var v = new Variable(Constant(new double[,] { { 1, 2 }, { 3, 4 } }));
        Assert.Equal(new double[] { 2, 4 }, V(v[.., 1]));
        using var tape = new GradientTape();
        var y = ReduceSum(v[^1] * 2.0);
        Assert.Equal(new double[] { 0, 0, 2, 2 }, tape.Gradient(y, v)!.ToArray<double>());
    }

    [Fact]
    public void IntegerAndBoolDTypes_GoThroughTheLayoutOps()
    {
        var b = Constant(new[,] { { true, false }, { false, true } });
        Assert.Equal(new[] { false, true }, b[.., ^1].ToArray<bool>());
        Assert.Equal(new[] { true, false, true, false, false, true, false, true }, Tile(b, new[] { 1, 2 }).ToArray<bool>());
        Assert.Equal(new[] { false, true, false, true }, Pad(Constant(new[] { true, false }), new[,] { { 1, 1 } }, "REFLECT").ToArray<bool>());
        Assert.Equal(new long[] { 2, 3, 1 }, Roll(Constant(new long[] { 1, 2, 3 }), -1, 0).ToArray<long>());
        Assert.Equal(new long[] { 3 }, GatherNd(Constant(new long[] { 1, 2, 3 }), Constant(new[,] { { 2 } })).ToArray<long>());
    }
}
