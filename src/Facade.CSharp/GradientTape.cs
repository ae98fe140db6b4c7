namespace Nabla;

/// <summary>What <see cref="GradientTape.Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/> returns for a
/// source the target does not depend on (TensorFlow's <c>tf.UnconnectedGradients</c>).</summary>
public enum UnconnectedGradients
{
    /// <summary>Return <c>null</c>.</summary>
    None,
    /// <summary>Return zeros of the source's shape and dtype.</summary>
    Zero,
    /// <summary>Throw an <see cref="InvalidOperationException"/> that says why the gradient is missing.</summary>
    Raise,
}

/// <summary>
/// Records operations on watched tensors and variables and replays them backwards to compute gradients
/// (TensorFlow's <c>tf.GradientTape</c>). Recording starts at construction and stops at <see cref="Dispose"/>;
/// gradients may be computed after that.
/// </summary>
/// <example>
/// <code>
/// var x = TF.Constant(3.0);
/// using var tape = new GradientTape();
/// tape.Watch(x);
/// var y = x * x;
/// var dy_dx = tape.Gradient(y, x); // 6
/// </code>
/// </example>
public sealed class GradientTape : IDisposable
{
    private readonly Scope scope;
    private readonly List<Scope> owner;
    private readonly int threadId;
    private readonly List<Variable> watchedVariables = new();
    private readonly HashSet<Variable> watchedVariableSet = new(ReferenceEqualityComparer.Instance);
    private bool recording;
    private bool used;
    private bool disposed;

    /// <summary>Starts recording on the current thread.</summary>
    /// <param name="persistent">Whether more than one set of gradients may be computed.</param>
    /// <param name="watchAccessedVariables">Whether trainable variables read while recording are watched automatically.</param>
    public GradientTape(bool persistent = false, bool watchAccessedVariables = true)
    {
        Persistent = persistent;
        WatchAccessedVariables = watchAccessedVariables;
        scope = new Scope(this);
        owner = Scopes.Active;
        threadId = Environment.CurrentManagedThreadId;
        recording = true;
        Scopes.Push(scope);
    }

    /// <summary>Whether this tape can compute more than one set of gradients.</summary>
    public bool Persistent { get; }

    /// <summary>Whether trainable variables read while recording are watched automatically.</summary>
    public bool WatchAccessedVariables { get; }

    /// <summary>Watches <paramref name="tensor"/>: operations on it are recorded from now on and it can be a gradient source
    /// (<c>tape.watch</c>). Watching an integer or bool tensor is allowed; its gradient is <c>null</c>.</summary>
    public void Watch(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (scope.IsWatched(tensor)) return;
        var current = ResolveForWatch(tensor);
        if (!tensor.DType.IsFloat() || Core.Reverse.findAtLevel(scope.Tag, current) != null)
        {
            // Integer/bool tensors get no adjoint; an intermediate already on this tape is already watched.
            if (!tensor.DType.IsFloat()) scope.SetWatched(tensor, current);
            return;
        }
        scope.SetWatched(tensor, Core.Derivatives.watch(scope.Tag, current));
    }

    /// <summary>Watches a variable (its current value), whether trainable or not.</summary>
    public void Watch(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        WatchVariableCore(variable);
    }

    /// <summary>Watches each tensor of <paramref name="tensors"/>.</summary>
    public void Watch(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Watch(t);
    }

    internal void WatchVariableCore(Variable v)
    {
        Watch(v.Handle);
        lock (watchedVariables)
            if (watchedVariableSet.Add(v)) watchedVariables.Add(v);
    }

    /// <summary>The variables this tape watches, in the order they were first watched.</summary>
    public IReadOnlyList<Variable> WatchedVariables()
    {
        lock (watchedVariables) return watchedVariables.ToArray();
    }

    // The value the outer scopes give this handle right now: what the new leaf wraps, so that
    // outer tapes see through it (nested tapes).
    private Core.Tensor ResolveForWatch(Tensor h)
    {
        if (Environment.CurrentManagedThreadId == threadId) return Scopes.Resolve(h);
        return h.Value.Level == 0 ? h.Value : Core.Ops.constant(h.Raw);
    }

    /// <summary>The gradient of <paramref name="target"/> (summed over its elements, or weighted by
    /// <paramref name="outputGradients"/>) with respect to <paramref name="source"/> (<c>tape.gradient</c>).</summary>
    /// <returns>A tensor of the source's shape, or <c>null</c> when the target does not depend on the source
    /// (see <paramref name="unconnectedGradients"/>).</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape was already used, or
    /// <see cref="UnconnectedGradients.Raise"/> and the source is unconnected.</exception>
    public Tensor? Gradient(Tensor target, Tensor source, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Compute(new[] { target }, new[] { source }, new[] { outputGradients }, unconnectedGradients)[0];
    }

    /// <summary>The gradient with respect to a variable (its current value).</summary>
    public Tensor? Gradient(Tensor target, Variable source, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Compute(new[] { target }, new[] { source.Handle }, new[] { outputGradients }, unconnectedGradients)[0];
    }

    /// <summary>Gradients with respect to several sources, in their order.</summary>
    public Tensor?[] Gradient(Tensor target, IReadOnlyList<Tensor> sources, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Compute(new[] { target }, sources, new[] { outputGradients }, unconnectedGradients);
    }

    /// <summary>Gradients with respect to several variables, in their order.</summary>
    public Tensor?[] Gradient(Tensor target, IReadOnlyList<Variable> sources, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Compute(new[] { target }, sources.Select(v => v.Handle).ToArray(), new[] { outputGradients }, unconnectedGradients);
    }

    /// <summary>The sum of the gradients of several targets with respect to several sources.</summary>
    public Tensor?[] Gradient(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?>? outputGradients = null, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(sources);
        if (outputGradients != null && outputGradients.Count != targets.Count)
            throw new ArgumentException($"Gradient: {outputGradients.Count} output gradients for {targets.Count} targets; expected one per target.", nameof(outputGradients));
        return Compute(targets, sources, outputGradients ?? new Tensor?[targets.Count], unconnectedGradients);
    }

    private Core.Tensor NodeOf(Tensor h) =>
        scope.TryGetWatched(h, out var w) ? w : h.Value;

    private Tensor?[] Compute(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?> outputGradients, UnconnectedGradients unconnected)
    {
        if (used && !Persistent)
            throw new InvalidOperationException(
                "Gradient: a non-persistent GradientTape can only be used to compute one set of gradients (or jacobians); " +
                "create the tape with persistent: true to compute more.");
        for (int i = 0; i < targets.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(targets[i], nameof(targets));
            var og = outputGradients[i];
            if (og != null && !Core.Shape.equal(og.ShapeArray, targets[i].ShapeArray))
                throw new ArgumentException($"Gradient: output gradient has shape {Shapes.Format(og.ShapeArray)} but the target has shape {Shapes.Format(targets[i].ShapeArray)}; expected the same shape.", nameof(outputGradients));
        }
        foreach (var s in sources) ArgumentNullException.ThrowIfNull(s, nameof(sources));

        var sourceNodes = new Core.Tensor?[sources.Count];
        var wanted = new HashSet<long>();
        for (int i = 0; i < sources.Count; i++)
        {
            if (!sources[i].DType.IsFloat()) continue;
            var found = Core.Reverse.findAtLevel(scope.Tag, NodeOf(sources[i]));
            if (found != null)
            {
                sourceNodes[i] = found.Value;
                wanted.Add(NodeId(found.Value));
            }
        }

        var sums = new Core.Tensor?[sources.Count];
        for (int t = 0; t < targets.Count; t++)
        {
            var root = Core.Reverse.findAtLevel(scope.Tag, NodeOf(targets[t]));
            if (root == null || wanted.Count == 0) continue;
            var og = outputGradients[t];
            var seed = og != null
                ? Core.Ops.cast(targets[t].Value.DType, Scopes.Resolve(og))
                : Core.Ops.constant(Core.Raw.ones(targets[t].Value.DType, targets[t].ShapeArray));
            var adj = Core.Reverse.sweep(scope.Tag, root.Value, seed, wanted);
            for (int i = 0; i < sources.Count; i++)
            {
                if (sourceNodes[i] is { } node && adj.TryGetValue(NodeId(node), out var g))
                    sums[i] = sums[i] is { } prev ? Core.Ops.add(prev, g) : g;
            }
        }

        var result = new Tensor?[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            if (sums[i] is { } g)
                result[i] = new Tensor(Scopes.Strip(Core.Ops.cast(sources[i].Value.DType, g)));
            else
                result[i] = unconnected switch
                {
                    UnconnectedGradients.Zero => new Tensor(Core.Ops.constant(Core.Raw.zeros(sources[i].Value.DType, sources[i].ShapeArray))),
                    UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected(sources[i], sourceNodes[i] != null)),
                    _ => null,
                };
        }
        if (!Persistent)
        {
            used = true;
            scope.ClearWatched(); // the tape keeps no reference to the recorded computation
        }
        return result;
    }

    private static long NodeId(Core.Tensor node) => Core.Reverse.nodeIdOf(node);

    private string WhyUnconnected(Tensor source, bool onTape)
    {
        if (!source.DType.IsFloat())
            return $"Gradient: the source has dtype {source.DType}, which is not differentiable; only Float32 and Float64 sources get gradients (use TF.Cast).";
        if (!onTape)
            return "Gradient: the source was never watched by this tape and was not computed from a watched tensor while it recorded; " +
                   "call tape.Watch(source) before using it (trainable variables are watched when read).";
        return "Gradient: the target does not depend on the source through operations recorded on this tape " +
               "(the path may be cut by TF.StopGradient, by StopRecording, by a value read out with ToDouble/ToArray and fed back in, " +
               "or the target was computed outside the recording).";
    }

    /// <summary>Stops recording (the end of the <c>using</c> block). Gradients can still be computed afterwards.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        recording = false;
        lock (owner) owner.Remove(scope);
    }

    internal bool IsRecording => recording;

    /// <summary>How many watched values the tape still holds (0 once a non-persistent tape has been used).</summary>
    internal int HeldWatchCount => scope.WatchedCount;
}
