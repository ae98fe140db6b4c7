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

    /// <summary>Element-wise arcsine, in [-π/2, π/2] (<c>tf.math.asin</c>). Derivative: 1 / √(1 - x²).</summary>
    /// <remarks>NaN outside [-1, 1] and for NaN (value, gradient, tangent); the derivative is +inf at ±1, as TensorFlow's.</remarks>
    public static Tensor Asin(Tensor x) => Unary(x, Core.Elementwise.asin);

    /// <summary>Element-wise arccosine, in [0, π] (<c>tf.math.acos</c>). Derivative: -1 / √(1 - x²).</summary>
    /// <remarks>NaN outside [-1, 1] and for NaN; the derivative is -inf at ±1, as TensorFlow's.</remarks>
    public static Tensor Acos(Tensor x) => Unary(x, Core.Elementwise.acos);

    /// <summary>Element-wise hyperbolic sine (<c>tf.math.sinh</c>). Derivative: cosh x.</summary>
    /// <remarks>±inf beyond overflow and at ±inf (derivative +inf); NaN for NaN.</remarks>
    public static Tensor Sinh(Tensor x) => Unary(x, Core.Elementwise.sinh);

    /// <summary>Element-wise hyperbolic cosine (<c>tf.math.cosh</c>). Derivative: sinh x.</summary>
    /// <remarks>+inf beyond overflow and at ±inf (derivative ±inf); NaN for NaN.</remarks>
    public static Tensor Cosh(Tensor x) => Unary(x, Core.Elementwise.cosh);

    /// <summary>Element-wise inverse hyperbolic sine (<c>tf.math.asinh</c>). Derivative: 1 / √(x² + 1).</summary>
    /// <remarks>±inf at ±inf (derivative 0); NaN for NaN.</remarks>
    public static Tensor Asinh(Tensor x) => Unary(x, Core.Elementwise.asinh);

    /// <summary>Element-wise inverse hyperbolic cosine (<c>tf.math.acosh</c>). Derivative: 1 / √(x² - 1).</summary>
    /// <remarks>The derivative is +inf at x = 1 (TensorFlow's AcoshGrad, 1 / sinh y, gives the same); NaN below 1 and for NaN.</remarks>
    public static Tensor Acosh(Tensor x) => Unary(x, Core.Elementwise.acosh);

    /// <summary>Element-wise inverse hyperbolic tangent (<c>tf.math.atanh</c>). Derivative: 1 / (1 - x²).</summary>
    /// <remarks>±inf at ±1 with derivative +inf (as TensorFlow's AtanhGrad); NaN outside [-1, 1] and for NaN.</remarks>
    public static Tensor Atanh(Tensor x) => Unary(x, Core.Elementwise.atanh);

    /// <summary>Element-wise error function (<c>tf.math.erf</c>), about an ulp in both dtypes. Derivative: 2/√π e^(-x²).</summary>
    /// <remarks>±1 at ±inf (derivative 0); NaN for NaN.</remarks>
    public static Tensor Erf(Tensor x) => Unary(x, Core.Elementwise.erf);

    /// <summary>Element-wise complementary error function 1 - erf x (<c>tf.math.erfc</c>), with full relative accuracy in
    /// the tail. Derivative: -2/√π e^(-x²).</summary>
    /// <remarks>0 at +inf and 2 at -inf (derivative 0); NaN for NaN.</remarks>
    public static Tensor Erfc(Tensor x) => Unary(x, Core.Elementwise.erfc);

    /// <summary>Element-wise eˣ - 1 (<c>tf.math.expm1</c>), accurate near 0. Derivative: eˣ.</summary>
    /// <remarks>-1 at -inf (derivative 0), +inf at +inf; NaN for NaN.</remarks>
    public static Tensor Expm1(Tensor x) => Unary(x, Core.Elementwise.expm1);

    /// <summary>Element-wise 1 / x (<c>tf.math.reciprocal</c>), float dtypes. Derivative: -1/x² (from the result, -y², as
    /// TensorFlow's ReciprocalGrad).</summary>
    /// <remarks>±inf at ±0 with derivative -inf; 0 at ±inf with derivative -0; NaN for NaN.</remarks>
    public static Tensor Reciprocal(Tensor x) => Unary(x, Core.Elementwise.reciprocal);

    /// <summary>Element-wise 1 / √x (<c>tf.math.rsqrt</c>). Derivative: -y³/2 from the result y (TensorFlow's RsqrtGrad).</summary>
    /// <remarks>+inf at 0 with derivative -inf; NaN below 0 and for NaN.</remarks>
    public static Tensor Rsqrt(Tensor x) => Unary(x, Core.Elementwise.rsqrt);

    /// <summary>Element-wise largest integer &lt;= x (<c>tf.math.floor</c>), float dtypes. Derivative: 0.</summary>
    /// <remarks>TensorFlow's gradient is None; here it is zeros (NaN at a NaN input), so Floor inside a larger expression
    /// needs no special case. ±inf and NaN stay themselves.</remarks>
    public static Tensor Floor(Tensor x) => Unary(x, Core.Elementwise.floor);

    /// <summary>Element-wise smallest integer &gt;= x (<c>tf.math.ceil</c>), float dtypes. Derivative: 0.</summary>
    /// <remarks>TensorFlow's gradient is None; here zeros (NaN at a NaN input).</remarks>
    public static Tensor Ceil(Tensor x) => Unary(x, Core.Elementwise.ceil);

    /// <summary>Element-wise nearest integer, half to even (<c>tf.math.round</c>, banker's rounding: 0.5 → 0, 1.5 → 2,
    /// -2.5 → -2). Derivative: 0.</summary>
    /// <remarks>Integer tensors come back unchanged. TensorFlow's gradient is None; here zeros (NaN at a NaN input).</remarks>
    public static Tensor Round(Tensor x) => Unary(x, Core.Elementwise.round);

    /// <summary>Element-wise log |Γ(x)| (<c>tf.math.lgamma</c>), computed in Float64. Derivative: digamma x.</summary>
    /// <remarks>+inf at 0, the negative integers and ±inf (gradient NaN at the poles); NaN for NaN.</remarks>
    public static Tensor Lgamma(Tensor x) => Unary(x, Core.Elementwise.lgamma);

    /// <summary>Element-wise digamma ψ(x) = d/dx ln Γ(x) (<c>tf.math.digamma</c>). Derivative: the trigamma function
    /// ψ⁽¹⁾(x) (<see cref="Polygamma"/> of order 1).</summary>
    /// <remarks>NaN at 0, the negative integers and -inf; +inf at +inf.</remarks>
    public static Tensor Digamma(Tensor x) => Unary(x, Core.Elementwise.digamma);

    /// <summary>Element-wise polygamma ψ⁽ⁿ⁾(x) (<c>tf.math.polygamma</c>) of integer order <paramref name="n"/> &gt;= 0
    /// (0 is digamma). Derivative: ψ⁽ⁿ⁺¹⁾(x).</summary>
    /// <remarks>TensorFlow takes the order as a float tensor (broadcast with x); here it is one integer, and, as in
    /// TensorFlow, there is no derivative in the order. At 0 and the negative integers: +inf for odd n, NaN for even n.</remarks>
    /// <exception cref="ArgumentException">A negative order, or a non-float x.</exception>
    public static Tensor Polygamma(int n, Tensor x) => Unary(x, v => Core.Elementwise.polygamma(n, v));
}
