namespace Nabla;

public static partial class TF
{
    /// <summary>Matrix product <c>op(a) · op(b)</c> of rank-2 tensors (<c>tf.linalg.matmul</c>), op transposing when its flag
    /// is set. Derivative: dA = G·op(B)ᵀ and dB = op(A)ᵀ·G (arranged with transpose flags, nothing materialised).</summary>
    /// <exception cref="ArgumentException">Ranks other than 2, mismatched inner dimensions or dtypes.</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false) =>
        Binary("MatMul", a, b, (x, y) => Core.Ops.matmul(transposeA, transposeB, x, y));

    /// <summary>Permutes axes (<c>tf.transpose</c>); <c>null</c> reverses them. Derivative: the inverse permutation.</summary>
    public static Tensor Transpose(Tensor x, int[]? perm = null) => Unary(x, v => Core.Ops.transpose(perm!, v));

    /// <summary>Same elements, new shape (<c>tf.reshape</c>); one -1 is inferred. Derivative: reshaped back.</summary>
    /// <exception cref="ArgumentException">The element counts differ or more than one -1 is given.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape) => Unary(x, v => Core.Ops.reshape(shape, v));

    /// <summary>The block starting at <paramref name="begin"/> with extent <paramref name="size"/> (-1: the rest of the axis)
    /// (<c>tf.slice</c>). Derivative: the adjoint padded with zeros.</summary>
    public static Tensor Slice(Tensor x, int[] begin, int[] size) => Unary(x, v => Core.Ops.slice(begin, size, v));

    /// <summary>Joins tensors along <paramref name="axis"/> (<c>tf.concat</c>). Derivative: each operand gets its slice of the adjoint.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> values, int axis)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("Concat: expected at least one tensor.", nameof(values));
        var first = values[0];
        var resolved = new Core.Tensor[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(values[i], nameof(values));
            if (values[i].DType != first.DType && !values[i].IsWeak)
                throw new ArgumentException($"Concat: tensors have dtypes {first.DType} and {values[i].DType}; expected one dtype.", nameof(values));
            var r = Scopes.Resolve(values[i]);
            resolved[i] = values[i].DType != first.DType ? Core.Ops.cast(first.DType.ToCore(), r) : r;
        }
        return new Tensor(Core.Ops.concat(axis, resolved));
    }
}
