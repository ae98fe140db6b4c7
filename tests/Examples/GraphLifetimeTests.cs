using System.Runtime.CompilerServices;
using Nabla;
using Nabla.Optimizers;
using Xunit;

namespace Nabla.Examples;

/// <summary>Memory is measured process-wide (<c>GC.GetTotalMemory</c>), so these tests run alone: a test of another
/// class running at the same moment would count its live tensors here.</summary>
[CollectionDefinition("Process memory", DisableParallelization = true)]
public class ProcessMemoryCollection { }

/// <summary>
/// A kept result holds its value, not the recorded graph, once the tape is done with it (a non-persistent tape after
/// its gradient; a persistent tape once disposed and unreachable), as a kept TensorFlow tensor holds only its value.
/// A tape the program can no longer reach stops recording.
/// It runs alone, in the "Process memory" collection.
/// </summary>
[Collection("Process memory")]
public class GraphLifetimeTests
{
    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    // One training-like step; returns the loss (kept by the caller) and a weak reference to a large intermediate's
    // storage, which only the recorded graph can reach.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Tensor Loss, WeakReference Hidden) Step(Variable w, Tensor x, bool persistent, bool dispose, Action<GradientTape>? keep = null)
    {
        var tape = new GradientTape(persistent);
        var hidden = TF.Tanh(TF.MatMul(x, w));
        var loss = TF.ReduceMean(TF.Square(hidden));
        var weak = new WeakReference(hidden.Value.Raw.Data);
        var g = tape.Gradient(loss, w)!;
        Assert.Equal(w.Shape, g.Shape);
        if (dispose) tape.Dispose();
        keep?.Invoke(tape);
        return (loss, weak);
    }

    private static (Variable W, Tensor X) Model()
    {
        var w = new Variable(TF.RandomNormal(new[] { 64, 64 }, seed: 1));
        var x = TF.RandomNormal(new[] { 32, 64 }, seed: 2);
        return (w, x);
    }

    [Fact]
    public void NonPersistentTape_KeptLoss_DoesNotHoldTheGraph()
    {
        var (w, x) = Model();
        var (loss, hidden) = Step(w, x, persistent: false, dispose: true);
        Collect();
        Assert.False(hidden.IsAlive, "the kept loss still reaches an intermediate of the recorded graph");
        Assert.True(loss.ToDouble() > 0);
    }

    [Fact]
    public void NonPersistentTape_NeverDisposed_KeptLoss_DoesNotHoldTheGraph()
    {
        var (w, x) = Model();
        var (loss, hidden) = Step(w, x, persistent: false, dispose: false);
        Collect();
        Assert.False(hidden.IsAlive);
        GC.KeepAlive(loss);
    }

    [Fact]
    public void PersistentTape_DisposedAndUnreachable_KeptLoss_DoesNotHoldTheGraph()
    {
        var (w, x) = Model();
        var (loss, hidden) = Step(w, x, persistent: true, dispose: true);
        Collect();
        Assert.False(hidden.IsAlive, "a released persistent tape's graph is still reachable from a kept result");
        GC.KeepAlive(loss);
    }

    [Fact]
    public void PersistentTape_StillReachable_KeepsTheGraphForMoreGradients()
    {
        var (w, x) = Model();
        GradientTape? kept = null;
        var (loss, hidden) = Step(w, x, persistent: true, dispose: true, t => kept = t);
        Collect();
        Assert.True(hidden.IsAlive);
        Assert.NotNull(kept!.Gradient(loss, w)); // the graph is there as long as the tape can use it
    }

    [Fact]
    public void TrainingLoop_KeepingEveryLoss_RetainsOnlyTheLossValues()
    {
        var (w, x) = Model();
        var opt = new SGD(0.01);
        var history = new List<Tensor>();
        void Train(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                using var tape = new GradientTape();
                var loss = TF.ReduceMean(TF.Square(TF.Tanh(TF.MatMul(x, w))));
                var g = tape.Gradient(loss, w);
                opt.ApplyGradients(new[] { (g, w) });
                history.Add(loss);
            }
        }
        Train(50);
        Collect();
        long before = GC.GetTotalMemory(true);
        Train(400);
        Collect();
        long perStep = (GC.GetTotalMemory(true) - before) / 400;
        // A kept scalar loss is a handle and its value (about 110 bytes); the graph of one step holds two
        // 32 x 64 activations and the 64 x 64 weights read (about 50 KB).
        Assert.True(perStep < 400, $"{perStep} B retained per step");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakATape(Tensor x)
    {
        var tape = new GradientTape(); // never disposed, dropped
        tape.Watch(x);
    }

    [Fact]
    public void LeakedTape_StopsRecordingOnceUnreachable() => OwnThread.Run(() =>
    {
        var x = TF.Constant(2.0);
        LeakATape(x);
        Assert.NotEqual(0, (x * x).Value.Level); // recording, as long as the tape lives
        Collect();
        Assert.Equal(0, Scopes.ActiveCount);
        Assert.Equal(0, (x * x).Value.Level);
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakAnAccumulator(Tensor x) => _ = new ForwardAccumulator(x, TF.Constant(1.0));

    [Fact]
    public void LeakedAccumulator_StopsOnceUnreachable() => OwnThread.Run(() =>
    {
        var x = TF.Constant(2.0);
        LeakAnAccumulator(x);
        Assert.True((x * x).Value.IsDual);
        Collect();
        Assert.Equal(0, Scopes.ActiveCount);
        Assert.False((x * x).Value.IsDual);
    });

    [Fact]
    public void NestedTapes_InnerReleasedFirst_OuterStillDifferentiatesTheKeptResults()
    {
        var x = TF.Constant(1.5);
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor y, dy;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            y = x * x * x;
            dy = inner.Gradient(y, x)!; // releases the inner tape's graph: y keeps the outer tape's nodes only
        }
        Assert.Equal(3 * 1.5 * 1.5, dy.ToDouble(), 12);
        var g = outer.Gradient(new[] { y, dy }, new[] { x });
        Assert.Equal(3 * 1.5 * 1.5 + 6 * 1.5, g[0]!.ToDouble(), 12);
    }
}
