using Nabla;
using Nabla.Optimizers;
using Xunit;

namespace Nabla.Examples;

/// <summary>
/// Gradients with respect to a Variable are with respect to the values read from it while the tape recorded
/// (TensorFlow: the tape records each ReadVariableOp of the variable's resource, and `tape.gradient(y, v)` sums the
/// adjoints of every read). So an <c>Assign</c> between a read and <c>Gradient</c> changes neither the gradient nor
/// whether there is one; reads before and after an <c>Assign</c> each contribute, at the value each one read.
/// </summary>
public class VariableReadTests
{
    [Fact]
    public void AssignAfterTheRead_KeepsTheGradientAtTheValueRead()
    {
        var v = new Variable(1.0);
        using var tape = new GradientTape();
        var y = v * v;
        v.Assign(5.0);
        Assert.Equal(2.0, tape.Gradient(y, v)!.ToDouble()); // d(v^2)/dv at the value read, 1
    }

    [Fact]
    public void AssignAfterTheRead_RaiseDoesNotThrow()
    {
        var v = new Variable(3.0);
        using var tape = new GradientTape();
        var y = TF.Sin(v);
        v.Assign(0.0);
        var g = tape.Gradient(y, v, unconnectedGradients: UnconnectedGradients.Raise)!;
        Assert.Equal(Math.Cos(3.0), g.ToDouble(), 12);
    }

    /// <summary>TF: `y = v; v.assign(2); y = y + v * v` differentiates the reads at 1 and at 2: 1 + 2 * 2 = 5. (In
    /// Python `y = v` aliases the variable object; in C# `Tensor y = v` is a read, whose value is 1, so y ends at 5.)</summary>
    [Fact]
    public void ReadsAroundAnAssign_EachContributeAtTheValueTheyRead()
    {
        var v = new Variable(1.0);
        using var tape = new GradientTape();
        Tensor y = v;
        v.Assign(2.0);
        y = y + v * v;
        Assert.Equal(5.0, y.ToDouble());
        Assert.Equal(5.0, tape.Gradient(y, v)!.ToDouble());
    }

    [Fact]
    public void VariablePassedAsTensor_AfterAnAssign_IsDifferentiatedAsTheVariable()
    {
        var v = new Variable(3.0);
        var x = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = v * x;
        v.Assign(10.0);
        var g = tape.Gradient(y, new Tensor[] { v, x }); // `v` converts to its current (new) value handle
        Assert.Equal(2.0, g[0]!.ToDouble());
        Assert.Equal(3.0, g[1]!.ToDouble());
    }

    [Fact]
    public void PersistentTape_ApplyingOneLossesGradients_KeepsTheSecondLossesGradients()
    {
        var w = new Variable(TF.Constant(new[] { 1.0, 2.0 }));
        var b = new Variable(0.5);
        using var tape = new GradientTape(persistent: true);
        var loss1 = TF.ReduceSum(TF.Square(w)) + b;
        var loss2 = TF.ReduceSum(w * 3.0) * b;
        var vars = new[] { w, b };
        var g1 = tape.Gradient(loss1, vars);
        new SGD(0.1).ApplyGradients(g1.Zip(vars));
        var g2 = tape.Gradient(loss2, vars);
        Assert.All(g2, Assert.NotNull);
        Assert.Equal(new[] { 1.5, 1.5 }, g2[0]!.ToArray<double>()); // 3 b at the b that was read (0.5)
        Assert.Equal(9.0, g2[1]!.ToDouble()); // sum(3 w) at the w that was read
    }

    [Fact]
    public void OptimizerStepsOnAPersistentTape_EveryGradientStaysAvailable()
    {
        var v = new Variable(2.0);
        var opt = new SGD(0.1);
        using var tape = new GradientTape(persistent: true);
        var losses = new[] { v * v, v * v * v, TF.Exp(v) };
        var expected = new[] { 4.0, 12.0, Math.Exp(2.0) };
        for (int i = 0; i < losses.Length; i++)
        {
            var g = tape.Gradient(losses[i], v);
            Assert.NotNull(g);
            Assert.Equal(expected[i], g!.ToDouble(), 12);
            opt.ApplyGradients(new[] { (g, v) });
        }
    }

    [Fact]
    public void NonTrainableVariable_WatchedThenAssignedAndReadAgain_SumsBothReads()
    {
        var v = new Variable(1.0, trainable: false);
        using var tape = new GradientTape();
        tape.Watch(v);
        var y = v * 10.0;
        v.Assign(3.0);
        y = y + v * v; // read again after the Assign: watched, since the tape watches the variable
        Assert.Equal(10.0 + 6.0, tape.Gradient(y, v)!.ToDouble());
    }

    [Fact]
    public void Jacobian_WithRespectToAnAssignedVariable()
    {
        var v = new Variable(TF.Constant(new[] { 1.0, 2.0 }));
        using var tape = new GradientTape();
        var y = TF.Square(v);
        v.Assign(TF.Constant(new[] { 7.0, 7.0 }));
        var j = tape.Jacobian(y, v)!;
        Assert.Equal(new[] { 2.0, 0.0, 0.0, 4.0 }, j.ToArray<double>());
    }

    [Fact]
    public void AssignNeverRead_GivesNoGradient()
    {
        var v = new Variable(1.0);
        var x = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        v.Assign(4.0);
        Assert.Null(tape.Gradient(y, v));
        using var other = new GradientTape(watchAccessedVariables: false);
        var z = v * 2.0;
        var e = Assert.Throws<InvalidOperationException>(() => other.Gradient(z, v, unconnectedGradients: UnconnectedGradients.Raise));
        Assert.Contains("watch", e.Message);
    }

    /// <summary>A read watches exactly the handle it returns, so another thread's Assign between the watch and the
    /// return cannot leave the value used unwatched (before: 18,226 of 20,000 gradients came back null).</summary>
    [Fact]
    public void ConcurrentAssignFromAnotherThread_NeverLosesAGradient()
    {
        var v = new Variable(1.0);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            long k = 0;
            while (!stop.IsCancellationRequested) v.Assign((double)(k++ % 7));
        });
        int missing = 0, wrong = 0;
        for (int i = 0; i < 5000; i++)
        {
            using var tape = new GradientTape();
            var read = v.Value;
            var y = read * read;
            var g = tape.Gradient(y, v);
            if (g == null) missing++;
            else if (g.ToDouble() != 2 * read.ToDouble()) wrong++;
        }
        stop.Cancel();
        writer.Wait();
        Assert.Equal(0, missing);
        Assert.Equal(0, wrong);
    }
}
