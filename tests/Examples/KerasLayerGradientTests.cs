using Nabla;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Xunit;
using KConv2D = Nabla.Keras.Layers.Conv2D;
using KDense = Nabla.Keras.Layers.Dense;

namespace Nabla.Examples;

/// <summary>Every Keras layer kind, in Float64: the gradient of a weighted sum of its output with respect to its input
/// against central finite differences at orders 1 and 2 (forward, reverse and FD agree), and with respect to each of its
/// weights at order 1.</summary>
public class KerasLayerGradientTests
{
    private const DType F64 = DType.Float64;

    public static IEnumerable<object[]> Layers()
    {
        yield return Case("Dense", () => new KDense(3, activation: "tanh", biasInitializer: new RandomNormal(seed: 1), dtype: F64), 2, 4);
        yield return Case("Conv1D causal", () => new Conv1D(2, 3, padding: "causal", dilationRate: 2, dtype: F64), 1, 7, 2);
        yield return Case("Conv2D", () => new KConv2D(2, new[] { 3, 2 }, strides: new[] { 2, 1 }, padding: "same", dtype: F64), 1, 5, 4, 2);
        yield return Case("Conv2DTranspose", () => new Conv2DTranspose(2, new[] { 3 }, strides: new[] { 2 }, padding: "same", dtype: F64), 1, 3, 3, 2);
        yield return Case("DepthwiseConv2D", () => new DepthwiseConv2D(new[] { 2 }, depthMultiplier: 2, dtype: F64), 1, 4, 4, 2);
        yield return Case("MaxPooling2D", () => new MaxPooling2D(dtype: F64), 1, 4, 4, 2);
        yield return Case("AveragePooling2D", () => new AveragePooling2D(new[] { 3 }, new[] { 2 }, padding: "same", dtype: F64), 1, 5, 5, 2);
        yield return Case("GlobalAveragePooling2D", () => new GlobalAveragePooling2D(dtype: F64), 2, 3, 3, 2);
        yield return Case("GlobalMaxPooling2D", () => new GlobalMaxPooling2D(dtype: F64), 2, 3, 3, 2);
        yield return Case("Flatten", () => new Flatten(dtype: F64), 2, 3, 2);
        yield return Case("Reshape", () => new Reshape(new[] { 3, -1 }, dtype: F64), 2, 6);
        yield return Case("Activation", () => new Activation("softplus", dtype: F64), 2, 3);
        yield return Case("LeakyReLU", () => new LeakyReLU(dtype: F64), 2, 3);
        yield return Case("Lambda", () => new Lambda(x => TF.Sin(x) * x, dtype: F64), 2, 3);
        yield return Case("LayerNormalization", () => new LayerNormalization(axis: new[] { -2, -1 }, dtype: F64), 2, 3, 2);
        yield return Case("BatchNormalization (training)", () => new BatchNormalization(dtype: F64), 3, 2, training: true);
        yield return Case("BatchNormalization (inference)", () => new BatchNormalization(dtype: F64), 3, 2);
        yield return Case("Dropout (inference)", () => new Dropout(0.5, dtype: F64), 2, 3);
    }

    private static object[] Case(string name, Func<Layer> make, params int[] shape) => new object[] { name, make, shape, false };
    private static object[] Case(string name, Func<Layer> make, int a, int b, bool training) => new object[] { name, make, new[] { a, b }, training };

    private static Tensor Input(int[] shape, int seed)
    {
        var r = new Random(seed);
        int n = shape.Aggregate(1, (x, y) => x * y);
        // values away from the kinks of max pooling and LeakyReLU (ties and zeros)
        return TF.Reshape(TF.Constant(Enumerable.Range(0, n).Select(i => (r.NextDouble() - 0.5) * 2 + 0.013 * i).ToArray()), shape);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void InputAndWeightGradients_AgreeWithFiniteDifferences(string name, Func<Layer> make, int[] shape, bool training)
    {
        var layer = make();
        var x = Input(shape, 3);
        var y = layer.Apply(x, training);
        var weights = Input(y.Shape.ToArray(), 4);
        Tensor Readout(Tensor v) => TF.ReduceSum(TF.Square(layer.Apply(v, training)) * weights);

        var check = Autodiff.CheckGradients(Readout, x, order: 2);
        Assert.True(check.Passed, $"{name}, input: {check}");

        // each weight through StatelessCall (the tensor given stands for the variable), so the check sees its derivatives
        var tv = layer.TrainableVariables;
        for (int i = 0; i < tv.Count; i++)
        {
            int k = i;
            var wcheck = Autodiff.CheckGradients(value =>
            {
                var given = tv.Select((v, j) => j == k ? value : v.Value).ToList();
                var (output, _) = layer.StatelessCall(given, null, x, training);
                return TF.ReduceSum(TF.Square(output) * weights);
            }, tv[k].Value, order: 1);
            Assert.True(wcheck.Passed, $"{name}, weight {tv[k].Name}: {wcheck}");
        }
    }
}
