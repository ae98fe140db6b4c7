/// Test data: constant tensors built from Float64 values (and read back as Float64), the pseudo-random directions
/// the checks draw from a seed, and the FsCheck generators of values, shapes, axes, indices and seeds. Everything
/// here is small and bounded (extents up to 4, rank up to 4, a few dozen elements at most). The domains each op is
/// sampled on (`anywhere`, `positive`, `nonZero`, `awayFromKink`, ...) are named here so a row of the op table
/// (Cases.fs) can say which one it uses.
module Nabla.Properties.TestData

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

/// Axes as a case name prints them (null: all).
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

/// Away from the kinks of relu, abs and sign (the FD step is 1e-6).
let awayFromKink = genAwayFromZero 0.05 2.0
/// Logits of the NN helpers.
let logits = genIn -3.0 3.0
/// Labels of the cross-entropies (not normalised).
let probabilities = genIn 0.0 1.0

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

/// An axis of a rank-r tensor, in [-r, r) (r >= 1).
let genAxis (rank: int) = Gen.choose (-rank, rank - 1)

/// Distinct values (at least 0.15 apart), so max and min have no ties.
let genDistinct (shape: int[]) =
    gen {
        let n = Shape.size shape
        let! perm = Gen.shuffle [| 0 .. n - 1 |]
        let! jitter = Gen.arrayOfLength n (genIn 0.0 0.1)
        return Array.init n (fun i -> -2.0 + 0.25 * float perm.[i] + jitter.[i])
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

/// A property that holds when `ok`, labelled `label` in FsCheck's report.
let holds (label: string) (ok: bool) = Prop.label label ok

/// The conjunction of `props` (each keeps its label in the report).
let allOf (props: Property list) = List.reduce (.&.) props
