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
    /// is an ArgumentException.
    let solve (op: string) (adjoint: bool) (a: RawTensor) (b: RawTensor) =
        let n = a.Shape.[a.Rank - 1]
        let k = b.Shape.[b.Rank - 1]
        let nb = batchCount a.Shape
        let provider = Backend.linearAlgebra ()
        let run (am: 'T[]) (bm: 'T[]) (factor: 'T[] -> int[] -> unit) (solveF: 'T[] -> int[] -> 'T[] -> unit) (isZero: 'T -> bool) : 'T[] =
            let x = Array.zeroCreate bm.Length
            for i in 0 .. nb - 1 do
                // The column-major array of row-major A is A^T: that is op(A) when adjoint.
                let cm = if adjoint then Array.sub am (i * n * n) (n * n) else toColMajor am (i * n * n) n n
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
                run am bm (fun cm p -> provider.LUFactor(cm, n, p)) (fun cm p r -> provider.LUSolveFactored(k, cm, n, p, r)) (fun v -> v = 0.0) :> _
            | (:? (float32[]) as am), (:? (float32[]) as bm) ->
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
        if o <> "euclidean" && o <> "fro" && o <> "1" && o <> "inf" then
            if o = "2" then
                fail "Norm" (sprintf "the matrix 2-norm (largest singular value) needs Svd, which Nabla does not offer yet; shape %s. Supported matrix ords: 'euclidean', 'fro', 1, inf" (shapeText ()))
            fail "Norm" (sprintf "ord '%s' is not a supported matrix norm; expected 'euclidean', 'fro', 1 or inf (shape %s)" ord (shapeText ()))
    elif o = "" || o = "fro" then
        fail "Norm" (sprintf "ord '%s' is not a supported vector norm; expected 'euclidean', 1, 2, inf or a positive real (as TF, 'fro' is for matrices), shape %s" ord (shapeText ()))
    let outShape = Shape.reduced x.Shape (Array.sort axs) keepDims
    let r =
        match o with
        | "euclidean" | "fro" | "2" -> sqrt (sum axs true (square x))
        | "1" when isMatrix -> reduceMax [| axs.[1] |] true (sum [| axs.[0] |] true (abs x))
        | "inf" when isMatrix -> reduceMax [| axs.[0] |] true (sum [| axs.[1] |] true (abs x))
        | "1" -> sum axs true (abs x)
        | "inf" -> reduceMax axs true (abs x)
        | p ->
            let pv = Double.Parse(p, Globalization.CultureInfo.InvariantCulture)
            pow (sum axs true (pow (abs x) (scalarLike x pv))) (scalarLike x (1.0 / pv))
    reshape outShape r
