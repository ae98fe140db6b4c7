/// One matrix product C = op(A) op(B) (+ beta C) on a native BLAS library, laid out for speed: split into blocks
/// of C over the kernel threads, each block a single-threaded library call, and written through a 64-byte aligned
/// scratch buffer when the library is MKL and C is misaligned (MKL's slow path). The caller has checked the
/// arguments and supplies the library call for one block.
module internal Nabla.Core.Gemm

#nowarn "9" // native pointers: C and the scratch buffer are pinned with `fixed` for exactly the duration of one product

open System
open MathNet.Numerics.Providers.LinearAlgebra
open Microsoft.FSharp.NativeInterop

/// Products of at least this many multiply-adds (m n k) are split over the kernel threads.
let splitMinWork = 1L <<< 21

/// Runs C = op(A) op(B) (column-major, C is m x n with leading dimension m) as library calls that each use one
/// thread, over blocks of C's columns (or rows, when C has more rows) on the kernel threads (`KernelThreads`: the
/// caller and Nabla's own workers, as many as MathNet's MaxDegreeOfParallelism, which `Backend.setThreads` sets).
/// `call m' n' aOff bOff cOff` computes one block.
/// Not the library's own threads: MKL's GNU OpenMP workers spin-wait after each call and, with as many threads as
/// cores, fight the .NET threads (and any other process) for the cores (bench/README.md, "Measurements behind the
/// kernels' choices").
/// Libraries without a per-thread setting (OpenBLAS, BLIS) get one call, threaded as they choose.
let private split (lib: Native.BlasLibrary) (tA: Transpose) (tB: Transpose) m n k lda ldb
                  (call: int -> int -> int -> int -> int -> unit) =
    match lib.SetLocalThreads with
    | None -> call m n 0 0 0
    | Some setLocal ->
        let single (f: unit -> unit) =
            let previous = setLocal 1
            try f () finally setLocal previous |> ignore
        let threads = MathNet.Numerics.Control.MaxDegreeOfParallelism
        let parts =
            if threads <= 1 || int64 m * int64 n * int64 k < splitMinWork then 1
            else min threads (max m n / 64)
        if parts <= 1 then single (fun () -> call m n 0 0 0)
        else
            let byColumns = n >= m
            let extent = if byColumns then n else m
            // blocks of a multiple of 16 rows or columns
            let chunk = ((extent + parts - 1) / parts + 15) / 16 * 16
            let blocks = (extent + chunk - 1) / chunk
            KernelThreads.run threads blocks (fun p ->
                let s = p * chunk
                let len = min chunk (extent - s)
                single (fun () ->
                    if byColumns then call m len 0 (if tB = Transpose.DontTranspose then s * ldb else s) (s * m)
                    else call len n (if tA = Transpose.DontTranspose then s else s * lda) 0 s))

/// Products of at least this many multiply-adds (m n k), with k at least `alignedCMinDepth`, write C through a
/// 64-byte aligned scratch buffer when the library is MKL and C is not 32-byte aligned.
let alignedCMinWork = 1L <<< 21
let alignedCMinDepth = 64
/// The largest C (in bytes) that goes through the scratch buffer; a larger one is written in place.
let alignedCMaxBytes = 1L <<< 28

/// True when `run` writes C through the aligned scratch buffer.
let usesAlignedC (lib: Native.BlasLibrary) (c: nativeint) (elem: int) m n k =
    lib.Kind = Native.Mkl && c % 32n <> 0n && k >= alignedCMinDepth
    && int64 m * int64 n * int64 k >= alignedCMinWork && int64 m * int64 n * int64 elem <= alignedCMaxBytes

/// Runs C = op(A) op(B) (+ beta C) through `split`, with C (m x n, column-major, leading dimension m, `elem` bytes
/// per element) at the pinned address `c`; `call m' n' aOff bOff cAddr` computes one block into cAddr.
/// MKL's ?gemm writes a C that is not 32-byte aligned markedly slower (A's and B's alignment do not matter, nor
/// does C's for OpenBLAS or BLIS: bench/README.md, "Measurements behind the kernels' choices"), and a .NET array's
/// elements are only 8-byte aligned, so for such a C each block is computed into a pooled scratch buffer at a
/// 64-byte boundary and copied out (and, when `readsC`, copied in first): m n element copies against m n k
/// multiply-adds, hence the minimum depth. The buffer is rented from `ArrayPool<byte>.Shared`, which keeps it
/// for the next product and gives it back to the GC under memory pressure.
let run (lib: Native.BlasLibrary) (elem: int) (readsC: bool) (tA: Transpose) (tB: Transpose) m n k lda ldb
        (c: nativeint) (call: int -> int -> int -> int -> nativeint -> unit) =
    let at (p: nativeint) (off: int) = p + nativeint off * nativeint elem
    if not (usesAlignedC lib c elem m n k) then
        split lib tA tB m n k lda ldb (fun m' n' aOff bOff cOff -> call m' n' aOff bOff (at c cOff))
    else
        let bytes = int64 m * int64 n * int64 elem
        let rented = System.Buffers.ArrayPool<byte>.Shared.Rent(int bytes + 64)
        try
            use pr = fixed rented
            let scratch = (NativePtr.toNativeInt pr + 63n) &&& ~~~63n
            let copy (src: nativeint) (dst: nativeint) (off: int) (count: int64) =
                let bytes = count * int64 elem
                Buffer.MemoryCopy(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> (at src off)),
                                  NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> (at dst off)), bytes, bytes)
            // one block: m' rows from row cOff % m, n' columns from column cOff / m (leading dimension m)
            let copyBlock (src: nativeint) (dst: nativeint) m' n' cOff =
                if m' = m then copy src dst cOff (int64 m * int64 n')
                else for j in 0 .. n' - 1 do copy src dst (cOff + j * m) (int64 m')
            split lib tA tB m n k lda ldb (fun m' n' aOff bOff cOff ->
                if readsC then copyBlock c scratch m' n' cOff
                call m' n' aOff bOff (at scratch cOff)
                copyBlock scratch c m' n' cOff)
        finally
            System.Buffers.ArrayPool<byte>.Shared.Return rented
