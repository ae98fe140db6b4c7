namespace Nabla;

// GradientTape: watching tensors and variables, and the recorded nodes that stand for a gradient source.
public sealed partial class GradientTape
{
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
        if (!tensor.DType.IsFloat() || Core.Tape.nodeAt(scope.Tag, current) != null)
        {
            // Integer/bool tensors get no adjoint; an intermediate already on this tape is already watched.
            if (!tensor.DType.IsFloat()) scope.SetWatched(tensor, current);
            return;
        }
        if (Environment.CurrentManagedThreadId != threadId)
        {
            scope.SetWatched(tensor, Core.Tape.watch(scope.Tag, current));
            return;
        }
        // The leaf wraps what the scopes older than this tape give the tensor; scopes newer than it (inner tapes,
        // accumulators) that already watch it are rebuilt on top of the leaf, so every perturbation stays outside
        // the older ones (an outer tape watching late still sees the operations).
        var leaf = Core.Tape.watch(scope.Tag, Scopes.ResolveBelow(tensor, scope.Tag));
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
    private Core.Tensor[] SourceNodes(Tensor source)
    {
        if (!source.DType.IsFloat()) return Array.Empty<Core.Tensor>();
        Tensor[]? handles = null;
        if (Variable.OwnerOf(source) is { } v)
            lock (watchedVariables)
                if (variableHandles.TryGetValue(v, out var list)) handles = list.ToArray();
        var values = new List<Core.Tensor>(1);
        foreach (var h in handles ?? new[] { source }) values.Add(NodeOf(h));
        if (handles != null && !Array.Exists(handles, h => ReferenceEquals(h, source))) values.Add(NodeOf(source));
        return Core.Tape.nodesAt(scope.Tag, values.ToArray());
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
        return Core.Tape.plain(h.Value);
    }

    private Core.Tensor NodeOf(Tensor h) =>
        scope.TryGetWatched(h, out var w) ? w : h.Value;
}
