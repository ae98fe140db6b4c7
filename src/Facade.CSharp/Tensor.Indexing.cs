namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>
    /// Basic slicing as NumPy and TensorFlow (<c>x[1:-1, 2]</c> is <c>x[1..^1, 2]</c>): integers (<c>0</c>, <c>^1</c>) remove
    /// their axis, ranges (<c>..</c>, <c>0..1</c>, <c>2..^1</c>) and <see cref="Idx.Slice"/> (with a step, negative
    /// included) keep it, <see cref="TF.NewAxis"/> inserts an axis of extent 1 and <see cref="TF.Ellipsis"/> stands for the
    /// axes not otherwise indexed; unindexed trailing axes are taken whole. A strided slice (<see cref="TF.StridedSlice"/>):
    /// differentiable to any order, its adjoint written into zeros at the sliced positions.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An integer index out of range (the message names the axis, index and extent).</exception>
    /// <exception cref="ArgumentException">More indexed axes than the rank, or two ellipses.</exception>
    public Tensor this[params Idx[] indices] => TF.StridedIndex(this, indices);
}
