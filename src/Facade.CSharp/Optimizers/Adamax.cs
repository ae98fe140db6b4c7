using System.Numerics;
using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// Adamax (Keras' <c>keras.optimizers.Adamax</c>, Kingma and Ba's infinity-norm Adam), with Keras' update rule at step t
/// (from 1): <c>m += (g - m) * (1 - beta1)</c>, <c>u = max(beta2 * u, |g|)</c>,
/// <c>w -= lr * m / ((1 - beta1^t) * (u + epsilon))</c> (m and u initially zero; NaN in g propagates through the max).
/// </summary>
public sealed class Adamax : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the infinity norm, in [0, 1).</param>
    /// <param name="epsilon">Added to the norm for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">Invalid hyperparameters (named in the message), or invalid weight decay or clip options.</exception>
    public Adamax(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, beta1, beta2, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the infinity norm, in [0, 1).</param>
    /// <param name="epsilon">Added to the norm for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    public Adamax(LearningRateSchedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), beta1, beta2, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private Adamax(double lr, LearningRateSchedule? schedule, double beta1, double beta2, double epsilon,
                  double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("Adamax", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Beta1 = CheckUnitInterval("Adamax", beta1, nameof(beta1));
        Beta2 = CheckUnitInterval("Adamax", beta2, nameof(beta2));
        Epsilon = CheckNonNegative("Adamax", epsilon, nameof(epsilon));
    }

    /// <summary>Decay of the first-moment estimate, in [0, 1).</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the infinity norm, in [0, 1).</summary>
    public double Beta2 { get; }

    /// <summary>Added to the norm for numerical stability.</summary>
    public double Epsilon { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        new[] { Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape) }; // m, u

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate)
    {
        var r = Fresh(w);
        if (r.Data is float[] f)
            Step(f, (float[])g.Data, (float[])state[0].Data, (float[])state[1].Data, iterations, learningRate);
        else
            Step((double[])r.Data, (double[])g.Data, (double[])state[0].Data, (double[])state[1].Data, iterations, learningRate);
        return r;
    }

    private void Step<T>(T[] w, T[] g, T[] m, T[] u, long iterations, double lrD) where T : IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(lrD), t = T.CreateChecked(iterations + 1);
        T beta1Power = T.Pow(T.CreateChecked(Beta1), t);
        T oneMinusB1 = T.CreateChecked(1 - Beta1), b2 = T.CreateChecked(Beta2), eps = T.CreateChecked(Epsilon);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            T mi = m[i] + (gi - m[i]) * oneMinusB1;
            T ui = T.Max(b2 * u[i], T.Abs(gi));
            m[i] = mi;
            u[i] = ui;
            w[i] -= lr * mi / ((T.One - beta1Power) * (ui + eps));
        }
    }
}
