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
/// <remarks>
/// <para>Gradients with respect to a <see cref="Variable"/> are with respect to the values read from it while the tape
/// recorded, summed over the reads (as TensorFlow): an <c>Assign</c> between a read and <c>Gradient</c> (an optimizer
/// step on a persistent tape included) changes neither the gradient nor whether there is one.</para>
/// <para>A persistent tape asked for a gradient (or a Jacobian) while it records also records that computation, so the
/// result can be differentiated again by the same tape, to any depth: <c>u_x = tape.Gradient(u, x)</c> inside the block,
/// <c>tape.Gradient(u_x, x)</c> after it (the physics-informed-network idiom; it costs a recorded backward pass).
/// A non-persistent tape stops recording when it computes its gradients, as TensorFlow's does.</para>
/// <para>Memory: the tape holds what it recorded while it can still use it. A non-persistent tape releases it when it
/// computes its gradients; a persistent one when it has been disposed and the program drops it (the garbage collector
/// finalizes it). Results the program keeps then hold only their values, not the recorded graph. A tape that is never
/// disposed records (every operation on a watched value, on its thread, adds to its graph) until the garbage collector
/// finds it unreachable; then it stops recording and releases its graph. Use <c>using</c>.</para>
/// </remarks>
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
    private Scope scope;
    private ThreadScopes holder;
    private int threadId;
    private readonly List<Variable> watchedVariables = new();
    private readonly HashSet<Variable> watchedVariableSet = new(ReferenceEqualityComparer.Instance);
    // Every value handle of each watched variable that this tape watched (each read after an Assign is a new leaf):
    // a gradient with respect to the variable sums over them, so an Assign between a read and Gradient changes
    // neither the gradient nor whether there is one (TensorFlow differentiates with respect to the values read).
    private readonly Dictionary<Variable, List<Tensor>> variableHandles = new(ReferenceEqualityComparer.Instance);
    private bool recording;
    private bool used;

    /// <summary>Starts recording on the current thread.</summary>
    /// <param name="persistent">Whether more than one set of gradients may be computed.</param>
    /// <param name="watchAccessedVariables">Whether trainable variables read while recording are watched automatically.</param>
    public GradientTape(bool persistent = false, bool watchAccessedVariables = true)
    {
        Persistent = persistent;
        WatchAccessedVariables = watchAccessedVariables;
        scope = new Scope(this);
        holder = Scopes.Local;
        threadId = Environment.CurrentManagedThreadId;
        recording = true;
        holder.Add(scope);
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
        if (Variable.OwnerOf(tensor) is { } owner) WatchVariableCore(owner, tensor); // a variable's value: the variable
        else WatchHandle(tensor);
    }

    private void WatchHandle(Tensor tensor)
    {
        if (scope.IsWatched(tensor)) return;
        var current = ResolveForWatch(tensor);
        if (!tensor.DType.IsFloat() || Core.Reverse.findAtLevel(scope.Tag, current) != null)
        {
            // Integer/bool tensors get no adjoint; an intermediate already on this tape is already watched.
            if (!tensor.DType.IsFloat()) scope.SetWatched(tensor, current);
            return;
        }
        if (Environment.CurrentManagedThreadId != threadId)
        {
            scope.SetWatched(tensor, Core.Derivatives.watch(scope.Tag, current));
            return;
        }
        // The leaf wraps what the scopes older than this tape give the tensor; scopes newer than it (inner tapes,
        // accumulators) that already watch it are rebuilt on top of the leaf, so every perturbation stays outside
        // the older ones (an outer tape watching late still sees the operations).
        var leaf = Core.Derivatives.watch(scope.Tag, Scopes.ResolveBelow(tensor, scope.Tag));
        scope.SetWatched(tensor, leaf);
        Scopes.Rewrap(tensor, scope.Tag, leaf);
    }

    /// <summary>Watches a variable (its current value), whether trainable or not.</summary>
    public void Watch(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        WatchVariableCore(variable, variable.Handle);
    }

    /// <summary>Watches each tensor of <paramref name="tensors"/>.</summary>
    public void Watch(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Watch(t);
    }

    /// <summary>Watches the variable <paramref name="v"/> through its value handle <paramref name="h"/> (the one a read
    /// returned, or its current one).</summary>
    internal void WatchVariableCore(Variable v, Tensor h)
    {
        if (scope.IsWatched(h)) return; // a variable's handle is only ever watched here, so v and h are listed already
        WatchHandle(h);
        lock (watchedVariables)
        {
            if (watchedVariableSet.Add(v)) watchedVariables.Add(v);
            if (!variableHandles.TryGetValue(v, out var handles)) variableHandles[v] = handles = new List<Tensor>(1);
            if (!handles.Contains(h)) handles.Add(h);
        }
    }

    /// <summary>The nodes of this tape that stand for <paramref name="source"/>: for a variable (or a handle of one)
    /// the leaves of every value of it this tape watched, else the source's node, if any.</summary>
    private List<Core.Tensor> SourceNodes(Tensor source)
    {
        var nodes = new List<Core.Tensor>(1);
        if (!source.DType.IsFloat()) return nodes;
        Tensor[]? handles = null;
        if (Variable.OwnerOf(source) is { } v)
            lock (watchedVariables)
                if (variableHandles.TryGetValue(v, out var list)) handles = list.ToArray();
        foreach (var h in handles ?? new[] { source })
            if (Core.Reverse.findAtLevel(scope.Tag, NodeOf(h)) is { } found && !nodes.Exists(n => n.NodeId == found.Value.NodeId))
                nodes.Add(found.Value);
        if (handles != null && !Array.Exists(handles, h => ReferenceEquals(h, source))
            && Core.Reverse.findAtLevel(scope.Tag, NodeOf(source)) is { } own && !nodes.Exists(n => n.NodeId == own.Value.NodeId))
            nodes.Add(own.Value);
        return nodes;
    }

    internal bool WatchesVariable(Variable v)
    {
        lock (watchedVariables) return watchedVariableSet.Contains(v);
    }

    /// <summary>The variables this tape watches, in the order they were first watched (<c>tape.watched_variables</c>).</summary>
    public IReadOnlyList<Variable> WatchedVariables()
    {
        lock (watchedVariables) return watchedVariables.ToArray();
    }

    // The value the outer scopes give this handle right now: what the new leaf wraps, so that
    // outer tapes see through it (nested tapes).
    private Core.Tensor ResolveForWatch(Tensor h)
    {
        if (Environment.CurrentManagedThreadId == threadId) return Scopes.Resolve(h);
        return h.Value.Level == 0 ? h.Value : Core.Combinators.constant(h.Raw);
    }

    // ------------------------------------------------------------------ recording control

    /// <summary>Suspends recording until the returned object is disposed (<c>tape.stop_recording()</c>):
    /// <c>using (tape.StopRecording()) { ...not recorded... }</c>. While stopped, this tape neither records
    /// operations nor watches the variables they read; other tapes are unaffected.</summary>
    /// <exception cref="InvalidOperationException">The tape is not recording (it was disposed, or recording is
    /// already stopped), as TensorFlow's <c>ValueError</c>.</exception>
    public IDisposable StopRecording()
    {
        if (!recording)
            throw new InvalidOperationException(
                "StopRecording: Tape is not recording. Trying to stop recording a tape which is not recording " +
                "(it was disposed, or this tape's recording is already stopped).");
        Pause(Scope.Gap.Stopped);
        Interlocked.Increment(ref scope.StopRecordings);
        return new RecordingPause(this, scope);
    }

    private sealed class RecordingPause : IDisposable
    {
        private GradientTape? tape;
        private readonly Scope scope;

        internal RecordingPause(GradientTape tape, Scope scope)
        {
            this.tape = tape;
            this.scope = scope;
        }

        public void Dispose()
        {
            var t = Interlocked.Exchange(ref tape, null);
            // Resume only the recording that was paused: not after Dispose or Reset of the tape meanwhile.
            if (t != null && !t.recording && !t.disposedWhilePaused && ReferenceEquals(t.scope, scope)) t.Start();
        }
    }

    private bool disposedWhilePaused;

    private void Pause(Scope.Gap why)
    {
        recording = false;
        var set = holder.Remove(scope);
        scope.OpenGap(set.Seq, why);
    }

    private void Start()
    {
        recording = true;
        var set = holder.Add(scope);
        scope.CloseGap(set.Seq);
    }

    /// <summary>Starts recording again on a tape whose recording ended (TensorFlow's re-entering <c>with tape:</c>):
    /// <c>using (tape.Resume()) { ... }</c> records onto the same tape, and the end of the block stops it again.
    /// A non-persistent tape that already computed its gradients starts afresh.</summary>
    /// <returns>This tape.</returns>
    /// <exception cref="InvalidOperationException">The tape is still recording.</exception>
    public GradientTape Resume()
    {
        if (recording)
            throw new InvalidOperationException(
                "Resume: Tape is still recording, This can happen if you try to re-enter an already-active tape.");
        if (used && !Persistent)
        {
            Fresh();
            GC.ReRegisterForFinalize(this);
        }
        holder = Scopes.Local;
        threadId = Environment.CurrentManagedThreadId;
        disposedWhilePaused = false;
        Start();
        return this;
    }

    /// <summary>Forgets everything recorded so far and keeps recording (<c>tape.reset()</c>), as if the tape's block
    /// were exited and a new tape entered: values computed before are constants to it, nothing is watched.</summary>
    /// <exception cref="InvalidOperationException">The tape is not recording.</exception>
    public void Reset()
    {
        if (!recording)
            throw new InvalidOperationException("Reset: Tape is not recording. Reset can only be called while the tape records (inside its using block).");
        holder.Remove(scope);
        Fresh();
        holder.Add(scope);
    }

    private void Fresh()
    {
        scope.ReleaseGraph(); // what was recorded so far is a constant to the restarted tape: its results keep no graph
        // The successor of the old tag keeps the tape below the scopes created after it (inner tapes stay inner).
        scope = new Scope(this, Core.Tags.successor(scope.Tag));
        lock (watchedVariables)
        {
            watchedVariables.Clear();
            watchedVariableSet.Clear();
            variableHandles.Clear();
        }
        used = false;
    }

    /// <summary>Stops recording (the end of the <c>using</c> block). Gradients can still be computed afterwards; a
    /// persistent tape keeps its recording until the program drops it.</summary>
    public void Dispose()
    {
        if (recording) Pause(Scope.Gap.Disposed);
        else disposedWhilePaused = true; // disposed inside StopRecording(): the pause's end must not resume it
    }

    internal bool IsRecording => recording;

    /// <summary>Whether this tape records on the calling thread right now.</summary>
    private bool IsRecordingHere => recording && ReferenceEquals(Scopes.Local, holder) && holder.Current.Contains(scope);

    /// <summary>How many watched values the tape still holds (0 once a non-persistent tape has been used).</summary>
    internal int HeldWatchCount => scope.WatchedCount;

    // ------------------------------------------------------------------ gradients

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

    private void CheckUsable(string op)
    {
        if (used && !Persistent)
            throw new InvalidOperationException(
                $"{op}: a non-persistent GradientTape can only be used to compute one set of gradients (or jacobians); " +
                "create the tape with persistent: true to compute more.");
    }

    private void MarkUsed()
    {
        if (Persistent) return;
        used = true;
        // As TensorFlow, a non-persistent tape stops recording when it computes its gradients, and it releases the
        // recorded computation: it keeps no reference to it, and the results the program keeps no longer hold it.
        if (recording) Pause(Scope.Gap.Disposed); // no later Gradient can ask why: the tape is used up
        scope.ReleaseGraph();
        lock (watchedVariables) variableHandles.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>A tape the program can no longer reach stops recording (its scope leaves the thread's scope set) and
    /// releases its recorded computation. A tape that is never disposed thus records until the garbage collector
    /// finds it unreachable, and costs nothing after that.</summary>
    ~GradientTape()
    {
        try
        {
            if (recording) holder.Remove(scope);
            scope.ReleaseGraph();
        }
        catch
        {
            // a finalizer must not throw; the scope set is immutable, so nothing is left half-done
        }
    }

    private Tensor?[] Compute(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?> outputGradients, UnconnectedGradients unconnected)
    {
        CheckUsable("Gradient");
        for (int i = 0; i < targets.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(targets[i], nameof(targets));
            var og = outputGradients[i];
            if (og != null && !Core.Shape.equal(og.ShapeArray, targets[i].ShapeArray))
                throw new ArgumentException($"Gradient: output gradient has shape {Shapes.Format(og.ShapeArray)} but the target has shape {Shapes.Format(targets[i].ShapeArray)}; expected the same shape.", nameof(outputGradients));
        }
        foreach (var s in sources) ArgumentNullException.ThrowIfNull(s, nameof(sources));

        var sourceNodes = new List<Core.Tensor>[sources.Count];
        var wanted = new HashSet<long>();
        for (int i = 0; i < sources.Count; i++)
        {
            sourceNodes[i] = SourceNodes(sources[i]);
            foreach (var n in sourceNodes[i]) wanted.Add(n.NodeId);
        }
        // A persistent tape asked for gradients while it records records the computation of those gradients too
        // (TensorFlow does, with a warning about speed): u_x = tape.Gradient(u, x) inside the block can then be
        // differentiated again by the same tape, to any depth (the PINN idiom).
        bool recordSelf = Persistent && IsRecordingHere;

        var sums = new Core.Tensor?[sources.Count];
        for (int t = 0; t < targets.Count; t++)
        {
            var root = Core.Reverse.findAtLevel(scope.Tag, NodeOf(targets[t]));
            if (root == null || wanted.Count == 0) continue;
            var og = outputGradients[t];
            var seed = og != null
                ? Core.Elementwise.cast(targets[t].Value.DType, Scopes.Resolve(og))
                : Core.Combinators.constant(Core.Storage.ones(targets[t].Value.DType, targets[t].ShapeArray));
            var adj = recordSelf
                ? Core.Reverse.sweepRecorded(scope.Tag, root.Value, seed, wanted)
                : Core.Reverse.sweep(scope.Tag, root.Value, seed, wanted);
            for (int i = 0; i < sources.Count; i++)
                foreach (var node in sourceNodes[i])
                    if (adj.TryGetValue(node.NodeId, out var g))
                        sums[i] = sums[i] is { } prev ? Core.Combinators.add(prev, g) : g;
        }

        var result = new Tensor?[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            if (sums[i] is { } g)
                result[i] = new Tensor(Scopes.Strip(Core.Elementwise.cast(sources[i].Value.DType, g)));
            else
                result[i] = unconnected switch
                {
                    UnconnectedGradients.Zero => new Tensor(Core.Combinators.constant(Core.Storage.zeros(sources[i].Value.DType, sources[i].ShapeArray))),
                    UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected("Gradient", targets, sources[i], sourceNodes[i].Count > 0)),
                    _ => null,
                };
        }
        MarkUsed();
        return result;
    }

    // ------------------------------------------------------------------ Jacobians

    /// <summary>The Jacobian of <paramref name="target"/> with respect to <paramref name="source"/>, shaped
    /// <c>target.Shape ++ source.Shape</c> (<c>tape.jacobian</c>). When the target depends on the source element by
    /// element the Jacobian is diagonal and costs one backward pass; otherwise it takes one backward pass per target
    /// element or one forward pass over the recording per source element, whichever is fewer.</summary>
    /// <returns>The Jacobian, or <c>null</c> when the target does not depend on the source (see
    /// <paramref name="unconnectedGradients"/>; <see cref="UnconnectedGradients.Zero"/> gives zeros of the Jacobian's shape).</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape was already used, or
    /// <see cref="UnconnectedGradients.Raise"/> and the source is unconnected.</exception>
    public Tensor? Jacobian(Tensor target, Tensor source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None) =>
        JacobianCore("Jacobian", target, source, false, unconnectedGradients);

    /// <summary>The Jacobian with respect to a variable (its current value), shaped <c>target.Shape ++ source.Shape</c>.</summary>
    public Tensor? Jacobian(Tensor target, Variable source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return JacobianCore("Jacobian", target, source.Handle, false, unconnectedGradients);
    }

    /// <summary>Per-example Jacobians (<c>tape.batch_jacobian</c>): for a target <c>[b, y1, ...]</c> whose row i depends
    /// only on row i of a source <c>[b, x1, ...]</c>, the tensor <c>[b, y1, ..., x1, ...]</c> whose slice i is the
    /// Jacobian of target row i with respect to source row i. Costs one pass per row element of the smaller of the two
    /// (one in all when the dependence is element-wise), not one per batch row.</summary>
    /// <exception cref="ArgumentException">A rank is below 2 or the first dimensions differ.</exception>
    public Tensor? BatchJacobian(Tensor target, Tensor source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None) =>
        JacobianCore("BatchJacobian", target, source, true, unconnectedGradients);

    private Tensor? JacobianCore(string op, Tensor target, Tensor source, bool batch, UnconnectedGradients unconnected)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        var tShape = target.ShapeArray;
        var sShape = source.ShapeArray;
        if (batch)
        {
            if (tShape.Length < 2)
                throw new ArgumentException($"{op}: target has shape {Shapes.Format(tShape)} (rank {tShape.Length}); expected rank at least 2 ([batch, ...]).", nameof(target));
            if (sShape.Length < 2)
                throw new ArgumentException($"{op}: source has shape {Shapes.Format(sShape)} (rank {sShape.Length}); expected rank at least 2 ([batch, ...]).", nameof(source));
            if (tShape[0] != sShape[0])
                throw new ArgumentException($"{op}: Need first dimension of target shape ({Shapes.Format(tShape)}) and source shape ({Shapes.Format(sShape)}) to match.", nameof(source));
        }
        CheckUsable(op);
        var outShape = batch ? tShape.Concat(sShape.Skip(1)).ToArray() : tShape.Concat(sShape).ToArray();
        Core.Shape.checkedSize(op, outShape); // before any sweep: a Jacobian too large to hold is an ArgumentException
        var dtype = source.DType.IsFloat() ? source.Value.DType : target.Value.DType;

        Core.Tensor? result = null;
        var sourceNodes = new List<Core.Tensor>();
        if (source.DType.IsFloat() && target.DType.IsFloat())
        {
            sourceNodes = SourceNodes(source);
            var root = Core.Reverse.findAtLevel(scope.Tag, NodeOf(target))?.Value;
            bool recordSelf = Persistent && IsRecordingHere;
            foreach (var sourceNode in sourceNodes)
                if (root != null && Core.Reverse.dependsOn(scope.Tag, root, sourceNode.NodeId))
                {
                    var j = Core.Elementwise.cast(dtype, Core.Derivatives.recordedJacobian(scope.Tag, root, sourceNode, batch, recordSelf));
                    result = result is { } prev ? Core.Combinators.add(prev, j) : j;
                }
            if (result != null) result = Scopes.Strip(result);
        }
        Tensor? answer = result != null
            ? new Tensor(result)
            : unconnected switch
            {
                UnconnectedGradients.Zero => new Tensor(Core.Combinators.constant(Core.Storage.zeros(dtype, outShape))),
                UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected(op, new[] { target }, source, sourceNodes.Count > 0)),
                _ => null,
            };
        MarkUsed();
        return answer;
    }

    // ------------------------------------------------------------------ why a gradient is missing

    private string WhyUnconnected(string op, IReadOnlyList<Tensor> targets, Tensor source, bool onTape)
    {
        if (!source.DType.IsFloat())
            return $"{op}: the source has dtype {source.DType}, which is not differentiable; only Float32 and Float64 sources get gradients (use TF.Cast to a float dtype before the computation).";
        if (!onTape)
        {
            var msg = $"{op}: the source was never watched by this tape and was not computed from a watched tensor while it recorded; " +
                      "call tape.Watch(source) before using it (trainable variables are watched when read while the tape records).";
            if (scope.StopRecordings > 0) msg += " Variables read only inside StopRecording() are not watched.";
            return msg;
        }
        var reasons = new List<string>();
        foreach (var t in targets)
        {
            var origin = t.Origin;
            if (!t.DType.IsFloat())
                reasons.Add($"the target has dtype {t.DType}, which is not differentiable (an integer or bool result carries no gradient; compute the target in Float32 or Float64)");
            else if (origin == null)
                reasons.Add("the target was computed outside the recording: before this tape was created (values computed before a tape exists are constants to it), or on another thread, where this tape does not record");
            else if (!origin.Contains(scope))
            {
                if (origin.Seq < scope.StartSeq)
                    reasons.Add("the target was computed outside the recording: before this tape started recording (before it was created, or before Reset())");
                else
                    reasons.Add(scope.GapAt(origin.Seq) switch
                    {
                        Scope.Gap.Stopped => "the target was computed inside StopRecording(), where this tape does not record (the path is cut by StopRecording)",
                        Scope.Gap.Disposed => "the target was computed outside the recording: after this tape stopped recording (after Dispose, the end of its using block)",
                        _ => "the target was computed outside the recording, on another thread (a tape records only on the thread that created it)",
                    });
            }
        }
        if (reasons.Count == 0)
        {
            if (scope.StopGradientCuts > 0)
                reasons.Add("the path from the source is cut by TF.StopGradient, which was applied to a value recorded on this tape");
            if (scope.StopRecordings > 0)
                reasons.Add("the path may be cut by StopRecording(): values computed inside it are constants to this tape");
            if (scope.ReadOuts > 0)
                reasons.Add("the path may be cut by a value read out with ToDouble/ToArray and fed back in (e.g. TF.Constant(y.ToDouble())): plain numbers carry no gradient");
            if (reasons.Count == 0)
                reasons.Add("the target does not use the source, or uses it only through values computed outside the recording (before Watch, or after Dispose)");
        }
        return $"{op}: the target does not depend on the source through operations recorded on this tape; " +
               string.Join("; ", reasons.Distinct()) + ".";
    }
}
