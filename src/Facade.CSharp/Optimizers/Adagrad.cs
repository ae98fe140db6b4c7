using System.Numerics;
using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// Adagrad (Keras' <c>keras.optimizers.Adagrad</c>, Duchi et al.), with Keras' update rule: <c>acc += g²</c>,
/// <c>w -= lr * g / sqrt(acc + epsilon)</c>, the accumulator starting at <c>initialAccumulatorValue</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="initialAccumulatorValue">The accumulator's starting value (>= 0).</param>
    /// <param name="epsilon">Added to the accumulator under the square root.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">Invalid hyperparameters (named in the message), or invalid weight decay or clip options.</exception>
    public Adagrad(double learningRate = 0.001, double initialAccumulatorValue = 0.1, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, initialAccumulatorValue, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="initialAccumulatorValue">The accumulator's starting value (>= 0).</param>
    /// <param name="epsilon">Added to the accumulator under the square root.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    public Adagrad(LearningRateSchedule learningRate, double initialAccumulatorValue = 0.1, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), initialAccumulatorValue, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private Adagrad(double lr, LearningRateSchedule? schedule, double initialAccumulatorValue, double epsilon,
                  double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("Adagrad", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        InitialAccumulatorValue = CheckNonNegative("Adagrad", initialAccumulatorValue, nameof(initialAccumulatorValue));
        Epsilon = CheckNonNegative("Adagrad", epsilon, nameof(epsilon));
    }

    /// <summary>The accumulator's starting value (>= 0).</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>Added to the accumulator under the square root.</summary>
    public double Epsilon { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        new[] { Core.Storage.full(value.DType, value.Shape, InitialAccumulatorValue) };

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate)
    {
        var r = Fresh(w);
        if (r.Data is float[] f)
            Step(f, (float[])g.Data, (float[])state[0].Data, learningRate);
        else
            Step((double[])r.Data, (double[])g.Data, (double[])state[0].Data, learningRate);
        return r;
    }

    private void Step<T>(T[] w, T[] g, T[] acc, double lrD) where T : IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(lrD), eps = T.CreateChecked(Epsilon);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            acc[i] += gi * gi;
            w[i] -= lr * gi / T.Sqrt(acc[i] + eps);
        }
    }
}
