namespace Nabla.Keras.Losses;

/// <summary>How a <see cref="Loss"/> reduces its per-sample values (Keras' <c>reduction</c>).</summary>
public enum Reduction
{
    /// <summary>Sum of the (weighted) per-sample losses divided by their count (Keras' default
    /// <c>"sum_over_batch_size"</c>, also its <c>"mean"</c>): weights scale samples but do not change the divisor.</summary>
    SumOverBatchSize,
    /// <summary>Sum of the (weighted) per-sample losses (<c>"sum"</c>).</summary>
    Sum,
    /// <summary>The (weighted) per-sample losses, unreduced (<c>None</c>/<c>"none"</c>).</summary>
    None,
    /// <summary>Sum of the weighted losses divided by the sum of the weights (<c>"mean_with_sample_weight"</c>); without
    /// weights, as <see cref="SumOverBatchSize"/>.</summary>
    MeanWithSampleWeight,
}

/// <summary>
/// The base of Keras' loss classes (<c>keras.losses.Loss</c>): <see cref="Call"/> computes the per-sample losses with
/// <see cref="Compute"/>, weights them and reduces them (by default the sum over the batch size, as Keras). Losses are
/// built from differentiable <see cref="TF"/> ops, so a tape differentiates them to any order.
/// </summary>
/// <remarks>Deviation from Keras: the loss is computed in <c>yPred</c>'s dtype (Keras converts both arguments to the
/// loss's dtype, float32 by default), so a Float64 model keeps Float64 losses. <c>yTrue</c> is cast to it.</remarks>
public abstract class Loss
{
    /// <summary>Keras' <c>backend.epsilon()</c>, used to clip probabilities.</summary>
    public const double Epsilon = 1e-7;

    /// <summary>Sets the name and reduction.</summary>
    /// <param name="name">The loss's name.</param>
    /// <param name="reduction">How <see cref="Call"/> reduces the per-sample losses.</param>
    protected Loss(string name, Reduction reduction)
    {
        if (!Enum.IsDefined(reduction))
            throw new ArgumentException($"{name}: reduction {(int)reduction} is not a Reduction; expected SumOverBatchSize, Sum, None or MeanWithSampleWeight.", nameof(reduction));
        Name = name;
        Reduction = reduction;
    }

    /// <summary>The loss's name (Keras' snake_case name, e.g. "mean_squared_error").</summary>
    public string Name { get; }

    /// <summary>How <see cref="Call"/> reduces the per-sample losses.</summary>
    public Reduction Reduction { get; }

    /// <summary>The per-sample losses (Keras' <c>Loss.call</c>): one value per sample, the last axis reduced where the
    /// loss has a class or feature axis. Arguments as <see cref="Call"/>'s, after its rank adjustment.</summary>
    public abstract Tensor Compute(Tensor yTrue, Tensor yPred);

    /// <summary>The loss (Keras' <c>loss(y_true, y_pred, sample_weight)</c>): per-sample losses from
    /// <see cref="Compute"/>, times <paramref name="sampleWeight"/> (broadcast to them; a trailing axis of extent 1 is
    /// squeezed or added as Keras does), reduced by <see cref="Reduction"/>. A rank that differs by one with a last axis
    /// of extent 1 is squeezed first, as Keras (labels shaped [batch, 1] against predictions [batch]).</summary>
    /// <exception cref="ArgumentException">Shapes that do not fit the loss (named with both shapes), or a sample weight
    /// that does not broadcast.</exception>
    public Tensor Call(Tensor yTrue, Tensor yPred, Tensor? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (!yPred.DType.IsFloat())
            throw new ArgumentException($"{GetType().Name}: yPred has dtype {yPred.DType}; expected Float32 or Float64.", nameof(yPred));
        (yTrue, yPred) = Ranks.SqueezeOrExpandToSameRank(yTrue, yPred);
        var losses = Compute(yTrue, yPred);
        Tensor? weights = null;
        if (sampleWeight != null)
        {
            (losses, weights) = Ranks.SqueezeOrExpandToSameRank(losses, TF.Cast(sampleWeight, losses.DType));
            losses = losses * weights;
        }
        if (Reduction == Reduction.None || losses.Rank == 0) return losses;
        var sum = TF.ReduceSum(losses);
        if (Reduction == Reduction.Sum) return sum;
        double divisor = Reduction == Reduction.MeanWithSampleWeight && weights != null
            ? TF.ReduceSum(TF.Multiply(weights, TF.OnesLike(losses))).ToDouble()
            : losses.Shape.Aggregate(1L, (a, b) => a * b);
        // divide_no_nan: a zero divisor gives 0
        return divisor == 0 ? TF.ZerosLike(sum) : sum / divisor;
    }

    /// <summary>Checks that two tensors have the same shape (Keras' message for its element-wise losses).</summary>
    private protected void SameShape(Tensor yTrue, Tensor yPred)
    {
        if (!yTrue.Shape.SequenceEqual(yPred.Shape))
            throw new ArgumentException($"{GetType().Name}: yTrue has shape {Shapes.Format(yTrue.Shape)} but yPred has shape {Shapes.Format(yPred.Shape)}; expected the same shape.");
    }

    /// <summary>yTrue as yPred's dtype.</summary>
    private protected static Tensor Like(Tensor yTrue, Tensor yPred) => yTrue.DType == yPred.DType ? yTrue : TF.Cast(yTrue, yPred.DType);

    /// <summary>Clips to [epsilon, 1 - epsilon] (as Keras before a log of probabilities; the clip's derivative is 0 outside).</summary>
    private protected static Tensor ClipProbabilities(Tensor p) =>
        TF.ClipByValue(p, TF.Constant(Epsilon, p.DType), TF.Constant(1 - Epsilon, p.DType));
}

/// <summary>Mean of squares of errors over the last axis (<c>keras.losses.MeanSquaredError</c>):
/// <c>mean((yPred - yTrue)², axis: -1)</c>.</summary>
/// <param name="reduction">How the per-sample losses are reduced.</param>
public sealed class MeanSquaredError(Reduction reduction = Reduction.SumOverBatchSize) : Loss("mean_squared_error", reduction)
{
    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        return TF.ReduceMean(TF.Square(yPred - yTrue), -1);
    }
}

/// <summary>Mean of absolute errors over the last axis (<c>keras.losses.MeanAbsoluteError</c>): <c>mean(|yPred - yTrue|, axis: -1)</c>;
/// the derivative at a zero error is 0 (TF's sign(0)).</summary>
/// <param name="reduction">How the per-sample losses are reduced.</param>
public sealed class MeanAbsoluteError(Reduction reduction = Reduction.SumOverBatchSize) : Loss("mean_absolute_error", reduction)
{
    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        return TF.ReduceMean(TF.Abs(yPred - yTrue), -1);
    }
}

/// <summary>Huber loss (<c>keras.losses.Huber</c>): per element, with e = yPred - yTrue, <c>0.5 e²</c> where |e| &lt;= delta and
/// <c>delta |e| - 0.5 delta²</c> elsewhere; the mean over the last axis. Continuous with its first derivative at |e| = delta.</summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss (Keras' defaults).</summary>
    /// <param name="delta">Where the loss turns from quadratic to linear (> 0).</param>
    /// <param name="reduction">How the per-sample losses are reduced.</param>
    public Huber(double delta = 1.0, Reduction reduction = Reduction.SumOverBatchSize) : base("huber_loss", reduction)
    {
        if (!(delta > 0) || double.IsInfinity(delta)) throw new ArgumentException($"Huber: delta {delta}; expected a finite value > 0.", nameof(delta));
        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        var error = yPred - yTrue;
        var abs = TF.Abs(error);
        var quadratic = 0.5 * TF.Square(error);
        var linear = Delta * abs - 0.5 * Delta * Delta;
        return TF.ReduceMean(TF.Where(TF.LessEqual(abs, TF.Constant(Delta, abs.DType)), quadratic, linear), -1);
    }
}

/// <summary>Kullback-Leibler divergence (<c>keras.losses.KLDivergence</c>): <c>sum(yTrue log(yTrue / yPred), axis: -1)</c> with both
/// clipped to [epsilon, 1] first (so a zero in yTrue contributes about 0 and a zero in yPred a large finite value).</summary>
/// <param name="reduction">How the per-sample losses are reduced.</param>
public sealed class KLDivergence(Reduction reduction = Reduction.SumOverBatchSize) : Loss("kl_divergence", reduction)
{
    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        var eps = TF.Constant(Epsilon, yPred.DType);
        var one = TF.Constant(1.0, yPred.DType);
        var t = TF.ClipByValue(yTrue, eps, one);
        var p = TF.ClipByValue(yPred, eps, one);
        return TF.ReduceSum(t * TF.Log(t / p), -1);
    }
}

/// <summary>What the binary and categorical cross-entropies share: <c>fromLogits</c>, label smoothing in [0, 1], and the axis
/// they reduce.</summary>
public abstract class ProbabilisticLoss : Loss
{
    private protected ProbabilisticLoss(string name, string kerasName, bool fromLogits, double labelSmoothing, int axis, Reduction reduction)
        : base(kerasName, reduction)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentException($"{name}: labelSmoothing {labelSmoothing}; expected a value in [0, 1].", nameof(labelSmoothing));
        FromLogits = fromLogits;
        LabelSmoothing = labelSmoothing;
        Axis = axis;
    }

    /// <summary>Whether yPred holds logits.</summary>
    public bool FromLogits { get; }
    /// <summary>The label smoothing.</summary>
    public double LabelSmoothing { get; }
    /// <summary>The axis the loss reduces.</summary>
    public int Axis { get; }
}

/// <summary>Binary cross-entropy (<c>keras.losses.BinaryCrossentropy</c>), the mean over the last axis of
/// <c>-(y log p + (1 - y) log(1 - p))</c>: from probabilities clipped to [epsilon, 1 - epsilon] (Keras 3's rule; the
/// gradient is 0 where the clip binds), or with <c>fromLogits</c> from logits through
/// <see cref="TF.SigmoidCrossEntropyWithLogits"/> (stable, and the recommended form). Label smoothing replaces y by
/// <c>y (1 - s) + s / 2</c>.</summary>
public sealed class BinaryCrossentropy : ProbabilisticLoss
{
    /// <summary>Creates the loss (Keras' defaults).</summary>
    /// <param name="fromLogits">Whether yPred holds logits (true) or probabilities.</param>
    /// <param name="labelSmoothing">In [0, 1].</param>
    /// <param name="axis">The axis the mean runs over.</param>
    /// <param name="reduction">How the per-sample losses are reduced.</param>
    public BinaryCrossentropy(bool fromLogits = false, double labelSmoothing = 0.0, int axis = -1, Reduction reduction = Reduction.SumOverBatchSize)
        : base("BinaryCrossentropy", "binary_crossentropy", fromLogits, labelSmoothing, axis, reduction) { }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        if (LabelSmoothing > 0) yTrue = yTrue * (1.0 - LabelSmoothing) + 0.5 * LabelSmoothing;
        Tensor bce;
        if (FromLogits) bce = TF.SigmoidCrossEntropyWithLogits(yTrue, yPred);
        else
        {
            var p = ClipProbabilities(yPred);
            bce = -(yTrue * TF.Log(p) + (1.0 - yTrue) * TF.Log(1.0 - p));
        }
        return TF.ReduceMean(bce, Axis);
    }
}

/// <summary>Categorical cross-entropy against one-hot (or soft) labels (<c>keras.losses.CategoricalCrossentropy</c>):
/// <c>-sum(y log p, axis)</c> with p normalised to sum to 1 along the axis and clipped to [epsilon, 1 - epsilon], or with
/// <c>fromLogits</c> through <see cref="TF.SoftmaxCrossEntropyWithLogits"/> (stable). Label smoothing replaces y by
/// <c>y (1 - s) + s / classes</c>.</summary>
public sealed class CategoricalCrossentropy : ProbabilisticLoss
{
    /// <summary>Creates the loss (Keras' defaults).</summary>
    /// <param name="fromLogits">Whether yPred holds logits (true) or probabilities.</param>
    /// <param name="labelSmoothing">In [0, 1].</param>
    /// <param name="axis">The class axis.</param>
    /// <param name="reduction">How the per-sample losses are reduced.</param>
    public CategoricalCrossentropy(bool fromLogits = false, double labelSmoothing = 0.0, int axis = -1, Reduction reduction = Reduction.SumOverBatchSize)
        : base("CategoricalCrossentropy", "categorical_crossentropy", fromLogits, labelSmoothing, axis, reduction) { }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        yTrue = Like(yTrue, yPred);
        SameShape(yTrue, yPred);
        if (yPred.Rank < 1) throw new ArgumentException($"CategoricalCrossentropy: yPred has rank 0; expected at least rank 1.", nameof(yPred));
        if (LabelSmoothing > 0)
        {
            int classes = yPred.Shape[Axis < 0 ? Axis + yPred.Rank : Axis];
            yTrue = yTrue * (1.0 - LabelSmoothing) + LabelSmoothing / classes;
        }
        if (FromLogits) return TF.SoftmaxCrossEntropyWithLogits(yTrue, yPred, Axis);
        var p = ClipProbabilities(yPred / TF.ReduceSum(yPred, Axis, keepDims: true));
        return -TF.ReduceSum(yTrue * TF.Log(p), Axis);
    }
}

/// <summary>Categorical cross-entropy against integer class labels (<c>keras.losses.SparseCategoricalCrossentropy</c>):
/// labels shaped as yPred without its last axis (or with a last axis of extent 1), integer or integral floats; with
/// <c>fromLogits</c> through <see cref="TF.SparseSoftmaxCrossEntropyWithLogits"/>, else <c>-log p[label]</c> with p
/// clipped to [epsilon, 1 - epsilon] (Keras 3 passes log(p) as logits, which renormalises p). An optional
/// <c>ignoreClass</c> label contributes 0 and is left out of the sum-over-batch-size count, as Keras' mask.</summary>
public sealed class SparseCategoricalCrossentropy : Loss
{
    /// <summary>Creates the loss (Keras' defaults).</summary>
    /// <param name="fromLogits">Whether yPred holds logits (true) or probabilities.</param>
    /// <param name="ignoreClass">A label to ignore (e.g. a padding class), or null.</param>
    /// <param name="reduction">How the per-sample losses are reduced.</param>
    public SparseCategoricalCrossentropy(bool fromLogits = false, int? ignoreClass = null, Reduction reduction = Reduction.SumOverBatchSize)
        : base("sparse_categorical_crossentropy", reduction)
    {
        FromLogits = fromLogits;
        IgnoreClass = ignoreClass;
    }

    /// <summary>Whether yPred holds logits.</summary>
    public bool FromLogits { get; }
    /// <summary>The ignored label, or null.</summary>
    public int? IgnoreClass { get; }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (yPred.Rank < 1) throw new ArgumentException("SparseCategoricalCrossentropy: yPred has rank 0; expected at least rank 1 (classes on the last axis).", nameof(yPred));
        var labels = yTrue.DType is DType.Int32 or DType.Int64 ? yTrue : TF.Cast(yTrue, DType.Int64);
        if (labels.Rank == yPred.Rank && labels.Shape[^1] == 1) labels = TF.Squeeze(labels, -1);
        if (!labels.Shape.SequenceEqual(yPred.Shape.Take(yPred.Rank - 1)))
            throw new ArgumentException($"SparseCategoricalCrossentropy: yTrue has shape {Shapes.Format(yTrue.Shape)} but yPred has shape {Shapes.Format(yPred.Shape)}; expected yTrue shaped as yPred without its last axis.");
        Tensor? keep = null;
        if (IgnoreClass is int ignored)
        {
            keep = TF.NotEqual(labels, TF.Cast(TF.Constant(ignored), labels.DType));
            labels = TF.Where(keep, labels, TF.ZerosLike(labels));
        }
        var logits = FromLogits ? yPred : TF.Log(ClipProbabilities(yPred));
        var losses = TF.SparseSoftmaxCrossEntropyWithLogits(labels, logits);
        if (keep == null) return losses;
        var k = TF.Cast(keep, losses.DType);
        losses = losses * k;
        // Keras' mask with sum_over_batch_size: valid entries weigh total / valid, so the reduction divides by the valid count
        if (Reduction is Reduction.SumOverBatchSize)
        {
            double total = losses.Shape.Aggregate(1L, (a, b) => a * b), valid = TF.ReduceSum(k).ToDouble();
            losses = losses * (valid == 0 ? 0.0 : total / valid);
        }
        return losses;
    }
}
