/// Convolution and pooling as TensorFlow 2 computes them (tf.nn.conv1d, conv2d, conv2d_transpose, depthwise_conv2d,
/// max_pool2d, avg_pool2d). The kernels work in NHWC; NCHW (NCW) inputs are transposed in and out. Ungrouped
/// convolutions are im2col plus one GEMM through the provider (MKL, another CBLAS or MathNet's managed code);
/// grouped and depthwise ones direct loops. Three bilinear primitives, Conv2D, Conv2DBackpropInput (the transposed
/// convolution) and Conv2DBackpropFilter, are each other's partial adjoints, so every order of derivative in either
/// mode is made of them; the pools are linear once their window choice is fixed and their adjoints are pools too.
///
/// Arguments follow TF: `strides`, `dilations` and `ksize` hold one value (both spatial axes), one per spatial axis,
/// or one per input axis in the data format's order (the batch and channel entries 1); `padding` is "SAME" or
/// "VALID" (TF's spelling, case-sensitive); `dataFormat` is "NHWC" or "NCHW" ("NWC" or "NCW" for conv1d). Output
/// extents are TF's: VALID gives (n - e + s) / s (truncated; 0 gives an empty output, negative is an error), SAME
/// ceil(n / s), with e = (k - 1) d + 1 the dilated window and the SAME padding max((o - 1) s + e - n, 0) split with
/// the odd element after. Bad arguments raise an ArgumentException naming the op, the shapes and what was expected,
/// before anything is computed.
module Nabla.Core.Conv

open Nabla.Core

/// tf.nn.conv2d: input [N, H, W, C] (NHWC) or [N, C, H, W] (NCHW), filters [KH, KW, C / G, OC] (HWIO in every data
/// format), y[n, i, j, o] = sum x[n, i s_h + a d_h - p_t, j s_w + b d_w - p_l, c] w[a, b, c, o] over the window.
/// A C that is a multiple G of the filters' input depth is TF's grouped convolution (OC divisible by G).
/// Bilinear: dy = conv(dx, w) + conv(x, dw); the input adjoint is Conv2DBackpropInput(g, w) (the transposed
/// convolution), the filter adjoint Conv2DBackpropFilter(x, g); both are differentiable primitives again.
/// Float32, Float64 and Int32 (as TF registers it; Int32 gives values only, wrapping on overflow, no derivative).
/// Deviation: TF's CPU kernel accepts only NHWC; here NCHW is accepted too (transposed to NHWC and back), and strides
/// and dilations above 1 together are allowed (TF's CPU kernels may reject them).
val conv2d:
  strides: int array -> dilations: int array -> padding: string -> dataFormat: string -> input: Tensor -> filters: Tensor -> Tensor

/// tf.nn.conv2d_transpose: the adjoint of conv2d with respect to its input (Conv2DBackpropInput). input
/// [N, H', W', IC], filters [KH, KW, OC, IC], outputShape the full output shape in the data format's order; a conv2d
/// of outputShape with these filters, strides, dilations and padding must give the input's spatial extents (else an
/// ArgumentException, as TF). Float32, Float64 and Int32 (values only, as conv2d). Bilinear; its input adjoint is conv2d(g, w), its filter adjoint
/// Conv2DBackpropFilter(g, input).
val conv2dTranspose:
  outputShape: int array ->
    strides: int array -> dilations: int array -> padding: string -> dataFormat: string -> input: Tensor -> filters: Tensor -> Tensor

/// tf.nn.depthwise_conv2d: input [N, H, W, C], filter [KH, KW, C, M]; output channel c M + m is channel c convolved
/// with filter[.., c, m]. Float32 and Float64 (TF registers no integer kernel). A grouped conv2d with C groups (the filter reshaped to [KH, KW, 1, C M]), so its
/// derivatives are conv2d's.
val depthwiseConv2d:
  strides: int array -> dilations: int array -> padding: string -> dataFormat: string -> input: Tensor -> filter: Tensor -> Tensor

/// tf.nn.conv1d: input [N, W, C] (NWC) or [N, C, W] (NCW), filters [KW, C, OC]; `stride` and `dilations` hold one
/// value or three (batch and channel entries 1). Float32, Float64 and Int32 (values only). As TF, a conv2d over a height of 1; derivatives are conv2d's.
val conv1d:
  stride: int array -> dilations: int array -> padding: string -> dataFormat: string -> input: Tensor -> filters: Tensor -> Tensor

/// tf.nn.max_pool2d: the maximum of each window (SAME padding never wins: padded elements are ignored). The gradient
/// routes each window's adjoint to one element, TF's CPU rule: the first maximum in row-major window order (a later
/// element replaces it only when strictly greater; a NaN met first is kept, one met later is passed over). With the
/// window choice fixed the op is a gather, whose adjoint (MaxPoolGrad) is a scatter-add and whose adjoint in turn
/// (MaxPoolGradGrad) the gather again: every order of derivative is exact away from ties, and at ties follows the
/// same choice. Float32, Float64, Int32 and Int64 (TF's integer kernels; integers give values only, no derivative).
/// Deviation: NCHW is accepted (TF's CPU kernel accepts only NHWC).
val maxPool2d: ksize: int array -> strides: int array -> padding: string -> dataFormat: string -> input: Tensor -> Tensor

/// tf.nn.avg_pool2d: the mean of each window over its valid elements (with SAME padding a border window divides by
/// the count of unpadded elements, as TF). Linear; the adjoint (AvgPoolGrad) spreads each window's adjoint evenly
/// over those elements and is itself linear with the average pool as its adjoint. Float32 and Float64 (as TF).
/// Deviation: NCHW accepted as in
/// maxPool2d.
val avgPool2d: ksize: int array -> strides: int array -> padding: string -> dataFormat: string -> input: Tensor -> Tensor
