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

    private double learningRate;

    private protected Optimizer(string name, double learningRate)
    {
        Name = name;
        this.learningRate = CheckLearningRate(name, learningRate, nameof(learningRate));
    }

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
    public double LearningRate
    {
        get => learningRate;
        set => learningRate = CheckLearningRate(Name, value, nameof(LearningRate));
    }

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
        foreach (var (g, v) in pairs)
        {
            if (!slots.TryGetValue(v, out var state))
                slots[v] = state = CreateSlots(v.Handle.Raw);
            var updated = UpdateStep(g, v.Handle.Raw, state, Iterations);
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

    /// <summary>The variable's new value from its gradient (same dtype) and state (updated in place: the array's
    /// entries are replaced); <paramref name="iterations"/> counts the steps applied before this one.</summary>
    private protected abstract Core.RawTensor UpdateStep(Core.RawTensor gradient, Core.RawTensor value, Core.RawTensor[] state, long iterations);

    /// <summary>A scalar of <paramref name="like"/>'s dtype (rounded to it, as Keras' casts do).</summary>
    private protected static Core.RawTensor Scalar(Core.RawTensor like, double value) => Core.Storage.scalar(like.DType, value);
}
