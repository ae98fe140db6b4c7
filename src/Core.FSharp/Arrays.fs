module Nabla.Core.Arrays

open System
open Nabla.Core.Combinators

module Kernels =
    open Nabla.Core.Storage

    /// The element offset of the block start and the source strides of a strided view.
    let private view (shape: int[]) (starts: int[]) (steps: int[]) (counts: int[]) =
        let s = Shape.strides shape
        let empty = Array.exists (fun c -> c = 0) counts
        let mutable off = 0
        if not empty then
            for i in 0 .. shape.Length - 1 do off <- off + starts.[i] * s.[i]
        off, Array.init shape.Length (fun i -> s.[i] * steps.[i])

    /// The strided view over `shape` with `strides` with its axes of extent 1 dropped and each axis merged into the
    /// one before it where that one steps over it exactly (strides.[a] = strides.[a + 1] * shape.[a + 1]): the same
    /// row-major sequence of offsets with as long a last axis as possible. For a view holding at least one element.
    let private collapse (shape: int[]) (strides: int[]) =
        let sh = Collections.Generic.List<int>(shape.Length)
        let st = Collections.Generic.List<int>(shape.Length)
        for a in 0 .. shape.Length - 1 do
            if shape.[a] <> 1 then
                let c = sh.Count
                if c > 0 && st.[c - 1] = strides.[a] * shape.[a] then
                    sh.[c - 1] <- sh.[c - 1] * shape.[a]
                    st.[c - 1] <- strides.[a]
                else
                    sh.Add shape.[a]
                    st.Add strides.[a]
        if sh.Count = 0 then [| 1 |], [| 1 |] else sh.ToArray(), st.ToArray()

    /// Advances the odometer `idx` over all but the last axis of `shape`, moving `pos` by `strides`.
    let inline private advance (idx: int[]) (shape: int[]) (strides: int[]) (pos: byref<int>) =
        let mutable ax = shape.Length - 2
        let mutable carry = true
        while carry && ax >= 0 do
            idx.[ax] <- idx.[ax] + 1
            pos <- pos + strides.[ax]
            if idx.[ax] < shape.[ax] then carry <- false
            else
                pos <- pos - strides.[ax] * shape.[ax]
                idx.[ax] <- 0
                ax <- ax - 1

    /// Reads the view of `src` at `off` with `strides` over `shape` into `dst`, row-major: runs of the (collapsed)
    /// last axis by Array.Copy when its step is 1, by Array.Copy and an in-place reversal when it is -1, element by
    /// element otherwise.
    let private readStrided (src: 'T[]) (dst: 'T[]) (strides: int[]) (off: int) (shape: int[]) =
        let n = dst.Length
        if n > 0 then
            let shape, strides = collapse shape strides
            let last = shape.Length - 1
            let ls = strides.[last]
            let len = shape.[last]
            let idx = Array.zeroCreate shape.Length
            let mutable pos = off
            let mutable k = 0
            while k < n do
                if ls = 1 then Array.Copy(src, pos, dst, k, len)
                elif ls = -1 then
                    Array.Copy(src, pos - len + 1, dst, k, len)
                    MemoryExtensions.Reverse(Span<'T>(dst, k, len))
                else
                    let mutable p = pos
                    for j in k .. k + len - 1 do
                        dst.[j] <- src.[p]
                        p <- p + ls
                k <- k + len
                advance idx shape strides &pos

    let stridedSlice (starts: int[]) (steps: int[]) (counts: int[]) (t: RawTensor) =
        let off, strides = view t.Shape starts steps counts
        let n = Shape.size counts
        let r: Array =
            match t.Data with
            | :? (float32[]) as s -> let d = BufferPool.rent<float32> n in readStrided s d strides off counts; d
            | :? (float[]) as s -> let d = BufferPool.rent<float> n in readStrided s d strides off counts; d
            | :? (int[]) as s -> let d = BufferPool.rent<int> n in readStrided s d strides off counts; d
            | :? (int64[]) as s -> let d = BufferPool.rent<int64> n in readStrided s d strides off counts; d
            | :? (bool[]) as s -> let d = BufferPool.rent<bool> n in readStrided s d strides off counts; d
            | _ -> unsupported "StridedSlice" t.DType "Float32, Float64, Int32, Int64 or Bool"
        RawTensor(t.DType, Array.copy counts, r)

    /// Writes `src` (row-major over `shape`) into `dst` at `off` with `strides` (distinct positions), the mirror of
    /// readStrided.
    let private writeStrided (src: 'T[]) (dst: 'T[]) (strides: int[]) (off: int) (shape: int[]) =
        let n = src.Length
        if n > 0 then
            let shape, strides = collapse shape strides
            let last = shape.Length - 1
            let ls = strides.[last]
            let len = shape.[last]
            let idx = Array.zeroCreate shape.Length
            let mutable pos = off
            let mutable k = 0
            while k < n do
                if ls = 1 then Array.Copy(src, k, dst, pos, len)
                elif ls = -1 then
                    Array.Copy(src, k, dst, pos - len + 1, len)
                    MemoryExtensions.Reverse(Span<'T>(dst, pos - len + 1, len))
                else
                    let mutable p = pos
                    for j in k .. k + len - 1 do
                        dst.[p] <- src.[j]
                        p <- p + ls
                k <- k + len
                advance idx shape strides &pos

    /// Sets dst.[from .. till - 1] to v (short ranges by a loop, longer ones by Span.Fill).
    let inline private fillRange (dst: 'T[]) (from: int) (till: int) (v: 'T) =
        if till - from < 16 then
            for q in from .. till - 1 do dst.[q] <- v
        else Span<'T>(dst, from, till - from).Fill v

    /// Sets to v the elements of `dst` outside the view at `off` with `strides` over `shape` (at least one element), so
    /// that with writeStrided every element is written once (twice in rows whose step is not 1): the view's positions taken in ascending order (each
    /// negative stride turned positive from the view's last position on that axis), the gaps before, between and
    /// after them cleared.
    let private fillOutside (dst: 'T[]) (strides: int[]) (off: int) (shape: int[]) (v: 'T) =
        let mutable lo = off
        let pstr = Array.copy strides
        for a in 0 .. shape.Length - 1 do
            if strides.[a] < 0 then
                lo <- lo + strides.[a] * (shape.[a] - 1)
                pstr.[a] <- -strides.[a]
        let shape, pstr = collapse shape pstr
        let last = shape.Length - 1
        let ls = pstr.[last]
        let len = shape.[last]
        let total = Shape.size shape
        let idx = Array.zeroCreate shape.Length
        let mutable pos = lo
        let mutable next = 0
        let mutable k = 0
        while k < total do
            if ls = 1 then
                fillRange dst next pos v
                next <- pos + len
            else
                // a strided row: its whole span filled at once (vectorised), the view's elements overwritten after
                let rowEnd = pos + (len - 1) * ls + 1
                fillRange dst next rowEnd v
                next <- rowEnd
            k <- k + len
            advance idx shape pstr &pos
        fillRange dst next dst.Length v

    /// A fresh array of n elements holding g at the view's positions and v elsewhere, each element written once.
    let private placeStrided (g: 'T[]) (n: int) (strides: int[]) (off: int) (counts: int[]) (v: 'T) =
        let d = BufferPool.rent<'T> n
        if g.Length = 0 then Array.Fill(d, v)
        else
            fillOutside d strides off counts v
            writeStrided g d strides off counts
        d

    let stridedSliceGrad (shape: int[]) (starts: int[]) (steps: int[]) (counts: int[]) (g: RawTensor) =
        let off, strides = view shape starts steps counts
        let n = Shape.size shape
        let r: Array =
            match g.Data with
            | :? (float32[]) as s -> placeStrided s n strides off counts Unchecked.defaultof<_>
            | :? (float[]) as s -> placeStrided s n strides off counts Unchecked.defaultof<_>
            | :? (int[]) as s -> placeStrided s n strides off counts Unchecked.defaultof<_>
            | :? (int64[]) as s -> placeStrided s n strides off counts Unchecked.defaultof<_>
            | :? (bool[]) as s -> placeStrided s n strides off counts Unchecked.defaultof<_>
            | _ -> unsupported "StridedSliceGrad" g.DType "Float32, Float64, Int32, Int64 or Bool"
        RawTensor(g.DType, Array.copy shape, r)

    /// `t` placed at `starts` in a tensor of `shape` holding `value` (converted as Fill converts) elsewhere.
    let padConstant (shape: int[]) (starts: int[]) (value: float) (t: RawTensor) =
        let counts = t.Shape
        let off, strides = view shape starts (Array.create shape.Length 1) counts
        let n = Shape.size shape
        let r: Array =
            match t.Data with
            | :? (float32[]) as s -> placeStrided s n strides off counts (float32 value)
            | :? (float[]) as s -> placeStrided s n strides off counts value
            | :? (int[]) as s -> placeStrided s n strides off counts (int value)
            | :? (int64[]) as s -> placeStrided s n strides off counts (int64 value)
            | :? (bool[]) as s -> placeStrided s n strides off counts (value <> 0.0)
            | _ -> unsupported "Pad" t.DType "Float32, Float64, Int32, Int64 or Bool"
        RawTensor(t.DType, Array.copy shape, r)

    /// Visits every run of the last axis of `outShape` (which holds at least one element) with the row-major output
    /// offset k and the source offset of its first axes, sum over a < last of maps[a][i_a] * strides[a].
    let inline private eachRun (strides: int[]) (maps: int[][]) (outShape: int[]) ([<InlineIfLambda>] run: int -> int -> unit) =
        let rank = outShape.Length
        let n = Shape.size outShape
        let len = outShape.[rank - 1]
        let idx = Array.zeroCreate rank
        let mutable b = 0
        for a in 0 .. rank - 2 do b <- b + maps.[a].[0] * strides.[a]
        let mutable k = 0
        while k < n do
            run k b
            k <- k + len
            let mutable ax = rank - 2
            let mutable carry = true
            while carry && ax >= 0 do
                b <- b - maps.[ax].[idx.[ax]] * strides.[ax]
                idx.[ax] <- idx.[ax] + 1
                if idx.[ax] < outShape.[ax] then
                    b <- b + maps.[ax].[idx.[ax]] * strides.[ax]
                    carry <- false
                else
                    idx.[ax] <- 0
                    b <- b + maps.[ax].[0] * strides.[ax]
                    ax <- ax - 1

    /// The index maps of a gather/scatter over `srcShape` in runs: the trailing axes whose maps are the identity
    /// fold into blocks of `block` contiguous elements; the map of the last other axis L (the run axis) splits into
    /// runs of consecutive positions, each (output offset, source offset, length) in elements within a row of L,
    /// its source ascending (rev = false) or descending (rev = true, only for blocks of one element; the source
    /// offset is then that of the lowest position). Returns the leading maps (axes 0..L), the row shape
    /// (outShape[0..L-1] and the row length outShape[L] * block), the source strides of axes 0..L and the runs;
    /// L = -1 when every map is the identity.
    let private runs (srcShape: int[]) (maps: int[][]) : int * int[] * int[] * int[][] =
        let rank = maps.Length
        let isId (a: int) =
            let m = maps.[a]
            m.Length = srcShape.[a] && (let mutable ok = true in (for i in 0 .. m.Length - 1 do if m.[i] <> i then ok <- false); ok)
        let mutable t = rank
        while t > 0 && isId (t - 1) do t <- t - 1
        let mutable block = 1
        for a in t .. rank - 1 do block <- block * srcShape.[a]
        let l = t - 1
        if l < 0 then -1, ([||]: int[]), ([||]: int[]), ([||]: int[][])
        else
            let strides = (Shape.strides srcShape).[.. l]
            let m = maps.[l]
            let dOff = Collections.Generic.List<int>()
            let sOff = Collections.Generic.List<int>()
            let lens = Collections.Generic.List<int>()
            let revs = Collections.Generic.List<int>()
            let mutable j = 0
            while j < m.Length do
                let mutable e = j + 1
                if e < m.Length && m.[e] = m.[j] + 1 then
                    while e < m.Length && m.[e] = m.[e - 1] + 1 do e <- e + 1
                    dOff.Add(j * block); sOff.Add(m.[j] * block); lens.Add((e - j) * block); revs.Add 0
                elif block = 1 && e < m.Length && m.[e] = m.[j] - 1 then
                    while e < m.Length && m.[e] = m.[e - 1] - 1 do e <- e + 1
                    dOff.Add j; sOff.Add m.[e - 1]; lens.Add(e - j); revs.Add 1
                else
                    dOff.Add(j * block); sOff.Add(m.[j] * block); lens.Add block; revs.Add 0
                j <- e
            let rowShape = Array.init (l + 1) (fun a -> if a = l then m.Length * block else maps.[a].Length)
            l, rowShape, strides, [| dOff.ToArray(); sOff.ToArray(); lens.ToArray(); revs.ToArray() |]

    let private gatherAxesT (src: 'T[]) (dst: 'T[]) (srcShape: int[]) (maps: int[][]) =
        if dst.Length > 0 then
            let l, rowShape, strides, rs = runs srcShape maps
            if l < 0 then Array.Copy(src, dst, dst.Length)
            else
                let dOff, sOff, lens, revs = rs.[0], rs.[1], rs.[2], rs.[3]
                let nr = dOff.Length
                eachRun strides maps rowShape (fun k b ->
                    for q in 0 .. nr - 1 do
                        let d = k + dOff.[q]
                        let s = b + sOff.[q]
                        let len = lens.[q]
                        if len >= 16 then
                            Array.Copy(src, s, dst, d, len)
                            if revs.[q] = 1 then MemoryExtensions.Reverse(Span<'T>(dst, d, len))
                        elif revs.[q] = 1 then
                            for e in 0 .. len - 1 do dst.[d + e] <- src.[s + len - 1 - e]
                        else
                            for e in 0 .. len - 1 do dst.[d + e] <- src.[s + e])

    let inline private scatterAxesT (g: 'T[]) (dst: 'T[]) (srcShape: int[]) (maps: int[][]) =
        if g.Length > 0 then
            let l, rowShape, strides, rs = runs srcShape maps
            if l < 0 then
                for i in 0 .. g.Length - 1 do dst.[i] <- dst.[i] + g.[i]
            else
                let dOff, sOff, lens, revs = rs.[0], rs.[1], rs.[2], rs.[3]
                let nr = dOff.Length
                eachRun strides maps rowShape (fun k b ->
                    for q in 0 .. nr - 1 do
                        let d = k + dOff.[q]
                        let s = b + sOff.[q]
                        let len = lens.[q]
                        if revs.[q] = 1 then
                            for e in 0 .. len - 1 do dst.[s + len - 1 - e] <- dst.[s + len - 1 - e] + g.[d + e]
                        else
                            for e in 0 .. len - 1 do dst.[s + e] <- dst.[s + e] + g.[d + e])

    let gatherAxes (maps: int[][]) (t: RawTensor) =
        let outShape = maps |> Array.map Array.length
        let n = Shape.size outShape
        // zeroed, not uninitialised: with BufferPool.rent, Pad REFLECT of 1024 x 1024 Float64 ran about
        // 10x slower in the paired bench (4 runs each way; see bench/README.md)
        let r: Array =
            match t.Data with
            | :? (float32[]) as s -> let d = Array.zeroCreate<float32> n in gatherAxesT s d t.Shape maps; d
            | :? (float[]) as s -> let d = Array.zeroCreate<float> n in gatherAxesT s d t.Shape maps; d
            | :? (int[]) as s -> let d = Array.zeroCreate<int> n in gatherAxesT s d t.Shape maps; d
            | :? (int64[]) as s -> let d = Array.zeroCreate<int64> n in gatherAxesT s d t.Shape maps; d
            | :? (bool[]) as s -> let d = Array.zeroCreate<bool> n in gatherAxesT s d t.Shape maps; d
            | _ -> unsupported "GatherAxes" t.DType "Float32, Float64, Int32, Int64 or Bool"
        RawTensor(t.DType, outShape, r)

    let scatterAxes (shape: int[]) (maps: int[][]) (g: RawTensor) =
        let n = Shape.size shape
        let r: Array =
            match g.Data with
            | :? (float32[]) as s -> let d = Array.zeroCreate<float32> n in scatterAxesT s d shape maps; d
            | :? (float[]) as s -> let d = Array.zeroCreate<float> n in scatterAxesT s d shape maps; d
            | :? (int[]) as s -> let d = Array.zeroCreate<int> n in scatterAxesT s d shape maps; d
            | :? (int64[]) as s -> let d = Array.zeroCreate<int64> n in scatterAxesT s d shape maps; d
            | _ -> unsupported "ScatterAxes" g.DType "Float32, Float64, Int32 or Int64"
        RawTensor(g.DType, Array.copy shape, r)

    /// Integer index data as int64 (Int32 or Int64 tensors), or an ArgumentException naming the op.
    let indexData (op: string) (what: string) (indices: RawTensor) : int64[] =
        match indices.Data with
        | :? (int[]) as a -> Array.map int64 a
        | :? (int64[]) as a -> a
        | _ -> invalidArg what (sprintf "%s: %s have dtype %s; expected Int32 or Int64" op what (dtypeName indices.DType))

    /// Zeros of `shape` (n rows of `inner` elements) with row j of `updates` added at row idx[j] (integer dtypes).
    let scatterAddRows (dtype: DType) (shape: int[]) (idx: int[]) (inner: int) (updates: RawTensor) =
        let r = zeros dtype shape
        match updates.Data, r.Data with
        | (:? (int[]) as s), (:? (int[]) as d) ->
            for j in 0 .. idx.Length - 1 do
                for e in 0 .. inner - 1 do d.[idx.[j] * inner + e] <- d.[idx.[j] * inner + e] + s.[j * inner + e]
        | (:? (int64[]) as s), (:? (int64[]) as d) ->
            for j in 0 .. idx.Length - 1 do
                for e in 0 .. inner - 1 do d.[idx.[j] * inner + e] <- d.[idx.[j] * inner + e] + s.[j * inner + e]
        | _ -> unsupported "ScatterNd" dtype "Float32, Float64, Int32 or Int64"
        r

let private fail (op: string) (msg: string) : 'a = invalidArg "x" (op + ": " + msg)

// ------------------------------------------------------------------ the strided-slice primitive pair

/// The normalised view of a strided slice: per input axis the first index, the step (non-zero) and the count.
let rec private stridedPrim (starts: int[]) (steps: int[]) (counts: int[]) (x: Tensor) : Tensor =
    if Shape.equal counts x.Shape && Array.forall (fun s -> s = 0) starts && Array.forall (fun s -> s = 1) steps then x
    else
        unary { new UnaryPrim("StridedSlice") with
                  member _.Kernel r = Kernels.stridedSlice starts steps counts r
                  member _.Jvp(_, _, dx) = stridedPrim starts steps counts dx
                  member _.Vjp(x, _, g) = stridedGradPrim x.Shape starts steps counts g } x

/// The adjoint of `stridedPrim`: zeros of `shape` with g written at the view's positions.
and private stridedGradPrim (shape: int[]) (starts: int[]) (steps: int[]) (counts: int[]) (g: Tensor) : Tensor =
    if Shape.equal counts shape && Array.forall (fun s -> s = 0) starts && Array.forall (fun s -> s = 1) steps then g
    else
        unary { new UnaryPrim("StridedSliceGrad") with
                  member _.Kernel r = Kernels.stridedSliceGrad shape starts steps counts r
                  member _.Jvp(_, _, dg) = stridedGradPrim shape starts steps counts dg
                  member _.Vjp(_, _, gy) = stridedPrim starts steps counts gy } g

/// x placed at `starts` in a tensor of `shape` holding `value` elsewhere (Pad CONSTANT), in one pass. d = the tangent
/// padded with zeros; the adjoint is g's slice at `starts`.
let private padConstPrim (shape: int[]) (starts: int[]) (value: float) (x: Tensor) : Tensor =
    let ones = Array.create shape.Length 1
    unary { new UnaryPrim("PadConstant") with
              member _.Kernel r = Kernels.padConstant shape starts value r
              member _.Jvp(_, _, dx) = stridedGradPrim shape starts ones dx.Shape dx
              member _.Vjp(x, _, g) = stridedPrim starts ones x.Shape g } x

/// Result[i_0, ..., i_n] = x[maps[0][i_0], ..., maps[n][i_n]]: one index map per axis (mirror padding, rolls), in one pass.
let rec private gatherAxesPrim (maps: int[][]) (x: Tensor) : Tensor =
    unary { new UnaryPrim("GatherAxes") with
              member _.Kernel r = Kernels.gatherAxes maps r
              member _.Jvp(_, _, dx) = gatherAxesPrim maps dx
              member _.Vjp(x, _, g) = scatterAxesPrim x.Shape maps g } x

/// The adjoint of `gatherAxesPrim`: zeros of `shape`, each element of g added at the position its maps name.
and private scatterAxesPrim (shape: int[]) (maps: int[][]) (g: Tensor) : Tensor =
    unary { new UnaryPrim("ScatterAxes") with
              member _.Kernel r = Kernels.scatterAxes shape maps r
              member _.Jvp(_, _, dg) = scatterAxesPrim shape maps dg
              member _.Vjp(_, _, gy) = gatherAxesPrim maps gy } g

let private bit (mask: int) (i: int) = i < 32 && (mask >>> i) &&& 1 = 1

let stridedSlice (beginIdx: int[]) (endIdx: int[]) (strides: int[]) (beginMask: int) (endMask: int)
                 (ellipsisMask: int) (newAxisMask: int) (shrinkAxisMask: int) (x: Tensor) : Tensor =
    let op = "StridedSlice"
    let shape = x.Shape
    let rank = shape.Length
    if isNull beginIdx || isNull endIdx then fail op "begin and end must not be null"
    let n = beginIdx.Length
    let strides = if isNull strides then Array.create n 1 else strides
    if endIdx.Length <> n || strides.Length <> n then
        fail op (sprintf "begin %s, end %s and strides %s must have the same length" (Shape.format beginIdx) (Shape.format endIdx) (Shape.format strides))
    if n > 32 then fail op (sprintf "%d slice entries given; expected at most 32 (the masks are 32-bit)" n)
    let ellipses = [ for i in 0 .. n - 1 do if bit ellipsisMask i then yield i ]
    if ellipses.Length > 1 then fail op (sprintf "ellipsis mask %d has %d bits set; expected at most one ellipsis" ellipsisMask ellipses.Length)
    // dense per-axis entries: (begin, end, stride, beginMasked, endMasked, shrink) ; None = the full axis
    let dense: (int * int * int * bool * bool * bool) option[] = Array.create rank None
    // the output layout: for each output axis, Choice1Of2 dense axis (kept) or Choice2Of2 () (new axis)
    let layout = Collections.Generic.List<Choice<int, unit>>()
    let consumes i = not (bit ellipsisMask i) && not (bit newAxisMask i)
    let consumed = [ for i in 0 .. n - 1 do if consumes i then yield i ] |> List.length
    let hasEllipsis = not ellipses.IsEmpty
    if consumed > rank then
        fail op (sprintf "%d indexed axes (begin %s) for a tensor of shape %s (rank %d); expected at most %d" consumed (Shape.format beginIdx) (Shape.format shape) rank rank)
    let mutable d = 0
    for i in 0 .. n - 1 do
        if bit ellipsisMask i then
            let after = [ for j in i + 1 .. n - 1 do if consumes j then yield j ] |> List.length
            let stop = rank - after
            while d < stop do
                layout.Add(Choice1Of2 d)
                d <- d + 1
        elif bit newAxisMask i then layout.Add(Choice2Of2())
        else
            if strides.[i] = 0 then fail op (sprintf "stride at entry %d is 0; expected a non-zero stride" i)
            let shrink = bit shrinkAxisMask i
            dense.[d] <- Some(beginIdx.[i], endIdx.[i], strides.[i], bit beginMask i, bit endMask i, shrink)
            if not shrink then layout.Add(Choice1Of2 d)
            d <- d + 1
    if not hasEllipsis then
        while d < rank do
            layout.Add(Choice1Of2 d)
            d <- d + 1
    let starts = Array.zeroCreate rank
    let steps = Array.create rank 1
    let counts = Array.copy shape
    for a in 0 .. rank - 1 do
        match dense.[a] with
        | None -> ()
        | Some(b, e, s, bm, em, shrink) ->
            let dim = shape.[a]
            if shrink then
                let i = if b < 0 then int64 b + int64 dim else int64 b
                if i < 0L || i >= int64 dim then
                    raise (IndexOutOfRangeException(sprintf "%s: index %d is out of range for axis %d of extent %d (shape %s); expected %d <= index < %d"
                                                            op b a dim (Shape.format shape) (-dim) dim))
                starts.[a] <- int i
                counts.[a] <- 1
            else
                // Python's clamping: [0, dim] going forward, [-1, dim - 1] going backward
                let canon (v: int) =
                    let v = if v < 0 then int64 v + int64 dim else int64 v
                    if s > 0 then max 0L (min (int64 dim) v) else max -1L (min (int64 dim - 1L) v)
                let b' = if bm then (if s > 0 then 0L else int64 dim - 1L) else canon b
                let e' = if em then (if s > 0 then int64 dim else -1L) else canon e
                let s64 = int64 s
                let count =
                    if s > 0 then (if e' > b' then (e' - b' + s64 - 1L) / s64 else 0L)
                    else (if b' > e' then (b' - e' - s64 - 1L) / (-s64) else 0L)
                starts.[a] <- (if count = 0L then 0 else int b')
                steps.[a] <- s
                counts.[a] <- int count
    let sliced = stridedPrim starts steps counts x
    let outShape = layout |> Seq.map (function Choice1Of2 a -> counts.[a] | Choice2Of2 () -> 1) |> Array.ofSeq
    Layout.reshape outShape sliced

let reverse (axes: int[]) (x: Tensor) : Tensor =
    let rank = x.Rank
    let axes = if isNull axes then [||] else axes
    let norm = axes |> Array.map (fun a -> Shape.normAxis "Reverse" rank a)
    if (Array.distinct norm).Length <> norm.Length then
        fail "Reverse" (sprintf "axes %s name an axis twice; expected distinct axes of a tensor of rank %d" (Shape.format axes) rank)
    let shape = x.Shape
    let starts = Array.zeroCreate rank
    let steps = Array.create rank 1
    for a in norm do
        if shape.[a] > 0 then
            starts.[a] <- shape.[a] - 1
            steps.[a] <- -1
    stridedPrim starts steps (Array.copy shape) x

/// A strided view along one axis (the others whole).
let private alongAxis (a: int) (start: int) (step: int) (count: int) (x: Tensor) =
    let rank = x.Rank
    let starts = Array.zeroCreate rank
    let steps = Array.create rank 1
    let counts = Array.copy x.Shape
    starts.[a] <- (if count = 0 then 0 else start)
    steps.[a] <- step
    counts.[a] <- count
    stridedPrim starts steps counts x

// ------------------------------------------------------------------ tile, pad, broadcast

let tile (multiples: int[]) (x: Tensor) : Tensor =
    let shape = x.Shape
    let rank = shape.Length
    if isNull multiples || multiples.Length <> rank then
        fail "Tile" (sprintf "multiples %s must have one entry per axis of shape %s" (if isNull multiples then "null" else Shape.format multiples) (Shape.format shape))
    if multiples |> Array.exists (fun m -> m < 0) then
        fail "Tile" (sprintf "multiples %s for shape %s has a negative entry; expected entries >= 0" (Shape.format multiples) (Shape.format shape))
    let out = Array.init rank (fun i -> int64 shape.[i] * int64 multiples.[i])
    if out |> Array.exists (fun d -> d > int64 Int32.MaxValue) || Shape.trySize (Array.map int out) < 0 then
        fail "Tile" (sprintf "tiling shape %s by %s gives more than Array.MaxLength (%d) elements; tensors above Array.MaxLength elements are out of scope"
                             (Shape.format shape) (Shape.format multiples) Shape.maxElements)
    if Array.forall (fun m -> m = 1) multiples then x
    else
        let interleaved = Array.init (2 * rank) (fun i -> if i % 2 = 0 then 1 else shape.[i / 2])
        let target = Array.init (2 * rank) (fun i -> if i % 2 = 0 then multiples.[i / 2] else shape.[i / 2])
        x |> Layout.reshape interleaved |> broadcastTo target |> Layout.reshape (Array.map int out)

let private checkPaddings (op: string) (shape: int[]) (paddings: int[,]) =
    let rank = shape.Length
    if isNull paddings || Array2D.length1 paddings <> rank || Array2D.length2 paddings <> 2 then
        fail op (sprintf "paddings of shape %s for a tensor of shape %s; expected shape [%d, 2]"
                         (if isNull paddings then "null" else Shape.format [| Array2D.length1 paddings; Array2D.length2 paddings |]) (Shape.format shape) rank)
    for a in 0 .. rank - 1 do
        for k in 0 .. 1 do
            if paddings.[a, k] < 0 then
                fail op (sprintf "paddings[%d, %d] is %d for shape %s; expected paddings >= 0" a k paddings.[a, k] (Shape.format shape))
    let out = Array.init rank (fun a -> int64 shape.[a] + int64 paddings.[a, 0] + int64 paddings.[a, 1])
    if out |> Array.exists (fun d -> d > int64 Int32.MaxValue) || Shape.trySize (Array.map int out) < 0 then
        fail op (sprintf "padding shape %s gives more than Array.MaxLength (%d) elements; tensors above Array.MaxLength elements are out of scope" (Shape.format shape) Shape.maxElements)
    Array.map int out

let pad (paddings: int[,]) (mode: string) (constantValue: float) (x: Tensor) : Tensor =
    let op = "Pad"
    let shape = x.Shape
    let rank = shape.Length
    let mode = if isNull mode then "CONSTANT" else mode.ToUpperInvariant()
    let out = checkPaddings op shape paddings
    match mode with
    | "CONSTANT" ->
        if BitConverter.DoubleToInt64Bits constantValue <> 0L && not x.IsFloat
           && (constantValue <> Math.Round constantValue || Double.IsInfinity constantValue) then
            fail op (sprintf "constant value %g cannot be held by a %A tensor" constantValue x.DType)
        if Shape.equal out shape then x
        else padConstPrim out (Array.init rank (fun a -> paddings.[a, 0])) constantValue x
    | "REFLECT" | "SYMMETRIC" ->
        let reflect = mode = "REFLECT"
        let maps =
            Array.init rank (fun a ->
                let d = shape.[a]
                let p0, p1 = paddings.[a, 0], paddings.[a, 1]
                let limit = if reflect then d - 1 else d
                if p0 > limit || p1 > limit then
                    fail op (sprintf "paddings [%d, %d] at axis %d of shape %s are too large for mode %s; expected paddings <= %d (the extent%s)"
                                     p0 p1 a (Shape.format shape) mode limit (if reflect then " minus 1" else ""))
                Array.init out.[a] (fun i ->
                    let j = i - p0
                    if j < 0 then (if reflect then -j else -j - 1)
                    elif j >= d then (if reflect then 2 * (d - 1) - j else 2 * d - 1 - j)
                    else j))
        if Shape.equal out shape then x else gatherAxesPrim maps x
    | _ -> fail op (sprintf "mode %s is not supported; expected CONSTANT, REFLECT or SYMMETRIC" mode)

// ------------------------------------------------------------------ split, unstack, roll

let splitSizes (sizes: int[]) (axis: int) (x: Tensor) : Tensor[] =
    let op = "Split"
    if x.Rank = 0 then fail op "cannot split a scalar; expected a tensor of rank >= 1"
    let a = Shape.normAxis op x.Rank axis
    let d = x.Shape.[a]
    if isNull sizes || sizes.Length = 0 then fail op "size splits are empty; expected at least one size"
    let unknown = sizes |> Array.filter (fun s -> s = -1) |> Array.length
    if unknown > 1 || sizes |> Array.exists (fun s -> s < -1) then
        fail op (sprintf "size splits %s; expected sizes >= 0 with at most one -1" (Shape.format sizes))
    let known = sizes |> Array.sumBy (fun s -> if s = -1 then 0L else int64 s)
    let sizes =
        if unknown = 1 then
            if known > int64 d then
                fail op (sprintf "size splits %s sum to %d, more than extent %d of axis %d (shape %s)" (Shape.format sizes) known d a (Shape.format x.Shape))
            sizes |> Array.map (fun s -> if s = -1 then d - int known else s)
        else
            if known <> int64 d then
                fail op (sprintf "size splits %s sum to %d; expected the extent %d of axis %d (shape %s)" (Shape.format sizes) known d a (Shape.format x.Shape))
            sizes
    let offsets = Array.scan (+) 0 sizes
    sizes |> Array.mapi (fun i s ->
        let start = Array.zeroCreate x.Rank
        start.[a] <- offsets.[i]
        let size = Array.copy x.Shape
        size.[a] <- s
        Layout.slice start size x)

let split (num: int) (axis: int) (x: Tensor) : Tensor[] =
    let op = "Split"
    if x.Rank = 0 then fail op "cannot split a scalar; expected a tensor of rank >= 1"
    let a = Shape.normAxis op x.Rank axis
    let d = x.Shape.[a]
    if num <= 0 then fail op (sprintf "num_split is %d; expected a positive count" num)
    if d % num <> 0 then
        fail op (sprintf "extent %d of axis %d (shape %s) is not divisible by num_split %d" d a (Shape.format x.Shape) num)
    splitSizes (Array.create num (d / num)) a x

let unstack (num: int option) (axis: int) (x: Tensor) : Tensor[] =
    let op = "Unstack"
    if x.Rank = 0 then fail op "cannot unstack a scalar; expected a tensor of rank >= 1"
    let a = Shape.normAxis op x.Rank axis
    let d = x.Shape.[a]
    match num with
    | Some k when k <> d -> fail op (sprintf "num is %d but axis %d of shape %s has extent %d" k a (Shape.format x.Shape) d)
    | _ -> ()
    let rest = Array.append x.Shape.[.. a - 1] x.Shape.[a + 1 ..]
    Array.init d (fun i -> alongAxis a i 1 1 x |> Layout.reshape rest)

let roll (shift: int[]) (axis: int[]) (x: Tensor) : Tensor =
    let op = "Roll"
    if isNull shift || isNull axis || shift.Length <> axis.Length then
        fail op (sprintf "shift %s and axis %s must have the same length" (if isNull shift then "null" else Shape.format shift) (if isNull axis then "null" else Shape.format axis))
    let rank = x.Rank
    let total = Array.zeroCreate<int64> rank
    for i in 0 .. axis.Length - 1 do
        let a = Shape.normAxis op rank axis.[i]
        total.[a] <- total.[a] + int64 shift.[i]
    if Array.forall (fun t -> t = 0L) total || x.Size = 0 then x
    else
        let shape = x.Shape
        let maps = Array.init rank (fun a ->
            let d = shape.[a]
            let s = int (((total.[a] % int64 d) + int64 d) % int64 d)
            Array.init d (fun i -> (i - s + d) % d))
        if maps |> Array.forall (fun m -> m |> Array.indexed |> Array.forall (fun (i, v) -> i = v)) then x
        else gatherAxesPrim maps x

// ------------------------------------------------------------------ gather_nd, scatter_nd, boolean mask

/// Flat row indices of the k-tuples in `indices` (last axis k) into `shape`'s leading k axes, checked.
let private flatRows (op: string) (indices: Tensor) (shape: int[]) =
    if indices.Rank = 0 then fail op "indices are a scalar; expected rank >= 1 (the last axis holds each index tuple)"
    let k = indices.Shape.[indices.Rank - 1]
    if k > shape.Length then
        fail op (sprintf "indices of shape %s index %d axes of shape %s (rank %d); expected indices.shape[-1] <= %d" (Shape.format indices.Shape) k (Shape.format shape) shape.Length shape.Length)
    let data = Kernels.indexData op "indices" indices.Raw
    let m = if k = 0 then Shape.size indices.Shape.[.. indices.Rank - 2] else data.Length / k
    let rows = Array.zeroCreate m
    for j in 0 .. m - 1 do
        let mutable flat = 0
        for c in 0 .. k - 1 do
            let v = data.[j * k + c]
            if v < 0L || v >= int64 shape.[c] then
                let tuple = "[" + String.Join(", ", data.[j * k .. j * k + k - 1]) + "]"
                fail op (sprintf "index %s (entry %d of indices) is out of range for shape %s at axis %d; expected 0 <= index < %d" tuple j (Shape.format shape) c shape.[c])
            flat <- flat * shape.[c] + int v
        rows.[j] <- flat
    k, rows

let private intTensor (shape: int[]) (data: int[]) = constant (Storage.ofArray shape data)

let gatherNd (indices: Tensor) (x: Tensor) : Tensor =
    let op = "GatherNd"
    let k, rows = flatRows op indices x.Shape
    let batch = indices.Shape.[.. indices.Rank - 2]
    let rest = x.Shape.[k ..]
    let n = Shape.size x.Shape.[.. k - 1]
    let outShape = Array.append batch rest
    if Shape.trySize outShape < 0 then
        fail op (sprintf "indices of shape %s into shape %s give shape %s, more than Array.MaxLength (%d) elements" (Shape.format indices.Shape) (Shape.format x.Shape) (Shape.format outShape) Shape.maxElements)
    let flat = Layout.reshape (Array.append [| n |] rest) x
    Layout.gather 0 (intTensor batch rows) flat

let scatterNd (indices: Tensor) (updates: Tensor) (shape: int[]) : Tensor =
    let op = "ScatterNd"
    if isNull shape || shape |> Array.exists (fun d -> d < 0) then
        fail op (sprintf "shape %s; expected non-negative extents" (if isNull shape then "null" else Shape.format shape))
    Shape.checkedSize op shape |> ignore
    let k, rows = flatRows op indices shape
    let batch = indices.Shape.[.. indices.Rank - 2]
    let rest = shape.[k ..]
    let expected = Array.append batch rest
    if not (Shape.equal updates.Shape expected) then
        fail op (sprintf "updates have shape %s; expected indices.shape[:-1] + shape[%d:] = %s (indices %s, shape %s)"
                         (Shape.format updates.Shape) k (Shape.format expected) (Shape.format indices.Shape) (Shape.format shape))
    let n = Shape.size shape.[.. k - 1]
    let m = rows.Length
    let u = Layout.reshape (Array.append [| m |] rest) updates
    match updates.DType with
    | DType.Float32 | DType.Float64 ->
        Layout.scatterAdd 0 (intTensor [| m |] rows) n u |> Layout.reshape shape
    | DType.Int32 | DType.Int64 ->
        constant (Kernels.scatterAddRows updates.DType shape rows (Shape.size rest) updates.Raw)
    | d -> fail op (sprintf "updates have dtype %A; expected Float32, Float64, Int32 or Int64" d)

let tensorScatterNdUpdate (indices: Tensor) (updates: Tensor) (x: Tensor) : Tensor =
    let op = "TensorScatterNdUpdate"
    if updates.DType <> x.DType then
        fail op (sprintf "tensor has dtype %A and updates %A; expected one dtype" x.DType updates.DType)
    let k, rows = flatRows op indices x.Shape
    let batch = indices.Shape.[.. indices.Rank - 2]
    let rest = x.Shape.[k ..]
    let expected = Array.append batch rest
    if not (Shape.equal updates.Shape expected) then
        fail op (sprintf "updates have shape %s; expected indices.shape[:-1] + tensor.shape[%d:] = %s (indices %s, tensor %s)"
                         (Shape.format updates.Shape) k (Shape.format expected) (Shape.format indices.Shape) (Shape.format x.Shape))
    let n = Shape.size x.Shape.[.. k - 1]
    let m = rows.Length
    if m = 0 then x
    else
        // each row of the result from the tensor (r) or from the last update naming it (n + j)
        let source = Array.init n id
        rows |> Array.iteri (fun j r -> source.[r] <- n + j)
        let both = Layout.concat 0 [| Layout.reshape (Array.append [| n |] rest) x; Layout.reshape (Array.append [| m |] rest) updates |]
        Layout.gather 0 (intTensor [| n |] source) both |> Layout.reshape x.Shape

let booleanMask (mask: Tensor) (axis: int) (x: Tensor) : Tensor =
    let op = "BooleanMask"
    if mask.DType <> DType.Bool then fail op (sprintf "mask has dtype %A; expected Bool" mask.DType)
    let k = mask.Rank
    if k = 0 then fail op "mask is a scalar; expected a mask of rank >= 1"
    let rank = x.Rank
    let a = if axis < 0 then axis + rank else axis
    if a < 0 || a + k > rank then
        fail op (sprintf "a mask of shape %s at axis %d does not fit a tensor of shape %s; expected 0 <= axis and axis + mask rank <= %d" (Shape.format mask.Shape) axis (Shape.format x.Shape) rank)
    if not (Shape.equal mask.Shape x.Shape.[a .. a + k - 1]) then
        fail op (sprintf "mask of shape %s does not match shape %s of the tensor's axes %d to %d (tensor shape %s)"
                         (Shape.format mask.Shape) (Shape.format x.Shape.[a .. a + k - 1]) a (a + k - 1) (Shape.format x.Shape))
    let m = mask.Raw.Data :?> bool[]
    let picked = [| for i in 0 .. m.Length - 1 do if m.[i] then yield i |]
    let folded = Array.concat [ x.Shape.[.. a - 1]; [| m.Length |]; x.Shape.[a + k ..] ]
    Layout.gather a (intTensor [| picked.Length |] picked) (Layout.reshape folded x)

let shapeOf (dtype: DType) (x: Tensor) : Tensor =
    match dtype with
    | DType.Int32 -> constant (Storage.ofArray [| x.Rank |] (Array.copy x.Shape))
    | DType.Int64 -> constant (Storage.ofArray [| x.Rank |] (Array.map int64 x.Shape))
    | d -> invalidArg "outType" (sprintf "Shape: out_type %A is not supported; expected Int32 or Int64" d)
