using Nabla.Keras.Initializers;
using Nabla.Keras.Regularizers;

namespace Nabla.Keras.Layers;

/// <summary>What the convolution layers share: Keras' arguments (kernel size, strides, "valid"/"same" padding,
/// "channels_last"/"channels_first", dilation, activation, bias, initializers, regularizers) and the bias along the channel
/// axis.</summary>
public abstract class ConvBase : Layer
{
    private protected readonly Initializer kernelInitializer, biasInitializer;
    private protected readonly Regularizer? kernelRegularizer, biasRegularizer;

    private protected ConvBase(string layer, int rank, int[] kernelSize, int[] strides, string padding, string dataFormat, int[] dilationRate,
                               string? activation, bool useBias, Initializer? kernelInitializer, Initializer? biasInitializer,
                               Regularizer? kernelRegularizer, Regularizer? biasRegularizer, string? name, DType dtype, bool causalAllowed = false)
        : base(name, true, dtype)
    {
        KernelSize = Tuple(layer, "kernelSize", kernelSize, rank);
        Strides = Tuple(layer, "strides", strides, rank);
        DilationRate = Tuple(layer, "dilationRate", dilationRate, rank);
        if (!(padding is "valid" or "same" || (causalAllowed && padding == "causal")))
            throw new ArgumentException($"{layer}: padding '{padding}'; expected \"valid\" or \"same\"{(causalAllowed ? " or \"causal\"" : "")}.", nameof(padding));
        if (dataFormat is not ("channels_last" or "channels_first"))
            throw new ArgumentException($"{layer}: dataFormat '{dataFormat}'; expected \"channels_last\" or \"channels_first\".", nameof(dataFormat));
        if (Strides.Any(s => s > 1) && DilationRate.Any(d => d > 1))
            throw new ArgumentException($"{layer}: strides > 1 together with dilationRate > 1 are not supported (as Keras).");
        Padding = padding;
        DataFormat = dataFormat;
        ActivationFunction = Activations.Get(activation);
        UseBias = useBias;
        this.kernelInitializer = kernelInitializer ?? new GlorotUniform();
        this.biasInitializer = biasInitializer ?? new Zeros();
        this.kernelRegularizer = kernelRegularizer;
        this.biasRegularizer = biasRegularizer;
    }

    private static int[] Tuple(string layer, string what, int[] values, int rank)
    {
        ArgumentNullException.ThrowIfNull(values, what);
        var v = values.Length == 1 ? Enumerable.Repeat(values[0], rank).ToArray() : values;
        if (v.Length != rank || v.Any(x => x <= 0))
            throw new ArgumentException($"{layer}: {what} [{string.Join(", ", values)}]; expected 1 or {rank} positive integers.", what);
        return v;
    }

    /// <summary>The window's extents.</summary>
    public IReadOnlyList<int> KernelSize { get; }
    /// <summary>The strides.</summary>
    public IReadOnlyList<int> Strides { get; }
    /// <summary>The dilation rates.</summary>
    public IReadOnlyList<int> DilationRate { get; }
    /// <summary>"valid" or "same" (or "causal" for Conv1D).</summary>
    public string Padding { get; }
    /// <summary>"channels_last" or "channels_first".</summary>
    public string DataFormat { get; }
    /// <summary>The activation applied to the output.</summary>
    public Func<Tensor, Tensor> ActivationFunction { get; init; }
    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }
    /// <summary>The kernel, after the layer is built.</summary>
    public Variable? Kernel { get; private protected set; }
    /// <summary>The bias [channels], after the layer is built (null without bias).</summary>
    public Variable? Bias { get; private protected set; }

    private protected bool ChannelsLast => DataFormat == "channels_last";

    private protected int Channels(IReadOnlyList<int> shape, int rank)
    {
        if (shape.Count != rank + 2)
            throw new ArgumentException($"{Name} ({GetType().Name}): input shape {Shapes.Format(shape)}; expected rank {rank + 2} (batch, {rank} spatial axes, channels).");
        return ChannelsLast ? shape[^1] : shape[1];
    }

    /// <summary>Adds the bias along the channel axis, then the activation.</summary>
    private protected Tensor Finish(Tensor y)
    {
        if (Bias != null)
            y = ChannelsLast ? TF.BiasAdd(y, Bias) : y + TF.Reshape(Bias, new[] { 1, Bias.Shape[0] }.Concat(Enumerable.Repeat(1, y.Rank - 2)).ToArray());
        return ActivationFunction(y);
    }
}

/// <summary>2-D convolution (<c>keras.layers.Conv2D</c>): kernel [kh, kw, in / groups, filters], GlorotUniform, bias zeros,
/// "valid" padding by default, through <see cref="TF.Conv2D(Tensor, Tensor, int[], string, string, int[])"/>.</summary>
public class Conv2D : ConvBase
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="filters">Output channels (> 0, a multiple of <paramref name="groups"/>).</param>
    /// <param name="kernelSize">One extent or two.</param>
    /// <param name="strides">One stride or two.</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="dataFormat">"channels_last" (NHWC) or "channels_first" (NCHW).</param>
    /// <param name="dilationRate">One rate or two.</param>
    /// <param name="groups">Channel groups (input channels and filters divide by it).</param>
    /// <param name="activation">An activation name, or null.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer (GlorotUniform).</param>
    /// <param name="biasInitializer">The bias's initializer (Zeros).</param>
    /// <param name="kernelRegularizer">A penalty on the kernel.</param>
    /// <param name="biasRegularizer">A penalty on the bias.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public Conv2D(int filters, int[] kernelSize, int[]? strides = null, string padding = "valid", string dataFormat = "channels_last",
                  int[]? dilationRate = null, int groups = 1, string? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
                  Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null,
                  string? name = null, DType dtype = DType.Float32)
        : base("Conv2D", 2, kernelSize, strides ?? new[] { 1 }, padding, dataFormat, dilationRate ?? new[] { 1 }, activation, useBias,
               kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name, dtype)
    {
        if (filters <= 0 || groups <= 0 || filters % groups != 0)
            throw new ArgumentException($"Conv2D: filters {filters}, groups {groups}; expected positive integers with filters a multiple of groups.");
        Filters = filters;
        Groups = groups;
    }

    /// <summary>Creates the layer with a square kernel (Keras' <c>kernel_size=k</c>).</summary>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">The kernel's extent on both axes.</param>
    /// <param name="strides">The stride on both axes.</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="activation">An activation name, or null.</param>
    /// <param name="name">The layer's name.</param>
    public Conv2D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null, string? name = null)
        : this(filters, new[] { kernelSize }, new[] { strides }, padding, activation: activation, name: name) { }

    /// <summary>Output channels.</summary>
    public int Filters { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        int c = Channels(inputShape, 2);
        if (c % Groups != 0)
            throw new ArgumentException($"{Name} (Conv2D): {c} input channels are not a multiple of groups {Groups}.");
        Kernel = AddWeight("kernel", new[] { KernelSize[0], KernelSize[1], c / Groups, Filters }, kernelInitializer, regularizer: kernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new[] { Filters }, biasInitializer, regularizer: biasRegularizer);
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) =>
        Finish(TF.Conv2D(x, Kernel!, Strides.ToArray(), Padding.ToUpperInvariant(), ChannelsLast ? "NHWC" : "NCHW", DilationRate.ToArray()));
}

/// <summary>1-D convolution (<c>keras.layers.Conv1D</c>): kernel [k, in, filters]; padding "valid", "same" or "causal" (the
/// input padded on the left by (k - 1) · dilation, so output t sees inputs up to t), through
/// <see cref="TF.Conv1D(Tensor, Tensor, int[], string, string, int[])"/>.</summary>
public sealed class Conv1D : ConvBase
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="filters">Output channels (> 0).</param>
    /// <param name="kernelSize">The window's extent.</param>
    /// <param name="strides">The stride.</param>
    /// <param name="padding">"valid", "same" or "causal".</param>
    /// <param name="dataFormat">"channels_last" (NWC) or "channels_first" (NCW).</param>
    /// <param name="dilationRate">The dilation rate.</param>
    /// <param name="activation">An activation name, or null.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer (GlorotUniform).</param>
    /// <param name="biasInitializer">The bias's initializer (Zeros).</param>
    /// <param name="kernelRegularizer">A penalty on the kernel.</param>
    /// <param name="biasRegularizer">A penalty on the bias.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", string dataFormat = "channels_last", int dilationRate = 1,
                  string? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
                  Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null, DType dtype = DType.Float32)
        : base("Conv1D", 1, new[] { kernelSize }, new[] { strides }, padding, dataFormat, new[] { dilationRate }, activation, useBias,
               kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name, dtype, causalAllowed: true)
    {
        if (filters <= 0) throw new ArgumentException($"Conv1D: filters {filters}; expected a positive integer.", nameof(filters));
        Filters = filters;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        int c = Channels(inputShape, 1);
        Kernel = AddWeight("kernel", new[] { KernelSize[0], c, Filters }, kernelInitializer, regularizer: kernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new[] { Filters }, biasInitializer, regularizer: biasRegularizer);
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        string padding = Padding.ToUpperInvariant();
        if (Padding == "causal")
        {
            int left = (KernelSize[0] - 1) * DilationRate[0];
            if (left > 0)
            {
                int timeAxis = ChannelsLast ? 1 : 2;
                var zerosShape = x.Shape.ToArray();
                zerosShape[timeAxis] = left;
                x = TF.Concat(new[] { TF.Zeros(zerosShape, x.DType), x }, timeAxis);
            }
            padding = "VALID";
        }
        return Finish(TF.Conv1D(x, Kernel!, new[] { Strides[0] }, padding, ChannelsLast ? "NWC" : "NCW", new[] { DilationRate[0] }));
    }
}

/// <summary>Transposed 2-D convolution (<c>keras.layers.Conv2DTranspose</c>): kernel [kh, kw, filters, in]; the output's
/// spatial extent is Keras' <c>compute_conv_transpose_output_length</c> (with <c>outputPadding</c> null: n · stride +
/// max(k' - stride, 0) for "valid", n · stride for "same", k' the dilated kernel), through
/// <see cref="TF.Conv2DTranspose(Tensor, Tensor, int[], int[], string, string, int[])"/>.</summary>
public sealed class Conv2DTranspose : ConvBase
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="filters">Output channels (> 0).</param>
    /// <param name="kernelSize">One extent or two.</param>
    /// <param name="strides">One stride or two.</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="outputPadding">One or two extents added to the output (each less than its stride), or null.</param>
    /// <param name="dataFormat">"channels_last" or "channels_first".</param>
    /// <param name="dilationRate">One rate or two.</param>
    /// <param name="activation">An activation name, or null.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer (GlorotUniform).</param>
    /// <param name="biasInitializer">The bias's initializer (Zeros).</param>
    /// <param name="kernelRegularizer">A penalty on the kernel.</param>
    /// <param name="biasRegularizer">A penalty on the bias.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public Conv2DTranspose(int filters, int[] kernelSize, int[]? strides = null, string padding = "valid", int[]? outputPadding = null,
                           string dataFormat = "channels_last", int[]? dilationRate = null, string? activation = null, bool useBias = true,
                           Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
                           Regularizer? biasRegularizer = null, string? name = null, DType dtype = DType.Float32)
        : base("Conv2DTranspose", 2, kernelSize, strides ?? new[] { 1 }, padding, dataFormat, dilationRate ?? new[] { 1 }, activation, useBias,
               kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name, dtype)
    {
        if (filters <= 0) throw new ArgumentException($"Conv2DTranspose: filters {filters}; expected a positive integer.", nameof(filters));
        Filters = filters;
        if (outputPadding != null)
        {
            var op = outputPadding.Length == 1 ? new[] { outputPadding[0], outputPadding[0] } : outputPadding;
            if (op.Length != 2 || op.Where((p, i) => p < 0 || p >= Strides[i]).Any())
                throw new ArgumentException($"Conv2DTranspose: outputPadding [{string.Join(", ", outputPadding)}]; expected 1 or 2 values, each >= 0 and less than its stride.", nameof(outputPadding));
            OutputPadding = op;
        }
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }
    /// <summary>The extra output extents, or null.</summary>
    public IReadOnlyList<int>? OutputPadding { get; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        int c = Channels(inputShape, 2);
        Kernel = AddWeight("kernel", new[] { KernelSize[0], KernelSize[1], Filters, c }, kernelInitializer, regularizer: kernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new[] { Filters }, biasInitializer, regularizer: biasRegularizer);
    }

    private int OutputLength(int n, int axis)
    {
        int k = KernelSize[axis] + (KernelSize[axis] - 1) * (DilationRate[axis] - 1), s = Strides[axis];
        if (OutputPadding == null) return Padding == "valid" ? n * s + Math.Max(k - s, 0) : n * s;
        int pad = Padding == "same" ? k / 2 : 0;
        return (n - 1) * s + k - 2 * pad + OutputPadding[axis];
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        int h = ChannelsLast ? x.Shape[1] : x.Shape[2], w = ChannelsLast ? x.Shape[2] : x.Shape[3];
        int oh = OutputLength(h, 0), ow = OutputLength(w, 1);
        var outputShape = ChannelsLast ? new[] { x.Shape[0], oh, ow, Filters } : new[] { x.Shape[0], Filters, oh, ow };
        return Finish(TF.Conv2DTranspose(x, Kernel!, outputShape, Strides.ToArray(), Padding.ToUpperInvariant(), ChannelsLast ? "NHWC" : "NCHW", DilationRate.ToArray()));
    }
}

/// <summary>Depthwise 2-D convolution (<c>keras.layers.DepthwiseConv2D</c>): kernel [kh, kw, in, depthMultiplier], output
/// channels in · depthMultiplier, through <see cref="TF.DepthwiseConv2D(Tensor, Tensor, int[], string, string, int[])"/>.</summary>
public sealed class DepthwiseConv2D : ConvBase
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="kernelSize">One extent or two.</param>
    /// <param name="strides">One stride or two.</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="depthMultiplier">Output channels per input channel (> 0).</param>
    /// <param name="dataFormat">"channels_last" or "channels_first".</param>
    /// <param name="dilationRate">One rate or two.</param>
    /// <param name="activation">An activation name, or null.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="depthwiseInitializer">The kernel's initializer (GlorotUniform).</param>
    /// <param name="biasInitializer">The bias's initializer (Zeros).</param>
    /// <param name="depthwiseRegularizer">A penalty on the kernel.</param>
    /// <param name="biasRegularizer">A penalty on the bias.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    public DepthwiseConv2D(int[] kernelSize, int[]? strides = null, string padding = "valid", int depthMultiplier = 1, string dataFormat = "channels_last",
                           int[]? dilationRate = null, string? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null,
                           Initializer? biasInitializer = null, Regularizer? depthwiseRegularizer = null, Regularizer? biasRegularizer = null,
                           string? name = null, DType dtype = DType.Float32)
        : base("DepthwiseConv2D", 2, kernelSize, strides ?? new[] { 1 }, padding, dataFormat, dilationRate ?? new[] { 1 }, activation, useBias,
               depthwiseInitializer, biasInitializer, depthwiseRegularizer, biasRegularizer, name, dtype)
    {
        if (depthMultiplier <= 0) throw new ArgumentException($"DepthwiseConv2D: depthMultiplier {depthMultiplier}; expected a positive integer.", nameof(depthMultiplier));
        DepthMultiplier = depthMultiplier;
    }

    /// <summary>Output channels per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <inheritdoc/>
    protected override void Build(IReadOnlyList<int> inputShape)
    {
        int c = Channels(inputShape, 2);
        Kernel = AddWeight("depthwise_kernel", new[] { KernelSize[0], KernelSize[1], c, DepthMultiplier }, kernelInitializer, regularizer: kernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new[] { c * DepthMultiplier }, biasInitializer, regularizer: biasRegularizer);
    }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) =>
        Finish(TF.DepthwiseConv2D(x, Kernel!, Strides.ToArray(), Padding.ToUpperInvariant(), ChannelsLast ? "NHWC" : "NCHW", DilationRate.ToArray()));
}

/// <summary>What the 2-D pooling layers share (Keras' <c>pool_size</c>, <c>strides</c> defaulting to the pool size,
/// <c>padding</c>, <c>data_format</c>).</summary>
public abstract class Pooling2D : Layer
{
    private protected Pooling2D(string layer, int[]? poolSize, int[]? strides, string padding, string dataFormat, string? name, DType dtype) : base(name, true, dtype)
    {
        var p = poolSize ?? new[] { 2 };
        PoolSize = p.Length == 1 ? new[] { p[0], p[0] } : p;
        var s = strides ?? PoolSize.ToArray();
        Strides = s.Length == 1 ? new[] { s[0], s[0] } : s;
        if (PoolSize.Count != 2 || Strides.Count != 2 || PoolSize.Concat(Strides).Any(v => v <= 0))
            throw new ArgumentException($"{layer}: poolSize [{string.Join(", ", p)}], strides [{string.Join(", ", s)}]; expected 1 or 2 positive integers each.");
        if (padding is not ("valid" or "same")) throw new ArgumentException($"{layer}: padding '{padding}'; expected \"valid\" or \"same\".", nameof(padding));
        if (dataFormat is not ("channels_last" or "channels_first"))
            throw new ArgumentException($"{layer}: dataFormat '{dataFormat}'; expected \"channels_last\" or \"channels_first\".", nameof(dataFormat));
        Padding = padding;
        DataFormat = dataFormat;
    }

    /// <summary>The window's extents.</summary>
    public IReadOnlyList<int> PoolSize { get; }
    /// <summary>The strides.</summary>
    public IReadOnlyList<int> Strides { get; }
    /// <summary>"valid" or "same".</summary>
    public string Padding { get; }
    /// <summary>"channels_last" or "channels_first".</summary>
    public string DataFormat { get; }

    private protected string Format => DataFormat == "channels_last" ? "NHWC" : "NCHW";
}

/// <summary>2-D max pooling (<c>keras.layers.MaxPooling2D</c>, 2 x 2 windows and strides by default, "valid"); the gradient goes
/// to the first maximum of each window, as TensorFlow's.</summary>
/// <param name="poolSize">One extent or two (default 2).</param>
/// <param name="strides">One or two (default: the pool size).</param>
/// <param name="padding">"valid" or "same".</param>
/// <param name="dataFormat">"channels_last" or "channels_first".</param>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class MaxPooling2D(int[]? poolSize = null, int[]? strides = null, string padding = "valid", string dataFormat = "channels_last", string? name = null, DType dtype = DType.Float32)
    : Pooling2D("MaxPooling2D", poolSize, strides, padding, dataFormat, name, dtype)
{
    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.MaxPool2D(x, PoolSize.ToArray(), Strides.ToArray(), Padding.ToUpperInvariant(), Format);
}

/// <summary>2-D average pooling (<c>keras.layers.AveragePooling2D</c>); with "same" padding the padded positions are not
/// counted, as TensorFlow's.</summary>
/// <param name="poolSize">One extent or two (default 2).</param>
/// <param name="strides">One or two (default: the pool size).</param>
/// <param name="padding">"valid" or "same".</param>
/// <param name="dataFormat">"channels_last" or "channels_first".</param>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class AveragePooling2D(int[]? poolSize = null, int[]? strides = null, string padding = "valid", string dataFormat = "channels_last", string? name = null, DType dtype = DType.Float32)
    : Pooling2D("AveragePooling2D", poolSize, strides, padding, dataFormat, name, dtype)
{
    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training) => TF.AvgPool2D(x, PoolSize.ToArray(), Strides.ToArray(), Padding.ToUpperInvariant(), Format);
}
