namespace Nabla.Keras;

/// <summary>Keras' <c>squeeze_or_expand_to_same_rank</c>, shared by losses and metrics.</summary>
internal static class Ranks
{
    /// <summary>When the ranks differ by one and the longer has a last axis of extent 1, that axis is squeezed (or, when the
    /// shorter is a vector, added to it).</summary>
    public static (Tensor, Tensor) SqueezeOrExpandToSameRank(Tensor a, Tensor b)
    {
        if (a.Rank == b.Rank + 1 && a.Shape[^1] == 1)
            return b.Rank == 1 ? (a, TF.ExpandDims(b, -1)) : (TF.Squeeze(a, -1), b);
        if (b.Rank == a.Rank + 1 && b.Shape[^1] == 1)
            return a.Rank == 1 ? (TF.ExpandDims(a, -1), b) : (a, TF.Squeeze(b, -1));
        return (a, b);
    }
}
