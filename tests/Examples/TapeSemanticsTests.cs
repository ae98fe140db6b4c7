using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>One test per GradientTape rule of API.md.</summary>
public class TapeSemanticsTests
{
    [Fact]
    public void WatchIsByIdentity_NotByValue()
    {
        var a = TF.Constant(2.0);
        var b = TF.Constant(2.0); // equal value, different tensor
        using var t = new GradientTape(persistent: true);
        t.Watch(a);
        var y = a * b;
        Assert.Equal(2.0, t.Gradient(y, a)!.ToDouble());
        Assert.Null(t.Gradient(y, b));
    }

    [Fact]
    public void UnwatchedConstant_HasNoGradient()
    {
        var x = TF.Constant(3.0);
        using var t = new GradientTape();
        var y = x * x;
        Assert.Null(t.Gradient(y, x));
    }

    [Fact]
    public void TrainableVariables_AreWatchedWhenRead()
    {
        var v = new Variable(3.0);
        using var t = new GradientTape();
        var y = v * v;
        Assert.Equal(6.0, t.Gradient(y, v)!.ToDouble());
    }

    [Fact]
    public void NonTrainableVariables_AreWatchedOnlyThroughWatch()
    {
        var v = new Variable(3.0, trainable: false);
        var w = new Variable(2.0, trainable: false);
        using var t = new GradientTape(persistent: true);
        t.Watch(w);
        var y = v * w;
        Assert.Null(t.Gradient(y, v));
        Assert.Equal(3.0, t.Gradient(y, w)!.ToDouble());
    }

    [Fact]
    public void WatchAccessedVariablesFalse_WatchesNothingAutomatically()
    {
        var v = new Variable(3.0);
        var u = new Variable(5.0);
        using var t = new GradientTape(persistent: true, watchAccessedVariables: false);
        t.Watch(u);
        var y = v * u;
        Assert.Null(t.Gradient(y, v));
        Assert.Equal(3.0, t.Gradient(y, u)!.ToDouble());
        Assert.Equal(new[] { u }, t.WatchedVariables());
    }

    [Fact]
    public void WatchedVariables_ListsVariablesInOrderOfFirstAccess()
    {
        var a = new Variable(1.0, name: "a");
        var b = new Variable(2.0, name: "b");
        using var t = new GradientTape();
        _ = b * a + b;
        Assert.Equal(new[] { "b", "a" }, t.WatchedVariables().Select(v => v.Name));
    }

    [Fact]
    public void VariableValue_IsTheSameTensorUntilAssign_AndDifferentiatesAsTheVariable()
    {
        var v = new Variable(2.0);
        var first = v.Value;
        Assert.Same(first, v.Value);
        using (var t = new GradientTape())
        {
            var y = v * v * v;
            var g = t.Gradient(y, new Tensor[] { v })[0]!;
            Assert.Equal(12.0, g.ToDouble());
        }
        v.Assign(5.0);
        Assert.NotSame(first, v.Value);
        Assert.Equal(5.0, v.ToDouble());
    }

    [Fact]
    public void NonPersistentTape_SecondCallThrows_WithTensorFlowsMessage()
    {
        var x = TF.Constant(3.0);
        var t = new GradientTape();
        Tensor y;
        using (t) { t.Watch(x); y = x * x; }
        Assert.Equal(6.0, t.Gradient(y, x)!.ToDouble());
        var e = Assert.Throws<InvalidOperationException>(() => t.Gradient(y, x));
        Assert.Contains("non-persistent GradientTape can only be used to compute one set of gradients", e.Message);
        Assert.Contains("persistent: true", e.Message);
    }

    [Fact]
    public void NonPersistentTape_ReleasesTheRecordingAfterTheFirstCall()
    {
        var x = TF.Constant(3.0);
        var t = new GradientTape();
        t.Watch(x);
        var y = x * x;
        t.Dispose();
        Assert.Equal(1, t.HeldWatchCount);
        _ = t.Gradient(y, x);
        Assert.Equal(0, t.HeldWatchCount);
    }

    [Fact]
    public void PersistentTape_AllowsManyCalls()
    {
        var x = TF.Constant(2.0);
        var t = new GradientTape(persistent: true);
        Tensor y;
        using (t) { t.Watch(x); y = x * x; }
        for (int i = 0; i < 3; i++) Assert.Equal(4.0, t.Gradient(y, x)!.ToDouble());
        Assert.True(t.Persistent);
    }

    [Fact]
    public void GradientsAfterDispose_AndNothingRecordedAfterDispose()
    {
        var x = TF.Constant(2.0);
        var t = new GradientTape(persistent: true);
        Tensor y;
        using (t)
        {
            t.Watch(x);
            y = x * x * x;
        }
        var after = y * x; // not recorded: the tape has stopped
        Assert.Equal(12.0, t.Gradient(y, x)!.ToDouble());
        Assert.Null(t.Gradient(after, x));
    }

    [Fact]
    public void NonScalarTarget_IsTheGradientOfTheSum()
    {
        var x = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        using var t = new GradientTape();
        t.Watch(x);
        var y = x * x; // d(sum x^2)/dx = 2x
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, t.Gradient(y, x)!.ToArray<double>());
    }

    [Fact]
    public void OutputGradients_WeightTheTargetElements()
    {
        var x = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        using var t = new GradientTape();
        t.Watch(x);
        var y = x * x;
        var g = t.Gradient(y, x, outputGradients: TF.Constant(new[] { 1.0, 0.0, 10.0 }))!;
        Assert.Equal(new[] { 2.0, 0.0, 60.0 }, g.ToArray<double>());
    }

    [Fact]
    public void ListOfTargets_SumsTheirGradients()
    {
        var x = TF.Constant(3.0);
        using var t = new GradientTape();
        t.Watch(x);
        var y1 = x * x;
        var y2 = x * 5.0;
        var g = t.Gradient(new[] { y1, y2 }, new[] { x });
        Assert.Equal(11.0, g[0]!.ToDouble());
    }

    [Fact]
    public void UnconnectedGradients_NoneZeroRaise()
    {
        var x = TF.Constant(new[] { 1.0, 2.0 });
        var u = TF.Constant(new[] { 3f, 4f, 5f });
        var t = new GradientTape(persistent: true);
        Tensor y;
        using (t) { t.Watch(x); y = TF.ReduceSum(x * x); }
        Assert.Null(t.Gradient(y, u));
        var zero = t.Gradient(y, u, unconnectedGradients: UnconnectedGradients.Zero)!;
        Assert.Equal(DType.Float32, zero.DType);
        Assert.Equal(new[] { 0f, 0f, 0f }, zero.ToArray<float>());
        var e = Assert.Throws<InvalidOperationException>(() => t.Gradient(y, u, unconnectedGradients: UnconnectedGradients.Raise));
        Assert.Contains("watch", e.Message);
    }

    [Fact]
    public void IntegerSource_GradientIsNull_AndRaiseNamesTheDType()
    {
        var n = TF.Constant(3);
        using var t = new GradientTape(persistent: true);
        t.Watch(n); // allowed
        var y = n * n;
        Assert.Null(t.Gradient(y, n));
        var e = Assert.Throws<InvalidOperationException>(() => t.Gradient(y, n, unconnectedGradients: UnconnectedGradients.Raise));
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void NestedTapes_ThirdOrder()
    {
        var x = new Variable(2.0);
        using var t1 = new GradientTape();
        using var t2 = new GradientTape();
        using var t3 = new GradientTape();
        var y = x * x * x * x;              // x^4
        var d1 = t3.Gradient(y, x)!;        // 4x^3 = 32
        var d2 = t2.Gradient(d1, x)!;       // 12x^2 = 48
        var d3 = t1.Gradient(d2, x)!;       // 24x = 48
        Assert.Equal(32.0, d1.ToDouble());
        Assert.Equal(48.0, d2.ToDouble());
        Assert.Equal(48.0, d3.ToDouble());
    }

    [Fact]
    public void NestedTapes_FourLevelsDeep()
    {
        var x = TF.Constant(0.5);
        var tapes = Enumerable.Range(0, 4).Select(_ => new GradientTape()).ToArray();
        foreach (var tape in tapes) tape.Watch(x);
        Tensor d = TF.Sin(x);
        for (int i = tapes.Length - 1; i >= 0; i--) d = tapes[i].Gradient(d, x)!;
        foreach (var tape in tapes) tape.Dispose();
        Assert.Equal(Math.Sin(0.5), d.ToDouble(), 12); // d^4/dx^4 sin = sin
    }

    [Fact]
    public void Tape_RecordsOnlyOnItsOwnThread()
    {
        var x = TF.Constant(2.0);
        using var t = new GradientTape(persistent: true);
        t.Watch(x);
        Tensor? other = null;
        var thread = new Thread(() => other = x * x);
        thread.Start();
        thread.Join();
        var mine = x * x;
        Assert.Equal(4.0, other!.ToDouble());
        Assert.Null(t.Gradient(other, x));
        Assert.Equal(4.0, t.Gradient(mine, x)!.ToDouble());
    }

    [Fact]
    public void GradientOfWatchedSourceWithRespectToItself_IsOne()
    {
        var x = TF.Constant(new[] { 1f, 2f });
        using var t = new GradientTape();
        t.Watch(x);
        Assert.Equal(new[] { 1f, 1f }, t.Gradient(x, x)!.ToArray<float>());
    }
}
