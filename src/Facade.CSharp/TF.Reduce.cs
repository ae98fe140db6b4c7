namespace Nabla;

public static partial class TF
{
    /// <summary>Sum of all elements (<c>tf.reduce_sum</c>). Derivative: the adjoint broadcast back to x's shape.</summary>
    public static Tensor ReduceSum(Tensor x, bool keepDims = false) => ReduceSum(x, (int[]?)null, keepDims);
    /// <summary>Sum over one axis (negative counts from the end).</summary>
    public static Tensor ReduceSum(Tensor x, int axis, bool keepDims = false) => ReduceSum(x, new[] { axis }, keepDims);
    /// <summary>Sum over several axes (<c>null</c>: all axes).</summary>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor ReduceSum(Tensor x, int[]? axes, bool keepDims = false) => Unary(x, v => Core.Ops.sum(axes!, keepDims, v));

    /// <summary>Mean of all elements (<c>tf.reduce_mean</c>). Derivative: the adjoint divided by the count, broadcast back.</summary>
    public static Tensor ReduceMean(Tensor x, bool keepDims = false) => ReduceMean(x, (int[]?)null, keepDims);
    /// <summary>Mean over one axis.</summary>
    public static Tensor ReduceMean(Tensor x, int axis, bool keepDims = false) => ReduceMean(x, new[] { axis }, keepDims);
    /// <summary>Mean over several axes (<c>null</c>: all axes).</summary>
    public static Tensor ReduceMean(Tensor x, int[]? axes, bool keepDims = false) => Unary(x, v => Core.Ops.mean(axes!, keepDims, v));
}
