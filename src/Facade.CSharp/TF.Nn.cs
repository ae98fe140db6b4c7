namespace Nabla;

public static partial class TF
{
    /// <summary>eˣ / Σ eˣ along <paramref name="axis"/> (<c>tf.nn.softmax</c>), shifted by the max so logits of 1e4 do not overflow.
    /// Empty logits give an empty result. Derivative: y ⊙ (dx - Σ y ⊙ dx).</summary>
    public static Tensor Softmax(Tensor logits, int axis = -1) => Unary(logits, v => Core.Nn.softmax(axis, v));

    /// <summary>x - ln Σ eˣ along <paramref name="axis"/> (<c>tf.nn.log_softmax</c>), stable; empty logits give an empty result.
    /// Derivative: dx - softmax(x) Σ dx.</summary>
    public static Tensor LogSoftmax(Tensor logits, int axis = -1) => Unary(logits, v => Core.Nn.logSoftmax(axis, v));

    /// <summary>Per-example cross-entropy -Σ labels ⊙ log_softmax(logits) along <paramref name="axis"/>
    /// (<c>tf.nn.softmax_cross_entropy_with_logits</c>). Differentiable in logits (softmax·Σlabels - labels) and in labels (-log_softmax).</summary>
    /// <exception cref="ArgumentException">Labels and logits differ in shape or dtype.</exception>
    public static Tensor SoftmaxCrossEntropyWithLogits(Tensor labels, Tensor logits, int axis = -1) =>
        Binary("SoftmaxCrossEntropyWithLogits", labels, logits, (l, z) => Core.Nn.softmaxCrossEntropyWithLogits(axis, l, z));

    /// <summary>Per-example cross-entropy against Int32/Int64 class indices (<c>tf.nn.sparse_softmax_cross_entropy_with_logits</c>);
    /// labels are shaped as logits without the last axis. Derivative in logits: softmax(logits) - one_hot(labels).</summary>
    /// <exception cref="ArgumentException">Labels of a non-integer dtype, of the wrong shape, or out of range.</exception>
    public static Tensor SparseSoftmaxCrossEntropyWithLogits(Tensor labels, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var l = Scopes.Resolve(labels);
        return Unary(logits, z => Core.Nn.sparseSoftmaxCrossEntropyWithLogits(l, z));
    }

    /// <summary>Element-wise max(x, 0) - x·z + ln(1 + e^-|x|) (<c>tf.nn.sigmoid_cross_entropy_with_logits</c>), stable.
    /// Derivative: σ(x) - z in the logits (also at x = 0) and -x in the labels.</summary>
    public static Tensor SigmoidCrossEntropyWithLogits(Tensor labels, Tensor logits) =>
        Binary("SigmoidCrossEntropyWithLogits", labels, logits, Core.Nn.sigmoidCrossEntropyWithLogits);

    /// <summary><paramref name="value"/> + <paramref name="bias"/> along the last axis (<c>tf.nn.bias_add</c>), one fused row-wise kernel.
    /// Derivative: 1 for the value; the bias adjoint is summed over every axis but the last.</summary>
    /// <exception cref="ArgumentException">The bias is not a vector as long as the value's last axis, or the value has rank &lt; 2.</exception>
    public static Tensor BiasAdd(Tensor value, Tensor bias) => Binary("BiasAdd", value, bias, Core.Nn.biasAdd);
}
