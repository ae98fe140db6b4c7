module Nabla.Core.Conv

open System
open Nabla.Core.Combinators
open Nabla.Core.Layout

/// Where one convolution reads and writes, in NHWC: input [N, H, W, C], filter [KH, KW, C / Groups, OC], output
/// [N, OH, OW, OC]; output pixel (oh, ow) reads input rows oh SH + kh DH - PT and columns ow SW + kw DW - PL.
/// Groups > 1 is TF's grouped convolution (input depth a multiple of the filter's) and the depthwise convolution.
type internal ConvGeometry =
    { N: int; H: int; W: int; C: int
      KH: int; KW: int; OC: int; Groups: int
      SH: int; SW: int; DH: int; DW: int
      PT: int; PL: int; OH: int; OW: int }
    member g.InShape = [| g.N; g.H; g.W; g.C |]
    member g.OutShape = [| g.N; g.OH; g.OW; g.OC |]
    member g.FilterShape = [| g.KH; g.KW; g.C / g.Groups; g.OC |]

/// Where one pooling window reads, in NHWC: input [N, H, W, C], window KH x KW, output [N, OH, OW, C].
type internal PoolGeometry =
    { PN: int; PH: int; PW: int; PC: int
      PKH: int; PKW: int; PSH: int; PSW: int
      PPT: int; PPL: int; POH: int; POW: int }
    member g.InShape = [| g.PN; g.PH; g.PW; g.PC |]
    member g.OutShape = [| g.PN; g.POH; g.POW; g.PC |]

/// The kernels over NHWC arrays: im2col and its adjoint col2im around the provider's GEMM for ungrouped
/// convolutions, direct loops for grouped (depthwise) ones, the max-pool argmax and the average pool.
module private Kernels =
    open System.Numerics.Tensors
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage

    /// Runs `body i` for i in [0, count) on the kernel threads when `work` (multiply-adds or copies) is large.
    let forBatch (count: int) (work: int64) (body: int -> unit) =
        let threads = min MathNet.Numerics.Control.MaxDegreeOfParallelism count
        if threads <= 1 || work < (1L <<< 17) then
            for i in 0 .. count - 1 do body i
        else KernelThreads.run threads count body

    /// The valid filter taps [k0, k1) along one axis for output position o (input index o s + k d - p in [0, n)).
    let inline taps (o: int) (s: int) (d: int) (p: int) (n: int) (k: int) =
        let start = o * s - p
        // smallest k with start + k d >= 0; largest k with start + k d < n
        let k0 = if start >= 0 then 0 else (-start + d - 1) / d
        let k1 = if start >= n then 0 else min k ((n - 1 - start) / d + 1)
        struct (k0, max k0 k1)

    /// Images per patch matrix: at most `chunkElements` elements in one (at least one image), so that a large batch
    /// is done in parts with a bounded scratch matrix and no index overflows.
    /// 2^20 (4 MiB of Float32): a patch matrix well inside the GC's young generation (16 MiB tensors, see
    /// bench/README.md) and reused from part to part; the whole batch as one matrix of 19 MB (8 images of 64 x 64 x 16,
    /// 3x3 filters) went to the large object heap and made a forward and backward pass 5-10x slower on a loaded machine.
    let chunkElements = 1L <<< 20
    let imagesPerChunk (g: ConvGeometry) =
        let perImage = max 1L (int64 g.OH * int64 g.OW * int64 (g.KH * g.KW * g.C))
        int (max 1L (min (int64 g.N) (chunkElements / perImage)))

    /// The patch matrix [count OH OW, KH KW C] of images n0 .. n0 + count - 1 of an ungrouped convolution: row p holds
    /// the input under output pixel p, zeros where the window lies in the padding.
    let im2col (g: ConvGeometry) (n0: int) (count: int) (x: 'T[]) (reuse: 'T[]) : 'T[] =
        let k = g.KH * g.KW * g.C
        // rows whose window lies wholly inside the input are written whole; the others are cleared first, so a
        // buffer of the right length from the previous part is overwritten entirely
        let len = count * g.OH * g.OW * k
        let cols: 'T[] = if not (isNull reuse) && reuse.Length = len then reuse else BufferPool.rent len
        forBatch count (int64 cols.Length) (fun r ->
            let n = n0 + r
            for oh in 0 .. g.OH - 1 do
                let struct (kh0, kh1) = taps oh g.SH g.DH g.PT g.H g.KH
                for ow in 0 .. g.OW - 1 do
                    let struct (kw0, kw1) = taps ow g.SW g.DW g.PL g.W g.KW
                    let row = ((r * g.OH + oh) * g.OW + ow) * k
                    if kh0 <> 0 || kh1 <> g.KH || kw0 <> 0 || kw1 <> g.KW then Span(cols, row, k).Clear()
                    for kh in kh0 .. kh1 - 1 do
                        let ih = oh * g.SH + kh * g.DH - g.PT
                        if g.DW = 1 then
                            // the valid taps of one filter row are one contiguous run in both arrays
                            let iw = ow * g.SW + kw0 - g.PL
                            let len = (kw1 - kw0) * g.C
                            if len > 0 then
                                ReadOnlySpan(x, ((n * g.H + ih) * g.W + iw) * g.C, len)
                                    .CopyTo(Span(cols, row + (kh * g.KW + kw0) * g.C, len))
                        else
                            for kw in kw0 .. kw1 - 1 do
                                let iw = ow * g.SW + kw * g.DW - g.PL
                                ReadOnlySpan(x, ((n * g.H + ih) * g.W + iw) * g.C, g.C)
                                    .CopyTo(Span(cols, row + (kh * g.KW + kw) * g.C, g.C)))
        cols

    /// The adjoint of im2col: every patch row of images n0 .. n0 + count - 1 added back into dx (input-shaped).
    let col2im (g: ConvGeometry) (n0: int) (count: int) (cols: 'T[]) (addInto: 'T[] -> int -> 'T[] -> int -> int -> unit) (dx: 'T[]) =
        let k = g.KH * g.KW * g.C
        forBatch count (int64 cols.Length) (fun r ->
            let n = n0 + r
            for oh in 0 .. g.OH - 1 do
                let struct (kh0, kh1) = taps oh g.SH g.DH g.PT g.H g.KH
                for ow in 0 .. g.OW - 1 do
                    let struct (kw0, kw1) = taps ow g.SW g.DW g.PL g.W g.KW
                    let row = ((r * g.OH + oh) * g.OW + ow) * k
                    for kh in kh0 .. kh1 - 1 do
                        let ih = oh * g.SH + kh * g.DH - g.PT
                        if g.DW = 1 then
                            let iw = ow * g.SW + kw0 - g.PL
                            let len = (kw1 - kw0) * g.C
                            if len > 0 then addInto cols (row + (kh * g.KW + kw0) * g.C) dx (((n * g.H + ih) * g.W + iw) * g.C) len
                        else
                            for kw in kw0 .. kw1 - 1 do
                                let iw = ow * g.SW + kw * g.DW - g.PL
                                addInto cols (row + (kh * g.KW + kw) * g.C) dx (((n * g.H + ih) * g.W + iw) * g.C) g.C)

    let private addF32 (s: float32[]) (so: int) (d: float32[]) (dO: int) (n: int) =
        TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n))
    let private addF64 (s: float[]) (so: int) (d: float[]) (dO: int) (n: int) =
        TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n))

    /// Visits every (input pixel, filter tap, output pixel) triple of image n: `f xo wo yo` with xo the offset of
    /// the input pixel's channels, wo of the tap's filter row block (kh KW + kw) (C / Groups) OC, yo of the output
    /// pixel's channels.
    let inline private eachTap (g: ConvGeometry) (n: int) ([<InlineIfLambda>] f: int -> int -> int -> unit) =
        let cinG = g.C / g.Groups
        for oh in 0 .. g.OH - 1 do
            let struct (kh0, kh1) = taps oh g.SH g.DH g.PT g.H g.KH
            for ow in 0 .. g.OW - 1 do
                let struct (kw0, kw1) = taps ow g.SW g.DW g.PL g.W g.KW
                let yo = ((n * g.OH + oh) * g.OW + ow) * g.OC
                for kh in kh0 .. kh1 - 1 do
                    let ih = oh * g.SH + kh * g.DH - g.PT
                    for kw in kw0 .. kw1 - 1 do
                        let iw = ow * g.SW + kw * g.DW - g.PL
                        f (((n * g.H + ih) * g.W + iw) * g.C) ((kh * g.KW + kw) * cinG * g.OC) yo

    /// Grouped convolution, direct loops: y[.., gr coutG + o] += x[.., gr cinG + ci] w[kh, kw, ci, gr coutG + o].
    let inline directForward (g: ConvGeometry) (x: ^T[]) (w: ^T[]) : ^T[] =
        let cinG, coutG = g.C / g.Groups, g.OC / g.Groups
        let y: ^T[] = BufferPool.rentZeroed (g.N * g.OH * g.OW * g.OC)
        forBatch g.N (int64 y.Length * int64 (g.KH * g.KW * cinG)) (fun n ->
            eachTap g n (fun xo wo yo ->
                for gr in 0 .. g.Groups - 1 do
                    for ci in 0 .. cinG - 1 do
                        let xv = x.[xo + gr * cinG + ci]
                        let wr = wo + ci * g.OC + gr * coutG
                        let yr = yo + gr * coutG
                        for o in 0 .. coutG - 1 do y.[yr + o] <- y.[yr + o] + xv * w.[wr + o]))
        y

    /// The input adjoint of a grouped convolution, direct loops.
    let inline directInput (g: ConvGeometry) (gy: ^T[]) (w: ^T[]) : ^T[] =
        let cinG, coutG = g.C / g.Groups, g.OC / g.Groups
        let dx: ^T[] = BufferPool.rentZeroed (g.N * g.H * g.W * g.C)
        forBatch g.N (int64 gy.Length * int64 (g.KH * g.KW * cinG)) (fun n ->
            eachTap g n (fun xo wo yo ->
                for gr in 0 .. g.Groups - 1 do
                    for ci in 0 .. cinG - 1 do
                        let wr = wo + ci * g.OC + gr * coutG
                        let yr = yo + gr * coutG
                        let mutable s = LanguagePrimitives.GenericZero< ^T >
                        for o in 0 .. coutG - 1 do s <- s + gy.[yr + o] * w.[wr + o]
                        dx.[xo + gr * cinG + ci] <- dx.[xo + gr * cinG + ci] + s))
        dx

    /// The filter adjoint of a grouped convolution, direct loops (sequential over the batch: every image adds into
    /// the one filter).
    let inline directFilter (g: ConvGeometry) (x: ^T[]) (gy: ^T[]) : ^T[] =
        let cinG, coutG = g.C / g.Groups, g.OC / g.Groups
        let dw: ^T[] = BufferPool.rentZeroed (g.KH * g.KW * cinG * g.OC)
        for n in 0 .. g.N - 1 do
            eachTap g n (fun xo wo yo ->
                for gr in 0 .. g.Groups - 1 do
                    for ci in 0 .. cinG - 1 do
                        let xv = x.[xo + gr * cinG + ci]
                        let wr = wo + ci * g.OC + gr * coutG
                        let yr = yo + gr * coutG
                        for o in 0 .. coutG - 1 do dw.[wr + o] <- dw.[wr + o] + xv * gy.[yr + o])
        dw

    let private floatOnly (op: string) (t: RawTensor) : 'R =
        invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (dtypeName t.DType))

    /// The patch matrix of images n0 .. n0 + count - 1.
    /// `reuse`: the previous part's patch matrix (overwritten when its length fits) or null.
    let private patches (g: ConvGeometry) (n0: int) (count: int) (x: RawTensor) (reuse: RawTensor) =
        let old = if isNull reuse then null else reuse.Data
        let data: Array =
            match x.Data with
            | :? (float32[]) as a -> im2col g n0 count a (match old with :? (float32[]) as o -> o | _ -> null) :> _
            | :? (float[]) as a -> im2col g n0 count a (match old with :? (float[]) as o -> o | _ -> null) :> _
            | _ -> floatOnly "Conv2D" x
        RawTensor(x.DType, [| count * g.OH * g.OW; g.KH * g.KW * g.C |], data)

    /// Rows [n0 OH OW, (n0 + count) OH OW) of gy viewed as [N OH OW, OC] (the whole of gy without a copy).
    let private outputRows (g: ConvGeometry) (n0: int) (count: int) (gy: RawTensor) =
        let rows = count * g.OH * g.OW
        if count = g.N then reshape [| rows; g.OC |] gy
        else
            let part = alloc gy.DType (rows * g.OC)
            Array.Copy(gy.Data, n0 * g.OH * g.OW * g.OC, part, 0, part.Length)
            RawTensor(gy.DType, [| rows; g.OC |], part)

    /// Runs `body n0 count` over the batch in chunks of `imagesPerChunk` images.
    let private chunks (g: ConvGeometry) (body: int -> int -> unit) =
        let per = imagesPerChunk g
        let mutable n0 = 0
        while n0 < g.N do
            let count = min per (g.N - n0)
            body n0 count
            n0 <- n0 + count

    /// True when a product has nothing to sum or nowhere to write: the result is zeros of its shape.
    let private empty (g: ConvGeometry) (shape: int[]) =
        Shape.size shape = 0 || Shape.size g.OutShape = 0 || g.C = 0

    /// y = conv(x, w), NHWC.
    let forward (g: ConvGeometry) (x: RawTensor) (w: RawTensor) =
        if empty g g.OutShape || Shape.size g.InShape = 0 || Shape.size g.FilterShape = 0 then zeros x.DType g.OutShape
        elif g.Groups = 1 then
            let wk = reshape [| g.KH * g.KW * g.C; g.OC |] w
            if imagesPerChunk g >= g.N then reshape g.OutShape (Products.Kernels.matmul2 false false (patches g 0 g.N x null) wk)
            else
                let y = alloc x.DType (Shape.size g.OutShape)
                let mutable cols = Unchecked.defaultof<RawTensor>
                chunks g (fun n0 count ->
                    cols <- patches g n0 count x cols
                    let part = Products.Kernels.matmul2 false false cols wk
                    Array.Copy(part.Data, 0, y, n0 * g.OH * g.OW * g.OC, part.Size))
                RawTensor(x.DType, g.OutShape, y)
        else
            let data: Array =
                match x.Data, w.Data with
                | (:? (float32[]) as a), (:? (float32[]) as b) -> directForward g a b :> _
                | (:? (float[]) as a), (:? (float[]) as b) -> directForward g a b :> _
                | _ -> floatOnly "Conv2D" x
            RawTensor(x.DType, g.OutShape, data)

    /// dx from the output adjoint gy and the filter w (Conv2DBackpropInput, the transposed convolution).
    let backpropInput (g: ConvGeometry) (gy: RawTensor) (w: RawTensor) =
        if empty g g.InShape || Shape.size g.FilterShape = 0 then zeros gy.DType g.InShape
        elif g.Groups = 1 then
            let wk = reshape [| g.KH * g.KW * g.C; g.OC |] w
            let dx = zeros gy.DType g.InShape
            chunks g (fun n0 count ->
                let dcols = Products.Kernels.matmul2 false true (outputRows g n0 count gy) wk
                match dcols.Data, dx.Data with
                | (:? (float32[]) as a), (:? (float32[]) as d) -> col2im g n0 count a addF32 d
                | (:? (float[]) as a), (:? (float[]) as d) -> col2im g n0 count a addF64 d
                | _ -> floatOnly "Conv2DBackpropInput" gy)
            dx
        else
            let data: Array =
                match gy.Data, w.Data with
                | (:? (float32[]) as a), (:? (float32[]) as b) -> directInput g a b :> _
                | (:? (float[]) as a), (:? (float[]) as b) -> directInput g a b :> _
                | _ -> floatOnly "Conv2DBackpropInput" gy
            RawTensor(gy.DType, g.InShape, data)

    /// dw from the input x and the output adjoint gy (Conv2DBackpropFilter).
    let backpropFilter (g: ConvGeometry) (x: RawTensor) (gy: RawTensor) =
        if empty g g.FilterShape || Shape.size g.InShape = 0 then zeros x.DType g.FilterShape
        elif g.Groups = 1 then
            let mutable dw = Unchecked.defaultof<RawTensor>
            let mutable cols = Unchecked.defaultof<RawTensor>
            chunks g (fun n0 count ->
                cols <- patches g n0 count x cols
                let part = Products.Kernels.matmul2 true false cols (outputRows g n0 count gy)
                dw <- if n0 = 0 then part else Combinators.Kernels.add dw part)
            reshape g.FilterShape dw
        else
            let data: Array =
                match x.Data, gy.Data with
                | (:? (float32[]) as a), (:? (float32[]) as b) -> directFilter g a b :> _
                | (:? (float[]) as a), (:? (float[]) as b) -> directFilter g a b :> _
                | _ -> floatOnly "Conv2DBackpropFilter" x
            RawTensor(x.DType, g.FilterShape, data)

    /// For each output element of a max pool, its value and the flat index into x of its window's maximum: TF's CPU
    /// rule, the first maximum in row-major window order (a later element replaces it only when strictly greater, so
    /// a NaN met first stays and a NaN met later is passed over).
    let inline private argmaxOf (g: PoolGeometry) (x: ^T[]) =
        // every element is written below: every window holds at least one element of x
        let idx: int[] = BufferPool.rent (g.PN * g.POH * g.POW * g.PC)
        let y: ^T[] = BufferPool.rent idx.Length
        forBatch g.PN (int64 idx.Length * int64 (g.PKH * g.PKW)) (fun n ->
            for oh in 0 .. g.POH - 1 do
                let struct (kh0, kh1) = taps oh g.PSH 1 g.PPT g.PH g.PKH
                for ow in 0 .. g.POW - 1 do
                    let struct (kw0, kw1) = taps ow g.PSW 1 g.PPL g.PW g.PKW
                    let yo = ((n * g.POH + oh) * g.POW + ow) * g.PC
                    let mutable first = true
                    for kh in kh0 .. kh1 - 1 do
                        let ih = oh * g.PSH + kh - g.PPT
                        for kw in kw0 .. kw1 - 1 do
                            let iw = ow * g.PSW + kw - g.PPL
                            let xo = ((n * g.PH + ih) * g.PW + iw) * g.PC
                            if first then
                                for c in 0 .. g.PC - 1 do
                                    idx.[yo + c] <- xo + c
                                    y.[yo + c] <- x.[xo + c]
                                first <- false
                            else
                                for c in 0 .. g.PC - 1 do
                                    let v = x.[xo + c]
                                    if y.[yo + c] < v then
                                        y.[yo + c] <- v
                                        idx.[yo + c] <- xo + c)
        struct (idx, y)

    /// `argmaxOf` for Float32 with the channels compared 8 at a time (a select, not a branch: random data makes the
    /// branch of the scalar loop mispredict half the time), the same rule (a later element is taken only when
    /// strictly greater, which a NaN on either side never is).
    let private argmaxF32 (g: PoolGeometry) (x: float32[]) =
        let idx: int[] = BufferPool.rent (g.PN * g.POH * g.POW * g.PC)
        let y: float32[] = BufferPool.rent idx.Length
        let pc = g.PC
        let vecEnd = if Vector256.IsHardwareAccelerated then pc - pc % 8 else 0
        let lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)
        forBatch g.PN (int64 idx.Length * int64 (g.PKH * g.PKW)) (fun n ->
            for oh in 0 .. g.POH - 1 do
                let struct (kh0, kh1) = taps oh g.PSH 1 g.PPT g.PH g.PKH
                for ow in 0 .. g.POW - 1 do
                    let struct (kw0, kw1) = taps ow g.PSW 1 g.PPL g.PW g.PKW
                    let yo = ((n * g.POH + oh) * g.POW + ow) * pc
                    let mutable first = true
                    for kh in kh0 .. kh1 - 1 do
                        let ih = oh * g.PSH + kh - g.PPT
                        for kw in kw0 .. kw1 - 1 do
                            let iw = ow * g.PSW + kw - g.PPL
                            let xo = ((n * g.PH + ih) * g.PW + iw) * pc
                            if first then
                                ReadOnlySpan(x, xo, pc).CopyTo(Span(y, yo, pc))
                                for c in 0 .. pc - 1 do idx.[yo + c] <- xo + c
                                first <- false
                            else
                                let mutable c = 0
                                while c < vecEnd do
                                    let v = Vector256.Create<float32>(ReadOnlySpan(x, xo + c, 8))
                                    let b = Vector256.Create<float32>(ReadOnlySpan(y, yo + c, 8))
                                    let take = Vector256.GreaterThan(v, b)
                                    Vector256.CopyTo(Vector256.ConditionalSelect(take, v, b), Span(y, yo + c, 8))
                                    let i = Vector256.Create<int>(ReadOnlySpan(idx, yo + c, 8))
                                    let here = Vector256.Add(Vector256.Create(xo + c), lanes)
                                    Vector256.CopyTo(Vector256.ConditionalSelect(take.AsInt32(), here, i), Span(idx, yo + c, 8))
                                    c <- c + 8
                                while c < pc do
                                    let v = x.[xo + c]
                                    if y.[yo + c] < v then
                                        y.[yo + c] <- v
                                        idx.[yo + c] <- xo + c
                                    c <- c + 1)
        struct (idx, y)

    /// Int32 convolution values (TF registers Conv2D and Conv2DBackpropInput for int32): the direct loops, wrapping
    /// on overflow as TF's int32 arithmetic does. `transposed` computes the input adjoint from (gy, w) instead.
    let intConv (g: ConvGeometry) (transposed: bool) (a: RawTensor) (w: RawTensor) =
        match a.Data, w.Data with
        | (:? (int[]) as x), (:? (int[]) as f) ->
            if transposed then RawTensor(a.DType, g.InShape, (if Shape.size g.InShape = 0 || Shape.size g.OutShape = 0 || g.C = 0 then Array.zeroCreate<int> (Shape.size g.InShape) else directInput g x f))
            else RawTensor(a.DType, g.OutShape, (if Shape.size g.OutShape = 0 || Shape.size g.InShape = 0 || g.C = 0 then Array.zeroCreate<int> (Shape.size g.OutShape) else directForward g x f))
        | _ -> floatOnly (if transposed then "Conv2DBackpropInput" else "Conv2D") a

    /// Integer max-pool values (TF registers MaxPool for int32 and int64): the same window scan as the float kernels.
    let intMaxPool (g: PoolGeometry) (x: RawTensor) =
        match x.Data with
        | :? (int[]) as a -> let struct (_, y) = argmaxOf g a in RawTensor(x.DType, g.OutShape, y)
        | :? (int64[]) as a -> let struct (_, y) = argmaxOf g a in RawTensor(x.DType, g.OutShape, y)
        | _ -> floatOnly "MaxPool2D" x

    /// The argmax indices and the pooled values.
    let argmax (g: PoolGeometry) (x: RawTensor) =
        match x.Data with
        | :? (float32[]) as a -> let struct (i, y) = argmaxF32 g a in struct (i, RawTensor(x.DType, g.OutShape, y))
        | :? (float[]) as a -> let struct (i, y) = argmaxOf g a in struct (i, RawTensor(x.DType, g.OutShape, y))
        | _ -> floatOnly "MaxPool2D" x

    let gatherFlat (idx: int[]) (shape: int[]) (x: RawTensor) =
        let data: Array =
            match x.Data with
            | :? (float32[]) as a ->
                let r = BufferPool.rent idx.Length
                for i in 0 .. idx.Length - 1 do r.[i] <- a.[idx.[i]]
                r :> _
            | :? (float[]) as a ->
                let r = BufferPool.rent idx.Length
                for i in 0 .. idx.Length - 1 do r.[i] <- a.[idx.[i]]
                r :> _
            | _ -> floatOnly "MaxPool2D" x
        RawTensor(x.DType, shape, data)

    let scatterFlat (idx: int[]) (shape: int[]) (g: RawTensor) =
        let r = zeros g.DType shape
        match g.Data, r.Data with
        | (:? (float32[]) as s), (:? (float32[]) as d) -> for i in 0 .. idx.Length - 1 do d.[idx.[i]] <- d.[idx.[i]] + s.[i]
        | (:? (float[]) as s), (:? (float[]) as d) -> for i in 0 .. idx.Length - 1 do d.[idx.[i]] <- d.[idx.[i]] + s.[i]
        | _ -> floatOnly "MaxPoolGrad" g
        r

    /// The average pool (forward when `forward`: each window's sum divided by its count of valid, unpadded elements,
    /// as TF; else its adjoint: each window's adjoint divided by that count and added to each valid element).
    let inline private avgOf (g: PoolGeometry) (forward: bool) ([<InlineIfLambda>] ofInt: int -> ^T) (src: ^T[]) : ^T[] =
        // the forward result is written whole (every window holds an element of x: its first tap assigns); the adjoint
        // adds into zeros
        let dst: ^T[] = if forward then BufferPool.rent (g.PN * g.POH * g.POW * g.PC) else BufferPool.rentZeroed (g.PN * g.PH * g.PW * g.PC)
        forBatch g.PN (int64 (g.PN * g.POH * g.POW * g.PC) * int64 (g.PKH * g.PKW)) (fun n ->
            for oh in 0 .. g.POH - 1 do
                let struct (kh0, kh1) = taps oh g.PSH 1 g.PPT g.PH g.PKH
                for ow in 0 .. g.POW - 1 do
                    let struct (kw0, kw1) = taps ow g.PSW 1 g.PPL g.PW g.PKW
                    let yo = ((n * g.POH + oh) * g.POW + ow) * g.PC
                    let count = ofInt ((kh1 - kh0) * (kw1 - kw0))
                    let mutable first = true
                    for kh in kh0 .. kh1 - 1 do
                        let ih = oh * g.PSH + kh - g.PPT
                        for kw in kw0 .. kw1 - 1 do
                            let iw = ow * g.PSW + kw - g.PPL
                            let xo = ((n * g.PH + ih) * g.PW + iw) * g.PC
                            if forward && first then
                                for c in 0 .. g.PC - 1 do dst.[yo + c] <- src.[xo + c]
                                first <- false
                            elif forward then
                                for c in 0 .. g.PC - 1 do dst.[yo + c] <- dst.[yo + c] + src.[xo + c]
                            else
                                for c in 0 .. g.PC - 1 do dst.[xo + c] <- dst.[xo + c] + src.[yo + c] / count
                    if forward then
                        for c in 0 .. g.PC - 1 do dst.[yo + c] <- dst.[yo + c] / count)
        dst

    let avgPool (g: PoolGeometry) (forward: bool) (t: RawTensor) =
        let data: Array =
            match t.Data with
            | :? (float32[]) as a -> avgOf g forward float32 a :> _
            | :? (float[]) as a -> avgOf g forward float a :> _
            | _ -> floatOnly "AvgPool2D" t
        RawTensor(t.DType, (if forward then g.OutShape else g.InShape), data)

// ---------------------------------------------------------------- primitives

/// Conv2D over NHWC with geometry g: bilinear in (x, w); its two partial adjoints are the other two primitives
/// below, so the three close under differentiation.
let rec private conv (g: ConvGeometry) (x: Tensor) (w: Tensor) : Tensor =
    binary { new BinaryPrim("Conv2D") with
               member _.Kernel(x, w) = Kernels.forward g x w
               member _.JvpA(_, w, _, dx) = conv g dx w
               member _.JvpB(x, _, _, dw) = conv g x dw
               member _.VjpA(_, w, _, gy) = backpropInput g gy w
               member _.VjpB(x, _, _, gy) = backpropFilter g x gy } x w

/// The transposed convolution: <backpropInput(gy, w), gx> = <conv(gx, w), gy>.
and private backpropInput (g: ConvGeometry) (gy: Tensor) (w: Tensor) : Tensor =
    binary { new BinaryPrim("Conv2DBackpropInput") with
               member _.Kernel(gy, w) = Kernels.backpropInput g gy w
               member _.JvpA(_, w, _, dgy) = backpropInput g dgy w
               member _.JvpB(gy, _, _, dw) = backpropInput g gy dw
               member _.VjpA(_, w, _, gx) = conv g gx w
               member _.VjpB(gy, _, _, gx) = backpropFilter g gx gy } gy w

/// The filter adjoint: <backpropFilter(x, gy), gw> = <conv(x, gw), gy> = <x, backpropInput(gy, gw)>.
and private backpropFilter (g: ConvGeometry) (x: Tensor) (gy: Tensor) : Tensor =
    binary { new BinaryPrim("Conv2DBackpropFilter") with
               member _.Kernel(x, gy) = Kernels.backpropFilter g x gy
               member _.JvpA(_, gy, _, dx) = backpropFilter g dx gy
               member _.JvpB(x, _, _, dgy) = backpropFilter g x dgy
               member _.VjpA(_, gy, _, gw) = backpropInput g gy gw
               member _.VjpB(x, _, _, gw) = conv g x gw } x gy

/// y = x at the flat indices idx (the max pool once its argmax is known): linear, adjoint scatterFlat. `known` is
/// a value whose gather the argmax kernel already made, `knownResult` that gather (any other value is gathered).
let rec private gatherKnown (known: RawTensor) (knownResult: RawTensor) (idx: int[]) (shape: int[]) (x: Tensor) : Tensor =
    unary { new UnaryPrim("MaxPool2D") with
              member _.Kernel r = if obj.ReferenceEquals(r, known) then knownResult else Kernels.gatherFlat idx shape r
              member _.Jvp(_, _, dx) = gatherFlat idx shape dx
              member _.Vjp(x, _, gy) = scatterFlat idx x.Shape gy } x

and private gatherFlat (idx: int[]) (shape: int[]) (x: Tensor) : Tensor = gatherKnown null null idx shape x

/// Each element of g added at its flat index into zeros of `shape` (MaxPoolGrad): linear, adjoint gatherFlat
/// (MaxPoolGradGrad).
and private scatterFlat (idx: int[]) (shape: int[]) (gy: Tensor) : Tensor =
    unary { new UnaryPrim("MaxPoolGrad") with
              member _.Kernel r = Kernels.scatterFlat idx shape r
              member _.Jvp(_, _, dg) = scatterFlat idx shape dg
              member _.Vjp(gy, _, gx) = gatherFlat idx gy.Shape gx } gy

/// The average pool: linear, adjoint avgPoolGrad (and back).
let rec private avgPoolNhwc (g: PoolGeometry) (x: Tensor) : Tensor =
    unary { new UnaryPrim("AvgPool2D") with
              member _.Kernel r = Kernels.avgPool g true r
              member _.Jvp(_, _, dx) = avgPoolNhwc g dx
              member _.Vjp(_, _, gy) = avgPoolGrad g gy } x

and private avgPoolGrad (g: PoolGeometry) (gy: Tensor) : Tensor =
    unary { new UnaryPrim("AvgPoolGrad") with
              member _.Kernel r = Kernels.avgPool g false r
              member _.Jvp(_, _, dg) = avgPoolGrad g dg
              member _.Vjp(_, _, gx) = avgPoolNhwc g gx } gy

// ---------------------------------------------------------------- arguments, as TF reads them

let private fail (op: string) (msg: string) : 'a = invalidArg "input" (op + ": " + msg)

let private fmtList (a: int[]) = if isNull a then "null" else Shape.format a

/// Channels-last (true) or channels-first (false) from TF's data_format strings for `spatial` spatial axes.
let private channelsLast (op: string) (spatial: int) (dataFormat: string) =
    let last, first = if spatial = 1 then "NWC", "NCW" else "NHWC", "NCHW"
    if dataFormat = last || (spatial = 1 && dataFormat = "NHWC") then true
    elif dataFormat = first || (spatial = 1 && dataFormat = "NCHW") then false
    else fail op (sprintf "data_format \"%s\" is not supported; expected \"%s\" or \"%s\"" dataFormat last first)

/// TF's int-or-list attributes (strides, dilations, ksize) for 2 spatial axes: one value for both, one per spatial
/// axis, or one per axis of the input (batch and channel entries 1). All values positive.
let private spatialPair (op: string) (what: string) (last: bool) (values: int[]) =
    let pair =
        match values with
        | null -> fail op (sprintf "%s is null; expected 1, 2 or 4 positive integers" what)
        | [| v |] -> [| v; v |]
        | [| a; b |] -> [| a; b |]
        | [| a; b; c; d |] ->
            let nOrC, h, w = (if last then [| a; d |] else [| a; b |]), (if last then b else c), (if last then c else d)
            if nOrC |> Array.exists ((<>) 1) then
                fail op (sprintf "%s %s sets the batch or channel axis to other than 1; TF does not support %s in the batch and depth dimensions" what (fmtList values) what)
            [| h; w |]
        | _ -> fail op (sprintf "%s %s has %d entries; expected 1, 2 or 4" what (fmtList values) values.Length)
    if pair |> Array.exists (fun v -> v <= 0) then
        fail op (sprintf "%s %s; expected positive values" what (fmtList values))
    pair

/// TF's output extent and pad before along one axis (GetWindowedOutputSize): VALID gives (n - e + s) / s with no
/// padding (an error when negative, an empty axis when 0), SAME gives ceil(n / s) with the padding
/// max((o - 1) s + e - n, 0) split so that the extra element (an odd total) goes after.
let private windowed (op: string) (padding: string) (axis: string) (n: int) (k: int) (s: int) (d: int) =
    let e = (k - 1) * d + 1
    match padding with
    | "VALID" ->
        let o = (n - e + s) / s
        if o < 0 then
            fail op (sprintf "with padding \"VALID\" the %s axis has input extent %d and effective window %d (window %d, dilation %d, stride %d); the computed output size would be negative (TF raises here)" axis n e k d s)
        struct (o, 0)
    | "SAME" ->
        let o = (n + s - 1) / s
        let total = max ((o - 1) * s + e - n) 0
        struct (o, total / 2)
    | p -> fail op (sprintf "padding \"%s\" is not supported; expected \"SAME\" or \"VALID\"" (if isNull p then "null" else p))

let private checkFloat (op: string) (x: Tensor) (w: Tensor) =
    if not x.IsFloat then fail op (sprintf "input has dtype %O; expected Float32 or Float64" x.DType)
    if w.DType <> x.DType then fail op (sprintf "input has dtype %O and filters %O; expected the same dtype" x.DType w.DType)

/// The dtypes TF registers Conv2D and Conv2DBackpropInput for (of Nabla's): Float32, Float64 and Int32.
let private checkConvDType (op: string) (x: Tensor) (w: Tensor) =
    if not x.IsFloat && x.DType <> DType.Int32 then
        fail op (sprintf "input has dtype %O; expected Float32, Float64 or Int32" x.DType)
    if w.DType <> x.DType then fail op (sprintf "input has dtype %O and filters %O; expected the same dtype" x.DType w.DType)

/// NCHW -> NHWC (and back) around the NHWC kernels.
let private toLast (x: Tensor) = transpose [| 0; 2; 3; 1 |] x
let private toFirst (x: Tensor) = transpose [| 0; 3; 1; 2 |] x

/// The geometry of a convolution of an NHWC input shape `xs` with a filter shape `fs` (HWIO), with TF's checks.
let private convGeometry (op: string) (xs: int[]) (fs: int[]) (layout: string) (strides: int[]) (dilations: int[]) (padding: string) =
    let cin, oc = fs.[2], fs.[3]
    let c = xs.[3]
    if cin = 0 || c % cin <> 0 then
        fail op (sprintf "input of shape %s (%s) has %d channels and filters of shape %s have input depth %d; expected the input's channels to be a positive multiple of the filters' input depth (equal, or a grouped convolution)" (Shape.format xs) layout c (Shape.format fs) cin)
    let groups = c / cin
    if oc % groups <> 0 then
        fail op (sprintf "input of shape %s (%s) and filters of shape %s make %d groups, which do not divide the %d output channels" (Shape.format xs) layout (Shape.format fs) groups oc)
    let struct (oh, pt) = windowed op padding "height" xs.[1] fs.[0] strides.[0] dilations.[0]
    let struct (ow, pl) = windowed op padding "width" xs.[2] fs.[1] strides.[1] dilations.[1]
    let out = [| xs.[0]; oh; ow; oc |]
    if Shape.trySize out < 0 then
        fail op (sprintf "input of shape %s and filters of shape %s give an output of shape %s, more than Array.MaxLength elements" (Shape.format xs) (Shape.format fs) (Shape.format out))
    { N = xs.[0]; H = xs.[1]; W = xs.[2]; C = c; KH = fs.[0]; KW = fs.[1]; OC = oc; Groups = groups
      SH = strides.[0]; SW = strides.[1]; DH = dilations.[0]; DW = dilations.[1]; PT = pt; PL = pl; OH = oh; OW = ow }

let private rank4 (op: string) (what: string) (layout: string) (t: Tensor) =
    if t.Rank <> 4 then fail op (sprintf "%s has shape %s; expected rank 4 (%s)" what (Shape.format t.Shape) layout)

// ---------------------------------------------------------------- the ops

let conv2d (strides: int[]) (dilations: int[]) (padding: string) (dataFormat: string) (input: Tensor) (filters: Tensor) =
    let op = "Conv2D"
    let last = channelsLast op 2 dataFormat
    let layout = if last then "NHWC" else "NCHW"
    checkConvDType op input filters
    rank4 op "input" layout input
    rank4 op "filters" "[height, width, in_channels, out_channels]" filters
    let s = spatialPair op "strides" last strides
    let d = spatialPair op "dilations" last (if isNull dilations then [| 1 |] else dilations)
    let x = if last then input else toLast input
    let g = convGeometry op x.Shape filters.Shape layout s d padding
    // Int32 (as TF's integer kernels): values only, no derivative
    let y = if x.IsFloat then conv g x filters else constant (Kernels.intConv g false x.Raw filters.Raw)
    if last then y else toFirst y

let conv2dTranspose (outputShape: int[]) (strides: int[]) (dilations: int[]) (padding: string) (dataFormat: string) (input: Tensor) (filters: Tensor) =
    let op = "Conv2DTranspose"
    let last = channelsLast op 2 dataFormat
    let layout = if last then "NHWC" else "NCHW"
    checkConvDType op input filters
    rank4 op "input" layout input
    rank4 op "filters" "[height, width, output_channels, in_channels]" filters
    if isNull outputShape || outputShape.Length <> 4 || outputShape |> Array.exists (fun v -> v < 0) then
        fail op (sprintf "output_shape %s; expected 4 non-negative extents (%s)" (fmtList outputShape) layout)
    let s = spatialPair op "strides" last strides
    let d = spatialPair op "dilations" last (if isNull dilations then [| 1 |] else dilations)
    let x = if last then input else toLast input
    let outLast = if last then outputShape else [| outputShape.[0]; outputShape.[2]; outputShape.[3]; outputShape.[1] |]
    let fs = filters.Shape
    if x.Shape.[3] <> fs.[3] then
        fail op (sprintf "input of shape %s (%s) has %d channels and filters of shape %s have %d input channels (the last axis); expected them equal" (Shape.format input.Shape) layout x.Shape.[3] (Shape.format fs) fs.[3])
    if outLast.[3] <> fs.[2] then
        fail op (sprintf "output_shape %s (%s) has %d channels and filters of shape %s have %d output channels (axis 2); expected them equal" (Shape.format outputShape) layout outLast.[3] (Shape.format fs) fs.[2])
    if outLast.[0] <> x.Shape.[0] then
        fail op (sprintf "output_shape %s has batch %d and input of shape %s batch %d; expected them equal" (Shape.format outputShape) outLast.[0] (Shape.format input.Shape) x.Shape.[0])
    // the forward convolution this transposes: output_shape -> input
    let g = convGeometry op outLast [| fs.[0]; fs.[1]; fs.[2]; fs.[3] |] layout s d padding
    if g.OH <> x.Shape.[1] || g.OW <> x.Shape.[2] then
        fail op (sprintf "input of shape %s does not match output_shape %s: a %s convolution of output_shape with filters %s, strides %s and dilations %s gives spatial extents [%d, %d], not the input's [%d, %d]"
                         (Shape.format input.Shape) (Shape.format outputShape) padding (Shape.format fs) (Shape.format s) (Shape.format d) g.OH g.OW x.Shape.[1] x.Shape.[2])
    let y = if x.IsFloat then backpropInput g x filters else constant (Kernels.intConv g true x.Raw filters.Raw)
    if last then y else toFirst y

let depthwiseConv2d (strides: int[]) (dilations: int[]) (padding: string) (dataFormat: string) (input: Tensor) (filter: Tensor) =
    let op = "DepthwiseConv2D"
    let last = channelsLast op 2 dataFormat
    let layout = if last then "NHWC" else "NCHW"
    checkFloat op input filter
    rank4 op "input" layout input
    rank4 op "filter" "[height, width, in_channels, channel_multiplier]" filter
    let s = spatialPair op "strides" last strides
    let d = spatialPair op "dilations" last (if isNull dilations then [| 1 |] else dilations)
    let x = if last then input else toLast input
    let fs = filter.Shape
    if x.Shape.[3] <> fs.[2] then
        fail op (sprintf "input of shape %s (%s) has %d channels and filter of shape %s has %d input channels (axis 2); expected them equal" (Shape.format input.Shape) layout x.Shape.[3] (Shape.format fs) fs.[2])
    if fs.[2] = 0 || fs.[3] = 0 then
        let struct (oh, _) = windowed op padding "height" x.Shape.[1] fs.[0] s.[0] d.[0]
        let struct (ow, _) = windowed op padding "width" x.Shape.[2] fs.[1] s.[1] d.[1]
        let out = [| x.Shape.[0]; oh; ow; fs.[2] * fs.[3] |]
        let z = constant (Storage.zeros input.DType out)
        if last then z else toFirst z
    else
        // [KH, KW, C, M] -> [KH, KW, 1, C M]: a grouped convolution with C groups, output channel c M + m as TF
        let w = reshape [| fs.[0]; fs.[1]; 1; fs.[2] * fs.[3] |] filter
        let g = convGeometry op x.Shape w.Shape layout s d padding
        let y = conv g x w
        if last then y else toFirst y

let conv1d (stride: int[]) (dilations: int[]) (padding: string) (dataFormat: string) (input: Tensor) (filters: Tensor) =
    let op = "Conv1D"
    let last = channelsLast op 1 dataFormat
    let layout = if last then "NWC" else "NCW"
    checkConvDType op input filters
    if input.Rank <> 3 then fail op (sprintf "input has shape %s; expected rank 3 (%s)" (Shape.format input.Shape) layout)
    if filters.Rank <> 3 then fail op (sprintf "filters have shape %s; expected rank 3 ([width, in_channels, out_channels])" (Shape.format filters.Shape))
    let one (what: string) (v: int[]) =
        match v with
        | null -> fail op (sprintf "%s is null; expected 1 or 3 positive integers" what)
        | [| a |] -> a
        | [| a; b; c |] ->
            let nOrC = if last then [| a; c |] else [| a; b |]
            if nOrC |> Array.exists ((<>) 1) then
                fail op (sprintf "%s %s sets the batch or channel axis to other than 1; TF does not support %s in the batch and depth dimensions" what (fmtList v) what)
            if last then b else c
        | _ -> fail op (sprintf "%s %s has %d entries; expected 1 or 3" what (fmtList v) v.Length)
    let s = one "stride" stride
    let d = one "dilations" (if isNull dilations then [| 1 |] else dilations)
    if s <= 0 || d <= 0 then fail op (sprintf "stride %d and dilation %d; expected positive values" s d)
    if input.Shape.[if last then 2 else 1] % max 1 filters.Shape.[1] <> 0 || filters.Shape.[1] = 0 then
        fail op (sprintf "input of shape %s (%s) has %d channels and filters of shape %s have input depth %d; expected the input's channels to be a positive multiple of the filters' input depth"
                         (Shape.format input.Shape) layout input.Shape.[if last then 2 else 1] (Shape.format filters.Shape) filters.Shape.[1])
    // as TF: a 2-D convolution over a height of 1
    let x = expandDims (if last then 1 else 2) input
    let w = expandDims 0 filters
    let y = conv2d [| 1; s |] [| 1; d |] padding (if last then "NHWC" else "NCHW") x w
    squeeze (Some(if last then 1 else 2)) y

let private poolGeometry (op: string) (ksize: int[]) (strides: int[]) (padding: string) (dataFormat: string) (input: Tensor) =
    let last = channelsLast op 2 dataFormat
    let layout = if last then "NHWC" else "NCHW"
    if not (input.IsFloat || (op = "MaxPool2D" && (input.DType = DType.Int32 || input.DType = DType.Int64))) then
        fail op (sprintf "input has dtype %O; expected %s" input.DType (if op = "MaxPool2D" then "Float32, Float64, Int32 or Int64" else "Float32 or Float64"))
    rank4 op "input" layout input
    let k = spatialPair op "ksize" last ksize
    let s = spatialPair op "strides" last strides
    let x = if last then input else toLast input
    let xs = x.Shape
    let struct (oh, pt) = windowed op padding "height" xs.[1] k.[0] s.[0] 1
    let struct (ow, pl) = windowed op padding "width" xs.[2] k.[1] s.[1] 1
    last, x,
    { PN = xs.[0]; PH = xs.[1]; PW = xs.[2]; PC = xs.[3]; PKH = k.[0]; PKW = k.[1]; PSH = s.[0]; PSW = s.[1]
      PPT = pt; PPL = pl; POH = oh; POW = ow }

let maxPool2d (ksize: int[]) (strides: int[]) (padding: string) (dataFormat: string) (input: Tensor) =
    let last, x, g = poolGeometry "MaxPool2D" ksize strides padding dataFormat input
    let y =
        if not x.IsFloat then
            // Int32, Int64 (as TF's integer kernels): values only, no derivative
            constant (Kernels.intMaxPool g x.Raw)
        else
            // the argmax of the value at the bottom of every perturbation: the same at every level
            let raw = x.Raw
            let struct (idx, pooled) = Kernels.argmax g raw
            gatherKnown raw pooled idx g.OutShape x
    if last then y else toFirst y

let avgPool2d (ksize: int[]) (strides: int[]) (padding: string) (dataFormat: string) (input: Tensor) =
    let last, x, g = poolGeometry "AvgPool2D" ksize strides padding dataFormat input
    let y = avgPoolNhwc g x
    if last then y else toFirst y
