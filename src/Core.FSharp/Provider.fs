namespace Nabla.Core

#nowarn "9" // native pointers: C and the scratch buffer are pinned with `fixed` for exactly the duration of one product

open System
open System.Numerics
open MathNet.Numerics
open MathNet.Numerics.Providers.LinearAlgebra
open MathNet.Numerics.LinearAlgebra.Factorization

/// Argument checks and dispatch of the accelerated ILinearAlgebraProvider methods to a native BLAS
/// library. Sizes are checked here, before any native call: a wrong size in native code is memory
/// corruption, not an exception.
module internal NativeBlas =

    let private trans (t: Transpose) = if t = Transpose.DontTranspose then Native.NoTrans else Native.Trans

    let private check (cond: bool) (name: string) (msg: string) = if not cond then invalidArg name msg

    /// m, n, k of C = op(A) op(B) from MathNet's column-major arguments, checked.
    let private gemmDims (tA: Transpose) (tB: Transpose) (aLen: int) rowsA columnsA (bLen: int) rowsB columnsB (cLen: int) =
        check (rowsA >= 0 && columnsA >= 0 && rowsB >= 0 && columnsB >= 0) "rowsA" "MatrixMultiply: negative dimension"
        check (aLen >= rowsA * columnsA) "a" (sprintf "MatrixMultiply: a has %d elements; expected at least %d x %d" aLen rowsA columnsA)
        check (bLen >= rowsB * columnsB) "b" (sprintf "MatrixMultiply: b has %d elements; expected at least %d x %d" bLen rowsB columnsB)
        let m = if tA = Transpose.DontTranspose then rowsA else columnsA
        let k = if tA = Transpose.DontTranspose then columnsA else rowsA
        let l = if tB = Transpose.DontTranspose then rowsB else columnsB
        let n = if tB = Transpose.DontTranspose then columnsB else rowsB
        check (k = l) "b" (sprintf "MatrixMultiply: inner dimensions differ (%d and %d)" k l)
        check (cLen = m * n) "c" (sprintf "MatrixMultiply: c has %d elements; expected %d x %d" cLen m n)
        m, n, k

    /// Products of at least this many multiply-adds (m n k) are split over the kernel threads.
    let gemmSplitThreshold = 1L <<< 21

    /// Runs C = op(A) op(B) (column-major, C is m x n with leading dimension m) as library calls that each use one
    /// thread, over blocks of C's columns (or rows, when C has more rows) on the kernel threads (`KernelThreads`: the
    /// caller and Nabla's own workers, as many as MathNet's MaxDegreeOfParallelism, which Backend.Threads sets).
    /// `call m' n' aOff bOff cOff` computes one block.
    /// Why not the library's own threads: MKL's GNU OpenMP workers spin-wait after each call, and on a machine
    /// with as many cores as threads they then fight the .NET threads (and any other process) for the cores;
    /// measured on 2 cores, a 784-512-512-10 MLP step ran 7x slower with MKL's 2 OpenMP threads than with this.
    /// Libraries without a per-thread setting (OpenBLAS, BLIS) get one call, threaded as they choose.
    let private splitGemm (lib: Native.BlasLibrary) (tA: Transpose) (tB: Transpose) m n k lda ldb
                          (call: int -> int -> int -> int -> int -> unit) =
        match lib.SetLocalThreads with
        | None -> call m n 0 0 0
        | Some setLocal ->
            let single (f: unit -> unit) =
                let previous = setLocal 1
                try f () finally setLocal previous |> ignore
            let threads = MathNet.Numerics.Control.MaxDegreeOfParallelism
            let parts =
                if threads <= 1 || int64 m * int64 n * int64 k < gemmSplitThreshold then 1
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

    /// True when `gemmInto` writes C through the aligned scratch buffer.
    let usesAlignedC (lib: Native.BlasLibrary) (c: nativeint) (elem: int) m n k =
        lib.Kind = Native.Mkl && c % 32n <> 0n && k >= alignedCMinDepth
        && int64 m * int64 n * int64 k >= alignedCMinWork && int64 m * int64 n * int64 elem <= alignedCMaxBytes

    /// Runs C = op(A) op(B) (+ beta C) through `splitGemm`, with C (m x n, column-major, leading dimension m, `elem`
    /// bytes per element) at the pinned address `c`; `call m' n' aOff bOff cAddr` computes one block into cAddr.
    /// MKL 2020.4's ?gemm writes a C that is not 32-byte aligned markedly slower on this AMD machine (1024 x 1024
    /// sgemm, 30 runs interleaved in one C process, median: 27.0-27.4 ms with C at 0 or 32 bytes mod 64, 32.1-33.0 ms
    /// at 8 or 16; A's and B's alignment made no difference, nor did C's for OpenBLAS or BLIS). A .NET array's
    /// elements are only 8-byte aligned, so for such a C each block is computed into a pooled scratch buffer at a
    /// 64-byte boundary and copied out (and, when `readsC`, copied in first): m n element copies against m n k
    /// multiply-adds, hence the minimum depth. The buffer is rented from `ArrayPool<byte>.Shared`, which keeps it
    /// for the next product and gives it back to the GC under memory pressure.
    let private gemmInto (lib: Native.BlasLibrary) (elem: int) (readsC: bool) (tA: Transpose) (tB: Transpose) m n k lda ldb
                         (c: nativeint) (call: int -> int -> int -> int -> nativeint -> unit) =
        let at (p: nativeint) (off: int) = p + nativeint off * nativeint elem
        if not (usesAlignedC lib c elem m n k) then
            splitGemm lib tA tB m n k lda ldb (fun m' n' aOff bOff cOff -> call m' n' aOff bOff (at c cOff))
        else
            let bytes = int64 m * int64 n * int64 elem
            let rented = System.Buffers.ArrayPool<byte>.Shared.Rent(int bytes + 64)
            try
                use pr = fixed rented
                let scratch = (NativeInterop.NativePtr.toNativeInt pr + 63n) &&& ~~~63n
                let copy (src: nativeint) (dst: nativeint) (off: int) (count: int64) =
                    let bytes = count * int64 elem
                    Buffer.MemoryCopy(NativeInterop.NativePtr.toVoidPtr (NativeInterop.NativePtr.ofNativeInt<byte> (at src off)),
                                      NativeInterop.NativePtr.toVoidPtr (NativeInterop.NativePtr.ofNativeInt<byte> (at dst off)), bytes, bytes)
                // one block: m' rows from row cOff % m, n' columns from column cOff / m (leading dimension m)
                let copyBlock (src: nativeint) (dst: nativeint) m' n' cOff =
                    if m' = m then copy src dst cOff (int64 m * int64 n')
                    else for j in 0 .. n' - 1 do copy src dst (cOff + j * m) (int64 m')
                splitGemm lib tA tB m n k lda ldb (fun m' n' aOff bOff cOff ->
                    if readsC then copyBlock c scratch m' n' cOff
                    call m' n' aOff bOff (at scratch cOff)
                    copyBlock scratch c m' n' cOff)
            finally
                System.Buffers.ArrayPool<byte>.Shared.Return rented

    let dMatrixMultiplyWithUpdate (lib: Native.BlasLibrary) (tA: Transpose, tB: Transpose, alpha: float, a: float[], rowsA: int, columnsA: int,
                                                              b: float[], rowsB: int, columnsB: int, beta: float, c: float[]) =
        let m, n, k = gemmDims tA tB a.Length rowsA columnsA b.Length rowsB columnsB c.Length
        if m > 0 && n > 0 then
            if k = 0 then
                if beta = 0.0 then Array.Clear c else Native.dscal lib c.Length beta c
            elif n = 1 then
                // C (m x 1) = op(A) b: one matrix-vector product.
                Native.dgemv lib (trans tA) rowsA columnsA alpha a (max 1 rowsA) b beta c
            elif m = 1 then
                // C^T (n x 1) = op(B)^T a^T.
                let tB' = if tB = Transpose.DontTranspose then Native.Trans else Native.NoTrans
                Native.dgemv lib tB' rowsB columnsB alpha b (max 1 rowsB) a beta c
            else
                let lda, ldb = max 1 rowsA, max 1 rowsB
                use pc = fixed c
                gemmInto lib sizeof<float> (beta <> 0.0) tA tB m n k lda ldb (NativeInterop.NativePtr.toNativeInt pc) (fun m' n' aOff bOff cAddr ->
                    Native.dgemmAt lib (trans tA) (trans tB) m' n' k alpha a aOff lda b bOff ldb beta cAddr (max 1 m))

    let sMatrixMultiplyWithUpdate (lib: Native.BlasLibrary) (tA: Transpose, tB: Transpose, alpha: float32, a: float32[], rowsA: int, columnsA: int,
                                                              b: float32[], rowsB: int, columnsB: int, beta: float32, c: float32[]) =
        let m, n, k = gemmDims tA tB a.Length rowsA columnsA b.Length rowsB columnsB c.Length
        if m > 0 && n > 0 then
            if k = 0 then
                if beta = 0.0f then Array.Clear c else Native.sscal lib c.Length beta c
            elif n = 1 then
                Native.sgemv lib (trans tA) rowsA columnsA alpha a (max 1 rowsA) b beta c
            elif m = 1 then
                let tB' = if tB = Transpose.DontTranspose then Native.Trans else Native.NoTrans
                Native.sgemv lib tB' rowsB columnsB alpha b (max 1 rowsB) a beta c
            else
                let lda, ldb = max 1 rowsA, max 1 rowsB
                use pc = fixed c
                gemmInto lib sizeof<float32> (beta <> 0.0f) tA tB m n k lda ldb (NativeInterop.NativePtr.toNativeInt pc) (fun m' n' aOff bOff cAddr ->
                    Native.sgemmAt lib (trans tA) (trans tB) m' n' k alpha a aOff lda b bOff ldb beta cAddr (max 1 m))

    let private sameLength (name: string) (x: Array) (y: Array) =
        check (x.Length = y.Length) name (sprintf "the arrays have %d and %d elements; expected the same length" x.Length y.Length)

    /// result = y + alpha x (axpy on a copy of y unless result is y).
    let dAddVectorToScaledVector (lib: Native.BlasLibrary) (y: float[], alpha: float, x: float[], result: float[]) =
        sameLength "x" y x
        sameLength "result" y result
        if not (obj.ReferenceEquals(y, result)) then Array.Copy(y, result, y.Length)
        if alpha <> 0.0 && y.Length > 0 then Native.daxpy lib y.Length alpha x result

    let sAddVectorToScaledVector (lib: Native.BlasLibrary) (y: float32[], alpha: float32, x: float32[], result: float32[]) =
        sameLength "x" y x
        sameLength "result" y result
        if not (obj.ReferenceEquals(y, result)) then Array.Copy(y, result, y.Length)
        if alpha <> 0.0f && y.Length > 0 then Native.saxpy lib y.Length alpha x result

    /// result = alpha x (scal on a copy of x unless result is x).
    let dScaleArray (lib: Native.BlasLibrary) (alpha: float, x: float[], result: float[]) =
        sameLength "result" x result
        if not (obj.ReferenceEquals(x, result)) then Array.Copy(x, result, x.Length)
        if alpha <> 1.0 && x.Length > 0 then Native.dscal lib x.Length alpha result

    let sScaleArray (lib: Native.BlasLibrary) (alpha: float32, x: float32[], result: float32[]) =
        sameLength "result" x result
        if not (obj.ReferenceEquals(x, result)) then Array.Copy(x, result, x.Length)
        if alpha <> 1.0f && x.Length > 0 then Native.sscal lib x.Length alpha result

    let dDotProduct (lib: Native.BlasLibrary) (x: float[], y: float[]) =
        sameLength "y" x y
        if x.Length = 0 then 0.0 else Native.ddot lib x.Length x y

    let sDotProduct (lib: Native.BlasLibrary) (x: float32[], y: float32[]) =
        sameLength "y" x y
        if x.Length = 0 then 0.0f else Native.sdot lib x.Length x y

    let dMatrixMultiply lib (x: float[], rowsX: int, columnsX: int, y: float[], rowsY: int, columnsY: int, result: float[]) =
        dMatrixMultiplyWithUpdate lib (Transpose.DontTranspose, Transpose.DontTranspose, 1.0, x, rowsX, columnsX, y, rowsY, columnsY, 0.0, result)

    let sMatrixMultiply lib (x: float32[], rowsX: int, columnsX: int, y: float32[], rowsY: int, columnsY: int, result: float32[]) =
        sMatrixMultiplyWithUpdate lib (Transpose.DontTranspose, Transpose.DontTranspose, 1.0f, x, rowsX, columnsX, y, rowsY, columnsY, 0.0f, result)

/// MathNet's ILinearAlgebraProvider over a native BLAS library (Intel MKL's libmkl_rt, or any CBLAS):
/// matrix products (?gemm, ?gemv for a vector operand), ?axpy, ?scal and ?dot for Float32 and Float64
/// run natively; every other method is handed to MathNet's managed provider (sealed, hence wrapped).
[<Sealed>]
type NativeLinearAlgebraProvider internal (lib: Native.BlasLibrary, managed: ILinearAlgebraProvider) =
    /// "mkl" or "cblas".
    member _.Name = match lib.Kind with Native.Mkl -> "mkl" | Native.Cblas -> "cblas"
    /// The loaded library's path.
    member _.LibraryPath = lib.Path
    /// The library's version string.
    member _.Version = lib.Version
    member internal _.Library = lib
    override this.ToString() = sprintf "Nabla native provider (%s: %s)" this.Name lib.Version

    interface ILinearAlgebraProvider with
        member _.IsAvailable() = true
        member _.InitializeVerify() = ()
        member _.FreeResources() = ()
    interface ILinearAlgebraProvider<float> with
        member _.AddVectorToScaledVector(y: float[], alpha: float, x: float[], result: float[]) = NativeBlas.dAddVectorToScaledVector lib (y, alpha, x, result)
        member _.ScaleArray(alpha: float, x: float[], result: float[]) = NativeBlas.dScaleArray lib (alpha, x, result)
        member _.ConjugateArray(x: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).ConjugateArray(x, result)
        member _.DotProduct(x: float[], y: float[]) = NativeBlas.dDotProduct lib (x, y)
        member _.AddArrays(x: float[], y: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).AddArrays(x, y, result)
        member _.SubtractArrays(x: float[], y: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).SubtractArrays(x, y, result)
        member _.PointWiseMultiplyArrays(x: float[], y: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).PointWiseMultiplyArrays(x, y, result)
        member _.PointWiseDivideArrays(x: float[], y: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).PointWiseDivideArrays(x, y, result)
        member _.PointWisePowerArrays(x: float[], y: float[], result: float[]) = (managed :> ILinearAlgebraProvider<float>).PointWisePowerArrays(x, y, result)
        member _.MatrixNorm(norm: Norm, rows: int, columns: int, matrix: float[]) = (managed :> ILinearAlgebraProvider<float>).MatrixNorm(norm, rows, columns, matrix)
        member _.MatrixMultiply(x: float[], rowsX: int, columnsX: int, y: float[], rowsY: int, columnsY: int, result: float[]) = NativeBlas.dMatrixMultiply lib (x, rowsX, columnsX, y, rowsY, columnsY, result)
        member _.MatrixMultiplyWithUpdate(transposeA: Transpose, transposeB: Transpose, alpha: float, a: float[], rowsA: int, columnsA: int, b: float[], rowsB: int, columnsB: int, beta: float, c: float[]) = NativeBlas.dMatrixMultiplyWithUpdate lib (transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c)
        member _.LUFactor(data: float[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float>).LUFactor(data, order, ipiv)
        member _.LUInverse(a: float[], order: int) = (managed :> ILinearAlgebraProvider<float>).LUInverse(a, order)
        member _.LUInverseFactored(a: float[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: float[], order: int, b: float[]) = (managed :> ILinearAlgebraProvider<float>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: float[], order: int, ipiv: int[], b: float[]) = (managed :> ILinearAlgebraProvider<float>).LUSolveFactored(columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: float[], order: int) = (managed :> ILinearAlgebraProvider<float>).CholeskyFactor(a, order)
        member _.CholeskySolve(a: float[], orderA: int, b: float[], columnsB: int) = (managed :> ILinearAlgebraProvider<float>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: float[], orderA: int, b: float[], columnsB: int) = (managed :> ILinearAlgebraProvider<float>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: float[], rowsA: int, columnsA: int, q: float[], tau: float[]) = (managed :> ILinearAlgebraProvider<float>).QRFactor(a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: float[], rowsA: int, columnsA: int, r: float[], tau: float[]) = (managed :> ILinearAlgebraProvider<float>).ThinQRFactor(a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: float[], rows: int, columns: int, b: float[], columnsB: int, x: float[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: float[], r: float[], rowsA: int, columnsA: int, tau: float[], b: float[], columnsB: int, x: float[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: float[], rowsA: int, columnsA: int, s: float[], u: float[], vt: float[]) = (managed :> ILinearAlgebraProvider<float>).SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: float[], rowsA: int, columnsA: int, b: float[], columnsB: int, x: float[]) = (managed :> ILinearAlgebraProvider<float>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: float[], u: float[], vt: float[], b: float[], columnsB: int, x: float[]) = (managed :> ILinearAlgebraProvider<float>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: float[], matrixEv: float[], vectorEv: Complex[], matrixD: float[]) = (managed :> ILinearAlgebraProvider<float>).EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
    interface ILinearAlgebraProvider<float32> with
        member _.AddVectorToScaledVector(y: float32[], alpha: float32, x: float32[], result: float32[]) = NativeBlas.sAddVectorToScaledVector lib (y, alpha, x, result)
        member _.ScaleArray(alpha: float32, x: float32[], result: float32[]) = NativeBlas.sScaleArray lib (alpha, x, result)
        member _.ConjugateArray(x: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).ConjugateArray(x, result)
        member _.DotProduct(x: float32[], y: float32[]) = NativeBlas.sDotProduct lib (x, y)
        member _.AddArrays(x: float32[], y: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).AddArrays(x, y, result)
        member _.SubtractArrays(x: float32[], y: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SubtractArrays(x, y, result)
        member _.PointWiseMultiplyArrays(x: float32[], y: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).PointWiseMultiplyArrays(x, y, result)
        member _.PointWiseDivideArrays(x: float32[], y: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).PointWiseDivideArrays(x, y, result)
        member _.PointWisePowerArrays(x: float32[], y: float32[], result: float32[]) = (managed :> ILinearAlgebraProvider<float32>).PointWisePowerArrays(x, y, result)
        member _.MatrixNorm(norm: Norm, rows: int, columns: int, matrix: float32[]) = (managed :> ILinearAlgebraProvider<float32>).MatrixNorm(norm, rows, columns, matrix)
        member _.MatrixMultiply(x: float32[], rowsX: int, columnsX: int, y: float32[], rowsY: int, columnsY: int, result: float32[]) = NativeBlas.sMatrixMultiply lib (x, rowsX, columnsX, y, rowsY, columnsY, result)
        member _.MatrixMultiplyWithUpdate(transposeA: Transpose, transposeB: Transpose, alpha: float32, a: float32[], rowsA: int, columnsA: int, b: float32[], rowsB: int, columnsB: int, beta: float32, c: float32[]) = NativeBlas.sMatrixMultiplyWithUpdate lib (transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c)
        member _.LUFactor(data: float32[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float32>).LUFactor(data, order, ipiv)
        member _.LUInverse(a: float32[], order: int) = (managed :> ILinearAlgebraProvider<float32>).LUInverse(a, order)
        member _.LUInverseFactored(a: float32[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float32>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: float32[], order: int, b: float32[]) = (managed :> ILinearAlgebraProvider<float32>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: float32[], order: int, ipiv: int[], b: float32[]) = (managed :> ILinearAlgebraProvider<float32>).LUSolveFactored(columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: float32[], order: int) = (managed :> ILinearAlgebraProvider<float32>).CholeskyFactor(a, order)
        member _.CholeskySolve(a: float32[], orderA: int, b: float32[], columnsB: int) = (managed :> ILinearAlgebraProvider<float32>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: float32[], orderA: int, b: float32[], columnsB: int) = (managed :> ILinearAlgebraProvider<float32>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: float32[], rowsA: int, columnsA: int, q: float32[], tau: float32[]) = (managed :> ILinearAlgebraProvider<float32>).QRFactor(a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: float32[], rowsA: int, columnsA: int, r: float32[], tau: float32[]) = (managed :> ILinearAlgebraProvider<float32>).ThinQRFactor(a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: float32[], rows: int, columns: int, b: float32[], columnsB: int, x: float32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float32>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: float32[], r: float32[], rowsA: int, columnsA: int, tau: float32[], b: float32[], columnsB: int, x: float32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float32>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: float32[], rowsA: int, columnsA: int, s: float32[], u: float32[], vt: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: float32[], rowsA: int, columnsA: int, b: float32[], columnsB: int, x: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: float32[], u: float32[], vt: float32[], b: float32[], columnsB: int, x: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: float32[], matrixEv: float32[], vectorEv: Complex[], matrixD: float32[]) = (managed :> ILinearAlgebraProvider<float32>).EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
    interface ILinearAlgebraProvider<Complex> with
        member _.AddVectorToScaledVector(y: Complex[], alpha: Complex, x: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).AddVectorToScaledVector(y, alpha, x, result)
        member _.ScaleArray(alpha: Complex, x: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).ScaleArray(alpha, x, result)
        member _.ConjugateArray(x: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).ConjugateArray(x, result)
        member _.DotProduct(x: Complex[], y: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).DotProduct(x, y)
        member _.AddArrays(x: Complex[], y: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).AddArrays(x, y, result)
        member _.SubtractArrays(x: Complex[], y: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).SubtractArrays(x, y, result)
        member _.PointWiseMultiplyArrays(x: Complex[], y: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).PointWiseMultiplyArrays(x, y, result)
        member _.PointWiseDivideArrays(x: Complex[], y: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).PointWiseDivideArrays(x, y, result)
        member _.PointWisePowerArrays(x: Complex[], y: Complex[], result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).PointWisePowerArrays(x, y, result)
        member _.MatrixNorm(norm: Norm, rows: int, columns: int, matrix: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).MatrixNorm(norm, rows, columns, matrix)
        member _.MatrixMultiply(x: Complex[], rowsX: int, columnsX: int, y: Complex[], rowsY: int, columnsY: int, result: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result)
        member _.MatrixMultiplyWithUpdate(transposeA: Transpose, transposeB: Transpose, alpha: Complex, a: Complex[], rowsA: int, columnsA: int, b: Complex[], rowsB: int, columnsB: int, beta: Complex, c: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c)
        member _.LUFactor(data: Complex[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<Complex>).LUFactor(data, order, ipiv)
        member _.LUInverse(a: Complex[], order: int) = (managed :> ILinearAlgebraProvider<Complex>).LUInverse(a, order)
        member _.LUInverseFactored(a: Complex[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<Complex>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: Complex[], order: int, b: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: Complex[], order: int, ipiv: int[], b: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).LUSolveFactored(columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: Complex[], order: int) = (managed :> ILinearAlgebraProvider<Complex>).CholeskyFactor(a, order)
        member _.CholeskySolve(a: Complex[], orderA: int, b: Complex[], columnsB: int) = (managed :> ILinearAlgebraProvider<Complex>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: Complex[], orderA: int, b: Complex[], columnsB: int) = (managed :> ILinearAlgebraProvider<Complex>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: Complex[], rowsA: int, columnsA: int, q: Complex[], tau: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).QRFactor(a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: Complex[], rowsA: int, columnsA: int, r: Complex[], tau: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).ThinQRFactor(a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: Complex[], rows: int, columns: int, b: Complex[], columnsB: int, x: Complex[], method: QRMethod) = (managed :> ILinearAlgebraProvider<Complex>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: Complex[], r: Complex[], rowsA: int, columnsA: int, tau: Complex[], b: Complex[], columnsB: int, x: Complex[], method: QRMethod) = (managed :> ILinearAlgebraProvider<Complex>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: Complex[], rowsA: int, columnsA: int, s: Complex[], u: Complex[], vt: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: Complex[], rowsA: int, columnsA: int, b: Complex[], columnsB: int, x: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: Complex[], u: Complex[], vt: Complex[], b: Complex[], columnsB: int, x: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: Complex[], matrixEv: Complex[], vectorEv: Complex[], matrixD: Complex[]) = (managed :> ILinearAlgebraProvider<Complex>).EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
    interface ILinearAlgebraProvider<Complex32> with
        member _.AddVectorToScaledVector(y: Complex32[], alpha: Complex32, x: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).AddVectorToScaledVector(y, alpha, x, result)
        member _.ScaleArray(alpha: Complex32, x: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).ScaleArray(alpha, x, result)
        member _.ConjugateArray(x: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).ConjugateArray(x, result)
        member _.DotProduct(x: Complex32[], y: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).DotProduct(x, y)
        member _.AddArrays(x: Complex32[], y: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).AddArrays(x, y, result)
        member _.SubtractArrays(x: Complex32[], y: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).SubtractArrays(x, y, result)
        member _.PointWiseMultiplyArrays(x: Complex32[], y: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).PointWiseMultiplyArrays(x, y, result)
        member _.PointWiseDivideArrays(x: Complex32[], y: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).PointWiseDivideArrays(x, y, result)
        member _.PointWisePowerArrays(x: Complex32[], y: Complex32[], result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).PointWisePowerArrays(x, y, result)
        member _.MatrixNorm(norm: Norm, rows: int, columns: int, matrix: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).MatrixNorm(norm, rows, columns, matrix)
        member _.MatrixMultiply(x: Complex32[], rowsX: int, columnsX: int, y: Complex32[], rowsY: int, columnsY: int, result: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result)
        member _.MatrixMultiplyWithUpdate(transposeA: Transpose, transposeB: Transpose, alpha: Complex32, a: Complex32[], rowsA: int, columnsA: int, b: Complex32[], rowsB: int, columnsB: int, beta: Complex32, c: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c)
        member _.LUFactor(data: Complex32[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<Complex32>).LUFactor(data, order, ipiv)
        member _.LUInverse(a: Complex32[], order: int) = (managed :> ILinearAlgebraProvider<Complex32>).LUInverse(a, order)
        member _.LUInverseFactored(a: Complex32[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<Complex32>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: Complex32[], order: int, b: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: Complex32[], order: int, ipiv: int[], b: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).LUSolveFactored(columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: Complex32[], order: int) = (managed :> ILinearAlgebraProvider<Complex32>).CholeskyFactor(a, order)
        member _.CholeskySolve(a: Complex32[], orderA: int, b: Complex32[], columnsB: int) = (managed :> ILinearAlgebraProvider<Complex32>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: Complex32[], orderA: int, b: Complex32[], columnsB: int) = (managed :> ILinearAlgebraProvider<Complex32>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: Complex32[], rowsA: int, columnsA: int, q: Complex32[], tau: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).QRFactor(a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: Complex32[], rowsA: int, columnsA: int, r: Complex32[], tau: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).ThinQRFactor(a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: Complex32[], rows: int, columns: int, b: Complex32[], columnsB: int, x: Complex32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<Complex32>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: Complex32[], r: Complex32[], rowsA: int, columnsA: int, tau: Complex32[], b: Complex32[], columnsB: int, x: Complex32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<Complex32>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: Complex32[], rowsA: int, columnsA: int, s: Complex32[], u: Complex32[], vt: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: Complex32[], rowsA: int, columnsA: int, b: Complex32[], columnsB: int, x: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: Complex32[], u: Complex32[], vt: Complex32[], b: Complex32[], columnsB: int, x: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: Complex32[], matrixEv: Complex32[], vectorEv: Complex[], matrixD: Complex32[]) = (managed :> ILinearAlgebraProvider<Complex32>).EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)

/// Which linear-algebra provider Nabla's kernels use, how many threads they may take, and a
/// diagnostic of how the choice was made. Chosen once, at first use, from NABLA_PROVIDER
/// (auto | mkl | cblas | managed; auto: MKL when it loads, else managed), NABLA_MKL_PATH,
/// NABLA_BLAS_PATH, NABLA_MKL_THREADING (auto | gnu | sequential) and NABLA_THREADS; switchable
/// between computations. An explicitly requested provider that fails throws InvalidOperationException
/// with the diagnostic; only `auto` falls back, and says so in the diagnostic.
module Backend =

    type private Selection =
        { Name: string
          Provider: ILinearAlgebraProvider
          Library: Native.BlasLibrary option }

    let private gate = obj ()
    let mutable private selection: Selection option = None
    /// Set when an explicit request failed: every use throws it until another provider is chosen.
    let mutable private failure: string option = None
    let mutable private current: ILinearAlgebraProvider = null
    let private log = ResizeArray<string>()
    let private loaded = Collections.Generic.Dictionary<string, Native.BlasLibrary>()
    let mutable private threads = 0

    let private managed () : ILinearAlgebraProvider = ManagedLinearAlgebraProvider.Instance :> _

    let private env (name: string) =
        match Environment.GetEnvironmentVariable name with
        | null -> None
        | v when String.IsNullOrWhiteSpace v -> None
        | v -> Some(v.Trim())

    let private defaultThreads () =
        match env "NABLA_THREADS" with
        | Some v ->
            match Int32.TryParse v with
            | true, n when n >= 1 -> n, sprintf "NABLA_THREADS=%d" n
            | _ -> Environment.ProcessorCount, sprintf "NABLA_THREADS=%s is not a positive integer; using the processor count %d" v Environment.ProcessorCount
        | None -> Environment.ProcessorCount, sprintf "processor count %d (NABLA_THREADS unset)" Environment.ProcessorCount

    let private applyThreads () =
        Control.MaxDegreeOfParallelism <- threads
        match selection with
        | Some { Library = Some lib } -> lib.SetThreads |> Option.iter (fun f -> f threads)
        | _ -> ()

    let private select (s: Selection) =
        selection <- Some s
        failure <- None
        current <- s.Provider
        applyThreads ()

    let private describeUnlocked () =
        let sb = Text.StringBuilder()
        let line (s: string) = sb.AppendLine s |> ignore
        match selection, failure with
        | _, Some err -> line (sprintf "Nabla backend: no provider (the requested one failed: %s)" err)
        | Some s, None -> line (sprintf "Nabla backend: provider %s" s.Name)
        | None, None -> line "Nabla backend: not chosen yet"
        match selection with
        | Some { Library = Some lib } ->
            line (sprintf "  library: %s" lib.Path)
            line (sprintf "  version: %s" lib.Version)
            if lib.ThreadingLayer <> "" then line (sprintf "  MKL threading layer: %s" lib.ThreadingLayer)
            let native = match lib.GetThreads with Some f -> sprintf ", library reports %d" (f ()) | None -> ""
            line (sprintf "  threads: %d%s" threads native)
        | Some _ -> line (sprintf "  threads: %d (MathNet managed provider)" threads)
        | None -> line (sprintf "  threads: %d" threads)
        line "  how it was chosen:"
        for l in log do line ("    " + l)
        sb.ToString().TrimEnd()

    let private note (s: string) = log.Add s

    let private noteProbe (r: Native.ProbeResult) =
        for s in r.Steps do note (sprintf "probe %s: %s" s.What s.Outcome)
        match r.Error with Some e -> note (sprintf "failed: %s" e) | None -> ()

    let private cached (path: string) = match loaded.TryGetValue path with | true, l -> Some l | _ -> None

    let private selectLibrary (lib: Native.BlasLibrary) =
        loaded.[lib.Path] <- lib
        let p = NativeLinearAlgebraProvider(lib, managed ())
        select { Name = p.Name; Provider = p; Library = Some lib }

    let private tryMkl (path: string option) : bool =
        let layer = defaultArg (env "NABLA_MKL_THREADING") "auto"
        let already = path |> Option.bind (fun p -> cached (if IO.Directory.Exists p then IO.Path.Combine(p, "libmkl_rt.so") else p))
        let already = match already, path with
                      | None, None -> loaded.Values |> Seq.tryFind (fun l -> l.Kind = Native.Mkl)
                      | a, _ -> a
        match already with
        | Some lib when lib.Kind = Native.Mkl ->
            note (sprintf "MKL at %s is already loaded (threading layer %s); reused" lib.Path lib.ThreadingLayer)
            selectLibrary lib
            true
        | _ ->
            let r = Native.probeMkl path layer
            noteProbe r
            match r.Library with
            | Some lib -> selectLibrary lib; true
            | None -> false

    let private tryCblas (path: string) : bool =
        match cached path with
        | Some lib when lib.Kind = Native.Cblas ->
            note (sprintf "CBLAS at %s is already loaded; reused" path)
            selectLibrary lib
            true
        | _ ->
            let r = Native.probeCblas path
            noteProbe r
            match r.Library with
            | Some lib -> selectLibrary lib; true
            | None -> false

    /// A failed request made through the environment: no provider until another is chosen.
    let private fail (what: string) =
        selection <- None
        current <- null
        failure <- Some what
        InvalidOperationException(describeUnlocked ())

    /// A failed UseMkl/UseCblas call: it throws, and the provider in use stays.
    let private failCall (what: string) =
        note what
        InvalidOperationException(describeUnlocked ())

    let private selectManaged (why: string) =
        note why
        select { Name = "managed"; Provider = managed (); Library = None }

    let private initFromEnvironment () =
        let t, why = defaultThreads ()
        threads <- t
        note (sprintf "threads: %s" why)
        let request = (defaultArg (env "NABLA_PROVIDER") "auto").ToLowerInvariant()
        note (sprintf "NABLA_PROVIDER=%s%s" request (if env "NABLA_PROVIDER" = None then " (unset)" else ""))
        match request with
        | "managed" -> selectManaged "managed provider selected"
        | "mkl" ->
            if not (tryMkl (env "NABLA_MKL_PATH")) then raise (fail "NABLA_PROVIDER=mkl, but MKL did not load")
        | "cblas" ->
            match env "NABLA_BLAS_PATH" with
            | None -> raise (fail "NABLA_PROVIDER=cblas, but NABLA_BLAS_PATH is not set")
            | Some p -> if not (tryCblas p) then raise (fail (sprintf "NABLA_BLAS_PATH=%s did not load" p))
        | "auto" ->
            match env "NABLA_BLAS_PATH" with
            | Some p ->
                // Naming a library is an explicit request: no fallback.
                if not (tryCblas p) then raise (fail (sprintf "NABLA_BLAS_PATH=%s did not load" p))
            | None ->
                if not (tryMkl (env "NABLA_MKL_PATH")) then
                    selectManaged "auto: MKL did not load (see above); using MathNet's managed provider"
        | other ->
            raise (fail (sprintf "NABLA_PROVIDER=%s is not one of auto, mkl, cblas, managed" other))

    let private ensure () =
        match failure with
        | Some _ -> raise (InvalidOperationException(describeUnlocked ()))
        | None -> if selection.IsNone then initFromEnvironment ()

    /// The provider Nabla's kernels call (chosen from the environment at the first call).
    let linearAlgebra () : ILinearAlgebraProvider =
        let p = current
        if not (isNull p) then p
        else
            lock gate (fun () ->
                ensure ()
                current)

    /// "managed", "mkl" or "cblas".
    let providerName () = lock gate (fun () -> ensure (); selection.Value.Name)

    /// Threads the kernels may use.
    let getThreads () = lock gate (fun () -> ensure (); threads)

    /// Sets the threads the kernels may use (MathNet's managed provider and the native library alike).
    let setThreads (n: int) =
        if n < 1 then invalidArg "value" (sprintf "Threads: %d is not a positive thread count" n)
        lock gate (fun () ->
            ensure ()
            threads <- n
            note (sprintf "threads set to %d" n)
            applyThreads ())

    /// What was probed, what loaded (path, version), the threads, and why anything failed.
    let describe () =
        lock gate (fun () ->
            if selection.IsNone && failure.IsNone then
                try initFromEnvironment () with :? InvalidOperationException -> ()
            describeUnlocked ())

    let private withThreads () =
        if threads = 0 then
            let t, why = defaultThreads ()
            threads <- t
            note (sprintf "threads: %s" why)

    /// Uses MathNet's managed provider.
    let useManaged () =
        lock gate (fun () ->
            withThreads ()
            selectManaged "UseManaged(): managed provider selected")

    /// Uses Intel MKL: from `path` (libmkl_rt.so or its folder) if given, else probed as at start-up.
    /// Throws InvalidOperationException carrying the diagnostic when it does not load.
    let useMkl (path: string option) =
        lock gate (fun () ->
            withThreads ()
            note (sprintf "UseMkl(%s)" (defaultArg path "") )
            let path = match path with Some p -> Some p | None -> env "NABLA_MKL_PATH"
            if not (tryMkl path) then raise (failCall "UseMkl: MKL did not load; the provider in use is unchanged"))

    /// Uses the CBLAS library at `path` (OpenBLAS, BLIS...). Throws InvalidOperationException with the diagnostic on failure.
    let useCblas (path: string) =
        if String.IsNullOrWhiteSpace path then invalidArg "libraryPath" "UseCblas: expected the path of a library exporting CBLAS"
        lock gate (fun () ->
            withThreads ()
            note (sprintf "UseCblas(%s)" path)
            if not (tryCblas path) then raise (failCall (sprintf "UseCblas: %s did not load; the provider in use is unchanged" path)))

    /// The path of the native library in use (None under the managed provider).
    let libraryPath () : string option =
        lock gate (fun () ->
            ensure ()
            match selection with
            | Some { Library = Some lib } -> Some lib.Path
            | _ -> None)
