using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>
/// Something that perturbs values while it is active on a thread: a recording <see cref="GradientTape"/>
/// (reverse mode) or a <c>ForwardAccumulator</c> (forward mode). Each owns one tag of the core.
/// </summary>
internal sealed class Scope
{
    internal Scope(object owner) { Owner = owner; }

    /// <summary>The GradientTape or ForwardAccumulator this scope belongs to.</summary>
    internal readonly object Owner;
    internal readonly long Tag = Core.Tags.next();
    private readonly Dictionary<Tensor, Core.Tensor> watched = new(ReferenceEqualityComparer.Instance);

    /// <summary>The core value this scope gave a watched handle, if it watches it.</summary>
    internal bool TryGetWatched(Tensor handle, out Core.Tensor value)
    {
        lock (watched) return watched.TryGetValue(handle, out value!);
    }

    internal bool IsWatched(Tensor handle)
    {
        lock (watched) return watched.ContainsKey(handle);
    }

    internal void SetWatched(Tensor handle, Core.Tensor value)
    {
        lock (watched) watched[handle] = value;
    }

    internal int WatchedCount
    {
        get { lock (watched) return watched.Count; }
    }

    internal void ClearWatched()
    {
        lock (watched) watched.Clear();
    }
}

/// <summary>
/// The scopes active on the current thread, in creation (tag) order, and the one place where a
/// handle is turned into the core value an operation sees.
/// </summary>
internal static class Scopes
{
    [ThreadStatic] private static List<Scope>? active;

    internal static List<Scope> Active => active ??= new List<Scope>();

    internal static int ActiveCount => active?.Count ?? 0;

    internal static void Push(Scope s) => Active.Add(s);

    internal static bool Remove(List<Scope> owner, Scope s) => owner.Remove(s);

    internal static bool IsActiveTag(long tag)
    {
        var list = active;
        if (list == null) return false;
        for (int i = list.Count - 1; i >= 0; i--)
            if (list[i].Tag == tag) return true;
        return false;
    }

    /// <summary>Drops the outer perturbations of scopes that are not active on this thread.</summary>
    internal static Core.Tensor Strip(Core.Tensor v)
    {
        while (v.Level != 0 && !IsActiveTag(v.Level)) v = v.Primal;
        return v;
    }

    /// <summary>
    /// The core value an operation on this thread sees for a handle: the value given to it by the
    /// innermost active scope that watches it, else its own value; perturbations of inactive scopes removed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Core.Tensor Resolve(Tensor h)
    {
        var list = active;
        var v = h.Value;
        if (list == null || list.Count == 0)
            return v.Level == 0 ? v : Core.Ops.constant(v.Raw);
        for (int i = list.Count - 1; i >= 0; i--)
            if (list[i].TryGetWatched(h, out var w)) { v = w; break; }
        return Strip(v);
    }

    /// <summary>Auto-watch: a trainable variable read while tapes record is watched by each of them.</summary>
    internal static void OnVariableRead(Variable v)
    {
        var list = active;
        if (list == null || list.Count == 0 || !v.Trainable) return;
        for (int i = 0; i < list.Count; i++)
            if (list[i].Owner is GradientTape t && t.WatchAccessedVariables) t.WatchVariableCore(v);
    }
}
