using Nabla;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Xunit;

namespace Nabla.Examples;

/// <summary>Dropout as a layer (training vs inference, the mask's scale and its derivative), the global poolings against
/// plain loops, and Keras' defaults that other tests do not pin.</summary>
[Collection("Global random seed")]
public class KerasDropoutAndDefaultsTests
{
    [Fact]
    public void Dropout_TrainingScalesKeptElements_InferencePassesThrough()
    {
        var x = TF.Ones(new[] { 200, 50 }, DType.Float64) * 3.0;
        var layer = new Dropout(0.25, seed: 5);
        Assert.Equal(x.ToArray<double>(), layer.Apply(x).ToArray<double>()); // training: false
        var y = layer.Apply(x, training: true).ToArray<double>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 4.0) < 1e-12, $"{v}")); // 3 / (1 - 0.25)
        double kept = y.Count(v => v != 0) / (double)y.Length;
        Assert.InRange(kept, 0.75 - 4 * Math.Sqrt(0.75 * 0.25 / y.Length), 0.75 + 4 * Math.Sqrt(0.75 * 0.25 / y.Length));
        // the gradient is the same scaled mask
        var v0 = new Variable(x);
        using var tape = new GradientTape();
        var z = layer.Apply(v0, training: true);
        var g = tape.Gradient(TF.ReduceSum(z), v0)!.ToArray<double>();
        var zv = z.ToArray<double>();
        for (int i = 0; i < g.Length; i++) Assert.Equal(zv[i] == 0 ? 0.0 : 4.0 / 3.0, g[i], 6); // the layer computes in Float32
        // a noise shape with a null entry takes the input's extent; extent 1 shares the draw along that axis
        var shared = new Dropout(0.5, noiseShape: new int?[] { null, 1 }, seed: 9).Apply(x, training: true).ToArray<double>();
        for (int r = 0; r < 200; r++)
            Assert.True(Enumerable.Range(0, 50).All(c => shared[r * 50 + c] == shared[r * 50]), $"row {r} shares one draw");
        Assert.Throws<ArgumentException>(() => new Dropout(1.0));
        var x32 = TF.Ones(new[] { 2, 2 });
        Assert.Same(x32, new Dropout(0.0).Apply(x32, training: true)); // rate 0 (and inference) return the input itself
    }

    [Fact]
    public void GlobalPoolings_MatchPlainLoops()
    {
        var r = new Random(4);
        var data = Enumerable.Range(0, 2 * 3 * 4 * 5).Select(_ => r.NextDouble()).ToArray();
        var x = TF.Reshape(TF.Constant(data), 2, 3, 4, 5);
        var avg = new GlobalAveragePooling2D().Apply(x).ToArray<float>();
        var max = new GlobalMaxPooling2D().Apply(x).ToArray<float>();
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 5; c++)
            {
                double s = 0, m = double.NegativeInfinity;
                for (int h = 0; h < 3; h++)
                    for (int w = 0; w < 4; w++)
                    {
                        double v = data[((b * 3 + h) * 4 + w) * 5 + c];
                        s += v;
                        m = Math.Max(m, v);
                    }
                Assert.Equal(s / 12, avg[b * 5 + c], 5);
                Assert.Equal((float)m, max[b * 5 + c]);
            }
        Assert.Equal(new[] { 2, 1, 1, 5 }, new GlobalAveragePooling2D(keepDims: true).Apply(x).Shape);
        Assert.Equal(new[] { 2, 3 }, new GlobalAveragePooling2D(dataFormat: "channels_first").Apply(x).Shape);
    }

    [Fact]
    public void KerasDefaults()
    {
        Assert.Equal(0.3, new LeakyReLU().NegativeSlope);                       // Keras 3's default negative_slope
        var emb = new Embedding(100, 8);
        emb.Apply(TF.Constant(new[] { 1 }));
        Assert.All(emb.Embeddings!.ToArray<float>(), v => Assert.InRange(v, -0.05f, 0.05f)); // "uniform": [-0.05, 0.05)
        Assert.Equal(0.05, new RandomNormal().Stddev);
        Assert.Equal((-0.05, 0.05), (new RandomUniform().Minval, new RandomUniform().Maxval));
        Assert.Equal(0.01, new Nabla.Keras.Regularizers.L2().L2);
        Assert.Equal(0.01, new Nabla.Keras.Regularizers.L1().L1);
        var vs = new VarianceScaling();
        Assert.Equal((1.0, "fan_in", "truncated_normal"), (vs.Scale, vs.Mode, vs.Distribution));
        var ln = new LayerNormalization();
        Assert.True(ln.Center && ln.Scale);
        var bn = new BatchNormalization();
        Assert.Equal((-1, 0.99, 1e-3), (bn.Axis, bn.Momentum, bn.Epsilon));
        var pool = new MaxPooling2D();
        Assert.Equal(new[] { 2, 2 }, pool.PoolSize);
        Assert.Equal(new[] { 2, 2 }, pool.Strides);
        Assert.Equal("valid", pool.Padding);
        // keras.activations.gelu's default is the exact form (approximate=False)
        var g = TF.Constant(new[] { -1.5, 0.3, 2.0 });
        Assert.Equal(TF.Gelu(g).ToArray<double>(), Nabla.Keras.Activations.Get("gelu")(g).ToArray<double>());
        Assert.NotEqual(TF.Gelu(g, approximate: true).ToArray<double>(), Nabla.Keras.Activations.Get("gelu")(g).ToArray<double>());
        var conv = new Conv2D(4, 3);
        Assert.Equal(("valid", "channels_last"), (conv.Padding, conv.DataFormat));
    }
}
