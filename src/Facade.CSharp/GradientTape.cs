namespace Nabla;

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
public sealed partial class GradientTape : IDisposable
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
    // Disposed inside StopRecording(): the end of the pause must not resume the recording.
    private bool disposedWhilePaused;

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
}
