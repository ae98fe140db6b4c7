namespace Nabla.Optimizers.Schedules;

/// <summary>
/// A learning rate as a function of the optimizer's step (Keras' <c>keras.optimizers.schedules.LearningRateSchedule</c>).
/// Give one to an optimizer's constructor in place of a number (or set <see cref="Optimizer.Schedule"/>): each step uses
/// <c>Call(optimizer.Iterations)</c>, the count of steps applied before it, as Keras does. Schedules compute in double
/// precision; the rate is rounded to each variable's dtype where it is used (Keras computes the schedule in float32).
/// </summary>
/// <example>
/// <code>
/// var opt = new Adam(new ExponentialDecay(initialLearningRate: 0.01, decaySteps: 1000, decayRate: 0.9));
/// </code>
/// </example>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate at <paramref name="step"/> (Keras' <c>__call__(step)</c>).</summary>
    /// <param name="step">The optimizer step, from 0.</param>
    public abstract double Call(long step);

    private protected static void CheckFinite(string name, double value, string parameter)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"{name}: {parameter} {value}; expected a finite value.", parameter);
    }
}

/// <summary>Exponential decay (Keras' <c>ExponentialDecay</c>): <c>initialLearningRate * decayRate ^ (step / decaySteps)</c>,
/// the exponent floored when <c>staircase</c> is set.</summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule (Keras' defaults).</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps per factor of <paramref name="decayRate"/> (> 0).</param>
    /// <param name="decayRate">The factor per <paramref name="decaySteps"/> steps.</param>
    /// <param name="staircase">Decay at discrete intervals (the exponent floored).</param>
    public ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false)
    {
        CheckFinite(nameof(ExponentialDecay), initialLearningRate, nameof(initialLearningRate));
        if (decaySteps <= 0) throw new ArgumentException($"ExponentialDecay: decaySteps {decaySteps}; expected > 0.", nameof(decaySteps));
        CheckFinite(nameof(ExponentialDecay), decayRate, nameof(decayRate));
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        DecayRate = decayRate;
        Staircase = staircase;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }
    /// <summary>Steps per factor of <see cref="DecayRate"/>.</summary>
    public long DecaySteps { get; }
    /// <summary>The factor per <see cref="DecaySteps"/> steps.</summary>
    public double DecayRate { get; }
    /// <summary>Whether the exponent is floored.</summary>
    public bool Staircase { get; }

    /// <inheritdoc/>
    public override double Call(long step)
    {
        double p = (double)step / DecaySteps;
        if (Staircase) p = Math.Floor(p);
        return InitialLearningRate * Math.Pow(DecayRate, p);
    }
}

/// <summary>Piecewise constant (Keras' <c>PiecewiseConstantDecay</c>): <c>values[0]</c> while step &lt;= boundaries[0],
/// <c>values[i]</c> while boundaries[i-1] &lt; step &lt;= boundaries[i], and the last value after the last boundary.</summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="boundaries">Increasing steps (at least one).</param>
    /// <param name="values">One more value than boundaries.</param>
    /// <exception cref="ArgumentException">The counts do not match (as Keras), the boundaries do not increase, or a value is
    /// not finite.</exception>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (boundaries.Count == 0 || values.Count != boundaries.Count + 1)
            throw new ArgumentException($"PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values; got {boundaries.Count} boundaries and {values.Count} values.", nameof(values));
        for (int i = 1; i < boundaries.Count; i++)
            if (boundaries[i] <= boundaries[i - 1])
                throw new ArgumentException($"PiecewiseConstantDecay: boundaries must increase; got {boundaries[i - 1]} then {boundaries[i]} at index {i}.", nameof(boundaries));
        for (int i = 0; i < values.Count; i++) CheckFinite(nameof(PiecewiseConstantDecay), values[i], $"values[{i}]");
        Boundaries = boundaries.ToArray();
        Values = values.ToArray();
    }

    /// <summary>The boundaries (steps).</summary>
    public IReadOnlyList<long> Boundaries { get; }
    /// <summary>The rates between them.</summary>
    public IReadOnlyList<double> Values { get; }

    /// <inheritdoc/>
    public override double Call(long step)
    {
        for (int i = 0; i < Boundaries.Count; i++)
            if (step <= Boundaries[i]) return Values[i];
        return Values[^1];
    }
}

/// <summary>Cosine decay with an optional linear warmup (Keras' <c>CosineDecay</c>, Loshchilov and Hutter's SGDR without
/// restarts). Without warmup: step is capped at <c>decaySteps</c> and the rate is
/// <c>initialLearningRate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decaySteps)) + alpha)</c>. With
/// <c>warmupTarget</c>: the rate rises linearly from <c>initialLearningRate</c> to <c>warmupTarget</c> over
/// <c>warmupSteps</c>, then decays from <c>warmupTarget</c> as above over <c>decaySteps</c> more steps.</summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule (Keras' defaults).</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps to decay over (> 0).</param>
    /// <param name="alpha">The final rate as a fraction of the starting one.</param>
    /// <param name="warmupTarget">The rate reached after the warmup; <c>null</c>: no warmup.</param>
    /// <param name="warmupSteps">Steps of linear warmup (>= 0).</param>
    public CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0.0, double? warmupTarget = null, long warmupSteps = 0)
    {
        CheckFinite(nameof(CosineDecay), initialLearningRate, nameof(initialLearningRate));
        if (decaySteps <= 0) throw new ArgumentException($"CosineDecay: decaySteps {decaySteps}; must be > 0 (as Keras).", nameof(decaySteps));
        CheckFinite(nameof(CosineDecay), alpha, nameof(alpha));
        if (warmupTarget is double t) CheckFinite(nameof(CosineDecay), t, nameof(warmupTarget));
        if (warmupSteps < 0) throw new ArgumentException($"CosineDecay: warmupSteps {warmupSteps}; expected >= 0.", nameof(warmupSteps));
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        Alpha = alpha;
        WarmupTarget = warmupTarget;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }
    /// <summary>Steps to decay over.</summary>
    public long DecaySteps { get; }
    /// <summary>The final rate as a fraction of the starting one.</summary>
    public double Alpha { get; }
    /// <summary>The rate after warmup, or null.</summary>
    public double? WarmupTarget { get; }
    /// <summary>Steps of warmup.</summary>
    public long WarmupSteps { get; }

    private double Decayed(double step, double from)
    {
        double cosine = 0.5 * (1.0 + Math.Cos(Math.PI * (step / DecaySteps)));
        return from * ((1 - Alpha) * cosine + Alpha);
    }

    /// <inheritdoc/>
    public override double Call(long step)
    {
        if (WarmupTarget is not double target) return Decayed(Math.Min(step, DecaySteps), InitialLearningRate);
        double s = Math.Min(step, DecaySteps + WarmupSteps);
        if (s < WarmupSteps) return (target - InitialLearningRate) * (s / WarmupSteps) + InitialLearningRate;
        return Decayed(s - WarmupSteps, target);
    }
}

/// <summary>Polynomial decay (Keras' <c>PolynomialDecay</c>): with step capped at <c>decaySteps</c>,
/// <c>(initialLearningRate - endLearningRate) * (1 - step / decaySteps) ^ power + endLearningRate</c>. With
/// <c>cycle</c>, decaySteps is instead the first multiple of itself >= step (1 at step 0), as Keras.</summary>
public sealed class PolynomialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule (Keras' defaults).</summary>
    /// <param name="initialLearningRate">The rate at step 0.</param>
    /// <param name="decaySteps">Steps to decay over (> 0).</param>
    /// <param name="endLearningRate">The rate at the end.</param>
    /// <param name="power">The polynomial's power.</param>
    /// <param name="cycle">Whether to restart the decay after <paramref name="decaySteps"/>.</param>
    public PolynomialDecay(double initialLearningRate, long decaySteps, double endLearningRate = 0.0001, double power = 1.0, bool cycle = false)
    {
        CheckFinite(nameof(PolynomialDecay), initialLearningRate, nameof(initialLearningRate));
        if (decaySteps <= 0) throw new ArgumentException($"PolynomialDecay: decaySteps {decaySteps}; expected > 0.", nameof(decaySteps));
        CheckFinite(nameof(PolynomialDecay), endLearningRate, nameof(endLearningRate));
        CheckFinite(nameof(PolynomialDecay), power, nameof(power));
        InitialLearningRate = initialLearningRate;
        DecaySteps = decaySteps;
        EndLearningRate = endLearningRate;
        Power = power;
        Cycle = cycle;
    }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }
    /// <summary>Steps to decay over.</summary>
    public long DecaySteps { get; }
    /// <summary>The rate at the end.</summary>
    public double EndLearningRate { get; }
    /// <summary>The polynomial's power.</summary>
    public double Power { get; }
    /// <summary>Whether the decay restarts.</summary>
    public bool Cycle { get; }

    /// <inheritdoc/>
    public override double Call(long step)
    {
        double s = step, d = DecaySteps;
        if (Cycle) d *= step == 0 ? 1.0 : Math.Ceiling(s / DecaySteps);
        else s = Math.Min(s, d);
        return (InitialLearningRate - EndLearningRate) * Math.Pow(1 - s / d, Power) + EndLearningRate;
    }
}
