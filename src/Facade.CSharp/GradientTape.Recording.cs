namespace Nabla;

// GradientTape: recording control (StopRecording, Resume, Reset) and the pause/start of the scope.
public sealed partial class GradientTape
{
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
        scope = new Scope(this, Core.Tape.restartTag(scope.Tag));
        lock (watchedVariables)
        {
            watchedVariables.Clear();
            watchedVariableSet.Clear();
            variableHandles.Clear();
        }
        used = false;
    }
}
