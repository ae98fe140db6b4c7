namespace Nabla.Optimizers;

/// <summary>
/// Gradient descent with optional momentum and Nesterov momentum (Keras' <c>keras.optimizers.SGD</c>), with Keras'
/// update rule. Without momentum: <c>w -= lr * g</c>. With momentum: <c>m = momentum * m - lr * g</c>, then
/// <c>w += m</c>, or with Nesterov <c>w += momentum * m - lr * g</c> (m the updated velocity, initially zero).
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">The step size (Keras' default 0.01).</param>
    /// <param name="momentum">The velocity's decay, in [0, 1]; 0 disables momentum.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <exception cref="ArgumentException"><paramref name="momentum"/> is outside [0, 1] or the learning rate is negative.</exception>
    public SGD(double learningRate = 0.01, double momentum = 0.0, bool nesterov = false) : base("SGD", learningRate)
    {
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentException($"SGD: momentum {momentum}; `momentum` must be a float between [0, 1].", nameof(momentum));
        Momentum = momentum;
        Nesterov = nesterov;
    }

    /// <summary>The velocity's decay (0: plain gradient descent).</summary>
    public double Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        Momentum != 0 ? new[] { Core.Storage.zeros(value.DType, value.Shape) } : Array.Empty<Core.RawTensor>();

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations)
    {
        var lr = Scalar(w, LearningRate);
        var lrG = Core.Elementwise.Kernels.mul(g, lr);
        if (Momentum == 0) return Core.Elementwise.Kernels.sub(w, lrG);
        var momentum = Scalar(w, Momentum);
        var m = Core.Elementwise.Kernels.sub(Core.Elementwise.Kernels.mul(state[0], momentum), lrG);
        state[0] = m;
        return Nesterov
            ? Core.Combinators.Kernels.add(w, Core.Elementwise.Kernels.sub(Core.Elementwise.Kernels.mul(m, momentum), lrG))
            : Core.Combinators.Kernels.add(w, m);
    }
}
