namespace Nabla.Keras.Metrics;

/// <summary>
/// The base of Keras' metrics (<c>keras.metrics.Metric</c>): state accumulated over batches with
/// <c>UpdateState</c>, read with <see cref="Result"/>, cleared with <see cref="ResetState"/>. Metrics read values only:
/// nothing they do is recorded by a tape. The state is kept in double precision; <see cref="Result"/> is a Float32
/// scalar, as Keras' default metric dtype.
/// </summary>
public abstract class Metric
{
    /// <summary>Sets the name.</summary>
    /// <param name="name">The metric's name (Keras' default names, e.g. "sparse_categorical_accuracy").</param>
    protected Metric(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The metric's name.</summary>
    public string Name { get; }

    /// <summary>The metric's current value (Keras' <c>result()</c>).</summary>
    public abstract Tensor Result();

    /// <summary>Clears the state (Keras' <c>reset_state()</c>).</summary>
    public abstract void ResetState();

    /// <summary>"name: value" with four decimals, as a Keras progress line shows it.</summary>
    public override string ToString() =>
        $"{Name}: {Result().ToDouble().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>The (weighted) mean of the values given so far (<c>keras.metrics.Mean</c>): total / count, 0 before any value
/// (Keras' divide-no-nan).</summary>
/// <param name="name">The metric's name.</param>
public class Mean(string name = "mean") : Metric(name)
{
    private double total, count;

    /// <summary>Adds <paramref name="values"/> (any shape; every element counts once) to the mean, each weighted by
    /// <paramref name="sampleWeight"/> broadcast to the values' shape (Keras' <c>update_state(values, sample_weight)</c>).</summary>
    /// <exception cref="ArgumentException">A weight that does not broadcast to the values, or a non-numeric dtype.</exception>
    public void UpdateState(Tensor values, Tensor? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.DType == DType.Bool) values = TF.Cast(values, DType.Float64);
        var v = TF.StopGradient(TF.Cast(values, DType.Float64));
        if (sampleWeight == null)
        {
            total += TF.ReduceSum(v).ToDouble();
            count += v.Shape.Aggregate(1L, (a, b) => a * b);
            return;
        }
        var w = TF.Cast(TF.StopGradient(sampleWeight), DType.Float64);
        (v, w) = Ranks.SqueezeOrExpandToSameRank(v, w);
        var wb = w * TF.OnesLike(v); // broadcast, with the op's message when it cannot
        double t = TF.ReduceSum(v * wb).ToDouble(), c = TF.ReduceSum(wb).ToDouble();
        total += t;
        count += c;
    }

    /// <inheritdoc/>
    public override Tensor Result() => TF.Constant((float)(count == 0 ? 0.0 : total / count));

    /// <inheritdoc/>
    public override void ResetState() { total = 0; count = 0; }
}

/// <summary>A <see cref="Mean"/> of a per-sample function of labels and predictions (Keras' <c>MeanMetricWrapper</c>).</summary>
public abstract class MeanMetricWrapper(string name) : Mean(name)
{
    /// <summary>The per-sample values the metric averages.</summary>
    public abstract Tensor Compute(Tensor yTrue, Tensor yPred);

    /// <summary>Adds a batch (Keras' <c>update_state(y_true, y_pred, sample_weight)</c>).</summary>
    public void UpdateState(Tensor yTrue, Tensor yPred, Tensor? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        base.UpdateState(Compute(TF.StopGradient(yTrue), TF.StopGradient(yPred)), sampleWeight);
    }
}

/// <summary>How often the arg-max of the predictions equals the integer label (<c>keras.metrics.SparseCategoricalAccuracy</c>):
/// labels shaped as yPred without its last axis, or with a last axis of extent 1; ties go to the first maximum.</summary>
/// <param name="name">The metric's name.</param>
public sealed class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : MeanMetricWrapper(name)
{
    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (yTrue.Rank == yPred.Rank && yTrue.Rank > 0 && yTrue.Shape[^1] == 1) yTrue = TF.Squeeze(yTrue, -1);
        if (!yTrue.Shape.SequenceEqual(yPred.Shape.Take(Math.Max(0, yPred.Rank - 1))) || yPred.Rank == 0)
            throw new ArgumentException($"SparseCategoricalAccuracy: yTrue has shape {Shapes.Format(yTrue.Shape)} but yPred has shape {Shapes.Format(yPred.Shape)}; expected yTrue shaped as yPred without its last axis.");
        var predicted = TF.Cast(TF.ArgMax(yPred, -1), DType.Float64);
        return TF.Cast(TF.Equal(TF.Cast(yTrue, DType.Float64), predicted), DType.Float64);
    }
}

/// <summary>How often the arg-max of the predictions equals the arg-max of one-hot labels
/// (<c>keras.metrics.CategoricalAccuracy</c>).</summary>
/// <param name="name">The metric's name.</param>
public sealed class CategoricalAccuracy(string name = "categorical_accuracy") : MeanMetricWrapper(name)
{
    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (!yTrue.Shape.SequenceEqual(yPred.Shape) || yPred.Rank == 0)
            throw new ArgumentException($"CategoricalAccuracy: yTrue has shape {Shapes.Format(yTrue.Shape)} but yPred has shape {Shapes.Format(yPred.Shape)}; expected the same shape of rank >= 1.");
        return TF.Cast(TF.Equal(TF.ArgMax(yTrue, -1), TF.ArgMax(yPred, -1)), DType.Float64);
    }
}

/// <summary>How often <c>yPred &gt; threshold</c> equals the binary label (<c>keras.metrics.BinaryAccuracy</c>): per sample, the
/// mean over the last axis of the matches.</summary>
public sealed class BinaryAccuracy : MeanMetricWrapper
{
    /// <summary>Creates the metric (Keras' defaults).</summary>
    /// <param name="name">The metric's name.</param>
    /// <param name="threshold">Predictions above it count as 1.</param>
    public BinaryAccuracy(string name = "binary_accuracy", double threshold = 0.5) : base(name) => Threshold = threshold;

    /// <summary>Predictions above it count as 1.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        (yTrue, yPred) = Ranks.SqueezeOrExpandToSameRank(yTrue, yPred);
        if (!yTrue.Shape.SequenceEqual(yPred.Shape))
            throw new ArgumentException($"BinaryAccuracy: yTrue has shape {Shapes.Format(yTrue.Shape)} but yPred has shape {Shapes.Format(yPred.Shape)}; expected the same shape.");
        var predicted = TF.Cast(TF.Greater(TF.Cast(yPred, DType.Float64), TF.Constant(Threshold)), DType.Float64);
        var matches = TF.Cast(TF.Equal(TF.Cast(yTrue, DType.Float64), predicted), DType.Float64);
        return matches.Rank == 0 ? matches : TF.ReduceMean(matches, -1);
    }
}
