using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>The examples of TensorFlow's guide "Introduction to gradients and automatic differentiation", with its values.</summary>
public class IntroGuideTests
{
    [Fact]
    public void ComputingGradients_XSquared()
    {
        var x = new Variable(3.0);
        using var tape = new GradientTape();
        var y = Pow(x, 2);
        Assert.Equal(6.0, tape.Gradient(y, x)!.ToDouble());
    }

    [Fact]
    public void GradientWithRespectToModelVariables_Shapes()
    {
        var w = new Variable(RandomNormal(new[] { 3, 2 }, seed: 1), name: "w");
        var b = new Variable(Zeros(new[] { 2 }, DType.Float32), name: "b");
        var x = Constant(new float[,] { { 1, 2, 3 } });
        using var tape = new GradientTape(persistent: true);
        var y = MatMul(x, w) + b;
        var loss = ReduceMean(Square(y));
        var grads = tape.Gradient(loss, new[] { w, b });
        Assert.Equal(new[] { 3, 2 }, grads[0]!.Shape);
        Assert.Equal(new[] { 2 }, grads[1]!.Shape);
        // d loss / d b = mean over the 2 outputs of 2y: y itself
        Assert.Equal(y.ToArray<float>(), grads[1]!.ToArray<float>());
    }

    [Fact]
    public void DenseLayerGradients_Shapes()
    {
        var kernel = new Variable(RandomNormal(new[] { 3, 2 }, seed: 2), name: "dense/kernel");
        var bias = new Variable(Zeros(new[] { 2 }, DType.Float32), name: "dense/bias");
        var x = Constant(new float[,] { { 1, 2, 3 } });
        using var tape = new GradientTape();
        var y = Relu(BiasAdd(MatMul(x, kernel), bias));
        var loss = ReduceMean(Square(y));
        var grads = tape.Gradient(loss, new[] { kernel, bias });
        Assert.Equal(new[] { 3, 2 }, grads[0]!.Shape);
        Assert.Equal(new[] { 2 }, grads[1]!.Shape);
    }

    [Fact]
    public void ControllingWhatTheTapeWatches()
    {
        var x0 = new Variable(3.0, name: "x0");                   // a trainable variable
        var x1 = new Variable(3.0, trainable: false, name: "x1"); // not trainable
        var x2 = new Variable(2.0, name: "x2") + 1.0;              // not a variable: variable + tensor is a tensor
        var x3 = Constant(3.0);                                    // not a variable
        using var tape = new GradientTape();
        var y = x0 * x0 + x1 * x1 + x2 * x2;
        var grad = tape.Gradient(y, new Tensor[] { x0, x1, x2, x3 });
        Assert.Equal(6.0, grad[0]!.ToDouble());
        Assert.Null(grad[1]);
        Assert.Null(grad[2]);
        Assert.Null(grad[3]);
        Assert.Equal(new[] { "x0" }, tape.WatchedVariables().Select(v => v.Name));
    }

    [Fact]
    public void WatchingAConstant()
    {
        var x = Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        Assert.Equal(6.0, tape.Gradient(y, x)!.ToDouble());
    }

    [Fact]
    public void WatchAccessedVariablesFalse_Softplus()
    {
        var x0 = new Variable(0.0);
        var x1 = new Variable(10.0);
        using var tape = new GradientTape(watchAccessedVariables: false);
        tape.Watch(x1);
        var y0 = Sin(x0);
        var y1 = Softplus(x1);
        var y = y0 + y1;
        var ys = ReduceSum(y);
        var grad = tape.Gradient(ys, new[] { x0, x1 });
        Assert.Null(grad[0]);
        Assert.Equal(0.9999546, grad[1]!.ToDouble(), 7);
    }

    [Fact]
    public void IntermediateResults_18()
    {
        var x = Constant(3.0);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        var z = y * y;
        Assert.Equal(18.0, tape.Gradient(z, y)!.ToDouble());
    }

    [Fact]
    public void PersistentTape_Vectors()
    {
        var x = Constant(new[] { 1.0, 3.0 });
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var y = x * x;
        var z = y * y;
        Assert.Equal(new[] { 4.0, 108.0 }, tape.Gradient(z, x)!.ToArray<double>());
        Assert.Equal(new[] { 2.0, 6.0 }, tape.Gradient(y, x)!.ToArray<double>());
    }

    [Fact]
    public void GradientOfSeveralTargets_3_75()
    {
        var x = new Variable(2.0);
        using var tape = new GradientTape();
        var y0 = x * x;
        var y1 = 1 / x;
        Assert.Equal(3.75, tape.Gradient(new[] { y0, y1 }, new Tensor[] { x })[0]!.ToDouble());
    }

    [Fact]
    public void NonScalarTarget_7()
    {
        var x = new Variable(2.0);
        using var tape = new GradientTape();
        var y = x * Constant(new[] { 3.0, 4.0 });
        Assert.Equal(7.0, tape.Gradient(y, x)!.ToDouble());
    }

    [Fact]
    public void SigmoidOverLinspace_ElementwiseGradient()
    {
        var x = Linspace(-10.0, 10.0, 201);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = Sigmoid(x);
        var dy_dx = tape.Gradient(y, x)!;
        Assert.Equal(new[] { 201 }, dy_dx.Shape);
        var xs = x.ToArray<float>();
        var g = dy_dx.ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            var s = 1 / (1 + Math.Exp(-xs[i]));
            Assert.Equal(s * (1 - s), g[i], 5);
        }
    }

    [Fact]
    public void ControlFlow_OnlyTheTakenBranchIsConnected()
    {
        var x = Constant(1.0);
        var v0 = new Variable(2.0);
        var v1 = new Variable(2.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        Tensor result = x.ToDouble() > 0.0 ? v0.Value : v1 * v1;
        var grads = tape.Gradient(result, new[] { v0, v1 });
        Assert.Equal(1.0, grads[0]!.ToDouble());
        Assert.Null(grads[1]);
        Assert.Null(tape.Gradient(result, x)); // the condition is not differentiable
    }

    [Fact]
    public void GradientOfUnconnectedVariable_IsNull()
    {
        var x = new Variable(2.0);
        var y = new Variable(3.0);
        using var tape = new GradientTape();
        var z = y * y;
        Assert.Null(tape.Gradient(z, x));
    }

    [Fact]
    public void ReplacingAVariableWithATensor_DisconnectsIt()
    {
        var x = new Variable(2.0);
        Tensor? replaced = null;
        var results = new List<Tensor?>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            using var tape = new GradientTape();
            var current = replaced ?? x.Value; // read inside the tape, as `x + 1` does in Python
            var y = current + 1;
            results.Add(tape.Gradient(y, x));
            replaced = current + 1; // `x = x + 1`: now a Tensor, not the variable
        }
        Assert.Equal(1.0, results[0]!.ToDouble());
        Assert.Null(results[1]);
    }

    [Fact]
    public void CalculationOutsideTheLibrary_IsNotRecorded()
    {
        var x = new Variable(Constant(new float[,] { { 1, 2 }, { 3, 4 } }));
        using var tape = new GradientTape();
        var x2 = x * x;
        var host = x2.ToArray<float>();                   // numpy in the guide
        var y = ReduceMean(Constant(new[] { (host[0] + host[2]) / 2, (host[1] + host[3]) / 2 }));
        Assert.Null(tape.Gradient(y, x));
    }

    [Fact]
    public void IntegerSource_GradientIsNull()
    {
        var x = Constant(10);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        Assert.Null(tape.Gradient(y, x));
    }

    [Fact]
    public void StatefulAssign_CutsTheGradient()
    {
        var x0 = new Variable(3.0);
        var x1 = new Variable(0.0);
        using var tape = new GradientTape();
        x1.AssignAdd(x0);
        var y = x1 * x1;
        Assert.Null(tape.Gradient(y, x0));
    }

    [Fact]
    public void ZerosInsteadOfNone()
    {
        var x = new Variable(Constant(new[] { 2f, 2f }));
        var y = new Variable(3f);
        using var tape = new GradientTape();
        var z = y * y;
        var g = tape.Gradient(z, x, unconnectedGradients: UnconnectedGradients.Zero)!;
        Assert.Equal(new[] { 0f, 0f }, g.ToArray<float>());
    }
}
