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

let softmax (axis: int) (logits: Tensor) =
    requireFloat "Softmax" logits
    let a = axisOf "Softmax" logits axis
    let e = exp (sub logits (shiftOf a logits))
    div e (sum [| a |] true e)

let logSoftmax (axis: int) (logits: Tensor) =
    requireFloat "LogSoftmax" logits
    let a = axisOf "LogSoftmax" logits axis
    let shifted = sub logits (shiftOf a logits)
    sub shifted (log (sum [| a |] true (exp shifted)))

let softmaxCrossEntropyWithLogits (axis: int) (labels: Tensor) (logits: Tensor) =
    requireFloat "SoftmaxCrossEntropyWithLogits" logits
    if not (Shape.equal labels.Shape logits.Shape) then
        invalidArg "labels" (sprintf "SoftmaxCrossEntropyWithLogits: labels have shape %s and logits %s; expected the same shape" (Shape.format labels.Shape) (Shape.format logits.Shape))
    if labels.DType <> logits.DType then
        invalidArg "labels" (sprintf "SoftmaxCrossEntropyWithLogits: labels have dtype %s and logits %s; expected the same dtype" (string labels.DType) (string logits.DType))
    let a = axisOf "SoftmaxCrossEntropyWithLogits" logits axis
    neg (sum [| a |] false (mul labels (logSoftmax a logits)))

let oneHot (depth: int) (dtype: DType) (indices: Tensor) =
    if depth < 0 then invalidArg "depth" (sprintf "OneHot: depth %d is negative; expected depth >= 0" depth)
    Storage.checkDType "OneHot" dtype
    let out = Array.append indices.Shape [| depth |]
    if Shape.trySize out < 0 then
        invalidArg "depth" (sprintf "OneHot: indices of shape %s with depth %d give shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                    (Shape.format indices.Shape) depth (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    constant (Storage.oneHot indices.Raw depth dtype)

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

// ------------------------------------------------------------------------- activations composed of primitives

let gelu (approximate: bool) (x: Tensor) =
    requireFloat "Gelu" x
    if approximate then
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        let inner = mul (scalarLike x 0.7978845608028654) (add x (mul (scalarLike x 0.044715) (mul x (square x))))
        mul (mul (scalarLike x 0.5) x) (add (onesLike x) (tanh inner))
    else
        // 0.5 x erfc(-x / sqrt 2): the erfc form keeps full relative accuracy for negative x
        mul (mul (scalarLike x 0.5) x) (erfc (mul (scalarLike x -0.7071067811865476) x))

let softsign (x: Tensor) =
    requireFloat "Softsign" x
    unary Elementwise.softsignPrim x

let silu (beta: float) (x: Tensor) =
    requireFloat "Silu" x
    if beta = 1.0 then mul x (sigmoid x) else mul x (sigmoid (mul (scalarLike x beta) x))

let logSigmoid (x: Tensor) =
    requireFloat "LogSigmoid" x
    neg (softplus (neg x))
