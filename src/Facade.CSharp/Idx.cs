namespace Nabla;

/// <summary>
/// One entry of a <see cref="Tensor"/> index, as NumPy's and TensorFlow's basic slicing: an integer (which removes the
/// axis), a slice with an optional step, <see cref="NewAxis"/> or <see cref="Ellipsis"/>. C# ints, <see cref="System.Index"/>
/// (<c>^1</c>) and <see cref="System.Range"/> (<c>1..^1</c>) convert implicitly, so <c>x[1..^1, 2]</c>,
/// <c>x[TF.Ellipsis, ^1]</c> and <c>x[Idx.Slice(step: -1)]</c> read as Python's <c>x[1:-1, 2]</c>, <c>x[..., -1]</c> and
/// <c>x[::-1]</c>.
/// </summary>
/// <remarks>
/// Slices clamp to the axis as Python's do (<c>x[5..]</c> of 3 entries is empty); an integer index out of range throws an
/// <see cref="IndexOutOfRangeException"/> naming the axis, the index and the extent. <c>^0</c> as a range bound means the
/// end of the axis.
/// </remarks>
public readonly struct Idx
{
    internal enum IdxKind : byte { Index, Slice, NewAxis, Ellipsis }

    internal readonly IdxKind Kind;
    internal readonly int Start;
    internal readonly int Stop;
    internal readonly int Step;
    internal readonly bool HasStart;
    internal readonly bool HasStop;
    /// <summary>An integer index of <c>^0</c> (one past the end): always out of range.</summary>
    internal readonly bool PastEnd;

    private Idx(IdxKind kind, int start, bool hasStart, int stop, bool hasStop, int step, bool pastEnd = false)
    {
        Kind = kind; Start = start; HasStart = hasStart; Stop = stop; HasStop = hasStop; Step = step; PastEnd = pastEnd;
    }

    /// <summary>Inserts an axis of extent 1 (<c>tf.newaxis</c>; also <see cref="TF.NewAxis"/>).</summary>
    public static Idx NewAxis => new(IdxKind.NewAxis, 0, false, 0, false, 1);

    /// <summary>Stands for every axis not otherwise indexed (Python's <c>...</c>; also <see cref="TF.Ellipsis"/>); at most one per index.</summary>
    public static Idx Ellipsis => new(IdxKind.Ellipsis, 0, false, 0, false, 1);

    /// <summary>The whole axis (Python's <c>:</c>; the same as <c>..</c>).</summary>
    public static Idx All => new(IdxKind.Slice, 0, false, 0, false, 1);

    /// <summary>Python's slice <c>start:stop:step</c>: a null bound is the axis' start or end in the step's direction; negative
    /// bounds count from the end; bounds clamp to the axis. <c>Idx.Slice(step: -1)</c> reverses an axis.</summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is 0.</exception>
    public static Idx Slice(int? start = null, int? stop = null, int step = 1)
    {
        if (step == 0) throw new ArgumentException("Idx.Slice: step is 0; expected a non-zero step.", nameof(step));
        return new(IdxKind.Slice, start ?? 0, start.HasValue, stop ?? 0, stop.HasValue, step);
    }

    /// <summary>An integer index (negative counts from the end); removes the axis.</summary>
    public static implicit operator Idx(int index) => new(IdxKind.Index, index, true, 0, false, 1);

    /// <summary>An integer index; <c>^k</c> is Python's <c>-k</c>.</summary>
    public static implicit operator Idx(Index index) =>
        index.IsFromEnd ? new(IdxKind.Index, -index.Value, true, 0, false, 1, pastEnd: index.Value == 0)
                        : new(IdxKind.Index, index.Value, true, 0, false, 1);

    /// <summary>A slice with step 1: <c>a..b</c> is Python's <c>a:b</c>, <c>^k</c> is <c>-k</c>, and <c>^0</c> the end of the axis.</summary>
    public static implicit operator Idx(Range range) =>
        new(IdxKind.Slice, Bound(range.Start), true, Bound(range.End), true, 1);

    /// <summary>A range bound as a Python slice bound (<c>^0</c> is the end: int.MaxValue clamps to the extent).</summary>
    private static int Bound(Index i) => !i.IsFromEnd ? i.Value : i.Value == 0 ? int.MaxValue : -i.Value;

    /// <summary>As Python writes it (<c>1:-1:2</c>, <c>3</c>, <c>newaxis</c>, <c>...</c>).</summary>
    public override string ToString() => Kind switch
    {
        IdxKind.Index => PastEnd ? "^0" : Start.ToString(System.Globalization.CultureInfo.InvariantCulture),
        IdxKind.NewAxis => "newaxis",
        IdxKind.Ellipsis => "...",
        _ => (HasStart ? Start.ToString(System.Globalization.CultureInfo.InvariantCulture) : "") + ":"
             + (HasStop && Stop != int.MaxValue ? Stop.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")
             + (Step != 1 ? ":" + Step.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""),
    };
}
