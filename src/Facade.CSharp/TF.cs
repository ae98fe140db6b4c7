namespace Nabla;

/// <summary>
/// TensorFlow's operations under their TensorFlow names (<c>using static Nabla.TF;</c> makes ported code read
/// almost unchanged). Every float op is differentiable to any order, in forward and reverse mode.
/// </summary>
/// <remarks>
/// Every op that makes a shape (a factory, a broadcast, a product, a concatenation...) checks its element count first:
/// above <see cref="Array.MaxLength"/> it throws an <see cref="ArgumentException"/> naming the op and the shape (such
/// tensors are out of scope), never a wrapped, short or empty result. A C# scalar that meets an integer or Bool tensor
/// must be held exactly by its dtype (<c>ints * 2.0</c> is fine, <c>ints * 0.5</c> throws, as in TensorFlow). Empty
/// tensors give TensorFlow's values (ReduceSum 0, ReduceProd 1, ReduceMean NaN, ReduceLogSumExp -inf, MatMul over an
/// inner dimension of 0 zeros) or an ArgumentException naming the op (ArgMax over an empty axis).
/// </remarks>
public static partial class TF
{
    /// <summary>Runs a unary core op on the value the current thread's scopes give <paramref name="x"/>.</summary>
    internal static Tensor Unary(Tensor x, Func<Core.Tensor, Core.Tensor> op)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(op(Scopes.Resolve(x)), x.IsWeak);
    }

    private static int PromotionRank(DType d) => d switch
    {
        DType.Float64 => 4,
        DType.Float32 => 3,
        DType.Int64 => 2,
        DType.Int32 => 1,
        _ => 0,
    };

    /// <summary>Resolves the dtypes of two operands: a weak scalar adopts the strong operand's dtype (an
    /// <see cref="ArgumentException"/> naming <paramref name="op"/>, the dtype and the value when an integer or Bool
    /// dtype cannot hold it exactly, see <see cref="WeakScalars.CheckFits"/>); two strong dtypes must be equal
    /// (TensorFlow does not promote).</summary>
    internal static (Core.Tensor A, Core.Tensor B, bool Weak) Unify(string op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ra = Scopes.Resolve(a);
        var rb = Scopes.Resolve(b);
        var da = a.DType;
        var db = b.DType;
        if (da != db)
        {
            if (a.IsWeak && !b.IsWeak)
            {
                WeakScalars.CheckFits(op, a, db);
                ra = Core.Elementwise.cast(db.ToCore(), ra);
            }
            else if (b.IsWeak && !a.IsWeak)
            {
                WeakScalars.CheckFits(op, b, da);
                rb = Core.Elementwise.cast(da.ToCore(), rb);
            }
            else if (a.IsWeak && b.IsWeak)
            {
                var d = PromotionRank(da) >= PromotionRank(db) ? da : db;
                ra = Core.Elementwise.cast(d.ToCore(), ra);
                rb = Core.Elementwise.cast(d.ToCore(), rb);
            }
            else
                throw new ArgumentException($"{op}: operands have dtypes {da} and {db}; expected the same dtype (TensorFlow does not promote; use TF.Cast).");
        }
        return (ra, rb, a.IsWeak && b.IsWeak);
    }

    /// <summary>Runs a binary core op after dtype resolution.</summary>
    internal static Tensor Binary(string op, Tensor a, Tensor b, Func<Core.Tensor, Core.Tensor, Core.Tensor> f)
    {
        var (ra, rb, weak) = Unify(op, a, b);
        return new Tensor(f(ra, rb), weak);
    }

    internal static Tensor IndexAxis0(Tensor x, int index)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0)
            throw new IndexOutOfRangeException($"Index: cannot index a scalar (shape []); expected a tensor of rank >= 1.");
        int n = x.ShapeArray[0];
        int i = index < 0 ? index + n : index;
        if (i < 0 || i >= n)
            throw new IndexOutOfRangeException($"Index: index {index} is out of range for axis 0 of shape {Shapes.Format(x.ShapeArray)}; expected -{n} <= index < {n}.");
        var start = new int[x.Rank];
        start[0] = i;
        var size = (int[])x.ShapeArray.Clone();
        size[0] = 1;
        var rest = x.ShapeArray[1..];
        return Unary(x, v => Core.Layout.reshape(rest, Core.Layout.slice(start, size, v)));
    }
}
