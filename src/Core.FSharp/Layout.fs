module Nabla.Core.Layout

open System
open Nabla.Core.Combinators

/// The kernels of the layout primitives (dtype-agnostic copies by runs of the last axis, except scatter-add).
module Kernels =
    open System.Numerics.Tensors
    open System.Runtime.InteropServices
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage

    let transpose (perm: int[]) (t: RawTensor) =
        let outShape = perm |> Array.map (fun p -> t.Shape.[p])
        let s = Shape.strides t.Shape
        let outStrides = perm |> Array.map (fun p -> s.[p])
        if t.Rank = 2 && perm.[0] = 1 then
            let m, n = t.Shape.[0], t.Shape.[1]
            let blocked (a: 'T[]) =
                let r: 'T[] = BufferPool.rent a.Length // every element is written below
                let bs = 32
                for i0 in 0 .. bs .. m - 1 do
                    for j0 in 0 .. bs .. n - 1 do
                        for i in i0 .. min (i0 + bs) m - 1 do
                            for j in j0 .. min (j0 + bs) n - 1 do
                                r.[j * m + i] <- a.[i * n + j]
                r
            let data: Array =
                match t.Data with
                | :? (float32[]) as a -> blocked a :> _
                | :? (float[]) as a -> blocked a :> _
                | _ -> copyStrided t.DType t.Data outStrides 0 outShape
            RawTensor(t.DType, outShape, data)
        else RawTensor(t.DType, outShape, copyStrided t.DType t.Data outStrides 0 outShape)

    let slice (start: int[]) (size: int[]) (t: RawTensor) =
        let s = Shape.strides t.Shape
        let mutable off = 0
        for i in 0 .. start.Length - 1 do off <- off + start.[i] * s.[i]
        RawTensor(t.DType, Array.copy size, copyStrided t.DType t.Data s off size)

    /// Copies `t` into `r` (same dtype and rank, t fitting at `start`) at offset `start`, bit for bit.
    let private writeAt (r: RawTensor) (start: int[]) (t: RawTensor) =
        let shape = r.Shape
        let n = t.Size
        if n > 0 then
            let rank = shape.Length
            let ds = Shape.strides shape
            let mutable off = 0
            for i in 0 .. rank - 1 do off <- off + start.[i] * ds.[i]
            if rank = 0 then Array.Copy(t.Data, 0, r.Data, 0, 1)
            else
                let len = t.Shape.[rank - 1]
                let idx = Array.zeroCreate rank
                let mutable so = 0
                let mutable ro = off
                while so < n do
                    Array.Copy(t.Data, so, r.Data, ro, len)
                    so <- so + len
                    let mutable ax = rank - 2
                    let mutable carry = true
                    while carry && ax >= 0 do
                        idx.[ax] <- idx.[ax] + 1
                        ro <- ro + ds.[ax]
                        if idx.[ax] < t.Shape.[ax] then carry <- false
                        else
                            ro <- ro - ds.[ax] * t.Shape.[ax]
                            idx.[ax] <- 0
                            ax <- ax - 1

    let pad (shape: int[]) (start: int[]) (t: RawTensor) =
        let r = zeros t.DType shape
        writeAt r start t
        r

    let concatAt (shape: int[]) (starts: int[][]) (ts: RawTensor[]) =
        let r = zeros ts.[0].DType shape
        Array.iter2 (writeAt r) starts ts
        r

    let private indexList (op: string) (indices: RawTensor) (n: int) =
        let check (i: int64) =
            if i < 0L || i >= int64 n then
                invalidArg "indices" (sprintf "%s: index %d is out of range [0, %d)" op i n)
        match indices.Data with
        | :? (int[]) as a -> (for i in a do check (int64 i)); a
        | :? (int64[]) as a -> (for i in a do check i); Array.map int a
        | _ -> invalidArg "indices" (sprintf "%s: indices have dtype %s; expected Int32 or Int64" op (dtypeName indices.DType))

    let gather (axis: int) (indices: RawTensor) (x: RawTensor) =
        let n = x.Shape.[axis]
        let idx = indexList "Gather" indices n
        let outer = Shape.size x.Shape.[.. axis - 1]
        let inner = Shape.size x.Shape.[axis + 1 ..]
        let outShape = Array.concat [ x.Shape.[.. axis - 1]; indices.Shape; x.Shape.[axis + 1 ..] ]
        let r = alloc x.DType (Shape.size outShape)
        let k = idx.Length
        for o in 0 .. outer - 1 do
            for j in 0 .. k - 1 do
                Array.Copy(x.Data, (o * n + idx.[j]) * inner, r, (o * k + j) * inner, inner)
        RawTensor(x.DType, outShape, r)

    let scatterAdd (axis: int) (indices: RawTensor) (n: int) (g: RawTensor) =
        let idx = indexList "ScatterAdd" indices n
        let k = idx.Length
        let outer = Shape.size g.Shape.[.. axis - 1]
        let inner = Shape.size g.Shape.[axis + indices.Rank ..]
        let outShape = Array.concat [ g.Shape.[.. axis - 1]; [| n |]; g.Shape.[axis + indices.Rank ..] ]
        let r = zeros g.DType outShape
        let addRow (src: 'T[]) (dst: 'T[]) (add: 'T[] -> int -> 'T[] -> int -> int -> unit) =
            for o in 0 .. outer - 1 do
                for j in 0 .. k - 1 do add src ((o * k + j) * inner) dst ((o * n + idx.[j]) * inner) inner
        match g.Data, r.Data with
        | (:? (float32[]) as s), (:? (float32[]) as d) ->
            addRow s d (fun s so d dO n -> TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n)))
        | (:? (float[]) as s), (:? (float[]) as d) ->
            addRow s d (fun s so d dO n -> TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n)))
        | _ -> unsupported "ScatterAdd" g.DType "Float32 or Float64"
        r

let private opError (op: string) (msg: string) = invalidArg "x" (op + ": " + msg)

let rec reshape (shape: int[]) (x: Tensor) : Tensor =
    let shape = Shape.resolveReshape "Reshape" x.Shape shape
    if Shape.equal shape x.Shape then x
    else
        unary { new UnaryPrim("Reshape") with
                  member _.Kernel r = Storage.reshape shape r
                  member _.Jvp(_, _, dx) = reshape shape dx
                  member _.Vjp(x, _, g) = reshape x.Shape g } x


let rec transpose (perm: int[]) (x: Tensor) : Tensor =
    let rank = x.Rank
    let perm = if isNull perm then Array.init rank (fun i -> rank - 1 - i) else perm
    if perm.Length <> rank || (Array.sort (Array.map (fun p -> if p < 0 then p + rank else p) perm) <> Array.init rank id) then
        opError "Transpose" (sprintf "perm %s is not a permutation of the %d axes of a tensor of shape %s" (Shape.format perm) rank (Shape.format x.Shape))
    let perm = perm |> Array.map (fun p -> if p < 0 then p + rank else p)
    if perm = Array.init rank id then x
    else
        let inv = Array.zeroCreate rank
        perm |> Array.iteri (fun i p -> inv.[p] <- i)
        unary { new UnaryPrim("Transpose") with
                  member _.Kernel r = Kernels.transpose perm r
                  member _.Jvp(_, _, dx) = transpose perm dx
                  member _.Vjp(_, _, g) = transpose inv g } x

/// The block at `start` with extent `size` (checked; -1 in size takes the rest). Adjoint: zero padding.

let rec slice (start: int[]) (size: int[]) (x: Tensor) : Tensor =
    let shape = x.Shape
    if isNull start || isNull size || start.Length <> shape.Length || size.Length <> shape.Length then
        opError "Slice" (sprintf "start %s and size %s must both have one entry per axis of shape %s"
                                 (if isNull start then "null" else Shape.format start) (if isNull size then "null" else Shape.format size) (Shape.format shape))
    // bounds in int64: start + size must not wrap (begin or size int.MaxValue)
    for i in 0 .. shape.Length - 1 do
        let b = int64 start.[i]
        let e = if size.[i] = -1 then int64 shape.[i] else b + int64 size.[i]
        if b < 0L || b > int64 shape.[i] || size.[i] < -1 || e > int64 shape.[i] then
            opError "Slice" (sprintf "begin %s with size %s is out of bounds for shape %s at axis %d; expected 0 <= begin <= begin + size <= extent (a size of -1 takes the rest of the axis)"
                                     (Shape.format start) (Shape.format size) (Shape.format shape) i)
    let size = Array.init shape.Length (fun i -> if size.[i] = -1 then shape.[i] - start.[i] else size.[i])
    if Shape.equal size shape then x
    else
        let start = Array.copy start
        unary { new UnaryPrim("Slice") with
                  member _.Kernel r = Kernels.slice start size r
                  member _.Jvp(_, _, dx) = slice start size dx
                  member _.Vjp(x, _, g) = pad x.Shape start g } x

and pad (shape: int[]) (start: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        unary { new UnaryPrim("Pad") with
                  member _.Kernel r = Kernels.pad shape start r
                  member _.Jvp(_, _, dx) = pad shape start dx
                  member _.Vjp(x, _, g) = slice start x.Shape g } x

/// Joins tensors along `axis` (all other extents equal). d = concat of the tangents; adjoint i is its slice.

let rec concat (axis: int) (xs: Tensor[]) : Tensor =
    if isNull xs || xs.Length = 0 then opError "Concat" "expected at least one tensor"
    let rank = xs.[0].Rank
    let ax = Shape.normAxis "Concat" rank axis
    let dt = xs.[0].DType
    for x in xs do
        if x.DType <> dt then opError "Concat" (sprintf "tensors have dtypes %s and %s; expected one dtype" (string dt) (string x.DType))
        if x.Rank <> rank || (Array.indexed x.Shape |> Array.exists (fun (i, d) -> i <> ax && d <> xs.[0].Shape.[i])) then
            opError "Concat" (sprintf "shapes %s and %s differ outside axis %d" (Shape.format xs.[0].Shape) (Shape.format x.Shape) ax)
    if xs.Length = 1 then xs.[0]
    else
        let total = xs |> Array.sumBy (fun x -> int64 x.Shape.[ax])
        let outShape = Array.copy xs.[0].Shape
        outShape.[ax] <- int (min total (int64 Int32.MaxValue))
        if total > int64 Int32.MaxValue then
            opError "Concat" (sprintf "joining %d tensors of shapes %s, ... along axis %d gives extent %d there, more than Int32.MaxValue (%d); a dimension is an int, and tensors above Array.MaxLength elements are out of scope"
                                      xs.Length (Shape.format xs.[0].Shape) ax total Int32.MaxValue)
        if Shape.trySize outShape < 0 then
            let others = Array.copy outShape
            others.[ax] <- 1
            opError "Concat" (sprintf "joining %d tensors of shapes %s, ... along axis %d gives extent %d there and %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      xs.Length (Shape.format xs.[0].Shape) ax total
                                      (Shape.bigSize others * System.Numerics.BigInteger(total)) Shape.maxElements)
        let offsets = xs |> Array.scan (fun o x -> o + x.Shape.[ax]) 0
        nary { new NaryPrim("Concat") with
                 member _.Kernel rs =
                     Kernels.concatAt outShape (Array.init rs.Length (fun i -> let b = Array.zeroCreate rank in b.[ax] <- offsets.[i]; b)) rs
                 member _.Jvp(xs, _, dxs) =
                     concat ax (Array.map2 (fun (x: Tensor) d -> match d with Some d -> d | None -> zerosLike x) xs dxs)
                 member _.Vjp(xs, _, g, i) =
                     let b = Array.zeroCreate rank
                     b.[ax] <- offsets.[i]
                     slice b xs.[i].Shape g } xs


let expandDims (axis: int) (x: Tensor) =
    let rank = x.Rank
    let a = if axis < 0 then axis + rank + 1 else axis
    if a < 0 || a > rank then
        invalidArg "axis" (sprintf "ExpandDims: axis %d is out of range for a tensor of rank %d; expected an axis in [%d, %d]" axis rank (-rank - 1) rank)
    let shape = Array.concat [ x.Shape.[.. a - 1]; [| 1 |]; x.Shape.[a ..] ]
    reshape shape x

let squeeze (axis: int option) (x: Tensor) =
    match axis with
    | None -> reshape (x.Shape |> Array.filter (fun d -> d <> 1)) x
    | Some axis ->
        let a = Shape.normAxis "Squeeze" x.Rank axis
        if x.Shape.[a] <> 1 then
            invalidArg "axis" (sprintf "Squeeze: axis %d of shape %s has extent %d; expected 1" axis (Shape.format x.Shape) x.Shape.[a])
        reshape (Array.append x.Shape.[.. a - 1] x.Shape.[a + 1 ..]) x

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

and scatterAdd (axis: int) (indices: Tensor) (n: int) (g: Tensor) : Tensor =
    let axis = Shape.normAxis "ScatterAdd" (g.Rank - indices.Rank + 1) axis
    let idx = indices.Raw
    unary { new UnaryPrim("ScatterAdd") with
              member _.Kernel r = Kernels.scatterAdd axis idx n r
              member _.Jvp(_, _, dx) = scatterAdd axis indices n dx
              member _.Vjp(_, _, g) = gather axis indices g } g

