namespace Nabla;

public static partial class TF
{
    /// <summary>Element-wise x &gt; 0 ? x : alpha·x (<c>tf.nn.leaky_relu</c>, alpha 0.2 as TensorFlow's default).
    /// Derivative: 1 where x &gt; 0, else alpha (alpha at 0, as TensorFlow's LeakyReluGrad).</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent).</remarks>
    /// <exception cref="ArgumentException">A non-float x, or a NaN or infinite alpha.</exception>
    public static Tensor LeakyRelu(Tensor features, double alpha = 0.2) => Unary(features, v => Core.Elementwise.leakyRelu(alpha, v));

    /// <summary>Element-wise min(max(x, 0), 6) (<c>tf.nn.relu6</c>). Derivative: 1 where 0 &lt; x &lt; 6, else 0 (0 at both
    /// kinks, as TensorFlow's Relu6Grad).</summary>
    /// <remarks>NaN for NaN (value, gradient, tangent).</remarks>
    public static Tensor Relu6(Tensor features) => Unary(features, Core.Elementwise.relu6);

    /// <summary>Element-wise x &gt; 0 ? x : eˣ - 1 (<c>tf.nn.elu</c>). Derivative: y + 1 where y &lt; 0, else 1 (from the
    /// result, as TensorFlow's EluGrad: 1 at 0).</summary>
    /// <remarks>-1 at -inf (derivative 0); NaN for NaN.</remarks>
    public static Tensor Elu(Tensor features) => Unary(features, Core.Elementwise.elu);

    /// <summary>Element-wise scale·(x &gt; 0 ? x : alpha·(eˣ - 1)) with alpha = 1.6732632423543772 and
    /// scale = 1.0507009873554805 (<c>tf.nn.selu</c>). Derivative: scale where x &gt;= 0 (scale at 0, as TensorFlow's
    /// SeluGrad), scale·alpha·eˣ below.</summary>
    /// <remarks>NaN for NaN.</remarks>
    public static Tensor Selu(Tensor features) => Unary(features, Core.Elementwise.selu);

    /// <summary>The Gaussian error linear unit (<c>tf.nn.gelu</c>): exact x·Φ(x) = 0.5·x·erfc(-x/√2) by default, or with
    /// <paramref name="approximate"/> the tanh form 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). Derivative (exact):
    /// Φ(x) + x·φ(x).</summary>
    /// <remarks>A composite of Erfc (or Tanh) and arithmetic, so every order follows. NaN for NaN.</remarks>
    public static Tensor Gelu(Tensor features, bool approximate = false) => Unary(features, v => Core.Nn.gelu(approximate, v));

    /// <summary>Element-wise x / (1 + |x|) (<c>tf.nn.softsign</c>). Derivative: 1 / (1 + |x|)² (1 at 0).</summary>
    public static Tensor Softsign(Tensor features) => Unary(features, Core.Nn.softsign);

    /// <summary>Element-wise x·sigmoid(beta·x) (<c>tf.nn.silu</c>, also <c>tf.nn.swish</c>). Derivative: s + beta·x·s(1 - s)
    /// with s = sigmoid(beta·x).</summary>
    public static Tensor Silu(Tensor features, double beta = 1.0) => Unary(features, v => Core.Nn.silu(beta, v));

    /// <summary>Element-wise log sigmoid(x) = -softplus(-x) (<c>tf.math.log_sigmoid</c>), without overflow. Derivative:
    /// sigmoid(-x).</summary>
    /// <remarks>0 at +inf, -inf at -inf (derivative 1); NaN for NaN.</remarks>
    public static Tensor LogSigmoid(Tensor x) => Unary(x, Core.Nn.logSigmoid);
}
