module Nabla.Core.Linalg

open System
open MathNet.Numerics.Providers.LinearAlgebra
open Nabla.Core.Combinators
open Nabla.Core.Layout
open Nabla.Core.Elementwise
open Nabla.Core.Reductions

module Kernels =
    open Nabla.Core.Storage

    /// The number of matrices in a batch of shape [..., m, n].
    let batchCount (shape: int[]) = Shape.size shape.[.. shape.Length - 3]

    /// Row-major rows x cols block at `off` of `src`, as a fresh column-major array.
    let inline toColMajor (src: 'T[]) (off: int) (rows: int) (cols: int) : 'T[] =
        let d = Array.zeroCreate (rows * cols)
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                d.[j * rows + i] <- src.[off + i * cols + j]
        d

    /// Writes the column-major rows x cols array `cm` into `dst` at `off`, row-major.
    let inline fromColMajor (cm: 'T[]) (dst: 'T[]) (off: int) (rows: int) (cols: int) =
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                dst.[off + i * cols + j] <- cm.[j * rows + i]

    let private notPd (shape: int[]) (b: int) =
        invalidArg "input"
            (sprintf "Cholesky: matrix %d of the batch of shape %s is not symmetric positive definite; Cholesky decomposition was not successful (as TensorFlow, which raises InvalidArgumentError)"
                     b (Shape.format shape))

    /// The lower Cholesky factor of each matrix of a [..., n, n] batch, reading only the lower triangle (as TF).
    let cholesky (a: RawTensor) =
        let n = a.Shape.[a.Rank - 1]
        let nb = batchCount a.Shape
        let provider = Backend.linearAlgebra ()
        let mat = n * n
        let run (src: 'T[]) (factor: 'T[] -> unit) (isBad: 'T -> bool) : 'T[] =
            let r = Array.zeroCreate src.Length
            for b in 0 .. nb - 1 do
                let off = b * mat
                // Column-major symmetric matrix from the row-major lower triangle.
                let cm = Array.zeroCreate mat
                for i in 0 .. n - 1 do
                    for j in 0 .. i do
                        let v = src.[off + i * n + j]
                        cm.[j * n + i] <- v
                        cm.[i * n + j] <- v
                if n > 0 then
                    try factor cm with :? ArgumentException -> notPd a.Shape b
                for i in 0 .. n - 1 do
                    if isBad cm.[i * n + i] then notPd a.Shape b
                    for j in 0 .. i do
                        r.[off + i * n + j] <- cm.[j * n + i]
            r
        let data: Array =
            match a.Data with
            | :? (float[]) as x -> run x (fun cm -> provider.CholeskyFactor(cm, n)) (fun d -> not (d > 0.0)) :> _
            | :? (float32[]) as x -> run x (fun cm -> provider.CholeskyFactor(cm, n)) (fun d -> not (d > 0.0f)) :> _
            | _ -> invalidArg "input" (sprintf "Cholesky: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, Array.copy a.Shape, data)

    /// Solves op(T) X = B for each matrix of equal-batch [..., n, n] and [..., n, k], T triangular (only its `lower`
    /// or upper triangle read), op transposing when `adjoint`. Substitution row by row (rows of B are contiguous).
    let inline private trsm (lower: bool) (adjoint: bool) (n: int) (k: int) (a: 'T[]) (ao: int) (x: 'T[]) (xo: int) =
        let at i j = if adjoint then a.[ao + j * n + i] else a.[ao + i * n + j]
        let forward = (lower <> adjoint)
        for s in 0 .. n - 1 do
            let i = if forward then s else n - 1 - s
            let ri = xo + i * k
            let lo, hi = if forward then 0, i - 1 else i + 1, n - 1
            for j in lo .. hi do
                let c = at i j
                if c <> LanguagePrimitives.GenericZero then
                    let rj = xo + j * k
                    for q in 0 .. k - 1 do
                        x.[ri + q] <- x.[ri + q] - c * x.[rj + q]
            let d = at i i
            for q in 0 .. k - 1 do
                x.[ri + q] <- x.[ri + q] / d

    /// MKL's LAPACK entry points when the provider Backend chose is MKL's.
    let private mklLapack () =
        match Backend.linearAlgebra () with
        | :? NativeLinearAlgebraProvider as p -> Native.lapackOf p.Library
        | _ -> None

    /// op(T)^-1 B per batch matrix: MKL's ?trsm (row-major, in place on a copy of B) when MKL is the provider, else
    /// the managed substitution. Sizes are the caller's checked equal-batch shapes.
    let triangularSolve (lower: bool) (adjoint: bool) (a: RawTensor) (b: RawTensor) =
        let n = a.Shape.[a.Rank - 1]
        let k = b.Shape.[b.Rank - 1]
        let nb = batchCount a.Shape
        if a.Size <> nb * n * n || b.Size <> nb * n * k then
            invalidArg "rhs" (sprintf "TriangularSolve: shapes %s and %s do not hold %d batch matrices of n = %d" (Shape.format a.Shape) (Shape.format b.Shape) nb n)
        let lapack = if n > 0 && k > 0 then mklLapack () else None
        let data: Array =
            match a.Data, b.Data with
            | (:? (float[]) as am), (:? (float[]) as bm) ->
                let x = Array.copy bm
                for i in 0 .. nb - 1 do
                    match lapack with
                    | Some l -> Native.dtrsmRowMajor l lower adjoint n k am (i * n * n) x (i * n * k)
                    | None -> trsm lower adjoint n k am (i * n * n) x (i * n * k)
                x :> _
            | (:? (float32[]) as am), (:? (float32[]) as bm) ->
                let x = Array.copy bm
                for i in 0 .. nb - 1 do
                    match lapack with
                    | Some l -> Native.strsmRowMajor l lower adjoint n k am (i * n * n) x (i * n * k)
                    | None -> trsm lower adjoint n k am (i * n * n) x (i * n * k)
                x :> _
            | _ -> invalidArg "matrix" (sprintf "TriangularSolve: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, Array.copy b.Shape, data)

    let private notInvertible (op: string) (shape: int[]) (b: int) =
        invalidArg "matrix"
            (sprintf "%s: matrix %d of the batch of shape %s is not invertible (an exact zero pivot in its LU factorisation; TensorFlow raises InvalidArgumentError \"Input matrix is not invertible.\")"
                     op b (Shape.format shape))

    /// Solves op(A) X = B through the provider's LU (partial pivoting), batches of equal shape; an exact zero pivot
    /// is an ArgumentException. With MKL, the row-major A is factored as it lies (as A^T, column-major) and ?getrs
    /// solves with the transpose, so no strided transposing copy of A is made.
    let solve (op: string) (adjoint: bool) (a: RawTensor) (b: RawTensor) =
        let n = a.Shape.[a.Rank - 1]
        let k = b.Shape.[b.Rank - 1]
        let nb = batchCount a.Shape
        let provider = Backend.linearAlgebra ()
        let lapack = if n > 0 && k > 0 then mklLapack () else None
        let checkInfo (routine: string) (info: int) =
            if info < 0 then invalidArg "matrix" (sprintf "%s: LAPACK %s rejected its argument %d (shapes %s and %s)" op routine (-info) (Shape.format a.Shape) (Shape.format b.Shape))
        let run (am: 'T[]) (bm: 'T[]) (factor: 'T[] -> int[] -> unit) (solveF: 'T[] -> int[] -> 'T[] -> unit) (isZero: 'T -> bool) : 'T[] =
            let x = Array.zeroCreate bm.Length
            for i in 0 .. nb - 1 do
                // The column-major array of row-major A is A^T: that is op(A) when adjoint.
                let cm = if adjoint || lapack.IsSome then Array.sub am (i * n * n) (n * n) else toColMajor am (i * n * n) n n
                let ipiv = Array.zeroCreate n
                if n > 0 then
                    factor cm ipiv
                    for d in 0 .. n - 1 do
                        if isZero cm.[d * n + d] then notInvertible op a.Shape i
                    if k > 0 then
                        let rhs = toColMajor bm (i * n * k) n k
                        solveF cm ipiv rhs
                        fromColMajor rhs x (i * n * k) n k
            x
        let data: Array =
            match a.Data, b.Data with
            | (:? (float[]) as am), (:? (float[]) as bm) ->
                match lapack with
                | Some l ->
                    // cm holds A^T: factor it with 1-based pivots and solve with its transpose unless adjoint.
                    run am bm (fun cm p -> Native.dgetrf l n cm p |> checkInfo "dgetrf")
                              (fun cm p r -> Native.dgetrsOp l (not adjoint) n k cm p r |> checkInfo "dgetrs") (fun v -> v = 0.0) :> _
                | None ->
                    run am bm (fun cm p -> provider.LUFactor(cm, n, p)) (fun cm p r -> provider.LUSolveFactored(k, cm, n, p, r)) (fun v -> v = 0.0) :> _
            | (:? (float32[]) as am), (:? (float32[]) as bm) ->
                match lapack with
                | Some l ->
                    run am bm (fun cm p -> Native.sgetrf l n cm p |> checkInfo "sgetrf")
                              (fun cm p r -> Native.sgetrsOp l (not adjoint) n k cm p r |> checkInfo "sgetrs") (fun v -> v = 0.0f) :> _
                | None ->
                    run am bm (fun cm p -> provider.LUFactor(cm, n, p)) (fun cm p r -> provider.LUSolveFactored(k, cm, n, p, r)) (fun v -> v = 0.0f) :> _
            | _ -> invalidArg "matrix" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (dtypeName a.DType))
        RawTensor(a.DType, Array.copy b.Shape, data)

    /// For each matrix of [..., n, n]: (sign of det, log |det|) from the provider's LU (det A^T = det A, so the
    /// row-major array is factored as it is). A singular matrix gives sign 0 and log |det| = -inf.
    let signLogAbsDet (a: RawTensor) =
        let n = a.Shape.[a.Rank - 1]
        let nb = batchCount a.Shape
        let provider = Backend.linearAlgebra ()
        let signs = Array.zeroCreate<float> nb
        let logs = Array.zeroCreate<float> nb
        let run (am: 'T[]) (factor: 'T[] -> int[] -> unit) (toF: 'T -> float) =
            for i in 0 .. nb - 1 do
                let cm = Array.sub am (i * n * n) (n * n)
                let ipiv = Array.zeroCreate n
                if n > 0 then factor cm ipiv
                let mutable s = 1.0
                let mutable l = 0.0
                for d in 0 .. n - 1 do
                    if ipiv.[d] <> d then s <- -s
                    let u = toF cm.[d * n + d]
                    if u < 0.0 then s <- -s
                    if u = 0.0 then s <- 0.0
                    if Double.IsNaN u then s <- nan
                    l <- l + Math.Log(Math.Abs u)
                signs.[i] <- s
                logs.[i] <- l
        match a.Data with
        | :? (float[]) as am -> run am (fun cm p -> provider.LUFactor(cm, n, p)) id
        | :? (float32[]) as am -> run am (fun cm p -> provider.LUFactor(cm, n, p)) float
        | _ -> invalidArg "input" (sprintf "Slogdet: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        let batch = a.Shape.[.. a.Rank - 3]
        cast a.DType (RawTensor(DType.Float64, Array.copy batch, signs)), cast a.DType (RawTensor(DType.Float64, Array.copy batch, logs))

    /// A constant [rows, cols] Bool mask: true where (numLower < 0 or i - j <= numLower) and (numUpper < 0 or j - i <= numUpper).
    let bandMask (rows: int) (cols: int) (numLower: int) (numUpper: int) =
        let m = Array.zeroCreate (rows * cols)
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                m.[i * cols + j] <- (numLower < 0 || i - j <= numLower) && (numUpper < 0 || j - i <= numUpper)
        RawTensor(DType.Bool, [| rows; cols |], m)

    // ----------------------------------------------------------------------------------------------- decompositions

    let private isFiniteBlock (src: 'T[]) (off: int) (len: int) (finite: 'T -> bool) =
        let mutable ok = true
        let mutable i = 0
        while ok && i < len do
            ok <- finite src.[off + i]
            i <- i + 1
        ok

    let inline private finiteOf (v: 'T) = let d = float v in not (Double.IsNaN d || Double.IsInfinity d)

    /// QR of each matrix of [..., m, n] with m >= n: Q [..., m, qc] and R [..., qc, n] (qc = m when `full`, else n),
    /// signs normalised so that R's diagonal is >= 0 (the extra columns of a full Q as the provider gives them). A
    /// matrix holding NaN or infinity gives NaN factors (the provider is not called).
    let qr (full: bool) (a: RawTensor) =
        let r = a.Rank
        let m, n = a.Shape.[r - 2], a.Shape.[r - 1]
        let qc = if full then m else n
        let nb = batchCount a.Shape
        let batch = a.Shape.[.. r - 3]
        let provider = Backend.linearAlgebra ()
        let inline run (src: 'T[]) (thin: 'T[] -> 'T[] -> 'T[] -> unit) (fullF: 'T[] -> 'T[] -> 'T[] -> unit) (nanV: 'T) =
            let qo : 'T[] = Array.zeroCreate (nb * m * qc)
            let ro : 'T[] = Array.zeroCreate (nb * qc * n)
            for b in 0 .. nb - 1 do
                let qOff, rOff = b * m * qc, b * qc * n
                if not (isFiniteBlock src (b * m * n) (m * n) finiteOf) then
                    Array.fill qo qOff (m * qc) nanV
                    Array.fill ro rOff (qc * n) nanV
                elif m > 0 then
                    let cm = toColMajor src (b * m * n) m n
                    let tau = Array.zeroCreate (min m n)
                    let qcm, rcm =
                        if full then
                            let q = Array.zeroCreate (m * m)
                            if n > 0 then fullF cm q tau
                            else for i in 0 .. m - 1 do q.[i * m + i] <- LanguagePrimitives.GenericOne
                            q, cm                           // R is m x n column-major in cm
                        else
                            let rr = Array.zeroCreate (n * n)
                            if n > 0 then thin cm rr tau
                            cm, rr                          // Q is m x n column-major in cm
                    fromColMajor qcm qo qOff m qc
                    fromColMajor rcm ro rOff qc n
                    for j in 0 .. (min m n) - 1 do
                        if ro.[rOff + j * n + j] < LanguagePrimitives.GenericZero then
                            for c in 0 .. n - 1 do ro.[rOff + j * n + c] <- -ro.[rOff + j * n + c]
                            for i in 0 .. m - 1 do qo.[qOff + i * qc + j] <- -qo.[qOff + i * qc + j]
            qo, ro
        let q, rr =
            match a.Data with
            | :? (float[]) as x ->
                let q, rr = run x (fun cm rr tau -> provider.ThinQRFactor(cm, m, n, rr, tau)) (fun cm q tau -> provider.QRFactor(cm, m, n, q, tau)) nan
                (q :> Array), (rr :> Array)
            | :? (float32[]) as x ->
                let q, rr = run x (fun cm rr tau -> provider.ThinQRFactor(cm, m, n, rr, tau)) (fun cm q tau -> provider.QRFactor(cm, m, n, q, tau)) nanf
                (q :> Array), (rr :> Array)
            | _ -> invalidArg "input" (sprintf "Qr: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, Array.append batch [| m; qc |], q), RawTensor(a.DType, Array.append batch [| qc; n |], rr)

    /// Flips the sign of column j of the rows x cols row-major block at `off` so that its entry of largest magnitude
    /// (the first of equal ones) is positive; returns whether it flipped.
    let inline private positiveColumn (x: 'T[]) (off: int) (rows: int) (cols: int) (j: int) =
        let mutable best = 0
        for i in 1 .. rows - 1 do
            if Operators.abs x.[off + i * cols + j] > Operators.abs x.[off + best * cols + j] then best <- i
        if rows > 0 && x.[off + best * cols + j] < LanguagePrimitives.GenericZero then
            for i in 0 .. rows - 1 do x.[off + i * cols + j] <- -x.[off + i * cols + j]
            true
        else false

    /// Eigenvalues (ascending) [..., n] and eigenvectors [..., n, n] (columns) of the symmetric matrices of a
    /// [..., n, n] batch whose lower triangle is read (as TF). Each eigenvector's entry of largest magnitude is made
    /// positive. A matrix holding NaN or infinity gives NaN outputs.
    let eigh (a: RawTensor) =
        let r = a.Rank
        let n = a.Shape.[r - 1]
        let nb = batchCount a.Shape
        let batch = a.Shape.[.. r - 3]
        let provider = Backend.linearAlgebra ()
        let inline run (src: 'T[]) (decomp: 'T[] -> 'T[] -> Numerics.Complex[] -> 'T[] -> unit) (ofF: float -> 'T) (nanV: 'T) =
            let eo : 'T[] = Array.zeroCreate (nb * n)
            let vo : 'T[] = Array.zeroCreate (nb * n * n)
            for b in 0 .. nb - 1 do
                let off = b * n * n
                let lowerFinite =
                    let mutable ok = true
                    for i in 0 .. n - 1 do
                        for j in 0 .. i do
                            if not (finiteOf src.[off + i * n + j]) then ok <- false
                    ok
                if not lowerFinite then
                    Array.fill eo (b * n) n nanV
                    Array.fill vo off (n * n) nanV
                elif n > 0 then
                    let cm = Array.zeroCreate (n * n)
                    for i in 0 .. n - 1 do
                        for j in 0 .. i do
                            let v = src.[off + i * n + j]
                            cm.[j * n + i] <- v
                            cm.[i * n + j] <- v
                    let ev = Array.zeroCreate (n * n)
                    let w = Array.zeroCreate<Numerics.Complex> n
                    decomp cm ev w (Array.zeroCreate (n * n))
                    let order = Array.init n id |> Array.sortBy (fun i -> w.[i].Real)
                    for c in 0 .. n - 1 do
                        let k = order.[c]
                        eo.[b * n + c] <- ofF w.[k].Real
                        for i in 0 .. n - 1 do vo.[off + i * n + c] <- ev.[k * n + i]
                        positiveColumn vo off n n c |> ignore
            eo, vo
        let e, v =
            match a.Data with
            | :? (float[]) as x ->
                let e, v = run x (fun cm ev w d -> provider.EigenDecomp(true, n, cm, ev, w, d)) id nan
                (e :> Array), (v :> Array)
            | :? (float32[]) as x ->
                let e, v = run x (fun cm ev w d -> provider.EigenDecomp(true, n, cm, ev, w, d)) float32 nanf
                (e :> Array), (v :> Array)
            | _ -> invalidArg "input" (sprintf "Eigh: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, Array.append batch [| n |], e), RawTensor(a.DType, Array.append batch [| n; n |], v)

    /// Singular values (descending) [..., k], k = min(m, n), and U [..., m, uc], V [..., n, vc] (uc = m and vc = n
    /// when `full`, else k) of each matrix of [..., m, n]. Signs: each column of U pairs with the same column of V,
    /// and U's entry of largest magnitude in it is made positive (V's column flips with it); the extra columns of a
    /// full U or V (not unique) are normalised alone. A matrix holding NaN or infinity gives NaN outputs. The reduced
    /// SVD of a non-square matrix goes through a thin QR first (memory O((m + n) k), not O(m^2 + n^2)).
    let svd (full: bool) (a: RawTensor) =
        let r = a.Rank
        let m, n = a.Shape.[r - 2], a.Shape.[r - 1]
        let k = min m n
        let uc, vc = (if full then m else k), (if full then n else k)
        let nb = batchCount a.Shape
        let batch = a.Shape.[.. r - 3]
        let provider = Backend.linearAlgebra ()
        let inline run (src: 'T[]) (decomp: 'T[] -> int -> int -> 'T[] -> 'T[] -> 'T[] -> unit) (thin: 'T[] -> int -> int -> 'T[] -> unit) (nanV: 'T) =
            let so : 'T[] = Array.zeroCreate (nb * k)
            let uo : 'T[] = Array.zeroCreate (nb * m * uc)
            let vo : 'T[] = Array.zeroCreate (nb * n * vc)
            let zero, one = LanguagePrimitives.GenericZero<'T>, LanguagePrimitives.GenericOne<'T>
            for b in 0 .. nb - 1 do
                let off = b * m * n
                let uOff, vOff = b * m * uc, b * n * vc
                if not (isFiniteBlock src off (m * n) finiteOf) then
                    Array.fill so (b * k) k nanV
                    Array.fill uo uOff (m * uc) nanV
                    Array.fill vo vOff (n * vc) nanV
                else
                    let s = Array.zeroCreate k
                    // U(i, c) and V(i, c) before ordering and sign normalisation.
                    let uAt, vAt =
                        if k = 0 then (fun i c -> if i = c then one else zero), (fun i c -> if i = c then one else zero)
                        elif full || m = n then
                            let u = Array.zeroCreate (m * m)
                            let vt = Array.zeroCreate (n * n)
                            decomp (toColMajor src off m n) m n s u vt
                            (fun i c -> u.[c * m + i]), (fun i c -> vt.[i * n + c])
                        else
                            // Reduced, non-square: a thin QR of the tall one of A and A^T, then the SVD of its k x k R,
                            // so no m x m or n x n array is formed. Tall: A = (Q U_R) S V_R^T; wide: A^T = (Q U_R) S V_R^T.
                            let rows = max m n
                            let q = if m > n then toColMajor src off m n else Array.sub src off (m * n)
                            let rr = Array.zeroCreate (k * k)
                            thin q rows k rr
                            let ur = Array.zeroCreate (k * k)
                            let vt = Array.zeroCreate (k * k)
                            decomp rr k k s ur vt
                            let qu = Array.zeroCreate (rows * k)
                            for c in 0 .. k - 1 do
                                for l in 0 .. k - 1 do
                                    let w = ur.[c * k + l]
                                    for i in 0 .. rows - 1 do qu.[c * rows + i] <- qu.[c * rows + i] + q.[l * rows + i] * w
                            let quAt i c = qu.[c * rows + i]
                            let vtAt i c = vt.[i * k + c]
                            if m > n then quAt, vtAt else vtAt, quAt
                    let order = Array.init k id |> Array.sortBy (fun i -> -(float s.[i]))
                    // Columns: the k paired ones in descending order of s, then the rest of U's and V's as given.
                    let col c = if c < k then order.[c] else c
                    for c in 0 .. k - 1 do so.[b * k + c] <- s.[order.[c]]
                    for i in 0 .. m - 1 do
                        for c in 0 .. uc - 1 do uo.[uOff + i * uc + c] <- uAt i (col c)
                    for i in 0 .. n - 1 do
                        for c in 0 .. vc - 1 do vo.[vOff + i * vc + c] <- vAt i (col c)
                    for c in 0 .. k - 1 do
                        if positiveColumn uo uOff m uc c then
                            for i in 0 .. n - 1 do vo.[vOff + i * vc + c] <- -vo.[vOff + i * vc + c]
                    for c in k .. uc - 1 do positiveColumn uo uOff m uc c |> ignore
                    for c in k .. vc - 1 do positiveColumn vo vOff n vc c |> ignore
            so, uo, vo
        let s, u, v =
            match a.Data with
            | :? (float[]) as x ->
                let s, u, v = run x (fun cm rows cols s u vt -> provider.SingularValueDecomposition(true, cm, rows, cols, s, u, vt))
                                    (fun q rows cols r -> provider.ThinQRFactor(q, rows, cols, r, Array.zeroCreate cols)) nan
                (s :> Array), (u :> Array), (v :> Array)
            | :? (float32[]) as x ->
                let s, u, v = run x (fun cm rows cols s u vt -> provider.SingularValueDecomposition(true, cm, rows, cols, s, u, vt))
                                    (fun q rows cols r -> provider.ThinQRFactor(q, rows, cols, r, Array.zeroCreate cols)) nanf
                (s :> Array), (u :> Array), (v :> Array)
            | _ -> invalidArg "input" (sprintf "Svd: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, Array.append batch [| k |], s), RawTensor(a.DType, Array.append batch [| m; uc |], u),
        RawTensor(a.DType, Array.append batch [| n; vc |], v)

    /// Packs blocks [..., r_i, c_i] of one dtype into [..., Σ r_i, max c_i] (rows stacked, columns zero-padded).
    let packRows (dtype: DType) (batch: int[]) (parts: RawTensor list) =
        let width = parts |> List.map (fun p -> p.Shape.[p.Rank - 1]) |> List.fold max 0
        let rows = parts |> List.sumBy (fun p -> p.Shape.[p.Rank - 2])
        let nb = Shape.size batch
        let inline run (zero: 'T) =
            let out : 'T[] = Array.create (nb * rows * width) zero
            let mutable row0 = 0
            for p in parts do
                let pr, pc = p.Shape.[p.Rank - 2], p.Shape.[p.Rank - 1]
                let d = p.Data :?> 'T[]
                for b in 0 .. nb - 1 do
                    for i in 0 .. pr - 1 do
                        Array.blit d (b * pr * pc + i * pc) out (b * rows * width + (row0 + i) * width) pc
                row0 <- row0 + pr
            out :> Array
        let data = match dtype with DType.Float32 -> run 0.0f | _ -> run 0.0
        RawTensor(dtype, Array.append batch [| rows; width |], data)

// ---------------------------------------------------------------------------------------------------------------
// Shape checks

let private fail (op: string) (msg: string) = invalidArg "input" (op + ": " + msg)

let private requireLinalgFloat (op: string) (x: Tensor) =
    if not x.IsFloat then
        fail op (sprintf "dtype %s (shape %s) is not supported; expected Float32 or Float64" (string x.DType) (Shape.format x.Shape))

let private requireMatrix (op: string) (x: Tensor) =
    if x.Rank < 2 then fail op (sprintf "expected a tensor of rank >= 2 (a batch of matrices), got shape %s" (Shape.format x.Shape))

let private requireSquare (op: string) (x: Tensor) =
    requireLinalgFloat op x
    requireMatrix op x
    let n = x.Shape.[x.Rank - 1]
    if x.Shape.[x.Rank - 2] <> n then
        fail op (sprintf "expected square matrices in the last two axes, got shape %s" (Shape.format x.Shape))

/// Checks a square matrix batch against a right-hand side [..., n, k]; both broadcast to a common batch shape.
let private prepareSystem (op: string) (matrix: Tensor) (rhs: Tensor) =
    requireSquare op matrix
    requireLinalgFloat op rhs
    if rhs.Rank < 2 then
        fail op (sprintf "expected a right-hand side of rank >= 2 ([..., n, k]), got shapes %s and %s" (Shape.format matrix.Shape) (Shape.format rhs.Shape))
    if matrix.DType <> rhs.DType then
        fail op (sprintf "matrix and rhs have dtypes %s and %s; expected the same dtype" (string matrix.DType) (string rhs.DType))
    let n = matrix.Shape.[matrix.Rank - 1]
    if rhs.Shape.[rhs.Rank - 2] <> n then
        fail op (sprintf "matrix of shape %s has %d rows but rhs of shape %s has %d; expected equal"
                         (Shape.format matrix.Shape) n (Shape.format rhs.Shape) rhs.Shape.[rhs.Rank - 2])
    match Shape.tryBroadcast matrix.Shape.[.. matrix.Rank - 3] rhs.Shape.[.. rhs.Rank - 3] with
    | None ->
        fail op (sprintf "batch axes of shapes %s and %s (all but the last two) do not broadcast; expected equal extents or 1, aligned from the right"
                         (Shape.format matrix.Shape) (Shape.format rhs.Shape))
    | Some batch ->
        let ms = Array.append batch [| n; n |]
        let rs = Array.append batch [| n; rhs.Shape.[rhs.Rank - 1] |]
        (if Shape.equal ms matrix.Shape then matrix else broadcastTo ms matrix),
        (if Shape.equal rs rhs.Shape then rhs else broadcastTo rs rhs)

// ---------------------------------------------------------------------------------------------------------------
// Helpers over differentiable ops

let private matT (x: Tensor) =
    let r = x.Rank
    transpose (Array.init r (fun i -> if i = r - 2 then r - 1 elif i = r - 1 then r - 2 else i)) x

let private mm (a: Tensor) (b: Tensor) = Products.matmul false false a b

let private eyeOf (dtype: DType) (n: int) = constant (Storage.eye n dtype)

/// x with the entries outside the band replaced by zeros (a constant selection: linear, NaN outside the band dropped).
let private band (numLower: int) (numUpper: int) (x: Tensor) =
    let r = x.Rank
    let mask = constant (Kernels.bandMask x.Shape.[r - 2] x.Shape.[r - 1] numLower numUpper)
    where mask x (zerosLike x)

/// Murray's Φ: the lower triangle with the diagonal halved.
let private phi (x: Tensor) =
    let n = x.Shape.[x.Rank - 1]
    let half = Array.init (n * n) (fun q -> let i, j = q / n, q % n in if i > j then 1.0 elif i = j then 0.5 else 0.0)
    mul (band -1 0 x) (constant (Storage.cast x.DType (RawTensor(DType.Float64, [| n; n |], half))))

let private sym (x: Tensor) = mul (add x (matT x)) (scalarLike x 0.5)

// ---------------------------------------------------------------------------------------------------------------
// Primitives

let rec private triSolveRaw (lower: bool) (adjoint: bool) (a: Tensor) (b: Tensor) : Tensor =
    binary (triSolvePrim lower adjoint) a b
and private triSolvePrim (lower: bool) (adjoint: bool) : BinaryPrim =
    let tri (x: Tensor) = if lower then band -1 0 x else band 0 -1 x
    let opT (x: Tensor) = if adjoint then matT x else x
    { new BinaryPrim("TriangularSolve") with
        member _.Kernel(a, b) = Kernels.triangularSolve lower adjoint a b
        member _.JvpA(a, _, x, da) = neg (triSolveRaw lower adjoint a (mm (opT (tri da)) x))
        member _.JvpB(a, _, _, db) = triSolveRaw lower adjoint a db
        member _.VjpA(a, _, x, g) =
            let gb = triSolveRaw lower (not adjoint) a g
            tri (neg (if adjoint then mm x (matT gb) else mm gb (matT x)))
        member _.VjpB(a, _, _, g) = triSolveRaw lower (not adjoint) a g }

let triangularSolve (matrix: Tensor) (rhs: Tensor) (lower: bool) (adjoint: bool) =
    let a, b = prepareSystem "TriangularSolve" matrix rhs
    triSolveRaw lower adjoint a b

let rec private solveRaw (adjoint: bool) (a: Tensor) (b: Tensor) : Tensor =
    binary (solvePrim adjoint) a b
and private solvePrim (adjoint: bool) : BinaryPrim =
    let opT (x: Tensor) = if adjoint then matT x else x
    { new BinaryPrim("Solve") with
        member _.Kernel(a, b) = Kernels.solve "Solve" adjoint a b
        member _.JvpA(a, _, x, da) = neg (solveRaw adjoint a (mm (opT da) x))
        member _.JvpB(a, _, _, db) = solveRaw adjoint a db
        member _.VjpA(a, _, x, g) =
            let gb = solveRaw (not adjoint) a g
            neg (if adjoint then mm x (matT gb) else mm gb (matT x))
        member _.VjpB(a, _, _, g) = solveRaw (not adjoint) a g }

let solve (matrix: Tensor) (rhs: Tensor) (adjoint: bool) =
    let a, b = prepareSystem "Solve" matrix rhs
    solveRaw adjoint a b

let private identityBatch (a: Tensor) =
    broadcastTo a.Shape (eyeOf a.DType a.Shape.[a.Rank - 1])

let inv (input: Tensor) (adjoint: bool) =
    requireSquare "Inv" input
    solveRaw adjoint input (identityBatch input)

/// inv(A)^T as the solve of A^T X = I (differentiable).
let private invT (a: Tensor) = solveRaw true a (identityBatch a)

let diagPart (input: Tensor) =
    requireMatrix "DiagPart" input
    let r = input.Rank
    let m, n = input.Shape.[r - 2], input.Shape.[r - 1]
    let k = min m n
    let flat = reshape (Array.append input.Shape.[.. r - 3] [| m * n |]) input
    let idx = constant (Storage.ofArray [| k |] (Array.init k (fun i -> i * (n + 1))))
    gather (r - 2) idx flat

let trace (input: Tensor) =
    requireMatrix "Trace" input
    sum [| input.Rank - 2 |] false (diagPart input)

/// tr(solve(A, dA)) over a batch: the directional derivative of log |det A|.
let private traceSolve (a: Tensor) (da: Tensor) = sum [| a.Rank - 2 |] false (diagPart (solveRaw false a da))

let private expand2 (x: Tensor) = expandDims -1 (expandDims -1 x)

let rec private logAbsDetRaw (a: Tensor) : Tensor = unary (logAbsDetPrim ()) a
and private logAbsDetPrim () : UnaryPrim =
    { new UnaryPrim("Slogdet") with
        member _.Kernel(a) = snd (Kernels.signLogAbsDet a)
        member _.Jvp(a, _, da) = traceSolve a da
        member _.Vjp(a, _, g) = mul (expand2 g) (invT a) }

let rec private detRaw (a: Tensor) : Tensor = unary (detPrim ()) a
and private detPrim () : UnaryPrim =
    { new UnaryPrim("Det") with
        member _.Kernel(a) =
            let s, l = Kernels.signLogAbsDet a
            let sv, lv = Storage.toDoubles s, Storage.toDoubles l
            Storage.cast a.DType (RawTensor(DType.Float64, Array.copy s.Shape, Array.init sv.Length (fun i -> if sv.[i] = 0.0 then 0.0 else sv.[i] * Math.Exp lv.[i])))
        member _.Jvp(a, y, da) = mul y (traceSolve a da)
        member _.Vjp(a, y, g) = mul (expand2 (mul g y)) (invT a) }

let det (input: Tensor) =
    requireSquare "Det" input
    detRaw input

let slogdet (input: Tensor) =
    requireSquare "Slogdet" input
    constant (fst (Kernels.signLogAbsDet input.Raw)), logAbsDetRaw input

let rec private choleskyRaw (a: Tensor) : Tensor = unary (choleskyPrim ()) a
and private choleskyPrim () : UnaryPrim =
    { new UnaryPrim("Cholesky") with
        member _.Kernel(a) = Kernels.cholesky a
        member _.Jvp(_, l, da) =
            let w = triSolveRaw true false l (sym da)
            let z = triSolveRaw true false l (matT w)
            mm l (phi z)
        member _.Vjp(_, l, g) =
            let p = phi (mm (matT l) g)
            let x = triSolveRaw true true l p
            sym (matT (triSolveRaw true true l (matT x))) }

let cholesky (input: Tensor) =
    requireSquare "Cholesky" input
    choleskyRaw input

let choleskySolve (chol: Tensor) (rhs: Tensor) =
    let l, b = prepareSystem "CholeskySolve" chol rhs
    triSolveRaw true true l (triSolveRaw true false l b)

let logdet (input: Tensor) =
    requireSquare "LogDet" input
    let l = choleskyRaw input
    mul (sum [| input.Rank - 2 |] false (log (diagPart l))) (scalarLike input 2.0)

let diag (diagonal: Tensor) =
    if diagonal.Rank < 1 then fail "Diag" (sprintf "expected a tensor of rank >= 1 (a batch of diagonals), got shape %s" (Shape.format diagonal.Shape))
    let n = diagonal.Shape.[diagonal.Rank - 1]
    let shape = Array.append diagonal.Shape [| n |]
    let mask = constant (Kernels.bandMask n n 0 0)
    let v = broadcastTo shape (expandDims -1 diagonal)
    where mask v (zerosLike v)

let bandPart (input: Tensor) (numLower: int) (numUpper: int) =
    requireMatrix "BandPart" input
    band numLower numUpper input

// ---------------------------------------------------------------------------------------------------------------
// Decompositions: QR, symmetric eigendecomposition, SVD. Each is one primitive whose value packs its outputs along
// the second-to-last axis ([..., rows of the first + rows of the second + ..., width]); the public functions slice
// them apart, so the outputs' adjoints meet in one VJP and the tangents leave one JVP.

/// Rows [start, start + count) of the last-but-one axis.
let private rowsOf (start: int) (count: int) (x: Tensor) =
    let r = x.Rank
    slice (Array.init r (fun i -> if i = r - 2 then start else 0)) (Array.init r (fun i -> if i = r - 2 then count else -1)) x

/// Columns [start, start + count) of the last axis.
let private colsOf (start: int) (count: int) (x: Tensor) =
    let r = x.Rank
    slice (Array.init r (fun i -> if i = r - 1 then start else 0)) (Array.init r (fun i -> if i = r - 1 then count else -1)) x

/// Stacks blocks of equal width along the last-but-one axis.
let private stackRows (xs: Tensor[]) = concat (xs.[0].Rank - 2) xs

/// 1 / d off the diagonal, 0 on it, for d [..., n, n] (the diagonal is shifted to 1 before the division, so no
/// infinity arises there at any order). An off-diagonal zero gives infinity (as TF's reciprocal).
let private offDiagReciprocal (d: Tensor) =
    let n = d.Shape.[d.Rank - 1]
    let eye = eyeOf d.DType n
    mul (div (onesLike d) (add d eye)) (sub (onesLike eye) eye)

/// F with F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it, for w [..., n].
let private gapReciprocal (w: Tensor) = offDiagReciprocal (sub (expandDims -2 w) (expandDims -1 w))

let private strictLower (x: Tensor) = sub (band -1 0 x) (band 0 0 x)

/// The symmetric matrix whose lower triangle is that of x (what a lower-triangle-reading op sees).
let private symFromLower (x: Tensor) = let l = band -1 0 x in sub (add l (matT l)) (band 0 0 x)

/// The adjoint of `symFromLower`: G_ij + G_ji below the diagonal, G_ii on it, zero above.
let private symFromLowerAdjoint (g: Tensor) = sub (band -1 0 (add g (matT g))) (band 0 0 g)

let private rowOf (raw: RawTensor) =
    RawTensor(raw.DType, Array.append raw.Shape.[.. raw.Rank - 2] [| 1; raw.Shape.[raw.Rank - 1] |], raw.Data)

let private notDifferentiable (op: string) (why: string) (shape: int[]) =
    invalidArg "input" (sprintf "%s: no gradient for input of shape %s: %s" op (Shape.format shape) why)

// ---- QR

/// x R^-1 and x R^-T for upper triangular R.
let private timesRInv (r: Tensor) (x: Tensor) = matT (triSolveRaw false true r (matT x))
let private timesRInvT (r: Tensor) (x: Tensor) = matT (triSolveRaw false false r (matT x))

let private qrSplit (m: int) (y: Tensor) =
    let n = y.Shape.[y.Rank - 1]
    rowsOf 0 m y, rowsOf m n y

/// Reduced QR of [..., m, n], m >= n: packed [..., m + n, n] (Q, then R).
let rec private qrRaw (a: Tensor) : Tensor = unary (qrPrim ()) a
and private qrPrim () : UnaryPrim =
    { new UnaryPrim("Qr") with
        member _.Kernel(a) =
            let q, r = Kernels.qr false a
            Kernels.packRows a.DType a.Shape.[.. a.Rank - 3] [ q; r ]
        member _.Jvp(a, y, da) =
            let q, r = qrSplit a.Shape.[a.Rank - 2] y
            let dar = timesRInv r da
            let x = mm (matT q) dar
            let sl = strictLower x
            let w = sub x (sub sl (matT sl))           // X - Ω, upper triangular; Ω = Q^T dQ is skew
            stackRows [| sub dar (mm q w); mm w r |]
        member _.Vjp(a, y, g) =
            let m = a.Shape.[a.Rank - 2]
            let q, r = qrSplit m y
            let gq, gr = qrSplit m g
            let qdq = mm (matT q) gq
            let rdr = mm r (matT gr)
            let tril = band -1 0 (add (sub qdq (matT qdq)) (sub rdr (matT rdr)))
            add (mm q (add gr (timesRInvT r tril))) (timesRInvT r (sub gq (mm q qdq))) }

/// Full QR of [..., m, n], m > n: packed [..., 2m, m] (Q m x m, then R m x n padded); not differentiable (as TF).
let private qrFullPrim =
    { new UnaryPrim("Qr") with
        member _.Kernel(a) =
            let q, r = Kernels.qr true a
            Kernels.packRows a.DType a.Shape.[.. a.Rank - 3] [ q; r ]
        member _.Jvp(a, _, _) = notDifferentiable "Qr" "full_matrices=true with more rows than columns (the extra columns of Q are not unique; TensorFlow raises NotImplementedError)" a.Shape
        member _.Vjp(a, _, _) = notDifferentiable "Qr" "full_matrices=true with more rows than columns (the extra columns of Q are not unique; TensorFlow raises NotImplementedError)" a.Shape }

let rec private qrAny (fullMatrices: bool) (a: Tensor) : Tensor * Tensor =
    let rk = a.Rank
    let m, n = a.Shape.[rk - 2], a.Shape.[rk - 1]
    if m > n && fullMatrices then
        let y = unary qrFullPrim a
        rowsOf 0 m y, colsOf 0 n (rowsOf m m y)
    elif m >= n then qrSplit m (qrRaw a)
    else
        // Wide: A = [X | Y] with X m x m; Q R_X = X and R = [R_X | Q^T Y] (TF's construction for its gradient).
        let q, rx = qrAny false (colsOf 0 m a)
        q, concat (rk - 1) [| rx; mm (matT q) (colsOf m (n - m) a) |]

let qr (input: Tensor) (fullMatrices: bool) =
    if isNull (box input) then nullArg "input"
    requireLinalgFloat "Qr" input
    requireMatrix "Qr" input
    qrAny fullMatrices input

// ---- Symmetric eigendecomposition

let private eighSplit (y: Tensor) =
    let n = y.Shape.[y.Rank - 1]
    squeeze (Some (y.Rank - 2)) (rowsOf 0 1 y), rowsOf 1 n y

/// Packed [..., n + 1, n]: eigenvalues (ascending), then the eigenvectors as columns.
let rec private eighRaw (a: Tensor) : Tensor = unary (eighPrim ()) a
and private eighPrim () : UnaryPrim =
    { new UnaryPrim("Eigh") with
        member _.Kernel(a) =
            let e, v = Kernels.eigh a
            Kernels.packRows a.DType a.Shape.[.. a.Rank - 3] [ rowOf e; v ]
        member _.Jvp(_, y, da) =
            let e, v = eighSplit y
            let at = mm (matT v) (mm (symFromLower da) v)
            stackRows [| expandDims -2 (diagPart at); mm v (mul (gapReciprocal e) at) |]
        member _.Vjp(_, y, g) =
            let e, v = eighSplit y
            let ge, gv = eighSplit g
            let inner = add (diag ge) (mul (gapReciprocal e) (mm (matT v) gv))
            symFromLowerAdjoint (mm v (mm inner (matT v))) }

let eigh (input: Tensor) =
    if isNull (box input) then nullArg "input"
    requireSquare "Eigh" input
    eighSplit (eighRaw input)

/// Eigenvalues alone [..., n]: tangent diag(V^T dS V) and adjoint V diag(ē) V^T folded onto the lower triangle, V
/// recomputed (differentiably) from the operand, so repeated eigenvalues leave it finite (as TF's eigvalsh).
let rec private eigenvaluesRaw (a: Tensor) : Tensor = unary (eigenvaluesPrim ()) a
and private eigenvaluesPrim () : UnaryPrim =
    let vectors (a: Tensor) = snd (eighSplit (eighRaw a))
    { new UnaryPrim("Eigvalsh") with
        member _.Kernel(a) = fst (Kernels.eigh a)
        member _.Jvp(a, _, da) = let v = vectors a in diagPart (mm (matT v) (mm (symFromLower da) v))
        member _.Vjp(a, _, g) = let v = vectors a in symFromLowerAdjoint (mm (mul v (expandDims -2 g)) (matT v)) }

let eigvalsh (input: Tensor) =
    if isNull (box input) then nullArg "input"
    requireSquare "Eigvalsh" input
    eigenvaluesRaw input

// ---- SVD

let private svdSplit (m: int) (n: int) (y: Tensor) =
    squeeze (Some (y.Rank - 2)) (rowsOf 0 1 y), rowsOf 1 m y, rowsOf (1 + m) n y

/// x - U (U^T x): x's part orthogonal to U's columns.
let private projectOut (u: Tensor) (x: Tensor) = sub x (mm u (mm (matT u) x))

/// Reduced SVD of [..., m, n]: packed [..., 1 + m + n, k] (s descending, U, V).
let rec private svdRaw (a: Tensor) : Tensor = unary (svdPrim ()) a
and private svdPrim () : UnaryPrim =
    let parts (a: Tensor) (y: Tensor) = svdSplit a.Shape.[a.Rank - 2] a.Shape.[a.Rank - 1] y
    { new UnaryPrim("Svd") with
        member _.Kernel(a) =
            let s, u, v = Kernels.svd false a
            Kernels.packRows a.DType a.Shape.[.. a.Rank - 3] [ rowOf s; u; v ]
        member _.Jvp(a, y, da) =
            let s, u, v = parts a y
            let sRow, sCol = expandDims -2 s, expandDims -1 s
            let sInvRow = div (onesLike sRow) sRow
            let f = gapReciprocal (square s)
            let dp = mm (matT u) (mm da v)
            let du = add (mm u (mul f (add (mul dp sRow) (mul sCol (matT dp))))) (mul (projectOut u (mm da v)) sInvRow)
            let dv = add (mm v (mul f (add (mul sCol dp) (mul (matT dp) sRow)))) (mul (projectOut v (mm (matT da) u)) sInvRow)
            stackRows [| expandDims -2 (diagPart dp); du; dv |]
        member _.Vjp(a, y, g) =
            let s, u, v = parts a y
            let gs, gu, gv = parts a g
            let sRow, sCol = expandDims -2 s, expandDims -1 s
            let sInvRow = div (onesLike sRow) sRow
            let f = gapReciprocal (square s)
            let j = mul f (sub (mm (matT u) gu) (mm (matT gu) u))
            let k = mul f (sub (mm (matT v) gv) (mm (matT gv) v))
            let inner = add (add (mul j sRow) (diag gs)) (mul sCol k)
            add (add (mm u (mm inner (matT v))) (mm (mul (projectOut u gu) sInvRow) (matT v)))
                (mm (mul u sInvRow) (matT (projectOut v gv))) }

/// Singular values alone [..., k]: the adjoint U diag(s̄) V^T and tangent diag(U^T dA V), U and V recomputed
/// (differentiably) from the operand, so no 0 * inf arises from S^-1 when only s is used (as TF's compute_uv=false).
let rec private singularValuesRaw (a: Tensor) : Tensor = unary (singularValuesPrim ()) a
and private singularValuesPrim () : UnaryPrim =
    let vectors (a: Tensor) = let _, u, v = svdSplit a.Shape.[a.Rank - 2] a.Shape.[a.Rank - 1] (svdRaw a) in u, v
    { new UnaryPrim("Svd") with
        member _.Kernel(a) = let s, _, _ = Kernels.svd false a in s
        member _.Jvp(a, _, da) = let u, v = vectors a in diagPart (mm (matT u) (mm da v))
        member _.Vjp(a, _, g) = let u, v = vectors a in mm (mul u (expandDims -2 g)) (matT v) }

/// Full SVD of [..., m, n], m <> n: packed [..., 1 + m + n, max(m, n)]; not differentiable (as TF).
let private svdFullPrim =
    let why = "full_matrices=true with m <> n (the extra singular vectors are not unique; TensorFlow raises NotImplementedError)"
    { new UnaryPrim("Svd") with
        member _.Kernel(a) =
            let s, u, v = Kernels.svd true a
            Kernels.packRows a.DType a.Shape.[.. a.Rank - 3] [ rowOf s; u; v ]
        member _.Jvp(a, _, _) = notDifferentiable "Svd" why a.Shape
        member _.Vjp(a, _, _) = notDifferentiable "Svd" why a.Shape }

let svd (input: Tensor) (fullMatrices: bool) (computeUv: bool) =
    if isNull (box input) then nullArg "input"
    requireLinalgFloat "Svd" input
    requireMatrix "Svd" input
    let rk = input.Rank
    let m, n = input.Shape.[rk - 2], input.Shape.[rk - 1]
    if not computeUv then singularValuesRaw input, Unchecked.defaultof<Tensor>, Unchecked.defaultof<Tensor>
    elif fullMatrices && m <> n then
        let y = unary svdFullPrim input
        let k = min m n
        squeeze (Some (rk - 2)) (colsOf 0 k (rowsOf 0 1 y)), colsOf 0 m (rowsOf 1 m y), colsOf 0 n (rowsOf (1 + m) n y)
    else svdSplit m n (svdRaw input)

// ---- Least squares

let lstsq (matrix: Tensor) (rhs: Tensor) (l2Regularizer: float) (fast: bool) =
    if isNull (box matrix) then nullArg "matrix"
    if isNull (box rhs) then nullArg "rhs"
    let shapes () = sprintf "matrix %s, rhs %s" (Shape.format matrix.Shape) (Shape.format rhs.Shape)
    requireLinalgFloat "Lstsq" matrix
    requireLinalgFloat "Lstsq" rhs
    if matrix.Rank < 2 || rhs.Rank < 2 then fail "Lstsq" (sprintf "expected matrix [..., m, n] and rhs [..., m, k] of rank >= 2, got %s" (shapes ()))
    if matrix.DType <> rhs.DType then fail "Lstsq" (sprintf "matrix and rhs have dtypes %s and %s; expected the same dtype" (string matrix.DType) (string rhs.DType))
    let m, n = matrix.Shape.[matrix.Rank - 2], matrix.Shape.[matrix.Rank - 1]
    if rhs.Shape.[rhs.Rank - 2] <> m then fail "Lstsq" (sprintf "matrix has %d rows but rhs has %d (%s); expected equal" m rhs.Shape.[rhs.Rank - 2] (shapes ()))
    if Double.IsNaN l2Regularizer || l2Regularizer < 0.0 then fail "Lstsq" (sprintf "l2_regularizer %g; expected a non-negative number" l2Regularizer)
    let a, b =
        match Shape.tryBroadcast matrix.Shape.[.. matrix.Rank - 3] rhs.Shape.[.. rhs.Rank - 3] with
        | None -> fail "Lstsq" (sprintf "batch axes do not broadcast (%s); expected equal extents or 1, aligned from the right" (shapes ()))
        | Some batch ->
            let ms = Array.append batch [| m; n |]
            let rs = Array.append batch [| m; rhs.Shape.[rhs.Rank - 1] |]
            (if Shape.equal ms matrix.Shape then matrix else broadcastTo ms matrix), (if Shape.equal rs rhs.Shape then rhs else broadcastTo rs rhs)
    if fast then
        let regularised (gram: Tensor) =
            if l2Regularizer > 0.0 then add gram (mul (eyeOf gram.DType gram.Shape.[gram.Rank - 1]) (scalarLike gram l2Regularizer)) else gram
        let factor (gram: Tensor) =
            try choleskyRaw (regularised gram)
            with :? ArgumentException as e when e.Message.StartsWith "Cholesky:" ->
                fail "Lstsq" (sprintf "fast=true solves the normal equations by Cholesky, and the Gram matrix of a batch matrix is not positive definite (the matrix is rank deficient or too ill-conditioned; %s). TensorFlow raises InvalidArgumentError here; use fast=false or l2_regularizer > 0" (shapes ()))
        let cholSolve (l: Tensor) (x: Tensor) = triSolveRaw true true l (triSolveRaw true false l x)
        if m >= n then cholSolve (factor (mm (matT a) a)) (mm (matT a) b)
        else mm (matT a) (cholSolve (factor (mm a (matT a))) b)
    else
        // Minimum-norm least squares through the SVD, singular values below max(m, n) eps s_max treated as zero.
        let s, u, v = svdSplit m n (svdRaw a)
        let eps = if a.DType = DType.Float32 then 1.1920929e-07 else 2.220446049250313e-16
        let tol = mul (reduceMax [| s.Rank - 1 |] true s) (scalarLike s (eps * float (max m n)))
        let keep = greater s tol
        let safe = where keep s (onesLike s)
        let sInv = where keep (div (onesLike s) safe) (zerosLike s)
        mm (mul v (expandDims -2 sInv)) (mm (matT u) b)

// ---------------------------------------------------------------------------------------------------------------
// Norms (tf.norm): composites of differentiable reductions

let private parseOrd (ord: string) =
    match ord with
    | "euclidean" | "fro" | "inf" -> ord
    | _ ->
        match Double.TryParse(ord, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
        | true, p when Double.IsPositiveInfinity p -> "inf"
        | true, p when p > 0.0 && not (Double.IsNaN p) -> if p = 1.0 then "1" elif p = 2.0 then "2" else ord
        | _ -> ""

let norm (ord: string) (axes: int[]) (keepDims: bool) (x: Tensor) =
    let shapeText () = Shape.format x.Shape
    if isNull (box x) then nullArg "x"
    requireLinalgFloat "Norm" x
    let o = parseOrd (if isNull ord then "" else ord)
    let isMatrix = not (isNull axes) && axes.Length = 2
    if not (isNull axes) && (axes.Length < 1 || axes.Length > 2) then
        fail "Norm" (sprintf "axis must be null, one axis or two axes, got %d axes for shape %s" axes.Length (shapeText ()))
    let wrap (v: int) = if v < 0 then v + x.Rank else v
    if isMatrix && wrap axes.[0] = wrap axes.[1] then
        fail "Norm" (sprintf "the two matrix axes must differ, got %A for shape %s" axes (shapeText ()))
    let axs =
        if isNull axes then Array.init x.Rank id
        else
            Shape.normAxes "Norm" x.Rank axes |> ignore
            // normAxes sorts; a matrix norm's (row, column) order matters for ord 1 and inf.
            Array.map wrap axes
    if isMatrix then
        if o <> "euclidean" && o <> "fro" && o <> "1" && o <> "inf" && o <> "2" then
            fail "Norm" (sprintf "ord '%s' is not a supported matrix norm; expected 'euclidean', 'fro', 1, 2 or inf (shape %s)" ord (shapeText ()))
    elif o = "" || o = "fro" then
        fail "Norm" (sprintf "ord '%s' is not a supported vector norm; expected 'euclidean', 1, 2, inf or a positive real (as TF, 'fro' is for matrices), shape %s" ord (shapeText ()))
    let outShape = Shape.reduced x.Shape (Array.sort axs) keepDims
    let r =
        match o with
        | "2" when isMatrix ->
            // The largest singular value: the two axes moved last (the others keep their order), as TF.
            let others = Array.init x.Rank id |> Array.filter (fun i -> not (Array.contains i axs))
            let s = singularValuesRaw (transpose (Array.append others axs) x)
            reduceMax [| s.Rank - 1 |] true s
        | "euclidean" | "fro" | "2" -> sqrt (sum axs true (square x))
        | "1" when isMatrix -> reduceMax [| axs.[1] |] true (sum [| axs.[0] |] true (abs x))
        | "inf" when isMatrix -> reduceMax [| axs.[0] |] true (sum [| axs.[1] |] true (abs x))
        | "1" -> sum axs true (abs x)
        | "inf" -> reduceMax axs true (abs x)
        | p ->
            let pv = Double.Parse(p, Globalization.CultureInfo.InvariantCulture)
            pow (sum axs true (pow (abs x) (scalarLike x pv))) (scalarLike x (1.0 / pv))
    reshape outShape r
