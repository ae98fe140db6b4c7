using Nabla;
using Nabla.Keras.Losses;
using Nabla.Keras.Metrics;
using Xunit;

namespace Nabla.Examples;

/// <summary>Keras' losses and metrics: the values of Keras' documented examples (each reduction, sample weights),
/// derivatives against finite differences at orders 1 and 2, Float32 kept, and messages.</summary>
public class KerasLossMetricTests
{
    private static Tensor T(double[,] a) => TF.Constant(a);
    private static Tensor T(params double[] a) => TF.Constant(a);

    private static void Near(double expected, Tensor actual, double tol) =>
        Assert.True(Math.Abs(expected - actual.ToDouble()) <= tol, $"expected {expected}, got {actual.ToDouble():R}");

    private static void Near(double[] expected, Tensor actual, double tol)
    {
        var a = actual.ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]}, got {a[i]:R}");
    }

    [Fact]
    public void MeanSquaredError_KerasDocExample_EveryReduction()
    {
        var yTrue = T(new double[,] { { 0, 1 }, { 0, 0 } });
        var yPred = T(new double[,] { { 1, 1 }, { 1, 0 } });
        Near(0.5, new MeanSquaredError().Call(yTrue, yPred), 1e-15);
        Near(0.25, new MeanSquaredError().Call(yTrue, yPred, T(0.7, 0.3)), 1e-15);
        Near(1.0, new MeanSquaredError(Reduction.Sum).Call(yTrue, yPred), 1e-15);
        Near(new[] { 0.5, 0.5 }, new MeanSquaredError(Reduction.None).Call(yTrue, yPred), 1e-15);
        // mean with sample weight divides by the weights' sum: (0.5 * 0.7 + 0.5 * 0.3) / 1.0
        Near(0.5, new MeanSquaredError(Reduction.MeanWithSampleWeight).Call(yTrue, yPred, T(0.7, 0.3)), 1e-15);
    }

    [Fact]
    public void MeanAbsoluteError_KerasDocExample()
    {
        var yTrue = T(new double[,] { { 0, 1 }, { 0, 0 } });
        var yPred = T(new double[,] { { 1, 1 }, { 1, 0 } });
        Near(0.5, new MeanAbsoluteError().Call(yTrue, yPred), 1e-15);
        Near(0.25, new MeanAbsoluteError().Call(yTrue, yPred, T(0.7, 0.3)), 1e-15);
        Near(new[] { 0.5, 0.5 }, new MeanAbsoluteError(Reduction.None).Call(yTrue, yPred), 1e-15);
    }

    [Fact]
    public void Huber_KLDivergence_BinaryCrossentropy_KerasDocExamples()
    {
        var yTrue = T(new double[,] { { 0, 1 }, { 0, 0 } });
        var yPred = T(new double[,] { { 0.6, 0.4 }, { 0.4, 0.6 } });
        Near(0.155, new Huber().Call(yTrue, yPred), 1e-12);
        Near(0.09, new Huber().Call(yTrue, yPred, T(1, 0)), 1e-12);
        Near(0.31, new Huber(reduction: Reduction.Sum).Call(yTrue, yPred), 1e-12);
        Near(new[] { 0.18, 0.13 }, new Huber(reduction: Reduction.None).Call(yTrue, yPred), 1e-12);
        // the linear branch: |e| = 3 > delta = 1 gives 3 - 0.5
        Near(2.5, new Huber().Call(T(0.0), T(3.0)), 1e-15);

        Near(0.458, new KLDivergence().Call(yTrue, yPred), 1e-3);
        Near(0.366, new KLDivergence().Call(yTrue, yPred, T(0.8, 0.2)), 1e-3);
        Near(0.916, new KLDivergence(Reduction.Sum).Call(yTrue, yPred), 1e-3);

        Near(0.815, new BinaryCrossentropy().Call(yTrue, yPred), 1e-3);
        Near(0.458, new BinaryCrossentropy().Call(yTrue, yPred, T(1, 0)), 1e-3);
        Near(1.630, new BinaryCrossentropy(reduction: Reduction.Sum).Call(yTrue, yPred), 1e-3);
        Near(new[] { 0.916, 0.714 }, new BinaryCrossentropy(reduction: Reduction.None).Call(yTrue, yPred), 1e-3);
        Near(0.865, new BinaryCrossentropy(fromLogits: true).Call(T(0, 1, 0, 0), T(-18.6, 0.51, 2.94, -12.8)), 1e-3);
        // probabilities at 0 and 1 are clipped: finite
        Assert.True(double.IsFinite(new BinaryCrossentropy().Call(T(1, 0), T(0, 1)).ToDouble()));
    }

    [Fact]
    public void CategoricalAndSparse_KerasDocExamples_AndAgreement()
    {
        var oneHot = T(new double[,] { { 0, 1, 0 }, { 0, 0, 1 } });
        var labels = TF.Constant(new[] { 1, 2 });
        var probs = T(new double[,] { { 0.05, 0.95, 0 }, { 0.1, 0.8, 0.1 } });
        foreach (var (loss, yTrue) in new (Func<Reduction, Loss>, Tensor)[]
                 {
                     (r => new CategoricalCrossentropy(reduction: r), oneHot),
                     (r => new SparseCategoricalCrossentropy(reduction: r), labels),
                 })
        {
            Near(1.177, loss(Reduction.SumOverBatchSize).Call(yTrue, probs), 1e-3);
            Near(0.814, loss(Reduction.SumOverBatchSize).Call(yTrue, probs, T(0.3, 0.7)), 1e-3);
            Near(2.354, loss(Reduction.Sum).Call(yTrue, probs), 1e-3);
            Near(new[] { 0.0513, 2.303 }, loss(Reduction.None).Call(yTrue, probs), 1e-3);
        }
        // from logits, the sparse and one-hot forms agree with the ops
        var logits = T(new double[,] { { 2.0, -1.0, 0.5 }, { 0.1, 0.2, 3.0 } });
        var dense = new CategoricalCrossentropy(fromLogits: true).Call(oneHot, logits);
        var sparse = new SparseCategoricalCrossentropy(fromLogits: true).Call(labels, logits);
        Near(dense.ToDouble(), sparse, 1e-14);
        Near(TF.ReduceMean(TF.SoftmaxCrossEntropyWithLogits(oneHot, logits)).ToDouble(), dense, 1e-14);
        // labels shaped [batch, 1] and as floats, as Keras accepts
        Near(sparse.ToDouble(), new SparseCategoricalCrossentropy(fromLogits: true).Call(T(new double[,] { { 1 }, { 2 } }), logits), 1e-14);
        // label smoothing 0.3 over 3 classes: y = y * 0.7 + 0.1
        var smoothed = new CategoricalCrossentropy(fromLogits: true, labelSmoothing: 0.3).Call(oneHot, logits);
        Near(TF.ReduceMean(TF.SoftmaxCrossEntropyWithLogits(oneHot * 0.7 + 0.1, logits)).ToDouble(), smoothed, 1e-14);
    }

    [Fact]
    public void SparseCategoricalCrossentropy_IgnoreClass_CountsOnlyTheOthers()
    {
        var logits = T(new double[,] { { 2.0, -1.0, 0.5 }, { 0.1, 0.2, 3.0 }, { 1.0, 1.0, 1.0 } });
        var all = new SparseCategoricalCrossentropy(fromLogits: true, reduction: Reduction.None).Call(TF.Constant(new[] { 0, 2, 1 }), logits).ToArray<double>();
        var ignoring = new SparseCategoricalCrossentropy(fromLogits: true, ignoreClass: 1).Call(TF.Constant(new[] { 0, 2, 1 }), logits);
        Near((all[0] + all[1]) / 2, ignoring, 1e-14);
    }

    [Fact]
    public void Losses_AreDifferentiable_ToSecondOrder_AndKeepFloat32()
    {
        var yTrue = T(new double[,] { { 0.2, 0.8 }, { 0.6, 0.4 } });
        var x = T(new double[,] { { 0.3, 0.55 }, { 0.45, 0.7 } });
        var losses = new Loss[]
        {
            new MeanSquaredError(), new MeanAbsoluteError(), new Huber(delta: 0.2), new KLDivergence(),
            new BinaryCrossentropy(), new BinaryCrossentropy(fromLogits: true, labelSmoothing: 0.1),
            new CategoricalCrossentropy(), new CategoricalCrossentropy(fromLogits: true),
        };
        foreach (var loss in losses)
        {
            var check = Autodiff.CheckGradients(p => loss.Call(yTrue, p, T(0.3, 1.7)), x, order: 2);
            Assert.True(check.Passed, $"{loss.Name}: {check}");
            Assert.Equal(DType.Float32, loss.Call(TF.Cast(yTrue, DType.Float32), TF.Cast(x, DType.Float32)).DType);
        }
        var sparse = Autodiff.CheckGradients(p => new SparseCategoricalCrossentropy(fromLogits: true).Call(TF.Constant(new[] { 1, 0 }), p), x, order: 2);
        Assert.True(sparse.Passed, sparse.ToString());
    }

    [Fact]
    public void Losses_NameTheShapesTheyReject()
    {
        var e = Assert.Throws<ArgumentException>(() => new MeanSquaredError().Call(T(new double[,] { { 1, 2, 3 } }), T(new double[,] { { 1, 2 } })));
        Assert.Contains("MeanSquaredError: yTrue has shape [1, 3] but yPred has shape [1, 2]", e.Message);
        var s = Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossentropy().Call(TF.Constant(new[] { 1, 2, 0 }), T(new double[,] { { 0.5, 0.5 } })));
        Assert.Contains("SparseCategoricalCrossentropy: yTrue has shape [3]", s.Message);
        Assert.Throws<ArgumentException>(() => new Huber(delta: 0));
        Assert.Throws<ArgumentException>(() => new MeanSquaredError().Call(T(1.0), TF.Constant(new[] { 1 })));
    }

    [Fact]
    public void Metrics_KerasDocExamples()
    {
        var mean = new Mean();
        Assert.Equal(0.0, mean.Result().ToDouble()); // divide-no-nan before any value
        mean.UpdateState(T(1, 3, 5, 7));
        Assert.Equal(4.0, mean.Result().ToDouble());
        mean.ResetState();
        mean.UpdateState(T(1, 3, 5, 7), T(1, 1, 0, 0));
        Assert.Equal(2.0, mean.Result().ToDouble());
        Assert.Equal(DType.Float32, mean.Result().DType);
        Assert.Equal("mean: 2.0000", mean.ToString());

        var sca = new SparseCategoricalAccuracy();
        sca.UpdateState(T(new double[,] { { 2 }, { 1 } }), T(new double[,] { { 0.1, 0.6, 0.3 }, { 0.05, 0.95, 0 } }));
        Assert.Equal(0.5, sca.Result().ToDouble(), 6);
        sca.ResetState();
        sca.UpdateState(T(new double[,] { { 2 }, { 1 } }), T(new double[,] { { 0.1, 0.6, 0.3 }, { 0.05, 0.95, 0 } }), T(0.7, 0.3));
        Assert.Equal(0.3, sca.Result().ToDouble(), 6);
        // integer labels, accumulated over two batches
        sca.ResetState();
        sca.UpdateState(TF.Constant(new[] { 1 }), T(new double[,] { { 0.1, 0.6, 0.3 } }));
        sca.UpdateState(TF.Constant(new[] { 0, 0 }), T(new double[,] { { 0.1, 0.6, 0.3 }, { 0.9, 0.05, 0.05 } }));
        Assert.Equal(2.0 / 3.0, sca.Result().ToDouble(), 6);

        var ca = new CategoricalAccuracy();
        ca.UpdateState(T(new double[,] { { 0, 0, 1 }, { 0, 1, 0 } }), T(new double[,] { { 0.1, 0.9, 0.8 }, { 0.05, 0.95, 0 } }));
        Assert.Equal(0.5, ca.Result().ToDouble(), 6);
        ca.ResetState();
        ca.UpdateState(T(new double[,] { { 0, 0, 1 }, { 0, 1, 0 } }), T(new double[,] { { 0.1, 0.9, 0.8 }, { 0.05, 0.95, 0 } }), T(0.7, 0.3));
        Assert.Equal(0.3, ca.Result().ToDouble(), 6);

        var ba = new BinaryAccuracy();
        ba.UpdateState(T(new double[,] { { 1 }, { 1 }, { 0 }, { 0 } }), T(new double[,] { { 0.98 }, { 1 }, { 0 }, { 0.6 } }));
        Assert.Equal(0.75, ba.Result().ToDouble(), 6);
        ba.ResetState();
        ba.UpdateState(T(new double[,] { { 1 }, { 1 }, { 0 }, { 0 } }), T(new double[,] { { 0.98 }, { 1 }, { 0 }, { 0.6 } }), T(1, 0, 0, 1));
        Assert.Equal(0.5, ba.Result().ToDouble(), 6);

        var e = Assert.Throws<ArgumentException>(() => new CategoricalAccuracy().UpdateState(T(new double[,] { { 0, 1 } }), T(new double[,] { { 0.1, 0.2, 0.7 } })));
        Assert.Contains("CategoricalAccuracy: yTrue has shape [1, 2] but yPred has shape [1, 3]", e.Message);
    }

    [Fact]
    public void Metrics_UnderATape_RecordNothing()
    {
        var w = new Variable(TF.Constant(new double[,] { { 0.2, 0.8 } }));
        var acc = new CategoricalAccuracy();
        using var tape = new GradientTape();
        var loss = new MeanSquaredError().Call(T(new double[,] { { 0, 1 } }), w * 1.0);
        acc.UpdateState(T(new double[,] { { 0, 1 } }), w * 1.0);
        var g = tape.Gradient(loss, w);
        Near(new[] { 0.2, -0.2 }, g!, 1e-15); // d/dw mean((w - y)^2) over 2 elements = w - y
        Assert.Equal(1.0, acc.Result().ToDouble());
    }
}
