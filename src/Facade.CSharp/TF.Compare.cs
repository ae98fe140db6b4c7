namespace Nabla;

public static partial class TF
{
    private static Tensor Compare(string op, Tensor a, Tensor b, Func<Core.Tensor, Core.Tensor, Core.Tensor> f)
    {
        var (ra, rb, _) = Unify(op, a, b);
        return new Tensor(f(ra, rb));
    }

    /// <summary>Element-wise <c>a == b</c> with broadcasting (<c>tf.equal</c>); Bool result, not differentiable.</summary>
    public static Tensor Equal(Tensor a, Tensor b) => Compare("Equal", a, b, Core.Elementwise.equal);
    /// <summary>Element-wise <c>a != b</c> with broadcasting (<c>tf.not_equal</c>); Bool result, not differentiable.</summary>
    public static Tensor NotEqual(Tensor a, Tensor b) => Compare("NotEqual", a, b, Core.Elementwise.notEqual);
    /// <summary>Element-wise <c>a &gt; b</c> with broadcasting (<c>tf.greater</c>); Bool result, not differentiable.</summary>
    public static Tensor Greater(Tensor a, Tensor b) => Compare("Greater", a, b, Core.Elementwise.greater);
    /// <summary>Element-wise <c>a &lt; b</c> with broadcasting (<c>tf.less</c>); Bool result, not differentiable.</summary>
    public static Tensor Less(Tensor a, Tensor b) => Compare("Less", a, b, Core.Elementwise.less);
    /// <summary>Element-wise <c>a &gt;= b</c> with broadcasting (<c>tf.greater_equal</c>); Bool result, not differentiable.</summary>
    public static Tensor GreaterEqual(Tensor a, Tensor b) => Compare("GreaterEqual", a, b, Core.Elementwise.greaterEqual);
    /// <summary>Element-wise <c>a &lt;= b</c> with broadcasting (<c>tf.less_equal</c>); Bool result, not differentiable.</summary>
    public static Tensor LessEqual(Tensor a, Tensor b) => Compare("LessEqual", a, b, Core.Elementwise.lessEqual);

    /// <summary>Index of the largest element along <paramref name="axis"/> (<c>tf.math.argmax</c>), Int64, first on ties; not differentiable.</summary>
    /// <remarks>NaN: a slice holding a NaN gives the index of its first NaN, as NumPy's <c>argmax</c> (consistent with
    /// <see cref="ReduceMax(Tensor, bool)"/>, which is NaN there; TensorFlow leaves this unspecified). An empty axis throws.</remarks>
    public static Tensor ArgMax(Tensor x, int axis = -1) { ArgumentNullException.ThrowIfNull(x); return new Tensor(Core.Reductions.argMax(axis, Scopes.Resolve(x))); }
    /// <summary>Index of the smallest element along <paramref name="axis"/> (<c>tf.math.argmin</c>), Int64, first on ties; not differentiable.</summary>
    /// <remarks>NaN: a slice holding a NaN gives the index of its first NaN, as NumPy's <c>argmin</c>. An empty axis throws.</remarks>
    public static Tensor ArgMin(Tensor x, int axis = -1) { ArgumentNullException.ThrowIfNull(x); return new Tensor(Core.Reductions.argMin(axis, Scopes.Resolve(x))); }
}
