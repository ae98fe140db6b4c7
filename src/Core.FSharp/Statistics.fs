module Nabla.Core.Statistics

open System
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout

/// The kernels of this file: scans along one axis and Bool reductions.
module Kernels =
    open Nabla.Core.Storage

    /// Extents before, along and after `axis`.
    let private around (axis: int) (shape: int[]) =
        Shape.size shape.[.. axis - 1], shape.[axis], Shape.size shape.[axis + 1 ..]

    /// A scan along the middle axis of an [outer, n, inner] view: row k of the result is `combine` of the previous
    /// result row and input row k (inclusive) or of the previous result row and the previous input row (exclusive,
    /// starting from `identity`); `reverse` runs from the last row to the first.
    let inline private scan (identity: 'T) ([<InlineIfLambda>] combine: 'T -> 'T -> 'T) (exclusive: bool) (reverse: bool)
                            (outer: int) (n: int) (inner: int) (a: 'T[]) =
        let r: 'T[] = Array.zeroCreate a.Length
        for o in 0 .. outer - 1 do
            for s in 0 .. n - 1 do
                let k = if reverse then n - 1 - s else s
                let b = (o * n + k) * inner
                if s = 0 then
                    if exclusive then Array.Fill(r, identity, b, inner) else Array.Copy(a, b, r, b, inner)
                else
                    let p = (o * n + (if reverse then k + 1 else k - 1)) * inner
                    if exclusive then
                        for i in 0 .. inner - 1 do r.[b + i] <- combine r.[p + i] a.[p + i]
                    else
                        for i in 0 .. inner - 1 do r.[b + i] <- combine r.[p + i] a.[b + i]
        r

    let cumsum (axis: int) (exclusive: bool) (reverse: bool) (t: RawTensor) =
        let outer, n, inner = around axis t.Shape
        let data: Array =
            match t.Data with
            | :? (float32[]) as a -> scan 0.0f (+) exclusive reverse outer n inner a :> _
            | :? (float[]) as a -> scan 0.0 (+) exclusive reverse outer n inner a :> _
            | :? (int[]) as a -> scan 0 (+) exclusive reverse outer n inner a :> _
            | :? (int64[]) as a -> scan 0L (+) exclusive reverse outer n inner a :> _
            | _ -> unsupported "CumSum" t.DType "a float or integer dtype"
        RawTensor(t.DType, Array.copy t.Shape, data)

    let cumprod (axis: int) (exclusive: bool) (reverse: bool) (t: RawTensor) =
        let outer, n, inner = around axis t.Shape
        let data: Array =
            match t.Data with
            | :? (float32[]) as a -> scan 1.0f (*) exclusive reverse outer n inner a :> _
            | :? (float[]) as a -> scan 1.0 (*) exclusive reverse outer n inner a :> _
            | :? (int[]) as a -> scan 1 (*) exclusive reverse outer n inner a :> _
            | :? (int64[]) as a -> scan 1L (*) exclusive reverse outer n inner a :> _
            | _ -> unsupported "CumProd" t.DType "a float or integer dtype"
        RawTensor(t.DType, Array.copy t.Shape, data)

    let linearScan (axis: int) (reverse: bool) (c: RawTensor) (b: RawTensor) =
        let outer, n, inner = around axis b.Shape
        let run (c: 'T[]) (b: 'T[]) (mulAdd: 'T -> 'T -> 'T -> 'T) =
            let r: 'T[] = Array.zeroCreate b.Length
            for o in 0 .. outer - 1 do
                for s in 0 .. n - 1 do
                    let k = if reverse then n - 1 - s else s
                    let q = (o * n + k) * inner
                    if s = 0 then Array.Copy(b, q, r, q, inner)
                    else
                        let p = (o * n + (if reverse then k + 1 else k - 1)) * inner
                        for i in 0 .. inner - 1 do r.[q + i] <- mulAdd c.[q + i] r.[p + i] b.[q + i]
            r
        let data: Array =
            match c.Data, b.Data with
            | (:? (float32[]) as c), (:? (float32[]) as b) -> run c b (fun c s b -> c * s + b) :> _
            | (:? (float[]) as c), (:? (float[]) as b) -> run c b (fun c s b -> c * s + b) :> _
            | _ -> unsupported "CumProd" b.DType "Float32 or Float64"
        RawTensor(b.DType, Array.copy b.Shape, data)

    let reduceBool (all: bool) (axes: int[]) (keepDims: bool) (t: RawTensor) =
        let keep = [| for i in 0 .. t.Rank - 1 do if not (Array.contains i axes) then yield i |]
        let perm = Array.append keep axes
        let moved = if perm = Array.init t.Rank id then t else Layout.Kernels.transpose perm t
        let n = axes |> Array.fold (fun acc a -> acc * t.Shape.[a]) 1
        let outer = Shape.size (keep |> Array.map (fun a -> t.Shape.[a]))
        let a = moved.Data :?> bool[]
        let r =
            Array.init outer (fun o ->
                let mutable v = all
                let mutable i = o * n
                let e = o * n + n
                while i < e do
                    if a.[i] <> all then
                        v <- not all
                        i <- e
                    else i <- i + 1
                v)
        RawTensor(DType.Bool, Shape.reduced t.Shape axes keepDims, r)

// ------------------------------------------------------------------ moments

let private variance (ax: int[]) (keepDims: bool) (x: Tensor) =
    let m = Reductions.mean ax true x
    Reductions.mean ax keepDims (square (sub x m))

let reduceVariance (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    requireFloat "ReduceVariance" x
    variance (Shape.normAxes "ReduceVariance" x.Rank axes) keepDims x

let reduceStd (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    requireFloat "ReduceStd" x
    sqrt (variance (Shape.normAxes "ReduceStd" x.Rank axes) keepDims x)

let moments (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor * Tensor =
    requireFloat "Moments" x
    if isNull axes then invalidArg "axes" "Moments: axes is null; expected the axes to reduce over (as tf.nn.moments, which requires them)"
    let ax = Shape.normAxes "Moments" x.Rank axes
    let m = Reductions.mean ax true x
    let v = Reductions.mean ax true (square (sub x m))
    if keepDims then m, v
    else
        let s = Shape.reduced x.Shape ax false
        reshape s m, reshape s v

// ------------------------------------------------------------------ Bool reductions

let private reduceBool (op: string) (all: bool) (axes: int[]) (keepDims: bool) (x: Tensor) =
    if x.DType <> DType.Bool then
        invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Bool" op (string x.DType))
    let ax = Shape.normAxes op x.Rank axes
    constant (Kernels.reduceBool all ax keepDims x.Raw)

let reduceAll (axes: int[]) (keepDims: bool) (x: Tensor) = reduceBool "ReduceAll" true axes keepDims x

let reduceAny (axes: int[]) (keepDims: bool) (x: Tensor) = reduceBool "ReduceAny" false axes keepDims x

// ------------------------------------------------------------------ scans

let private scanAxis (op: string) (axis: int) (x: Tensor) =
    if x.DType = DType.Bool then
        invalidArg "x" (sprintf "%s: dtype Bool is not supported; expected a float or integer dtype" op)
    if x.Rank = 0 then
        invalidArg "x" (sprintf "%s: expected a tensor of rank >= 1, got a scalar (shape []); the scan axis %d is out of range" op axis)
    Shape.normAxis op x.Rank axis

/// The CumSum primitive: linear, so its JVP is itself and its VJP the scan the other way (an inclusive forward sum's
/// adjoint is the inclusive sum from the end; an exclusive one's, the exclusive sum from the end).
let rec private cumsumAt (axis: int) (exclusive: bool) (reverse: bool) (x: Tensor) : Tensor =
    unary { new UnaryPrim("CumSum") with
              member _.Kernel r = Kernels.cumsum axis exclusive reverse r
              member _.Jvp(_, _, dx) = cumsumAt axis exclusive reverse dx
              member _.Vjp(_, _, g) = cumsumAt axis exclusive (not reverse) g } x

let cumsum (axis: int) (exclusive: bool) (reverse: bool) (x: Tensor) : Tensor =
    let a = scanAxis "CumSum" axis x
    cumsumAt a exclusive reverse x

/// The block [start, start + len) of `axis`.
let private part (axis: int) (start: int) (len: int) (t: Tensor) =
    let b = Array.zeroCreate t.Rank
    b.[axis] <- start
    let s = Array.copy t.Shape
    s.[axis] <- len
    slice b s t

/// t moved one step along `axis` in the scan's direction (forward: element j takes t[j - 1]; reverse: t[j + 1]), `fill`
/// (a scalar) entering at the start. Slices and a concatenation, so differentiable.
let private shiftIn (axis: int) (reverse: bool) (fill: float) (t: Tensor) =
    let n = t.Shape.[axis]
    let edge = add (zerosLike (part axis 0 1 t)) (scalarLike t fill)
    if reverse then concat axis [| part axis 1 (n - 1) t; edge |]
    else concat axis [| edge; part axis 0 (n - 1) t |]

/// The linear recurrence s_j = c_j s_prev(j) + b_j along `axis` (prev(j) = j - 1 forward, j + 1 reverse; s = 0 before
/// the start), a primitive of two operands: linear in b, and in c through the shifted state. Its rules are scans of the
/// same kind: d s = scan(c, dc shift(s) + db); the adjoint of b is the scan the other way with the coefficients shifted
/// the other way, and c's adjoint is shift(s) times b's. No division anywhere, so every order stays exact at zeros.
let rec private linearScan (axis: int) (reverse: bool) (c: Tensor) (b: Tensor) : Tensor =
    let adjointB (c: Tensor) (g: Tensor) = linearScan axis (not reverse) (shiftIn axis (not reverse) 0.0 c) g
    binary { new BinaryPrim("LinearScan") with
               member _.Kernel(c, b) = Kernels.linearScan axis reverse c b
               member _.JvpA(c, _, s, dc) = linearScan axis reverse c (mul dc (shiftIn axis reverse 0.0 s))
               member _.JvpB(c, _, _, db) = linearScan axis reverse c db
               member _.VjpA(c, _, s, g) = mul (shiftIn axis reverse 0.0 s) (adjointB c g)
               member _.VjpB(c, _, _, g) = adjointB c g } c b

/// The inclusive product scan along `axis` (either direction): the sequential kernel, with the rules
/// d y = scan(x, shift(y) dx) (the product rule, dy_j = x_j dy_prev + y_prev dx_j) and the adjoint
/// shift(y) * scan'(shift'(x), g), where shift(y) (1 entering) is the exclusive product: no division by x.
let private cumprodInclusive (axis: int) (reverse: bool) (x: Tensor) : Tensor =
    unary { new UnaryPrim("CumProd") with
              member _.Kernel r = Kernels.cumprod axis false reverse r
              member _.Jvp(x, y, dx) = linearScan axis reverse x (mul (shiftIn axis reverse 1.0 y) dx)
              member _.Vjp(x, y, g) =
                  mul (shiftIn axis reverse 1.0 y) (linearScan axis (not reverse) (shiftIn axis (not reverse) 0.0 x) g) } x

let cumprod (axis: int) (exclusive: bool) (reverse: bool) (x: Tensor) : Tensor =
    let a = scanAxis "CumProd" axis x
    if not x.IsFloat then constant (Kernels.cumprod a exclusive reverse x.Raw)
    elif x.Shape.[a] = 0 then x
    else
        let y = cumprodInclusive a reverse x
        if exclusive then shiftIn a reverse 1.0 y else y

// ------------------------------------------------------------------ norms

let l2Normalize (axes: int[]) (epsilon: float) (x: Tensor) : Tensor =
    requireFloat "L2Normalize" x
    let ax = Shape.normAxes "L2Normalize" x.Rank axes
    let squares = Reductions.sum ax true (square x)
    mul x (rsqrt (maximum squares (scalarLike x epsilon)))

let clipByNorm (axes: int[]) (t: Tensor) (clipNorm: Tensor) : Tensor =
    requireFloat "ClipByNorm" t
    if clipNorm.DType <> t.DType then
        invalidArg "clipNorm" (sprintf "ClipByNorm: t has dtype %s and clipNorm %s; expected the same dtype" (string t.DType) (string clipNorm.DType))
    match Shape.tryBroadcast t.Shape clipNorm.Shape with
    | Some s when Shape.equal s t.Shape -> ()
    | _ ->
        invalidArg "clipNorm" (sprintf "ClipByNorm: clipNorm of shape %s does not broadcast to t's shape %s; expected a scalar (or a shape that broadcasts to t's)"
                                       (Shape.format clipNorm.Shape) (Shape.format t.Shape))
    let ax = Shape.normAxes "ClipByNorm" t.Rank axes
    let l2sum = Reductions.sum ax true (square t)
    // TensorFlow's guard: sqrt only where the sum is positive, so a zero slice has no infinite derivative
    let positive = greater l2sum (zerosLike l2sum)
    let l2norm = where positive (sqrt (where positive l2sum (onesLike l2sum))) l2sum
    div (mul t clipNorm) (maximum l2norm clipNorm)

let private present (ts: Tensor[]) = ts |> Array.filter (fun t -> not (isNull (box t)))

let globalNorm (ts: Tensor[]) : Tensor =
    if isNull ts then invalidArg "tList" "GlobalNorm: the tensor list is null"
    let xs = present ts
    if xs.Length = 0 then invalidArg "tList" "GlobalNorm: expected at least one tensor (null entries are skipped)"
    let d = xs.[0].DType
    for x in xs do
        requireFloat "GlobalNorm" x
        if x.DType <> d then
            invalidArg "tList" (sprintf "GlobalNorm: tensors have dtypes %s and %s; expected one dtype" (string d) (string x.DType))
    let squares = xs |> Array.map (fun x -> Reductions.sum null false (square x))
    sqrt (if squares.Length = 1 then squares.[0] else addN squares)

let clipByGlobalNorm (ts: Tensor[]) (clipNorm: Tensor) (useNorm: Tensor option) : Tensor[] * Tensor =
    if isNull ts then invalidArg "tList" "ClipByGlobalNorm: the tensor list is null"
    let xs = present ts
    if xs.Length = 0 then invalidArg "tList" "ClipByGlobalNorm: expected at least one tensor (null entries are skipped)"
    let d = xs.[0].DType
    for x in xs do
        requireFloat "ClipByGlobalNorm" x
        if x.DType <> d then
            invalidArg "tList" (sprintf "ClipByGlobalNorm: tensors have dtypes %s and %s; expected one dtype" (string d) (string x.DType))
    let scalarOf (name: string) (v: Tensor) =
        if v.DType <> d then
            invalidArg name (sprintf "ClipByGlobalNorm: %s has dtype %s and the tensors %s; expected the same dtype" name (string v.DType) (string d))
        if v.Rank <> 0 then
            invalidArg name (sprintf "ClipByGlobalNorm: %s has shape %s; expected a scalar (shape [])" name (Shape.format v.Shape))
    scalarOf "clipNorm" clipNorm
    let norm =
        match useNorm with
        | Some n -> scalarOf "useNorm" n; n
        | None -> globalNorm xs
    let one = scalarLike clipNorm 1.0
    // TensorFlow's formula: min(1/norm, 1/clip) * clip, plus (norm - norm), which is NaN when the norm is inf or NaN
    let scale = add (mul clipNorm (minimum (div one norm) (div one clipNorm))) (sub norm norm)
    ts |> Array.map (fun t -> if isNull (box t) then t else mul t scale), norm
