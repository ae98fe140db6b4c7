using Nabla.Keras.Initializers;
using Nabla.Keras.Regularizers;

namespace Nabla.Keras.Layers;

/// <summary>A densely connected layer (<c>keras.layers.Dense</c>): <c>activation(x · kernel + bias)</c> over the last axis
/// of inputs of any rank >= 2; kernel [inputs, units] from GlorotUniform, bias zeros (Keras' defaults).</summary>
public class Dense : Layer
{
    private readonly Initializer kernelInitializer, biasInitializer;
    private readonly Regularizer? kernelRegularizer, biasRegularizer;

    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="units">Output features (> 0).</param>
    /// <param name="activation">An activation name (<see cref="Activations.Get"/>) or null for none; or set
    /// <see cref="ActivationFunction"/>.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer (GlorotUniform).</param>
    /// <param name="biasInitializer">The bias's initializer (Zeros).</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on the bias, or null.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 (Keras' default) or Float64.</param>
    public Dense(int units, string? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
                 Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null, DType dtype = DType.Float32)
        : base(name, true, dtype)
    {
        if (units <= 0) throw new ArgumentException($"Dense: units {units}; expected a positive integer.", nameof(units));
        Units = units;
        ActivationFunction = Activations.Get(activation);
        UseBias = useBias;
        this.kernelInitializer = kernelInitializer ?? new GlorotUniform();
        this.biasInitializer = biasInitializer ?? new Zeros();
        this.kernelRegularizer = kernelRegularizer;
        this.biasRegularizer = biasRegularizer;
    }

    /// <summary>Output features.</summary>
    public int Units { get; }
    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }
    /// <summary>The activation applied to the output (a callable, as Keras accepts one).</summary>
    public Func<Tensor, Tensor> ActivationFunction { get; init; }
    /// <summary>The kernel [inputs, units], after the layer is built.</summary>
    public Variable? Kernel { get; private set; }
    /// <summary>The bias [units], after the layer is built (null without bias).</summary>
    public Variable? Bias { get; private set; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        if (inputShape.Count < 2)
            throw new ArgumentException($"{Name} (Dense): input shape {Shapes.Format(inputShape)}; expected rank >= 2 (a batch axis and features).");
        Kernel = AddWeight("kernel", new[] { inputShape[^1], Units }, kernelInitializer, regularizer: kernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new[] { Units }, biasInitializer, regularizer: biasRegularizer);
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        if (x.Shape[^1] != Kernel!.Shape[0])
            throw new ArgumentException($"{Name} (Dense): input shape {Shapes.Format(x.Shape)}; expected a last axis of {Kernel.Shape[0]}, as the layer was built for.");
        Tensor y = x.Rank == 2 ? TF.MatMul(x, Kernel) : TF.Reshape(TF.MatMul(TF.Reshape(x, -1, x.Shape[^1]), Kernel), x.Shape.Take(x.Rank - 1).Append(Units).ToArray());
        if (Bias != null) y = TF.BiasAdd(y, Bias);
        return ActivationFunction(y);
    }
}

/// <summary>Flattens every axis but the batch axis (<c>keras.layers.Flatten</c>); a rank-1 input becomes [batch, 1].</summary>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class Flatten(string? name = null, DType dtype = DType.Float32) : Layer(name, true, dtype)
{
    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        if (x.Rank == 0) throw new ArgumentException($"{Name} (Flatten): a scalar input; expected a batch axis.");
        int rest = 1;
        for (int i = 1; i < x.Rank; i++) rest = checked(rest * x.Shape[i]);
        return TF.Reshape(x, x.Shape[0], rest);
    }
}

/// <summary>Reshapes every axis but the batch axis to <c>targetShape</c> (<c>keras.layers.Reshape</c>; one -1 is inferred).</summary>
public sealed class Reshape : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="targetShape">The shape without the batch axis.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public Reshape(int[] targetShape, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        ArgumentNullException.ThrowIfNull(targetShape);
        if (targetShape.Count(d => d == -1) > 1 || targetShape.Any(d => d < -1))
            throw new ArgumentException($"Reshape: targetShape {Shapes.Format(targetShape)}; expected non-negative extents and at most one -1.", nameof(targetShape));
        TargetShape = (int[])targetShape.Clone();
    }

    /// <summary>The shape without the batch axis.</summary>
    public IReadOnlyList<int> TargetShape { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.Reshape(x, new[] { x.Shape[0] }.Concat(TargetShape).ToArray());
}

/// <summary>Applies an activation (<c>keras.layers.Activation</c>), by name or as a function.</summary>
public sealed class Activation : Layer
{
    /// <summary>Creates the layer from a Keras activation name.</summary>
    /// <param name="activation">The name (<see cref="Activations.Get"/>).</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public Activation(string activation, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype) => Function = Activations.Get(activation);

    /// <summary>Creates the layer from a function.</summary>
    /// <param name="activation">The function.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public Activation(Func<Tensor, Tensor> activation, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype) =>
        Function = activation ?? throw new ArgumentNullException(nameof(activation));

    /// <summary>The function applied.</summary>
    public Func<Tensor, Tensor> Function { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => Function(x);
}

/// <summary>Leaky ReLU (<c>keras.layers.LeakyReLU</c>): x for x >= 0, <c>negativeSlope * x</c> below (Keras 3's default slope 0.3).</summary>
public sealed class LeakyReLU : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="negativeSlope">The slope below 0 (>= 0).</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public LeakyReLU(double negativeSlope = 0.3, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        if (!(negativeSlope >= 0)) throw new ArgumentException($"LeakyReLU: negativeSlope {negativeSlope}; expected a value >= 0.", nameof(negativeSlope));
        NegativeSlope = negativeSlope;
    }

    /// <summary>The slope below 0.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.LeakyRelu(x, NegativeSlope);
}

/// <summary>Wraps a function as a layer (<c>keras.layers.Lambda</c>); it has no weights (variables a function closes over
/// are not tracked, as Keras warns).</summary>
/// <param name="function">The function.</param>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class Lambda(Func<Tensor, Tensor> function, string? name = null, DType dtype = DType.Float32) : Layer(name, true, dtype)
{
    private readonly Func<Tensor, Tensor> function = function ?? throw new ArgumentNullException(nameof(function));

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => function(x);
}

/// <summary>Rows of a trainable table by integer index (<c>keras.layers.Embedding</c>): indices of any shape [..] give
/// [.., outputDim]; the table [inputDim, outputDim] starts uniform on [-0.05, 0.05) (Keras' default). Float indices are cast
/// to Int32; out-of-range indices throw naming the range. The gradient adds rows back (repeated indices accumulate).</summary>
public sealed class Embedding : Layer
{
    private readonly Initializer embeddingsInitializer;
    private readonly Regularizer? embeddingsRegularizer;

    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="inputDim">The vocabulary size (> 0).</param>
    /// <param name="outputDim">The embedding size (> 0).</param>
    /// <param name="embeddingsInitializer">The table's initializer.</param>
    /// <param name="embeddingsRegularizer">A penalty on the table, or null.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public Embedding(int inputDim, int outputDim, Initializer? embeddingsInitializer = null, Regularizer? embeddingsRegularizer = null,
                     string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        if (inputDim <= 0 || outputDim <= 0)
            throw new ArgumentException($"Embedding: inputDim {inputDim}, outputDim {outputDim}; expected positive integers.");
        InputDim = inputDim;
        OutputDim = outputDim;
        this.embeddingsInitializer = embeddingsInitializer ?? new RandomUniform();
        this.embeddingsRegularizer = embeddingsRegularizer;
    }

    /// <summary>The vocabulary size.</summary>
    public int InputDim { get; }
    /// <summary>The embedding size.</summary>
    public int OutputDim { get; }
    /// <summary>The table, after the layer is built.</summary>
    public Variable? Embeddings { get; private set; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape) =>
        Embeddings = AddWeight("embeddings", new[] { InputDim, OutputDim }, embeddingsInitializer, regularizer: embeddingsRegularizer);

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        var indices = x.DType is DType.Int32 or DType.Int64 ? x : TF.Cast(x, DType.Int32);
        return TF.Gather(Embeddings!, indices);
    }
}

/// <summary>The mean over the spatial axes (<c>keras.layers.GlobalAveragePooling2D</c>): NHWC [b, h, w, c] gives [b, c]
/// (or [b, 1, 1, c] with keepDims); "channels_first" reads NCHW.</summary>
public sealed class GlobalAveragePooling2D : Layer
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="dataFormat">"channels_last" (NHWC) or "channels_first" (NCHW).</param>
    /// <param name="keepDims">Keep the pooled axes with extent 1.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public GlobalAveragePooling2D(string dataFormat = "channels_last", bool keepDims = false, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        Axes = Pooling.SpatialAxes("GlobalAveragePooling2D", dataFormat);
        KeepDims = keepDims;
    }

    private int[] Axes { get; }
    /// <summary>Whether the pooled axes are kept.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.ReduceMean(Pooling.Rank4(Name, x), Axes, KeepDims);
}

/// <summary>The maximum over the spatial axes (<c>keras.layers.GlobalMaxPooling2D</c>); ties share the gradient as
/// <see cref="TF.ReduceMax(Tensor, bool)"/>.</summary>
public sealed class GlobalMaxPooling2D : Layer
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="dataFormat">"channels_last" (NHWC) or "channels_first" (NCHW).</param>
    /// <param name="keepDims">Keep the pooled axes with extent 1.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public GlobalMaxPooling2D(string dataFormat = "channels_last", bool keepDims = false, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        Axes = Pooling.SpatialAxes("GlobalMaxPooling2D", dataFormat);
        KeepDims = keepDims;
    }

    private int[] Axes { get; }
    /// <summary>Whether the pooled axes are kept.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.ReduceMax(Pooling.Rank4(Name, x), Axes, KeepDims);
}

internal static class Pooling
{
    public static int[] SpatialAxes(string layer, string dataFormat) => dataFormat switch
    {
        "channels_last" => new[] { 1, 2 },
        "channels_first" => new[] { 2, 3 },
        _ => throw new ArgumentException($"{layer}: dataFormat '{dataFormat}'; expected \"channels_last\" or \"channels_first\".", nameof(dataFormat)),
    };

    public static Tensor Rank4(string name, Tensor x) =>
        x.Rank == 4 ? x : throw new ArgumentException($"{name}: input shape {Shapes.Format(x.Shape)}; expected rank 4 (batch, two spatial axes, channels).");
}
