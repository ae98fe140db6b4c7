using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.FSharp.Core;

namespace Nabla;

/// <summary>
/// Something that perturbs values while it is active on a thread: a recording <see cref="GradientTape"/>
/// (reverse mode), a <see cref="ForwardAccumulator"/> (forward mode) or a transform of <see cref="Autodiff"/>.
/// Each owns one tag of the core.
/// </summary>
internal sealed class Scope
{
    internal Scope(object owner) : this(owner, Core.Tape.newTag()) { }

    /// <summary>A scope for a tag drawn elsewhere (by a core transform).</summary>
    internal Scope(object owner, long tag)
    {
        // The thread's scope set holds its scopes strongly; a scope holds its tape weakly (and its accumulator not at
        // all), so that one the program can no longer reach is collected (its finalizer then takes the scope out of
        // the set).
        if (owner is GradientTape tape)
        {
            tapeRef = new WeakReference<GradientTape>(tape);
            Registry = new NodeRegistry();
        }
        Tag = tag;
    }

    private readonly WeakReference<GradientTape>? tapeRef;

    /// <summary>The tape this scope belongs to, if it is a tape's and the tape is alive.</summary>
    internal GradientTape? Tape => tapeRef is { } r && r.TryGetTarget(out var t) ? t : null;

    internal readonly long Tag;

    /// <summary>The nodes of this (tape's) scope that handles were made for while it recorded, and the scope sets those
    /// handles were made under: what <see cref="ReleaseGraph"/> cuts loose. Null for other scopes and once released.
    /// It holds nodes (which the recorded graph holds anyway), not handles, so that handles die as young as before.</summary>
    internal NodeRegistry? Registry;

    /// <summary>Forgets the recorded computation: every node a handle was made for is cut loose from the graph in place
    /// (so a result the program keeps holds its value, not the graph), the scope sets those handles were made under drop
    /// this scope (so a kept result does not hold it either), and the watched values are dropped. Later gradients on
    /// this scope's tag find nothing.</summary>
    internal void ReleaseGraph()
    {
        var registry = Interlocked.Exchange(ref Registry, null);
        ClearWatched();
        if (registry == null) return;
        registry.ForEachNode(n => Core.Tape.cut(n));
        registry.ForEachSet(set => set.Drop(this));
    }
    // Read by every operation on a watched handle, written only by Watch and friends: lock-free reads. Made on the
    // first watch and dropped when cleared, so that a finished scope, which the handles made under it still reach
    // (Tensor.Origin), holds no table.
    private ConcurrentDictionary<Tensor, Core.Tensor>? watched;

    /// <summary>The core value this scope gave a watched handle, if it watches it.</summary>
    internal bool TryGetWatched(Tensor handle, out Core.Tensor value)
    {
        if (watched is { } w) return w.TryGetValue(handle, out value!);
        value = null!;
        return false;
    }

    internal bool IsWatched(Tensor handle) => watched is { } w && w.ContainsKey(handle);

    internal void SetWatched(Tensor handle, Core.Tensor value)
    {
        handle.EverWatched = true; // before the value is visible: Resolve skips the lookups for handles never watched
        var w = watched;
        if (w == null)
        {
            Interlocked.CompareExchange(ref watched, new ConcurrentDictionary<Tensor, Core.Tensor>(ReferenceEqualityComparer.Instance), null);
            w = watched!;
        }
        w[handle] = value;
    }

    internal int WatchedCount => watched?.Count ?? 0;

    internal void ClearWatched() => watched = null;

    // ------------------------------------------------------------------ provenance, for "why is my gradient null?"
    // Written only at rare events (scope changes, StopGradient, read-outs), never by ordinary operations.

    /// <summary>Why this scope was not active between two scope-set sequence numbers.</summary>
    internal enum Gap { Stopped, Disposed }

    private readonly List<(long From, long To, Gap Why)> gaps = new(0);

    /// <summary>The sequence number of the first scope set that held this scope (0 before it was first pushed).</summary>
    internal long StartSeq;

    internal int StopGradientCuts;
    internal int ReadOuts;
    internal int StopRecordings;

    internal void OpenGap(long seq, Gap why)
    {
        lock (gaps) gaps.Add((seq, long.MaxValue, why));
    }

    internal void CloseGap(long seq)
    {
        lock (gaps)
            if (gaps.Count > 0 && gaps[^1].To == long.MaxValue)
                gaps[^1] = (gaps[^1].From, seq, gaps[^1].Why);
    }

    /// <summary>Why a value made under the scope set numbered <paramref name="seq"/> (which did not hold this scope)
    /// was not recorded by it; <c>null</c> when the scope was active then (so the set was another thread's).</summary>
    internal Gap? GapAt(long seq)
    {
        lock (gaps)
            for (int i = gaps.Count - 1; i >= 0; i--)
                if (gaps[i].From <= seq && seq < gaps[i].To) return gaps[i].Why;
        return null;
    }
}

/// <summary>
/// The scopes active on one thread at one moment, in tag order (outermost first). Immutable: every change makes a
/// new set, so a <see cref="Tensor"/> can keep the set it was made under at the cost of one reference.
/// </summary>
internal sealed class ScopeSet
{
    private static long lastSeq;

    internal static readonly ScopeSet Empty = new(Array.Empty<Scope>());

    internal Scope[] Items;

    /// <summary>Increases with every set made on any thread: orders values against scope events.</summary>
    internal readonly long Seq;

    private ScopeSet(Scope[] items) : this(items, Interlocked.Increment(ref lastSeq)) { }

    private ScopeSet(Scope[] items, long seq)
    {
        Items = items;
        Seq = seq;
        if (items.Length > 0)
        {
            Top = items[^1];
            TopTag = Top.Tag;
        }
    }

    /// <summary>The innermost scope (null for the empty set) and its tag (0 then).</summary>
    internal Scope? Top;
    internal long TopTag;

    private ActiveTags? isActive;
    private NodeRegistrar? registrar;

    /// <summary><see cref="ContainsTag"/> as the core's predicate <c>isActive</c> (made once per set, when first needed):
    /// what the <c>Core.Tape</c> functions that take levels off a value are given, so that they allocate nothing.</summary>
    internal FSharpFunc<long, bool> IsActive => isActive ??= new ActiveTags(this);

    private sealed class ActiveTags(ScopeSet set) : FSharpFunc<long, bool>
    {
        public override bool Invoke(long tag) => set.ContainsTag(tag);
    }

    /// <summary>Registers a node of a value made under this set with the tape of its tag (see <see cref="Register"/>).</summary>
    private sealed class NodeRegistrar(ScopeSet set) : OptimizedClosures.FSharpFunc<long, Core.Tensor, Unit>
    {
        public override Unit Invoke(long tag, Core.Tensor node)
        {
            var items = set.Items;
            for (int i = items.Length - 1; i >= 0; i--)
                if (items[i].Tag == tag) { items[i].Registry?.Add(node, set); break; }
            return null!;
        }
    }

    /// <summary>Takes a scope that has released its graph out of this set, which only serves as the provenance of values
    /// made under it by now (a released scope is never in a thread's current set): those values then no longer hold the
    /// scope. The set keeps its sequence number, so the other scopes' answers about those values are unchanged.</summary>
    internal void Drop(Scope s)
    {
        var items = Items;
        int i = Array.IndexOf(items, s);
        if (i < 0) return;
        var rest = new Scope[items.Length - 1];
        Array.Copy(items, 0, rest, 0, i);
        Array.Copy(items, i + 1, rest, i, items.Length - i - 1);
        Items = rest;
        Top = rest.Length > 0 ? rest[^1] : null;
        TopTag = Top?.Tag ?? 0;
    }

    /// <summary>Registers the nodes a new handle's value carries (made under this set) with their tapes.</summary>
    internal void Register(Core.Tensor value) => Core.Tape.iterNodes(registrar ??= new NodeRegistrar(this), value);

    internal bool Contains(Scope s) => Array.IndexOf(Items, s) >= 0;

    internal bool ContainsTag(long tag)
    {
        var items = Items;
        for (int i = items.Length - 1; i >= 0; i--)
            if (items[i].Tag == tag) return true;
        return false;
    }

    internal ScopeSet With(Scope s)
    {
        int at = Items.Length;
        while (at > 0 && Items[at - 1].Tag > s.Tag) at--;
        var items = new Scope[Items.Length + 1];
        Array.Copy(Items, 0, items, 0, at);
        items[at] = s;
        Array.Copy(Items, at, items, at + 1, Items.Length - at);
        return new ScopeSet(items);
    }

    internal ScopeSet Without(Scope s)
    {
        int i = Array.IndexOf(Items, s);
        if (i < 0) return this;
        if (Items.Length == 1) return new ScopeSet(Array.Empty<Scope>());
        var items = new Scope[Items.Length - 1];
        Array.Copy(Items, 0, items, 0, i);
        Array.Copy(Items, i + 1, items, i, Items.Length - i - 1);
        return new ScopeSet(items);
    }
}

/// <summary>One thread's current <see cref="ScopeSet"/>. A tape keeps the holder of the thread that created it, so
/// that disposing it from another thread (after an <c>await</c>) still ends its recording where it recorded.</summary>
internal sealed class ThreadScopes
{
    internal volatile ScopeSet Current = ScopeSet.Empty;

    internal ScopeSet Add(Scope s)
    {
        lock (this)
        {
            var next = Current.With(s);
            Current = next;
            if (s.StartSeq == 0) s.StartSeq = next.Seq;
            return next;
        }
    }

    internal ScopeSet Remove(Scope s)
    {
        lock (this) return Current = Current.Without(s);
    }
}

/// <summary>
/// The scopes active on the current thread, and the one place where a handle is turned into the core value an
/// operation sees.
/// </summary>
internal static class Scopes
{
    [ThreadStatic] private static ThreadScopes? local;

    /// <summary>The current thread's holder (created on first use).</summary>
    internal static ThreadScopes Local => local ??= new ThreadScopes();

    /// <summary>The set a new handle is made under (<c>null</c> on a thread that never had a scope).</summary>
    internal static ScopeSet? CurrentSet
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => local?.Current;
    }

    internal static int ActiveCount => local?.Current.Items.Length ?? 0;

    /// <summary>The value a new handle made under <paramref name="set"/> holds: <paramref name="v"/> without the
    /// perturbations of scopes that are not active there, at any depth (an inner tape's value computed while an outer
    /// tape's recording is stopped carries none of the outer tape's nodes below its own).</summary>
    internal static Core.Tensor Settle(Core.Tensor v, ScopeSet? set) =>
        set == null || set.Items.Length == 0 ? Core.Tape.plain(v) : Core.Tape.strip(set.IsActive, v);

    /// <summary>Drops the outer perturbations of scopes that are not active on this thread.</summary>
    internal static Core.Tensor Strip(Core.Tensor v)
    {
        var set = local?.Current;
        return set == null ? Core.Tape.plain(v) : Core.Tape.peel(set.IsActive, v);
    }

    /// <summary>
    /// The core value an operation on this thread sees for a handle: the value given to it by the
    /// innermost active scope that watches it, else its own value; perturbations of inactive scopes removed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Core.Tensor Resolve(Tensor h)
    {
        var v = h.Value;
        var l = local;
        if (l == null) return Core.Tape.plain(v);
        var set = l.Current;
        if (set.Items.Length == 0) return Core.Tape.plain(v);
        return ResolveSlow(h, v, set);
    }

    private static Core.Tensor ResolveSlow(Tensor h, Core.Tensor v, ScopeSet set)
    {
        if (h.EverWatched)
        {
            var items = set.Items;
            for (int i = items.Length - 1; i >= 0; i--)
                if (items[i].TryGetWatched(h, out var w)) { v = w; break; }
        }
        return Core.Tape.peel(set.IsActive, v);
    }

    /// <summary>What the active scopes older than <paramref name="tag"/> give a handle: the value a new leaf of that
    /// tag wraps (perturbations of newer or inactive scopes removed).</summary>
    internal static Core.Tensor ResolveBelow(Tensor h, long tag)
    {
        var v = h.Value;
        var set = local?.Current;
        if (set == null || set.Items.Length == 0) return Core.Tape.plain(v);
        var items = set.Items;
        for (int i = items.Length - 1; i >= 0; i--)
            if (items[i].Tag < tag && items[i].TryGetWatched(h, out var w)) { v = w; break; }
        return Core.Tape.peelBelow(tag, set.IsActive, v);
    }

    /// <summary>After the scope of <paramref name="tag"/> gave a handle the value <paramref name="leaf"/>, rebuilds the
    /// values of the newer active scopes that already watch the handle on top of it (same tags, tangents and node ids,
    /// so what they recorded before still meets what they record after).</summary>
    internal static void Rewrap(Tensor h, long tag, Core.Tensor leaf)
    {
        var set = local?.Current;
        if (set == null) return;
        var below = leaf;
        foreach (var s in set.Items)
        {
            if (s.Tag <= tag || !s.TryGetWatched(h, out var w) || Core.Tape.rewrap(s.Tag, below, w) is not { } rebuilt) continue;
            s.SetWatched(h, rebuilt.Value);
            below = rebuilt.Value;
        }
    }

    /// <summary>Auto-watch: a trainable variable read while tapes record is watched by each of them.</summary>
    internal static void OnVariableRead(Variable v, Tensor h)
    {
        var l = local;
        if (l == null) return;
        foreach (var s in l.Current.Items)
            if (s.Tape is { } t && ((t.WatchAccessedVariables && v.Trainable) || t.WatchesVariable(v)))
                t.WatchVariableCore(v, h); // also re-watches a variable watched before an Assign gave it a new value
    }

    /// <summary>Tapes that watch a variable watch its new value after an <c>Assign</c>.</summary>
    internal static void OnVariableAssigned(Variable v)
    {
        var l = local;
        if (l == null) return;
        foreach (var s in l.Current.Items)
            if (s.Tape is { } t && t.WatchesVariable(v)) t.WatchVariableCore(v, v.Handle);
    }

    /// <summary>The active scopes whose perturbation <paramref name="v"/> carries or that watch <paramref name="h"/>.</summary>
    private static IEnumerable<Scope> ScopesSeeing(Tensor h, Core.Tensor v)
    {
        var l = local;
        if (l == null) yield break;
        foreach (var s in l.Current.Items)
            if (s.IsWatched(h) || Core.Tape.carries(s.Tag, v)) yield return s;
    }

    /// <summary>Notes that a value some active scope differentiates was read out as plain numbers
    /// (<c>ToDouble</c>/<c>ToArray</c>): a gradient through numbers fed back in is cut there.</summary>
    internal static void NoteReadOut(Tensor h)
    {
        var l = local;
        if (l == null || l.Current.Items.Length == 0) return;
        foreach (var s in ScopesSeeing(h, h.Value)) Interlocked.Increment(ref s.ReadOuts);
    }

    /// <summary>Notes that <c>TF.StopGradient</c> cut a value some active scope differentiates.</summary>
    internal static void NoteStopGradient(Tensor h, Core.Tensor resolved)
    {
        foreach (var s in ScopesSeeing(h, resolved)) Interlocked.Increment(ref s.StopGradientCuts);
    }

    /// <summary>Makes every perturbation tag carried by <paramref name="values"/> that is not active on this thread
    /// active while user code runs (a core transform's fresh tag, so that ops inside the user's function do not
    /// strip it); dispose to deactivate them again.</summary>
    internal static TagActivation Activate(params Core.Tensor[] values)
    {
        List<Scope>? pushed = null;
        var holder = Local;
        foreach (var tag in Core.Tape.inactiveTags(holder.Current.IsActive, values))
        {
            var s = new Scope(typeof(Autodiff), tag);
            holder.Add(s);
            (pushed ??= new List<Scope>()).Add(s);
        }
        return new TagActivation(holder, pushed);
    }

    internal readonly struct TagActivation : IDisposable
    {
        private readonly ThreadScopes holder;
        private readonly List<Scope>? pushed;

        internal TagActivation(ThreadScopes holder, List<Scope>? pushed)
        {
            this.holder = holder;
            this.pushed = pushed;
        }

        public void Dispose()
        {
            if (pushed == null) return;
            for (int i = pushed.Count - 1; i >= 0; i--) holder.Remove(pushed[i]);
        }
    }
}

/// <summary>What a tape's scope registered while it recorded (see <see cref="Scope.ReleaseGraph"/>): the node of each
/// handle made for its values, in chunks that grow from 16 to 1024 entries (8 bytes a node), and the distinct scope sets
/// those handles were made under (one or a few per recording). Appended by the recording thread without a lock.</summary>
internal sealed class NodeRegistry
{
    private sealed class Chunk
    {
        internal Chunk(int size, Chunk? next)
        {
            Items = new Core.Tensor[size];
            Next = next;
        }

        internal readonly Core.Tensor[] Items;
        internal int Count;
        internal readonly Chunk? Next;
    }

    private Chunk head = new(16, null);
    private readonly List<ScopeSet> sets = new(1);
    private ScopeSet? lastSet;

    internal void Add(Core.Tensor node, ScopeSet set)
    {
        var c = head;
        if (c.Count == c.Items.Length) head = c = new Chunk(Math.Min(1024, 2 * c.Items.Length), c);
        c.Items[c.Count] = node;
        c.Count++;
        if (!ReferenceEquals(set, lastSet))
        {
            lastSet = set;
            if (!sets.Contains(set)) sets.Add(set);
        }
    }

    internal void ForEachNode(Action<Core.Tensor> action)
    {
        for (var c = head; c != null; c = c.Next)
        {
            int n = Math.Min(c.Count, c.Items.Length);
            for (int i = 0; i < n; i++)
                if (c.Items[i] is { } node) action(node);
        }
    }

    internal void ForEachSet(Action<ScopeSet> action)
    {
        foreach (var s in sets.ToArray()) action(s);
    }
}
