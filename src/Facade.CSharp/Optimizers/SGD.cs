using Nabla.Optimizers.Schedules;

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
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException"><paramref name="momentum"/> is outside [0, 1], the learning rate is negative, or
    /// the weight decay or clip options are invalid (more than one clip option, or one &lt;= 0).</exception>
    public SGD(double learningRate = 0.01, double momentum = 0.0, bool nesterov = false, double? weightDecay = null,
               double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : base("SGD", learningRate, null, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Momentum = CheckMomentum(momentum);
        Nesterov = nesterov;
    }

    /// <summary>Creates the optimizer with a learning-rate schedule (Keras' <c>learning_rate=schedule</c>); the other
    /// parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="momentum">The velocity's decay, in [0, 1]; 0 disables momentum.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <param name="weightDecay">Decoupled weight decay; null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping; null: none.</param>
    /// <param name="clipValue">Element clipping; null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping; null: none.</param>
    public SGD(LearningRateSchedule learningRate, double momentum = 0.0, bool nesterov = false, double? weightDecay = null,
               double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : base("SGD", 0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Momentum = CheckMomentum(momentum);
        Nesterov = nesterov;
    }

    private static double CheckMomentum(double momentum) =>
        momentum >= 0 && momentum <= 1 ? momentum
            : throw new ArgumentException($"SGD: momentum {momentum}; `momentum` must be a float between [0, 1].", nameof(momentum));

    /// <summary>The velocity's decay (0: plain gradient descent).</summary>
    public double Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        Momentum != 0 ? new[] { Core.Storage.zeros(value.DType, value.Shape) } : Array.Empty<Core.RawTensor>();

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate)
    {
        var lr = Scalar(w, learningRate);
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
