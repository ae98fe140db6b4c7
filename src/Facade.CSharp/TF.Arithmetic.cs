namespace Nabla;

public static partial class TF
{
    /// <summary>Element-wise arctangent of y / x in the quadrant of (x, y), in [-π, π], with broadcasting
    /// (<c>tf.math.atan2(y, x)</c>). Derivatives: x / (x² + y²) for y and -y / (x² + y²) for x.</summary>
    /// <remarks>IEEE atan2 at the signed zeros and infinities (atan2(+0, -0) = π); the gradients are NaN at x = y = 0 (0/0).</remarks>
    /// <exception cref="ArgumentException">Integer or Bool operands, different dtypes, or shapes that do not broadcast.</exception>
    public static Tensor Atan2(Tensor y, Tensor x) => Binary("Atan2", y, x, Core.Elementwise.atan2);

    /// <summary>Element-wise (a - b)² with broadcasting (<c>tf.math.squared_difference</c>), float and integer dtypes.
    /// Derivatives: 2(a - b) and -2(a - b).</summary>
    public static Tensor SquaredDifference(Tensor a, Tensor b) => Binary("SquaredDifference", a, b, Core.Elementwise.squaredDifference);

    /// <summary>Element-wise floor(a / b) with broadcasting (<c>tf.math.floordiv</c>): integers round toward -inf
    /// (-7 // 2 = -4), floats give the floor of the IEEE quotient (±inf for a zero divisor, NaN for 0/0).</summary>
    /// <remarks>Not differentiable: the gradient is None (null), as TensorFlow's. An integer MinValue // -1 wraps.</remarks>
    /// <exception cref="ArgumentException">An integer divisor holding a 0 (TensorFlow raises "Integer division by zero"),
    /// a Bool operand, different dtypes, or shapes that do not broadcast.</exception>
    public static Tensor FloorDiv(Tensor a, Tensor b) => Binary("FloorDiv", a, b, Core.Elementwise.floorDiv);

    /// <summary>Element-wise a - floor(a / b)·b with broadcasting (<c>tf.math.floormod</c>): the result has the divisor's
    /// sign (-7 mod 2 = 1, 7 mod -2 = -1). Derivatives (floats): 1 for a and -floor(a / b) for b, as TensorFlow's.</summary>
    /// <remarks>A float zero divisor gives NaN. Integer results are not differentiable.</remarks>
    /// <exception cref="ArgumentException">An integer divisor holding a 0, a Bool operand, different dtypes, or shapes that
    /// do not broadcast.</exception>
    public static Tensor FloorMod(Tensor a, Tensor b) => Binary("FloorMod", a, b, Core.Elementwise.floorMod);

    /// <summary>The element-wise sum of a list of tensors of one shape and dtype (<c>tf.math.add_n</c>; no broadcasting).
    /// Derivative: every input gets the whole adjoint.</summary>
    /// <exception cref="ArgumentException">An empty list, or an input whose shape or dtype differs from the first's.</exception>
    public static Tensor AddN(IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("AddN: no inputs; expected at least one tensor.", nameof(inputs));
        var resolved = new Core.Tensor[inputs.Count];
        bool weak = true;
        for (int i = 0; i < inputs.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
            resolved[i] = Scopes.Resolve(inputs[i]);
            weak &= inputs[i].IsWeak;
        }
        return new Tensor(Core.Elementwise.addN(resolved), weak);
    }

    /// <summary>Element-wise logical and with broadcasting (<c>tf.math.logical_and</c>), Bool operands; not differentiable.</summary>
    /// <exception cref="ArgumentException">A non-Bool operand, or shapes that do not broadcast.</exception>
    public static Tensor LogicalAnd(Tensor x, Tensor y) => Logical("LogicalAnd", x, y, Core.Elementwise.logicalAnd);

    /// <summary>Element-wise logical or with broadcasting (<c>tf.math.logical_or</c>), Bool operands; not differentiable.</summary>
    /// <exception cref="ArgumentException">A non-Bool operand, or shapes that do not broadcast.</exception>
    public static Tensor LogicalOr(Tensor x, Tensor y) => Logical("LogicalOr", x, y, Core.Elementwise.logicalOr);

    /// <summary>Element-wise logical not (<c>tf.math.logical_not</c>), a Bool operand; not differentiable.</summary>
    /// <exception cref="ArgumentException">A non-Bool operand.</exception>
    public static Tensor LogicalNot(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(Core.Elementwise.logicalNot(Scopes.Resolve(x)));
    }

    /// <summary>True where x is NaN (<c>tf.math.is_nan</c>), float dtypes; a Bool result, not differentiable.</summary>
    /// <exception cref="ArgumentException">An integer or Bool x (TensorFlow accepts only float dtypes).</exception>
    public static Tensor IsNan(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(Core.Elementwise.isNan(Scopes.Resolve(x)));
    }

    /// <summary>True where x is neither infinite nor NaN (<c>tf.math.is_finite</c>), float dtypes; a Bool result, not
    /// differentiable.</summary>
    /// <exception cref="ArgumentException">An integer or Bool x.</exception>
    public static Tensor IsFinite(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(Core.Elementwise.isFinite(Scopes.Resolve(x)));
    }

    private static Tensor Logical(string op, Tensor x, Tensor y, Func<Core.Tensor, Core.Tensor, Core.Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return new Tensor(f(Scopes.Resolve(x), Scopes.Resolve(y)));
    }
}
