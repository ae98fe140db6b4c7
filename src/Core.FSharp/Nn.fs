/// Neural-network helpers, composed from primitives so every order of derivative is exact, and
/// numerically stable: exponentials are always shifted by a gradient-free max.
module Nabla.Core.Nn

open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout
open Nabla.Core.Reductions

let private axisOf (op: string) (x: Tensor) (axis: int) =
    if x.Rank = 0 then invalidArg "logits" (sprintf "%s: expected logits of rank >= 1, got a scalar" op)
    Shape.normAxis op x.Rank axis

/// The gradient-free max along `axis` (kept) that shifts the exponentials; zeros for empty logits (whose softmax is
/// empty, as TensorFlow's), where a max has no value.
let private shiftOf (axis: int) (logits: Tensor) =
    if logits.Size = 0 then constant (Storage.zeros logits.DType (Shape.reduced logits.Shape [| axis |] true))
    else constant (Reductions.Kernels.reduceMax [| axis |] true logits.Raw)

/// exp(x) / sum(exp(x)) along `axis`, shifted by the max (no overflow for logits of 1e4).
/// d = y (dx - sum(y dx)). A row holding a NaN is NaN throughout (the max is NaN), value, gradient and tangent, as
/// TensorFlow; so is a row holding +inf or only -inf (inf - inf in the shift, as TensorFlow's kernel).
let softmax (axis: int) (logits: Tensor) =
    requireFloat "Softmax" logits
    let a = axisOf "Softmax" logits axis
    let e = exp (sub logits (shiftOf a logits))
    div e (sum [| a |] true e)

/// (x - m) - log(sum(exp(x - m))) along `axis` with m the gradient-free max, as TensorFlow computes it: stable,
/// and accurate in Float32 for large logits (x - logsumexp(x) would round the ~1e4 log-sum-exp first).
/// d = dx - softmax(x) sum(dx). A row holding a NaN is NaN throughout (value, gradient, tangent), as TensorFlow; a -inf
/// logit among finite ones gives -inf, a row holding +inf or only -inf gives NaN (inf - inf in the shift).
let logSoftmax (axis: int) (logits: Tensor) =
    requireFloat "LogSoftmax" logits
    let a = axisOf "LogSoftmax" logits axis
    let shifted = sub logits (shiftOf a logits)
    sub shifted (log (sum [| a |] true (exp shifted)))

/// -sum(labels * log_softmax(logits)) along `axis`, per example. Differentiable in both labels and logits;
/// d/dlogits = softmax(logits) sum(labels) - labels.
let softmaxCrossEntropyWithLogits (axis: int) (labels: Tensor) (logits: Tensor) =
    requireFloat "SoftmaxCrossEntropyWithLogits" logits
    if not (Shape.equal labels.Shape logits.Shape) then
        invalidArg "labels" (sprintf "SoftmaxCrossEntropyWithLogits: labels have shape %s and logits %s; expected the same shape" (Shape.format labels.Shape) (Shape.format logits.Shape))
    if labels.DType <> logits.DType then
        invalidArg "labels" (sprintf "SoftmaxCrossEntropyWithLogits: labels have dtype %s and logits %s; expected the same dtype" (string labels.DType) (string logits.DType))
    let a = axisOf "SoftmaxCrossEntropyWithLogits" logits axis
    neg (sum [| a |] false (mul labels (logSoftmax a logits)))

/// Rows of `depth` with 1 at each index (indices outside [0, depth) give zero rows).
/// An ArgumentException naming OneHot for a negative depth, an undefined dtype, or more than Array.MaxLength elements.
let oneHot (depth: int) (dtype: DType) (indices: Tensor) =
    if depth < 0 then invalidArg "depth" (sprintf "OneHot: depth %d is negative; expected depth >= 0" depth)
    Storage.checkDType "OneHot" dtype
    let out = Array.append indices.Shape [| depth |]
    if Shape.trySize out < 0 then
        invalidArg "depth" (sprintf "OneHot: indices of shape %s with depth %d give shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                    (Shape.format indices.Shape) depth (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    constant (Storage.oneHot indices.Raw depth dtype)

/// Cross-entropy against integer class indices (labels of shape logits.Shape without the last axis).
/// d/dlogits = softmax(logits) - one_hot(labels).
let sparseSoftmaxCrossEntropyWithLogits (labels: Tensor) (logits: Tensor) =
    requireFloat "SparseSoftmaxCrossEntropyWithLogits" logits
    if labels.DType <> DType.Int32 && labels.DType <> DType.Int64 then
        invalidArg "labels" (sprintf "SparseSoftmaxCrossEntropyWithLogits: labels have dtype %s; expected Int32 or Int64" (string labels.DType))
    if logits.Rank < 1 || not (Shape.equal labels.Shape logits.Shape.[.. logits.Rank - 2]) then
        invalidArg "labels" (sprintf "SparseSoftmaxCrossEntropyWithLogits: labels have shape %s and logits %s; expected labels shaped as logits without the last axis" (Shape.format labels.Shape) (Shape.format logits.Shape))
    let classes = logits.Shape.[logits.Rank - 1]
    for v in Storage.toDoubles labels.Raw do
        if v < 0.0 || v >= float classes then
            invalidArg "labels" (sprintf "SparseSoftmaxCrossEntropyWithLogits: label %g is out of range [0, %d)" v classes)
    let oh = oneHot classes logits.DType labels
    neg (sum [| logits.Rank - 1 |] false (mul oh (logSoftmax -1 logits)))

/// max(x, 0) - x z + log(1 + e^-|x|), element-wise (stable), written with a select on x >= 0 as TensorFlow so
/// that the derivative at x = 0 is sigmoid(0) - z. d/dx = sigmoid(x) - z; d/dz = -x.
let sigmoidCrossEntropyWithLogits (labels: Tensor) (logits: Tensor) =
    requireFloat "SigmoidCrossEntropyWithLogits" logits
    if not (Shape.equal labels.Shape logits.Shape) then
        invalidArg "labels" (sprintf "SigmoidCrossEntropyWithLogits: labels have shape %s and logits %s; expected the same shape" (Shape.format labels.Shape) (Shape.format logits.Shape))
    if labels.DType <> logits.DType then
        invalidArg "labels" (sprintf "SigmoidCrossEntropyWithLogits: labels have dtype %s and logits %s; expected the same dtype" (string labels.DType) (string logits.DType))
    let cond = greaterEqual logits (zerosLike logits)
    let zeros = zerosLike logits
    let reluLogits = where cond logits zeros
    let negAbs = where cond (neg logits) logits
    add (sub reluLogits (mul logits labels)) (log1p (exp negAbs))

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private biasPrimCell = PrimCell<BinaryPrim>()

/// value + bias along the last axis (bias of rank 1, value of rank >= 2), one fused row-wise kernel.
/// d = dvalue + dbias; the bias adjoint sums over every axis but the last.
let rec biasAdd (value: Tensor) (bias: Tensor) : Tensor =
    if value.Rank < 2 || bias.Rank <> 1 || bias.Shape.[0] <> value.Shape.[value.Rank - 1] then
        invalidArg "bias" (sprintf "BiasAdd: value of shape %s and bias of shape %s; expected value of rank >= 2 and a bias of shape [%s]"
                                   (Shape.format value.Shape) (Shape.format bias.Shape) (if value.Rank > 0 then string value.Shape.[value.Rank - 1] else "n"))
    if value.DType <> bias.DType then
        invalidArg "bias" (sprintf "BiasAdd: value has dtype %s and bias %s; expected the same dtype" (string value.DType) (string bias.DType))
    binary (biasPrim ()) value bias
and biasPrim () : BinaryPrim =
    biasPrimCell.Get(fun () ->
        { new BinaryPrim("BiasAdd") with
            member _.Kernel(v, b) = Combinators.Kernels.add v b
            member _.JvpA(_, _, _, dv) = dv
            member _.JvpB(_, _, y, db) = broadcastTo y.Shape db
            member _.VjpA(_, _, _, g) = g
            member _.VjpB(_, b, _, g) = sumTo b.Shape g })
