/// Neural-network helpers, composed from primitives so every order of derivative is exact, and
/// numerically stable: exponentials are always shifted by a gradient-free max.
module Nabla.Core.Nn

open Nabla.Core

/// exp(x) / sum(exp(x)) along `axis`, shifted by the max (no overflow for logits of 1e4).
/// d = y (dx - sum(y dx)). A row holding a NaN is NaN throughout (the max is NaN), value, gradient and tangent, as
/// TensorFlow; so is a row holding +inf or only -inf (inf - inf in the shift, as TensorFlow's kernel).
val softmax: axis: int -> logits: Tensor -> Tensor

/// (x - m) - log(sum(exp(x - m))) along `axis` with m the gradient-free max, as TensorFlow computes it: stable,
/// and accurate in Float32 for large logits (x - logsumexp(x) would round the ~1e4 log-sum-exp first).
/// d = dx - softmax(x) sum(dx). A row holding a NaN is NaN throughout (value, gradient, tangent), as TensorFlow; a -inf
/// logit among finite ones gives -inf, a row holding +inf or only -inf gives NaN (inf - inf in the shift).
val logSoftmax: axis: int -> logits: Tensor -> Tensor

/// -sum(labels * log_softmax(logits)) along `axis`, per example. Differentiable in both labels and logits;
/// d/dlogits = softmax(logits) sum(labels) - labels.
val softmaxCrossEntropyWithLogits: axis: int -> labels: Tensor -> logits: Tensor -> Tensor

/// Rows of `depth` with 1 at each index (indices outside [0, depth) give zero rows).
/// An ArgumentException naming OneHot for a negative depth, an undefined dtype, or more than Array.MaxLength elements.
val oneHot: depth: int -> dtype: DType -> indices: Tensor -> Tensor

/// Cross-entropy against integer class indices (labels of shape logits.Shape without the last axis).
/// d/dlogits = softmax(logits) - one_hot(labels).
val sparseSoftmaxCrossEntropyWithLogits: labels: Tensor -> logits: Tensor -> Tensor

/// max(x, 0) - x z + log(1 + e^-|x|), element-wise (stable), written with a select on x >= 0 as TensorFlow so
/// that the derivative at x = 0 is sigmoid(0) - z. d/dx = sigmoid(x) - z; d/dz = -x.
val sigmoidCrossEntropyWithLogits: labels: Tensor -> logits: Tensor -> Tensor

/// value + bias along the last axis (bias of rank 1, value of rank >= 2), one fused row-wise kernel.
/// d = dvalue + dbias; the bias adjoint sums over every axis but the last.
val biasAdd: value: Tensor -> bias: Tensor -> Tensor

val internal biasPrim: unit -> BinaryPrim

/// The Gaussian error linear unit (`tf.nn.gelu`). Exact (approximate = false, TensorFlow's default): 0.5 x erfc(-x/sqrt 2)
/// = x Phi(x), f' = Phi(x) + x phi(x). Approximate: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). A composite of
/// Erfc / Tanh, so every order follows; NaN for NaN.
val gelu: approximate: bool -> x: Tensor -> Tensor

/// x / (1 + |x|) (`tf.nn.softsign`). f' = 1 / (1 + |x|)^2 (1 at 0, as TensorFlow's SoftsignGrad), written with Abs, so
/// the second derivative at 0 takes Abs's rule (sign 0 = 0) and is 0 there. NaN for NaN (value and derivative).
val softsign: x: Tensor -> Tensor

/// x sigmoid(beta x) (`tf.nn.silu`, also `swish`; beta 1 by default). f' = s + beta x s (1 - s) with s = sigmoid(beta x).
/// A composite; NaN for NaN.
val silu: beta: float -> x: Tensor -> Tensor

/// log sigmoid(x) = -softplus(-x) (`tf.math.log_sigmoid`), without overflow. f' = sigmoid(-x). A composite; NaN for NaN.
val logSigmoid: x: Tensor -> Tensor
