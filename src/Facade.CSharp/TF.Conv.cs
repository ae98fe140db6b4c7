namespace Nabla;

// Convolution and pooling (tf.nn.conv1d, conv2d, conv2d_transpose, depthwise_conv2d, max_pool2d, avg_pool2d). They sit
// flat on TF, as the other tf.nn ops here do (TF.Softmax, TF.BiasAdd), rather than under a nested TF.Nn.
public static partial class TF
{
    private static int[] Many(int value) => new[] { value };

    /// <summary>2-D convolution (<c>tf.nn.conv2d</c>): <paramref name="input"/> [batch, height, width, channels] ("NHWC", the
    /// default) or [batch, channels, height, width] ("NCHW"), <paramref name="filters"/> [height, width, in_channels, out_channels]
    /// in either format. <paramref name="padding"/> is "SAME" (output extent ceil(n / stride), the odd padding element after) or
    /// "VALID" (output extent (n - (k - 1)·dilation - 1 + stride) / stride, empty when 0). An input depth that is a multiple of
    /// the filters' in_channels is a grouped convolution, as TF.</summary>
    /// <remarks>Derivative: bilinear; the input gradient is the transposed convolution
    /// (<see cref="Conv2DTranspose(Tensor, Tensor, int[], int[], string, string, int[])"/>), the filter gradient the
    /// filter-backprop convolution; both are differentiable again, to any order, in forward and reverse mode.
    /// Float32 and Float64; Int32 too, as TF registers it (values only, wrapping on overflow, no gradient). Deviations: TF's CPU kernel accepts only NHWC; NCHW is accepted here (transposed in and out).</remarks>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filters">The filters [height, width, in_channels, out_channels].</param>
    /// <param name="strides">One stride for both spatial axes.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">One dilation rate for both spatial axes (default 1).</param>
    /// <exception cref="ArgumentException">A rank other than 4, a channel mismatch, non-positive strides or dilations, a padding or
    /// data format TF does not know, different dtypes, a dtype other than Float32, Float64 or Int32, or a VALID window whose output size would be negative.</exception>
    public static Tensor Conv2D(Tensor input, Tensor filters, int strides, string padding, string dataFormat = "NHWC", int dilations = 1) =>
        Conv2D(input, filters, Many(strides), padding, dataFormat, Many(dilations));

    /// <summary>2-D convolution (<c>tf.nn.conv2d</c>) with per-axis strides and dilations: 1 value, 2 (height, width) or 4 (one per
    /// input axis in the data format's order, the batch and channel entries 1). Otherwise as
    /// <see cref="Conv2D(Tensor, Tensor, int, string, string, int)"/>.</summary>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filters">The filters [height, width, in_channels, out_channels].</param>
    /// <param name="strides">1, 2 or 4 strides.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">1, 2 or 4 dilation rates (null: 1).</param>
    /// <exception cref="ArgumentException">As <see cref="Conv2D(Tensor, Tensor, int, string, string, int)"/>, or a stride list of another length.</exception>
    public static Tensor Conv2D(Tensor input, Tensor filters, int[] strides, string padding, string dataFormat = "NHWC", int[]? dilations = null) =>
        Binary("Conv2D", input, filters, (x, w) => Core.Conv.conv2d(strides, dilations!, padding, dataFormat, x, w));

    /// <summary>1-D convolution (<c>tf.nn.conv1d</c>): <paramref name="input"/> [batch, width, channels] ("NWC", the default) or
    /// [batch, channels, width] ("NCW"), <paramref name="filters"/> [width, in_channels, out_channels]. Computed as TF does, as a
    /// 2-D convolution over a height of 1; derivatives as <see cref="Conv2D(Tensor, Tensor, int, string, string, int)"/>.</summary>
    /// <param name="input">The input, rank 3.</param>
    /// <param name="filters">The filters [width, in_channels, out_channels].</param>
    /// <param name="stride">The stride.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NWC" (default) or "NCW".</param>
    /// <param name="dilations">The dilation rate (default 1).</param>
    /// <exception cref="ArgumentException">A rank other than 3, a channel mismatch, a non-positive stride or dilation, or a padding or
    /// data format TF does not know.</exception>
    public static Tensor Conv1D(Tensor input, Tensor filters, int stride, string padding, string dataFormat = "NWC", int dilations = 1) =>
        Conv1D(input, filters, Many(stride), padding, dataFormat, Many(dilations));

    /// <summary>1-D convolution (<c>tf.nn.conv1d</c>) with the stride and dilation as 1 value or 3 (one per input axis, the batch and
    /// channel entries 1). Otherwise as <see cref="Conv1D(Tensor, Tensor, int, string, string, int)"/>.</summary>
    /// <param name="input">The input, rank 3.</param>
    /// <param name="filters">The filters [width, in_channels, out_channels].</param>
    /// <param name="stride">1 or 3 strides.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NWC" (default) or "NCW".</param>
    /// <param name="dilations">1 or 3 dilation rates (null: 1).</param>
    /// <exception cref="ArgumentException">As <see cref="Conv1D(Tensor, Tensor, int, string, string, int)"/>.</exception>
    public static Tensor Conv1D(Tensor input, Tensor filters, int[] stride, string padding, string dataFormat = "NWC", int[]? dilations = null) =>
        Binary("Conv1D", input, filters, (x, w) => Core.Conv.conv1d(stride, dilations!, padding, dataFormat, x, w));

    /// <summary>Transposed 2-D convolution (<c>tf.nn.conv2d_transpose</c>), the gradient of <c>Conv2D</c> with respect to its input:
    /// <paramref name="input"/> [batch, height, width, in_channels] (NHWC) or NCHW, <paramref name="filters"/>
    /// [height, width, output_channels, in_channels], <paramref name="outputShape"/> the full output shape in the data format's
    /// order. A Conv2D of <paramref name="outputShape"/> with the same filters, strides, padding and dilations must give the input's
    /// spatial extents (several output shapes may: that is why TF asks for it).</summary>
    /// <remarks>Derivative: bilinear; the input gradient is <c>Conv2D(g, filters)</c>, the filter gradient the filter-backprop
    /// convolution of (g, input); any order. Float32 and Float64; Int32 as TF (values only, no gradient).</remarks>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filters">The filters [height, width, output_channels, in_channels].</param>
    /// <param name="outputShape">The output's shape, 4 extents.</param>
    /// <param name="strides">One stride for both spatial axes.</param>
    /// <param name="padding">"SAME" (default) or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">One dilation rate (default 1).</param>
    /// <exception cref="ArgumentException">Channel or batch mismatches between input, filters and output shape, an output shape
    /// the input cannot come from, or the arguments Conv2D rejects.</exception>
    public static Tensor Conv2DTranspose(Tensor input, Tensor filters, int[] outputShape, int strides, string padding = "SAME",
                                         string dataFormat = "NHWC", int dilations = 1) =>
        Conv2DTranspose(input, filters, outputShape, Many(strides), padding, dataFormat, Many(dilations));

    /// <summary>Transposed 2-D convolution (<c>tf.nn.conv2d_transpose</c>) with 1, 2 or 4 strides and dilations; otherwise as
    /// <see cref="Conv2DTranspose(Tensor, Tensor, int[], int, string, string, int)"/>.</summary>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filters">The filters [height, width, output_channels, in_channels].</param>
    /// <param name="outputShape">The output's shape, 4 extents.</param>
    /// <param name="strides">1, 2 or 4 strides.</param>
    /// <param name="padding">"SAME" (default) or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">1, 2 or 4 dilation rates (null: 1).</param>
    /// <exception cref="ArgumentException">As <see cref="Conv2DTranspose(Tensor, Tensor, int[], int, string, string, int)"/>.</exception>
    public static Tensor Conv2DTranspose(Tensor input, Tensor filters, int[] outputShape, int[] strides, string padding = "SAME",
                                         string dataFormat = "NHWC", int[]? dilations = null) =>
        Binary("Conv2DTranspose", input, filters, (x, w) => Core.Conv.conv2dTranspose(outputShape, strides, dilations!, padding, dataFormat, x, w));

    /// <summary>Depthwise 2-D convolution (<c>tf.nn.depthwise_conv2d</c>): <paramref name="input"/> [batch, height, width, channels]
    /// (NHWC) or NCHW, <paramref name="filter"/> [height, width, channels, multiplier]; output channel c·multiplier + m is input
    /// channel c convolved with filter[.., c, m]. Derivatives: those of a grouped <c>Conv2D</c> (bilinear, any order).</summary>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filter">The filter [height, width, channels, channel_multiplier].</param>
    /// <param name="strides">1, 2 or 4 strides (TF asks for 4).</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">1 or 2 dilation rates (null: 1).</param>
    /// <exception cref="ArgumentException">A channel mismatch, a rank other than 4, a dtype other than Float32 or Float64 (TF has no integer depthwise kernel), or the arguments Conv2D rejects.</exception>
    public static Tensor DepthwiseConv2D(Tensor input, Tensor filter, int[] strides, string padding, string dataFormat = "NHWC", int[]? dilations = null) =>
        Binary("DepthwiseConv2D", input, filter, (x, w) => Core.Conv.depthwiseConv2d(strides, dilations!, padding, dataFormat, x, w));

    /// <summary>Depthwise 2-D convolution with one stride and dilation for both spatial axes; otherwise as
    /// <see cref="DepthwiseConv2D(Tensor, Tensor, int[], string, string, int[])"/>.</summary>
    /// <param name="input">The input, rank 4.</param>
    /// <param name="filter">The filter [height, width, channels, channel_multiplier].</param>
    /// <param name="strides">One stride.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <param name="dilations">One dilation rate (default 1).</param>
    /// <exception cref="ArgumentException">As <see cref="DepthwiseConv2D(Tensor, Tensor, int[], string, string, int[])"/>.</exception>
    public static Tensor DepthwiseConv2D(Tensor input, Tensor filter, int strides, string padding, string dataFormat = "NHWC", int dilations = 1) =>
        DepthwiseConv2D(input, filter, Many(strides), padding, dataFormat, Many(dilations));

    /// <summary>2-D max pooling (<c>tf.nn.max_pool2d</c>): the maximum of each <paramref name="ksize"/> window, SAME padding never
    /// winning. Derivative: each window's gradient goes to one element, TF's rule: the first maximum in row-major window order
    /// (a later element takes it only when strictly greater). The gradient is a scatter whose own derivative (MaxPoolGradGrad) is a
    /// gather at the same elements, so every order works. Deviation: NCHW is accepted (TF's CPU kernel takes only NHWC).</summary>
    /// <param name="input">The input, rank 4, Float32, Float64, Int32 or Int64 (integers: values only, no gradient).</param>
    /// <param name="ksize">One window extent for both spatial axes.</param>
    /// <param name="strides">One stride.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <exception cref="ArgumentException">A rank other than 4, a dtype other than Float32, Float64, Int32 or Int64 (AvgPool2D: Float32 or Float64), non-positive window or strides, or an unknown padding
    /// or data format.</exception>
    public static Tensor MaxPool2D(Tensor input, int ksize, int strides, string padding, string dataFormat = "NHWC") =>
        MaxPool2D(input, Many(ksize), Many(strides), padding, dataFormat);

    /// <summary>2-D max pooling (<c>tf.nn.max_pool2d</c>) with 1, 2 or 4 window extents and strides; otherwise as
    /// <see cref="MaxPool2D(Tensor, int, int, string, string)"/>.</summary>
    /// <param name="input">The input, rank 4, Float32, Float64, Int32 or Int64 (integers: values only, no gradient).</param>
    /// <param name="ksize">1, 2 or 4 window extents.</param>
    /// <param name="strides">1, 2 or 4 strides.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <exception cref="ArgumentException">As <see cref="MaxPool2D(Tensor, int, int, string, string)"/>.</exception>
    public static Tensor MaxPool2D(Tensor input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC") =>
        Unary(input, x => Core.Conv.maxPool2d(ksize, strides, padding, dataFormat, x));

    /// <summary>2-D average pooling (<c>tf.nn.avg_pool2d</c>): the mean of each window over its valid elements (with SAME padding a
    /// border window divides by its count of unpadded elements, as TF). Derivative: linear; each window's gradient spread evenly over
    /// those elements, itself linear, any order. Deviation: NCHW is accepted (TF's CPU kernel takes only NHWC).</summary>
    /// <param name="input">The input, rank 4, Float32 or Float64.</param>
    /// <param name="ksize">One window extent for both spatial axes.</param>
    /// <param name="strides">One stride.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <exception cref="ArgumentException">As <see cref="MaxPool2D(Tensor, int, int, string, string)"/>.</exception>
    public static Tensor AvgPool2D(Tensor input, int ksize, int strides, string padding, string dataFormat = "NHWC") =>
        AvgPool2D(input, Many(ksize), Many(strides), padding, dataFormat);

    /// <summary>2-D average pooling (<c>tf.nn.avg_pool2d</c>) with 1, 2 or 4 window extents and strides; otherwise as
    /// <see cref="AvgPool2D(Tensor, int, int, string, string)"/>.</summary>
    /// <param name="input">The input, rank 4, Float32 or Float64.</param>
    /// <param name="ksize">1, 2 or 4 window extents.</param>
    /// <param name="strides">1, 2 or 4 strides.</param>
    /// <param name="padding">"SAME" or "VALID".</param>
    /// <param name="dataFormat">"NHWC" (default) or "NCHW".</param>
    /// <exception cref="ArgumentException">As <see cref="MaxPool2D(Tensor, int, int, string, string)"/>.</exception>
    public static Tensor AvgPool2D(Tensor input, int[] ksize, int[] strides, string padding, string dataFormat = "NHWC") =>
        Unary(input, x => Core.Conv.avgPool2d(ksize, strides, padding, dataFormat, x));
}
