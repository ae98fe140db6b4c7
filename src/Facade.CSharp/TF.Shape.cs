namespace Nabla;

public static partial class TF
{
    /// <summary>Matrix product <c>op(a) · op(b)</c> over the last two axes (<c>tf.linalg.matmul</c>), batched over leading axes
    /// with broadcasting of batch dimensions; op transposes when its flag is set. Derivative: dA = G·op(B)ᵀ and dB = op(A)ᵀ·G
    /// (arranged with transpose flags, nothing materialised), summed over broadcast batch axes.</summary>
    /// <exception cref="ArgumentException">A rank below 2, mismatched inner dimensions, batch shapes that do not broadcast, dtypes, or a
    /// product of more than <see cref="Array.MaxLength"/> elements. An inner dimension of 0 gives zeros (as TensorFlow).</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false) =>
        Binary("MatMul", a, b, (x, y) => Core.Products.matmul(transposeA, transposeB, x, y));

    /// <summary>Matrix-vector product <c>op(a) · x</c> over the last axes (<c>tf.linalg.matvec</c>): a [..., m, n], x [..., n] → [..., m].</summary>
    /// <exception cref="ArgumentException">Ranks, sizes, batch shapes or dtypes that do not fit, or a result of more than <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor MatVec(Tensor a, Tensor x, bool transposeA = false) =>
        Binary("MatVec", a, x, (m, v) => Core.Products.matvec(transposeA, m, v));

    /// <summary>Inserts an axis of extent 1 at <paramref name="axis"/> (<c>tf.expand_dims</c>). Derivative: reshaped back.</summary>
    public static Tensor ExpandDims(Tensor x, int axis) => Unary(x, v => Core.Layout.expandDims(axis, v));

    /// <summary>Removes axes of extent 1: all, or just <paramref name="axis"/> (<c>tf.squeeze</c>). Derivative: reshaped back.</summary>
    /// <exception cref="ArgumentException">The given axis does not have extent 1.</exception>
    public static Tensor Squeeze(Tensor x, int? axis = null) =>
        Unary(x, v => Core.Layout.squeeze(axis.HasValue ? Microsoft.FSharp.Core.FSharpOption<int>.Some(axis.Value) : null, v));

    /// <summary>Stacks equal-shaped tensors along a new axis (<c>tf.stack</c>). Derivative: each operand gets its slice.</summary>
    /// <exception cref="ArgumentException">Shapes or dtypes differ, the axis is out of range, or the result has more than <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> values, int axis = 0) =>
        new(Core.Layout.stack(axis, ResolveAll("Stack", values)));

    /// <summary>Rows of <paramref name="x"/> along <paramref name="axis"/> picked by integer <paramref name="indices"/> of any shape
    /// (<c>tf.gather</c>). Derivative: the adjoint rows are added back at their indices (repeated indices accumulate).</summary>
    /// <exception cref="ArgumentException">Indices that are not Int32/Int64 or out of range, or a result of more than <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor Gather(Tensor x, Tensor indices, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var idx = Scopes.Resolve(indices);
        return Unary(x, v => Core.Layout.gather(axis, idx, v));
    }

    /// <summary>Permutes axes (<c>tf.transpose</c>); <c>null</c> reverses them. Derivative: the inverse permutation.</summary>
    public static Tensor Transpose(Tensor x, int[]? perm = null) => Unary(x, v => Core.Layout.transpose(perm!, v));

    /// <summary>Same elements, new shape (<c>tf.reshape</c>); one -1 is inferred. Derivative: reshaped back.</summary>
    /// <exception cref="ArgumentException">The element counts differ (compared exactly, never wrapped), more than one -1 is given,
    /// or a -1 is given beside a 0 (as TensorFlow, it cannot be inferred for an empty tensor).</exception>
    public static Tensor Reshape(Tensor x, params int[] shape) => Unary(x, v => Core.Layout.reshape(shape, v));

    /// <summary>The block starting at <paramref name="begin"/> with extent <paramref name="size"/> (-1: the rest of the axis)
    /// (<c>tf.slice</c>). Derivative: the adjoint padded with zeros.</summary>
    /// <exception cref="ArgumentException">Not one begin and size per axis, or a block outside the tensor (checked without overflow,
    /// so <c>int.MaxValue</c> is rejected, not wrapped).</exception>
    public static Tensor Slice(Tensor x, int[] begin, int[] size) => Unary(x, v => Core.Layout.slice(begin, size, v));

    /// <summary>Joins tensors along <paramref name="axis"/> (<c>tf.concat</c>). Derivative: each operand gets its slice of the adjoint.</summary>
    /// <exception cref="ArgumentException">Shapes differ outside the axis, dtypes differ, or the joined extent or element count
    /// passes <c>int</c> or <see cref="Array.MaxLength"/>.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> values, int axis) => new(Core.Layout.concat(axis, ResolveAll("Concat", values)));

    /// <summary>Resolves a list of operands to one dtype (weak scalars adopt the first strong dtype, if it holds them
    /// exactly: see <see cref="WeakScalars.CheckFits"/>).</summary>
    private static Core.Tensor[] ResolveAll(string op, IReadOnlyList<Tensor> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException($"{op}: expected at least one tensor.", nameof(values));
        var first = values.FirstOrDefault(v => v is { IsWeak: false }) ?? values[0];
        ArgumentNullException.ThrowIfNull(first, nameof(values));
        var resolved = new Core.Tensor[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(values[i], nameof(values));
            if (values[i].DType != first.DType && !values[i].IsWeak)
                throw new ArgumentException($"{op}: tensors have dtypes {first.DType} and {values[i].DType}; expected one dtype.", nameof(values));
            var r = Scopes.Resolve(values[i]);
            if (values[i].DType != first.DType) WeakScalars.CheckFits(op, values[i], first.DType);
            resolved[i] = values[i].DType != first.DType ? Core.Elementwise.cast(first.DType.ToCore(), r) : r;
        }
        return resolved;
    }
}
