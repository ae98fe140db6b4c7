/// Samples of the statistics, scan, sorting and segment ops (Nabla.Core.Statistics and Nabla.Core.Sorting) for the op
/// table, with naive Float64 references (one group, fiber or segment at a time). Each sample is (name, operands, apply,
/// reference, seed) for Cases.fs's `case`; ops of several results (Moments, ClipByGlobalNorm) are checked through the
/// concatenation of their flattened results.
module Nabla.Properties.StatisticsCases

open System
open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Properties.TestData

type Sample = string * (int[] * float[])[] * (Tensor[] -> Tensor) * (Reference.Value[] -> Reference.Value) * int

// ------------------------------------------------------------------ naive references

let private varianceOf (g: float[]) =
    let m = Array.average g
    g |> Array.averageBy (fun v -> (v - m) * (v - m))

let variance axes keepDims x = Reference.reduceWith varianceOf axes keepDims x
let std axes keepDims x = Reference.reduceWith (varianceOf >> sqrt) axes keepDims x

/// A scan of one fiber: inclusive or exclusive, from the start or from the end.
let private scanFiber (identity: float) (f: float -> float -> float) (exclusive: bool) (reverse: bool) (v: float[]) =
    let n = v.Length
    let order = if reverse then Array.init n (fun i -> n - 1 - i) else Array.init n id
    let r = Array.zeroCreate n
    let mutable acc = identity
    for k in order do
        if exclusive then
            r.[k] <- acc
            acc <- f acc v.[k]
        else
            acc <- f acc v.[k]
            r.[k] <- acc
    r

let private flatten (x: Tensor) = Layout.reshape [| x.Size |] x

/// The groups of `axes` (sorted, normalised) of a value: each group's flat positions.
let private groupsOf (shape: int[]) (axes: int[]) =
    let keptShape = shape |> Array.mapi (fun i d -> if Array.contains i axes then 1 else d)
    let groups = Array.init (Reference.size keptShape) (fun _ -> ResizeArray<int>())
    for k in 0 .. Reference.size shape - 1 do
        let idx = Reference.unravel shape k |> Array.mapi (fun i j -> if Array.contains i axes then 0 else j)
        groups.[Reference.ravel keptShape idx].Add k
    keptShape, groups |> Array.map (fun g -> g.ToArray())

let private normAxes (rank: int) (axes: int[]) = if isNull axes then Array.init rank id else axes |> Array.map (Reference.normAxis rank) |> Array.sort

// ------------------------------------------------------------------ samples

/// Reductions whose every group has at least two distinct elements (the standard deviation's derivative is NaN at 0).
let private spreadReduction (name: string) (op: int[] -> bool -> Tensor -> Tensor) (reference: int[] -> bool -> Reference.Value -> Reference.Value) : Gen<Sample> =
    gen {
        let! shape, axes =
            gen {
                let! shape = genShapeOf 1 3 4 16
                let! axes = genAxes shape.Length
                return shape, axes
            }
            |> Gen.where (fun (shape, axes) -> normAxes shape.Length axes |> Array.fold (fun acc a -> acc * shape.[a]) 1 >= 2)
        let! keepDims = genBool
        let! data = genDistinct shape
        let! seed = genSeed
        return sprintf "%s axes=%s keepDims=%b" name (formatAxes axes) keepDims, [| shape, data |],
               (fun (xs: Tensor[]) -> op (if isNull axes then null else Array.copy axes) keepDims xs.[0]),
               (fun (xs: Reference.Value[]) -> reference axes keepDims xs.[0]), seed
    }

let varianceSamples = spreadReduction "ReduceVariance" Statistics.reduceVariance variance
let stdSamples = spreadReduction "ReduceStd" Statistics.reduceStd std

/// Moments over random (non-null) axes: the mean and the variance, flattened and joined.
let momentsSamples : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axes = genAxes shape.Length |> Gen.map (fun a -> if isNull a then Array.init shape.Length id else a)
        let! keepDims = genBool
        let! data = genData anywhere shape
        let! seed = genSeed
        let apply (xs: Tensor[]) =
            let m, v = Statistics.moments (Array.copy axes) keepDims xs.[0]
            Layout.concat 0 [| flatten m; flatten v |]
        let reference (xs: Reference.Value[]) =
            let _, m = Reference.mean axes keepDims xs.[0]
            let _, v = variance axes keepDims xs.[0]
            [| m.Length + v.Length |], Array.append m v
        return sprintf "Moments axes=%s keepDims=%b" (formatAxes axes) keepDims, [| shape, data |], apply, reference, seed
    }

/// A scan along a random axis with random flags, on `values`.
let private scanSamples (name: string) (values: int[] -> Gen<float[]>) (op: int -> bool -> bool -> Tensor -> Tensor)
                        (identity: float) (f: float -> float -> float) : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! exclusive = genBool
        let! reverse = genBool
        let! data = values shape
        let! seed = genSeed
        return sprintf "%s axis=%d exclusive=%b reverse=%b" name axis exclusive reverse, [| shape, data |],
               (fun (xs: Tensor[]) -> op axis exclusive reverse xs.[0]),
               (fun (xs: Reference.Value[]) -> Reference.alongAxis axis (scanFiber identity f exclusive reverse) xs.[0]), seed
    }

let cumsumSamples = scanSamples "CumSum" (genData anywhere) Statistics.cumsum 0.0 (+)
let cumprodSamples = scanSamples "CumProd" (genData (genAwayFromZero 0.5 1.5)) Statistics.cumprod 1.0 (*)

/// One to three entries exactly zero: the scan is a polynomial, so central differences stay exact there.
let cumprodWithZerosSamples =
    let withZeros (shape: int[]) =
        gen {
            let! data = genData (genAwayFromZero 0.5 1.5) shape
            let n = data.Length
            let! zeros = Gen.arrayOfLength (min n 3) (Gen.choose (0, n - 1))
            let! count = Gen.choose (1, zeros.Length)
            return data |> Array.mapi (fun i v -> if Array.contains i zeros.[.. count - 1] then 0.0 else v)
        }
    scanSamples "CumProd with zeros" withZeros Statistics.cumprod 1.0 (*)

/// L2Normalize over random axes (entries away from 0, so every group's sum of squares is far above epsilon).
let l2NormalizeSamples : Gen<Sample> =
    gen {
        let! shape = genShape
        let! axes = genAxes shape.Length
        let! data = genData nonZero shape
        let! seed = genSeed
        let reference (xs: Reference.Value[]) =
            let shape, data = xs.[0]
            let keptShape, groups = groupsOf shape (normAxes shape.Length axes)
            let r = Array.zeroCreate data.Length
            for g in groups do
                let norm = sqrt (g |> Array.sumBy (fun k -> data.[k] * data.[k]))
                for k in g do r.[k] <- data.[k] / norm
            shape, r
        return sprintf "L2Normalize axes=%s" (formatAxes axes), [| shape, data |],
               (fun (xs: Tensor[]) -> Statistics.l2Normalize (if isNull axes then null else Array.copy axes) 1e-12 xs.[0]), reference, seed
    }

/// The slices' norms over `axes`.
let private slices (shape: int[]) (axes: int[]) (data: float[]) =
    let _, groups = groupsOf shape (normAxes shape.Length axes)
    groups |> Array.map (fun g -> g, sqrt (g |> Array.sumBy (fun k -> data.[k] * data.[k])))

/// ClipByNorm over random axes with a scalar clipNorm, both differentiable; every slice's norm at least 0.1 away from
/// clipNorm (the kink).
let clipByNormSamples : Gen<Sample> =
    gen {
        let! shape, axes, data, clip =
            gen {
                let! shape = genShape
                let! axes = genAxes shape.Length
                let! data = genData anywhere shape
                let! clip = genIn 0.3 2.5
                return shape, axes, data, clip
            }
            |> Gen.where (fun (shape, axes, data, clip) -> slices shape axes data |> Array.forall (fun (_, n) -> abs (n - clip) > 0.1))
        let! seed = genSeed
        let reference (xs: Reference.Value[]) =
            let shape, data = xs.[0]
            let c = (snd xs.[1]).[0]
            let r = Array.zeroCreate data.Length
            for g, n in slices shape axes data do
                for k in g do r.[k] <- data.[k] * c / max n c
            shape, r
        return sprintf "ClipByNorm axes=%s" (formatAxes axes), [| shape, data; [||], [| clip |] |],
               (fun (xs: Tensor[]) -> Statistics.clipByNorm (if isNull axes then null else Array.copy axes) xs.[0] xs.[1]), reference, seed
    }

/// ClipByGlobalNorm of one to three tensors and a scalar clipNorm, every operand differentiable: the clipped tensors and
/// the global norm, flattened and joined; the norm at least 0.1 away from clipNorm.
let clipByGlobalNormSamples : Gen<Sample> =
    gen {
        let! shapes, datas, clip =
            gen {
                let! count = Gen.choose (1, 3)
                let! shapes = Gen.arrayOfLength count (genShapeOf 0 2 3 6)
                let! datas = shapes |> Array.map (genData anywhere) |> Gen.sequenceToArray
                let! clip = genIn 0.3 3.0
                return shapes, datas, clip
            }
            |> Gen.where (fun (_, datas, clip) ->
                let n = sqrt (datas |> Array.sumBy (Array.sumBy (fun v -> v * v)))
                n > 0.1 && abs (n - clip) > 0.1)
        let! seed = genSeed
        let count = shapes.Length
        let apply (xs: Tensor[]) =
            let clipped, norm = Statistics.clipByGlobalNorm xs.[.. count - 1] xs.[count] None
            Layout.concat 0 (Array.append (clipped |> Array.map flatten) [| Layout.reshape [| 1 |] norm |])
        let reference (xs: Reference.Value[]) =
            let c = (snd xs.[count]).[0]
            let n = sqrt (xs.[.. count - 1] |> Array.sumBy (fun (_, d) -> d |> Array.sumBy (fun v -> v * v)))
            let all = Array.append (xs.[.. count - 1] |> Array.collect (fun (_, d) -> d |> Array.map (fun v -> v * c / max n c))) [| n |]
            [| all.Length |], all
        let operands = Array.append (Array.zip shapes datas) [| [||], [| clip |] |]
        return sprintf "ClipByGlobalNorm of %d" count, operands, apply, reference, seed
    }

/// TopK of distinct values (no ties), k from 0 to n: the values.
let topKSamples : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let n = shape.[shape.Length - 1]
        let! k = Gen.choose (0, n)
        let! data = genDistinct shape
        let! seed = genSeed
        let reference (xs: Reference.Value[]) =
            let shape, data = xs.[0]
            let outer = data.Length / n
            let r = Array.init outer (fun o -> data.[o * n .. o * n + n - 1] |> Array.sortDescending |> Array.take k) |> Array.concat
            Array.append shape.[.. shape.Length - 2] [| k |], r
        return sprintf "TopK k=%d" k, [| shape, data |], (fun (xs: Tensor[]) -> fst (Sorting.topK k xs.[0])), reference, seed
    }

/// Sort of distinct values along a random axis, either direction.
let sortSamples : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! descending = genBool
        let! data = genDistinct shape
        let! seed = genSeed
        let direction = if descending then "DESCENDING" else "ASCENDING"
        return sprintf "Sort axis=%d %s" axis direction, [| shape, data |],
               (fun (xs: Tensor[]) -> Sorting.sort axis direction xs.[0]),
               (fun (xs: Reference.Value[]) -> Reference.alongAxis axis (fun v -> if descending then Array.sortDescending v else Array.sort v) xs.[0]), seed
    }

let private idsTensor (shape: int[]) (ids: int[]) (int64s: bool) =
    Combinators.constant (if int64s then Storage.ofArray (Array.copy shape) (Array.map int64 ids :> Array) else Storage.ofArray (Array.copy shape) (Array.copy ids :> Array))

/// Sums data's rows [m, rest...] into `count` segments by id (negative ids dropped).
let private segmentReference (ids: int[]) (count: int) (m: int) ((_, data): Reference.Value) : Reference.Value =
    let inner = if m = 0 then 0 else data.Length / m
    let r = Array.zeroCreate (count * inner)
    for j in 0 .. m - 1 do
        if ids.[j] >= 0 then
            for i in 0 .. inner - 1 do r.[ids.[j] * inner + i] <- r.[ids.[j] * inner + i] + data.[j * inner + i]
    [| count |], r

/// SegmentSum with sorted ids (Int32 or Int64), some segments possibly empty.
let segmentSumSamples : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let m = shape.[0]
        let! steps = Gen.arrayOfLength m (Gen.frequency [ 2, Gen.constant 0; 2, Gen.constant 1; 1, Gen.constant 2 ])
        let ids = steps |> Array.scan (+) 0 |> Array.skip 1 |> Array.map (fun v -> v - steps.[0])
        let! int64s = genBool
        let! data = genData anywhere shape
        let! seed = genSeed
        let count = ids.[m - 1] + 1
        let reference (xs: Reference.Value[]) =
            let _, r = segmentReference ids count m xs.[0]
            Array.append [| count |] shape.[1..], r
        let idT = idsTensor [| m |] ids int64s
        return sprintf "SegmentSum ids %A" ids, [| shape, data |], (fun (xs: Tensor[]) -> Sorting.segmentSum idT xs.[0]), reference, seed
    }

/// UnsortedSegmentSum with ids shaped as a random prefix of data's shape, some negative (dropped).
let unsortedSegmentSumSamples : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! r = Gen.choose (0, shape.Length)
        let idShape = shape.[.. r - 1]
        let m = Reference.size idShape
        let! count = Gen.choose (1, 4)
        let! ids = Gen.arrayOfLength m (Gen.choose (-1, count - 1))
        let! int64s = genBool
        let! data = genData anywhere shape
        let! seed = genSeed
        let rest = shape.[r ..]
        let reference (xs: Reference.Value[]) =
            let _, d = xs.[0]
            let _, out = segmentReference ids count m (Array.append [| m |] rest, d)
            Array.append [| count |] rest, out
        let idT = idsTensor idShape ids int64s
        return sprintf "UnsortedSegmentSum ids %s %A into %d" (Shape.format idShape) ids count, [| shape, data |],
               (fun (xs: Tensor[]) -> Sorting.unsortedSegmentSum idT count xs.[0]), reference, seed
    }
