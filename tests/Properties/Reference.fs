/// The naive reference implementations: each op's value computed index by index in Float64, independently of the
/// core's kernels (and of its Shape module), so a wrong forward kernel fails even when its derivatives agree with it.
/// A value is a shape and its row-major data. The fuzzer (FuzzPrograms.fs, Fuzz.fs) borrows a few of these helpers.
module Nabla.Properties.Reference

type Value = int[] * float[]

let size (shape: int[]) = Array.fold (*) 1 shape

let unravel (shape: int[]) (flat: int) =
    let idx = Array.zeroCreate shape.Length
    let mutable r = flat
    for i in shape.Length - 1 .. -1 .. 0 do
        idx.[i] <- r % shape.[i]
        r <- r / shape.[i]
    idx

let ravel (shape: int[]) (idx: int[]) =
    let mutable k = 0
    for i in 0 .. shape.Length - 1 do k <- k * shape.[i] + idx.[i]
    k

/// NumPy broadcasting, aligned from the right.
let broadcastShape (a: int[]) (b: int[]) =
    let n = max a.Length b.Length
    let dim (s: int[]) i = let j = i - (n - s.Length) in if j < 0 then 1 else s.[j]
    Array.init n (fun i -> let da, db = dim a i, dim b i in if da = 1 then db else da)

/// The element of a broadcast operand at an index of the (larger) output.
let at ((shape, data): Value) (outIdx: int[]) =
    let off = outIdx.Length - shape.Length
    data.[ravel shape (Array.init shape.Length (fun i -> if shape.[i] = 1 then 0 else outIdx.[i + off]))]

let map (f: float -> float) ((shape, data): Value) : Value = shape, Array.map f data

let map2 (f: float -> float -> float) (a: Value) (b: Value) : Value =
    let out = broadcastShape (fst a) (fst b)
    out, Array.init (size out) (fun k -> let idx = unravel out k in f (at a idx) (at b idx))

let broadcastTo (target: int[]) (a: Value) : Value =
    target, Array.init (size target) (fun k -> at a (unravel target k))

/// Sum over `axes` (null: all; negative from the end).
let sum (axes: int[]) (keepDims: bool) ((shape, data): Value) : Value =
    let rank = shape.Length
    let reduced = if isNull axes then Array.init rank id else axes |> Array.map (fun a -> if a < 0 then a + rank else a)
    let keptShape = shape |> Array.mapi (fun i d -> if Array.contains i reduced then 1 else d)
    let out = Array.zeroCreate (size keptShape)
    for k in 0 .. data.Length - 1 do
        let idx = unravel shape k |> Array.mapi (fun i j -> if Array.contains i reduced then 0 else j)
        out.[ravel keptShape idx] <- out.[ravel keptShape idx] + data.[k]
    let outShape = if keepDims then keptShape else shape |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i reduced)) |> Array.map snd
    outShape, out

let mean (axes: int[]) (keepDims: bool) ((shape, data): Value) : Value =
    let outShape, s = sum axes keepDims (shape, data)
    let count = data.Length / s.Length
    outShape, s |> Array.map (fun v -> v / float count)

/// Sums a broadcast value back to `target`.
let sumTo (target: int[]) ((shape, data): Value) : Value =
    let out = Array.zeroCreate (size target)
    for k in 0 .. data.Length - 1 do
        let idx = unravel shape k
        let off = shape.Length - target.Length
        let t = Array.init target.Length (fun i -> if target.[i] = 1 then 0 else idx.[i + off])
        out.[ravel target t] <- out.[ravel target t] + data.[k]
    target, out

let reshape (target: int[]) ((shape, data): Value) : Value =
    let known = target |> Array.filter (fun d -> d <> -1) |> size
    (target |> Array.map (fun d -> if d = -1 then data.Length / known else d)), data

/// Result axis i is input axis perm[i] (null reverses; negative from the end).
let transpose (perm: int[]) ((shape, data): Value) : Value =
    let rank = shape.Length
    let perm = if isNull perm then Array.init rank (fun i -> rank - 1 - i) else perm |> Array.map (fun p -> if p < 0 then p + rank else p)
    let out = perm |> Array.map (fun p -> shape.[p])
    out, Array.init data.Length (fun k ->
             let o = unravel out k
             let i = Array.zeroCreate rank
             perm |> Array.iteri (fun r p -> i.[p] <- o.[r])
             data.[ravel shape i])

let slice (start: int[]) (extent: int[]) ((shape, data): Value) : Value =
    let extent = Array.init shape.Length (fun i -> if extent.[i] = -1 then shape.[i] - start.[i] else extent.[i])
    extent, Array.init (size extent) (fun k -> data.[ravel shape (Array.map2 (+) (unravel extent k) start)])

let pad (target: int[]) (start: int[]) ((shape, data): Value) : Value =
    let out = Array.zeroCreate (size target)
    for k in 0 .. data.Length - 1 do out.[ravel target (Array.map2 (+) (unravel shape k) start)] <- data.[k]
    target, out

let concat (axis: int) (xs: Value[]) : Value =
    let rank = (fst xs.[0]).Length
    let axis = if axis < 0 then axis + rank else axis
    let out = Array.copy (fst xs.[0])
    out.[axis] <- xs |> Array.sumBy (fun (s, _) -> s.[axis])
    let owner = [| for i in 0 .. xs.Length - 1 do for j in 0 .. (fst xs.[i]).[axis] - 1 -> i, j |]
    out, Array.init (size out) (fun k ->
             let idx = unravel out k
             let i, j = owner.[idx.[axis]]
             let s, d = xs.[i]
             d.[ravel s (Array.mapi (fun a v -> if a = axis then j else v) idx)])

let matmul (transA: bool) (transB: bool) ((sa, a): Value) ((sb, b): Value) : Value =
    let get (s: int[]) (d: float[]) t i j = if t then d.[j * s.[1] + i] else d.[i * s.[1] + j]
    let m, k = (if transA then sa.[1] else sa.[0]), (if transA then sa.[0] else sa.[1])
    let n = if transB then sb.[0] else sb.[1]
    [| m; n |], Array.init (m * n) (fun r ->
                    let i, j = r / n, r % n
                    Seq.sum (seq { for l in 0 .. k - 1 -> get sa a transA i l * get sb b transB l j }))

let toFloat32 (x: Value) = map (fun v -> float (float32 v)) x

/// An axis given as -rank..rank-1, normalised.
let normAxis (rank: int) (axis: int) = if axis < 0 then axis + rank else axis

/// Reduces each group of `axes` (null: all; negative from the end) with `finish`.
let reduceWith (finish: float[] -> float) (axes: int[]) (keepDims: bool) ((shape, data): Value) : Value =
    let rank = shape.Length
    let reduced = if isNull axes then Array.init rank id else axes |> Array.map (normAxis rank)
    let keptShape = shape |> Array.mapi (fun i d -> if Array.contains i reduced then 1 else d)
    let groups = Array.init (size keptShape) (fun _ -> ResizeArray<float>())
    for k in 0 .. data.Length - 1 do
        let idx = unravel shape k |> Array.mapi (fun i j -> if Array.contains i reduced then 0 else j)
        groups.[ravel keptShape idx].Add data.[k]
    let outShape = if keepDims then keptShape else shape |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i reduced)) |> Array.map snd
    outShape, groups |> Array.map (fun g -> finish (g.ToArray()))

let reduceMax axes keepDims x = reduceWith Array.max axes keepDims x
let reduceMin axes keepDims x = reduceWith Array.min axes keepDims x
let reduceProd axes keepDims x = reduceWith (Array.fold (*) 1.0) axes keepDims x
/// log(sum(exp x)), unshifted (the inputs are small).
let reduceLogSumExp axes keepDims x = reduceWith (fun g -> log (Array.sumBy exp g)) axes keepDims x
/// Integer mean: the sum divided by the count, truncated toward zero.
let meanTruncated axes keepDims x = reduceWith (fun g -> truncate (Array.sum g / float g.Length)) axes keepDims x

/// The index of the first largest (or smallest) element along `axis`.
let argExtreme (largest: bool) (axis: int) ((shape, data): Value) : Value =
    let a = normAxis shape.Length axis
    let outShape = Array.removeAt a shape
    outShape, Array.init (size outShape) (fun k ->
                  let o = unravel outShape k
                  let at j = data.[ravel shape (Array.insertAt a j o)]
                  let mutable best = 0
                  for j in 1 .. shape.[a] - 1 do
                      if (largest && at j > at best) || (not largest && at j < at best) then best <- j
                  float best)

/// Applies `f` to every 1-D fiber along `axis` (a map of the same shape).
let alongAxis (axis: int) (f: float[] -> float[]) ((shape, data): Value) : Value =
    let a = normAxis shape.Length axis
    let outer = Array.updateAt a 1 shape
    let r = Array.zeroCreate data.Length
    for k in 0 .. size outer - 1 do
        let o = unravel outer k
        let position j = ravel shape (Array.updateAt a j o)
        let y = f (Array.init shape.[a] (fun j -> data.[position j]))
        for j in 0 .. shape.[a] - 1 do r.[position j] <- y.[j]
    shape, r

let softmaxFiber (v: float[]) = let e = Array.map exp v in let s = Array.sum e in Array.map (fun x -> x / s) e
let logSoftmaxFiber (v: float[]) = let l = log (Array.sumBy exp v) in Array.map (fun x -> x - l) v
let softmax axis x = alongAxis axis softmaxFiber x
let logSoftmax axis x = alongAxis axis logSoftmaxFiber x

/// -sum(labels * log_softmax(logits)) along axis.
let softmaxCrossEntropy (axis: int) (labels: Value) (logits: Value) : Value =
    let s, d = map2 (*) labels (logSoftmax axis logits)
    sum [| axis |] false (s, Array.map (fun v -> -v) d)

/// -log_softmax(logits)[label] along the last axis.
let sparseSoftmaxCrossEntropy (labels: int[]) ((shape, data): Value) : Value =
    let ls = snd (logSoftmax -1 (shape, data))
    let classes = shape.[shape.Length - 1]
    shape.[.. shape.Length - 2], labels |> Array.mapi (fun i l -> -ls.[i * classes + l])

/// softplus(x) - x z, naively.
let sigmoidCrossEntropy (labels: Value) (logits: Value) = map2 (fun z x -> log (1.0 + exp x) - x * z) labels logits

/// `c ? x : y` with broadcasting of all three (c holds 1 for true, 0 for false).
let where (c: Value) (x: Value) (y: Value) : Value =
    let out = broadcastShape (broadcastShape (fst c) (fst x)) (fst y)
    out, Array.init (size out) (fun k -> let idx = unravel out k in if at c idx <> 0.0 then at x idx else at y idx)

let clip (x: Value) (lo: Value) (hi: Value) : Value =
    let out = broadcastShape (broadcastShape (fst x) (fst lo)) (fst hi)
    out, Array.init (size out) (fun k -> let idx = unravel out k in min (max (at x idx) (at lo idx)) (at hi idx))

let expandDims (axis: int) ((shape, data): Value) : Value =
    Array.insertAt (if axis < 0 then axis + shape.Length + 1 else axis) 1 shape, data

let squeeze (axis: int option) ((shape, data): Value) : Value =
    match axis with
    | None -> shape |> Array.filter (fun d -> d <> 1), data
    | Some a -> Array.removeAt (normAxis shape.Length a) shape, data

let stack (axis: int) (xs: Value[]) : Value =
    let shape = fst xs.[0]
    let a = if axis < 0 then axis + shape.Length + 1 else axis
    let out = Array.insertAt a xs.Length shape
    out, Array.init (size out) (fun k -> let idx = unravel out k in (snd xs.[idx.[a]]).[ravel shape (Array.removeAt a idx)])

/// x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:], picking x's rows along axis.
let gather (axis: int) (indicesShape: int[]) (indices: int[]) ((shape, data): Value) : Value =
    let a = normAxis shape.Length axis
    let ir = indicesShape.Length
    let out = Array.concat [ shape.[.. a - 1]; indicesShape; shape.[a + 1 ..] ]
    out, Array.init (size out) (fun k ->
             let o = unravel out k
             let j = indices.[ravel indicesShape o.[a .. a + ir - 1]]
             data.[ravel shape (Array.concat [ o.[.. a - 1]; [| j |]; o.[a + ir ..] ])])

/// Adds the rows of g (shaped as a gather's result) into zeros with extent n on axis.
let scatterAdd (axis: int) (indicesShape: int[]) (indices: int[]) (n: int) ((shape, data): Value) : Value =
    let ir = indicesShape.Length
    let out = Array.concat [ shape.[.. axis - 1]; [| n |]; shape.[axis + ir ..] ]
    let r = Array.zeroCreate (size out)
    for k in 0 .. data.Length - 1 do
        let o = unravel shape k
        let j = indices.[ravel indicesShape o.[axis .. axis + ir - 1]]
        let dst = ravel out (Array.concat [ o.[.. axis - 1]; [| j |]; o.[axis + ir ..] ])
        r.[dst] <- r.[dst] + data.[k]
    out, r

/// op(a) op(b) over the last two axes, the leading axes broadcast.
let batchedMatmul (transA: bool) (transB: bool) ((sa, a): Value) ((sb, b): Value) : Value =
    let ra, rb = sa.Length, sb.Length
    let batch = broadcastShape sa.[.. ra - 3] sb.[.. rb - 3]
    let m, k = (if transA then sa.[ra - 1] else sa.[ra - 2]), (if transA then sa.[ra - 2] else sa.[ra - 1])
    let n = if transB then sb.[rb - 2] else sb.[rb - 1]
    let out = Array.append batch [| m; n |]
    out, Array.init (size out) (fun q ->
             let idx = unravel out q
             let bidx = idx.[.. idx.Length - 3]
             let i, j = idx.[idx.Length - 2], idx.[idx.Length - 1]
             let ea r c = at (sa, a) (Array.append bidx (if transA then [| c; r |] else [| r; c |]))
             let eb r c = at (sb, b) (Array.append bidx (if transB then [| c; r |] else [| r; c |]))
             Seq.sum (seq { for l in 0 .. k - 1 -> ea i l * eb l j }))

/// op(a) x over the last axes: a [..., m, n], x [..., n] -> [..., m].
let matvec (transA: bool) (a: Value) ((sx, x): Value) : Value =
    let s, d = batchedMatmul transA false a (Array.append sx [| 1 |], x)
    s.[.. s.Length - 2], d
