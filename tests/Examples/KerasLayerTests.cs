using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Nabla.Keras.Losses;
using Nabla.Keras.Regularizers;
using Nabla.Optimizers;
using Xunit;
using KDense = Nabla.Keras.Layers.Dense;

namespace Nabla.Examples;

/// <summary>Keras layers, models and initializers: forward passes against plain computations, gradients against finite
/// differences and closed forms, Keras' defaults, variable tracking, Summary, and stateless calls for MAML.</summary>
public class KerasLayerTests
{
    private static Tensor T(double[,] a) => TF.Constant(a);

    private static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static double[] MatMulRef(double[,] x, double[] w, int units, double[] b)
    {
        int n = x.GetLength(0), k = x.GetLength(1);
        var y = new double[n * units];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < units; j++)
            {
                double s = b[j];
                for (int p = 0; p < k; p++) s += x[i, p] * w[p * units + j];
                y[i * units + j] = s;
            }
        return y;
    }

    [Fact]
    public void Dense_ForwardMatchesAPlainProduct_AndItsGradientsTheClosedForm()
    {
        var x = new double[,] { { 0.5, -1.0, 2.0 }, { 1.5, 0.25, -0.5 } };
        var dense = new KDense(4, activation: "tanh", biasInitializer: new Constant(0.1), dtype: DType.Float64);
        var y = dense.Apply(T(x));
        var w = dense.Kernel!.ToArray<double>();
        var expected = MatMulRef(x, w, 4, Enumerable.Repeat(0.1, 4).ToArray()).Select(Math.Tanh).ToArray();
        Close(expected, y.ToArray<double>(), 1e-14);
        Assert.Equal(new[] { 3, 4 }, dense.Kernel.Shape);
        Assert.Equal(new[] { dense.Kernel, dense.Bias! }, dense.TrainableVariables);
        Assert.Equal("dense", dense.Name.Split('_')[0]);

        // d sum(y) / d bias = sum over rows of (1 - y^2)
        using var tape = new GradientTape();
        var s = TF.ReduceSum(dense.Apply(T(x)));
        var gb = tape.Gradient(s, dense.Bias!)!.ToArray<double>();
        var yy = y.ToArray<double>();
        Close(Enumerable.Range(0, 4).Select(j => (1 - yy[j] * yy[j]) + (1 - yy[4 + j] * yy[4 + j])).ToArray(), gb, 1e-13);
        // and with respect to the input, to second order, against finite differences
        var check = Autodiff.CheckGradients(v => TF.ReduceSum(TF.Square(dense.Apply(v))), T(x), order: 2);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void Dense_KerasDefaults_GlorotUniformKernelAndZeroBias_Float32()
    {
        var dense = new KDense(50);
        dense.Apply(TF.Zeros(new[] { 2, 30 }));
        Assert.Equal(DType.Float32, dense.Kernel!.DType);
        double limit = Math.Sqrt(6.0 / (30 + 50));
        var k = dense.Kernel.ToArray<float>();
        Assert.All(k, v => Assert.InRange(v, -limit, limit));
        Assert.True(k.Max() > 0.8 * limit && k.Min() < -0.8 * limit, "the draws should fill the interval");
        Assert.All(dense.Bias!.ToArray<float>(), v => Assert.Equal(0f, v));
        // a Float64 input is cast to the layer's Float32 (Keras' autocast)
        Assert.Equal(DType.Float32, dense.Apply(TF.Ones(new[] { 1, 30 }, DType.Float64)).DType);
    }

    [Fact]
    public void Initializers_KerasFormulas_SeededRepeatable()
    {
        var a = new HeNormal(seed: 7).Call(new[] { 400, 300 }, DType.Float64).ToArray<double>();
        var b = new HeNormal(seed: 7).Call(new[] { 400, 300 }, DType.Float64).ToArray<double>();
        Assert.Equal(a, b);
        var seeded = new GlorotNormal(seed: 3);
        Assert.Equal(seeded.Call(new[] { 4, 5 }).ToArray<float>(), seeded.Call(new[] { 4, 5 }).ToArray<float>()); // same at every call
        Assert.NotEqual(new GlorotNormal().Call(new[] { 4, 5 }).ToArray<float>(), new GlorotNormal().Call(new[] { 4, 5 }).ToArray<float>());
        // He normal: variance 2 / fanIn (the truncation is corrected), within 5% for 120,000 draws
        double mean = a.Average(), variance = a.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(variance, 0.95 * 2.0 / 400, 1.05 * 2.0 / 400);
        Assert.All(a, v => Assert.InRange(Math.Abs(v), 0, 2 * Math.Sqrt(2.0 / 400) / 0.87962566103423978 + 1e-12));
        // fans of a conv kernel [3, 3, 16, 32]: receptive field 9
        Assert.Equal((144.0, 288.0), Initializer.ComputeFans(new[] { 3, 3, 16, 32 }));
        var lecun = new LecunUniform(seed: 1).Call(new[] { 3, 3, 16, 32 }, DType.Float64).ToArray<double>();
        Assert.All(lecun, v => Assert.InRange(v, -Math.Sqrt(3.0 / 144), Math.Sqrt(3.0 / 144)));
        // orthogonal: Q^T Q = I (columns orthonormal when rows >= columns), and rows orthonormal when wider
        foreach (var shape in new[] { new[] { 6, 4 }, new[] { 3, 5 } })
        {
            var q = new Orthogonal(gain: 2.0, seed: 5).Call(shape, DType.Float64).ToArray<double>();
            int r = shape[0], c = shape[1], m = Math.Min(r, c);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    double dot = 0;
                    for (int p = 0; p < (r >= c ? r : c); p++)
                        dot += r >= c ? q[p * c + i] * q[p * c + j] : q[i * c + p] * q[j * c + p];
                    Assert.Equal(i == j ? 4.0 : 0.0, dot, 12);
                }
        }
        Assert.Equal(new[] { 0.25f, 0.25f }, new Constant(0.25).Call(new[] { 2 }).ToArray<float>());
        Assert.Throws<ArgumentException>(() => new VarianceScaling(mode: "fan_sideways"));
    }

    private sealed class TwoTowers : Model
    {
        public readonly KDense Left = new(3, name: "left"), Right = new(3, name: "right");
        private readonly List<Layer> head = new() { new KDense(2, name: "head_a"), new KDense(1, name: "head_b") };
        private readonly Concatenate join = new();

        protected override Tensor Call(Tensor x, bool training)
        {
            var h = join.Apply(Left.Apply(x), Right.Apply(x));
            foreach (var l in head) h = l.Apply(h, training);
            return h;
        }
    }

    [Fact]
    public void SubclassedModel_TracksItsLayers_FreezingMovesWeights()
    {
        var m = new TwoTowers();
        m.Build(2, 4);
        Assert.Equal(new[] { "left", "right", "head_a", "head_b" }, m.Layers.Where(l => l is KDense).Select(l => l.Name));
        Assert.Equal(8, m.TrainableVariables.Count);
        Assert.Equal((4 * 3 + 3) * 2 + (6 * 2 + 2) + (2 + 1), m.CountParams());
        m.Left.Trainable = false;
        Assert.Equal(6, m.TrainableVariables.Count);
        Assert.Equal(2, m.NonTrainableVariables.Count);
        Assert.Contains(m.Left.Kernel!, m.NonTrainableVariables);
        Assert.Equal(m.CountParams(), m.Variables.Sum(v => v.Shape.Aggregate(1L, (a, b) => a * b)));
    }

    [Fact]
    public void Sequential_Summary_IsKerasStyle()
    {
        var model = new Sequential(new Layer[] { new Flatten(name: "flatten"), new KDense(128, activation: "relu", name: "hidden"), new KDense(10, name: "logits") }, name: "mnist");
        model.Build(1, 28, 28);
        var lines = new List<string>();
        model.Summary(lines.Add);
        Assert.Equal("Model: \"mnist\"", lines[0]);
        Assert.Contains(lines, l => l.StartsWith(" flatten (Flatten)") && l.Contains("(None, 784)") && l.TrimEnd().EndsWith(" 0"));
        Assert.Contains(lines, l => l.StartsWith(" hidden (Dense)") && l.Contains("(None, 128)") && l.TrimEnd().EndsWith("100480"));
        Assert.Contains(lines, l => l.StartsWith(" logits (Dense)") && l.Contains("(None, 10)") && l.TrimEnd().EndsWith("1290"));
        Assert.Contains("Total params: 101770", lines);
        Assert.Contains("Trainable params: 101770", lines);
        Assert.Contains("Non-trainable params: 0", lines);
        Assert.Throws<ArgumentException>(() => model.Add(new Add()));
        Assert.Throws<ArgumentException>(() => new KDense(3, activation: "relu7"));
    }

    [Fact]
    public void BatchNormalization_TrainingUpdatesMovingStatistics_InferenceUsesThem()
    {
        var bn = new BatchNormalization(dtype: DType.Float64);
        Assert.Equal(0.99, bn.Momentum);
        Assert.Equal(1e-3, bn.Epsilon);
        var x = T(new double[,] { { 1, 10 }, { 3, 20 }, { 5, 60 } });
        var y = bn.Apply(x, training: true).ToArray<double>();
        // channel 0: mean 3, population variance 8/3
        double s0 = Math.Sqrt(8.0 / 3 + 1e-3);
        Close(new[] { -2 / s0, 0, 2 / s0 }, new[] { y[0], y[2], y[4] }, 1e-13);
        Close(new[] { 0.01 * 3, 0.01 * 30 }, bn.MovingMean!.ToArray<double>(), 1e-14);
        double var1 = (400.0 + 100 + 900) / 3;
        Close(new[] { 0.99 + 0.01 * 8.0 / 3, 0.99 + 0.01 * var1 }, bn.MovingVariance!.ToArray<double>(), 1e-14);
        Assert.Equal(2, bn.NonTrainableVariables.Count);
        // inference: (x - moving_mean) / sqrt(moving_var + eps)
        var mm = bn.MovingMean.ToArray<double>();
        var mv = bn.MovingVariance.ToArray<double>();
        var z = bn.Apply(x, training: false).ToArray<double>();
        Assert.Equal((1 - mm[0]) / Math.Sqrt(mv[0] + 1e-3), z[0], 13);
        Close(mm, bn.MovingMean.ToArray<double>(), 0); // inference changes nothing
        // the training output is differentiable (through the batch statistics) to second order
        var check = Autodiff.CheckGradients(v => TF.ReduceSum(TF.Square(bn.Apply(v, training: true)) * T(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } })), x, order: 2);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void LayerNormalization_NormalisesTheLastAxis_AndDifferentiates()
    {
        var ln = new LayerNormalization(dtype: DType.Float64);
        Assert.Equal(1e-3, ln.Epsilon);
        var x = T(new double[,] { { 1, 2, 3, 6 }, { -1, 0, 0, 1 } });
        var y = ln.Apply(x).ToArray<double>();
        double m = 3, v = (4 + 1 + 0 + 9) / 4.0;
        Close(new[] { 1, 2, 3, 6 }.Select(a => (a - m) / Math.Sqrt(v + 1e-3)).ToArray(), y.Take(4).ToArray(), 1e-13);
        var check = Autodiff.CheckGradients(t => TF.ReduceSum(TF.Sin(ln.Apply(t))), x, order: 2);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void Embedding_GathersRows_GradientAccumulatesRepeatedIndices()
    {
        var emb = new Embedding(5, 3, dtype: DType.Float64);
        var idx = TF.Constant(new[,] { { 1, 4 }, { 1, 0 } });
        var y = emb.Apply(idx);
        Assert.Equal(new[] { 2, 2, 3 }, y.Shape);
        var table = emb.Embeddings!.ToArray<double>();
        Close(table.Skip(3).Take(3).ToArray(), y.ToArray<double>().Take(3).ToArray(), 0);
        using var tape = new GradientTape();
        var g = tape.Gradient(TF.ReduceSum(emb.Apply(idx)), emb.Embeddings)!.ToArray<double>();
        Close(new double[] { 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, g, 0);
    }

    [Fact]
    public void Regularizers_AddDifferentiableLosses()
    {
        var dense = new KDense(2, kernelRegularizer: new L2(0.1), biasRegularizer: new L1(0.5), biasInitializer: new Constant(-1), dtype: DType.Float64);
        dense.Apply(TF.Ones(new[] { 1, 3 }, DType.Float64));
        var k = dense.Kernel!.ToArray<double>();
        var losses = dense.Losses;
        Assert.Equal(2, losses.Count);
        Assert.Equal(0.1 * k.Sum(v => v * v), losses[0].ToDouble(), 13);
        Assert.Equal(0.5 * 2, losses[1].ToDouble(), 13);
        using var tape = new GradientTape();
        var penalty = TF.AddN(dense.Losses.ToList());
        var g = tape.Gradient(penalty, dense.Kernel)!.ToArray<double>();
        Close(k.Select(v => 0.2 * v).ToArray(), g, 1e-14);
    }

    [Fact]
    public void MergeLayers_AddAndConcatenate()
    {
        var a = T(new double[,] { { 1, 2 } });
        var b = T(new double[,] { { 10, 20 } });
        Close(new[] { 11.0, 22 }, new Add().Apply(a, b).ToArray<float>().Select(v => (double)v).ToArray(), 0);
        Assert.Equal(new[] { 1, 4 }, new Concatenate().Apply(a, b).Shape);
        var e = Assert.Throws<ArgumentException>(() => new Add().Apply(a));
        Assert.Contains("expected a list of at least 2", e.Message);
    }

    [Fact]
    public void StatelessCall_DifferentiatesThroughAnInnerUpdate_MAML()
    {
        // model y = w x (1x1 kernel, no bias); inner loss (w x1 - y1)^2 with step a; outer loss (w' x2 - y2)^2 at
        // w' = w - a g: dL/dw = 2 x2 (w' x2 - y2) (1 - 2 a x1^2)
        double w0 = 0.7, x1 = 1.5, y1 = 2.0, x2 = -0.5, y2 = 1.0, a = 0.1;
        var model = new Sequential(new Layer[] { new KDense(1, useBias: false, kernelInitializer: new Constant(w0), dtype: DType.Float64) });
        model.Build(1, 1);
        var w = model.TrainableVariables;
        using var outer = new GradientTape();
        Tensor adapted;
        using (var inner = new GradientTape())
        {
            var innerLoss = TF.ReduceSum(TF.Square(model.Apply(T(new[,] { { x1 } })) - y1));
            var g = inner.Gradient(innerLoss, w[0])!;
            adapted = w[0] - a * g;
        }
        var (yOuter, _) = model.StatelessCall(new[] { adapted }, null, T(new[,] { { x2 } }));
        var outerLoss = TF.ReduceSum(TF.Square(yOuter - y2));
        var grad = outer.Gradient(outerLoss, w[0])!.ToDouble();
        double wPrime = w0 - a * 2 * x1 * (w0 * x1 - y1);
        Assert.Equal(2 * x2 * (wPrime * x2 - y2) * (1 - 2 * a * x1 * x1), grad, 12);
        Assert.Equal(w0, model.TrainableVariables[0].ToDouble()); // no variable changed
        var e = Assert.Throws<ArgumentException>(() => model.StatelessCall(Array.Empty<Tensor>(), null, T(new[,] { { x2 } })));
        Assert.Contains("expected one per variable", e.Message);
    }

    [Fact]
    public void StatelessCall_ReturnsMovingStatistics_InsteadOfAssigning()
    {
        var bn = new BatchNormalization(dtype: DType.Float64);
        var x = T(new double[,] { { 1 }, { 3 } });
        bn.Apply(x);
        var (_, updated) = bn.StatelessCall(bn.TrainableVariables.Select(v => (Tensor)v).ToList(), null, x, training: true);
        Assert.Equal(0.0, bn.MovingMean!.ToArray<double>()[0]);
        Assert.Equal(0.01 * 2, updated[0].ToArray<double>()[0], 15);
    }

    [Fact]
    public void ASmallModel_Trains()
    {
        // y = sum of inputs: a Dense stack with Adam reaches a small loss
        var model = new Sequential(new Layer[] { new KDense(8, activation: "tanh", kernelInitializer: new GlorotUniform(seed: 1)), new KDense(1, kernelInitializer: new GlorotUniform(seed: 2)) });
        var x = TF.Constant(new float[,] { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 0.5f, -0.5f }, { -1, 0.5f } });
        var y = TF.Constant(new float[,] { { 1 }, { 1 }, { 2 }, { 0 }, { -0.5f } });
        var opt = new Adam(0.05);
        var mse = new MeanSquaredError();
        double first = 0, last = 0;
        for (int i = 0; i < 300; i++)
        {
            using var tape = new GradientTape();
            var loss = mse.Call(y, model.Apply(x, training: true));
            if (i == 0) first = loss.ToDouble();
            last = loss.ToDouble();
            opt.ApplyGradients(tape.Gradient(loss, model.TrainableVariables).Zip(model.TrainableVariables));
        }
        Assert.True(last < 0.01 * first && last < 1e-2, $"loss {first} -> {last}");
    }
}
