using Nabla;
using Nabla.Optimizers;
using Xunit;

namespace Nabla.Examples;

/// <summary>Messages that say what is wrong: an undefined dtype given to Cast, a learning rate set out of range, and a
/// call to ApplyGradients that silently leaves out variables (a short <c>grads.Zip(vars)</c>).</summary>
public class OptimizerMessageTests
{
    [Fact]
    public void Cast_ToAnUndefinedDType_NamesCastTheValueAndTheValidDTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => TF.Cast(TF.Constant(new[] { 1.0, 2.0 }), (DType)42));
        Assert.StartsWith("Cast:", e.Message);
        Assert.Contains("dtype 42", e.Message);
        Assert.Contains("Float32, Float64, Int32, Int64, Bool", e.Message);
        // also from an integer tensor and for a scalar
        Assert.StartsWith("Cast:", Assert.Throws<ArgumentException>(() => TF.Cast(TF.Constant(3), (DType)(-1))).Message);
    }

    [Fact]
    public void Factories_WithAnUndefinedDType_NameThemselves()
    {
        foreach (var (op, f) in new (string, Action)[]
                 {
                     ("Ones", () => TF.Ones(new[] { 2 }, (DType)7)),
                     ("Fill", () => TF.Fill(new[] { 2 }, 1.0, (DType)7)),
                     ("Range", () => TF.Range(0, 3, 1, (DType)7)),
                     ("Eye", () => TF.Eye(2, (DType)7)),
                     ("OneHot", () => TF.OneHot(TF.Constant(new[] { 0 }), 2, (DType)7)),
                     ("Constant", () => TF.Constant(1.0, (DType)7)),
                 })
        {
            var e = Assert.Throws<ArgumentException>(f);
            Assert.StartsWith(op + ":", e.Message);
            Assert.Contains("dtype 7 is not a valid DType", e.Message);
        }
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void LearningRateSetter_RejectsWhatTheConstructorRejects_AndKeepsTheOldRate(double bad)
    {
        var ctor = Assert.Throws<ArgumentException>(() => new SGD(learningRate: bad));
        var sgd = new SGD(learningRate: 0.1);
        var set = Assert.Throws<ArgumentException>(() => sgd.LearningRate = bad);
        Assert.Equal(0.1, sgd.LearningRate);
        Assert.StartsWith("SGD: learningRate", set.Message);
        Assert.Contains("expected a finite value >= 0", set.Message);
        Assert.Equal(ctor.Message.Split(" (Parameter")[0], set.Message.Split(" (Parameter")[0]);
        var adam = new Adam();
        Assert.Throws<ArgumentException>(() => adam.LearningRate = bad);
        Assert.Equal(0.001, adam.LearningRate);
        sgd.LearningRate = 0.0;
        Assert.Equal(0.0, sgd.LearningRate);
    }

    [Fact]
    public void ApplyGradients_WithAShortZip_Throws_NamingTheMissingVariables()
    {
        var a = new Variable(1.0, name: "a");
        var b = new Variable(2.0, name: "b");
        var c = new Variable(3.0, name: "c");
        var vars = new[] { a, b, c };
        var opt = new SGD(learningRate: 0.5);
        opt.ApplyGradients(new Tensor?[] { 1.0, 1.0, 1.0 }.Zip(vars));
        Assert.Equal(new[] { 0.5, 1.5, 2.5 }, vars.Select(v => v.ToDouble()));

        // one gradient short: Zip drops c without a word
        var grads = new Tensor?[] { 1.0, 1.0 };
        var e = Assert.Throws<ArgumentException>(() => opt.ApplyGradients(grads.Zip(vars)));
        Assert.StartsWith("SGD.ApplyGradients:", e.Message);
        Assert.Contains("got 2 (gradient, variable) pairs", e.Message);
        Assert.Contains("1 variable this optimizer has updated before is missing: 'c'", e.Message);
        Assert.Contains("short grads.Zip(vars) drops pairs", e.Message);
        Assert.Contains("null as the gradient of a variable to skip", e.Message);
        // nothing changed
        Assert.Equal(new[] { 0.5, 1.5, 2.5 }, vars.Select(v => v.ToDouble()));
        Assert.Equal(1, opt.Iterations);

        var e2 = Assert.Throws<ArgumentException>(() => opt.ApplyGradients(new (Tensor?, Variable)[] { (1.0, b) }));
        Assert.Contains("got 1 (gradient, variable) pair,", e2.Message);
        Assert.Contains("2 variables this optimizer has updated before are missing: 'a', 'c'", e2.Message);
    }

    [Fact]
    public void ApplyGradients_NullSkipsAVariable_AndNewVariablesMayJoin()
    {
        var a = new Variable(1.0, name: "a");
        var b = new Variable(2.0, name: "b");
        var opt = new Adam(learningRate: 0.1);
        opt.ApplyGradients(new (Tensor?, Variable)[] { (1.0, a) });
        // b joins; a is passed with a null gradient and skipped
        opt.ApplyGradients(new (Tensor?, Variable)[] { (null, a), (1.0, b) });
        Assert.Equal(2, opt.Iterations);
        Assert.True(b.ToDouble() < 2.0);
        // now both are known: leaving out a throws
        var e = Assert.Throws<ArgumentException>(() => opt.ApplyGradients(new (Tensor?, Variable)[] { (1.0, b) }));
        Assert.StartsWith("Adam.ApplyGradients:", e.Message);
        Assert.Contains("missing: 'a'", e.Message);
        // Minimize passes every variable it is given
        opt.Minimize(() => a * b, new[] { a, b });
        Assert.Equal(3, opt.Iterations);
    }
}
