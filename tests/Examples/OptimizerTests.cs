using Nabla;
using Nabla.Optimizers;
using Xunit;

namespace Nabla.Examples;

/// <summary>Three steps of each optimizer against values worked out by hand from Keras' update formulas
/// (the loss is sum(w^2), so g = 2w; w0 = [1, -2]).</summary>
public class OptimizerTests
{
    private static Variable W() => new(TF.Constant(new[] { 1.0, -2.0 }), name: "w");

    private static double[][] ThreeSteps(Optimizer opt, Variable w)
    {
        var after = new double[3][];
        for (int i = 0; i < 3; i++)
        {
            opt.Minimize(() => TF.ReduceSum(TF.Square(w)), new[] { w });
            after[i] = w.ToArray<double>();
        }
        Assert.Equal(3, opt.Iterations);
        return after;
    }

    private static void Close(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void SGD_Plain()
    {
        // w -= 0.1 * 2w: w *= 0.8
        var s = ThreeSteps(new SGD(learningRate: 0.1), W());
        Close(new[] { 0.8, -1.6 }, s[0]);
        Close(new[] { 0.64, -1.28 }, s[1]);
        Close(new[] { 0.512, -1.024 }, s[2]);
    }

    [Fact]
    public void SGD_Momentum()
    {
        // m = 0.9 m - 0.1 g; w += m. Step 1: m = -0.2 w0 -> w = 0.8 w0; step 2: m = -0.18 w0 - 0.16 w0 = -0.34 w0 -> 0.46 w0;
        // step 3: m = -0.306 w0 - 0.092 w0 = -0.398 w0 -> 0.062 w0
        var s = ThreeSteps(new SGD(learningRate: 0.1, momentum: 0.9), W());
        Close(new[] { 0.8, -1.6 }, s[0]);
        Close(new[] { 0.46, -0.92 }, s[1]);
        Close(new[] { 0.062, -0.124 }, s[2]);
    }

    [Fact]
    public void SGD_Nesterov()
    {
        // w += 0.9 m - 0.1 g with m updated first. Step 1: m = -0.2 w0, w += -0.18 w0 - 0.2 w0 -> 0.62 w0; step 2: g = 1.24 w0,
        // m = -0.18 w0 - 0.124 w0 = -0.304 w0, w += -0.2736 w0 - 0.124 w0 -> 0.2224 w0; step 3: g = 0.4448 w0,
        // m = -0.2736 w0 - 0.04448 w0 = -0.31808 w0, w += -0.286272 w0 - 0.04448 w0 -> -0.108352 w0
        var s = ThreeSteps(new SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), W());
        Close(new[] { 0.62, -1.24 }, s[0]);
        Close(new[] { 0.2224, -0.4448 }, s[1]);
        Close(new[] { -0.108352, 0.216704 }, s[2]);
    }

    [Fact]
    public void Adam_KerasFormulas()
    {
        // alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t); m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt v + eps).
        // Step 1 with g = [2, -4]: m = [0.2, -0.4], v = [0.004, 0.016], alpha = 0.1 sqrt(0.001) / 0.1 = 0.0316227766,
        // w0 - alpha m / (sqrt v + 1e-7) = 1 - 0.0316227766 * 0.2 / (0.0632455532 + 1e-7) = 0.900000158113633...
        var s = ThreeSteps(new Adam(learningRate: 0.1), W());
        Close(new[] { 0.900000158113633, -1.900000079056879 }, s[0]);
        Close(new[] { 0.8004125019437753, -1.8001666217414731 }, s[1]);
        Close(new[] { 0.7015866431267169, -1.700623574825095 }, s[2]);
    }

    [Fact]
    public void Adam_EpsilonIsKerasEpsilonHat_ConstantGradient()
    {
        // With a constant gradient each step is 0.1 g / (|g| + 1e-7 / sqrt(1 - b2^t)), not 0.1 g / (|g| + 1e-7):
        // w after 3 steps = [0.7000014451046599, 2.2999992774458353] from w0 = [1, 2], g = [0.5, -1].
        var w = new Variable(TF.Constant(new[] { 1.0, 2.0 }));
        var opt = new Adam(learningRate: 0.1);
        var g = TF.Constant(new[] { 0.5, -1.0 });
        for (int i = 0; i < 3; i++) opt.ApplyGradients(new (Tensor?, Variable)[] { (g, w) });
        Close(new[] { 0.7000014451046599, 2.2999992774458353 }, w.ToArray<double>());
    }

    [Fact]
    public void Adam_Float32_StaysFloat32()
    {
        var w = new Variable(TF.Constant(new[] { 1f, -2f }));
        var opt = new Adam(learningRate: 0.1);
        opt.Minimize(() => TF.ReduceSum(TF.Square(w)), new[] { w });
        Assert.Equal(DType.Float32, w.DType);
        var v = w.ToArray<float>();
        Assert.Equal(0.9f, v[0], 5);
        Assert.Equal(-1.9f, v[1], 5);
    }

    [Fact]
    public void ApplyGradients_SkipsNullGradients_AndCountsIterations()
    {
        var a = new Variable(1.0);
        var b = new Variable(5.0);
        var opt = new SGD(learningRate: 0.5);
        using var tape = new GradientTape();
        var loss = a * a;
        var grads = tape.Gradient(loss, new[] { a, b });
        Assert.Null(grads[1]);
        opt.ApplyGradients(grads.Zip(new[] { a, b }));
        Assert.Equal(0.0, a.ToDouble()); // 1 - 0.5 * 2
        Assert.Equal(5.0, b.ToDouble());
        Assert.Equal(1, opt.Iterations);
    }

    [Fact]
    public void Adam_MinimizesAQuadratic()
    {
        var w = new Variable(TF.Constant(new[] { 3.0, -1.0 }));
        var target = TF.Constant(new[] { 0.5, 2.0 });
        var opt = new Adam(learningRate: 0.05);
        for (int i = 0; i < 500; i++) opt.Minimize(() => TF.ReduceSum(TF.Square(w - target)), new[] { w });
        Close(new[] { 0.5, 2.0 }, w.ToArray<double>(), 1e-3);
    }
}
