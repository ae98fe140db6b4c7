using System.Numerics;
using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// Nadam (Keras' <c>keras.optimizers.Nadam</c>, Dozat: Adam with Nesterov momentum), with Keras' update rule and its
/// momentum schedule <c>u_t = beta1 * (1 - 0.5 * 0.96^t)</c>: at step t (from 1) the product of the u's so far
/// (<c>uProduct</c>, one per optimizer, updated once per step before the variables, in the first variable's dtype) gives
/// <c>mHat = u_{t+1} m / (1 - uProduct u_{t+1}) + (1 - u_t) g / (1 - uProduct)</c> and <c>vHat = v / (1 - beta2^t)</c> after
/// <c>m += (g - m)(1 - beta1)</c>, <c>v += (g² - v)(1 - beta2)</c>; then <c>w -= lr * mHat / (sqrt(vHat) + epsilon)</c>.
/// </summary>
public sealed class Nadam : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to sqrt(vHat) for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">Invalid hyperparameters (named in the message), or invalid weight decay or clip options.</exception>
    public Nadam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, beta1, beta2, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to sqrt(vHat) for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    public Nadam(LearningRateSchedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
                 double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), beta1, beta2, epsilon, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private Nadam(double lr, LearningRateSchedule? schedule, double beta1, double beta2, double epsilon,
                  double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("Nadam", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Beta1 = CheckUnitInterval("Nadam", beta1, nameof(beta1));
        Beta2 = CheckUnitInterval("Nadam", beta2, nameof(beta2));
        Epsilon = CheckNonNegative("Nadam", epsilon, nameof(epsilon));
    }

    /// <summary>Decay of the first-moment estimate, in [0, 1).</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment estimate, in [0, 1).</summary>
    public double Beta2 { get; }

    /// <summary>Added to sqrt(vHat) for numerical stability.</summary>
    public double Epsilon { get; }

    private double uProduct = 1.0;

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        new[] { Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape) }; // m, v

    private protected override void BeforeSteps(long iterations, Core.DType dtype)
    {
        // Keras: uProduct *= beta1 * (1 - 0.5 * 0.96^(t)), computed in the dtype of the first variable.
        if (dtype == Core.DType.Float32)
        {
            float b1 = (float)Beta1, t = iterations + 1;
            uProduct = (float)uProduct * (b1 * (1f - 0.5f * MathF.Pow(0.96f, t)));
        }
        else uProduct = uProduct * (Beta1 * (1.0 - 0.5 * Math.Pow(0.96, iterations + 1)));
    }

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate)
    {
        var r = Fresh(w);
        if (r.Data is float[] f)
            Step(f, (float[])g.Data, (float[])state[0].Data, (float[])state[1].Data, iterations, learningRate);
        else
            Step((double[])r.Data, (double[])g.Data, (double[])state[0].Data, (double[])state[1].Data, iterations, learningRate);
        return r;
    }

    private void Step<T>(T[] w, T[] g, T[] m, T[] v, long iterations, double lrD) where T : IFloatingPointIeee754<T>
    {
        T lr = T.CreateChecked(lrD), localStep = T.CreateChecked(iterations + 1), nextStep = T.CreateChecked(iterations + 2);
        T decay = T.CreateChecked(0.96), half = T.CreateChecked(0.5);
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2);
        T uT = b1 * (T.One - half * T.Pow(decay, localStep));
        T uT1 = b1 * (T.One - half * T.Pow(decay, nextStep));
        T uProductT = T.CreateChecked(uProduct);
        T uProductT1 = uProductT * uT1;
        T beta2Power = T.Pow(b2, localStep);
        T oneMinusB1 = T.CreateChecked(1 - Beta1), oneMinusB2 = T.CreateChecked(1 - Beta2), eps = T.CreateChecked(Epsilon);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            T mi = m[i] + (gi - m[i]) * oneMinusB1;
            T vi = v[i] + (gi * gi - v[i]) * oneMinusB2;
            m[i] = mi;
            v[i] = vi;
            T mHat = uT1 * mi / (T.One - uProductT1) + (T.One - uT) * gi / (T.One - uProductT);
            T vHat = vi / (T.One - beta2Power);
            w[i] -= mHat * lr / (T.Sqrt(vHat) + eps);
        }
    }
}
