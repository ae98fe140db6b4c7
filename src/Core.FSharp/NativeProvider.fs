// MathNet's ILinearAlgebraProvider over a native BLAS library: checks each accelerated method's arguments and
// calls the library (matrix products through `Gemm`), and hands every other method to MathNet's managed provider.
namespace Nabla.Core

#nowarn "9" // native pointers: C is pinned with `fixed` for exactly the duration of one product

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
                Gemm.run lib sizeof<float> (beta <> 0.0) tA tB m n k lda ldb (NativeInterop.NativePtr.toNativeInt pc) (fun m' n' aOff bOff cAddr ->
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
                Gemm.run lib sizeof<float32> (beta <> 0.0f) tA tB m n k lda ldb (NativeInterop.NativePtr.toNativeInt pc) (fun m' n' aOff bOff cAddr ->
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

/// Argument checks and dispatch of the factorisations (Cholesky, LU and its solve) to MKL's LAPACKE when the
/// library is MKL (`Native.lapackOf`), else to MathNet's managed provider. Sizes are checked before any native call;
/// LAPACK's info codes become ArgumentExceptions naming the method (as MathNet's managed provider raises them).
module internal NativeLapack =

    let private check (cond: bool) (name: string) (msg: string) = if not cond then invalidArg name msg

    let private checkSquare (op: string) (len: int) (order: int) =
        check (order >= 0) "order" (sprintf "%s: order %d is negative" op order)
        check (int64 len >= int64 order * int64 order) "a" (sprintf "%s: the matrix has %d elements; expected at least %d x %d" op len order order)

    let private checkInfo (op: string) (routine: string) (info: int) =
        if info < 0 then invalidArg "a" (sprintf "%s: LAPACK %s rejected its argument %d" op routine (-info))

    let private notPositiveDefinite (info: int) =
        invalidArg "a" (sprintf "CholeskyFactor: the matrix is not positive definite (LAPACK ?potrf info %d: the leading minor of order %d is not positive)" info info)

    let inline private zeroUpper (a: 'T[]) (order: int) =
        for j in 1 .. order - 1 do
            for i in 0 .. j - 1 do a.[j * order + i] <- LanguagePrimitives.GenericZero

    let dCholeskyFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (a: float[], order: int) =
        match Native.lapackOf lib with
        | None -> managed.CholeskyFactor(a, order)
        | Some l ->
            checkSquare "CholeskyFactor" a.Length order
            if order > 0 then
                let info = Native.dpotrf l order a
                checkInfo "CholeskyFactor" "dpotrf" info
                if info > 0 then notPositiveDefinite info
                zeroUpper a order

    let sCholeskyFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (a: float32[], order: int) =
        match Native.lapackOf lib with
        | None -> managed.CholeskyFactor(a, order)
        | Some l ->
            checkSquare "CholeskyFactor" a.Length order
            if order > 0 then
                let info = Native.spotrf l order a
                checkInfo "CholeskyFactor" "spotrf" info
                if info > 0 then notPositiveDefinite info
                zeroUpper a order

    let private checkPivots (op: string) (ipiv: int[]) (order: int) =
        check (not (isNull ipiv) && ipiv.Length >= order) "ipiv" (sprintf "%s: ipiv has %d elements; expected at least %d" op (if isNull ipiv then 0 else ipiv.Length) order)

    /// LU in place with MathNet's 0-based pivots (LAPACK's are 1-based). An exact zero pivot is not an error here (as
    /// MathNet's managed LUFactor): the factors are complete and the caller inspects U's diagonal.
    let dLUFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (data: float[], order: int, ipiv: int[]) =
        match Native.lapackOf lib with
        | None -> managed.LUFactor(data, order, ipiv)
        | Some l ->
            checkSquare "LUFactor" data.Length order
            checkPivots "LUFactor" ipiv order
            if order > 0 then
                checkInfo "LUFactor" "dgetrf" (Native.dgetrf l order data ipiv)
                for i in 0 .. order - 1 do ipiv.[i] <- ipiv.[i] - 1

    let sLUFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (data: float32[], order: int, ipiv: int[]) =
        match Native.lapackOf lib with
        | None -> managed.LUFactor(data, order, ipiv)
        | Some l ->
            checkSquare "LUFactor" data.Length order
            checkPivots "LUFactor" ipiv order
            if order > 0 then
                checkInfo "LUFactor" "sgetrf" (Native.sgetrf l order data ipiv)
                for i in 0 .. order - 1 do ipiv.[i] <- ipiv.[i] - 1

    let private checkRhs (op: string) (len: int) (order: int) (columnsOfB: int) =
        check (columnsOfB >= 0) "columnsOfB" (sprintf "%s: columnsOfB %d is negative" op columnsOfB)
        check (int64 len >= int64 order * int64 columnsOfB) "b" (sprintf "%s: b has %d elements; expected at least %d x %d" op len order columnsOfB)

    let dLUSolveFactored (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (columnsOfB: int, a: float[], order: int, ipiv: int[], b: float[]) =
        match Native.lapackOf lib with
        | None -> managed.LUSolveFactored(columnsOfB, a, order, ipiv, b)
        | Some l ->
            checkSquare "LUSolveFactored" a.Length order
            checkPivots "LUSolveFactored" ipiv order
            checkRhs "LUSolveFactored" b.Length order columnsOfB
            if order > 0 && columnsOfB > 0 then
                let p = Array.init order (fun i -> ipiv.[i] + 1)
                checkInfo "LUSolveFactored" "dgetrs" (Native.dgetrs l order columnsOfB a p b)

    let sLUSolveFactored (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (columnsOfB: int, a: float32[], order: int, ipiv: int[], b: float32[]) =
        match Native.lapackOf lib with
        | None -> managed.LUSolveFactored(columnsOfB, a, order, ipiv, b)
        | Some l ->
            checkSquare "LUSolveFactored" a.Length order
            checkPivots "LUSolveFactored" ipiv order
            checkRhs "LUSolveFactored" b.Length order columnsOfB
            if order > 0 && columnsOfB > 0 then
                let p = Array.init order (fun i -> ipiv.[i] + 1)
                checkInfo "LUSolveFactored" "sgetrs" (Native.sgetrs l order columnsOfB a p b)

    // QR, symmetric eigendecomposition and SVD (the same contracts as MathNet's managed provider).

    let private checkDims (op: string) (rows: int) (cols: int) =
        check (rows >= 0 && cols >= 0) "rowsA" (sprintf "%s: dimensions %d x %d; expected non-negative" op rows cols)

    let private checkLen (op: string) (name: string) (arr: System.Array) (need: int64) =
        let len = if isNull arr then 0 else arr.Length
        check (int64 len >= need) name (sprintf "%s: %s has %d elements; expected at least %d" op name len need)

    let private noConvergence (op: string) (routine: string) (info: int) =
        invalidArg "a" (sprintf "%s: LAPACK %s did not converge (info %d)" op routine info)

    /// Thin QR (rows >= columns): `a` (column-major rows x cols) becomes Q's first `cols` columns, `r` the cols x cols R.
    let inline private thinQR geqrf orgqr (op: string) (a: 'T[]) (rows: int) (cols: int) (r: 'T[]) (tau: 'T[]) =
        checkDims op rows cols
        check (rows >= cols) "a" (sprintf "%s: thin QR needs rows >= columns, got %d x %d" op rows cols)
        checkLen op "a" a (int64 rows * int64 cols)
        checkLen op "r" r (int64 cols * int64 cols)
        checkLen op "tau" tau (int64 cols)
        if cols > 0 then
            checkInfo op "?geqrf" (geqrf rows cols a tau)
            for j in 0 .. cols - 1 do
                for i in 0 .. cols - 1 do
                    r.[j * cols + i] <- if i <= j then a.[j * rows + i] else LanguagePrimitives.GenericZero
            checkInfo op "?orgqr" (orgqr rows cols cols a tau)

    /// Full QR: `r` (column-major rows x cols A) becomes the rows x cols R, `q` the rows x rows Q.
    let inline private fullQR geqrf orgqr (op: string) (r: 'T[]) (rows: int) (cols: int) (q: 'T[]) (tau: 'T[]) =
        checkDims op rows cols
        let k = min rows cols
        checkLen op "r" r (int64 rows * int64 cols)
        checkLen op "q" q (int64 rows * int64 rows)
        checkLen op "tau" tau (int64 k)
        if rows > 0 then
            if cols > 0 then checkInfo op "?geqrf" (geqrf rows cols r tau)
            Array.fill q 0 (rows * rows) LanguagePrimitives.GenericZero
            Array.blit r 0 q 0 (rows * k)
            checkInfo op "?orgqr" (orgqr rows rows k q tau)
            for j in 0 .. cols - 1 do
                for i in j + 1 .. rows - 1 do r.[j * rows + i] <- LanguagePrimitives.GenericZero

    /// Symmetric eigendecomposition through ?syevd (lower triangle read): ascending eigenvalues into `vectorEv` (real
    /// parts) and `matrixD`'s diagonal, eigenvectors into `matrixEv`'s columns.
    let inline private symEig syevd (op: string) (order: int) (matrix: 'T[]) (matrixEv: 'T[]) (vectorEv: Complex[]) (matrixD: 'T[]) (toF: 'T -> float) =
        checkSquare op matrix.Length order
        checkLen op "matrixEv" matrixEv (int64 order * int64 order)
        checkLen op "vectorEv" vectorEv (int64 order)
        checkLen op "matrixD" matrixD (int64 order * int64 order)
        if order > 0 then
            Array.blit matrix 0 matrixEv 0 (order * order)
            let w : 'T[] = Array.zeroCreate order
            let info = syevd order matrixEv w
            checkInfo op "?syevd" info
            if info > 0 then noConvergence op "?syevd" info
            Array.fill matrixD 0 (order * order) LanguagePrimitives.GenericZero
            for i in 0 .. order - 1 do
                vectorEv.[i] <- Complex(toF w.[i], 0.0)
                matrixD.[i * order + i] <- w.[i]

    /// SVD through ?gesdd: s (min(rows, cols), descending); with `computeVectors` the full U (rows x rows) and V^T
    /// (cols x cols), column-major. `a` is overwritten (as MathNet's managed provider may).
    let inline private svd gesdd (op: string) (computeVectors: bool) (a: 'T[]) (rows: int) (cols: int) (s: 'T[]) (u: 'T[]) (vt: 'T[]) =
        checkDims op rows cols
        checkLen op "a" a (int64 rows * int64 cols)
        checkLen op "s" s (int64 (min rows cols))
        if computeVectors then
            checkLen op "u" u (int64 rows * int64 rows)
            checkLen op "vt" vt (int64 cols * int64 cols)
        if rows > 0 && cols > 0 then
            let info = gesdd computeVectors rows cols a s u vt
            checkInfo op "?gesdd" info
            if info > 0 then noConvergence op "?gesdd" info

    let dThinQRFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (a: float[], rowsA: int, columnsA: int, r: float[], tau: float[]) =
        match Native.lapackOf lib with
        | None -> managed.ThinQRFactor(a, rowsA, columnsA, r, tau)
        | Some l -> thinQR (Native.dgeqrf l) (Native.dorgqr l) "ThinQRFactor" a rowsA columnsA r tau
    let sThinQRFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (a: float32[], rowsA: int, columnsA: int, r: float32[], tau: float32[]) =
        match Native.lapackOf lib with
        | None -> managed.ThinQRFactor(a, rowsA, columnsA, r, tau)
        | Some l -> thinQR (Native.sgeqrf l) (Native.sorgqr l) "ThinQRFactor" a rowsA columnsA r tau

    let dQRFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (r: float[], rowsR: int, columnsR: int, q: float[], tau: float[]) =
        match Native.lapackOf lib with
        | None -> managed.QRFactor(r, rowsR, columnsR, q, tau)
        | Some l -> fullQR (Native.dgeqrf l) (Native.dorgqr l) "QRFactor" r rowsR columnsR q tau
    let sQRFactor (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (r: float32[], rowsR: int, columnsR: int, q: float32[], tau: float32[]) =
        match Native.lapackOf lib with
        | None -> managed.QRFactor(r, rowsR, columnsR, q, tau)
        | Some l -> fullQR (Native.sgeqrf l) (Native.sorgqr l) "QRFactor" r rowsR columnsR q tau

    let dEigenDecomp (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (isSymmetric: bool, order: int, matrix: float[], matrixEv: float[], vectorEv: Complex[], matrixD: float[]) =
        match Native.lapackOf lib with
        | Some l when isSymmetric -> symEig (Native.dsyevd l) "EigenDecomp" order matrix matrixEv vectorEv matrixD id
        | _ -> managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
    let sEigenDecomp (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (isSymmetric: bool, order: int, matrix: float32[], matrixEv: float32[], vectorEv: Complex[], matrixD: float32[]) =
        match Native.lapackOf lib with
        | Some l when isSymmetric -> symEig (Native.ssyevd l) "EigenDecomp" order matrix matrixEv vectorEv matrixD float
        | _ -> managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)

    let dSvd (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float>) (computeVectors: bool, a: float[], rowsA: int, columnsA: int, s: float[], u: float[], vt: float[]) =
        match Native.lapackOf lib with
        | None -> managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        | Some l -> svd (Native.dgesdd l) "SingularValueDecomposition" computeVectors a rowsA columnsA s u vt
    let sSvd (lib: Native.BlasLibrary) (managed: ILinearAlgebraProvider<float32>) (computeVectors: bool, a: float32[], rowsA: int, columnsA: int, s: float32[], u: float32[], vt: float32[]) =
        match Native.lapackOf lib with
        | None -> managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt)
        | Some l -> svd (Native.sgesdd l) "SingularValueDecomposition" computeVectors a rowsA columnsA s u vt

/// MathNet's ILinearAlgebraProvider over a native BLAS library (Intel MKL's libmkl_rt, or any CBLAS):
/// matrix products (?gemm, ?gemv for a vector operand), ?axpy, ?scal and ?dot for Float32 and Float64
/// run natively; every other method is handed to MathNet's managed provider (sealed, hence wrapped).
[<Sealed>]
type NativeLinearAlgebraProvider internal (lib: Native.BlasLibrary, managed: ILinearAlgebraProvider) =
    /// "mkl" or "cblas".
    member _.Name = match lib.Kind with Native.Mkl -> "mkl" | Native.Cblas -> "cblas"
    member internal _.Library = lib
    /// The provider's kind and the native library's version, e.g. "Nabla native provider (mkl: ...)".
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
        member _.LUFactor(data: float[], order: int, ipiv: int[]) = NativeLapack.dLUFactor lib (managed :> ILinearAlgebraProvider<float>) (data, order, ipiv)
        member _.LUInverse(a: float[], order: int) = (managed :> ILinearAlgebraProvider<float>).LUInverse(a, order)
        member _.LUInverseFactored(a: float[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: float[], order: int, b: float[]) = (managed :> ILinearAlgebraProvider<float>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: float[], order: int, ipiv: int[], b: float[]) = NativeLapack.dLUSolveFactored lib (managed :> ILinearAlgebraProvider<float>) (columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: float[], order: int) = NativeLapack.dCholeskyFactor lib (managed :> ILinearAlgebraProvider<float>) (a, order)
        member _.CholeskySolve(a: float[], orderA: int, b: float[], columnsB: int) = (managed :> ILinearAlgebraProvider<float>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: float[], orderA: int, b: float[], columnsB: int) = (managed :> ILinearAlgebraProvider<float>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: float[], rowsA: int, columnsA: int, q: float[], tau: float[]) = NativeLapack.dQRFactor lib (managed :> ILinearAlgebraProvider<float>) (a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: float[], rowsA: int, columnsA: int, r: float[], tau: float[]) = NativeLapack.dThinQRFactor lib (managed :> ILinearAlgebraProvider<float>) (a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: float[], rows: int, columns: int, b: float[], columnsB: int, x: float[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: float[], r: float[], rowsA: int, columnsA: int, tau: float[], b: float[], columnsB: int, x: float[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: float[], rowsA: int, columnsA: int, s: float[], u: float[], vt: float[]) = NativeLapack.dSvd lib (managed :> ILinearAlgebraProvider<float>) (computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: float[], rowsA: int, columnsA: int, b: float[], columnsB: int, x: float[]) = (managed :> ILinearAlgebraProvider<float>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: float[], u: float[], vt: float[], b: float[], columnsB: int, x: float[]) = (managed :> ILinearAlgebraProvider<float>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: float[], matrixEv: float[], vectorEv: Complex[], matrixD: float[]) = NativeLapack.dEigenDecomp lib (managed :> ILinearAlgebraProvider<float>) (isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
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
        member _.LUFactor(data: float32[], order: int, ipiv: int[]) = NativeLapack.sLUFactor lib (managed :> ILinearAlgebraProvider<float32>) (data, order, ipiv)
        member _.LUInverse(a: float32[], order: int) = (managed :> ILinearAlgebraProvider<float32>).LUInverse(a, order)
        member _.LUInverseFactored(a: float32[], order: int, ipiv: int[]) = (managed :> ILinearAlgebraProvider<float32>).LUInverseFactored(a, order, ipiv)
        member _.LUSolve(columnsOfB: int, a: float32[], order: int, b: float32[]) = (managed :> ILinearAlgebraProvider<float32>).LUSolve(columnsOfB, a, order, b)
        member _.LUSolveFactored(columnsOfB: int, a: float32[], order: int, ipiv: int[], b: float32[]) = NativeLapack.sLUSolveFactored lib (managed :> ILinearAlgebraProvider<float32>) (columnsOfB, a, order, ipiv, b)
        member _.CholeskyFactor(a: float32[], order: int) = NativeLapack.sCholeskyFactor lib (managed :> ILinearAlgebraProvider<float32>) (a, order)
        member _.CholeskySolve(a: float32[], orderA: int, b: float32[], columnsB: int) = (managed :> ILinearAlgebraProvider<float32>).CholeskySolve(a, orderA, b, columnsB)
        member _.CholeskySolveFactored(a: float32[], orderA: int, b: float32[], columnsB: int) = (managed :> ILinearAlgebraProvider<float32>).CholeskySolveFactored(a, orderA, b, columnsB)
        member _.QRFactor(a: float32[], rowsA: int, columnsA: int, q: float32[], tau: float32[]) = NativeLapack.sQRFactor lib (managed :> ILinearAlgebraProvider<float32>) (a, rowsA, columnsA, q, tau)
        member _.ThinQRFactor(a: float32[], rowsA: int, columnsA: int, r: float32[], tau: float32[]) = NativeLapack.sThinQRFactor lib (managed :> ILinearAlgebraProvider<float32>) (a, rowsA, columnsA, r, tau)
        member _.QRSolve(a: float32[], rows: int, columns: int, b: float32[], columnsB: int, x: float32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float32>).QRSolve(a, rows, columns, b, columnsB, x, method)
        member _.QRSolveFactored(q: float32[], r: float32[], rowsA: int, columnsA: int, tau: float32[], b: float32[], columnsB: int, x: float32[], method: QRMethod) = (managed :> ILinearAlgebraProvider<float32>).QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method)
        member _.SingularValueDecomposition(computeVectors: bool, a: float32[], rowsA: int, columnsA: int, s: float32[], u: float32[], vt: float32[]) = NativeLapack.sSvd lib (managed :> ILinearAlgebraProvider<float32>) (computeVectors, a, rowsA, columnsA, s, u, vt)
        member _.SvdSolve(a: float32[], rowsA: int, columnsA: int, b: float32[], columnsB: int, x: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SvdSolve(a, rowsA, columnsA, b, columnsB, x)
        member _.SvdSolveFactored(rowsA: int, columnsA: int, s: float32[], u: float32[], vt: float32[], b: float32[], columnsB: int, x: float32[]) = (managed :> ILinearAlgebraProvider<float32>).SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x)
        member _.EigenDecomp(isSymmetric: bool, order: int, matrix: float32[], matrixEv: float32[], vectorEv: Complex[], matrixD: float32[]) = NativeLapack.sEigenDecomp lib (managed :> ILinearAlgebraProvider<float32>) (isSymmetric, order, matrix, matrixEv, vectorEv, matrixD)
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
