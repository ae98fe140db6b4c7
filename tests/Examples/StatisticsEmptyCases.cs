using Nabla;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Empty-input cases of the statistics, scan, sorting and segment ops for <see cref="EmptyTensorTests"/>:
/// TensorFlow's values (variance NaN, ReduceAll true, ReduceAny false, segment sums zeros) and empty gradients.</summary>
internal static class StatisticsEmptyCases
{
    private static readonly int[] E0 = { 0 };
    private static readonly int[] E20 = { 2, 0 };
    private static readonly int[] S = Array.Empty<int>();

    public static IEnumerable<EmptyTensorTests.Case> Build()
    {
        yield return new("ReduceVariance", "[0]", E0, x => ReduceVariance(x), S, new[] { double.NaN });
        yield return new("ReduceVariance", "[2,0] empty axis", E20, x => ReduceVariance(x, -1), new[] { 2 }, new[] { double.NaN, double.NaN });
        yield return new("ReduceVariance", "[2,0] full axis", E20, x => ReduceVariance(x, 0), E0);
        yield return new("ReduceStd", "[0]", E0, x => ReduceStd(x), S, new[] { double.NaN });
        yield return new("ReduceStd", "[2,0] full axis, keepDims", E20, x => ReduceStd(x, 0, keepDims: true), new[] { 1, 0 });
        yield return new("Moments", "[2,0] over the empty axis: mean", E20, x => Nn.Moments(x, new[] { 1 }).Mean, new[] { 2 }, new[] { double.NaN, double.NaN });
        yield return new("Moments", "[2,0] over the full axis: variance", E20, x => Nn.Moments(x, new[] { 0 }).Variance, E0);
        yield return new("ReduceAll", "[2,0] empty axis is true", E20, x => ReduceAll(Less(x, 0.0), 1), new[] { 2 }, new[] { 1.0, 1.0 }, DType.Bool, EmptyTensorTests.Grad.Null);
        yield return new("ReduceAll", "[0]", E0, x => ReduceAll(Less(x, 0.0)), S, new[] { 1.0 }, DType.Bool, EmptyTensorTests.Grad.Null);
        yield return new("ReduceAny", "[2,0] empty axis is false", E20, x => ReduceAny(Less(x, 0.0), -1), new[] { 2 }, new[] { 0.0, 0.0 }, DType.Bool, EmptyTensorTests.Grad.Null);
        yield return new("ReduceAny", "[2,0] full axis", E20, x => ReduceAny(Less(x, 0.0), 0), E0, DType: DType.Bool, Grad: EmptyTensorTests.Grad.Null);
        yield return new("CumSum", "[0]", E0, x => CumSum(x), E0);
        yield return new("CumSum", "[2,0] along the empty axis, exclusive", E20, x => CumSum(x, 1, exclusive: true), E20);
        yield return new("CumProd", "[2,0] along the empty axis", E20, x => CumProd(x, -1), E20);
        yield return new("CumProd", "[2,0] along the full axis, reverse", E20, x => CumProd(x, 0, reverse: true), E20);
        yield return new("L2Normalize", "[2,0]", E20, x => L2Normalize(x, 1), E20);
        yield return new("ClipByNorm", "[2,0]", E20, x => ClipByNorm(x, 1.0), E20);
        yield return new("ClipByGlobalNorm", "[2,0]: clipped", E20, x => ClipByGlobalNorm(new[] { x }, 1.0).ListClipped[0]!, E20);
        yield return new("ClipByGlobalNorm", "[0]: the norm is 0", E0, x => ClipByGlobalNorm(new[] { x, null }, 1.0).GlobalNorm, S, new[] { 0.0 });
        yield return new("TopK", "[2,0] with k 0", E20, x => TopK(x, 0).Values, E20);
        yield return new("TopK", "[2,0] indices", E20, x => TopK(x, 0).Indices, E20, DType: DType.Int32, Grad: EmptyTensorTests.Grad.Null);
        // TensorFlow: InvalidArgument "input must have at least k columns. Had 0, needed 1"
        yield return new("TopK", "[0] with k 1", E0, x => TopK(x).Values, Throws: "out of range");
        yield return new("Sort", "[2,0]", E20, x => Sort(x), E20);
        yield return new("Sort", "[2,0] along axis 0, descending", E20, x => Sort(x, 0, "DESCENDING"), E20);
        yield return new("ArgSort", "[2,0]", E20, x => ArgSort(x), E20, DType: DType.Int32, Grad: EmptyTensorTests.Grad.Null);
        yield return new("SegmentSum", "no ids", E0, x => SegmentSum(x, Constant(new int[0])), E0);
        yield return new("SegmentSum", "[0,3] with no ids", new[] { 0, 3 }, x => SegmentSum(x, Constant(new long[0])), new[] { 0, 3 });
        yield return new("UnsortedSegmentSum", "no ids into 2 segments", E0, x => UnsortedSegmentSum(x, Constant(new int[0]), 2), new[] { 2 }, new[] { 0.0, 0.0 });
        yield return new("UnsortedSegmentSum", "[2,0] into 3 segments", E20, x => UnsortedSegmentSum(x, Constant(new[] { 0, 2 }), 3), new[] { 3, 0 });
    }
}
