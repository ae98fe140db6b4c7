using System.Numerics;
using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// RMSprop (Keras' <c>keras.optimizers.RMSprop</c>, Hinton), with Keras' update rule: <c>v = rho * v + (1 - rho) * g²</c>;
/// centered: <c>a = rho * a + (1 - rho) * g</c> and <c>denominator = v - a² + epsilon</c>, else <c>v + epsilon</c>;
/// <c>increment = lr * g / sqrt(denominator)</c>; with momentum <c>mom = momentum * mom + increment</c>,
/// <c>w -= mom</c>, else <c>w -= increment</c> (all state initially zero; epsilon inside the square root, as Keras).
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="rho">Discount of the squared-gradient average, in [0, 1).</param>
    /// <param name="momentum">Momentum, in [0, 1); 0 disables it.</param>
    /// <param name="epsilon">Added to the denominator under the square root.</param>
    /// <param name="centered">Whether to normalise by the estimated variance of the gradient (the centered variant).</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">Invalid hyperparameters (named in the message), or invalid weight decay or clip options.</exception>
    public RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7, bool centered = false,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, rho, momentum, epsilon, centered, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="rho">Discount of the squared-gradient average, in [0, 1).</param>
    /// <param name="momentum">Momentum, in [0, 1); 0 disables it.</param>
    /// <param name="epsilon">Added to the denominator under the square root.</param>
    /// <param name="centered">Whether to normalise by the estimated variance of the gradient (the centered variant).</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    public RMSprop(LearningRateSchedule learningRate, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7, bool centered = false,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), rho, momentum, epsilon, centered, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private RMSprop(double lr, LearningRateSchedule? schedule, double rho, double momentum, double epsilon, bool centered,
                  double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("RMSprop", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Rho = CheckUnitInterval("RMSprop", rho, nameof(rho));
        Momentum = CheckUnitInterval("RMSprop", momentum, nameof(momentum));
        Epsilon = CheckNonNegative("RMSprop", epsilon, nameof(epsilon));
        Centered = centered;
    }

    /// <summary>Discount of the squared-gradient average, in [0, 1).</summary>
    public double Rho { get; }

    /// <summary>Momentum, in [0, 1); 0 disables it.</summary>
    public double Momentum { get; }

    /// <summary>Added to the denominator under the square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether to normalise by the estimated variance of the gradient (the centered variant).</summary>
    public bool Centered { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        new[] { Core.Storage.zeros(value.DType, value.Shape),                                       // velocity
                Core.Storage.zeros(value.DType, Momentum > 0 ? value.Shape : new[] { 0 }),           // momentum, when used
                Core.Storage.zeros(value.DType, Centered ? value.Shape : new[] { 0 }) };             // average gradient, when centered

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate)
    {
        var r = Fresh(w);
        if (r.Data is float[] f)
            Step(f, (float[])g.Data, (float[])state[0].Data, (float[])state[1].Data, (float[])state[2].Data, learningRate);
        else
            Step((double[])r.Data, (double[])g.Data, (double[])state[0].Data, (double[])state[1].Data, (double[])state[2].Data, learningRate);
        return r;
    }

    private void Step<T>(T[] w, T[] g, T[] v, T[] mom, T[] avg, double lrD) where T : IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(lrD), rho = T.CreateChecked(Rho), oneMinusRho = T.CreateChecked(1 - Rho);
        T eps = T.CreateChecked(Epsilon), momentum = T.CreateChecked(Momentum);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            T vi = rho * v[i] + oneMinusRho * (gi * gi);
            v[i] = vi;
            T denominator;
            if (Centered)
            {
                T ai = rho * avg[i] + oneMinusRho * gi;
                avg[i] = ai;
                denominator = vi - ai * ai + eps;
            }
            else denominator = vi + eps;
            T increment = lr * gi / T.Sqrt(denominator);
            if (Momentum > 0) { mom[i] = momentum * mom[i] + increment; w[i] -= mom[i]; }
            else w[i] -= increment;
        }
    }
}
