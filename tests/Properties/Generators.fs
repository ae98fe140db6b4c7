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
    Ops.constant (Raw.cast dtype (Raw.ofArray (Array.copy shape) (Array.copy data :> Array)))

/// A constant Float64 tensor.
let tensor (shape: int[]) (data: float[]) = tensorAs DType.Float64 shape data

/// A constant Float64 scalar.
let scalar (v: float) = tensor [||] [| v |]

/// The values of any tensor (at the bottom of all perturbations), as doubles, row-major.
let values (t: Tensor) = Raw.toDoubles t.Raw

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

let private formatAxes (axes: int[]) = if isNull axes then "null" else Shape.format axes

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

let private case op operands apply reference seed =
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

let expCase = unaryCase "Exp" anywhere MathOps.exp Math.Exp
let logCase = unaryCase "Log" positive MathOps.log Math.Log
let sinCase = unaryCase "Sin" anywhere MathOps.sin Math.Sin
let cosCase = unaryCase "Cos" anywhere MathOps.cos Math.Cos
let tanhCase = unaryCase "Tanh" anywhere MathOps.tanh Math.Tanh
let sqrtCase = unaryCase "Sqrt" positive MathOps.sqrt Math.Sqrt
let negCase = unaryCase "Negative" anywhere Ops.neg (fun v -> -v)
let squareCase = unaryCase "Square" anywhere Ops.square (fun v -> v * v)

let addCase = binaryCase "Add" anywhere anywhere Ops.add (+)
let subCase = binaryCase "Subtract" anywhere anywhere Ops.sub (-)
let mulCase = binaryCase "Multiply" anywhere anywhere Ops.mul (*)
let divCase = binaryCase "Divide" anywhere nonZero Ops.div (/)

/// sum or mean over random axes (null, subsets, negative indices), keepDims either way.
let reductionCase (name: string) (op: int[] -> bool -> Tensor -> Tensor) (reference: int[] -> bool -> Reference.Value -> Reference.Value) =
    gen {
        let! shape = genShape
        let! axes = genAxes shape.Length
        let! keepDims = genBool
        let! data = genData anywhere shape
        let! seed = genSeed
        // The axes array is copied per call: the op must not depend on the caller keeping it intact.
        return case (sprintf "%s axes=%s keepDims=%b" name (formatAxes axes) keepDims) [| shape, data |]
                    (fun xs -> op (if isNull axes then null else Array.copy axes) keepDims xs.[0])
                    (fun xs -> reference axes keepDims xs.[0]) seed
    }

let sumCase = reductionCase "Sum" Ops.sum Reference.sum
let meanCase = reductionCase "Mean" Ops.mean Reference.mean

let broadcastToCase =
    gen {
        let! target = genShape
        let! shape = genBroadcastable target
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "BroadcastTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Ops.broadcastTo target xs.[0]) (fun xs -> Reference.broadcastTo target xs.[0]) seed
    }

let sumToCase =
    gen {
        let! shape = genShape
        let! target = genBroadcastable shape
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "SumTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Ops.sumTo target xs.[0]) (fun xs -> Reference.sumTo target xs.[0]) seed
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
                    (fun xs -> Ops.reshape target xs.[0]) (fun xs -> Reference.reshape target xs.[0]) seed
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
                    (fun xs -> Ops.transpose perm xs.[0]) (fun xs -> Reference.transpose perm xs.[0]) seed
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
                    (fun xs -> Ops.slice start size xs.[0]) (fun xs -> Reference.slice start size xs.[0]) seed
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
                    (fun xs -> Ops.pad target start xs.[0]) (fun xs -> Reference.pad target start xs.[0]) seed
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
        return case (sprintf "Concat axis=%d" given) (Array.zip shapes data) (fun xs -> Ops.concat given xs) (Reference.concat given) seed
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
                    (fun xs -> Ops.matmul transA transB xs.[0] xs.[1]) (fun xs -> Reference.matmul transA transB xs.[0] xs.[1]) seed
    }

/// Float64 -> Float32 -> Float64: both directions of cast, the result back in Float64.
let castRoundTripCase =
    unaryCase "Cast Float64 -> Float32 -> Float64" anywhere (Ops.cast DType.Float32 >> Ops.cast DType.Float64) (fun v -> float (float32 v))
    |> Gen.map (fun c -> { c with Tol = float32RoundTripTolerances })

/// Float64 -> Float32, the result in Float32.
let castToFloat32Case =
    unaryCase "Cast to Float32" anywhere (Ops.cast DType.Float32) (fun v -> float (float32 v))
    |> Gen.map (fun c -> { c with Tol = float32RoundTripTolerances })
