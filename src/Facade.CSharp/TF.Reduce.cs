namespace Nabla;

public static partial class TF
{
    private static Tensor Reduce(Tensor x, int[]? axes, Func<int[], Core.Tensor, Core.Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(f(axes!, Scopes.Resolve(x)), x.IsWeak);
    }

    /// <summary>Sum of all elements (<c>tf.reduce_sum</c>); 0 for an empty tensor. Derivative: the adjoint broadcast back to x's shape.</summary>
    public static Tensor ReduceSum(Tensor x, bool keepDims = false) => ReduceSum(x, (int[]?)null, keepDims);
    /// <summary>Sum over one axis (negative counts from the end).</summary>
    public static Tensor ReduceSum(Tensor x, int axis, bool keepDims = false) => ReduceSum(x, new[] { axis }, keepDims);
    /// <summary>Sum over several axes (<c>null</c>: all axes).</summary>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor ReduceSum(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.sum(a, keepDims, v));

    /// <summary>Mean of all elements (<c>tf.reduce_mean</c>); integer means truncate; NaN for an empty float tensor (0 / 0, as TensorFlow).
    /// Derivative: the adjoint divided by the count, broadcast back.</summary>
    public static Tensor ReduceMean(Tensor x, bool keepDims = false) => ReduceMean(x, (int[]?)null, keepDims);
    /// <summary>Mean over one axis.</summary>
    public static Tensor ReduceMean(Tensor x, int axis, bool keepDims = false) => ReduceMean(x, new[] { axis }, keepDims);
    /// <summary>Mean over several axes (<c>null</c>: all axes).</summary>
    public static Tensor ReduceMean(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.meanAny(a, keepDims, v));

    /// <summary>Largest element (<c>tf.reduce_max</c>). Derivative: the adjoint split evenly among the elements equal to the max.</summary>
    /// <remarks>NaN: a reduced slice holding a NaN gives NaN (as TensorFlow 2), and every element of that slice gets a NaN
    /// gradient and tangent. Empty: a slice of no element gives the identity, -inf for Float32/Float64 and the dtype's lowest
    /// value for Int32/Int64 (as TensorFlow); the gradient of an empty tensor is empty.</remarks>
    public static Tensor ReduceMax(Tensor x, bool keepDims = false) => ReduceMax(x, (int[]?)null, keepDims);
    /// <summary>Largest element along one axis (NaN and empty axes as <see cref="ReduceMax(Tensor, bool)"/>).</summary>
    public static Tensor ReduceMax(Tensor x, int axis, bool keepDims = false) => ReduceMax(x, new[] { axis }, keepDims);
    /// <summary>Largest element over several axes (<c>null</c>: all axes; NaN and empty axes as <see cref="ReduceMax(Tensor, bool)"/>).</summary>
    public static Tensor ReduceMax(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.reduceMax(a, keepDims, v));

    /// <summary>Smallest element (<c>tf.reduce_min</c>). Derivative: the adjoint split evenly among the elements equal to the min.</summary>
    /// <remarks>NaN: a reduced slice holding a NaN gives NaN, and every element of that slice gets a NaN gradient and tangent.
    /// Empty: a slice of no element gives the identity, +inf for Float32/Float64 and the dtype's highest value for
    /// Int32/Int64 (as TensorFlow); the gradient of an empty tensor is empty.</remarks>
    public static Tensor ReduceMin(Tensor x, bool keepDims = false) => ReduceMin(x, (int[]?)null, keepDims);
    /// <summary>Smallest element along one axis (NaN and empty axes as <see cref="ReduceMin(Tensor, bool)"/>).</summary>
    public static Tensor ReduceMin(Tensor x, int axis, bool keepDims = false) => ReduceMin(x, new[] { axis }, keepDims);
    /// <summary>Smallest element over several axes (<c>null</c>: all axes; NaN and empty axes as <see cref="ReduceMin(Tensor, bool)"/>).</summary>
    public static Tensor ReduceMin(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.reduceMin(a, keepDims, v));

    /// <summary>Product of all elements (<c>tf.reduce_prod</c>); 1 for an empty tensor. Derivative: the product of the other elements (exact with zeros).</summary>
    public static Tensor ReduceProd(Tensor x, bool keepDims = false) => ReduceProd(x, (int[]?)null, keepDims);
    /// <summary>Product along one axis.</summary>
    public static Tensor ReduceProd(Tensor x, int axis, bool keepDims = false) => ReduceProd(x, new[] { axis }, keepDims);
    /// <summary>Product over several axes (<c>null</c>: all axes).</summary>
    public static Tensor ReduceProd(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.reduceProd(a, keepDims, v));

    /// <summary>ln Σ eˣ (<c>tf.reduce_logsumexp</c>), shifted by the max so logits of 1e4 do not overflow; -inf for an empty tensor.
    /// Derivative: softmax(x).</summary>
    /// <remarks>The shift is 0 where the max is not finite (as TensorFlow): a slice holding a NaN gives NaN (value, gradient
    /// and tangent), one holding +inf gives +inf, one of only -inf (or no element) gives -inf.</remarks>
    public static Tensor ReduceLogSumExp(Tensor x, bool keepDims = false) => ReduceLogSumExp(x, (int[]?)null, keepDims);
    /// <summary>ln Σ eˣ along one axis.</summary>
    public static Tensor ReduceLogSumExp(Tensor x, int axis, bool keepDims = false) => ReduceLogSumExp(x, new[] { axis }, keepDims);
    /// <summary>ln Σ eˣ over several axes (<c>null</c>: all axes).</summary>
    public static Tensor ReduceLogSumExp(Tensor x, int[]? axes, bool keepDims = false) => Reduce(x, axes, (a, v) => Core.Reductions.reduceLogSumExp(a, keepDims, v));
}
