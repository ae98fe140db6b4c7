/// Statistics over axes and along one axis: variance, standard deviation and moments, the Bool reductions, cumulative
/// sums and products, and the norm-based rescalings (l2_normalize, clip_by_norm, clip_by_global_norm), under
/// TensorFlow's semantics and defaults. Composites of differentiable ops except CumSum, a primitive of its own; every
/// derivative is exact at every order.
module Nabla.Core.Statistics

open Nabla.Core

/// The kernels: scans along one axis (cumulative sums and products, inclusive or exclusive, either direction) and the
/// Bool reductions.
module Kernels =

    /// Cumulative sum along the (normalised) axis, for every numeric dtype; integer sums wrap as TensorFlow's.
    val internal cumsum: axis: int -> exclusive: bool -> reverse: bool -> t: RawTensor -> RawTensor

    /// Cumulative product along the (normalised) axis, one sequential pass, for every numeric dtype.
    val internal cumprod: axis: int -> exclusive: bool -> reverse: bool -> t: RawTensor -> RawTensor

    /// The linear recurrence s_j = c_j s_prev(j) + b_j along the (normalised) axis (prev(j) = j - 1, or j + 1 when
    /// `reverse`; s_0 = b_0), c and b of one shape and float dtype: the scan CumProd's derivatives are made of.
    val internal linearScan: axis: int -> reverse: bool -> c: RawTensor -> b: RawTensor -> RawTensor

    /// Logical and (`all`) or or over the (sorted, normalised) axes of a Bool tensor; an empty group gives true (and) or
    /// false (or), the identities.
    val internal reduceBool: all: bool -> axes: int array -> keepDims: bool -> t: RawTensor -> RawTensor

/// Population variance over `axes` (null: all; negative count from the end), as tf.math.reduce_variance:
/// mean((x - mean(x))^2), divided by N (not N - 1). Float32/Float64 only (TensorFlow rejects integers too). d = 2/N (x - mean) dx
/// summed over the group, differentiable to any order. An empty group gives NaN (0 / 0), as TensorFlow.
val reduceVariance: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Population standard deviation, sqrt(reduceVariance), as tf.math.reduce_std. d = (x - mean) / (N std) dx. Where the
/// group is constant (std 0) the derivative is NaN (0 times sqrt's infinite derivative), as TensorFlow's.
val reduceStd: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Mean and population variance over `axes` (required, as tf.nn.moments; an empty array reduces nothing and gives x and
/// zeros), keepDims either way. Deviation from TensorFlow: TF stops the gradient of the mean inside the variance; the
/// values and first derivatives agree (the mean's term vanishes), but TF's second derivative of the variance misses the
/// -2/N^2 coupling term. Here the variance is differentiated exactly at every order.
val moments: axes: int array -> keepDims: bool -> x: Tensor -> Tensor * Tensor

/// Logical and over axes (null: all), as tf.math.reduce_all; Bool only; an empty group is true. Not differentiable.
val reduceAll: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Logical or over axes (null: all), as tf.math.reduce_any; Bool only; an empty group is false. Not differentiable.
val reduceAny: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Cumulative sum along `axis` (negative counts from the end), as tf.math.cumsum: `exclusive` leaves the element
/// itself out (the first result is 0), `reverse` sums from the end. Every numeric dtype (integers wrap); rank >= 1. A
/// primitive: linear, so d = cumsum(dx) with the same flags, and the adjoint is the scan in the other direction.
val cumsum: axis: int -> exclusive: bool -> reverse: bool -> x: Tensor -> Tensor

/// Cumulative product along `axis`, as tf.math.cumprod (`exclusive`: the first result is 1; `reverse`: from the end).
/// Every numeric dtype; rank >= 1; one sequential pass. A primitive whose rules never divide by x (TensorFlow's
/// gradient does, and gives NaN or inf where x holds a zero): the product rule makes the tangent the linear recurrence
/// dy_j = x_j dy_prev + y_prev dx_j, and the adjoint the exclusive product times the recurrence run the other way,
/// R_i = g_i + x_next R_next; that recurrence is a primitive too, with rules of its own kind, so every derivative is
/// exact at every order, zeros included. Integer tensors have no derivative.
val cumprod: axis: int -> exclusive: bool -> reverse: bool -> x: Tensor -> Tensor

/// x * rsqrt(max(sum(x^2, axes, keepdims), epsilon)), as tf.math.l2_normalize (TensorFlow's default epsilon is 1e-12;
/// axes null: all). Float32/Float64. Differentiable to any order; where sum(x^2) < epsilon the scale is the constant
/// epsilon^-1/2 (and on a tie the derivative flows through the sum, as TensorFlow's maximum).
val l2Normalize: axes: int array -> epsilon: float -> x: Tensor -> Tensor

/// t * clipNorm / max(||t||_2 over axes, clipNorm), as tf.clip_by_norm (axes null: all): t unchanged when its norm is
/// at most clipNorm, else rescaled to norm clipNorm. Differentiable in t and clipNorm; a tie gives the derivative
/// through the norm (as TensorFlow's maximum); a zero slice has norm 0 with no infinite derivative (TensorFlow's guard).
/// A NaN in t gives NaN across its slice; an infinite entry gives NaN there and 0 elsewhere in its slice, as TensorFlow.
val clipByNorm: axes: int array -> t: Tensor -> clipNorm: Tensor -> Tensor

/// sqrt(sum of the squares of every element of every tensor), as tf.linalg.global_norm; null entries are skipped; one
/// float dtype. d = sum(t dt) / norm; at norm 0 the derivative is NaN (sqrt's at 0).
val globalNorm: ts: Tensor array -> Tensor

/// Each tensor times clipNorm / max(globalNorm, clipNorm), and the global norm, as tf.clip_by_global_norm (the norm
/// given by `useNorm`, or computed; null entries stay null). TensorFlow's formula, scale = clipNorm * min(1/norm,
/// 1/clipNorm) + (norm - norm): an infinite or NaN global norm makes every clipped tensor NaN. clipNorm and useNorm are
/// scalars of the tensors' dtype. Differentiable in every tensor, clipNorm and useNorm; at an all-zero list the
/// derivative through the computed norm is NaN (sqrt's derivative at 0), as TensorFlow's.
val clipByGlobalNorm: ts: Tensor array -> clipNorm: Tensor -> useNorm: Tensor option -> Tensor array * Tensor
