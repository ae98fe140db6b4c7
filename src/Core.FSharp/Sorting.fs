module Nabla.Core.Sorting

open System
open Nabla.Core.Combinators
open Nabla.Core.Layout

/// The kernels: sorting permutations of the rows of the last axis and the segment sums of integer data.
module Kernels =
    open Nabla.Core.Storage

    /// Sorts one row (values `keys`, indices 0 .. n-1 in `idx`, both sorted in place) and writes its permutation at
    /// dst[off ..]: ascending or descending, NaN above every number, equal elements (NaN with NaN, -0 with +0) in index
    /// order. Array.Sort of keys with items (introsort; NaN first, as CompareTo) does the work; the NaN block is moved and
    /// each run of equal keys put back in index order.
    let inline private sortRow ([<InlineIfLambda>] isNaN: 'T -> bool) (descending: bool) (keys: 'T[]) (idx: int[]) (dst: int[]) (off: int) =
        Array.Sort(keys, idx)
        let n = keys.Length
        let mutable nans = 0
        while nans < n && isNaN keys.[nans] do nans <- nans + 1
        // output position p takes sorted position (source p)
        let source p =
            if not descending then (if p < n - nans then nans + p else p - (n - nans))
            elif p < nans then p
            else n - 1 - (p - nans)
        for p in 0 .. n - 1 do dst.[off + p] <- idx.[source p]
        let mutable s = 0
        while s < n do
            let ks = keys.[source s]
            let mutable e = s + 1
            while e < n && (let k = keys.[source e] in (isNaN ks && isNaN k) || k = ks) do e <- e + 1
            if e - s > 1 then Array.Sort(dst, off + s, e - s)
            s <- e

    let inline private rows ([<InlineIfLambda>] isNaN: 'T -> bool) (descending: bool) (a: 'T[]) (outer: int) (n: int) =
        let r = Array.zeroCreate (outer * n)
        for o in 0 .. outer - 1 do
            sortRow isNaN descending (Array.sub a (o * n) n) (Array.init n id) r (o * n)
        r

    let sortPermutation (descending: bool) (t: RawTensor) =
        let n = if t.Rank = 0 then 1 else t.Shape.[t.Rank - 1]
        let outer = if n = 0 then 0 else t.Size / n
        match t.Data with
        | :? (float32[]) as a -> rows Single.IsNaN descending a outer n
        | :? (float[]) as a -> rows Double.IsNaN descending a outer n
        | :? (int[]) as a -> rows (fun (_: int) -> false) descending a outer n
        | :? (int64[]) as a -> rows (fun (_: int64) -> false) descending a outer n
        | _ -> unsupported "Sort" t.DType "a float or integer dtype"

    /// The first k of the descending stable permutation of the row a[o .. o + n - 1], written at dst[off ..]: a heap of
    /// the k best so far (its root the worst of them), O(n log k). An element ranks before another when it is larger
    /// (NaN above every number) or equal with a lower index.
    let inline private topRow ([<InlineIfLambda>] isNaN: 'T -> bool) (a: 'T[]) (o: int) (n: int) (k: int) (dst: int[]) (off: int) =
        let better (i: int) (j: int) =
            let x = a.[o + i]
            let y = a.[o + j]
            let c = if isNaN x then (if isNaN y then 0 else 1) elif isNaN y then -1 elif x > y then 1 elif x < y then -1 else 0
            c > 0 || (c = 0 && i < j)
        let heap = Array.zeroCreate k
        let mutable size = 0
        for i in 0 .. n - 1 do
            if size < k then
                // sift up: a parent is never better than its children
                let mutable c = size
                heap.[c] <- i
                size <- size + 1
                while c > 0 && better heap.[(c - 1) / 2] heap.[c] do
                    let p = (c - 1) / 2
                    let t = heap.[p]
                    heap.[p] <- heap.[c]
                    heap.[c] <- t
                    c <- p
            elif better i heap.[0] then
                heap.[0] <- i
                let mutable p = 0
                let mutable go = true
                while go do
                    let l = 2 * p + 1
                    let r = l + 1
                    let mutable w = p
                    if l < k && better heap.[w] heap.[l] then w <- l
                    if r < k && better heap.[w] heap.[r] then w <- r
                    if w = p then go <- false
                    else
                        let t = heap.[p]
                        heap.[p] <- heap.[w]
                        heap.[w] <- t
                        p <- w
        Array.sortInPlaceWith (fun i j -> if better i j then -1 elif better j i then 1 else 0) heap
        Array.blit heap 0 dst off k

    let topKIndices (k: int) (t: RawTensor) =
        let n = t.Shape.[t.Rank - 1]
        let outer = if n = 0 then 0 else t.Size / n
        if k = 0 || outer = 0 then Array.zeroCreate 0
        elif k * 4 > n then
            let perm = sortPermutation true t
            Array.init (outer * k) (fun q -> perm.[(q / k) * n + q % k])
        else
            let r = Array.zeroCreate (outer * k)
            match t.Data with
            | :? (float32[]) as a -> for o in 0 .. outer - 1 do topRow Single.IsNaN a (o * n) n k r (o * k)
            | :? (float[]) as a -> for o in 0 .. outer - 1 do topRow Double.IsNaN a (o * n) n k r (o * k)
            | :? (int[]) as a -> for o in 0 .. outer - 1 do topRow (fun (_: int) -> false) a (o * n) n k r (o * k)
            | :? (int64[]) as a -> for o in 0 .. outer - 1 do topRow (fun (_: int64) -> false) a (o * n) n k r (o * k)
            | _ -> unsupported "TopK" t.DType "a float or integer dtype"
            r

    let segmentSumInts (ids: int[]) (numSegments: int) (t: RawTensor) =
        let m = ids.Length
        let inner = if m = 0 then Shape.size t.Shape.[1..] else t.Size / m
        let outShape = Array.append [| numSegments |] t.Shape.[1..]
        let sumInto (a: 'T[]) (add: 'T -> 'T -> 'T) =
            let r: 'T[] = Array.zeroCreate (numSegments * inner)
            for j in 0 .. m - 1 do
                let s = ids.[j]
                if s >= 0 then
                    for i in 0 .. inner - 1 do r.[s * inner + i] <- add r.[s * inner + i] a.[j * inner + i]
            r
        let data: Array =
            match t.Data with
            | :? (int[]) as a -> sumInto a (+) :> _
            | :? (int64[]) as a -> sumInto a (+) :> _
            | :? (float32[]) as a -> sumInto a (+) :> _
            | :? (float[]) as a -> sumInto a (+) :> _
            | _ -> unsupported "SegmentSum" t.DType "a float or integer dtype"
        RawTensor(t.DType, outShape, data)

// ------------------------------------------------------------------ sorting

let private int32Tensor (shape: int[]) (data: int[]) = constant (Storage.ofArray shape (data :> Array))

/// The permutation that moves `axis` last, and its inverse.
let private axisLast (rank: int) (axis: int) =
    let perm = Array.append [| for i in 0 .. rank - 1 do if i <> axis then yield i |] [| axis |]
    let inv = Array.zeroCreate rank
    perm |> Array.iteri (fun i p -> inv.[p] <- i)
    perm, inv

/// Elements of x [..., n] picked per row of the last axis: result [..., k] with element j of row o x[o, idx[o * k + j]].
/// One gather over the flattened tensor, so the adjoint scatters back to the picked elements (repeats accumulate).
let private takeAlongLast (x: Tensor) (idx: int[]) (k: int) =
    let n = x.Shape.[x.Rank - 1]
    let lead = x.Shape.[.. x.Rank - 2]
    let outer = Shape.size lead
    let flatIdx = Array.init (outer * k) (fun q -> (q / k) * n + idx.[q])
    let picked = gather 0 (int32Tensor [| outer * k |] flatIdx) (reshape [| x.Size |] x)
    reshape (Array.append lead [| k |]) picked

let private checkSortable (op: string) (x: Tensor) =
    if x.DType = DType.Bool then invalidArg "values" (sprintf "%s: dtype Bool is not supported; expected a float or integer dtype" op)
    if x.Rank = 0 then invalidArg "values" (sprintf "%s: expected a tensor of rank >= 1, got a scalar (shape [])" op)

let private parseDirection (op: string) (d: string) =
    match d with
    | "ASCENDING" -> false
    | "DESCENDING" -> true
    | _ -> invalidArg "direction" (sprintf "%s: direction %s is not ASCENDING or DESCENDING" op (if isNull d then "null" else "'" + d + "'"))

let topK (k: int) (x: Tensor) : Tensor * Tensor =
    checkSortable "TopK" x
    let n = x.Shape.[x.Rank - 1]
    if k < 0 || k > n then
        invalidArg "k" (sprintf "TopK: k = %d is out of range for input of shape %s; expected 0 <= k <= %d (the last dimension)" k (Shape.format x.Shape) n)
    let idx = Kernels.topKIndices k x.Raw
    let shape = Array.append x.Shape.[.. x.Rank - 2] [| k |]
    takeAlongLast x idx k, int32Tensor shape idx

/// The permutation of each fiber along `axis` (Int32, x's shape) and x with `axis` moved last.
let private permutationAlong (op: string) (axis: int) (dir: string) (x: Tensor) =
    checkSortable op x
    let descending = parseDirection op dir
    let a = Shape.normAxis op x.Rank axis
    let perm, inv = axisLast x.Rank a
    let moved = transpose perm x
    moved, Kernels.sortPermutation descending moved.Raw, inv

let sort (axis: int) (direction: string) (x: Tensor) : Tensor =
    let moved, p, inv = permutationAlong "Sort" axis direction x
    transpose inv (takeAlongLast moved p moved.Shape.[moved.Rank - 1])

let argSort (axis: int) (direction: string) (x: Tensor) : Tensor =
    let moved, p, inv = permutationAlong "ArgSort" axis direction x
    transpose inv (int32Tensor (Array.copy moved.Shape) p)

// ------------------------------------------------------------------ segment sums

let private segmentIds' (op: string) (ids: Tensor) : int64[] =
    match ids.Raw.Data with
    | :? (int[]) as a -> Array.map int64 a
    | :? (int64[]) as a -> Array.copy a
    | _ -> invalidArg "segmentIds" (sprintf "%s: segment ids have dtype %s; expected Int32 or Int64" op (string ids.DType))

/// data [m, rest...] summed into numSegments rows by the (checked) ids; negative ids dropped.
let private sumSegments (ids: int64[]) (numSegments: int) (data: Tensor) =
    let keep = [| for j in 0 .. ids.Length - 1 do if ids.[j] >= 0L then yield j |]
    let kept = keep |> Array.map (fun j -> int ids.[j])
    if not data.IsFloat then constant (Kernels.segmentSumInts (Array.map int ids) numSegments data.Raw)
    else
        let rows = if keep.Length = ids.Length then data else gather 0 (int32Tensor [| keep.Length |] keep) data
        scatterAdd 0 (int32Tensor [| kept.Length |] kept) numSegments rows

let private checkData (op: string) (data: Tensor) =
    if data.DType = DType.Bool then invalidArg "data" (sprintf "%s: dtype Bool is not supported; expected a float or integer dtype" op)
    if data.Rank = 0 then invalidArg "data" (sprintf "%s: expected data of rank >= 1, got a scalar (shape [])" op)

let private checkOutput (op: string) (numSegments: int64) (rest: int[]) =
    let shape = Array.append [| int (min numSegments (int64 Int32.MaxValue)) |] rest
    if numSegments > int64 Int32.MaxValue || Shape.trySize shape < 0 then
        invalidArg "segmentIds" (sprintf "%s: %d segments of shape %s give more than Array.MaxLength (%d) elements; tensors above Array.MaxLength elements are out of scope"
                                         op numSegments (Shape.format rest) Shape.maxElements)

let segmentSum (segmentIds: Tensor) (data: Tensor) : Tensor =
    checkData "SegmentSum" data
    let ids = segmentIds' "SegmentSum" segmentIds
    if segmentIds.Rank <> 1 || ids.Length <> data.Shape.[0] then
        invalidArg "segmentIds" (sprintf "SegmentSum: segment ids of shape %s for data of shape %s; expected a vector as long as data's first dimension (%d)"
                                         (Shape.format segmentIds.Shape) (Shape.format data.Shape) data.Shape.[0])
    for j in 0 .. ids.Length - 1 do
        if ids.[j] < 0L then
            invalidArg "segmentIds" (sprintf "SegmentSum: segment id %d at position %d is negative; expected ids >= 0" ids.[j] j)
        if j > 0 && ids.[j] < ids.[j - 1] then
            invalidArg "segmentIds" (sprintf "SegmentSum: segment ids are not sorted: %d at position %d follows %d; expected non-decreasing ids (UnsortedSegmentSum takes any order)" ids.[j] j ids.[j - 1])
    let numSegments = if ids.Length = 0 then 0L else ids.[ids.Length - 1] + 1L
    checkOutput "SegmentSum" numSegments data.Shape.[1..]
    sumSegments ids (int numSegments) data

let unsortedSegmentSum (segmentIds: Tensor) (numSegments: int) (data: Tensor) : Tensor =
    checkData "UnsortedSegmentSum" data
    let ids = segmentIds' "UnsortedSegmentSum" segmentIds
    let r = segmentIds.Rank
    if r > data.Rank || not (Shape.equal segmentIds.Shape data.Shape.[.. r - 1]) then
        invalidArg "segmentIds" (sprintf "UnsortedSegmentSum: segment ids of shape %s for data of shape %s; expected a prefix of data's shape"
                                         (Shape.format segmentIds.Shape) (Shape.format data.Shape))
    if numSegments < 0 then
        invalidArg "numSegments" (sprintf "UnsortedSegmentSum: numSegments = %d; expected numSegments >= 0" numSegments)
    for j in 0 .. ids.Length - 1 do
        if ids.[j] >= int64 numSegments then
            invalidArg "segmentIds" (sprintf "UnsortedSegmentSum: segment id %d at position %d is out of range [0, %d) (negative ids are dropped, as TensorFlow)" ids.[j] j numSegments)
    let rest = data.Shape.[r ..]
    checkOutput "UnsortedSegmentSum" (int64 numSegments) rest
    sumSegments ids numSegments (reshape (Array.append [| ids.Length |] rest) data)
