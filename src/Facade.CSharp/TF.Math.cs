namespace Nabla;

public static partial class TF
{
    /// <summary>Element-wise <c>a + b</c> with NumPy broadcasting (<c>tf.add</c>). Derivative: 1 for both operands
    /// (adjoints summed over broadcast axes).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary("Add", a, b, Core.Combinators.add);

    /// <summary>Element-wise <c>a - b</c> with broadcasting (<c>tf.subtract</c>). Derivative: 1 and -1.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => Binary("Subtract", a, b, Core.Elementwise.sub);

    /// <summary>Element-wise <c>a * b</c> with broadcasting (<c>tf.multiply</c>). Derivative: b and a.</summary>
    public static Tensor Multiply(Tensor a, Tensor b) => Binary("Multiply", a, b, Core.Elementwise.mul);

    /// <summary>Element-wise <c>a / b</c> with broadcasting (<c>tf.divide</c>), float dtypes. Derivative: 1/b and -a/b².</summary>
    /// <remarks>Integer operands are divided in Float64, as TensorFlow's <c>truediv</c>.</remarks>
    public static Tensor Divide(Tensor a, Tensor b)
    {
        var (ra, rb, weak) = Unify("Divide", a, b);
        if (ra.DType is Core.DType.Int32 or Core.DType.Int64)
        {
            ra = Core.Elementwise.cast(Core.DType.Float64, ra);
            rb = Core.Elementwise.cast(Core.DType.Float64, rb);
        }
        else if (ra.DType == Core.DType.Bool)
            throw new ArgumentException("Divide: dtype Bool is not supported; expected a float or integer dtype.");
        return new Tensor(Core.Elementwise.div(ra, rb), weak);
    }

    /// <summary>Element-wise <c>-x</c> (<c>tf.negative</c>). Derivative: -1.</summary>
    public static Tensor Negative(Tensor x) => Unary(x, Core.Elementwise.neg);

    /// <summary>Element-wise <c>x²</c> (<c>tf.square</c>). Derivative: 2x.</summary>
    public static Tensor Square(Tensor x) => Unary(x, Core.Elementwise.squareAny);

    /// <summary>Element-wise square root (<c>tf.sqrt</c>). Derivative: 1 / (2 sqrt x).</summary>
    /// <remarks>IEEE: NaN for NaN and for x &lt; 0 (value, gradient, tangent); sqrt(+inf) = +inf with derivative 0.</remarks>
    public static Tensor Sqrt(Tensor x) => Unary(x, Core.Elementwise.sqrt);

    /// <summary>Element-wise eˣ (<c>tf.exp</c>). Derivative: eˣ.</summary>
    /// <remarks>IEEE: NaN for NaN (value, gradient, tangent); e^+inf = +inf, e^-inf = 0, overflow gives +inf.</remarks>
    public static Tensor Exp(Tensor x) => Unary(x, Core.Elementwise.exp);

    /// <summary>Element-wise natural logarithm (<c>tf.math.log</c>). Derivative: 1/x.</summary>
    /// <remarks>IEEE: NaN for NaN and for x &lt; 0, -inf at 0, +inf at +inf; the gradient at a NaN is NaN (at a negative x it
    /// is 1/x, as TensorFlow).</remarks>
    public static Tensor Log(Tensor x) => Unary(x, Core.Elementwise.log);

    /// <summary>Element-wise sine (<c>tf.sin</c>). Derivative: cos x.</summary>
    /// <remarks>NaN for NaN and +-inf (value, gradient, tangent).</remarks>
    public static Tensor Sin(Tensor x) => Unary(x, Core.Elementwise.sin);

    /// <summary>Element-wise cosine (<c>tf.cos</c>). Derivative: -sin x.</summary>
    /// <remarks>NaN for NaN and +-inf (value, gradient, tangent).</remarks>
    public static Tensor Cos(Tensor x) => Unary(x, Core.Elementwise.cos);

    /// <summary>Element-wise hyperbolic tangent (<c>tf.tanh</c>). Derivative: 1 - tanh² x.</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent); tanh(+-inf) = +-1 with derivative 0.</remarks>
    public static Tensor Tanh(Tensor x) => Unary(x, Core.Elementwise.tanh);

    /// <summary>Element-wise arctangent, in (-π/2, π/2) (<c>tf.math.atan</c>). Derivative: 1 / (1 + x²).</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent); atan(±inf) = ±π/2 with derivative 0.</remarks>
    public static Tensor Atan(Tensor x) => Unary(x, Core.Elementwise.atan);

    /// <summary>Converts to <paramref name="dtype"/> (<c>tf.cast</c>). Between float dtypes the gradient is cast back;
    /// to or from an integer or bool dtype there is no gradient. Float to integer truncates toward zero.</summary>
    /// <remarks>The result is strongly typed, even for a C# scalar: <c>TF.Cast(2, DType.Float32)</c> is a Float32 tensor.</remarks>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new Tensor(Core.Elementwise.cast(dtype.ToCore(), Scopes.Resolve(x)));
    }

    /// <summary>Element-wise <c>a^b</c> with broadcasting (<c>tf.pow</c>). Derivative: b·a^(b-1) for a, and a^b·ln a for b
    /// (taken as 0 where a &lt;= 0, as TensorFlow).</summary>
    /// <remarks>IEEE pow: NaN for a &lt; 0 with a non-integer b; pow(NaN, 0) = pow(1, NaN) = 1, any other NaN operand gives
    /// NaN. Where a or b is NaN both gradients and tangents are NaN, even where the value is 1 (TensorFlow gives 0 for b at a
    /// NaN a).</remarks>
    public static Tensor Pow(Tensor a, Tensor b) => Binary("Pow", a, b, Core.Elementwise.pow);

    /// <summary>Element-wise ln(1 + x), accurate near 0 (<c>tf.math.log1p</c>). Derivative: 1/(1 + x).</summary>
    /// <remarks>IEEE: NaN for NaN and x &lt; -1 (value, gradient, tangent), -inf at -1, +inf at +inf.</remarks>
    public static Tensor Log1p(Tensor x) => Unary(x, Core.Elementwise.log1p);

    /// <summary>Element-wise tangent (<c>tf.tan</c>). Derivative: 1 + tan² x.</summary>
    /// <remarks>NaN for NaN and +-inf (value, gradient, tangent).</remarks>
    public static Tensor Tan(Tensor x) => Unary(x, Core.Elementwise.tan);

    /// <summary>Element-wise logistic function 1/(1 + e⁻ˣ) (<c>tf.sigmoid</c>). Derivative: σ(x)(1 - σ(x)).</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent); 1 at +inf and 0 at -inf, derivative 0 at both.</remarks>
    public static Tensor Sigmoid(Tensor x) => Unary(x, Core.Elementwise.sigmoid);

    /// <summary>Element-wise max(x, 0) (<c>tf.nn.relu</c>). Derivative: 1 where x &gt; 0, else 0 (0 at x = 0, as TensorFlow).</summary>
    /// <remarks>NaN propagates: relu(NaN) = NaN (as TensorFlow's CPU kernel), and the gradient and tangent at a NaN are NaN,
    /// at every order (TensorFlow's gradient there is 0, which hides the divergence).</remarks>
    public static Tensor Relu(Tensor x) => Unary(x, Core.Elementwise.relu);

    /// <summary>Element-wise ln(1 + eˣ), without overflow (<c>tf.nn.softplus</c>). Derivative: σ(x).</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent); +inf at +inf (derivative 1), 0 at -inf (derivative 0).</remarks>
    public static Tensor Softplus(Tensor x) => Unary(x, Core.Elementwise.softplus);

    /// <summary>Element-wise |x| (<c>tf.abs</c>). Derivative: sign x (0 at x = 0, as TensorFlow).</summary>
    /// <remarks>NaN for NaN, with a NaN gradient and tangent at every order; |+-inf| = +inf with derivative +-1.</remarks>
    public static Tensor Abs(Tensor x) => Unary(x, Core.Elementwise.abs);

    /// <summary>Element-wise sign, -1, 0 or 1 (<c>tf.sign</c>). Derivative: 0 everywhere; the gradient is zeros, not null.</summary>
    /// <remarks>sign(NaN) = NaN (as TensorFlow 2 and NumPy), and there the gradient and tangent are NaN too, at every order
    /// (TensorFlow's gradient is 0); sign(+-inf) = +-1.</remarks>
    public static Tensor Sign(Tensor x) => Unary(x, Core.Elementwise.sign);

    /// <summary>Element-wise max(a, b) with broadcasting (<c>tf.maximum</c>). On ties the whole gradient goes to <paramref name="a"/>.</summary>
    /// <remarks>NaN where either operand is NaN (as TensorFlow 2 and NumPy's <c>maximum</c>); there both operands' gradients
    /// and tangents are NaN (TensorFlow gives the whole gradient to <paramref name="b"/>).</remarks>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary("Maximum", a, b, Core.Elementwise.maximum);

    /// <summary>Element-wise min(a, b) with broadcasting (<c>tf.minimum</c>). On ties the whole gradient goes to <paramref name="a"/>.</summary>
    /// <remarks>NaN where either operand is NaN; there both operands' gradients and tangents are NaN.</remarks>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary("Minimum", a, b, Core.Elementwise.minimum);

    /// <summary>min(max(x, min), max) (<c>tf.clip_by_value</c>). The gradient flows to x where min &lt;= x &lt;= max
    /// (ties included), to <paramref name="min"/> below and to <paramref name="max"/> above.</summary>
    /// <remarks>NaN where x, min or max is NaN; there all three gradients and tangents are NaN.</remarks>
    public static Tensor ClipByValue(Tensor x, Tensor min, Tensor max)
    {
        var (rx, rmin, weak) = Unify("ClipByValue", x, min);
        var (_, rmax, _) = Unify("ClipByValue", x, max);
        return new Tensor(Core.Elementwise.clipByValue(rx, rmin, Core.Elementwise.cast(rx.DType, rmax)), weak && max.IsWeak);
    }

    /// <summary><c>condition ? x : y</c> element-wise, broadcasting all three (<c>tf.where</c>). Derivative: the adjoint goes
    /// to x where the condition holds and to y elsewhere; the Bool condition has none.</summary>
    /// <exception cref="ArgumentException">The condition is not Bool, x and y have different dtypes, or shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition.DType != DType.Bool)
            throw new ArgumentException($"Where: condition has dtype {condition.DType}; expected Bool.", nameof(condition));
        var c = Scopes.Resolve(condition);
        return Binary("Where", x, y, (a, b) => Core.Elementwise.where(c, a, b));
    }
}
