using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// AdamW (Keras' <c>keras.optimizers.AdamW</c>, Loshchilov and Hutter): Adam (see <see cref="Adam"/>, AMSGrad included)
/// with decoupled weight decay on by default: before each update <c>w -= w * weightDecay * lr</c> (Keras' default
/// weight decay 0.004). Use <see cref="Optimizer.ExcludeFromWeightDecay"/> to exempt biases and normalisation scales.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to sqrt(v) for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    /// <param name="weightDecay">Decoupled weight decay (Keras' default 0.004); null or 0: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">Invalid hyperparameters (named in the message), or invalid weight decay or clip options.</exception>
    public AdamW(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false,
                 double? weightDecay = 0.004, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, beta1, beta2, epsilon, amsgrad, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to sqrt(v) for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    /// <param name="weightDecay">Decoupled weight decay (Keras' default 0.004); null or 0: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    public AdamW(LearningRateSchedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false,
                 double? weightDecay = 0.004, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), beta1, beta2, epsilon, amsgrad, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private AdamW(double lr, LearningRateSchedule? schedule, double beta1, double beta2, double epsilon, bool amsgrad,
                  double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("AdamW", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Beta1 = CheckUnitInterval("AdamW", beta1, nameof(beta1));
        Beta2 = CheckUnitInterval("AdamW", beta2, nameof(beta2));
        Epsilon = CheckNonNegative("AdamW", epsilon, nameof(epsilon));
        Amsgrad = amsgrad;
    }

    /// <summary>Decay of the first-moment estimate, in [0, 1).</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment estimate, in [0, 1).</summary>
    public double Beta2 { get; }

    /// <summary>Added to sqrt(v) for numerical stability.</summary>
    public double Epsilon { get; }

    /// <summary>Whether to use the AMSGrad variant.</summary>
    public bool Amsgrad { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        AdamRule.Slots(value, Amsgrad);

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate) =>
        AdamRule.Update(g, w, state, iterations, learningRate, Beta1, Beta2, Epsilon);
}
