namespace Nabla.Optimizers;

/// <summary>
/// Adam (Keras' <c>keras.optimizers.Adam</c>, Kingma and Ba), with Keras' update rule: at step t (from 1),
/// <c>alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)</c>, <c>m += (g - m) * (1 - beta1)</c>,
/// <c>v += (g² - v) * (1 - beta2)</c>, <c>w -= m * alpha / (sqrt(v) + epsilon)</c> (m and v initially zero; epsilon
/// is Keras' "epsilon hat", added outside the bias correction).
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer (Keras' defaults).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="epsilon">Added to sqrt(v) for numerical stability.</param>
    /// <exception cref="ArgumentException">A beta outside [0, 1) or a negative epsilon or learning rate.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : base("Adam", learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"Adam: beta1 {beta1}; expected a value in [0, 1).", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"Adam: beta2 {beta2}; expected a value in [0, 1).", nameof(beta2));
        if (!(epsilon >= 0)) throw new ArgumentException($"Adam: epsilon {epsilon}; expected a value >= 0.", nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment estimate.</summary>
    public double Beta2 { get; }

    /// <summary>Added to sqrt(v) for numerical stability.</summary>
    public double Epsilon { get; }

    private protected override Core.RawTensor[] CreateSlots(Core.RawTensor value) =>
        new[] { Core.Storage.zeros(value.DType, value.Shape), Core.Storage.zeros(value.DType, value.Shape) };

    private protected override Core.RawTensor UpdateStep(Core.RawTensor g, Core.RawTensor w, Core.RawTensor[] state, long iterations)
    {
        // Keras casts lr, beta1, beta2 and the step to the variable's dtype before the powers and alpha.
        bool single = w.DType == Core.DType.Float32;
        double Round(double x) => single ? (float)x : x;
        double t = iterations + 1;
        double beta1Power = Round(Math.Pow(Round(Beta1), t));
        double beta2Power = Round(Math.Pow(Round(Beta2), t));
        double alpha = single
            ? (float)Round(LearningRate) * MathF.Sqrt((float)(1 - beta2Power)) / (float)(1 - beta1Power)
            : LearningRate * Math.Sqrt(1 - beta2Power) / (1 - beta1Power);
        var m = Core.Combinators.Kernels.add(state[0], Core.Elementwise.Kernels.mul(Core.Elementwise.Kernels.sub(g, state[0]), Scalar(w, 1 - Beta1)));
        var v = Core.Combinators.Kernels.add(state[1], Core.Elementwise.Kernels.mul(Core.Elementwise.Kernels.sub(Core.Elementwise.Kernels.mul(g, g), state[1]), Scalar(w, 1 - Beta2)));
        state[0] = m;
        state[1] = v;
        var step = Core.Elementwise.Kernels.div(Core.Elementwise.Kernels.mul(m, Scalar(w, alpha)), Core.Combinators.Kernels.add(Core.Elementwise.Kernels.sqrt(v), Scalar(w, Epsilon)));
        return Core.Elementwise.Kernels.sub(w, step);
    }
}
