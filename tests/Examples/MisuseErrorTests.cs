using Nabla;
using Nabla.Optimizers;
using Xunit;

namespace Nabla.Examples;

/// <summary>One test per misuse: the exception type and the words of its message (TensorFlow's where it has one), and
/// the reason UnconnectedGradients.Raise gives for each way a gradient goes missing.</summary>
public class MisuseErrorTests
{
    // ---------------------------------------------------------------- tape state

    [Fact]
    public void ReenteringAnActiveTape_Throws()
    {
        using var tape = new GradientTape();
        var e = Assert.Throws<InvalidOperationException>(() => tape.Resume());
        Assert.Contains("Tape is still recording, This can happen if you try to re-enter an already-active tape.", e.Message);
    }

    [Fact]
    public void Resume_ReentersAStoppedPersistentTape()
    {
        var x = TF.Constant(2.0);
        var tape = new GradientTape(persistent: true);
        Tensor y, z;
        using (tape) { tape.Watch(x); y = x * x; }
        var notRecorded = x * x;
        using (tape.Resume()) z = y * x;
        Assert.Equal(12.0, tape.Gradient(z, x)!.ToDouble());
        Assert.Null(tape.Gradient(notRecorded, x));
    }

    [Fact]
    public void StoppingATapeThatIsNotRecording_Throws()
    {
        var tape = new GradientTape();
        tape.Dispose();
        var e = Assert.Throws<InvalidOperationException>(() => tape.StopRecording());
        Assert.Contains("Tape is not recording", e.Message);
        Assert.Contains("Trying to stop recording a tape which is not recording", e.Message);
    }

    [Fact]
    public void StoppingATapeTwice_Throws_AndTheOuterStopStillRestores()
    {
        var x = TF.Constant(2.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        using (tape.StopRecording())
        {
            var e = Assert.Throws<InvalidOperationException>(() => tape.StopRecording());
            Assert.Contains("Tape is not recording", e.Message);
        }
        var y = x * x;
        Assert.Equal(4.0, tape.Gradient(y, x)!.ToDouble());
    }

    [Fact]
    public void ResetOfATapeThatIsNotRecording_Throws()
    {
        var tape = new GradientTape();
        tape.Dispose();
        var e = Assert.Throws<InvalidOperationException>(() => tape.Reset());
        Assert.Contains("Tape is not recording", e.Message);
    }

    [Fact]
    public void NonPersistentTape_SecondJacobian_Throws()
    {
        var x = TF.Constant(new[] { 1.0, 2.0 });
        var tape = new GradientTape();
        Tensor y;
        using (tape) { tape.Watch(x); y = x * x; }
        Assert.Equal(new[] { 2.0, 0, 0, 4 }, tape.Jacobian(y, x)!.ToArray<double>()); // diag(2x)
        var e = Assert.Throws<InvalidOperationException>(() => tape.Jacobian(y, x));
        Assert.Contains("non-persistent GradientTape can only be used to compute one set of gradients", e.Message);
    }

    [Fact]
    public void BatchJacobian_FirstDimensionsDiffer_Throws()
    {
        var x = TF.Ones(new[] { 8, 5 });
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = TF.Ones(new[] { 7, 6 }) * TF.ReduceSum(x);
        var e = Assert.Throws<ArgumentException>(() => tape.BatchJacobian(y, x));
        Assert.Contains("Need first dimension of target shape ([7, 6]) and source shape ([8, 5]) to match.", e.Message);
    }

    [Fact]
    public void BatchJacobian_RankBelowTwo_Throws()
    {
        var x = TF.Ones(new[] { 3 });
        using var tape = new GradientTape();
        tape.Watch(x);
        var e = Assert.Throws<ArgumentException>(() => tape.BatchJacobian(x * 2f, x));
        Assert.Contains("BatchJacobian", e.Message);
        Assert.Contains("[3] (rank 1); expected rank at least 2", e.Message);
    }

    // ---------------------------------------------------------------- why a gradient is missing

    private static string Why(GradientTape tape, Tensor target, Tensor source) =>
        Assert.Throws<InvalidOperationException>(() => tape.Gradient(target, source, unconnectedGradients: UnconnectedGradients.Raise)).Message;

    [Fact]
    public void Raise_NeverWatched()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        var y = x * x;
        var msg = Why(tape, y, x);
        Assert.Contains("never watched", msg);
        Assert.Contains("tape.Watch(source)", msg);
    }

    [Fact]
    public void Raise_IntegerSource_NamesTheDtype()
    {
        var x = TF.Constant(3);
        using var tape = new GradientTape();
        tape.Watch(x); // allowed
        var y = x * x;
        Assert.Null(tape.Gradient(y, x, unconnectedGradients: UnconnectedGradients.None));
        using var tape2 = new GradientTape();
        tape2.Watch(x);
        Assert.Contains("dtype Int32", Why(tape2, x * x, x));
    }

    [Fact]
    public void Raise_CutByStopGradient()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = TF.StopGradient(x * x) * 2.0;
        Assert.Contains("cut by TF.StopGradient", Why(tape, y, x));
    }

    [Fact]
    public void Raise_CutByStopRecording()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        Tensor y;
        using (tape.StopRecording()) y = x * x;
        var msg = Why(tape, y, x);
        Assert.Contains("inside StopRecording()", msg);
    }

    [Fact]
    public void Raise_CutByStopRecording_WhenUsedAfterTheBlock()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        Tensor u;
        using (tape.StopRecording()) u = x * x;
        var y = u * 2.0;
        Assert.Contains("cut by StopRecording()", Why(tape, y, x));
    }

    [Fact]
    public void Raise_ComputedAfterTheRecordingEnded()
    {
        var x = TF.Constant(3.0);
        var tape = new GradientTape();
        using (tape) tape.Watch(x);
        var y = x * x;
        var msg = Why(tape, y, x);
        Assert.Contains("outside the recording", msg);
        Assert.Contains("after Dispose", msg);
    }

    [Fact]
    public void Raise_ComputedBeforeTheTapeStarted()
    {
        var x = TF.Constant(3.0);
        var y = x * x;
        using var tape = new GradientTape();
        tape.Watch(x);
        var msg = Why(tape, y, x);
        Assert.Contains("outside the recording", msg);
        Assert.Contains("before this tape started recording", msg);
    }

    [Fact]
    public void Raise_ValueReadOutAndFedBack()
    {
        var x = TF.Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var square = (x * x).ToDouble();
        var y = TF.Constant(square) * 2.0;
        Assert.Contains("read out with ToDouble/ToArray and fed back", Why(tape, y, x));
    }

    [Fact]
    public void Raise_ForAJacobianToo()
    {
        var x = TF.Constant(new[] { 1.0, 2.0 });
        using var tape = new GradientTape();
        var y = x * x;
        var e = Assert.Throws<InvalidOperationException>(() => tape.Jacobian(y, x, UnconnectedGradients.Raise));
        Assert.StartsWith("Jacobian:", e.Message);
        Assert.Contains("watch", e.Message);
    }

    // ---------------------------------------------------------------- forward mode, transforms, custom gradients

    [Fact]
    public void ForwardAccumulator_TangentShapeMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new ForwardAccumulator(TF.Constant(new[] { 1.0, 2.0 }), TF.Constant(new[] { 1.0, 2.0, 3.0 })));
        Assert.Contains("tangent 0 has shape [3] but its primal has shape [2]", e.Message);
        Assert.Equal(0, Scopes.ActiveCount); // nothing half-applied
    }

    [Fact]
    public void ForwardAccumulator_IntegerPrimal_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new ForwardAccumulator(TF.Constant(1), TF.Constant(1)));
        Assert.Contains("dtype Int32", e.Message);
    }

    [Fact]
    public void Autodiff_IntegerInput_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Autodiff.Grad(x => x * x)(TF.Constant(2)));
        Assert.Contains("Grad: cannot differentiate with respect to a Int32 tensor", e.Message);
    }

    [Fact]
    public void Autodiff_JvpTangentShapeMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Autodiff.Jvp(x => x, TF.Constant(new[] { 1.0 }), TF.Constant(new[] { 1.0, 2.0 })));
        Assert.Contains("Jvp: tangent has shape [2]; expected [1]", e.Message);
    }

    [Fact]
    public void CustomGradient_GradientOfTheWrongShape_Throws()
    {
        var f = TF.CustomGradient(x => (TF.ReduceSum(x), up => up)); // should broadcast up to x's shape
        var x0 = TF.Constant(new[] { 1.0, 2.0 });
        using var tape = new GradientTape();
        tape.Watch(x0);
        var y = f(x0);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x0));
        Assert.Contains("CustomGradient: the gradient for input 0 has shape [] but the input has shape [2]", e.Message);
    }

    [Fact]
    public void CustomGradient_WrongNumberOfGradients_Throws()
    {
        var f = TF.CustomGradient(xs => (xs[0] * xs[1], up => new[] { up }));
        var a = TF.Constant(1.0);
        var b = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(a);
        var y = f(new[] { a, b });
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, a));
        Assert.Contains("returned 1 gradients for 2 inputs", e.Message);
    }

    [Fact]
    public void CheckGradients_BadOrder_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Autodiff.CheckGradients(x => x, TF.Constant(1.0), order: 0));
        Assert.Contains("order 0", e.Message);
    }

    // ---------------------------------------------------------------- optimizers

    [Fact]
    public void Optimizer_NoGradientAtAll_Throws()
    {
        var v = new Variable(1.0);
        var e = Assert.Throws<ArgumentException>(() => new SGD().ApplyGradients(new (Tensor?, Variable)[] { (null, v) }));
        Assert.Contains("No gradients provided for any variable.", e.Message);
    }

    [Fact]
    public void Optimizer_GradientShapeMismatch_Throws_BeforeChangingAnyVariable()
    {
        var a = new Variable(TF.Constant(new[] { 1.0, 2.0 }), name: "a");
        var b = new Variable(TF.Constant(new[] { 1.0, 2.0 }), name: "b");
        var opt = new Adam();
        var e = Assert.Throws<ArgumentException>(() => opt.ApplyGradients(new (Tensor?, Variable)[]
        {
            (TF.Constant(new[] { 1.0, 1.0 }), a), (TF.Constant(new[] { 1.0, 1.0, 1.0 }), b),
        }));
        Assert.Contains("the gradient for variable 'b' has shape [3] but the variable has shape [2]", e.Message);
        Assert.Equal(new[] { 1.0, 2.0 }, a.ToArray<double>());
        Assert.Equal(0, opt.Iterations);
    }

    [Fact]
    public void SGD_MomentumOutOfRange_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new SGD(momentum: 1.5));
        Assert.Contains("`momentum` must be a float between [0, 1]", e.Message);
    }
}
