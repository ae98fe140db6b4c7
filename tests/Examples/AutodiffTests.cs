using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>The Autodiff function transforms: values against hand derivations, composition, and CheckGradients.</summary>
public class AutodiffTests
{
    [Fact]
    public void Grad_AndItsComposition()
    {
        Func<Tensor, Tensor> f = x => x * x * x;
        Assert.Equal(12.0, Autodiff.Grad(f)(TF.Constant(2.0)).ToDouble());
        Assert.Equal(12.0, Autodiff.Grad(Autodiff.Grad(f))(TF.Constant(2.0)).ToDouble());
        Assert.Equal(6.0, Autodiff.Grad(Autodiff.Grad(Autodiff.Grad(f)))(TF.Constant(2.0)).ToDouble());
    }

    [Fact]
    public void Grad_NeverReturnsNull_TheSecondDerivativeOfALinearFunctionIsZero()
    {
        var g = Autodiff.Grad(Autodiff.Grad(x => 3.0 * x))(TF.Constant(5.0));
        Assert.Equal(0.0, g.ToDouble());
        var c = TF.Constant(4.0);
        Assert.Equal(new[] { 0.0, 0.0 }, Autodiff.Grad(_ => c * c)(TF.Constant(new[] { 1.0, 2.0 })).ToArray<double>());
    }

    [Fact]
    public void Grad_OfANonScalarFunction_IsTheGradientOfTheSum()
    {
        var g = Autodiff.Grad(x => TF.Sin(x))(TF.Constant(new[] { 0.0, 1.0 }));
        Assert.Equal(new[] { 1.0, Math.Cos(1.0) }, g.ToArray<double>());
    }

    [Fact]
    public void ValueAndGrad_GivesBoth()
    {
        var (value, grad) = Autodiff.ValueAndGrad(x => TF.ReduceSum(TF.Exp(x)))(TF.Constant(new[] { 0.0, 1.0 }));
        Assert.Equal(1 + Math.E, value.ToDouble(), 14);
        Assert.Equal(new[] { 1.0, Math.E }, grad.ToArray<double>());
    }

    [Fact]
    public void Jvp_AndVjp()
    {
        Func<Tensor, Tensor> f = x => x * x; // J = diag(2x)
        var x0 = TF.Constant(new[] { 1.0, 3.0 });
        var (value, jvp) = Autodiff.Jvp(f, x0, TF.Constant(new[] { 1.0, 10.0 }));
        Assert.Equal(new[] { 1.0, 9.0 }, value.ToArray<double>());
        Assert.Equal(new[] { 2.0, 60.0 }, jvp.ToArray<double>());
        var (v2, pullback) = Autodiff.Vjp(f, x0);
        Assert.Equal(new[] { 1.0, 9.0 }, v2.ToArray<double>());
        Assert.Equal(new[] { 2.0, 0.0 }, pullback(TF.Constant(new[] { 1.0, 0.0 })).ToArray<double>());
        Assert.Equal(new[] { 0.0, 6.0 }, pullback(TF.Constant(new[] { 0.0, 1.0 })).ToArray<double>()); // callable again
    }

    [Fact]
    public void Jacobian_ShapesAndValues_WideAndTall()
    {
        // tall: R^2 -> R^3, f(x) = [x0 x1, sin x0, x1^2]
        Func<Tensor, Tensor> tall = x => TF.Stack(new[] { x[0] * x[1], TF.Sin(x[0]), x[1] * x[1] });
        var x0 = TF.Constant(new[] { 0.5, 2.0 });
        var j = Autodiff.Jacobian(tall, x0);
        Assert.Equal(new[] { 3, 2 }, j.Shape);
        Assert.Equal(new[] { 2.0, 0.5, Math.Cos(0.5), 0, 0, 4.0 }, j.ToArray<double>());
        // wide: R^3 -> R^1 (a reverse pass per output row)
        var jw = Autodiff.Jacobian(x => TF.Reshape(TF.ReduceProd(x), 1), TF.Constant(new[] { 2.0, 3.0, 4.0 }));
        Assert.Equal(new[] { 1, 3 }, jw.Shape);
        Assert.Equal(new[] { 12.0, 8.0, 6.0 }, jw.ToArray<double>());
    }

    [Fact]
    public void Jacobian_OfAnElementwiseMap_IsDiagonal()
    {
        var x0 = TF.Constant(new[,] { { 0.1, 0.2 }, { 0.3, 0.4 } });
        var j = Autodiff.Jacobian(x => TF.Tanh(x) * 2.0 + 1.0, x0);
        Assert.Equal(new[] { 2, 2, 2, 2 }, j.Shape);
        var values = j.ToArray<double>();
        var xs = x0.ToArray<double>();
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                Assert.Equal(a == b ? 2 * (1 - Math.Pow(Math.Tanh(xs[a]), 2)) : 0.0, values[a * 4 + b], 14);
    }

    [Fact]
    public void Hessian_AndHvp()
    {
        // f(x) = x0^2 x1 + sin(x1): H = [[2 x1, 2 x0], [2 x0, -sin x1]]
        Func<Tensor, Tensor> f = x => x[0] * x[0] * x[1] + TF.Sin(x[1]);
        var x0 = TF.Constant(new[] { 1.5, 0.5 });
        var h = Autodiff.Hessian(f, x0);
        Assert.Equal(new[] { 2, 2 }, h.Shape);
        var expected = new[] { 1.0, 3.0, 3.0, -Math.Sin(0.5) };
        var hs = h.ToArray<double>();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], hs[i], 13);
        var hv = Autodiff.Hvp(f, x0, TF.Constant(new[] { 1.0, -2.0 })).ToArray<double>();
        Assert.Equal(1.0 - 6.0, hv[0], 13);
        Assert.Equal(3.0 + 2 * Math.Sin(0.5), hv[1], 13);
    }

    [Fact]
    public void Transforms_InsideATape_AreRecordedOnIt()
    {
        var x = TF.Constant(2.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var g = Autodiff.Grad(z => z * z * z)(x); // 3x^2, recorded on the tape
        Assert.Equal(12.0, tape.Gradient(g, x)!.ToDouble()); // 6x
    }

    [Fact]
    public void CustomGradient_UnderAutodiff_FirstAndSecondOrder()
    {
        var f = TF.CustomGradient(x =>
        {
            var e = TF.Exp(x);
            return (TF.Log(1.0 + e), up => up * (1.0 - 1.0 / (1.0 + e)));
        });
        Assert.Equal(0.5, Autodiff.Grad(f)(TF.Constant(0.0)).ToDouble(), 15);
        Assert.Equal(0.25, Autodiff.Grad(Autodiff.Grad(f))(TF.Constant(0.0)).ToDouble(), 15);
    }

    [Fact]
    public void CheckGradients_PassesOnCorrectOps_ToSecondOrder()
    {
        Func<Tensor, Tensor> f = x => TF.Tanh(x) * TF.Exp(x[0]) + TF.Sigmoid(x * x);
        var r = Autodiff.CheckGradients(f, TF.Constant(new[] { 0.3, -0.7, 1.1 }), order: 2);
        Assert.True(r.Passed, r.ToString());
        Assert.True(r.MaxAbsoluteError < 1e-5, r.ToString());
        Assert.StartsWith("CheckGradients passed", r.ToString());
    }

    [Fact]
    public void CheckGradients_FailsOnAWrongCustomGradient_AndNamesTheWorstElement()
    {
        // sin with a gradient that is 1.5 times too large on element 1
        var wrong = TF.CustomGradient(x => (TF.Sin(x), up => up * TF.Cos(x) * TF.Constant(new[] { 1.0, 1.5 })));
        var r = Autodiff.CheckGradients(wrong, TF.Constant(new[] { 0.2, 0.4 }));
        Assert.False(r.Passed);
        var text = r.ToString();
        Assert.StartsWith("CheckGradients FAILED", text);
        Assert.Contains("d output[1] / d input[1]", text);
        Assert.Contains("finite differences", text);
        Assert.True(r.MaxAbsoluteError > 0.4 * Math.Cos(0.4), text);
    }

    [Fact]
    public void CheckGradients_ConvertsFloat32InputsToFloat64()
    {
        var r = Autodiff.CheckGradients(x => TF.Exp(x) * x, TF.Constant(new[] { 0.5f, 1.5f }));
        Assert.True(r.Passed, r.ToString());
    }
}
