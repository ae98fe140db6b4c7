using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Xunit;
using KConv2D = Nabla.Keras.Layers.Conv2D;
using KDense = Nabla.Keras.Layers.Dense;

namespace Nabla.Examples;

/// <summary>Keras' convolution and pooling layers: outputs against the TF ops they wrap (plus bias), Keras' output extents
/// (Conv2DTranspose's formula, causal Conv1D), kernel shapes and defaults, gradients against finite differences, and a
/// CNN's Summary.</summary>
public class KerasConvLayerTests
{
    private static Tensor Input(int[] shape, int seed)
    {
        var r = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return TF.Reshape(TF.Constant(Enumerable.Range(0, n).Select(_ => r.NextDouble() - 0.5).ToArray()), shape);
    }

    private static void Close(double[] e, double[] a, double tol)
    {
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void Conv2D_IsTheOpPlusBias_WithKerasKernelShape()
    {
        var x = Input(new[] { 2, 7, 6, 3 }, 1);
        var conv = new KConv2D(4, new[] { 3, 2 }, strides: new[] { 2, 1 }, padding: "same", biasInitializer: new Constant(0.5), dtype: DType.Float64);
        var y = conv.Apply(x);
        Assert.Equal(new[] { 3, 2, 3, 4 }, conv.Kernel!.Shape);
        Assert.Equal(new[] { 2, 4, 6, 4 }, y.Shape);
        Close((TF.Conv2D(x, conv.Kernel, new[] { 2, 1 }, "SAME") + 0.5).ToArray<double>(), y.ToArray<double>(), 1e-14);
        // channels_first reads NCHW and gives the same numbers transposed
        var first = new KConv2D(4, new[] { 3, 2 }, strides: new[] { 2, 1 }, padding: "same", dataFormat: "channels_first", biasInitializer: new Constant(0.5), dtype: DType.Float64);
        first.Apply(TF.Transpose(x, new[] { 0, 3, 1, 2 }));
        first.Kernel!.Assign(conv.Kernel.Value);
        Close(y.ToArray<double>(), TF.Transpose(first.Apply(TF.Transpose(x, new[] { 0, 3, 1, 2 })), new[] { 0, 2, 3, 1 }).ToArray<double>(), 1e-13);
        var check = Autodiff.CheckGradients(v => TF.ReduceSum(TF.Square(conv.Apply(v))), Input(new[] { 1, 5, 4, 3 }, 2), order: 2);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void Conv1D_Causal_SeesOnlyThePast()
    {
        var conv = new Conv1D(2, kernelSize: 3, padding: "causal", dilationRate: 2, dtype: DType.Float64);
        var x = Input(new[] { 1, 9, 2 }, 3);
        var y = conv.Apply(x).ToArray<double>();
        Assert.Equal(new[] { 1, 9, 2 }, conv.Apply(x).Shape);
        // changing the input at time 6 leaves outputs 0..5 unchanged
        var x2 = x.ToArray<double>();
        x2[6 * 2] += 1.0;
        var y2 = conv.Apply(TF.Reshape(TF.Constant(x2), 1, 9, 2)).ToArray<double>();
        Close(y.Take(12).ToArray(), y2.Take(12).ToArray(), 0);
        Assert.NotEqual(y[12], y2[12]);
    }

    [Theory]
    [InlineData("valid", 1, 3, 7)]   // 5 * 1 + max(3 - 1, 0)
    [InlineData("valid", 2, 3, 11)]  // 5 * 2 + 1
    [InlineData("same", 2, 3, 10)]   // 5 * 2
    [InlineData("valid", 3, 2, 15)]  // 5 * 3 + 0
    public void Conv2DTranspose_OutputExtent_AsKeras(string padding, int stride, int k, int expected)
    {
        var t = new Conv2DTranspose(3, new[] { k }, strides: new[] { stride }, padding: padding, dtype: DType.Float64);
        var y = t.Apply(Input(new[] { 2, 5, 5, 4 }, 4));
        Assert.Equal(new[] { 2, expected, expected, 3 }, y.Shape);
        Assert.Equal(new[] { k, k, 3, 4 }, t.Kernel!.Shape);
    }

    [Fact]
    public void Conv2DTranspose_IsTheGradientOfConv2D()
    {
        // <conv(x, w), y> = <x, convT(y, w)>: the transposed layer (no bias) is conv2d's adjoint in x
        var x = Input(new[] { 1, 6, 6, 2 }, 5);
        var conv = new KConv2D(3, new[] { 3 }, strides: new[] { 2 }, padding: "same", useBias: false, dtype: DType.Float64);
        var y = conv.Apply(x);
        var t = new Conv2DTranspose(2, new[] { 3 }, strides: new[] { 2 }, padding: "same", useBias: false, dtype: DType.Float64);
        var c = Input(y.Shape.ToArray(), 6);
        t.Apply(c);
        t.Kernel!.Assign(conv.Kernel!.Value);
        double lhs = TF.ReduceSum(y * c).ToDouble(), rhs = TF.ReduceSum(x * t.Apply(c)).ToDouble();
        Assert.Equal(lhs, rhs, 12);
    }

    [Fact]
    public void DepthwiseAndPooling_Shapes_AndValues()
    {
        var x = Input(new[] { 1, 6, 6, 3 }, 7);
        var dw = new DepthwiseConv2D(new[] { 3 }, depthMultiplier: 2, dtype: DType.Float64);
        var y = dw.Apply(x);
        Assert.Equal(new[] { 1, 4, 4, 6 }, y.Shape);
        Assert.Equal(new[] { 3, 3, 3, 2 }, dw.Kernel!.Shape);
        Close(TF.DepthwiseConv2D(x, dw.Kernel, new[] { 1 }, "VALID").ToArray<double>(), y.ToArray<double>(), 1e-14);
        Assert.Equal(new[] { 1, 3, 3, 3 }, new MaxPooling2D().Apply(x).Shape);
        Assert.Equal(new[] { 1, 3, 3, 3 }, new AveragePooling2D(new[] { 3 }, strides: new[] { 2 }, padding: "same").Apply(x).Shape);
        Close(TF.MaxPool2D(TF.Cast(x, DType.Float32), 2, 2, "VALID").ToArray<float>().Select(v => (double)v).ToArray(),
              new MaxPooling2D().Apply(x).ToArray<float>().Select(v => (double)v).ToArray(), 0);
        Assert.Throws<ArgumentException>(() => new MaxPooling2D(padding: "full"));
        Assert.Throws<ArgumentException>(() => new KConv2D(4, new[] { 3 }).Apply(TF.Zeros(new[] { 2, 5, 5 })));
    }

    [Fact]
    public void ASmallCnn_Summary_AndTrainingStep()
    {
        var model = new Sequential(new Layer[]
        {
            new KConv2D(8, new[] { 3 }, padding: "same", activation: "relu", name: "conv1"),
            new MaxPooling2D(name: "pool1"),
            new KConv2D(16, new[] { 3 }, activation: "relu", name: "conv2"),
            new GlobalAveragePooling2D(name: "gap"),
            new KDense(10, name: "logits"),
        }, name: "cnn");
        model.Build(4, 12, 12, 1);
        var lines = new List<string>();
        model.Summary(lines.Add, lineLength: 90);
        Assert.Contains(lines, l => l.StartsWith(" conv1 (Conv2D)") && l.Contains("(None, 12, 12, 8)") && l.TrimEnd().EndsWith(" 80"));
        Assert.Contains(lines, l => l.StartsWith(" pool1 (MaxPooling2D)") && l.Contains("(None, 6, 6, 8)"));
        Assert.Contains(lines, l => l.StartsWith(" conv2 (Conv2D)") && l.Contains("(None, 4, 4, 16)") && l.TrimEnd().EndsWith("1168"));
        Assert.Contains(lines, l => l.StartsWith(" gap (GlobalAveragePooling2D)") && l.Contains("(None, 16)"));
        Assert.Contains("Total params: 1418", lines);
        // Keras' default names: its snake case of the class name
        Assert.Matches("^conv2d(_[0-9]+)?$", new KConv2D(2, 3).Name);
        Assert.Matches("^max_pooling2d(_[0-9]+)?$", new MaxPooling2D().Name);
        Assert.Matches("^leaky_re_lu(_[0-9]+)?$", new LeakyReLU().Name);
        // at the default width a long name is cut, still one space before the next column
        var narrow = new List<string>();
        model.Summary(narrow.Add);
        Assert.Contains(narrow, l => l.StartsWith(" gap (GlobalAveragePooli") && l.Contains(" (None, 16)"));
        using var tape = new GradientTape();
        var loss = new Nabla.Keras.Losses.SparseCategoricalCrossentropy(fromLogits: true).Call(TF.Constant(new[] { 1, 2, 3, 4 }), model.Apply(TF.Ones(new[] { 4, 12, 12, 1 })));
        var grads = tape.Gradient(loss, model.TrainableVariables);
        Assert.All(grads, g => Assert.NotNull(g));
        Assert.Equal(model.TrainableVariables.Select(v => v.Shape), grads.Select(g => g!.Shape));
    }
}
