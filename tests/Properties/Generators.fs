/// Bounded generators for the property tests: small shapes (extents up to 4, rank up to 4, a few
/// dozen elements at most), values inside each op's domain, the parameters of every primitive,
/// naive reference values, and the tolerances the checks use. An `OpCase` is one primitive
/// applied to generated operands; the harness in PrimitiveProperties.fs differentiates it with
/// respect to each operand and to all of them.
module Nabla.Properties.Generators

open System
open FsCheck
open FsCheck.FSharp
open Nabla.Core

// ------------------------------------------------------------------ tensors as test data

/// A constant tensor of the given dtype from Float64 values (rounded when the dtype is Float32).
let tensorAs (dtype: DType) (shape: int[]) (data: float[]) =
    Combinators.constant (Storage.cast dtype (Storage.ofArray (Array.copy shape) (Array.copy data :> Array)))

/// A constant Float64 tensor.
let tensor (shape: int[]) (data: float[]) = tensorAs DType.Float64 shape data

/// A constant Float64 scalar.
let scalar (v: float) = tensor [||] [| v |]

/// The values of any tensor (at the bottom of all perturbations), as doubles, row-major.
let values (t: Tensor) = Storage.toDoubles t.Raw

/// A constant with t's shape and dtype holding `data`.
let like (t: Tensor) (data: float[]) = tensorAs t.DType t.Shape data

/// The one-hot tensor with t's shape and dtype, 1 at flat index j.
let basis (t: Tensor) (j: int) = like t (Array.init t.Size (fun i -> if i = j then 1.0 else 0.0))

/// Values as Float32 would hold them, so a Float64 reference sees the very same inputs.
let roundToFloat32 (data: float[]) = data |> Array.map (fun v -> float (float32 v))

let dot (a: float[]) (b: float[]) = Array.fold2 (fun s x y -> s + x * y) 0.0 a b

/// Reproducible pseudo-random values in [-1, 1] (directions, weights, cotangents) for one
/// generated seed; `stream` tells the different directions of one case apart.
let directions (seed: int) (stream: int) (n: int) =
    let rng = Random(seed + 7919 * stream)
    Array.init n (fun _ -> 2.0 * rng.NextDouble() - 1.0)

// ------------------------------------------------------------------ tolerances

/// |actual - expected| <= RTol * max(|actual|, |expected|) + ATol * scale, where scale is
/// 1 + the largest magnitude in the expected vector (so a small entry of a large vector is
/// judged against the vector's size, and values near zero against an absolute floor).
type Tol = { RTol: float; ATol: float }

/// The tolerances of one op: central finite differences with step `Step` against AD (`Fd`),
/// one AD mode against another (`Ad`: the same rules in another order, so only rounding), and
/// Float32 results against Float64 results from the same (rounded) inputs (`Float32`).
type Tolerances = { Step: float; Fd: Tol; Ad: Tol; Float32: Tol }

/// Float64 defaults: FD step 1e-6. Its truncation error h^2 f'''/6 (at most ~1e-8 here: the
/// domains keep x >= 0.3 for log and sqrt, |b| >= 0.5 for denominators) and its rounding error
/// eps |f| / h (~1e-10 |f|) are far below relative 1e-6 with an absolute floor of 1e-6, so FD
/// checks fail only on a wrong derivative. Forward against reverse: relative 1e-9, floor 1e-11.
/// Float32 against Float64: relative 1e-4, floor 1e-5 (the largest deviation seen over 2,000
/// runs per op was 3.5e-5 relative, in the hvp of Divide with respect to the denominator; most
/// are a few Float32 ulps).
let defaultTolerances =
    { Step = 1e-6
      Fd = { RTol = 1e-6; ATol = 1e-6 }
      Ad = { RTol = 1e-9; ATol = 1e-11 }
      Float32 = { RTol = 1e-4; ATol = 1e-5 } }

/// For casts through Float32: the function is piecewise constant at the scale of a Float32 ulp,
/// so FD takes a large step (exact for the linear and quadratic functions the harness builds)
/// and everything compares at Float32 precision.
let float32RoundTripTolerances =
    { Step = 0.5
      Fd = { RTol = 1e-5; ATol = 1e-5 }
      Ad = { RTol = 1e-5; ATol = 1e-6 }
      Float32 = { RTol = 1e-4; ATol = 1e-5 } }

// ------------------------------------------------------------------ naive reference values

/// Each primitive's value computed naively, index by index, independently of the core's kernels
/// (and of its Shape module), so a wrong forward kernel fails even when its derivatives agree with it.
module Reference =
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

// ------------------------------------------------------------------ op cases

/// One primitive applied to generated operands (Float64 values), with a seed for the random
/// weights and directions the checks draw.
[<NoEquality; NoComparison; StructuredFormatDisplay("{Display}")>]
type OpCase =
    { Op: string
      Operands: (int[] * float[])[]
      Apply: Tensor[] -> Tensor
      /// The expected value, computed naively from the operands.
      Reference: Reference.Value[] -> Reference.Value
      Seed: int
      Tol: Tolerances }
    member c.Display =
        let operand (shape: int[], data: float[]) =
            sprintf "%s [%s]" (Shape.format shape) (String.Join("; ", data |> Array.map (fun v -> v.ToString "R")))
        sprintf "%s of %s (seed %d)" c.Op (c.Operands |> Array.map operand |> String.concat " and ") c.Seed
    override c.ToString() = c.Display

let formatAxes (axes: int[]) = if isNull axes then "null" else Shape.format axes

// ------------------------------------------------------------------ values and shapes

/// Uniform in [lo, hi] on a grid of 10^6 steps.
let genIn (lo: float) (hi: float) = Gen.choose (0, 1_000_000) |> Gen.map (fun i -> lo + (hi - lo) * float i / 1e6)

/// Either sign, magnitude in [lo, hi].
let genAwayFromZero (lo: float) (hi: float) =
    Gen.map2 (fun m positive -> if positive then m else -m) (genIn lo hi) (Gen.elements [ true; false ])

/// Values for ops defined everywhere.
let anywhere = genIn -2.0 2.0
/// Values for log and sqrt (and FD steps stay inside).
let positive = genIn 0.3 3.0
/// Denominators.
let nonZero = genAwayFromZero 0.5 2.0

let genData (domain: Gen<float>) (shape: int[]) = Gen.arrayOfLength (Shape.size shape) domain

let genSeed = Gen.choose (0, 1_000_000_000)

let genBool = Gen.elements [ true; false ]

/// A shape of rank in [minRank, maxRank], extents in [1, maxDim], at most maxSize elements.
let genShapeOf (minRank: int) (maxRank: int) (maxDim: int) (maxSize: int) =
    gen {
        let! rank = Gen.choose (minRank, maxRank)
        return! Gen.arrayOfLength rank (Gen.choose (1, maxDim))
    }
    |> Gen.where (fun s -> Shape.size s <= maxSize)

/// Scalars to rank 3, at most 4 x 4 (16 elements).
let genShape = genShapeOf 0 3 4 16

/// A shape that broadcasts to `target`: some leading axes dropped, some extents set to 1.
let genBroadcastable (target: int[]) =
    gen {
        let! drop = Gen.choose (0, target.Length)
        let kept = target.[drop..]
        let! ones = Gen.arrayOfLength kept.Length (Gen.frequency [ 2, Gen.constant false; 1, Gen.constant true ])
        return Array.map2 (fun d one -> if one then 1 else d) kept ones
    }

/// Operand shapes of a broadcasting binary op: the classic pairs, and pairs drawn from a common target.
let genBroadcastPair =
    let classic =
        [ [| 2; 3 |], [| 3 |]
          [| 3 |], [| 2; 3 |]
          [| 2; 1 |], [| 1; 3 |]
          [||], [| 3; 4 |]
          [| 3; 4 |], [||]
          [| 4; 1; 3 |], [| 2; 1 |]
          [| 3; 3 |], [| 3; 3 |] ]
    Gen.frequency
        [ 1, Gen.elements classic
          3, gen {
                 let! target = genShape
                 let! a = genBroadcastable target
                 let! b = genBroadcastable target
                 return a, b
             } ]

/// Reduction axes for a tensor of the given rank: null (all), or a shuffled subset, each axis
/// possibly written as a negative index.
let genAxes (rank: int) : Gen<int[]> =
    Gen.frequency
        [ 1, Gen.constant null
          4, gen {
                 let! pick = Gen.arrayOfLength rank genBool
                 let! negative = Gen.arrayOfLength rank genBool
                 let axes = [| for i in 0 .. rank - 1 do if pick.[i] then yield (if negative.[i] then i - rank else i) |]
                 return! Gen.shuffle axes
             } ]

/// k positive factors of n, in order.
let rec genFactors (n: int) (k: int) : Gen<int list> =
    if k <= 1 then Gen.constant [ n ]
    else
        gen {
            let! d = Gen.elements [ for d in 1..n do if n % d = 0 then yield d ]
            let! rest = genFactors (n / d) (k - 1)
            return d :: rest
        }

// ------------------------------------------------------------------ op case generators

let case op operands apply reference seed =
    { Op = op; Operands = operands; Apply = apply; Reference = reference; Seed = seed; Tol = defaultTolerances }

/// An element-wise unary op on values from `domain`; `f` is its naive Float64 counterpart.
let unaryCase (name: string) (domain: Gen<float>) (op: Tensor -> Tensor) (f: float -> float) =
    gen {
        let! shape = genShape
        let! data = genData domain shape
        let! seed = genSeed
        return case name [| shape, data |] (fun xs -> op xs.[0]) (fun xs -> Reference.map f xs.[0]) seed
    }

/// A broadcasting binary op, operands from their domains.
let binaryCase (name: string) (domainA: Gen<float>) (domainB: Gen<float>) (op: Tensor -> Tensor -> Tensor) (f: float -> float -> float) =
    gen {
        let! sa, sb = genBroadcastPair
        let! a = genData domainA sa
        let! b = genData domainB sb
        let! seed = genSeed
        return case name [| sa, a; sb, b |] (fun xs -> op xs.[0] xs.[1]) (fun xs -> Reference.map2 f xs.[0] xs.[1]) seed
    }

let expCase = unaryCase "Exp" anywhere Elementwise.exp Math.Exp
let logCase = unaryCase "Log" positive Elementwise.log Math.Log
let sinCase = unaryCase "Sin" anywhere Elementwise.sin Math.Sin
let cosCase = unaryCase "Cos" anywhere Elementwise.cos Math.Cos
let tanhCase = unaryCase "Tanh" anywhere Elementwise.tanh Math.Tanh
let sqrtCase = unaryCase "Sqrt" positive Elementwise.sqrt Math.Sqrt
let negCase = unaryCase "Negative" anywhere Elementwise.neg (fun v -> -v)
let squareCase = unaryCase "Square" anywhere Elementwise.square (fun v -> v * v)

let addCase = binaryCase "Add" anywhere anywhere Combinators.add (+)
let subCase = binaryCase "Subtract" anywhere anywhere Elementwise.sub (-)
let mulCase = binaryCase "Multiply" anywhere anywhere Elementwise.mul (*)
let divCase = binaryCase "Divide" anywhere nonZero Elementwise.div (/)

/// sum or mean over random axes (null, subsets, negative indices), keepDims either way.
let reductionCaseOn (genValues: int[] -> Gen<float[]>) (name: string) (op: int[] -> bool -> Tensor -> Tensor)
                    (reference: int[] -> bool -> Reference.Value -> Reference.Value) =
    gen {
        let! shape = genShape
        let! axes = genAxes shape.Length
        let! keepDims = genBool
        let! data = genValues shape
        let! seed = genSeed
        // The axes array is copied per call: the op must not depend on the caller keeping it intact.
        return case (sprintf "%s axes=%s keepDims=%b" name (formatAxes axes) keepDims) [| shape, data |]
                    (fun xs -> op (if isNull axes then null else Array.copy axes) keepDims xs.[0])
                    (fun xs -> reference axes keepDims xs.[0]) seed
    }

let reductionCase name op reference = reductionCaseOn (genData anywhere) name op reference

let sumCase = reductionCase "Sum" Reductions.sum Reference.sum
let meanCase = reductionCase "Mean" Reductions.mean Reference.mean

let broadcastToCase =
    gen {
        let! target = genShape
        let! shape = genBroadcastable target
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "BroadcastTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Combinators.broadcastTo target xs.[0]) (fun xs -> Reference.broadcastTo target xs.[0]) seed
    }

let sumToCase =
    gen {
        let! shape = genShape
        let! target = genBroadcastable shape
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "SumTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Combinators.sumTo target xs.[0]) (fun xs -> Reference.sumTo target xs.[0]) seed
    }

let reshapeCase =
    gen {
        let! shape = genShape
        let n = Shape.size shape
        let! rank = if n = 1 then Gen.choose (0, 3) else Gen.choose (1, 3)
        let! factors = if rank = 0 then Gen.constant [] else genFactors n rank
        let target = Array.ofList factors
        let! unknown = if rank = 0 then Gen.constant -1 else Gen.frequency [ 2, Gen.constant -1; 1, Gen.choose (0, rank - 1) ]
        let target = target |> Array.mapi (fun i d -> if i = unknown then -1 else d)
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Reshape %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Layout.reshape target xs.[0]) (fun xs -> Reference.reshape target xs.[0]) seed
    }

let transposeCase =
    gen {
        let! shape = genShapeOf 0 4 3 24
        let rank = shape.Length
        let! perm =
            Gen.frequency
                [ 1, Gen.constant null
                  5, gen {
                         let! p = Gen.shuffle [| 0 .. rank - 1 |]
                         let! negative = Gen.arrayOfLength rank genBool
                         return Array.map2 (fun a neg -> if neg then a - rank else a) p negative
                     } ]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Transpose perm=%s" (formatAxes perm)) [| shape, data |]
                    (fun xs -> Layout.transpose perm xs.[0]) (fun xs -> Reference.transpose perm xs.[0]) seed
    }

let sliceCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! start = shape |> Array.map (fun d -> Gen.choose (0, d - 1)) |> Gen.sequenceToArray
        let! size =
            Array.map2 (fun d s -> Gen.frequency [ 3, Gen.choose (1, d - s); 1, Gen.constant -1 ]) shape start
            |> Gen.sequenceToArray
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Slice start=%s size=%s" (Shape.format start) (Shape.format size)) [| shape, data |]
                    (fun xs -> Layout.slice start size xs.[0]) (fun xs -> Reference.slice start size xs.[0]) seed
    }

let padCase =
    gen {
        let! shape = genShapeOf 0 3 3 12
        let! extra = Gen.arrayOfLength shape.Length (Gen.choose (0, 2))
        let! start = extra |> Array.map (fun e -> Gen.choose (0, e)) |> Gen.sequenceToArray
        let target = Array.map2 (+) shape extra
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Pad to %s at %s" (Shape.format target) (Shape.format start)) [| shape, data |]
                    (fun xs -> Layout.pad target start xs.[0]) (fun xs -> Reference.pad target start xs.[0]) seed
    }

let concatCase =
    gen {
        let! k = Gen.choose (2, 3)
        let! baseShape = genShapeOf 1 3 3 9
        let rank = baseShape.Length
        let! axis = Gen.choose (0, rank - 1)
        let! negative = genBool
        let given = if negative then axis - rank else axis
        let! extents = Gen.arrayOfLength k (Gen.choose (1, 3))
        let shapes = extents |> Array.map (fun e -> let s = Array.copy baseShape in s.[axis] <- e; s)
        let! data = shapes |> Array.map (genData anywhere) |> Gen.sequenceToArray
        let! seed = genSeed
        return case (sprintf "Concat axis=%d" given) (Array.zip shapes data) (fun xs -> Layout.concat given xs) (Reference.concat given) seed
    }

let matmulCase =
    gen {
        let! transA = genBool
        let! transB = genBool
        let! m = Gen.choose (1, 4)
        let! k = Gen.choose (1, 4)
        let! n = Gen.choose (1, 4)
        let sa = if transA then [| k; m |] else [| m; k |]
        let sb = if transB then [| n; k |] else [| k; n |]
        let! a = genData (genIn -1.0 1.0) sa
        let! b = genData (genIn -1.0 1.0) sb
        let! seed = genSeed
        return case (sprintf "MatMul transA=%b transB=%b (m=%d k=%d n=%d)" transA transB m k n) [| sa, a; sb, b |]
                    (fun xs -> Products.matmul transA transB xs.[0] xs.[1]) (fun xs -> Reference.matmul transA transB xs.[0] xs.[1]) seed
    }

/// Float64 -> Float32 -> Float64: both directions of cast, the result back in Float64.
let castRoundTripCase =
    unaryCase "Cast Float64 -> Float32 -> Float64" anywhere (Elementwise.cast DType.Float32 >> Elementwise.cast DType.Float64) (fun v -> float (float32 v))
    |> Gen.map (fun c -> { c with Tol = float32RoundTripTolerances })

/// Float64 -> Float32, the result in Float32.
let castToFloat32Case =
    unaryCase "Cast to Float32" anywhere (Elementwise.cast DType.Float32) (fun v -> float (float32 v))
    |> Gen.map (fun c -> { c with Tol = float32RoundTripTolerances })

// ------------------------------------------------------------------ op cases: element-wise ops beyond the skeleton

/// Away from the kinks of relu, abs and sign (the FD step is 1e-6).
let awayFromKink = genAwayFromZero 0.05 2.0
/// The smallest distance between broadcast-paired elements of two operands.
let minGap (a: Reference.Value) (b: Reference.Value) =
    snd (Reference.map2 (fun x y -> abs (x - y)) a b) |> Array.fold min infinity

let powCase = binaryCase "Pow" positive anywhere Elementwise.pow (fun a b -> Math.Pow(a, b))
let log1pCase = unaryCase "Log1p" (genIn -0.5 2.0) Elementwise.log1p (fun v -> Math.Log(1.0 + v))
let tanCase = unaryCase "Tan" (genIn -1.2 1.2) Elementwise.tan Math.Tan
let sigmoidCase = unaryCase "Sigmoid" (genIn -4.0 4.0) Elementwise.sigmoid (fun v -> 1.0 / (1.0 + Math.Exp -v))
let softplusCase = unaryCase "Softplus" (genIn -4.0 4.0) Elementwise.softplus (fun v -> Math.Log(1.0 + Math.Exp v))
let reluCase = unaryCase "Relu" awayFromKink Elementwise.relu (fun v -> max v 0.0)
let absCase = unaryCase "Abs" awayFromKink Elementwise.abs Math.Abs
let signCase = unaryCase "Sign" awayFromKink Elementwise.sign (fun v -> float (Math.Sign v))

/// Maximum and minimum with the operands at least 0.05 apart everywhere (no ties).
let maximumCase =
    binaryCase "Maximum" anywhere anywhere Elementwise.maximum max
    |> Gen.where (fun c -> minGap c.Operands.[0] c.Operands.[1] >= 0.05)
let minimumCase =
    binaryCase "Minimum" anywhere anywhere Elementwise.minimum min
    |> Gen.where (fun c -> minGap c.Operands.[0] c.Operands.[1] >= 0.05)

/// Where with a random Bool condition; condition, x and y each broadcast to a common target.
let whereCase =
    gen {
        let! target = genShape
        let! sc = genBroadcastable target
        let! sx = genBroadcastable target
        let! sy = genBroadcastable target
        let! cond = Gen.arrayOfLength (Shape.size sc) genBool
        let! x = genData anywhere sx
        let! y = genData anywhere sy
        let! seed = genSeed
        let condition = Combinators.constant (Storage.ofArray (Array.copy sc) (Array.copy cond :> Array))
        let cv = sc, cond |> Array.map (fun b -> if b then 1.0 else 0.0)
        return case (sprintf "Where condition %s %A" (Shape.format sc) cond) [| sx, x; sy, y |]
                    (fun xs -> Elementwise.where condition xs.[0] xs.[1]) (fun xs -> Reference.where cv xs.[0] xs.[1]) seed
    }

/// clipByValue x lo hi, all three differentiable and broadcast, lo < 0 < hi, x at least 0.05 from both bounds.
let clipCase =
    gen {
        let! target = genShape
        let! sx = genBroadcastable target
        let! slo = genBroadcastable target
        let! shi = genBroadcastable target
        let! x = genData anywhere sx
        let! lo = genData (genIn -1.0 -0.05) slo
        let! hi = genData (genIn 0.05 1.0) shi
        let! seed = genSeed
        return case "ClipByValue" [| sx, x; slo, lo; shi, hi |]
                    (fun xs -> Elementwise.clipByValue xs.[0] xs.[1] xs.[2]) (fun xs -> Reference.clip xs.[0] xs.[1] xs.[2]) seed
    }
    |> Gen.where (fun c -> minGap c.Operands.[0] c.Operands.[1] >= 0.05 && minGap c.Operands.[0] c.Operands.[2] >= 0.05)

// ------------------------------------------------------------------ op cases: reductions beyond sum and mean

/// Distinct values (at least 0.15 apart), so max and min have no ties.
let genDistinct (shape: int[]) =
    gen {
        let n = Shape.size shape
        let! perm = Gen.shuffle [| 0 .. n - 1 |]
        let! jitter = Gen.arrayOfLength n (genIn 0.0 0.1)
        return Array.init n (fun i -> -2.0 + 0.25 * float perm.[i] + jitter.[i])
    }

let reduceMaxCase = reductionCaseOn genDistinct "ReduceMax" Reductions.reduceMax Reference.reduceMax
let reduceMinCase = reductionCaseOn genDistinct "ReduceMin" Reductions.reduceMin Reference.reduceMin
/// Nonzero factors of moderate size (a product of 16 stays within [0.5^16, 1.5^16]).
let reduceProdCase = reductionCaseOn (genData (genAwayFromZero 0.5 1.5)) "ReduceProd" Reductions.reduceProd Reference.reduceProd
/// One to three of the factors set to exactly zero (the product is multilinear, so central FD stays exact).
let reduceProdWithZerosCase =
    let withZeros (shape: int[]) =
        gen {
            let! data = genData (genAwayFromZero 0.5 1.5) shape
            let n = data.Length
            let! zeros = Gen.arrayOfLength (min n 3) (Gen.choose (0, n - 1))
            let! count = Gen.choose (1, zeros.Length)
            return data |> Array.mapi (fun i v -> if Array.contains i zeros.[.. count - 1] then 0.0 else v)
        }
    reductionCaseOn withZeros "ReduceProd with zeros" Reductions.reduceProd Reference.reduceProd
let reduceLogSumExpCase = reductionCaseOn (genData (genIn -3.0 3.0)) "ReduceLogSumExp" Reductions.reduceLogSumExp Reference.reduceLogSumExp

// ------------------------------------------------------------------ op cases: shapes

/// An axis of a rank-r tensor, in [-r, r) (r >= 1).
let genAxis (rank: int) = Gen.choose (-rank, rank - 1)

let expandDimsCase =
    gen {
        let! shape = genShape
        let! axis = Gen.choose (-shape.Length - 1, shape.Length)
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "ExpandDims axis=%d" axis) [| shape, data |] (fun xs -> Layout.expandDims axis xs.[0]) (fun xs -> Reference.expandDims axis xs.[0]) seed
    }

let squeezeCase =
    gen {
        // extents 1, 2, 3 (4 becomes 1), so a squeeze that reorders or keeps axes changes the shape
        let! shape = genShapeOf 0 4 4 24 |> Gen.map (Array.map (fun d -> if d = 4 then 1 else d))
        let ones = [| for i in 0 .. shape.Length - 1 do if shape.[i] = 1 then yield i |]
        let! axis =
            if ones.Length = 0 then Gen.constant None
            else Gen.frequency [ 1, Gen.constant None
                                 2, gen { let! a = Gen.elements ones
                                          let! negative = genBool
                                          return Some(if negative then a - shape.Length else a) } ]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Squeeze axis=%A" axis) [| shape, data |] (fun xs -> Layout.squeeze axis xs.[0]) (fun xs -> Reference.squeeze axis xs.[0]) seed
    }

let stackCase =
    gen {
        let! k = Gen.choose (1, 3)
        let! shape = genShapeOf 0 3 3 8
        let! axis = Gen.choose (-shape.Length - 1, shape.Length)
        let! data = Gen.arrayOfLength k (genData anywhere shape)
        let! seed = genSeed
        return case (sprintf "Stack axis=%d" axis) (data |> Array.map (fun d -> shape, d)) (fun xs -> Layout.stack axis xs) (Reference.stack axis) seed
    }

/// Random indices into [0, n) of a random shape (rank 0 to 2), repeats frequent, as Int32 or Int64.
let genIndices (n: int) =
    gen {
        let! shape = genShapeOf 0 2 4 6
        let! idx = Gen.arrayOfLength (Shape.size shape) (Gen.choose (0, n - 1))
        let! int64s = genBool
        let raw = if int64s then Storage.ofArray (Array.copy shape) (Array.map int64 idx :> Array) else Storage.ofArray (Array.copy shape) (Array.copy idx :> Array)
        return shape, idx, Combinators.constant raw
    }

let gatherCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let a = Reference.normAxis shape.Length axis
        let! ishape, idx, indices = genIndices shape.[a]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Gather axis=%d indices %s %A (%A)" axis (Shape.format ishape) idx indices.DType) [| shape, data |]
                    (fun xs -> Layout.gather axis indices xs.[0]) (fun xs -> Reference.gather axis ishape idx xs.[0]) seed
    }

let scatterAddCase =
    gen {
        let! xShape = genShapeOf 1 3 4 16
        let! axis = Gen.choose (0, xShape.Length - 1)
        let n = xShape.[axis]
        let! ishape, idx, indices = genIndices n
        let gShape = Array.concat [ xShape.[.. axis - 1]; ishape; xShape.[axis + 1 ..] ]
        let! data = genData anywhere gShape
        let! seed = genSeed
        return case (sprintf "ScatterAdd axis=%d n=%d indices %s %A (%A)" axis n (Shape.format ishape) idx indices.DType) [| gShape, data |]
                    (fun xs -> Layout.scatterAdd axis indices n xs.[0]) (fun xs -> Reference.scatterAdd axis ishape idx n xs.[0]) seed
    }

/// Batched MatMul: batch axes (rank 0 to 2) broadcast between the operands, every transpose flag.
let batchedMatmulCase =
    gen {
        let! transA = genBool
        let! transB = genBool
        let! m = Gen.choose (1, 3)
        let! k = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let! ba = genBroadcastable batch
        let! bb = genBroadcastable batch
        let sa = Array.append ba (if transA then [| k; m |] else [| m; k |])
        let sb = Array.append bb (if transB then [| n; k |] else [| k; n |])
        let! a = genData (genIn -1.0 1.0) sa
        let! b = genData (genIn -1.0 1.0) sb
        let! seed = genSeed
        return case (sprintf "Batched MatMul transA=%b transB=%b (m=%d k=%d n=%d)" transA transB m k n) [| sa, a; sb, b |]
                    (fun xs -> Products.matmul transA transB xs.[0] xs.[1]) (fun xs -> Reference.batchedMatmul transA transB xs.[0] xs.[1]) seed
    }

let matvecCase =
    gen {
        let! transA = genBool
        let! m = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let! ba = genBroadcastable batch
        let! bx = genBroadcastable batch
        let sa = Array.append ba (if transA then [| n; m |] else [| m; n |])
        let sx = Array.append bx [| n |]
        let! a = genData (genIn -1.0 1.0) sa
        let! x = genData (genIn -1.0 1.0) sx
        let! seed = genSeed
        return case (sprintf "MatVec transA=%b (m=%d n=%d)" transA m n) [| sa, a; sx, x |]
                    (fun xs -> Products.matvec transA xs.[0] xs.[1]) (fun xs -> Reference.matvec transA xs.[0] xs.[1]) seed
    }

// ------------------------------------------------------------------ op cases: NN helpers

let logits = genIn -3.0 3.0
let probabilities = genIn 0.0 1.0

let private alongAxisCase (name: string) (op: int -> Tensor -> Tensor) (reference: int -> Reference.Value -> Reference.Value) =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! data = genData logits shape
        let! seed = genSeed
        return case (sprintf "%s axis=%d" name axis) [| shape, data |] (fun xs -> op axis xs.[0]) (fun xs -> reference axis xs.[0]) seed
    }

let softmaxCase = alongAxisCase "Softmax" Nn.softmax Reference.softmax
let logSoftmaxCase = alongAxisCase "LogSoftmax" Nn.logSoftmax Reference.logSoftmax

/// Labels (not normalised, any values in [0, 1]) and logits both differentiable.
let softmaxCrossEntropyCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! labels = genData probabilities shape
        let! x = genData logits shape
        let! seed = genSeed
        return case (sprintf "SoftmaxCrossEntropyWithLogits axis=%d" axis) [| shape, labels; shape, x |]
                    (fun xs -> Nn.softmaxCrossEntropyWithLogits axis xs.[0] xs.[1]) (fun xs -> Reference.softmaxCrossEntropy axis xs.[0] xs.[1]) seed
    }

/// Integer class labels (Int32 or Int64), logits differentiable.
let sparseSoftmaxCrossEntropyCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let classes = shape.[shape.Length - 1]
        let lshape = shape.[.. shape.Length - 2]
        let! labels = Gen.arrayOfLength (Shape.size lshape) (Gen.choose (0, classes - 1))
        let! int64s = genBool
        let labelTensor =
            Combinators.constant (if int64s then Storage.ofArray (Array.copy lshape) (Array.map int64 labels :> Array) else Storage.ofArray (Array.copy lshape) (Array.copy labels :> Array))
        let! x = genData logits shape
        let! seed = genSeed
        return case (sprintf "SparseSoftmaxCrossEntropyWithLogits labels %A (%A)" labels labelTensor.DType) [| shape, x |]
                    (fun xs -> Nn.sparseSoftmaxCrossEntropyWithLogits labelTensor xs.[0]) (fun xs -> Reference.sparseSoftmaxCrossEntropy labels xs.[0]) seed
    }

let sigmoidCrossEntropyCase =
    gen {
        let! shape = genShape
        let! labels = genData probabilities shape
        let! x = genData logits shape
        let! seed = genSeed
        return case "SigmoidCrossEntropyWithLogits" [| shape, labels; shape, x |]
                    (fun xs -> Nn.sigmoidCrossEntropyWithLogits xs.[0] xs.[1]) (fun xs -> Reference.sigmoidCrossEntropy xs.[0] xs.[1]) seed
    }

let biasAddCase =
    gen {
        let! shape = genShapeOf 2 4 3 24
        let bshape = [| shape.[shape.Length - 1] |]
        let! value = genData anywhere shape
        let! bias = genData anywhere bshape
        let! seed = genSeed
        return case "BiasAdd" [| shape, value; bshape, bias |] (fun xs -> Nn.biasAdd xs.[0] xs.[1]) (fun xs -> Reference.map2 (+) xs.[0] xs.[1]) seed
    }
