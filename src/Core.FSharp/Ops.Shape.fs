/// Shape primitives beyond reshape/transpose/slice/concat: axes inserted and removed, stacking,
/// gathering, and the batched matrix product.
module Nabla.Core.ShapeOps

open Nabla.Core.Ops

/// Inserts an axis of extent 1 at `axis` (-rank-1 <= axis <= rank). Linear (a reshape).
let expandDims (axis: int) (x: Tensor) =
    let rank = x.Rank
    let a = if axis < 0 then axis + rank + 1 else axis
    if a < 0 || a > rank then
        invalidArg "axis" (sprintf "ExpandDims: axis %d is out of range for a tensor of rank %d; expected an axis in [%d, %d]" axis rank (-rank - 1) rank)
    let shape = Array.concat [ x.Shape.[.. a - 1]; [| 1 |]; x.Shape.[a ..] ]
    reshape shape x

/// Removes axes of extent 1: all of them, or only `axis` (which must have extent 1). Linear (a reshape).
let squeeze (axis: int option) (x: Tensor) =
    match axis with
    | None -> reshape (x.Shape |> Array.filter (fun d -> d <> 1)) x
    | Some axis ->
        let a = Shape.normAxis "Squeeze" x.Rank axis
        if x.Shape.[a] <> 1 then
            invalidArg "axis" (sprintf "Squeeze: axis %d of shape %s has extent %d; expected 1" axis (Shape.format x.Shape) x.Shape.[a])
        reshape (Array.append x.Shape.[.. a - 1] x.Shape.[a + 1 ..]) x

/// Stacks equal-shaped tensors along a new axis. Each operand's adjoint is its slice.
let stack (axis: int) (xs: Tensor[]) =
    if isNull xs || xs.Length = 0 then invalidArg "values" "Stack: expected at least one tensor"
    let shape = xs.[0].Shape
    for x in xs do
        if not (Shape.equal x.Shape shape) then
            invalidArg "values" (sprintf "Stack: shapes %s and %s differ; expected equal shapes" (Shape.format shape) (Shape.format x.Shape))
    let rank = shape.Length + 1
    let a = if axis < 0 then axis + rank else axis
    if a < 0 || a >= rank then
        invalidArg "axis" (sprintf "Stack: axis %d is out of range for stacking rank-%d tensors; expected an axis in [%d, %d)" axis shape.Length (-rank) rank)
    let out = Array.concat [ shape.[.. a - 1]; [| xs.Length |]; shape.[a ..] ]
    if Shape.trySize out < 0 then
        invalidArg "values" (sprintf "Stack: stacking %d tensors of shape %s gives shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                     xs.Length (Shape.format shape) (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    concat a (xs |> Array.map (expandDims a))

/// Rows of x along `axis` chosen by integer `indices` (any shape). The adjoint scatters (adds) rows back.
let rec gather (axis: int) (indices: Tensor) (x: Tensor) : Tensor =
    if x.Rank = 0 then invalidArg "x" "Gather: expected a tensor of rank >= 1, got a scalar"
    let a = Shape.normAxis "Gather" x.Rank axis
    if indices.DType <> DType.Int32 && indices.DType <> DType.Int64 then
        invalidArg "indices" (sprintf "Gather: indices have dtype %s; expected Int32 or Int64" (string indices.DType))
    let out = Array.concat [ x.Shape.[.. a - 1]; indices.Shape; x.Shape.[a + 1 ..] ]
    if Shape.trySize out < 0 then
        invalidArg "indices" (sprintf "Gather: indices of shape %s along axis %d of shape %s give shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      (Shape.format indices.Shape) a (Shape.format x.Shape) (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    let idx = indices.Raw
    let n = x.Shape.[a]
    unary { new UnaryPrim("Gather") with
              member _.Kernel r = Kernels.gather a idx r
              member _.Jvp(_, _, dx) = gather a indices dx
              member _.Vjp(_, _, g) = scatterAdd a indices n g } x

/// The adjoint of gather: rows of g added into zeros (extent n on `axis`) at `indices`. Adjoint: gather.
and scatterAdd (axis: int) (indices: Tensor) (n: int) (g: Tensor) : Tensor =
    let axis = Shape.normAxis "ScatterAdd" (g.Rank - indices.Rank + 1) axis
    let idx = indices.Raw
    unary { new UnaryPrim("ScatterAdd") with
              member _.Kernel r = Kernels.scatterAdd axis idx n r
              member _.Jvp(_, _, dx) = scatterAdd axis indices n dx
              member _.Vjp(_, _, g) = gather axis indices g } g

/// op(a) op(b) over the last two axes, broadcasting batch axes (ranks >= 2): the one matmul primitive, Ops.matmul.
let matmul (transA: bool) (transB: bool) (a: Tensor) (b: Tensor) : Tensor = Ops.matmul transA transB a b

/// Matrix-vector product over the last axes (tf.linalg.matvec): a [..., m, n], x [..., n] -> [..., m].
let matvec (transA: bool) (a: Tensor) (x: Tensor) =
    if x.Rank < 1 || a.Rank < 2 then
        invalidArg "x" (sprintf "MatVec: expected a matrix of rank >= 2 and a vector of rank >= 1, got shapes %s and %s" (Shape.format a.Shape) (Shape.format x.Shape))
    let cols = if transA then a.Shape.[a.Rank - 2] else a.Shape.[a.Rank - 1]
    if cols <> x.Shape.[x.Rank - 1] then
        invalidArg "x" (sprintf "MatVec: shapes %s%s and %s: the matrix has %d columns but the vector has %d elements; expected equal"
                                (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format x.Shape) cols x.Shape.[x.Rank - 1])
    match Shape.tryBroadcast a.Shape.[.. a.Rank - 3] x.Shape.[.. x.Rank - 2] with
    | None ->
        invalidArg "x" (sprintf "MatVec: batch axes of shapes %s and %s (all but the matrix's last two and the vector's last one) do not broadcast; expected equal extents or 1, aligned from the right"
                                (Shape.format a.Shape) (Shape.format x.Shape))
    | Some batch ->
        let out = Array.append batch [| (if transA then a.Shape.[a.Rank - 1] else a.Shape.[a.Rank - 2]) |]
        if Shape.trySize out < 0 then
            invalidArg "x" (sprintf "MatVec: shapes %s%s and %s give a product of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                    (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format x.Shape) (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    squeeze (Some -1) (matmul transA false a (expandDims -1 x))
