using System.Numerics;
using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// Adam (Keras' <c>keras.optimizers.Adam</c>, Kingma and Ba), with Keras' update rule: at step t (from 1),
/// <c>alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)</c>, <c>m += (g - m) * (1 - beta1)</c>,
/// <c>v += (g² - v) * (1 - beta2)</c>, <c>w -= m * alpha / (sqrt(v) + epsilon)</c> (m and v initially zero; epsilon
/// is Keras' "epsilon hat", added outside the bias correction). With <c>amsgrad</c>, v is replaced in the last step by
/// the running maximum of v (Reddi et al.), as Keras.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="epsilon">Added to sqrt(v) for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    /// <param name="weightDecay">Decoupled weight decay (<see cref="Optimizer.WeightDecay"/>); null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping (<see cref="Optimizer.ClipNorm"/>); null: none.</param>
    /// <param name="clipValue">Element clipping (<see cref="Optimizer.ClipValue"/>); null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping (<see cref="Optimizer.GlobalClipNorm"/>); null: none.</param>
    /// <exception cref="ArgumentException">A beta outside [0, 1), a negative epsilon or learning rate, or invalid weight
    /// decay or clip options.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false,
                double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(learningRate, null, beta1, beta2, epsilon, amsgrad, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    /// <summary>Creates the optimizer with a learning-rate schedule; the other parameters as the other constructor.</summary>
    /// <param name="learningRate">The schedule, evaluated at each step's <see cref="Optimizer.Iterations"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="epsilon">Added to sqrt(v) for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    /// <param name="weightDecay">Decoupled weight decay; null: none.</param>
    /// <param name="clipNorm">Per-gradient norm clipping; null: none.</param>
    /// <param name="clipValue">Element clipping; null: none.</param>
    /// <param name="globalClipNorm">Global norm clipping; null: none.</param>
    public Adam(LearningRateSchedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false,
                double? weightDecay = null, double? clipNorm = null, double? clipValue = null, double? globalClipNorm = null)
        : this(0, learningRate ?? throw new ArgumentNullException(nameof(learningRate)), beta1, beta2, epsilon, amsgrad, weightDecay, clipNorm, clipValue, globalClipNorm) { }

    private Adam(double lr, LearningRateSchedule? schedule, double beta1, double beta2, double epsilon, bool amsgrad,
                 double? weightDecay, double? clipNorm, double? clipValue, double? globalClipNorm)
        : base("Adam", lr, schedule, weightDecay, clipNorm, clipValue, globalClipNorm)
    {
        Beta1 = CheckUnitInterval("Adam", beta1, nameof(beta1));
        Beta2 = CheckUnitInterval("Adam", beta2, nameof(beta2));
        Epsilon = CheckNonNegative("Adam", epsilon, nameof(epsilon));
        Amsgrad = amsgrad;
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>Added to sqrt(v) for numerical stability.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool Amsgrad { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) => AdamRule.Slots(value, Amsgrad);

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double learningRate) =>
        AdamRule.Update(g, w, state, iterations, learningRate, Beta1, Beta2, Epsilon);
}

/// <summary>Adam's update, shared by <see cref="Adam"/> and <see cref="AdamW"/>: one pass over the elements in the
/// variable's dtype, in Keras' order of operations.</summary>
internal static class AdamRule
{
    /// <summary>m, v (and v-hat for AMSGrad), zero.</summary>
    public static Core.RawTensor[] Slots(Core.RawTensor value, bool amsgrad) =>
        amsgrad
            ? new[] { Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape) }
            : new[] { Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape) };

    public static Core.RawTensor Update(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations, double lr,
                                        double beta1, double beta2, double epsilon)
    {
        var r = Core.Storage.ofArray((int[])w.Shape.Clone(), (Array)w.Data.Clone());
        var vhat = state.Length > 2 ? state[2].Data : null;
        if (r.Data is float[] f)
            Step(f, (float[])g.Data, (float[])state[0].Data, (float[])state[1].Data, (float[]?)vhat, iterations, lr, beta1, beta2, epsilon);
        else
            Step((double[])r.Data, (double[])g.Data, (double[])state[0].Data, (double[])state[1].Data, (double[]?)vhat, iterations, lr, beta1, beta2, epsilon);
        return r;
    }

    private static void Step<T>(T[] w, T[] g, T[] m, T[] v, T[]? vhat, long iterations, double lrD, double beta1D, double beta2D, double epsilonD)
        where T : IFloatingPointIeee754<T>
    {
        // Keras casts lr, the betas and the step to the variable's dtype before the powers and alpha.
        T lr = T.CreateChecked(lrD), t = T.CreateChecked(iterations + 1);
        T b1 = T.CreateChecked(beta1D), b2 = T.CreateChecked(beta2D);
        T beta1Power = T.Pow(b1, t), beta2Power = T.Pow(b2, t);
        T alpha = lr * T.Sqrt(T.One - beta2Power) / (T.One - beta1Power);
        T oneMinusB1 = T.CreateChecked(1 - beta1D), oneMinusB2 = T.CreateChecked(1 - beta2D), eps = T.CreateChecked(epsilonD);
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            T mi = m[i] + (gi - m[i]) * oneMinusB1;
            T vi = v[i] + (gi * gi - v[i]) * oneMinusB2;
            m[i] = mi;
            v[i] = vi;
            if (vhat != null) { vi = T.Max(vhat[i], vi); vhat[i] = vi; }
            w[i] -= mi * alpha / (T.Sqrt(vi) + eps);
        }
    }
}
