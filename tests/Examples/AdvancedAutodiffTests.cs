using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>
/// The examples of TensorFlow's guide "Advanced automatic differentiation", in order, with the values and shapes
/// the guide states. Random inputs are seeded; where the guide prints a value it is asserted exactly as stated.
/// </summary>
public class AdvancedAutodiffTests
{
    private static void Close(double expected, double actual, double tol = 1e-6) =>
        Assert.True(Math.Abs(expected - actual) <= tol, $"expected {expected}, got {actual}");

    // ---------------------------------------------------------------- controlling gradient recording

    [Fact]
    public void StopRecording_IsPerTape_Nests_AndRestoresRecording()
    {
        var x = TF.Constant(3.0);
        var u = TF.Constant(2.0);
        using var a = new GradientTape(persistent: true);
        using var b = new GradientTape(persistent: true);
        a.Watch(x);
        b.Watch(u);
        Tensor y, z;
        using (a.StopRecording())
        {
            y = x * u;                                  // recorded by b only
            using (b.StopRecording()) z = x * u;        // by neither
            Assert.False(a.IsRecording);
        }
        Assert.True(a.IsRecording && b.IsRecording);
        var w = x * u;                                  // by both again
        Assert.Null(a.Gradient(y, x));
        Assert.Equal(3.0, b.Gradient(y, u)!.ToDouble());
        Assert.Null(a.Gradient(z, x));
        Assert.Null(b.Gradient(z, u));
        Assert.Equal(2.0, a.Gradient(w, x)!.ToDouble());
        Assert.Equal(3.0, b.Gradient(w, u)!.ToDouble());
    }

    [Fact]
    public void StopRecording_GuideExample()
    {
        var x = new Variable(2.0f);
        var y = new Variable(3.0f);
        Tensor z;
        var t = new GradientTape();
        using (t)
        {
            var xSq = x * x;
            Tensor ySq;
            using (t.StopRecording())
                ySq = y * y;
            z = xSq + ySq;
        }
        var grad = t.Gradient(z, new[] { x, y });
        Assert.Equal(4.0f, grad[0]!.ToSingle()); // dz/dx: 2*x => 4
        Assert.Equal(DType.Float32, grad[0]!.DType);
        Assert.Null(grad[1]);                    // dz/dy: None
    }

    [Fact]
    public void Reset_ThrowsAwayTheRecording()
    {
        var x = new Variable(2.0f);
        var y = new Variable(3.0f);
        bool reset = true;
        Tensor z;
        var t = new GradientTape();
        using (t)
        {
            var ySq = y * y;
            if (reset) t.Reset(); // throw out all the tape recorded so far
            z = x * x + ySq;
        }
        var grad = t.Gradient(z, new[] { x, y });
        Assert.Equal(4.0f, grad[0]!.ToSingle()); // 2*x => 4
        Assert.Null(grad[1]);
        Assert.Equal(new[] { x }, t.WatchedVariables());
    }

    [Fact]
    public void StopGradient_CutsOnePath()
    {
        var x = new Variable(2.0f);
        var y = new Variable(3.0f);
        Tensor z;
        var t = new GradientTape();
        using (t)
        {
            var ySq = TF.Pow(y, 2);
            z = TF.Pow(x, 2) + TF.StopGradient(ySq);
        }
        var grad = t.Gradient(z, new[] { x, y });
        Assert.Equal(4.0f, grad[0]!.ToSingle()); // 2*x => 4
        Assert.Null(grad[1]);
    }

    // ---------------------------------------------------------------- custom gradients

    private static Tensor ClipByNorm(Tensor t, double clipNorm)
    {
        var norm = TF.Sqrt(TF.ReduceSum(t * t));
        return t * clipNorm / TF.Maximum(norm, clipNorm);
    }

    [Fact]
    public void CustomGradient_ClipsTheGradient_GuideValueIs2()
    {
        // Establish an identity operation, but clip during the gradient pass.
        var clipGradients = TF.CustomGradient(y => (y, dy => ClipByNorm(dy, 0.5)));
        var v = new Variable(2.0f);
        Tensor output;
        var t = new GradientTape();
        using (t) output = clipGradients(v * v);
        Assert.Equal(4.0f, output.ToSingle());
        Assert.Equal(2.0f, t.Gradient(output, v)!.ToSingle()); // calls "backward", which clips 4 to 2
    }

    private static readonly Func<Tensor, Tensor> Log1pExp = TF.CustomGradient(x =>
    {
        var e = TF.Exp(x);
        return (TF.Log(1.0 + e), upstream => upstream * (1.0 - 1.0 / (1.0 + e)));
    });

    [Fact]
    public void CustomGradient_Log1pExp_IsStableAt100()
    {
        var x = TF.Constant(100.0f);
        using var t = new GradientTape();
        t.Watch(x);
        var y = Log1pExp(x);
        Assert.Equal(1.0f, t.Gradient(y, x)!.ToSingle()); // tf.custom_gradient's documented value
    }

    [Fact]
    public void CustomGradient_IsDifferentiable_SecondDerivativeThroughTheGradientFunction()
    {
        // d/dx log(1 + e^x) = sigmoid(x); d2/dx2 = sigmoid(x)(1 - sigmoid(x)) = 0.25 at 0. The second derivative flows
        // through `e`, which the gradient function closes over.
        var x = TF.Constant(0.0);
        var outer = new GradientTape();
        Tensor dy;
        using (outer)
        {
            outer.Watch(x);
            var inner = new GradientTape();
            Tensor y;
            using (inner)
            {
                inner.Watch(x);
                y = Log1pExp(x);
            }
            dy = inner.Gradient(y, x)!;
        }
        Close(0.5, dy.ToDouble(), 1e-15);
        Close(0.25, outer.Gradient(dy, x)!.ToDouble(), 1e-15);
    }

    [Fact]
    public void CustomGradient_SeveralInputs()
    {
        var bar = TF.CustomGradient(xs =>
        {
            var (x, y) = (xs[0], xs[1]);
            return (x * y, upstream => new[] { upstream * y, upstream * x });
        });
        var a = TF.Constant(2.0f);
        var b = TF.Constant(3.0f);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        tape.Watch(b);
        var z = bar(new[] { a, b });
        Assert.Equal(6.0f, z.ToSingle());
        Assert.Equal(3.0f, tape.Gradient(z, a)!.ToSingle());
        Assert.Equal(2.0f, tape.Gradient(z, b)!.ToSingle());
    }

    // ---------------------------------------------------------------- multiple tapes, higher order

    [Fact]
    public void MultipleTapes_EachSeesItsOwnSource()
    {
        var x0 = TF.Constant(0.0f);
        var x1 = TF.Constant(0.0f);
        var tape0 = new GradientTape();
        var tape1 = new GradientTape();
        Tensor ys;
        using (tape0)
        using (tape1)
        {
            tape0.Watch(x0);
            tape1.Watch(x1);
            var y0 = TF.Sin(x0);
            var y1 = TF.Sigmoid(x1);
            var y = y0 + y1;
            ys = TF.ReduceSum(y);
        }
        Assert.Equal(1.0f, tape0.Gradient(ys, x0)!.ToSingle());  // cos(x) => 1.0
        Assert.Equal(0.25f, tape1.Gradient(ys, x1)!.ToSingle()); // sigmoid(x1)*(1-sigmoid(x1)) => 0.25
    }

    [Fact]
    public void HigherOrder_NestedTapes()
    {
        var x = new Variable(1.0f);
        var t2 = new GradientTape();
        Tensor dyDx;
        using (t2)
        {
            var t1 = new GradientTape();
            Tensor y;
            using (t1) y = x * x * x;
            // Compute the gradient inside the outer `t2` context manager
            // which means the gradient computation is differentiable as well.
            dyDx = t1.Gradient(y, x)!;
        }
        var d2yDx2 = t2.Gradient(dyDx, x)!;
        Assert.Equal(3.0f, dyDx.ToSingle());   // 3 * x**2 => 3.0
        Assert.Equal(6.0f, d2yDx2.ToSingle()); // 6 * x => 6.0
    }

    [Fact]
    public void HigherOrder_InputGradientRegularization()
    {
        var x = TF.RandomNormal(new[] { 7, 5 }, seed: 1);
        var layer = new Dense(5, 10, TF.Relu, seed: 2);
        Tensor g1Mag;
        var t2 = new GradientTape();
        using (t2)
        {
            // The inner tape only takes the gradient with respect to the input, not the variables.
            var t1 = new GradientTape(watchAccessedVariables: false);
            Tensor @out;
            using (t1)
            {
                t1.Watch(x);
                var y = layer.Call(x);
                @out = TF.ReduceSum(TF.Square(layer.Call(x)));
            }
            var g1 = t1.Gradient(@out, x)!;    // 1. the input gradient
            Assert.Equal(new[] { 7, 5 }, g1.Shape);
            g1Mag = TF.Sqrt(TF.ReduceSum(g1 * g1)); // 2. its magnitude (tf.norm)
        }
        var dg1Mag = t2.Gradient(g1Mag, layer.TrainableVariables); // 3. its gradient with respect to the model
        Assert.Equal(new[] { 5, 10 }, dg1Mag[0]!.Shape);
        Assert.Equal(new[] { 10 }, dg1Mag[1]!.Shape);
        Assert.Contains(dg1Mag[0]!.ToArray<float>(), v => v != 0);
    }

    // ---------------------------------------------------------------- Jacobians

    [Fact]
    public void Jacobian_ScalarSource()
    {
        var x = TF.Linspace(-10.0, 10.0, 200 + 1);
        var delta = new Variable(0.0f);
        Tensor y;
        var tape = new GradientTape();
        using (tape) y = TF.Sigmoid(x + delta);
        var dyDx = tape.Jacobian(y, delta)!;
        Assert.Equal(new[] { 201 }, y.Shape);
        Assert.Equal(new[] { 201 }, dyDx.Shape);
        var ys = y.ToArray<float>();
        var js = dyDx.ToArray<float>();
        for (int i = 0; i < ys.Length; i++) Close(ys[i] * (1 - ys[i]), js[i], 1e-6);
    }

    [Fact]
    public void Jacobian_TensorSource_DenseLayer()
    {
        var x = TF.RandomNormal(new[] { 7, 5 }, seed: 3);
        var layer = new Dense(5, 10, TF.Relu, seed: 4);
        Tensor y;
        var tape = new GradientTape(persistent: true);
        using (tape) y = layer.Call(x);
        Assert.Equal(new[] { 7, 10 }, y.Shape);
        Assert.Equal(new[] { 5, 10 }, layer.Kernel.Shape);
        var j = tape.Jacobian(y, layer.Kernel)!;
        Assert.Equal(new[] { 7, 10, 5, 10 }, j.Shape);
        var g = tape.Gradient(y, layer.Kernel)!;
        Assert.Equal(new[] { 5, 10 }, g.Shape);
        var jSum = TF.ReduceSum(j, new[] { 0, 1 });
        var delta = TF.ReduceMax(TF.Abs(g - jSum)).ToDouble();
        Assert.True(delta < 1e-3, $"delta {delta}");
    }

    [Fact]
    public void Jacobian_HessianOfALayer_ThroughNestedTapes()
    {
        var x = TF.RandomNormal(new[] { 7, 5 }, seed: 5, dtype: DType.Float64);
        var layer1 = new Dense(5, 8, TF.Relu, seed: 6, dtype: DType.Float64);
        var layer2 = new Dense(8, 6, TF.Relu, seed: 7, dtype: DType.Float64);
        Tensor Loss()
        {
            var h = layer2.Call(layer1.Call(x));
            return TF.ReduceMean(TF.Square(h));
        }
        Tensor g;
        var t2 = new GradientTape();
        using (t2)
        {
            var t1 = new GradientTape();
            Tensor loss;
            using (t1) loss = Loss();
            g = t1.Gradient(loss, layer1.Kernel)!;
        }
        var h = t2.Jacobian(g, layer1.Kernel)!;
        Assert.Equal(new[] { 5, 8 }, layer1.Kernel.Shape);
        Assert.Equal(new[] { 5, 8, 5, 8 }, h.Shape);
        int nParams = 5 * 8;
        var hMat = TF.Reshape(h, nParams, nParams).ToArray<double>();
        // a Hessian is symmetric...
        for (int i = 0; i < nParams; i++)
            for (int k = 0; k < i; k++)
                Close(hMat[i * nParams + k], hMat[k * nParams + i], 1e-12);
        // ...and its columns are central differences of the gradient
        var k0 = layer1.Kernel.ToArray<double>();
        foreach (int c in new[] { 0, 13, 39 })
        {
            double[] GradAt(double shift)
            {
                var shifted = (double[])k0.Clone();
                shifted[c] += shift;
                layer1.Kernel.Assign(TF.Reshape(TF.Constant(shifted), 5, 8));
                using var t = new GradientTape();
                return t.Gradient(Loss(), layer1.Kernel)!.ToArray<double>();
            }
            var plus = GradAt(1e-6);
            var minus = GradAt(-1e-6);
            for (int r = 0; r < nParams; r++)
                Close((plus[r] - minus[r]) / 2e-6, hMat[r * nParams + c], 1e-6);
        }
    }

    [Fact]
    public void BatchJacobian_MatchesTheDiagonalBlocksOfTheFullJacobian()
    {
        var x = TF.RandomNormal(new[] { 7, 5 }, seed: 8);
        var layer1 = new Dense(5, 8, Dense.Elu, seed: 9);
        var layer2 = new Dense(8, 6, Dense.Elu, seed: 10);
        Tensor y;
        var tape = new GradientTape(persistent: true, watchAccessedVariables: false);
        using (tape)
        {
            tape.Watch(x);
            y = layer2.Call(layer1.Call(x));
        }
        Assert.Equal(new[] { 7, 6 }, y.Shape);
        var j = tape.Jacobian(y, x)!;
        Assert.Equal(new[] { 7, 6, 7, 5 }, j.Shape);
        var jSum = TF.ReduceSum(j, 2);
        Assert.Equal(new[] { 7, 6, 5 }, jSum.Shape);
        var jb = tape.BatchJacobian(y, x)!;
        Assert.Equal(new[] { 7, 6, 5 }, jb.Shape);
        var error = TF.ReduceMax(TF.Abs(jb - jSum)).ToDouble();
        Assert.True(error < 1e-3, $"error {error}");
        for (int b = 0; b < 7; b++) // j_select = einsum('bxby->bxy', j)
        {
            var block = TF.Transpose(j[b], new[] { 1, 0, 2 })[b].ToArray<float>();
            var batch = jb[b].ToArray<float>();
            Assert.Equal(block.Length, batch.Length);
            // Equal up to rounding: the two Jacobians come from differently shaped products, which a
            // BLAS library (MKL) may run through different kernels, so the last bit can differ.
            for (int i = 0; i < block.Length; i++)
                Assert.True(Math.Abs(block[i] - batch[i]) <= 1e-6f * Math.Max(1f, Math.Abs(block[i])),
                    $"batch {b}, element {i}: {block[i]:R} vs {batch[i]:R}");
        }
    }

    [Fact]
    public void BatchJacobian_ElementwiseSquare_TensorFlowsDocumentedValue()
    {
        var x = TF.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        var jb = tape.BatchJacobian(y, x)!;
        Assert.Equal(new[] { 2, 2, 2 }, jb.Shape);
        Assert.Equal(new float[] { 2, 0, 0, 4, 6, 0, 0, 8 }, jb.ToArray<float>());
    }
}
