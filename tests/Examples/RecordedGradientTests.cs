using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>
/// A persistent tape records its own <c>Gradient</c> while it records (TensorFlow does, warning that it costs more):
/// the physics-informed-network idiom <c>u_x = tape.Gradient(u, x)</c> inside the block, <c>tape.Gradient(u_x, x)</c>
/// after it. And <c>StopRecording</c> on an outer tape hides what an inner tape records from the outer one.
/// </summary>
public class RecordedGradientTests
{
    private static readonly double[] Xs = { -1.3, 0.5, 1.0, 2.0 };

    // u = x sin x and its derivatives
    private static double U1(double x) => Math.Sin(x) + x * Math.Cos(x);
    private static double U2(double x) => 2 * Math.Cos(x) - x * Math.Sin(x);
    private static double U3(double x) => -3 * Math.Sin(x) - x * Math.Cos(x);
    private static double U4(double x) => -4 * Math.Cos(x) + x * Math.Sin(x);

    private static void Close(Func<double, double> f, Tensor? t)
    {
        Assert.NotNull(t);
        var got = t!.ToArray<double>();
        for (int i = 0; i < Xs.Length; i++) Assert.Equal(f(Xs[i]), got[i], 10);
    }

    [Fact]
    public void PinnIdiom_GradientInsideThePersistentBlock_IsDifferentiableAfterIt()
    {
        var x = TF.Constant(Xs);
        Tensor? ux;
        using (var tape = new GradientTape(persistent: true))
        {
            tape.Watch(x);
            var u = x * TF.Sin(x);
            ux = tape.Gradient(u, x);
            Close(U1, ux);
            var uxx = tape.Gradient(ux!, x);
            Close(U2, uxx);
            // still inside: a third order, recorded too
            var uxxx = tape.Gradient(uxx!, x);
            Close(U3, uxxx);
            var after = tape; // the block's end below stops recording, gradients stay available
            Assert.NotNull(after);
        }
    }

    [Fact]
    public void PinnIdiom_AnyDepth_InsideAndAfterTheBlock()
    {
        var x = TF.Constant(Xs);
        var tape = new GradientTape(persistent: true);
        Tensor ux, uxx, uxxx;
        using (tape)
        {
            tape.Watch(x);
            var u = x * TF.Sin(x);
            ux = tape.Gradient(u, x)!;
            uxx = tape.Gradient(ux, x)!;
            uxxx = tape.Gradient(uxx, x)!;
        }
        Close(U1, ux);
        Close(U2, uxx);
        Close(U3, uxxx);
        Close(U4, tape.Gradient(uxxx, x)); // taken after the block: not recorded, but differentiable once more
        Assert.Null(tape.Gradient(tape.Gradient(uxxx, x)!, x)); // a gradient taken after Dispose is a constant to the tape
    }

    [Fact]
    public void PinnIdiom_ScalarValues_TakeTheRecordedPath()
    {
        var x = TF.Constant(0.7);
        Tensor ux;
        var tape = new GradientTape(persistent: true);
        using (tape)
        {
            tape.Watch(x);
            var u = x * x * x + TF.Exp(x) * 2.0;
            ux = tape.Gradient(u, x)!;
        }
        Assert.Equal(3 * 0.49 + 2 * Math.Exp(0.7), ux.ToDouble(), 12);
        Assert.Equal(6 * 0.7 + 2 * Math.Exp(0.7), tape.Gradient(ux, x)!.ToDouble(), 12);
    }

    [Fact]
    public void PinnIdiom_WithVariables_ResidualDifferentiatedByTheParameters()
    {
        // u(x; w) = w x^2: u_x = 2 w x; the residual's gradient with respect to w is 2 x.
        var w = new Variable(1.5);
        var x = TF.Constant(3.0);
        var tape = new GradientTape(persistent: true);
        Tensor ux;
        using (tape)
        {
            tape.Watch(x);
            var u = w * x * x;
            ux = tape.Gradient(u, x)!;
        }
        Assert.Equal(9.0, ux.ToDouble(), 12);
        Assert.Equal(6.0, tape.Gradient(ux, w)!.ToDouble(), 12);
        Assert.Equal(3.0, tape.Gradient(ux, x)!.ToDouble(), 12);
    }

    [Fact]
    public void PinnIdiom_InsideAnOuterTape_GivesTheNextOrderToo()
    {
        var x = TF.Constant(Xs);
        using var outer = new GradientTape();
        outer.Watch(x);
        Tensor uxx;
        var tape = new GradientTape(persistent: true);
        using (tape)
        {
            tape.Watch(x);
            var u = x * TF.Sin(x);
            var ux = tape.Gradient(u, x)!;
            uxx = tape.Gradient(ux, x)!;
        }
        Close(U2, uxx);
        Close(U3, outer.Gradient(uxx, x));
    }

    [Fact]
    public void PinnIdiom_UnderAForwardAccumulator_GivesTheTangentOfTheSecondDerivative()
    {
        var x = TF.Constant(Xs);
        using var acc = new ForwardAccumulator(x, TF.OnesLike(x));
        Tensor uxx;
        var tape = new GradientTape(persistent: true);
        using (tape)
        {
            tape.Watch(x);
            var u = x * TF.Sin(x);
            uxx = tape.Gradient(tape.Gradient(u, x)!, x)!;
        }
        Close(U2, uxx);
        Close(U3, acc.Jvp(uxx));
    }

    [Fact]
    public void NonPersistentTape_GradientInsideTheBlock_EndsItsRecording()
    {
        var x = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        Assert.Equal(4.0, tape.Gradient(y, x)!.ToDouble());
        var z = y * x; // TensorFlow pops a non-persistent tape when it computes its gradients
        Assert.Equal(0, z.Value.Level);
    }

    [Fact]
    public void PersistentJacobian_InsideTheBlock_IsRecorded()
    {
        var x = TF.Constant(new[] { 1.0, 2.0 });
        var tape = new GradientTape(persistent: true);
        Tensor j;
        using (tape)
        {
            tape.Watch(x);
            var y = TF.Stack(new[] { x[0] * x[1], x[0] * x[0] * x[1] });
            j = tape.Jacobian(y, x)!; // [[x1, x0], [2 x0 x1, x0^2]]
        }
        Assert.Equal(new[] { 2.0, 1.0, 4.0, 1.0 }, j.ToArray<double>());
        // d/dx of sum(J) = d/dx (x1 + x0 + 2 x0 x1 + x0^2) = [1 + 2 x1 + 2 x0, 1 + 2 x0]
        Assert.Equal(new[] { 1 + 4.0 + 2.0, 3.0 }, tape.Gradient(j, x)!.ToArray<double>());
    }

    [Fact]
    public void StopRecordingOnTheOuterTape_HidesTheInnerTapesOperationsFromIt()
    {
        var x = TF.Constant(3.0);
        using var outer = new GradientTape(persistent: true);
        outer.Watch(x);
        using var inner = new GradientTape(persistent: true);
        inner.Watch(x);
        Tensor y;
        using (outer.StopRecording())
        {
            y = x * x;
        }
        Assert.Equal(6.0, inner.Gradient(y, x)!.ToDouble());
        Assert.Null(outer.Gradient(y, x));
        var e = Assert.Throws<InvalidOperationException>(() => outer.Gradient(y, x, unconnectedGradients: UnconnectedGradients.Raise));
        Assert.Contains("StopRecording", e.Message);
        // after the pause the outer tape sees both again
        var z = x * x * x;
        Assert.Equal(27.0, outer.Gradient(z, x)!.ToDouble());
        Assert.Equal(27.0, inner.Gradient(z, x)!.ToDouble());
    }

    [Fact]
    public void StopRecordingOnTheOuterTape_InnerGradientTakenAfterwards_IsRecordedByTheOuterTape()
    {
        // TensorFlow: the inner gradient's backward operations (2 x) run while the outer tape records, so the outer tape
        // differentiates them, although it did not see the forward product.
        var x = TF.Constant(3.0);
        using var outer = new GradientTape(persistent: true);
        outer.Watch(x);
        Tensor y;
        using (var inner = new GradientTape())
        {
            inner.Watch(x);
            using (outer.StopRecording()) y = x * x;
            var dy = inner.Gradient(y, x)!;
            Assert.Equal(6.0, dy.ToDouble());
            Assert.Equal(2.0, outer.Gradient(dy, x)!.ToDouble());
        }
        Assert.Null(outer.Gradient(y, x));
    }

    [Fact]
    public void StopRecordingOnTheOuterTape_WithAnAccumulatorInside_KeepsTheTangent()
    {
        var x = TF.Constant(3.0);
        using var outer = new GradientTape();
        outer.Watch(x);
        using var acc = new ForwardAccumulator(x, TF.Constant(1.0));
        Tensor y;
        using (outer.StopRecording()) y = x * x;
        Assert.Equal(6.0, acc.Jvp(y)!.ToDouble());
        Assert.Null(outer.Gradient(y, x));
    }
}
