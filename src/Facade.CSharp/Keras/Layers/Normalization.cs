using Nabla.Keras.Initializers;
using Nabla.Keras.Regularizers;

namespace Nabla.Keras.Layers;

/// <summary>Layer normalization (<c>keras.layers.LayerNormalization</c>, Ba et al.): over <c>axis</c> (the last by default),
/// <c>(x - mean) / sqrt(variance + epsilon) * gamma + beta</c> with the population variance; gamma ones, beta zeros,
/// epsilon 1e-3 (Keras' defaults). Differentiable to any order.</summary>
public sealed class LayerNormalization : Layer
{
    private readonly int[] axes;

    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="axis">The normalised axes (negative from the end).</param>
    /// <param name="epsilon">Added to the variance (> 0).</param>
    /// <param name="center">Whether to add beta.</param>
    /// <param name="scale">Whether to multiply by gamma.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public LayerNormalization(int[]? axis = null, double epsilon = 1e-3, bool center = true, bool scale = true, string? name = null, DType dtype = DType.Float32)
        : base(name, true, dtype)
    {
        if (!(epsilon > 0)) throw new ArgumentException($"LayerNormalization: epsilon {epsilon}; expected a positive value.", nameof(epsilon));
        axes = axis ?? new[] { -1 };
        if (axes.Length == 0) throw new ArgumentException("LayerNormalization: axis is empty; expected at least one axis.", nameof(axis));
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>Added to the variance.</summary>
    public double Epsilon { get; }
    /// <summary>Whether beta is added.</summary>
    public bool Center { get; }
    /// <summary>Whether gamma multiplies.</summary>
    public bool Scale { get; }
    /// <summary>gamma (ones), shaped as the normalised axes.</summary>
    public Variable? Gamma { get; private set; }
    /// <summary>beta (zeros), shaped as the normalised axes.</summary>
    public Variable? Beta { get; private set; }

    private int[] Normalised(int rank)
    {
        var a = axes.Select(x => x < 0 ? x + rank : x).ToArray();
        if (a.Any(x => x < 0 || x >= rank) || a.Distinct().Count() != a.Length)
            throw new ArgumentException($"{Name} (LayerNormalization): axes [{string.Join(", ", axes)}] do not fit an input of rank {rank}; expected distinct axes in [-{rank}, {rank}).");
        return a.Order().ToArray();
    }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        var a = Normalised(inputShape.Count);
        var shape = a.Select(i => inputShape[i]).ToArray();
        if (Scale) Gamma = AddWeight("gamma", shape, new Ones());
        if (Center) Beta = AddWeight("beta", shape, new Zeros());
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        var a = Normalised(x.Rank);
        var mean = TF.ReduceMean(x, a, keepDims: true);
        var centered = x - mean;
        var variance = TF.ReduceMean(TF.Square(centered), a, keepDims: true);
        var y = centered * TF.Rsqrt(variance + Epsilon);
        // gamma and beta broadcast over the other axes: shape them with ones there
        var bshape = Enumerable.Range(0, x.Rank).Select(i => a.Contains(i) ? x.Shape[i] : 1).ToArray();
        if (Gamma != null) y = y * TF.Reshape(Gamma, bshape);
        if (Beta != null) y = y + TF.Reshape(Beta, bshape);
        return y;
    }
}

/// <summary>Batch normalization (<c>keras.layers.BatchNormalization</c>, Ioffe and Szegedy) over every axis but
/// <c>axis</c> (the last, channels): in training, the batch mean and population variance normalise the input and update
/// the moving statistics as Keras does (<c>moving = moving * momentum + batch * (1 - momentum)</c>, not recorded by a
/// tape); in inference, the moving statistics are used. Keras' defaults: momentum 0.99, epsilon 1e-3, gamma ones, beta
/// zeros, moving mean zeros, moving variance ones. A frozen layer (<c>Trainable = false</c>) runs in inference mode, as
/// Keras does.</summary>
public sealed class BatchNormalization : Layer
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="axis">The feature axis (negative from the end).</param>
    /// <param name="momentum">The moving statistics' momentum, in [0, 1].</param>
    /// <param name="epsilon">Added to the variance (> 0).</param>
    /// <param name="center">Whether to add beta.</param>
    /// <param name="scale">Whether to multiply by gamma.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public BatchNormalization(int axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true,
                              string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"BatchNormalization: momentum {momentum}; expected a value in [0, 1].", nameof(momentum));
        if (!(epsilon > 0)) throw new ArgumentException($"BatchNormalization: epsilon {epsilon}; expected a positive value.", nameof(epsilon));
        Axis = axis;
        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>The feature axis.</summary>
    public int Axis { get; }
    /// <summary>The moving statistics' momentum.</summary>
    public double Momentum { get; }
    /// <summary>Added to the variance.</summary>
    public double Epsilon { get; }
    /// <summary>Whether beta is added.</summary>
    public bool Center { get; }
    /// <summary>Whether gamma multiplies.</summary>
    public bool Scale { get; }
    /// <summary>gamma [features].</summary>
    public Variable? Gamma { get; private set; }
    /// <summary>beta [features].</summary>
    public Variable? Beta { get; private set; }
    /// <summary>The moving mean [features] (non-trainable).</summary>
    public Variable? MovingMean { get; private set; }
    /// <summary>The moving variance [features] (non-trainable).</summary>
    public Variable? MovingVariance { get; private set; }

    private int FeatureAxis(int rank)
    {
        int a = Axis < 0 ? Axis + rank : Axis;
        if (a < 0 || a >= rank)
            throw new ArgumentException($"{Name} (BatchNormalization): axis {Axis} does not fit an input of rank {rank}.");
        return a;
    }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        int n = inputShape[FeatureAxis(inputShape.Count)];
        if (Scale) Gamma = AddWeight("gamma", new[] { n }, new Ones());
        if (Center) Beta = AddWeight("beta", new[] { n }, new Zeros());
        MovingMean = AddWeight("moving_mean", new[] { n }, new Zeros(), trainable: false);
        MovingVariance = AddWeight("moving_variance", new[] { n }, new Ones(), trainable: false);
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        int a = FeatureAxis(x.Rank);
        if (x.Shape[a] != MovingMean!.Shape[0])
            throw new ArgumentException($"{Name} (BatchNormalization): input shape {Shapes.Format(x.Shape)} has {x.Shape[a]} features on axis {a}; expected {MovingMean.Shape[0]}, as the layer was built for.");
        var reduce = Enumerable.Range(0, x.Rank).Where(i => i != a).ToArray();
        var bshape = Enumerable.Range(0, x.Rank).Select(i => i == a ? x.Shape[i] : 1).ToArray();
        Tensor mean, variance;
        if (training && Trainable)
        {
            mean = TF.ReduceMean(x, reduce, keepDims: true);
            variance = TF.ReduceMean(TF.Square(x - mean), reduce, keepDims: true);
            var m = TF.StopGradient(TF.Reshape(mean, -1));
            var v = TF.StopGradient(TF.Reshape(variance, -1));
            AssignVariable(MovingMean, TF.StopGradient(MovingMean.Value * Momentum + m * (1 - Momentum)));
            AssignVariable(MovingVariance!, TF.StopGradient(MovingVariance!.Value * Momentum + v * (1 - Momentum)));
        }
        else
        {
            mean = TF.Reshape(MovingMean, bshape);
            variance = TF.Reshape(MovingVariance!, bshape);
        }
        var y = (x - mean) * TF.Rsqrt(variance + Epsilon);
        if (Gamma != null) y = y * TF.Reshape(Gamma, bshape);
        if (Beta != null) y = y + TF.Reshape(Beta, bshape);
        return y;
    }
}
