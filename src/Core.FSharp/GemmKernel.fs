/// A managed GEMM for Float64 and Float32 on AVX-512 (BLIS's design): op(B) packed in depth blocks of kc rows and
/// micro-panels of 2 Vector512 widths (16 doubles or 32 floats), op(A) in row blocks of mc rows and micro-panels of 8 rows
/// (packed, or for thin products, where packing with strided copies costs as much as the arithmetic, read in place
/// with only a last partial micro-panel packed), and an 8 x 2-vector register-blocked micro-kernel of 16 Vector512 FMA
/// accumulators. Row-major, both
/// transpose flags, any leading dimensions and offsets; C is overwritten (or accumulated into). Blocks are sized for
/// a 48 KiB L1 and 1 MiB L2 per core (AMD Zen 4/5; cache sizes are not always visible in a VM): the B micro-panel
/// (kc x 16 doubles or kc x 32 floats, 32 KiB) stays in L1 across the row micro-tiles, the A block (mc x kc, 384 KiB)
/// in L2. Large products are split over the kernel threads (`KernelThreads`) by blocks of C's rows or columns, each
/// thread packing into its own scratch (native, 64-byte aligned, kept for the thread's life and grown on need).
/// The loops are compiled fully optimised at once (AggressiveOptimization): at tier 0 the first products of a run
/// were several times slower.
module internal Nabla.Core.GemmKernel

#nowarn "9" // native pointers: the operands are pinned with `fixed` for exactly the duration of one product

open System
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

/// True when the kernel can run: AVX-512F instructions and an accelerated Vector512 (the runtime may leave
/// Vector512 unaccelerated on CPUs that throttle under 512-bit code, or when DOTNET_EnableAVX512F=0).
let isSupported = Avx512F.IsSupported && Vector512.IsHardwareAccelerated

/// Depth of a packed block (rows of op(B), columns of op(A)).
let kcD, kcS = 256, 256
/// Rows of op(A) in one block (kc x mc values: 384 KiB, in L2).
let mcD, mcS = 192, 384
/// Columns of op(B) packed at once (kc x nc values: 4 MiB double, 2 MiB float, in L3).
let ncD, ncS = 2048, 2048

/// Column blocks of C at least this wide get op(A) packed (it is then read nc / 16 or nc / 32 times from the packed
/// copy); narrower ones read op(A) in place, where packing would cost as much as the arithmetic.
let packMinColumns = 96

/// Products of at least this many multiply-adds (m n k) are split over the kernel threads.
let splitMinWork = 1L <<< 20

let private roundUp (x: int) (u: int) = (x + u - 1) / u * u

/// Parts the product is split into: one per thread when the work is large enough and each part keeps at least 64
/// rows or columns of C.
let private partsFor (threads: int) m n k =
    if threads <= 1 || int64 m * int64 n * int64 k < splitMinWork then 1
    else max 1 (min threads (max m n / 64))

/// A thread's packing scratch: native memory at a 64-byte boundary, grown on need and kept for the thread's life
/// (at most about 4 MiB per thread that runs products).
type private Scratch =
    [<ThreadStatic; DefaultValue>] static val mutable private buffer: nativeint
    [<ThreadStatic; DefaultValue>] static val mutable private bytes: int
    static member Get(needed: int) : nativeint =
        if Scratch.bytes < needed then
            if Scratch.buffer <> 0n then NativeMemory.AlignedFree(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> Scratch.buffer))
            Scratch.buffer <- 0n
            Scratch.bytes <- 0
            Scratch.buffer <- NativePtr.toNativeInt (NativePtr.ofVoidPtr<byte> (NativeMemory.AlignedAlloc(unativeint needed, 64un)))
            Scratch.bytes <- needed
        Scratch.buffer

let private checkArgs (dtype: string) (transA: bool) (transB: bool) m n k aLen aOff lda bLen bOff ldb cLen cOff ldc =
    let fail (name: string) (msg: string) = invalidArg name (sprintf "GEMM (%s): %s" dtype msg)
    if m < 0 || n < 0 || k < 0 then fail "m" (sprintf "negative extent m=%d n=%d k=%d" m n k)
    if aOff < 0 || bOff < 0 || cOff < 0 then fail "aOff" (sprintf "negative offset %d, %d, %d" aOff bOff cOff)
    // rows x columns of each operand as stored
    let check (name: string) (len: int) (off: int) (ld: int) (rows: int) (cols: int) =
        if rows > 0 && cols > 0 then
            if ld < cols then fail name (sprintf "leading dimension %d is less than the %d stored columns" ld cols)
            let last = int64 off + int64 (rows - 1) * int64 ld + int64 cols
            if last > int64 len then
                fail name (sprintf "%d x %d with offset %d and leading dimension %d needs %d elements; the array has %d" rows cols off ld last len)
    let aRows, aCols = (if transA then k, m else m, k)
    let bRows, bCols = (if transB then n, k else k, n)
    check "a" aLen aOff lda aRows aCols
    check "b" bLen bOff ldb bRows bCols
    check "c" cLen cOff ldc m n

/// The 8 x 16 micro-kernel (float): C[0..7, 0..15] (row-major, leading dimension ldc) = (or +=, when
/// `acc`) the product of a packed A micro-panel (8 values per step) and a packed B micro-panel (16 values per
/// step) over kc steps, in 16 Vector512 accumulators. An edge tile (rows < 8 or cols < 16) goes through
/// `tile` (8 x 16) and only its valid part reaches C.
/// A is read at a[r rs + p ps] for row r and step p: the packed edge panel (rs = 1, ps = 8), or op(A) in place.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private kernelD (kc: int) (a: nativeptr<float>) (rs: int) (ps: int) (b: nativeptr<float>) (c: nativeptr<float>) (ldc: int) (acc: bool)
                          (rows: int) (cols: int) (tile: nativeptr<float>) =
    let mutable c00 = Vector512<float>.Zero
    let mutable c01 = Vector512<float>.Zero
    let mutable c10 = Vector512<float>.Zero
    let mutable c11 = Vector512<float>.Zero
    let mutable c20 = Vector512<float>.Zero
    let mutable c21 = Vector512<float>.Zero
    let mutable c30 = Vector512<float>.Zero
    let mutable c31 = Vector512<float>.Zero
    let mutable c40 = Vector512<float>.Zero
    let mutable c41 = Vector512<float>.Zero
    let mutable c50 = Vector512<float>.Zero
    let mutable c51 = Vector512<float>.Zero
    let mutable c60 = Vector512<float>.Zero
    let mutable c61 = Vector512<float>.Zero
    let mutable c70 = Vector512<float>.Zero
    let mutable c71 = Vector512<float>.Zero
    let o1 = 1 * rs
    let o2 = 2 * rs
    let o3 = 3 * rs
    let o4 = 4 * rs
    let o5 = 5 * rs
    let o6 = 6 * rs
    let o7 = 7 * rs
    let mutable pa = a
    let mutable pb = b
    for _ in 1 .. kc do
        let b0 = Vector512.Load pb
        let b1 = Vector512.Load(NativePtr.add pb 8)
        let x0 = Vector512.Create(NativePtr.read pa)
        c00 <- Avx512F.FusedMultiplyAdd(x0, b0, c00)
        c01 <- Avx512F.FusedMultiplyAdd(x0, b1, c01)
        let x1 = Vector512.Create(NativePtr.get pa o1)
        c10 <- Avx512F.FusedMultiplyAdd(x1, b0, c10)
        c11 <- Avx512F.FusedMultiplyAdd(x1, b1, c11)
        let x2 = Vector512.Create(NativePtr.get pa o2)
        c20 <- Avx512F.FusedMultiplyAdd(x2, b0, c20)
        c21 <- Avx512F.FusedMultiplyAdd(x2, b1, c21)
        let x3 = Vector512.Create(NativePtr.get pa o3)
        c30 <- Avx512F.FusedMultiplyAdd(x3, b0, c30)
        c31 <- Avx512F.FusedMultiplyAdd(x3, b1, c31)
        let x4 = Vector512.Create(NativePtr.get pa o4)
        c40 <- Avx512F.FusedMultiplyAdd(x4, b0, c40)
        c41 <- Avx512F.FusedMultiplyAdd(x4, b1, c41)
        let x5 = Vector512.Create(NativePtr.get pa o5)
        c50 <- Avx512F.FusedMultiplyAdd(x5, b0, c50)
        c51 <- Avx512F.FusedMultiplyAdd(x5, b1, c51)
        let x6 = Vector512.Create(NativePtr.get pa o6)
        c60 <- Avx512F.FusedMultiplyAdd(x6, b0, c60)
        c61 <- Avx512F.FusedMultiplyAdd(x6, b1, c61)
        let x7 = Vector512.Create(NativePtr.get pa o7)
        c70 <- Avx512F.FusedMultiplyAdd(x7, b0, c70)
        c71 <- Avx512F.FusedMultiplyAdd(x7, b1, c71)
        pa <- NativePtr.add pa ps
        pb <- NativePtr.add pb 16
    if rows = 8 && cols = 16 then
        let mutable p = c
        if acc then
            Vector512.Store(Vector512.Load p + c00, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c01, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c10, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c11, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c20, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c21, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c30, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c31, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c40, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c41, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c50, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c51, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c60, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c61, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c70, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 8) + c71, NativePtr.add p 8)
        else
            Vector512.Store(c00, p)
            Vector512.Store(c01, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c10, p)
            Vector512.Store(c11, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c20, p)
            Vector512.Store(c21, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c30, p)
            Vector512.Store(c31, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c40, p)
            Vector512.Store(c41, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c50, p)
            Vector512.Store(c51, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c60, p)
            Vector512.Store(c61, NativePtr.add p 8)
            p <- NativePtr.add p ldc
            Vector512.Store(c70, p)
            Vector512.Store(c71, NativePtr.add p 8)
    else
        Vector512.Store(c00, NativePtr.add tile 0)
        Vector512.Store(c01, NativePtr.add tile 8)
        Vector512.Store(c10, NativePtr.add tile 16)
        Vector512.Store(c11, NativePtr.add tile 24)
        Vector512.Store(c20, NativePtr.add tile 32)
        Vector512.Store(c21, NativePtr.add tile 40)
        Vector512.Store(c30, NativePtr.add tile 48)
        Vector512.Store(c31, NativePtr.add tile 56)
        Vector512.Store(c40, NativePtr.add tile 64)
        Vector512.Store(c41, NativePtr.add tile 72)
        Vector512.Store(c50, NativePtr.add tile 80)
        Vector512.Store(c51, NativePtr.add tile 88)
        Vector512.Store(c60, NativePtr.add tile 96)
        Vector512.Store(c61, NativePtr.add tile 104)
        Vector512.Store(c70, NativePtr.add tile 112)
        Vector512.Store(c71, NativePtr.add tile 120)
        for r in 0 .. rows - 1 do
            let dst = NativePtr.add c (r * ldc)
            let src = NativePtr.add tile (r * 16)
            if acc then
                for j in 0 .. cols - 1 do NativePtr.set dst j (NativePtr.get dst j + NativePtr.get src j)
            else
                for j in 0 .. cols - 1 do NativePtr.set dst j (NativePtr.get src j)
/// The 8 x 32 micro-kernel (float32): C[0..7, 0..31] (row-major, leading dimension ldc) = (or +=, when
/// `acc`) the product of a packed A micro-panel (8 values per step) and a packed B micro-panel (32 values per
/// step) over kc steps, in 16 Vector512 accumulators. An edge tile (rows < 8 or cols < 32) goes through
/// `tile` (8 x 32) and only its valid part reaches C.
/// A is read at a[r rs + p ps] for row r and step p: the packed edge panel (rs = 1, ps = 8), or op(A) in place.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private kernelS (kc: int) (a: nativeptr<float32>) (rs: int) (ps: int) (b: nativeptr<float32>) (c: nativeptr<float32>) (ldc: int) (acc: bool)
                          (rows: int) (cols: int) (tile: nativeptr<float32>) =
    let mutable c00 = Vector512<float32>.Zero
    let mutable c01 = Vector512<float32>.Zero
    let mutable c10 = Vector512<float32>.Zero
    let mutable c11 = Vector512<float32>.Zero
    let mutable c20 = Vector512<float32>.Zero
    let mutable c21 = Vector512<float32>.Zero
    let mutable c30 = Vector512<float32>.Zero
    let mutable c31 = Vector512<float32>.Zero
    let mutable c40 = Vector512<float32>.Zero
    let mutable c41 = Vector512<float32>.Zero
    let mutable c50 = Vector512<float32>.Zero
    let mutable c51 = Vector512<float32>.Zero
    let mutable c60 = Vector512<float32>.Zero
    let mutable c61 = Vector512<float32>.Zero
    let mutable c70 = Vector512<float32>.Zero
    let mutable c71 = Vector512<float32>.Zero
    let o1 = 1 * rs
    let o2 = 2 * rs
    let o3 = 3 * rs
    let o4 = 4 * rs
    let o5 = 5 * rs
    let o6 = 6 * rs
    let o7 = 7 * rs
    let mutable pa = a
    let mutable pb = b
    for _ in 1 .. kc do
        let b0 = Vector512.Load pb
        let b1 = Vector512.Load(NativePtr.add pb 16)
        let x0 = Vector512.Create(NativePtr.read pa)
        c00 <- Avx512F.FusedMultiplyAdd(x0, b0, c00)
        c01 <- Avx512F.FusedMultiplyAdd(x0, b1, c01)
        let x1 = Vector512.Create(NativePtr.get pa o1)
        c10 <- Avx512F.FusedMultiplyAdd(x1, b0, c10)
        c11 <- Avx512F.FusedMultiplyAdd(x1, b1, c11)
        let x2 = Vector512.Create(NativePtr.get pa o2)
        c20 <- Avx512F.FusedMultiplyAdd(x2, b0, c20)
        c21 <- Avx512F.FusedMultiplyAdd(x2, b1, c21)
        let x3 = Vector512.Create(NativePtr.get pa o3)
        c30 <- Avx512F.FusedMultiplyAdd(x3, b0, c30)
        c31 <- Avx512F.FusedMultiplyAdd(x3, b1, c31)
        let x4 = Vector512.Create(NativePtr.get pa o4)
        c40 <- Avx512F.FusedMultiplyAdd(x4, b0, c40)
        c41 <- Avx512F.FusedMultiplyAdd(x4, b1, c41)
        let x5 = Vector512.Create(NativePtr.get pa o5)
        c50 <- Avx512F.FusedMultiplyAdd(x5, b0, c50)
        c51 <- Avx512F.FusedMultiplyAdd(x5, b1, c51)
        let x6 = Vector512.Create(NativePtr.get pa o6)
        c60 <- Avx512F.FusedMultiplyAdd(x6, b0, c60)
        c61 <- Avx512F.FusedMultiplyAdd(x6, b1, c61)
        let x7 = Vector512.Create(NativePtr.get pa o7)
        c70 <- Avx512F.FusedMultiplyAdd(x7, b0, c70)
        c71 <- Avx512F.FusedMultiplyAdd(x7, b1, c71)
        pa <- NativePtr.add pa ps
        pb <- NativePtr.add pb 32
    if rows = 8 && cols = 32 then
        let mutable p = c
        if acc then
            Vector512.Store(Vector512.Load p + c00, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c01, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c10, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c11, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c20, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c21, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c30, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c31, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c40, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c41, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c50, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c51, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c60, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c61, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(Vector512.Load p + c70, p)
            Vector512.Store(Vector512.Load(NativePtr.add p 16) + c71, NativePtr.add p 16)
        else
            Vector512.Store(c00, p)
            Vector512.Store(c01, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c10, p)
            Vector512.Store(c11, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c20, p)
            Vector512.Store(c21, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c30, p)
            Vector512.Store(c31, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c40, p)
            Vector512.Store(c41, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c50, p)
            Vector512.Store(c51, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c60, p)
            Vector512.Store(c61, NativePtr.add p 16)
            p <- NativePtr.add p ldc
            Vector512.Store(c70, p)
            Vector512.Store(c71, NativePtr.add p 16)
    else
        Vector512.Store(c00, NativePtr.add tile 0)
        Vector512.Store(c01, NativePtr.add tile 16)
        Vector512.Store(c10, NativePtr.add tile 32)
        Vector512.Store(c11, NativePtr.add tile 48)
        Vector512.Store(c20, NativePtr.add tile 64)
        Vector512.Store(c21, NativePtr.add tile 80)
        Vector512.Store(c30, NativePtr.add tile 96)
        Vector512.Store(c31, NativePtr.add tile 112)
        Vector512.Store(c40, NativePtr.add tile 128)
        Vector512.Store(c41, NativePtr.add tile 144)
        Vector512.Store(c50, NativePtr.add tile 160)
        Vector512.Store(c51, NativePtr.add tile 176)
        Vector512.Store(c60, NativePtr.add tile 192)
        Vector512.Store(c61, NativePtr.add tile 208)
        Vector512.Store(c70, NativePtr.add tile 224)
        Vector512.Store(c71, NativePtr.add tile 240)
        for r in 0 .. rows - 1 do
            let dst = NativePtr.add c (r * ldc)
            let src = NativePtr.add tile (r * 32)
            if acc then
                for j in 0 .. cols - 1 do NativePtr.set dst j (NativePtr.get dst j + NativePtr.get src j)
            else
                for j in 0 .. cols - 1 do NativePtr.set dst j (NativePtr.get src j)

/// Packs op(B)[pc .. pc+kc-1, j0 .. j0+nc-1] into micro-panels of 16 columns (the last zero-padded), each kc rows of
/// 16 contiguous values. op(B)[p, j] is b[bOff + p ldb + j], or b[bOff + j ldb + p] when `transB`.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packBD (transB: bool) (b: nativeptr<float>) (ldb: int) (pc: int) (kc: int) (j0: int) (nc: int) (dst: nativeptr<float>) =
    let mutable jp = 0
    while jp < nc do
        let w = min 16 (nc - jp)
        let panel = NativePtr.add dst (jp * kc)
        if not transB then
            for p in 0 .. kc - 1 do
                let src = NativePtr.add b ((pc + p) * ldb + j0 + jp)
                let d = NativePtr.add panel (p * 16)
                if w = 16 then
                    Vector512.Store(Vector512.Load src, d)
                    Vector512.Store(Vector512.Load(NativePtr.add src 8), NativePtr.add d 8)
                else
                    for j in 0 .. w - 1 do NativePtr.set d j (NativePtr.get src j)
                    for j in w .. 15 do NativePtr.set d j 0.0
        else
            for j in 0 .. w - 1 do
                let src = NativePtr.add b ((j0 + jp + j) * ldb + pc)
                for p in 0 .. kc - 1 do NativePtr.set panel (p * 16 + j) (NativePtr.get src p)
            if w < 16 then
                for p in 0 .. kc - 1 do
                    for j in w .. 15 do NativePtr.set panel (p * 16 + j) 0.0
        jp <- jp + 16

/// Packs the last, partial micro-panel of op(A): rows i0 .. i0+h-1 (h < 8), columns pc .. pc+kc-1, as kc steps of
/// 8 contiguous values (rows h .. 7 zero). Full panels are read in place (op(A)[i, p] at a[i lda + p], or at
/// a[p lda + i] when `transA`): the micro-kernel takes any row and step strides, so only the edge needs a copy.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packAD (transA: bool) (a: nativeptr<float>) (lda: int) (i0: int) (h: int) (pc: int) (kc: int) (dst: nativeptr<float>) =
    for p in 0 .. kc - 1 do
        let d = NativePtr.add dst (p * 8)
        for r in 0 .. h - 1 do
            NativePtr.set d r (NativePtr.get a (if transA then (pc + p) * lda + i0 + r else (i0 + r) * lda + pc + p))
        for r in h .. 7 do NativePtr.set d r 0.0

/// Packs op(A)[i0 .. i0+mc-1, pc .. pc+kc-1] into micro-panels of 8 rows (the last zero-padded), each kc steps of
/// 8 contiguous values: one stream for the micro-kernel, kept in L2 across the column micro-panels.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packAllD (transA: bool) (a: nativeptr<float>) (lda: int) (i0: int) (mc: int) (pc: int) (kc: int) (dst: nativeptr<float>) =
    let mutable ip = 0
    while ip < mc do
        let h = min 8 (mc - ip)
        let panel = NativePtr.add dst (ip * kc)
        if h < 8 then packAD transA a lda (i0 + ip) h pc kc panel
        elif transA then
            for p in 0 .. kc - 1 do
                let src = NativePtr.add a ((pc + p) * lda + i0 + ip)
                let d = NativePtr.add panel (p * 8)
                for r in 0 .. 7 do NativePtr.set d r (NativePtr.get src r)
        else
            for r in 0 .. 7 do
                let src = NativePtr.add a ((i0 + ip + r) * lda + pc)
                for p in 0 .. kc - 1 do NativePtr.set panel (p * 8 + r) (NativePtr.get src p)
        ip <- ip + 8

/// One thread's C[0..m-1, 0..n-1] = (or +=) op(A) op(B) over the pointers' origins (BLIS's five loops: column blocks
/// of nc, depth blocks of kc with B packed once per block, row blocks of mc with A packed, then micro-tiles).
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private serialD (transA: bool) (transB: bool) m n k (a: nativeptr<float>) lda (b: nativeptr<float>) ldb
                          (c: nativeptr<float>) ldc (accumulate: bool) =
    let kcMax = min kcD k
    let ncMax = min ncD (roundUp n 16)
    let mcMax = min mcD (roundUp m 8)
    let buffers = Scratch.Get((kcMax * ncMax + kcMax * mcMax + 128) * sizeof<float>)
    let bPack = NativePtr.ofNativeInt<float> buffers
    let aPack = NativePtr.add bPack (kcMax * ncMax)
    let tile = NativePtr.add aPack (kcMax * mcMax)
    let mutable jc = 0
    while jc < n do
        let nc = min ncMax (n - jc)
        let mutable pc = 0
        while pc < k do
            let kc = min kcMax (k - pc)
            packBD transB b ldb pc kc jc nc bPack
            let acc = accumulate || pc > 0
            let mutable ic = 0
            while ic < m do
                let mc = min mcMax (m - ic)
                // A packed when its block is reused over enough column micro-panels; read in place for thin products
                let packed = nc >= packMinColumns
                let tail = mc % 8
                if packed then packAllD transA a lda ic mc pc kc aPack
                elif tail > 0 then packAD transA a lda (ic + mc - tail) tail pc kc aPack
                let rs, ps = (if transA then 1, lda else lda, 1)
                let mutable jr = 0
                while jr < nc do
                    let cols = min 16 (nc - jr)
                    let bp = NativePtr.add bPack (jr * kc)
                    let mutable ir = 0
                    while ir < mc do
                        let rows = min 8 (mc - ir)
                        let cp = NativePtr.add c ((ic + ir) * ldc + jc + jr)
                        if packed then kernelD kc (NativePtr.add aPack (ir * kc)) 1 8 bp cp ldc acc rows cols tile
                        elif rows = 8 then
                            let ap = NativePtr.add a (if transA then pc * lda + ic + ir else (ic + ir) * lda + pc)
                            kernelD kc ap rs ps bp cp ldc acc rows cols tile
                        else kernelD kc aPack 1 8 bp cp ldc acc rows cols tile
                        ir <- ir + 8
                    jr <- jr + 16
                ic <- ic + mc
            pc <- pc + kc
        jc <- jc + nc

/// C[cOff ..] (m x n, row-major, leading dimension ldc) = op(A) op(B), or += when `accumulate`, with op(A) m x k
/// (a[aOff + i lda + p], or a[aOff + p lda + i] when `transA`) and op(B) k x n (b[bOff + p ldb + j], or
/// b[bOff + j ldb + p] when `transB`), split over `threads` kernel threads by blocks of C's rows or columns.
/// Requires AVX-512F (`isSupported`); checks that every index it will touch lies in the arrays.
let gemmD (transA: bool) (transB: bool) m n k (a: float[]) aOff lda (b: float[]) bOff ldb (c: float[]) cOff ldc
               (accumulate: bool) (threads: int) =
    checkArgs "float" transA transB m n k a.Length aOff lda b.Length bOff ldb c.Length cOff ldc
    if m > 0 && n > 0 then
        if k = 0 then
            if not accumulate then
                for i in 0 .. m - 1 do Array.Fill(c, 0.0, cOff + i * ldc, n)
        else
            use pa = fixed a
            use pb = fixed b
            use pc = fixed c
            let a0 = NativePtr.add pa aOff
            let b0 = NativePtr.add pb bOff
            let c0 = NativePtr.add pc cOff
            let parts = partsFor threads m n k
            if parts <= 1 then serialD transA transB m n k a0 lda b0 ldb c0 ldc accumulate
            else
                let byColumns = n >= m
                let extent = if byColumns then n else m
                let unit = if byColumns then 16 else 8
                let chunk = roundUp ((extent + parts - 1) / parts) unit
                let blocks = (extent + chunk - 1) / chunk
                // nativeptr cannot be captured by a closure: pass the addresses
                let aAddr, bAddr, cAddr = NativePtr.toNativeInt a0, NativePtr.toNativeInt b0, NativePtr.toNativeInt c0
                KernelThreads.run threads blocks (fun part ->
                    let s = part * chunk
                    let len = min chunk (extent - s)
                    let a0 = NativePtr.ofNativeInt<float> aAddr
                    let b0 = NativePtr.ofNativeInt<float> bAddr
                    let c0 = NativePtr.ofNativeInt<float> cAddr
                    if byColumns then
                        serialD transA transB m len k a0 lda (NativePtr.add b0 (if transB then s * ldb else s)) ldb
                                     (NativePtr.add c0 s) ldc accumulate
                    else
                        serialD transA transB len n k (NativePtr.add a0 (if transA then s else s * lda)) lda b0 ldb
                                     (NativePtr.add c0 (s * ldc)) ldc accumulate)

/// Packs op(B)[pc .. pc+kc-1, j0 .. j0+nc-1] into micro-panels of 32 columns (the last zero-padded), each kc rows of
/// 32 contiguous values. op(B)[p, j] is b[bOff + p ldb + j], or b[bOff + j ldb + p] when `transB`.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packBS (transB: bool) (b: nativeptr<float32>) (ldb: int) (pc: int) (kc: int) (j0: int) (nc: int) (dst: nativeptr<float32>) =
    let mutable jp = 0
    while jp < nc do
        let w = min 32 (nc - jp)
        let panel = NativePtr.add dst (jp * kc)
        if not transB then
            for p in 0 .. kc - 1 do
                let src = NativePtr.add b ((pc + p) * ldb + j0 + jp)
                let d = NativePtr.add panel (p * 32)
                if w = 32 then
                    Vector512.Store(Vector512.Load src, d)
                    Vector512.Store(Vector512.Load(NativePtr.add src 16), NativePtr.add d 16)
                else
                    for j in 0 .. w - 1 do NativePtr.set d j (NativePtr.get src j)
                    for j in w .. 31 do NativePtr.set d j 0.0f
        else
            for j in 0 .. w - 1 do
                let src = NativePtr.add b ((j0 + jp + j) * ldb + pc)
                for p in 0 .. kc - 1 do NativePtr.set panel (p * 32 + j) (NativePtr.get src p)
            if w < 32 then
                for p in 0 .. kc - 1 do
                    for j in w .. 31 do NativePtr.set panel (p * 32 + j) 0.0f
        jp <- jp + 32

/// Packs the last, partial micro-panel of op(A): rows i0 .. i0+h-1 (h < 8), columns pc .. pc+kc-1, as kc steps of
/// 8 contiguous values (rows h .. 7 zero). Full panels are read in place (op(A)[i, p] at a[i lda + p], or at
/// a[p lda + i] when `transA`): the micro-kernel takes any row and step strides, so only the edge needs a copy.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packAS (transA: bool) (a: nativeptr<float32>) (lda: int) (i0: int) (h: int) (pc: int) (kc: int) (dst: nativeptr<float32>) =
    for p in 0 .. kc - 1 do
        let d = NativePtr.add dst (p * 8)
        for r in 0 .. h - 1 do
            NativePtr.set d r (NativePtr.get a (if transA then (pc + p) * lda + i0 + r else (i0 + r) * lda + pc + p))
        for r in h .. 7 do NativePtr.set d r 0.0f

/// Packs op(A)[i0 .. i0+mc-1, pc .. pc+kc-1] into micro-panels of 8 rows (the last zero-padded), each kc steps of
/// 8 contiguous values: one stream for the micro-kernel, kept in L2 across the column micro-panels.
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private packAllS (transA: bool) (a: nativeptr<float32>) (lda: int) (i0: int) (mc: int) (pc: int) (kc: int) (dst: nativeptr<float32>) =
    let mutable ip = 0
    while ip < mc do
        let h = min 8 (mc - ip)
        let panel = NativePtr.add dst (ip * kc)
        if h < 8 then packAS transA a lda (i0 + ip) h pc kc panel
        elif transA then
            for p in 0 .. kc - 1 do
                let src = NativePtr.add a ((pc + p) * lda + i0 + ip)
                let d = NativePtr.add panel (p * 8)
                for r in 0 .. 7 do NativePtr.set d r (NativePtr.get src r)
        else
            for r in 0 .. 7 do
                let src = NativePtr.add a ((i0 + ip + r) * lda + pc)
                for p in 0 .. kc - 1 do NativePtr.set panel (p * 8 + r) (NativePtr.get src p)
        ip <- ip + 8

/// One thread's C[0..m-1, 0..n-1] = (or +=) op(A) op(B) over the pointers' origins (BLIS's five loops: column blocks
/// of nc, depth blocks of kc with B packed once per block, row blocks of mc with A packed, then micro-tiles).
[<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
let private serialS (transA: bool) (transB: bool) m n k (a: nativeptr<float32>) lda (b: nativeptr<float32>) ldb
                          (c: nativeptr<float32>) ldc (accumulate: bool) =
    let kcMax = min kcS k
    let ncMax = min ncS (roundUp n 32)
    let mcMax = min mcS (roundUp m 8)
    let buffers = Scratch.Get((kcMax * ncMax + kcMax * mcMax + 256) * sizeof<float32>)
    let bPack = NativePtr.ofNativeInt<float32> buffers
    let aPack = NativePtr.add bPack (kcMax * ncMax)
    let tile = NativePtr.add aPack (kcMax * mcMax)
    let mutable jc = 0
    while jc < n do
        let nc = min ncMax (n - jc)
        let mutable pc = 0
        while pc < k do
            let kc = min kcMax (k - pc)
            packBS transB b ldb pc kc jc nc bPack
            let acc = accumulate || pc > 0
            let mutable ic = 0
            while ic < m do
                let mc = min mcMax (m - ic)
                // A packed when its block is reused over enough column micro-panels; read in place for thin products
                let packed = nc >= packMinColumns
                let tail = mc % 8
                if packed then packAllS transA a lda ic mc pc kc aPack
                elif tail > 0 then packAS transA a lda (ic + mc - tail) tail pc kc aPack
                let rs, ps = (if transA then 1, lda else lda, 1)
                let mutable jr = 0
                while jr < nc do
                    let cols = min 32 (nc - jr)
                    let bp = NativePtr.add bPack (jr * kc)
                    let mutable ir = 0
                    while ir < mc do
                        let rows = min 8 (mc - ir)
                        let cp = NativePtr.add c ((ic + ir) * ldc + jc + jr)
                        if packed then kernelS kc (NativePtr.add aPack (ir * kc)) 1 8 bp cp ldc acc rows cols tile
                        elif rows = 8 then
                            let ap = NativePtr.add a (if transA then pc * lda + ic + ir else (ic + ir) * lda + pc)
                            kernelS kc ap rs ps bp cp ldc acc rows cols tile
                        else kernelS kc aPack 1 8 bp cp ldc acc rows cols tile
                        ir <- ir + 8
                    jr <- jr + 32
                ic <- ic + mc
            pc <- pc + kc
        jc <- jc + nc

/// C[cOff ..] (m x n, row-major, leading dimension ldc) = op(A) op(B), or += when `accumulate`, with op(A) m x k
/// (a[aOff + i lda + p], or a[aOff + p lda + i] when `transA`) and op(B) k x n (b[bOff + p ldb + j], or
/// b[bOff + j ldb + p] when `transB`), split over `threads` kernel threads by blocks of C's rows or columns.
/// Requires AVX-512F (`isSupported`); checks that every index it will touch lies in the arrays.
let gemmS (transA: bool) (transB: bool) m n k (a: float32[]) aOff lda (b: float32[]) bOff ldb (c: float32[]) cOff ldc
               (accumulate: bool) (threads: int) =
    checkArgs "float32" transA transB m n k a.Length aOff lda b.Length bOff ldb c.Length cOff ldc
    if m > 0 && n > 0 then
        if k = 0 then
            if not accumulate then
                for i in 0 .. m - 1 do Array.Fill(c, 0.0f, cOff + i * ldc, n)
        else
            use pa = fixed a
            use pb = fixed b
            use pc = fixed c
            let a0 = NativePtr.add pa aOff
            let b0 = NativePtr.add pb bOff
            let c0 = NativePtr.add pc cOff
            let parts = partsFor threads m n k
            if parts <= 1 then serialS transA transB m n k a0 lda b0 ldb c0 ldc accumulate
            else
                let byColumns = n >= m
                let extent = if byColumns then n else m
                let unit = if byColumns then 32 else 8
                let chunk = roundUp ((extent + parts - 1) / parts) unit
                let blocks = (extent + chunk - 1) / chunk
                // nativeptr cannot be captured by a closure: pass the addresses
                let aAddr, bAddr, cAddr = NativePtr.toNativeInt a0, NativePtr.toNativeInt b0, NativePtr.toNativeInt c0
                KernelThreads.run threads blocks (fun part ->
                    let s = part * chunk
                    let len = min chunk (extent - s)
                    let a0 = NativePtr.ofNativeInt<float32> aAddr
                    let b0 = NativePtr.ofNativeInt<float32> bAddr
                    let c0 = NativePtr.ofNativeInt<float32> cAddr
                    if byColumns then
                        serialS transA transB m len k a0 lda (NativePtr.add b0 (if transB then s * ldb else s)) ldb
                                     (NativePtr.add c0 s) ldc accumulate
                    else
                        serialS transA transB len n k (NativePtr.add a0 (if transA then s else s * lda)) lda b0 ldb
                                     (NativePtr.add c0 (s * ldc)) ldc accumulate)
