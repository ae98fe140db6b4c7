using Nabla.Optimizers.Schedules;

namespace Nabla.Optimizers;

/// <summary>
/// The base of Nabla's optimizers (Keras' <c>keras.optimizers.Optimizer</c>): applies gradients to
/// <see cref="Variable"/>s with an update rule that follows Keras' formulas exactly, so that a step can be checked
/// against TensorFlow's numbers. Updates are plain arithmetic on the variables' values: they are never recorded by a
/// tape. Per-variable state (momenta) is created on a variable's first update.
/// </summary>
/// <example>
/// <code>
/// var w = new Variable(TF.Constant(new[] { 1.0, -2.0 }));
/// var opt = new Adam(learningRate: 0.1);
/// for (int i = 0; i &lt; 100; i++) opt.Minimize(() => TF.ReduceSum(TF.Square(w)), new[] { w });
/// </code>
/// </example>
public abstract class Optimizer
{
    private readonly Dictionary<Variable, Core.RawTensor[]> slots = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Variable> excludedFromDecay = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> excludedNames = new();

    private double learningRate;
    private LearningRateSchedule? schedule;

    private protected Optimizer(string name, double learningRate) : this(name, learningRate, null, null, null, null, null) { }

    /// <summary>The common options of Keras' optimizers, checked before anything is stored.</summary>
    private protected Optimizer(string name, double learningRate, LearningRateSchedule? schedule, double? weightDecay,
                                double? clipNorm, double? clipValue, double? globalClipNorm)
    {
        Name = name;
        this.learningRate = schedule == null ? CheckLearningRate(name, learningRate, nameof(learningRate)) : 0.0;
        this.schedule = schedule;
        if (weightDecay is double wd && !(wd >= 0 && !double.IsInfinity(wd)))
            throw new ArgumentException($"{name}: weightDecay {wd}; expected a finite value >= 0.", nameof(weightDecay));
        CheckClip(name, clipNorm, nameof(clipNorm));
        CheckClip(name, clipValue, nameof(clipValue));
        CheckClip(name, globalClipNorm, nameof(globalClipNorm));
        int clips = (clipNorm.HasValue ? 1 : 0) + (clipValue.HasValue ? 1 : 0) + (globalClipNorm.HasValue ? 1 : 0);
        if (clips > 1)
            throw new ArgumentException(
                $"{name}: only one of clipNorm, clipValue and globalClipNorm can be set (as Keras); got clipNorm={Show(clipNorm)}, " +
                $"clipValue={Show(clipValue)}, globalClipNorm={Show(globalClipNorm)}.", clipNorm.HasValue ? nameof(clipValue) : nameof(globalClipNorm));
        WeightDecay = weightDecay;
        ClipNorm = clipNorm;
        ClipValue = clipValue;
        GlobalClipNorm = globalClipNorm;
    }

    private static string Show(double? v) => v.HasValue ? v.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null";

    private static void CheckClip(string name, double? value, string parameter)
    {
        if (value is double v && !(v > 0 && !double.IsInfinity(v)))
            throw new ArgumentException($"{name}: {parameter} {v}; expected a finite value > 0 (or null for no clipping).", parameter);
    }

    /// <summary>Checks a beta-like decay rate in [0, 1).</summary>
    private protected static double CheckUnitInterval(string name, double value, string parameter) =>
        value >= 0 && value < 1 ? value : throw new ArgumentException($"{name}: {parameter} {value}; expected a value in [0, 1).", parameter);

    /// <summary>Checks an epsilon-like value >= 0.</summary>
    private protected static double CheckNonNegative(string name, double value, string parameter) =>
        value >= 0 && !double.IsInfinity(value) ? value : throw new ArgumentException($"{name}: {parameter} {value}; expected a finite value >= 0.", parameter);

    /// <summary>The one rule for a learning rate, for the constructor and the setter alike.</summary>
    private static double CheckLearningRate(string name, double value, string parameter) =>
        value >= 0 && !double.IsInfinity(value)
            ? value
            : throw new ArgumentException($"{name}: learningRate {value}; expected a finite value >= 0.", parameter);

    /// <summary>The optimizer's name ("SGD", "Adam").</summary>
    public string Name { get; }

    /// <summary>The step size (Keras' <c>learning_rate</c>); may be changed between steps. Checked as the constructor
    /// checks it.</summary>
    /// <exception cref="ArgumentException">A negative, infinite or NaN value (the rate is left unchanged).</exception>
    /// <remarks>With a <see cref="Schedule"/>, the getter returns the schedule's rate at <see cref="Iterations"/> (the rate the
    /// next step will use, as Keras' <c>optimizer.learning_rate</c>), and setting a value replaces the schedule by that
    /// constant rate.</remarks>
    public double LearningRate
    {
        get => schedule == null ? learningRate : ScheduledRate(Iterations);
        set { learningRate = CheckLearningRate(Name, value, nameof(LearningRate)); schedule = null; }
    }

    /// <summary>The learning-rate schedule evaluated at each step's <see cref="Iterations"/> (Keras' <c>learning_rate</c>
    /// given a <c>LearningRateSchedule</c>), or <c>null</c> for a constant rate. Setting one replaces the constant rate.</summary>
    public LearningRateSchedule? Schedule
    {
        get => schedule;
        set => schedule = value ?? throw new ArgumentNullException(nameof(value), $"{Name}.Schedule: null; set LearningRate for a constant rate.");
    }

    private double ScheduledRate(long step)
    {
        double lr = schedule!.Call(step);
        if (!(lr >= 0 && !double.IsInfinity(lr)))
            throw new InvalidOperationException($"{Name}: the learning-rate schedule {schedule.GetType().Name} gave {lr} at step {step}; expected a finite value >= 0.");
        return lr;
    }

    /// <summary>Decoupled weight decay (Keras' <c>weight_decay</c>): before each update, every variable with a gradient
    /// (except those excluded by <see cref="ExcludeFromWeightDecay"/>) becomes <c>w - w * weightDecay * learningRate</c>.
    /// <c>null</c>: none (the default of every optimizer but <see cref="AdamW"/>).</summary>
    public double? WeightDecay { get; }

    /// <summary>Keras' <c>clipnorm</c>: each gradient is scaled to an L2 norm of at most this value
    /// (<c>g * clipNorm / max(‖g‖, clipNorm)</c>, the norm over the whole tensor) before the update; <c>null</c>: none.</summary>
    public double? ClipNorm { get; }

    /// <summary>Keras' <c>clipvalue</c>: each gradient element is clipped to [-clipValue, clipValue] (NaN stays NaN) before the
    /// update; <c>null</c>: none.</summary>
    public double? ClipValue { get; }

    /// <summary>Keras' <c>global_clipnorm</c>: all gradients of a step are scaled together so that their global L2 norm
    /// (the norm of all their elements) is at most this value (<c>tf.clip_by_global_norm</c>); a non-finite global norm
    /// makes every gradient NaN, as TensorFlow's. <c>null</c>: none. At most one of the three clip options may be set.</summary>
    public double? GlobalClipNorm { get; }

    /// <summary>Excludes variables from weight decay (Keras' <c>exclude_from_weight_decay</c>): those given, and those whose
    /// <see cref="Variable.Name"/> contains any of <paramref name="variableNames"/> (e.g. "bias"). Must be called before the
    /// first update, as Keras requires it before the optimizer is built.</summary>
    /// <exception cref="InvalidOperationException">The optimizer has already applied gradients.</exception>
    public void ExcludeFromWeightDecay(IEnumerable<Variable>? variables = null, IEnumerable<string>? variableNames = null)
    {
        if (slots.Count > 0)
            throw new InvalidOperationException($"{Name}.ExcludeFromWeightDecay: can only be configured before the optimizer has applied gradients (as Keras, before it is built).");
        if (variables != null) foreach (var v in variables) excludedFromDecay.Add(v ?? throw new ArgumentException($"{Name}.ExcludeFromWeightDecay: a variable is null.", nameof(variables)));
        if (variableNames != null) foreach (var n in variableNames) excludedNames.Add(n ?? throw new ArgumentException($"{Name}.ExcludeFromWeightDecay: a name is null.", nameof(variableNames)));
    }

    private bool Decays(Variable v) => !excludedFromDecay.Contains(v) && !excludedNames.Any(n => v.Name.Contains(n, StringComparison.Ordinal));

    /// <summary>How many times <see cref="ApplyGradients"/> has updated the variables (Keras' <c>iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>Applies one update step to each variable from its gradient (Keras' <c>apply_gradients</c>), then
    /// increments <see cref="Iterations"/>. Pairs whose gradient is <c>null</c> (a variable the loss does not depend on)
    /// are skipped. A gradient is cast to its variable's dtype, as Keras does. Every pair is checked before any variable
    /// changes.</summary>
    /// <remarks>The optimizer remembers the variables it has updated (as Keras builds its slot variables on the first
    /// call), and every later call must pass each of them again, with <c>null</c> as the gradient of one to skip: a call
    /// that leaves one out is almost always <c>grads.Zip(vars)</c> over lists of different lengths, which drops the
    /// extra pairs without a word. New variables may join in any call.</remarks>
    /// <exception cref="ArgumentException">Every gradient is null, a gradient's shape differs from its variable's, a
    /// variable is not Float32/Float64, or a variable this optimizer has updated before is missing from the pairs.</exception>
    public void ApplyGradients(IEnumerable<(Tensor? Gradient, Variable Variable)> gradientsAndVariables)
    {
        ArgumentNullException.ThrowIfNull(gradientsAndVariables);
        var pairs = new List<(Core.RawTensor Gradient, Variable Variable)>();
        var given = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        int count = 0;
        foreach (var (g, v) in gradientsAndVariables)
        {
            count++;
            if (v == null) throw new ArgumentException($"{Name}.ApplyGradients: a variable is null.", nameof(gradientsAndVariables));
            given.Add(v);
            if (g == null) continue;
            if (!v.DType.IsFloat())
                throw new ArgumentException($"{Name}.ApplyGradients: variable '{v.Name}' has dtype {v.DType}; expected Float32 or Float64.", nameof(gradientsAndVariables));
            var vShape = v.Handle.ShapeArray;
            if (!Core.Shape.equal(g.ShapeArray, vShape))
                throw new ArgumentException($"{Name}.ApplyGradients: the gradient for variable '{v.Name}' has shape {Shapes.Format(g.ShapeArray)} but the variable has shape {Shapes.Format(vShape)}; expected the variable's shape.", nameof(gradientsAndVariables));
            pairs.Add((Core.Storage.cast(v.DType.ToCore(), g.Raw), v));
        }
        var missing = slots.Keys.Where(v => !given.Contains(v)).Select(v => $"'{v.Name}'").ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException(
                $"{Name}.ApplyGradients: got {count} (gradient, variable) pair{(count == 1 ? "" : "s")}, but {missing.Count} variable{(missing.Count == 1 ? "" : "s")} " +
                $"this optimizer has updated before {(missing.Count == 1 ? "is" : "are")} missing: {string.Join(", ", missing)}. A short grads.Zip(vars) drops pairs " +
                "without a word; expected one gradient per variable, with null as the gradient of a variable to skip.", nameof(gradientsAndVariables));
        }
        if (pairs.Count == 0)
            throw new ArgumentException($"{Name}.ApplyGradients: No gradients provided for any variable.", nameof(gradientsAndVariables));
        // Everything that can fail (the schedule, the clipping) runs before any variable changes.
        double lr = LearningRate;
        var grads = Clipping.Clip(pairs.Select(p => p.Gradient).ToList(), ClipNorm, ClipValue, GlobalClipNorm);
        var values = new Core.RawTensor[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            var w = pairs[i].Variable.Handle.Raw;
            values[i] = WeightDecay is double wd && wd != 0 && Decays(pairs[i].Variable) ? Clipping.Decay(w, wd * lr) : w;
        }
        BeforeSteps(Iterations, pairs[0].Variable.DType.ToCore());
        for (int i = 0; i < pairs.Count; i++)
        {
            var v = pairs[i].Variable;
            if (!slots.TryGetValue(v, out var state))
                slots[v] = state = CreateSlots(values[i]);
            var updated = UpdateStep(grads[i], values[i], state, Iterations, lr);
            v.Assign(new Tensor(Core.Combinators.constant(updated)));
        }
        Iterations++;
    }

    /// <summary>Computes the gradients of <paramref name="loss"/> with respect to <paramref name="variables"/> on a fresh
    /// tape and applies them (Keras' <c>minimize</c>). The variables are watched explicitly, so non-trainable ones are
    /// updated too.</summary>
    /// <exception cref="ArgumentException">The loss depends on none of the variables.</exception>
    public void Minimize(Func<Tensor> loss, IReadOnlyList<Variable> variables)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(variables);
        Tensor value;
        var tape = new GradientTape();
        using (tape)
        {
            foreach (var v in variables) tape.Watch(v ?? throw new ArgumentException($"{Name}.Minimize: a variable is null.", nameof(variables)));
            value = loss() ?? throw new InvalidOperationException($"{Name}.Minimize: the loss function returned null.");
        }
        var grads = tape.Gradient(value, variables);
        ApplyGradients(grads.Zip(variables));
    }

    /// <summary>The per-variable state, created at the variable's first update.</summary>
    private protected abstract Core.RawTensor[] CreateSlots(Core.RawTensor value);

    /// <summary>The variable's new value from its gradient (same dtype, clipped) and state (its entries replaced or their
    /// arrays updated in place; the state is the optimizer's own); <paramref name="iterations"/> counts the steps applied
    /// before this one, <paramref name="learningRate"/> is this step's rate.</summary>
    private protected abstract Core.RawTensor UpdateStep(Core.RawTensor gradient, Core.RawTensor value, Core.RawTensor[] state, long iterations, double learningRate);

    /// <summary>Runs once per step before the variables' updates (Nadam's momentum-cache product); the dtype is the first
    /// updated variable's, as Keras builds such state in the first variable's dtype.</summary>
    private protected virtual void BeforeSteps(long iterations, Core.DType dtype) { }

    /// <summary>A copy of <paramref name="value"/>'s elements, to be updated in place into the variable's new value.</summary>
    private protected static Core.RawTensor Fresh(Core.RawTensor value) =>
        Core.Storage.ofArray((int[])value.Shape.Clone(), (Array)value.Data.Clone());

    /// <summary>A scalar of <paramref name="like"/>'s dtype (rounded to it, as Keras' casts do).</summary>
    private protected static Core.RawTensor Scalar(Core.RawTensor like, double value) => Core.Storage.scalar(like.DType, value);
}
