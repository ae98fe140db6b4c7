using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Regressions found in review: watch order across nested scopes, variables re-watched after Assign,
/// strong casts, ReduceProd's Hessian with zeros, and messages that name the op the user called.</summary>
public class ScopeOrderAndInputTests
{
    [Fact]
    public void ReverseOverForward_VariableReadInsideTheAccumulator()
    {
        // TensorFlow's documented ForwardAccumulator example: the tape watches v only when it is read, inside the accumulator.
        var v = new Variable(Constant(new[] { 1f, 2f }));
        using var tape = new GradientTape();
        Tensor jvp;
        using (var acc = new ForwardAccumulator(v, Constant(new[] { 1f, 0f })))
        {
            var y = ReduceSum(Pow(v, 3f));
            jvp = acc.Jvp(y)!;
        }
        Assert.Equal(3f, jvp.ToSingle()); // 3 v0^2 along [1, 0]
        Assert.Equal(new[] { 6f, 0f }, tape.Gradient(jvp, v)!.ToArray<float>());
    }

    [Fact]
    public void TapeWatchingInsideAnAccumulator_SeesTheOperations()
    {
        var x = Constant(2.0);
        using var tape = new GradientTape();
        Tensor y;
        using (var acc = new ForwardAccumulator(x, Constant(1.0)))
        {
            tape.Watch(x);
            y = x * x * x;
            Assert.Equal(12.0, acc.Jvp(y)!.ToDouble());
        }
        Assert.Equal(12.0, tape.Gradient(y, x)!.ToDouble());
    }

    [Fact]
    public void OuterTapeWatchingAfterTheInnerOne_StillGivesSecondDerivatives()
    {
        var x = Constant(2.0);
        using var outer = new GradientTape();
        using var inner = new GradientTape();
        inner.Watch(x);
        outer.Watch(x);
        var g = inner.Gradient(x * x * x, x)!;
        Assert.Equal(12.0, g.ToDouble());
        Assert.Equal(12.0, outer.Gradient(g, x)!.ToDouble());
    }

    [Fact]
    public void WatchedVariable_StaysWatchedAfterAssign()
    {
        var v = new Variable(2.0, trainable: false);
        using var tape = new GradientTape();
        tape.Watch(v);
        v.Assign(3.0);
        Assert.Equal(6.0, tape.Gradient(v * v, v)!.ToDouble());
    }

    [Fact]
    public void Cast_IsStronglyTyped()
    {
        var e = Assert.Throws<ArgumentException>(() => Cast(2, DType.Float32) + Constant(1.0));
        Assert.Contains("Float32", e.Message);
        Assert.Contains("Float64", e.Message);
    }

    [Fact]
    public void ReduceProd_HessianIsExactInGroupsWithoutZeros()
    {
        // rows [0, 1] and [2, 3]: the second row's block is [[0, 1], [1, 0]] although the first row holds a zero
        var h = Autodiff.Hessian(x => ReduceSum(ReduceProd(x, 1)), Constant(new double[,] { { 0, 1 }, { 2, 3 } }));
        var values = h.ToArray<double>();
        // d2/dx10 dx11 and d2/dx11 dx10
        Assert.Equal(1.0, values[2 * 4 + 3]);
        Assert.Equal(1.0, values[3 * 4 + 2]);
        // first derivatives with zeros are exact
        using var t = new GradientTape();
        var z = Constant(new[] { 0.0, 2, 3 });
        t.Watch(z);
        Assert.Equal(new[] { 6.0, 0, 0 }, t.Gradient(ReduceProd(z), z)!.ToArray<double>());
    }

    [Fact]
    public void Gather_Int64IndicesOutOfRange_AreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Gather(Ones(3, 2), Constant(new[] { 4294967296L })));
        Assert.Contains("out of range", e.Message);
    }

    [Fact]
    public void ReduceMaxOfNothing_IsTheIdentity_MinusInfinity_AsTensorFlow()
    {
        Assert.Equal(float.NegativeInfinity, ReduceMax(Zeros(0)).ToSingle());
        Assert.Equal(new[] { 0 }, ReduceMax(Zeros(0, 3), 1).Shape);
    }

    [Fact]
    public void Messages_NameTheOpAndTheUsersShapes()
    {
        var m = Assert.Throws<ArgumentException>(() => MatMul(Ones(2, 2, 3), Ones(3, 3, 4)));
        Assert.Contains("[2, 2, 3]", m.Message);
        Assert.Contains("[3, 3, 4]", m.Message);
        var v = Assert.Throws<ArgumentException>(() => MatVec(Ones(2, 3), Ones(4)));
        Assert.Contains("MatVec", v.Message);
        Assert.Contains("[2, 3]", v.Message);
        Assert.Contains("[4]", v.Message);
        var c = Assert.Throws<ArgumentException>(() => ClipByValue(Ones(2), Constant(0.0), 1.0));
        Assert.Contains("ClipByValue", c.Message);
        Assert.Equal(new[] { 0.5f, 1f }, ClipByValue(Constant(new[] { 0.5f, 3f }), 0.0, 1.0).ToArray<float>());
    }

    [Fact]
    public void ResetOfAnOuterTapeInsideAnInnerOne_KeepsTheNesting()
    {
        var x = Constant(2.0);
        using var outer = new GradientTape();
        using (var inner = new GradientTape())
        {
            outer.Reset();
            outer.Watch(x);
            inner.Watch(x);
            var g = inner.Gradient(x * x * x, x)!;
            Assert.Equal(12.0, g.ToDouble());
            Assert.Equal(12.0, outer.Gradient(g, x)!.ToDouble());
        }
    }
}
