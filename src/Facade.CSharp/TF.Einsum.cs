namespace Nabla;

public static partial class TF
{
    /// <summary>Einstein summation (<c>tf.einsum</c>): <paramref name="equation"/> names each operand's axes with letters
    /// (a-z, A-Z), operands separated by <c>,</c>, the output after <c>-&gt;</c>; whitespace is ignored. A label repeated in one
    /// operand takes the diagonal (<c>"ii-&gt;i"</c>), a label absent from the output is summed (<c>"ii-&gt;"</c> is the trace),
    /// and without <c>-&gt;</c> the output is the labels occurring exactly once, A-Z before a-z. <c>...</c> stands for any
    /// number of axes and broadcasts between operands as NumPy. Named labels must have equal extents everywhere. Two
    /// operands are contracted directly; more are contracted pairwise in the order of opt_einsum's greedy strategy (TF's
    /// default). A matrix-product equation (<c>"ij,jk-&gt;ik"</c>, <c>"bij,bjk-&gt;bik"</c>, <c>"ij,kj-&gt;ik"</c>,
    /// <c>"...ij,...jk-&gt;...ik"</c>) calls <see cref="MatMul"/> with its transpose flags.</summary>
    /// <remarks>Float32 and Float64 are differentiable in every operand to any order, forward and reverse (the result is
    /// multilinear: the derivative along one operand is the same einsum with the tangent in its place; the rules are those
    /// of MatMul, Transpose, Reshape, Gather and ReduceSum that it is built from). Int32 and Int64 are computed exactly
    /// (sums wrap), as TensorFlow's CPU kernels. NaN and infinities propagate as through sums of products. Deviation: an
    /// implicit output always leads with <c>...</c> when an operand holds one (NumPy's rule; tf.einsum drops it when two
    /// operands hold one, then rejects the equation).</remarks>
    /// <example><c>TF.Einsum("bij,bjk-&gt;bik", a, b)</c>; <c>TF.Einsum("ii", m)</c> (trace); <c>TF.Einsum("i,j-&gt;ij", u, v)</c> (outer product).</example>
    /// <exception cref="ArgumentException">Naming the op, the equation and the operand or label at fault: a number of
    /// operands that differs from the subscripts', a character other than letters, <c>,</c>, <c>-&gt;</c> and <c>...</c>,
    /// ranks that do not fit the subscripts, label extents that differ, ellipses that do not broadcast, an output label that
    /// repeats or appears in no input, dtypes that differ or are Bool, or a result above <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor Einsum(string equation, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(equation);
        ArgumentNullException.ThrowIfNull(inputs);
        var resolved = ResolveOperands("Einsum", inputs);
        return new Tensor(Core.Einsum.einsum(equation, resolved));
    }

    /// <summary>Tensor contraction (<c>tf.tensordot</c> with an integer <c>axes</c>): the last <paramref name="axes"/> axes of
    /// <paramref name="a"/> against the first <paramref name="axes"/> axes of <paramref name="b"/>; the result has a's
    /// remaining axes, then b's. <c>axes = 0</c> is the outer product, 1 on matrices the matrix product.</summary>
    /// <remarks>Derivative: as <see cref="Einsum"/> (it is one), to any order in Float32 and Float64; Int32 and Int64 are exact.</remarks>
    /// <exception cref="ArgumentException"><paramref name="axes"/> negative or above either rank, contracted extents that differ,
    /// dtypes that differ or are Bool.</exception>
    public static Tensor Tensordot(Tensor a, Tensor b, int axes) =>
        Binary("Tensordot", a, b, (x, y) => Core.Einsum.tensordotN(axes, x, y));

    /// <summary>Tensor contraction (<c>tf.tensordot</c> with a pair of axis lists): axis <c>axesA[i]</c> of <paramref name="a"/>
    /// is contracted with axis <c>axesB[i]</c> of <paramref name="b"/> (negative axes count from the end); the result has a's
    /// remaining axes in order, then b's.</summary>
    /// <remarks>Derivative: as <see cref="Einsum"/> (it is one), to any order in Float32 and Float64; Int32 and Int64 are exact.</remarks>
    /// <exception cref="ArgumentException">Lists of different lengths, axes out of range or repeated, contracted extents that
    /// differ, dtypes that differ or are Bool.</exception>
    public static Tensor Tensordot(Tensor a, Tensor b, int[] axesA, int[] axesB)
    {
        ArgumentNullException.ThrowIfNull(axesA);
        ArgumentNullException.ThrowIfNull(axesB);
        return Binary("Tensordot", a, b, (x, y) => Core.Einsum.tensordot(axesA, axesB, x, y));
    }

    /// <summary>Resolves einsum operands to one dtype (weak scalars adopt the first strong dtype when it holds them exactly).</summary>
    private static Core.Tensor[] ResolveOperands(string op, Tensor[] inputs)
    {
        var first = inputs.FirstOrDefault(v => v is { IsWeak: false }) ?? inputs.FirstOrDefault(v => v is not null);
        var resolved = new Core.Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"{op}: operand {i} is null.");
            var r = Scopes.Resolve(inputs[i]);
            if (inputs[i].DType != first!.DType && inputs[i].IsWeak)
            {
                WeakScalars.CheckFits(op, inputs[i], first.DType);
                r = Core.Elementwise.cast(first.DType.ToCore(), r);
            }
            resolved[i] = r;
        }
        return resolved;
    }
}
