namespace Nabla;

public static partial class TF
{
    /// <summary>Element-wise <c>a + b</c> with NumPy broadcasting (<c>tf.add</c>). Derivative: 1 for both operands
    /// (adjoints summed over broadcast axes).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary("Add", a, b, Core.Ops.add);

    /// <summary>Element-wise <c>a - b</c> with broadcasting (<c>tf.subtract</c>). Derivative: 1 and -1.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => Binary("Subtract", a, b, Core.Ops.sub);

    /// <summary>Element-wise <c>a * b</c> with broadcasting (<c>tf.multiply</c>). Derivative: b and a.</summary>
    public static Tensor Multiply(Tensor a, Tensor b) => Binary("Multiply", a, b, Core.Ops.mul);

    /// <summary>Element-wise <c>a / b</c> with broadcasting (<c>tf.divide</c>), float dtypes. Derivative: 1/b and -a/b².</summary>
    public static Tensor Divide(Tensor a, Tensor b) => Binary("Divide", a, b, Core.Ops.div);

    /// <summary>Element-wise <c>-x</c> (<c>tf.negative</c>). Derivative: -1.</summary>
    public static Tensor Negative(Tensor x) => Unary(x, Core.Ops.neg);

    /// <summary>Element-wise <c>x²</c> (<c>tf.square</c>). Derivative: 2x.</summary>
    public static Tensor Square(Tensor x) { RequireFloatOrInt(x); return Unary(x, Core.Ops.square); }

    /// <summary>Element-wise square root (<c>tf.sqrt</c>). Derivative: 1 / (2 sqrt x).</summary>
    public static Tensor Sqrt(Tensor x) => Unary(x, Core.MathOps.sqrt);

    /// <summary>Element-wise eˣ (<c>tf.exp</c>). Derivative: eˣ.</summary>
    public static Tensor Exp(Tensor x) => Unary(x, Core.MathOps.exp);

    /// <summary>Element-wise natural logarithm (<c>tf.math.log</c>). Derivative: 1/x.</summary>
    public static Tensor Log(Tensor x) => Unary(x, Core.MathOps.log);

    /// <summary>Element-wise sine (<c>tf.sin</c>). Derivative: cos x.</summary>
    public static Tensor Sin(Tensor x) => Unary(x, Core.MathOps.sin);

    /// <summary>Element-wise cosine (<c>tf.cos</c>). Derivative: -sin x.</summary>
    public static Tensor Cos(Tensor x) => Unary(x, Core.MathOps.cos);

    /// <summary>Element-wise hyperbolic tangent (<c>tf.tanh</c>). Derivative: 1 - tanh² x.</summary>
    public static Tensor Tanh(Tensor x) => Unary(x, Core.MathOps.tanh);

    /// <summary>Converts to <paramref name="dtype"/> (<c>tf.cast</c>). Between float dtypes the gradient is cast back;
    /// to or from an integer or bool dtype there is no gradient. Float to integer truncates toward zero.</summary>
    public static Tensor Cast(Tensor x, DType dtype) => Unary(x, v => Core.Ops.cast(dtype.ToCore(), v));

    private static void RequireFloatOrInt(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.DType == DType.Bool)
            throw new ArgumentException("Square: dtype Bool is not supported; expected a float or integer dtype.");
    }
}
