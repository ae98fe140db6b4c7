using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>What <see cref="UnconnectedGradients.Raise"/> says, for the cases whose messages used to mislead.</summary>
public class TapeMessageTests
{
    private static string Why(GradientTape tape, Tensor y, Tensor x) =>
        Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x, unconnectedGradients: UnconnectedGradients.Raise)).Message;

    [Fact]
    public void IntegerTarget_IsSaidToBeInteger()
    {
        var x = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = TF.Cast(x * x, DType.Int32);
        var msg = Why(tape, y, x);
        Assert.Contains("target has dtype Int32", msg);
        Assert.Contains("not differentiable", msg);
    }

    [Fact]
    public void TargetComputedBeforeTheTapeExisted_OnAThreadThatNeverHadATape_SaysSo() => OwnThread.Run(() =>
    {
        var x = TF.Constant(3.0);
        var y = x * x; // no scope has ever existed on this thread
        using var tape = new GradientTape();
        tape.Watch(x);
        var msg = Why(tape, y, x);
        Assert.Contains("before this tape was created", msg);
        Assert.DoesNotContain("no tape records", msg);
    });

    [Fact]
    public void TargetComputedAfterANonPersistentGradient_SaysTheGradientEndedTheRecording()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        _ = tape.Gradient(x * x, x);
        var y = x * x;
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x, unconnectedGradients: UnconnectedGradients.Raise));
        Assert.Contains("only be used to compute one set of gradients", e.Message);
        Assert.Contains("persistent: true", e.Message);
    }
}
