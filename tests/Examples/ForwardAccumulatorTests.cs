using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>ForwardAccumulator (tf.autodiff.ForwardAccumulator): TensorFlow's documented examples and its nesting with
/// tapes and with itself.</summary>
public class ForwardAccumulatorTests
{
    [Fact]
    public void Jvp_OfAPolynomial()
    {
        var x = TF.Constant(2.0);
        using var acc = new ForwardAccumulator(x, TF.Constant(1.0));
        var y = x * x * x;
        Assert.Equal(12.0, acc.Jvp(y)!.ToDouble());
        Assert.Equal(1.0, acc.Jvp(x)!.ToDouble()); // the primal's own tangent
    }

    [Fact]
    public void ForwardOverReverse_HessianVectorProduct_TensorFlowsExample()
    {
        var v = new Variable(TF.Constant(new[] { 1f, 2f }));
        Tensor backward;
        var acc = new ForwardAccumulator(v, TF.Constant(new[] { 1f, 0f }));
        using (acc)
        {
            var tape = new GradientTape();
            Tensor y;
            using (tape) y = TF.ReduceSum(TF.Pow(v, 3f));
            backward = tape.Gradient(y, v)!;
        }
        Assert.Equal(new[] { 3f, 12f }, backward.ToArray<float>()); // gradient from backprop
        Assert.Equal(new[] { 6f, 0f }, acc.Jvp(backward)!.ToArray<float>()); // forward-over-backward HVP
    }

    [Fact]
    public void Jvp_OfALoss_AlongAKernelDirection_TensorFlowsDenseExample()
    {
        var x = TF.Constant(new[,] { { 2.0, 3.0 }, { 1.0, 4.0 } });
        var targets = TF.Constant(new[,] { { 1.0 }, { -1.0 } });
        var kernel = new Variable(TF.Constant(new[,] { { 0.5 }, { -0.25 } }));
        var bias = new Variable(TF.Constant(new[] { 0.1 }));
        Tensor loss;
        var acc = new ForwardAccumulator(kernel, TF.Constant(new[,] { { 1.0 }, { 0.0 } }));
        using (acc) loss = TF.ReduceSum(TF.Pow(TF.MatMul(x, kernel) + bias - targets, 2.0));
        // d loss = sum_i 2 (pred_i - t_i) x_i0 along the tangent [[1], [0]]
        double p0 = 2 * 0.5 + 3 * -0.25 + 0.1, p1 = 1 * 0.5 + 4 * -0.25 + 0.1;
        double expected = 2 * (p0 - 1) * 2 + 2 * (p1 + 1) * 1;
        Assert.Equal(expected, acc.Jvp(loss)!.ToDouble(), 12);
    }

    [Fact]
    public void ReverseOverForward_DifferentiatesTheJvp()
    {
        var x = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        var v = TF.Constant(new[] { 0.5, -1.0, 2.0 });
        Tensor jvp;
        var tape = new GradientTape();
        using (tape)
        {
            tape.Watch(x);
            using var acc = new ForwardAccumulator(x, v);
            var y = TF.ReduceSum(TF.Pow(x, 3.0)); // H = diag(6x)
            jvp = acc.Jvp(y)!;
        }
        Assert.Equal(3 * (0.5 * 1 - 1.0 * 4 + 2.0 * 9), jvp.ToDouble(), 12);
        var hv = tape.Gradient(jvp, x)!.ToArray<double>();
        Assert.Equal(new[] { 6 * 1 * 0.5, 6 * 2 * -1.0, 6 * 3 * 2.0 }, hv);
    }

    [Fact]
    public void NestedAccumulators_GiveTheSecondDerivative()
    {
        var x = TF.Constant(1.5);
        Tensor d1;
        var outer = new ForwardAccumulator(x, TF.Constant(1.0));
        using (outer)
        {
            using var inner = new ForwardAccumulator(x, TF.Constant(1.0));
            var y = x * x * x;
            d1 = inner.Jvp(y)!;
        }
        Assert.Equal(3 * 1.5 * 1.5, d1.ToDouble(), 12);
        Assert.Equal(6 * 1.5, outer.Jvp(d1)!.ToDouble(), 12);
    }

    [Fact]
    public void SeveralPrimals_SumTheirContributions()
    {
        var a = TF.Constant(2.0);
        var b = TF.Constant(5.0);
        using var acc = new ForwardAccumulator(new[] { a, b }, new[] { TF.Constant(1.0), TF.Constant(10.0) });
        var y = a * b; // dy = b da + a db = 5 + 20
        Assert.Equal(25.0, acc.Jvp(y)!.ToDouble());
    }

    [Fact]
    public void Jvp_OfAnUnrelatedValue_IsNull_ZeroOrRaise()
    {
        var x = TF.Constant(2.0);
        var c = TF.Constant(7.0);
        using var acc = new ForwardAccumulator(x, TF.Constant(1.0));
        var y = c * c;
        Assert.Null(acc.Jvp(y));
        Assert.Equal(0.0, acc.Jvp(y, UnconnectedGradients.Zero)!.ToDouble());
        var e = Assert.Throws<InvalidOperationException>(() => acc.Jvp(y, UnconnectedGradients.Raise));
        Assert.Contains("does not depend on the accumulator's primals", e.Message);
    }

    [Fact]
    public void OperationsAfterDispose_AreNotAccumulated_ButEarlierJvpsRemainReadable()
    {
        var x = TF.Constant(2.0);
        var acc = new ForwardAccumulator(x, TF.Constant(1.0));
        Tensor y;
        using (acc) y = x * x;
        var after = x * x * x;
        Assert.Equal(4.0, acc.Jvp(y)!.ToDouble());
        Assert.Null(acc.Jvp(after));
        var e = Assert.Throws<InvalidOperationException>(() => acc.Jvp(after, UnconnectedGradients.Raise));
        Assert.Contains("outside this accumulator's block", e.Message);
    }

    [Fact]
    public void StopGradient_StopsTangentsToo()
    {
        var x = TF.Constant(2.0);
        using var acc = new ForwardAccumulator(x, TF.Constant(1.0));
        var y = x * TF.StopGradient(x);
        Assert.Equal(2.0, acc.Jvp(y)!.ToDouble());
    }

    [Fact]
    public void CustomGradient_UnderForwardMode_UsesTheTransposedGradientFunction()
    {
        // value x^2 but a deliberately scaled gradient 10 x: forward mode follows the custom gradient (TensorFlow's
        // double-backprop rule), so forward and reverse agree with each other.
        var f = TF.CustomGradient(x => (x * x, up => up * 10.0 * x));
        var x0 = TF.Constant(3.0);
        using var acc = new ForwardAccumulator(x0, TF.Constant(1.0));
        var y = f(x0);
        Assert.Equal(9.0, y.ToDouble());
        Assert.Equal(30.0, acc.Jvp(y)!.ToDouble());
    }
}
