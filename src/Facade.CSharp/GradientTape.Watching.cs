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
        return h.Value.Level == 0 ? h.Value : Core.Ops.constant(h.Raw);
    }

    private Core.Tensor NodeOf(Tensor h) =>
        scope.TryGetWatched(h, out var w) ? w : h.Value;
}
