/// Samples of the array ops (Nabla.Core.Arrays) for the op table: random shapes and parameters (strided slices with
/// negative steps, out-of-range bounds, shrunk and new axes and an ellipsis; the three padding modes; repeated and
/// negative roll axes; index tuples with repeats and duplicates), each with a naive Float64 reference written index by
/// index (Python's slice rules, the mirror formulas of each padding mode). Each sample is (name, operands, apply,
/// reference, seed) for Cases.fs's `case`.
module Nabla.Properties.ArrayCases

open System
open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Properties.TestData

type Sample = string * (int[] * float[])[] * (Tensor[] -> Tensor) * (Reference.Value[] -> Reference.Value) * int

/// A value of `shape` whose element at each index is `f index`.
let private build (shape: int[]) (f: int[] -> float) : Reference.Value =
    shape, Array.init (Reference.size shape) (fun k -> f (Reference.unravel shape k))

let private get ((shape, data): Reference.Value) (idx: int[]) = data.[Reference.ravel shape idx]

let private intConst (shape: int[]) (data: int[]) (int64s: bool) =
    let raw = if int64s then Storage.ofArray (Array.copy shape) (Array.map int64 data :> Array) else Storage.ofArray (Array.copy shape) (Array.copy data :> Array)
    Combinators.constant raw

let private fmt (a: int[]) = Shape.format a

// ------------------------------------------------------------------ strided slice

/// One entry of a slice spec: an integer index, a slice (optional bounds, a step), a new axis or an ellipsis.
type private Entry =
    | At of int
    | Sl of int option * int option * int
    | New
    | Dots

/// CPython's slice.indices: the positions a slice visits on an axis of extent d.
let private pySlice (d: int) (start: int option) (stop: int option) (step: int) =
    let lower, upper = if step > 0 then 0, d else -1, d - 1
    let bound v dflt = match v with
                       | None -> dflt
                       | Some v -> if v < 0 then max (v + d) lower else min v upper
    let b = bound start (if step > 0 then lower else upper)
    let e = bound stop (if step > 0 then upper else lower)
    let r = ResizeArray()
    let mutable i = b
    while (if step > 0 then i < e else i > e) do
        r.Add i
        i <- i + step
    r.ToArray()

let private genEntry (d: int) =
    Gen.frequency
        [ 2, Gen.choose (-d, d - 1) |> Gen.map At
          5, gen {
                 let! start = Gen.frequency [ 1, Gen.constant None; 3, Gen.choose (-d - 2, d + 2) |> Gen.map Some ]
                 let! stop = Gen.frequency [ 1, Gen.constant None; 3, Gen.choose (-d - 2, d + 2) |> Gen.map Some ]
                 let! step = Gen.elements [ -3; -2; -1; -1; 1; 1; 2; 3 ]
                 return Sl(start, stop, step)
             } ]

let private showEntry = function
    | At i -> string i
    | Sl(a, b, s) -> sprintf "%s:%s:%d" (a |> Option.map string |> Option.defaultValue "") (b |> Option.map string |> Option.defaultValue "") s
    | New -> "newaxis"
    | Dots -> "..."

/// The reference of a slice spec: the output shape and the value, index by index.
let private sliceReference (shape: int[]) (entries: Entry[]) (trailing: int) =
    let rank = shape.Length
    let perAxis = Array.init rank (fun a -> [| 0 .. shape.[a] - 1 |])
    let dropped = Array.create rank false
    let outAxes = ResizeArray<int>()   // input axis, or -1 for a new axis
    let mutable a = 0
    for e in entries do
        match e with
        | At i ->
            perAxis.[a] <- [| if i < 0 then i + shape.[a] else i |]
            dropped.[a] <- true
            a <- a + 1
        | Sl(s, t, st) ->
            perAxis.[a] <- pySlice shape.[a] s t st
            outAxes.Add a
            a <- a + 1
        | New -> outAxes.Add -1
        | Dots ->
            while a < rank - trailing do
                outAxes.Add a
                a <- a + 1
    while a < rank do
        outAxes.Add a
        a <- a + 1
    let outShape = outAxes |> Seq.map (fun ax -> if ax < 0 then 1 else perAxis.[ax].Length) |> Array.ofSeq
    let reference (xs: Reference.Value[]) =
        build outShape (fun o ->
            let src = Array.init rank (fun ax -> if dropped.[ax] then perAxis.[ax].[0] else 0)
            outAxes |> Seq.iteri (fun j ax -> if ax >= 0 then src.[ax] <- perAxis.[ax].[o.[j]])
            get xs.[0] src)
    outShape, reference

/// Slices of a rank 1 to 3 tensor: entries for some leading axes (or, with an ellipsis, some trailing ones too), new
/// axes anywhere, the rest whole.
let stridedSlice : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! k = Gen.choose (0, rank)
        let! useDots = genBool
        let! front = Gen.choose (0, k)
        let firstAxes = [ 0 .. front - 1 ]
        let lastAxes = if useDots then [ rank - (k - front) .. rank - 1 ] else [ front .. k - 1 ]
        let! fe = firstAxes |> List.map (fun a -> genEntry shape.[a]) |> Gen.sequenceToList
        let! le = lastAxes |> List.map (fun a -> genEntry shape.[a]) |> Gen.sequenceToList
        let entries = if useDots then fe @ [ Dots ] @ le else fe @ le
        let! newAt = Gen.choose (-1, entries.Length)
        let entries = if newAt < 0 then entries else List.insertAt newAt New entries
        let entries = Array.ofList entries
        let n = entries.Length
        let bits f = entries |> Array.mapi (fun i e -> if f e then 1 <<< i else 0) |> Array.fold (|||) 0
        let beginIdx = entries |> Array.map (function At i -> i | Sl(Some a, _, _) -> a | _ -> 0)
        let endIdx = entries |> Array.map (function At i -> i + 1 | Sl(_, Some b, _) -> b | _ -> 0)
        let strides = entries |> Array.map (function Sl(_, _, s) -> s | _ -> 1)
        let bm = bits (function Sl(None, _, _) -> true | _ -> false)
        let em = bits (function Sl(_, None, _) -> true | _ -> false)
        let dots = bits (function Dots -> true | _ -> false)
        let nm = bits (function New -> true | _ -> false)
        let sm = bits (function At _ -> true | _ -> false)
        let outShape, reference = sliceReference shape entries (List.length le)
        let! data = genData anywhere shape
        let! seed = genSeed
        let name = sprintf "StridedSlice [%s] of %s" (String.Join(", ", entries |> Array.map showEntry)) (fmt shape)
        return name, [| shape, data |], (fun xs -> Arrays.stridedSlice beginIdx endIdx strides bm em dots nm sm xs.[0]), reference, seed
    }

// ------------------------------------------------------------------ reverse, tile, pad, roll

let reverse : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! pick = Gen.arrayOfLength rank genBool
        let! negative = Gen.arrayOfLength rank genBool
        let axes = [| for i in 0 .. rank - 1 do if pick.[i] then yield (if negative.[i] then i - rank else i) |]
        let flip = Array.init rank (fun i -> pick.[i])
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Reverse axes %s of %s" (fmt axes) (fmt shape), [| shape, data |], (fun xs -> Arrays.reverse axes xs.[0]),
               (fun xs -> build shape (fun o -> get xs.[0] (Array.init rank (fun i -> if flip.[i] then shape.[i] - 1 - o.[i] else o.[i])))), seed
    }

let tile : Gen<Sample> =
    gen {
        let! shape = genShapeOf 0 3 3 12
        let! multiples = Gen.arrayOfLength shape.Length (Gen.frequency [ 1, Gen.constant 0; 4, Gen.choose (1, 3) ])
        let outShape = Array.map2 (*) shape multiples
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Tile %s of %s" (fmt multiples) (fmt shape), [| shape, data |], (fun xs -> Arrays.tile multiples xs.[0]),
               (fun xs -> build outShape (fun o -> get xs.[0] (Array.mapi (fun i v -> v % shape.[i]) o))), seed
    }

let pad : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! mode = Gen.elements [ "CONSTANT"; "REFLECT"; "SYMMETRIC"; "reflect" ]
        let upper = mode.ToUpperInvariant()
        let limit d = match upper with "REFLECT" -> d - 1 | "SYMMETRIC" -> d | _ -> 3
        let! ps = shape |> Array.map (fun d -> Gen.zip (Gen.choose (0, limit d)) (Gen.choose (0, limit d))) |> Gen.sequenceToArray
        let paddings = Array2D.init rank 2 (fun a k -> if k = 0 then fst ps.[a] else snd ps.[a])
        let! c = Gen.elements [ 0.0; 0.5; -1.25 ]
        let outShape = Array.init rank (fun a -> shape.[a] + fst ps.[a] + snd ps.[a])
        let source (a: int) (i: int) =
            let d = shape.[a]
            let j = i - fst ps.[a]
            if j >= 0 && j < d then Some j
            else
                match upper with
                | "REFLECT" -> Some(if j < 0 then -j else 2 * (d - 1) - j)
                | "SYMMETRIC" -> Some(if j < 0 then -j - 1 else 2 * d - 1 - j)
                | _ -> None
        let reference (xs: Reference.Value[]) =
            build outShape (fun o ->
                let src = Array.init rank (fun a -> source a o.[a])
                if Array.forall Option.isSome src then get xs.[0] (Array.map Option.get src) else c)
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Pad %s %A constant %g of %s" mode ps c (fmt shape), [| shape, data |], (fun xs -> Arrays.pad paddings mode c xs.[0]), reference, seed
    }

let roll : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! count = Gen.choose (1, 3)
        let! axes = Gen.arrayOfLength count (genAxis rank)
        let! shifts = Gen.arrayOfLength count (Gen.choose (-6, 6))
        let total = Array.zeroCreate rank
        Array.iter2 (fun a s -> let a = Reference.normAxis rank a in total.[a] <- total.[a] + s) axes shifts
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Roll shift %s axis %s of %s" (fmt shifts) (fmt axes) (fmt shape), [| shape, data |], (fun xs -> Arrays.roll shifts axes xs.[0]),
               (fun xs -> build shape (fun o -> get xs.[0] (Array.init rank (fun a -> (((o.[a] - total.[a]) % shape.[a]) + shape.[a]) % shape.[a])))), seed
    }

// ------------------------------------------------------------------ split, unstack (all parts, rejoined in reverse order)

let split : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! axis = genAxis rank
        let a = Reference.normAxis rank axis
        let d = shape.[a]
        // random sizes summing to d, one of them possibly given as -1
        let! cuts = Gen.arrayOfLength 2 (Gen.choose (0, d)) |> Gen.map Array.sort
        let sizes = [| cuts.[0]; cuts.[1] - cuts.[0]; d - cuts.[1] |]
        let! unknown = Gen.choose (-1, 2)
        let given = sizes |> Array.mapi (fun i s -> if i = unknown then -1 else s)
        let offsets = [| 0; sizes.[0]; sizes.[0] + sizes.[1] |]
        // rejoined as [part 2; part 1; part 0]
        let reference (xs: Reference.Value[]) =
            build shape (fun o ->
                let i = o.[a]
                let part, within = if i < sizes.[2] then 2, i elif i < sizes.[2] + sizes.[1] then 1, i - sizes.[2] else 0, i - sizes.[2] - sizes.[1]
                get xs.[0] (Array.mapi (fun ax v -> if ax = a then offsets.[part] + within else v) o))
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Split sizes %s axis %d of %s, rejoined reversed" (fmt given) axis (fmt shape), [| shape, data |],
               (fun xs -> Layout.concat a (Array.rev (Arrays.splitSizes given axis xs.[0]))), reference, seed
    }

let unstack : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! axis = genAxis rank
        let a = Reference.normAxis rank axis
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "Unstack axis %d of %s, restacked reversed" axis (fmt shape), [| shape, data |],
               (fun xs -> Layout.stack a (Array.rev (Arrays.unstack None axis xs.[0]))),
               (fun xs -> build shape (fun o -> get xs.[0] (Array.mapi (fun ax v -> if ax = a then shape.[a] - 1 - v else v) o))), seed
    }

// ------------------------------------------------------------------ gather_nd, scatter_nd, tensor_scatter_nd_update, boolean_mask

/// Index tuples of depth k into `shape`, batch shape of rank 0 to 2, repeats frequent.
let private genTuples (shape: int[]) (k: int) =
    gen {
        let! batch = genShapeOf 0 2 3 6
        let m = Reference.size batch
        let! tuples = Gen.arrayOfLength m (shape.[.. k - 1] |> Array.map (fun d -> Gen.choose (0, d - 1)) |> Gen.sequenceToArray)
        let! int64s = genBool
        return batch, tuples, intConst (Array.append batch [| k |]) (Array.concat tuples) int64s
    }

let gatherNd : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 3 18
        let! k = Gen.choose (0, shape.Length)
        let! batch, tuples, indices = genTuples shape k
        let rest = shape.[k ..]
        let outShape = Array.append batch rest
        let reference (xs: Reference.Value[]) =
            build outShape (fun o ->
                let j = Reference.ravel batch o.[.. batch.Length - 1]
                get xs.[0] (Array.append tuples.[j] o.[batch.Length ..]))
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "GatherNd %A into %s" tuples (fmt shape), [| shape, data |], (fun xs -> Arrays.gatherNd indices xs.[0]), reference, seed
    }

let scatterNd : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 3 18
        let! k = Gen.choose (1, shape.Length)
        let! batch, tuples, indices = genTuples shape k
        let rest = shape.[k ..]
        let uShape = Array.append batch rest
        let reference (xs: Reference.Value[]) =
            let out = Array.zeroCreate (Reference.size shape)
            let restSize = Reference.size rest
            tuples |> Array.iteri (fun j t ->
                for e in 0 .. restSize - 1 do
                    let dst = Reference.ravel shape (Array.append t (Reference.unravel rest e))
                    out.[dst] <- out.[dst] + (snd xs.[0]).[j * restSize + e])
            shape, out
        let! data = genData anywhere uShape
        let! seed = genSeed
        return sprintf "ScatterNd %A into %s" tuples (fmt shape), [| uShape, data |], (fun xs -> Arrays.scatterNd indices xs.[0] shape), reference, seed
    }

let tensorScatterNdUpdate : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 3 18
        let! k = Gen.choose (1, shape.Length)
        let! batch, tuples, indices = genTuples shape k
        let rest = shape.[k ..]
        let uShape = Array.append batch rest
        let reference (xs: Reference.Value[]) =
            let out = Array.copy (snd xs.[0])
            let restSize = Reference.size rest
            tuples |> Array.iteri (fun j t ->
                for e in 0 .. restSize - 1 do
                    out.[Reference.ravel shape (Array.append t (Reference.unravel rest e))] <- (snd xs.[1]).[j * restSize + e])
            shape, out
        let! data = genData anywhere shape
        let! updates = genData anywhere uShape
        let! seed = genSeed
        return sprintf "TensorScatterNdUpdate %A into %s" tuples (fmt shape), [| shape, data; uShape, updates |],
               (fun xs -> Arrays.tensorScatterNdUpdate indices xs.[1] xs.[0]), reference, seed
    }

let booleanMask : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 4 24
        let rank = shape.Length
        let! axis = Gen.choose (0, rank - 1)
        let! k = Gen.choose (1, rank - axis)
        let mshape = shape.[axis .. axis + k - 1]
        let! bits = Gen.arrayOfLength (Reference.size mshape) genBool
        let mask = Combinators.constant (Storage.ofArray (Array.copy mshape) (Array.copy bits :> Array))
        let picked = [| for i in 0 .. bits.Length - 1 do if bits.[i] then yield i |]
        let outShape = Array.concat [ shape.[.. axis - 1]; [| picked.Length |]; shape.[axis + k ..] ]
        let reference (xs: Reference.Value[]) =
            build outShape (fun o ->
                let m = Reference.unravel mshape picked.[o.[axis]]
                get xs.[0] (Array.concat [ o.[.. axis - 1]; m; o.[axis + 1 ..] ]))
        let! data = genData anywhere shape
        let! seed = genSeed
        return sprintf "BooleanMask %A at axis %d of %s" bits axis (fmt shape), [| shape, data |], (fun xs -> Arrays.booleanMask mask axis xs.[0]), reference, seed
    }
