namespace Nabla;

public static partial class TF
{
    // ------------------------------------------------------------------ variance and standard deviation (tf.math)

    /// <summary>Population variance of all elements, mean((x - mean x)²) divided by N (<c>tf.math.reduce_variance</c>).
    /// Float32/Float64 only. Derivative: 2/N (x - mean), exact at every order. An empty tensor gives NaN (as TensorFlow).</summary>
    /// <exception cref="ArgumentException">An integer or Bool dtype (TensorFlow rejects them too).</exception>
    public static Tensor ReduceVariance(Tensor x, bool keepDims = false) => ReduceVariance(x, (int[]?)null, keepDims);
    /// <summary>Population variance along one axis (negative counts from the end); see <see cref="ReduceVariance(Tensor, bool)"/>.</summary>
    public static Tensor ReduceVariance(Tensor x, int axis, bool keepDims = false) => ReduceVariance(x, new[] { axis }, keepDims);
    /// <summary>Population variance over several axes (<c>null</c>: all); see <see cref="ReduceVariance(Tensor, bool)"/>.</summary>
    /// <exception cref="ArgumentException">An axis out of range or repeated, or a non-float dtype.</exception>
    public static Tensor ReduceVariance(Tensor x, int[]? axes, bool keepDims = false) =>
        Reduce(x, axes, (a, v) => Core.Statistics.reduceVariance(a, keepDims, v));

    /// <summary>Population standard deviation of all elements, sqrt of <see cref="ReduceVariance(Tensor, bool)"/>
    /// (<c>tf.math.reduce_std</c>). Derivative: (x - mean) / (N·std); NaN where the group is constant (std 0), as TensorFlow's.</summary>
    /// <exception cref="ArgumentException">An integer or Bool dtype.</exception>
    public static Tensor ReduceStd(Tensor x, bool keepDims = false) => ReduceStd(x, (int[]?)null, keepDims);
    /// <summary>Population standard deviation along one axis; see <see cref="ReduceStd(Tensor, bool)"/>.</summary>
    public static Tensor ReduceStd(Tensor x, int axis, bool keepDims = false) => ReduceStd(x, new[] { axis }, keepDims);
    /// <summary>Population standard deviation over several axes (<c>null</c>: all); see <see cref="ReduceStd(Tensor, bool)"/>.</summary>
    /// <exception cref="ArgumentException">An axis out of range or repeated, or a non-float dtype.</exception>
    public static Tensor ReduceStd(Tensor x, int[]? axes, bool keepDims = false) =>
        Reduce(x, axes, (a, v) => Core.Statistics.reduceStd(a, keepDims, v));

    // ------------------------------------------------------------------ Bool reductions

    /// <summary>Logical and of all elements (<c>tf.math.reduce_all</c>); true for an empty tensor. Bool only; not differentiable.</summary>
    /// <exception cref="ArgumentException">A dtype other than Bool.</exception>
    public static Tensor ReduceAll(Tensor x, bool keepDims = false) => ReduceAll(x, (int[]?)null, keepDims);
    /// <summary>Logical and along one axis (negative counts from the end); an empty axis gives true.</summary>
    public static Tensor ReduceAll(Tensor x, int axis, bool keepDims = false) => ReduceAll(x, new[] { axis }, keepDims);
    /// <summary>Logical and over several axes (<c>null</c>: all); an empty group gives true.</summary>
    /// <exception cref="ArgumentException">An axis out of range or repeated, or a dtype other than Bool.</exception>
    public static Tensor ReduceAll(Tensor x, int[]? axes, bool keepDims = false) =>
        Reduce(x, axes, (a, v) => Core.Statistics.reduceAll(a, keepDims, v));

    /// <summary>Logical or of all elements (<c>tf.math.reduce_any</c>); false for an empty tensor. Bool only; not differentiable.</summary>
    /// <exception cref="ArgumentException">A dtype other than Bool.</exception>
    public static Tensor ReduceAny(Tensor x, bool keepDims = false) => ReduceAny(x, (int[]?)null, keepDims);
    /// <summary>Logical or along one axis (negative counts from the end); an empty axis gives false.</summary>
    public static Tensor ReduceAny(Tensor x, int axis, bool keepDims = false) => ReduceAny(x, new[] { axis }, keepDims);
    /// <summary>Logical or over several axes (<c>null</c>: all); an empty group gives false.</summary>
    /// <exception cref="ArgumentException">An axis out of range or repeated, or a dtype other than Bool.</exception>
    public static Tensor ReduceAny(Tensor x, int[]? axes, bool keepDims = false) =>
        Reduce(x, axes, (a, v) => Core.Statistics.reduceAny(a, keepDims, v));

    // ------------------------------------------------------------------ scans

    /// <summary>Cumulative sum along <paramref name="axis"/> (<c>tf.math.cumsum</c>): <paramref name="exclusive"/> leaves
    /// each element out of its own sum (the first result is 0), <paramref name="reverse"/> sums from the end. Every
    /// numeric dtype (integer sums wrap). Derivative: linear, d = cumsum(dx) with the same flags; the gradient is the
    /// cumulative sum in the other direction.</summary>
    /// <exception cref="ArgumentException">A scalar, an axis out of range, or a Bool tensor.</exception>
    public static Tensor CumSum(Tensor x, int axis = 0, bool exclusive = false, bool reverse = false) =>
        Unary(x, v => Core.Statistics.cumsum(axis, exclusive, reverse, v));

    /// <summary>Cumulative product along <paramref name="axis"/> (<c>tf.math.cumprod</c>; <paramref name="exclusive"/>:
    /// the first result is 1; <paramref name="reverse"/>: from the end). Every numeric dtype.</summary>
    /// <remarks>Derivative: d y_j / d x_i is the product of the other factors of y_j, computed without dividing by x, so
    /// it is exact where x holds zeros, at every order (TensorFlow's gradient divides by x and gives NaN or inf there):
    /// the tangent is the recurrence dy_j = x_j·dy_(j-1) + y_(j-1)·dx_j and the gradient the exclusive product times the
    /// recurrence R_i = g_i + x_(i+1)·R_(i+1), each one sequential pass.</remarks>
    /// <exception cref="ArgumentException">A scalar, an axis out of range, or a Bool tensor.</exception>
    public static Tensor CumProd(Tensor x, int axis = 0, bool exclusive = false, bool reverse = false) =>
        Unary(x, v => Core.Statistics.cumprod(axis, exclusive, reverse, v));

    // ------------------------------------------------------------------ norms

    /// <summary><c>x · rsqrt(max(Σ x², epsilon))</c> over all axes (<c>tf.math.l2_normalize</c>, <c>tf.nn.l2_normalize</c>),
    /// with TensorFlow's default epsilon 1e-12. Differentiable to any order; where Σ x² &lt; epsilon the scale is the
    /// constant epsilon^-½.</summary>
    /// <exception cref="ArgumentException">An axis out of range or repeated, or a non-float dtype.</exception>
    public static Tensor L2Normalize(Tensor x, int[]? axis = null, double epsilon = 1e-12) =>
        Reduce(x, axis, (a, v) => Core.Statistics.l2Normalize(a, epsilon, v));
    /// <summary><see cref="L2Normalize(Tensor, int[], double)"/> along one axis (negative counts from the end).</summary>
    public static Tensor L2Normalize(Tensor x, int axis, double epsilon = 1e-12) => L2Normalize(x, new[] { axis }, epsilon);

    /// <summary><c>t · clipNorm / max(‖t‖₂, clipNorm)</c> (<c>tf.clip_by_norm</c>): t unchanged when its L2 norm over
    /// <paramref name="axes"/> (<c>null</c>: all) is at most <paramref name="clipNorm"/>, else rescaled to that norm.
    /// Differentiable in t and clipNorm; on a tie the derivative flows through the norm (as TensorFlow's maximum).</summary>
    /// <remarks>TensorFlow's guard: a zero slice keeps norm 0 with finite derivatives. A NaN in t makes its slice NaN; an
    /// infinite entry gives NaN there and 0 elsewhere in its slice, as TensorFlow.</remarks>
    /// <exception cref="ArgumentException">A non-float t, a clipNorm of another dtype or of a shape that does not broadcast to t's.</exception>
    public static Tensor ClipByNorm(Tensor t, Tensor clipNorm, int[]? axes = null) =>
        Binary("ClipByNorm", t, clipNorm, (v, c) => Core.Statistics.clipByNorm(axes!, v, c));

    /// <summary>Rescales a list of tensors by <c>clipNorm / max(globalNorm, clipNorm)</c> (<c>tf.clip_by_global_norm</c>),
    /// where the global norm is <c>sqrt(Σ ‖t‖₂²)</c> over the list, or <paramref name="useNorm"/> when given. Returns the
    /// clipped list (null entries stay null, as TensorFlow's None) and the global norm.</summary>
    /// <remarks>TensorFlow's formula <c>scale = clipNorm · min(1/norm, 1/clipNorm) + (norm - norm)</c>: an infinite or NaN
    /// global norm makes every clipped tensor NaN. Differentiable in every tensor, clipNorm and useNorm; at an all-zero
    /// list the gradient through the computed norm is NaN (sqrt's derivative at 0).</remarks>
    /// <exception cref="ArgumentException">No tensor in the list, mixed or non-float dtypes, or a clipNorm/useNorm that is
    /// not a scalar of the tensors' dtype.</exception>
    public static (Tensor?[] ListClipped, Tensor GlobalNorm) ClipByGlobalNorm(IReadOnlyList<Tensor?> tList, Tensor clipNorm, Tensor? useNorm = null)
    {
        ArgumentNullException.ThrowIfNull(tList);
        ArgumentNullException.ThrowIfNull(clipNorm);
        var first = tList.FirstOrDefault(t => t is not null);
        if (first is null) throw new ArgumentException("ClipByGlobalNorm: expected at least one tensor (null entries are skipped).", nameof(tList));
        var ts = tList.Select(t => t is null ? null! : Scopes.Resolve(t)).ToArray();
        var c = ResolveScalarAs("ClipByGlobalNorm", clipNorm, first.DType);
        var u = useNorm is null
            ? Microsoft.FSharp.Core.FSharpOption<Core.Tensor>.None
            : Microsoft.FSharp.Core.FSharpOption<Core.Tensor>.Some(ResolveScalarAs("ClipByGlobalNorm", useNorm, first.DType));
        var (clipped, norm) = Core.Statistics.clipByGlobalNorm(ts, c, u);
        var result = new Tensor?[clipped.Length];
        for (int i = 0; i < clipped.Length; i++)
            result[i] = tList[i] is null ? null : new Tensor(clipped[i]);
        return (result, new Tensor(norm));
    }

    /// <summary>A weak scalar adopts <paramref name="dtype"/> (if it holds the value exactly); a strong tensor is passed as is.</summary>
    private static Core.Tensor ResolveScalarAs(string op, Tensor v, DType dtype)
    {
        var r = Scopes.Resolve(v);
        if (v.IsWeak && v.DType != dtype)
        {
            WeakScalars.CheckFits(op, v, dtype);
            r = Core.Elementwise.cast(dtype.ToCore(), r);
        }
        return r;
    }

    // ------------------------------------------------------------------ sorting

    /// <summary>The <paramref name="k"/> largest entries of each row of the last axis and their Int32 indices
    /// (<c>tf.math.top_k</c>, <c>tf.nn.top_k</c>): values descending, equal values with the lower index first (as
    /// TensorFlow). NaN counts above +inf. Every numeric dtype.</summary>
    /// <remarks>With <paramref name="sorted"/> false TensorFlow may return the k entries in any order; they come sorted
    /// here too. Derivative: the values' gradient is scattered to the chosen indices (zeros elsewhere), at every order;
    /// the indices have none.</remarks>
    /// <exception cref="ArgumentException">A scalar, a Bool tensor, or k outside [0, n] for a last axis of extent n.</exception>
    public static (Tensor Values, Tensor Indices) TopK(Tensor input, int k = 1, bool sorted = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (values, indices) = Core.Sorting.topK(k, Scopes.Resolve(input));
        return (new Tensor(values, input.IsWeak), new Tensor(indices));
    }

    /// <summary>Sorts along <paramref name="axis"/> (<c>tf.sort</c>); <paramref name="direction"/> is "ASCENDING" or
    /// "DESCENDING". Stable; NaN sorts above +inf (last ascending, first descending). Every numeric dtype. Derivative:
    /// each element's gradient goes back to the position it came from.</summary>
    /// <exception cref="ArgumentException">A scalar, a Bool tensor, an axis out of range, or another direction.</exception>
    public static Tensor Sort(Tensor values, int axis = -1, string direction = "ASCENDING") =>
        Unary(values, v => Core.Sorting.sort(axis, direction, v));

    /// <summary>The Int32 indices that sort <paramref name="values"/> along <paramref name="axis"/> (<c>tf.argsort</c>).
    /// Always stable (equal elements keep their order, in both directions), which is what TensorFlow gives for
    /// <paramref name="stable"/> true and allows for false. NaN sorts above +inf. Not differentiable.</summary>
    /// <exception cref="ArgumentException">A scalar, a Bool tensor, an axis out of range, or another direction.</exception>
    public static Tensor ArgSort(Tensor values, int axis = -1, string direction = "ASCENDING", bool stable = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new Tensor(Core.Sorting.argSort(axis, direction, Scopes.Resolve(values)));
    }

    // ------------------------------------------------------------------ segments

    /// <summary>Sums of the rows of <paramref name="data"/> (along its first axis) grouped by sorted, non-negative
    /// <paramref name="segmentIds"/> (Int32/Int64, one per row) (<c>tf.math.segment_sum</c>): result
    /// [max id + 1, ...data.shape[1:]], zero rows for ids that do not occur. Every numeric dtype. Derivative: the
    /// gradient of row j is the result's gradient at segment id j (a gather).</summary>
    /// <exception cref="ArgumentException">Ids that are not a vector as long as data's first axis, negative, unsorted, or
    /// not Int32/Int64; a Bool or scalar data tensor.</exception>
    public static Tensor SegmentSum(Tensor data, Tensor segmentIds)
    {
        ArgumentNullException.ThrowIfNull(segmentIds);
        var ids = Scopes.Resolve(segmentIds);
        return Unary(data, d => Core.Sorting.segmentSum(ids, d));
    }

    /// <summary>Sums of the slices of <paramref name="data"/> grouped by <paramref name="segmentIds"/> (Int32/Int64, any
    /// order, shaped as a prefix of data's shape) into <paramref name="numSegments"/> rows
    /// (<c>tf.math.unsorted_segment_sum</c>): result [numSegments, ...data.shape[ids.rank:]]. A negative id drops its
    /// slice, as TensorFlow documents. Every numeric dtype. Derivative: a gather of the result's gradient by the ids (0
    /// for dropped slices).</summary>
    /// <exception cref="ArgumentException">An id &gt;= numSegments (TensorFlow's CPU kernel raises too), ids whose shape is
    /// not a prefix of data's, a negative numSegments, or dtypes as <see cref="SegmentSum"/>.</exception>
    public static Tensor UnsortedSegmentSum(Tensor data, Tensor segmentIds, int numSegments)
    {
        ArgumentNullException.ThrowIfNull(segmentIds);
        var ids = Scopes.Resolve(segmentIds);
        return Unary(data, d => Core.Sorting.unsortedSegmentSum(ids, numSegments, d));
    }

    /// <summary>TensorFlow's <c>tf.nn</c> ops that live in that namespace only.</summary>
    public static partial class Nn
    {
        /// <summary>Mean and population variance of <paramref name="x"/> over <paramref name="axes"/> (<c>tf.nn.moments</c>;
        /// axes are required, as TensorFlow's). Float32/Float64.</summary>
        /// <remarks>Deviation from TensorFlow: TF stops the mean's gradient inside the variance; values and first
        /// derivatives agree (that term vanishes), but TF's second derivative of the variance misses the −2/N² coupling.
        /// Here the variance is differentiated exactly at every order.</remarks>
        /// <exception cref="ArgumentException">Null, repeated or out-of-range axes, or a non-float dtype.</exception>
        public static (Tensor Mean, Tensor Variance) Moments(Tensor x, int[] axes, bool keepDims = false)
        {
            ArgumentNullException.ThrowIfNull(x);
            var (m, v) = Core.Statistics.moments(axes, keepDims, Scopes.Resolve(x));
            return (new Tensor(m, x.IsWeak), new Tensor(v, x.IsWeak));
        }
    }
}
