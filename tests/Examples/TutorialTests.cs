using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>Every assert of TensorFlow's tutorial "Automatic differentiation and gradient tape", in C#.</summary>
public class TutorialTests
{
    [Fact]
    public void GradientOfSumSquared_UsingBlock()
    {
        var x = TF.Ones(2, 2);
        var t = new GradientTape();
        Tensor z;
        using (t)
        {
            t.Watch(x);
            var y = TF.ReduceSum(x);
            z = TF.Multiply(y, y);
        }
        var dz_dx = t.Gradient(z, x)!;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                Assert.Equal(8.0, dz_dx[i][j].ToDouble());
        Assert.Equal(DType.Float32, dz_dx.DType);
        Assert.Equal(new[] { 2, 2 }, dz_dx.Shape);
    }

    [Fact]
    public void GradientOfSumSquared_UsingDeclaration()
    {
        var x = TF.Ones(2, 2);
        using var t = new GradientTape();
        t.Watch(x);
        var y = TF.ReduceSum(x);
        var z = TF.Multiply(y, y);
        var dz_dx = t.Gradient(z, x)!;
        Assert.Equal(new[] { 8f, 8f, 8f, 8f }, dz_dx.ToArray<float>());
    }

    [Fact]
    public void GradientWithRespectToIntermediate()
    {
        var x = TF.Ones(2, 2);
        using var t = new GradientTape();
        t.Watch(x);
        var y = TF.ReduceSum(x);
        var z = TF.Multiply(y, y);
        var dz_dy = t.Gradient(z, y)!;
        Assert.Equal(8.0, dz_dy.ToDouble());
    }

    [Fact]
    public void PersistentTape_108_And_6()
    {
        var x = TF.Constant(3.0);
        var t = new GradientTape(persistent: true);
        Tensor y, z;
        using (t)
        {
            t.Watch(x);
            y = x * x;
            z = y * y;
        }
        Assert.Equal(108.0, t.Gradient(z, x)!.ToDouble()); // 4 x^3 at x = 3
        Assert.Equal(6.0, t.Gradient(y, x)!.ToDouble());   // 2 x
    }

    private static Tensor F(Tensor x, int y)
    {
        Tensor output = 1.0;
        for (int i = 0; i < y; i++)
            if (i > 1 && i < 5)
                output = TF.Multiply(output, x);
        return output;
    }

    private static Tensor? Grad(Tensor x, int y)
    {
        using var t = new GradientTape();
        t.Watch(x);
        var output = F(x, y);
        return t.Gradient(output, x);
    }

    [Theory]
    [InlineData(6, 12.0)]
    [InlineData(5, 12.0)]
    [InlineData(4, 4.0)]
    public void ControlFlow(int y, double expected)
    {
        var x = TF.ConvertToTensor(2.0);
        Assert.Equal(expected, Grad(x, y)!.ToDouble());
    }

    [Fact]
    public void HigherOrderGradients_3_And_6()
    {
        var x = new Variable(1.0);
        Tensor? dy_dx, d2y_dx2;
        using (var t = new GradientTape())
        {
            var t2 = new GradientTape();
            Tensor y;
            using (t2)
            {
                y = x * x * x;
            }
            dy_dx = t2.Gradient(y, x);
            d2y_dx2 = null;
            d2y_dx2 = t.Gradient(dy_dx!, x);
        }
        Assert.Equal(3.0, dy_dx!.ToDouble());
        Assert.Equal(6.0, d2y_dx2!.ToDouble());
    }

    [Fact]
    public void HigherOrderGradients_UsingDeclarations()
    {
        var x = new Variable(1.0);
        using var t = new GradientTape();
        using var t2 = new GradientTape();
        var y = x * x * x;
        var dy_dx = t2.Gradient(y, x)!;
        var d2y_dx2 = t.Gradient(dy_dx, x)!;
        Assert.Equal(3.0, dy_dx.ToDouble());
        Assert.Equal(6.0, d2y_dx2.ToDouble());
    }
}
