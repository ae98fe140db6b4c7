/// Samples of the linear-algebra ops (Nabla.Core.Linalg) for the op table: well-conditioned inputs built inside each
/// sample (SPD as X X^T + n I, invertible as X + (n + 1) I: strictly diagonally dominant for entries in (-1, 1)),
/// batched over random leading axes, and naive Float64 references (textbook elimination and substitution, one matrix
/// at a time). Each sample is (name, operands, apply, reference, seed) for Cases.fs's `case`.
module Nabla.Properties.LinalgCases

open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Core.Combinators
open Nabla.Properties.TestData

type Sample = string * (int[] * float[])[] * (Tensor[] -> Tensor) * (Reference.Value[] -> Reference.Value) * int

// ------------------------------------------------------------------ naive references (row-major n x n blocks)

/// Applies `f` to each [n, n] matrix (with its batch index) and concatenates the per-matrix results of shape `inner`.
let private perMatrix (n: int) (inner: int[]) ((shape, data): Reference.Value) (f: int -> float[] -> float[]) : Reference.Value =
    let batch = shape.[.. shape.Length - 3]
    let nb = Reference.size batch
    Array.append batch inner, Array.concat [ for b in 0 .. nb - 1 -> f b (Array.sub data (b * n * n) (n * n)) ]

let private refSpd (n: int) (x: float[]) =
    Array.init (n * n) (fun q ->
        let i, j = q / n, q % n
        Seq.sum (seq { for l in 0 .. n - 1 -> x.[i * n + l] * x.[j * n + l] }) + (if i = j then float n else 0.0))

let private refDominant (n: int) (x: float[]) = Array.init (n * n) (fun q -> x.[q] + (if q / n = q % n then float (n + 1) else 0.0))

let private refCholesky (n: int) (a: float[]) =
    let l = Array.zeroCreate (n * n)
    for j in 0 .. n - 1 do
        let d = a.[j * n + j] - Seq.sum (seq { for k in 0 .. j - 1 -> l.[j * n + k] * l.[j * n + k] })
        l.[j * n + j] <- sqrt d
        for i in j + 1 .. n - 1 do
            l.[i * n + j] <- (a.[i * n + j] - Seq.sum (seq { for k in 0 .. j - 1 -> l.[i * n + k] * l.[j * n + k] })) / l.[j * n + j]
    l

/// Gaussian elimination with partial pivoting: (solution of A X = B for B n x k, det A).
let private refSolveDet (n: int) (a: float[]) (b: float[]) (k: int) =
    let a = Array.copy a
    let x = Array.copy b
    let mutable det = 1.0
    for c in 0 .. n - 1 do
        let p = seq { c .. n - 1 } |> Seq.maxBy (fun r -> abs a.[r * n + c])
        if p <> c then
            det <- -det
            for j in 0 .. n - 1 do (let t = a.[c * n + j] in a.[c * n + j] <- a.[p * n + j]; a.[p * n + j] <- t)
            for j in 0 .. k - 1 do (let t = x.[c * k + j] in x.[c * k + j] <- x.[p * k + j]; x.[p * k + j] <- t)
        det <- det * a.[c * n + c]
        for r in c + 1 .. n - 1 do
            let f = a.[r * n + c] / a.[c * n + c]
            for j in c .. n - 1 do a.[r * n + j] <- a.[r * n + j] - f * a.[c * n + j]
            for j in 0 .. k - 1 do x.[r * k + j] <- x.[r * k + j] - f * x.[c * k + j]
    for r in n - 1 .. -1 .. 0 do
        for j in 0 .. k - 1 do
            let s = x.[r * k + j] - Seq.sum (seq { for q in r + 1 .. n - 1 -> a.[r * n + q] * x.[q * k + j] })
            x.[r * k + j] <- s / a.[r * n + r]
    x, det

let private transposeSq (n: int) (a: float[]) = Array.init (n * n) (fun q -> a.[(q % n) * n + q / n])

// ------------------------------------------------------------------ differentiable constructions inside the samples

let private eye (x: Tensor) = let n = x.Shape.[x.Rank - 1] in constant (Storage.eye n x.DType)

let private spd (x: Tensor) =
    let n = x.Shape.[x.Rank - 1]
    add (Products.matmul false true x x) (Elementwise.mul (eye x) (scalarLike x (float n)))

let private dominant (x: Tensor) =
    let n = x.Shape.[x.Rank - 1]
    add x (Elementwise.mul (eye x) (scalarLike x (float (n + 1))))

let private genMatrices =
    gen {
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let shape = Array.append batch [| n; n |]
        let! data = genData (genIn -1.0 1.0) shape
        let! seed = genSeed
        return n, batch, shape, data, seed
    }

// ------------------------------------------------------------------ samples

let cholesky : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        return sprintf "Cholesky of X X^T + nI (n=%d)" n, [| shape, data |], (fun xs -> Linalg.cholesky (spd xs.[0])),
               (fun xs -> perMatrix n [| n; n |] xs.[0] (fun _ x -> refCholesky n (refSpd n x))), seed
    }

let logdet : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        return sprintf "LogDet of X X^T + nI (n=%d)" n, [| shape, data |], (fun xs -> Linalg.logdet (spd xs.[0])),
               (fun xs -> let s, d = perMatrix n [| 1 |] xs.[0] (fun _ x -> [| log (snd (refSolveDet n (refSpd n x) [||] 0)) |]) in s.[.. s.Length - 2], d), seed
    }

let det : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        return sprintf "Det of X + (n+1)I (n=%d)" n, [| shape, data |], (fun xs -> Linalg.det (dominant xs.[0])),
               (fun xs -> let s, d = perMatrix n [| 1 |] xs.[0] (fun _ x -> [| snd (refSolveDet n (refDominant n x) [||] 0) |]) in s.[.. s.Length - 2], d), seed
    }

let logAbsDet : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        let! negate = genBool
        let flip (x: Tensor) = if negate then Elementwise.neg x else x
        return sprintf "Slogdet log|det| of %sX + (n+1)I (n=%d)" (if negate then "-" else "") n, [| shape, data |],
               (fun xs -> snd (Linalg.slogdet (flip (dominant xs.[0])))),
               (fun xs ->
                   let s, d = perMatrix n [| 1 |] xs.[0] (fun _ x ->
                                  let a = refDominant n x
                                  [| log (abs (snd (refSolveDet n (if negate then Array.map (~-) a else a) [||] 0))) |])
                   s.[.. s.Length - 2], d), seed
    }

let inv : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        let! adjoint = genBool
        return sprintf "Inv of X + (n+1)I adjoint=%b (n=%d)" adjoint n, [| shape, data |], (fun xs -> Linalg.inv (dominant xs.[0]) adjoint),
               (fun xs -> perMatrix n [| n; n |] xs.[0] (fun _ x ->
                              let a = refDominant n x
                              fst (refSolveDet n (if adjoint then transposeSq n a else a) (Array.init (n * n) (fun q -> if q / n = q % n then 1.0 else 0.0)) n))), seed
    }

/// A system: matrix operand [ba..., n, n] and rhs [bb..., n, k] with broadcasting batch axes.
let private genSystem =
    gen {
        let! n = Gen.choose (1, 3)
        let! k = Gen.choose (1, 2)
        let! batch = genShapeOf 0 2 3 4
        let! ba = genBroadcastable batch
        let! bb = genBroadcastable batch
        let sa = Array.append ba [| n; n |]
        let sb = Array.append bb [| n; k |]
        let! a = genData (genIn -1.0 1.0) sa
        let! b = genData (genIn -1.0 1.0) sb
        let! seed = genSeed
        return n, k, sa, a, sb, b, seed
    }

/// Per broadcast batch element: f (matrix) (rhs) -> n x k block.
let private perSystem (n: int) (k: int) ((sa, a): Reference.Value) ((sb, b): Reference.Value) (f: float[] -> float[] -> float[]) : Reference.Value =
    let batch = Reference.broadcastShape sa.[.. sa.Length - 3] sb.[.. sb.Length - 3]
    let sa', a' = Reference.broadcastTo (Array.append batch [| n; n |]) (sa, a)
    let _, b' = Reference.broadcastTo (Array.append batch [| n; k |]) (sb, b)
    ignore sa'
    let nb = Reference.size batch
    Array.append batch [| n; k |], Array.concat [ for q in 0 .. nb - 1 -> f (Array.sub a' (q * n * n) (n * n)) (Array.sub b' (q * n * k) (n * k)) ]

let solve : Gen<Sample> =
    gen {
        let! n, k, sa, a, sb, b, seed = genSystem
        let! adjoint = genBool
        return sprintf "Solve (X + (n+1)I) adjoint=%b (n=%d k=%d)" adjoint n k, [| sa, a; sb, b |],
               (fun xs -> Linalg.solve (dominant xs.[0]) xs.[1] adjoint),
               (fun xs -> perSystem n k xs.[0] xs.[1] (fun m r -> let d = refDominant n m in fst (refSolveDet n (if adjoint then transposeSq n d else d) r k))), seed
    }

let triangularSolve : Gen<Sample> =
    gen {
        let! n, k, sa, a, sb, b, seed = genSystem
        let! lower = genBool
        let! adjoint = genBool
        let tri (m: float[]) = Array.init (n * n) (fun q -> let i, j = q / n, q % n in if (lower && i >= j) || (not lower && i <= j) then m.[q] else 0.0)
        return sprintf "TriangularSolve (X + (n+1)I) lower=%b adjoint=%b (n=%d k=%d)" lower adjoint n k, [| sa, a; sb, b |],
               (fun xs -> Linalg.triangularSolve (dominant xs.[0]) xs.[1] lower adjoint),
               (fun xs -> perSystem n k xs.[0] xs.[1] (fun m r -> let t = tri (refDominant n m) in fst (refSolveDet n (if adjoint then transposeSq n t else t) r k))), seed
    }

let choleskySolve : Gen<Sample> =
    gen {
        let! n, k, sa, a, sb, b, seed = genSystem
        return sprintf "CholeskySolve (cholesky of X X^T + nI) (n=%d k=%d)" n k, [| sa, a; sb, b |],
               (fun xs -> Linalg.choleskySolve (Linalg.cholesky (spd xs.[0])) xs.[1]),
               (fun xs -> perSystem n k xs.[0] xs.[1] (fun m r -> fst (refSolveDet n (refSpd n m) r k))), seed
    }

/// [..., m, n] with m, n in 1..3 (non-square included).
let private genRect =
    gen {
        let! m = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let shape = Array.append batch [| m; n |]
        let! data = genData (genIn -1.0 1.0) shape
        let! seed = genSeed
        return m, n, batch, shape, data, seed
    }

let diagPart : Gen<Sample> =
    gen {
        let! m, n, batch, shape, data, seed = genRect
        let k = min m n
        return sprintf "DiagPart (m=%d n=%d)" m n, [| shape, data |], (fun xs -> Linalg.diagPart xs.[0]),
               (fun xs -> let _, d = xs.[0] in Array.append batch [| k |], Array.init (Reference.size batch * k) (fun q -> let b, i = q / k, q % k in d.[b * m * n + i * n + i])), seed
    }

let trace : Gen<Sample> =
    gen {
        let! m, n, batch, shape, data, seed = genRect
        let k = min m n
        return sprintf "Trace (m=%d n=%d)" m n, [| shape, data |], (fun xs -> Linalg.trace xs.[0]),
               (fun xs -> let _, d = xs.[0] in batch, Array.init (Reference.size batch) (fun b -> Seq.sum (seq { for i in 0 .. k - 1 -> d.[b * m * n + i * n + i] }))), seed
    }

let bandPart : Gen<Sample> =
    gen {
        let! m, n, batch, shape, data, seed = genRect
        let! lo = Gen.choose (-1, 2)
        let! hi = Gen.choose (-1, 2)
        let keep i j = (lo < 0 || i - j <= lo) && (hi < 0 || j - i <= hi)
        return sprintf "BandPart lower=%d upper=%d (m=%d n=%d)" lo hi m n, [| shape, data |], (fun xs -> Linalg.bandPart xs.[0] lo hi),
               (fun xs -> let s, d = xs.[0] in s, Array.init d.Length (fun q -> let i, j = (q / n) % m, q % n in if keep i j then d.[q] else 0.0)), seed
    }

let diag : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 3 12
        let! data = genData (genIn -1.0 1.0) shape
        let! seed = genSeed
        let n = shape.[shape.Length - 1]
        return sprintf "Diag (n=%d)" n, [| shape, data |], (fun xs -> Linalg.diag xs.[0]),
               (fun xs -> let _, d = xs.[0] in Array.append shape [| n |], Array.init (d.Length * n) (fun q -> let v, j = q / n, q % n in if v % n = j then d.[v] else 0.0)), seed
    }

/// tf.norm over random axes (all, one, or two for a matrix norm), every ord, keepDims either way; |x| in [0.2, 1]
/// (away from abs's kink and the 2-norm's singularity at 0).
let norm : Gen<Sample> =
    gen {
        let! shape = genShapeOf 1 3 3 18
        let! mags = genData (genIn 0.2 1.0) shape
        let! signs = Gen.arrayOfLength mags.Length genBool
        let data = Array.map2 (fun m s -> if s then m else -m) mags signs
        let rank = shape.Length
        let! mode = Gen.choose (0, if rank >= 2 then 2 else 1)
        let! a0 = Gen.choose (0, rank - 1)
        let! a1 = Gen.choose (0, rank - 1) |> Gen.where (fun a -> a <> a0 || rank < 2)
        let axes = match mode with 0 -> null | 1 -> [| a0 - rank |] | _ -> [| a0; a1 - rank |]
        let! ord = if mode = 2 then Gen.elements [ "euclidean"; "fro"; "1"; "inf" ] else Gen.elements [ "euclidean"; "1"; "2"; "inf"; "3"; "1.5" ]
        let! keepDims = genBool
        let! seed = genSeed
        let norm = ((if isNull axes then Array.init rank id else axes |> Array.map (fun a -> if a < 0 then a + rank else a)))
        let reference (x: Reference.Value) : Reference.Value =
            let outShape = Array.mapi (fun i d -> if Array.contains i norm then 1 else d) shape
            let final = if keepDims then outShape else shape |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i norm)) |> Array.map snd
            let ax = Reference.map abs x
            let r =
                match ord, mode with
                | "1", 2 -> Reference.reduceMax [| norm.[1] |] true (Reference.sum [| norm.[0] |] true ax)
                | "inf", 2 -> Reference.reduceMax [| norm.[0] |] true (Reference.sum [| norm.[1] |] true ax)
                | ("euclidean" | "fro" | "2"), _ -> Reference.map sqrt (Reference.sum norm true (Reference.map (fun v -> v * v) x))
                | "1", _ -> Reference.sum norm true ax
                | "inf", _ -> Reference.reduceMax norm true ax
                | p, _ -> let p = float p in Reference.map (fun s -> s ** (1.0 / p)) (Reference.sum norm true (Reference.map (fun v -> v ** p) ax))
            Reference.reshape final r
        return sprintf "Norm ord=%s axis=%s keepDims=%b" ord (if isNull axes then "null" else sprintf "%A" axes) keepDims, [| shape, data |],
               (fun xs -> Linalg.norm ord (if isNull axes then null else Array.copy axes) keepDims xs.[0]), (fun xs -> reference xs.[0]), seed
    }

// ------------------------------------------------------------------ decompositions (QR, Eigh, SVD) and least squares
// Inputs are built so the factors are smooth: 0.5 X plus a constant with well-separated values (gaps >= 1 for
// entries of X in (-1, 1)). Outputs are sign-independent where the decomposition is only unique up to signs
// (V diag(w) V^T, U diag(w) V^T), so the references need no sign convention.

/// Applies `f` to each [rows, cols] block of a batch and concatenates the per-block results of shape `inner`.
let private perBlock (rows: int) (cols: int) (inner: int[]) ((shape, data): Reference.Value) (f: float[] -> float[]) : Reference.Value =
    let batch = shape.[.. shape.Length - 3]
    let nb = Reference.size batch
    Array.append batch inner, Array.concat [ for b in 0 .. nb - 1 -> f (Array.sub data (b * rows * cols) (rows * cols)) ]

/// Cyclic Jacobi eigendecomposition of a symmetric n x n row-major matrix: (ascending eigenvalues, eigenvectors as
/// the columns of a row-major n x n array).
let private refEigh (n: int) (a: float[]) =
    let a = Array.copy a
    let v = Array.init (n * n) (fun q -> if q / n = q % n then 1.0 else 0.0)
    let off () = Seq.sum (seq { for i in 0 .. n - 1 do for j in 0 .. n - 1 do if i <> j then yield a.[i * n + j] * a.[i * n + j] })
    let mutable sweeps = 0
    while sweeps < 100 && off () > 1e-30 do
        for p in 0 .. n - 2 do
            for q in p + 1 .. n - 1 do
                if a.[p * n + q] <> 0.0 then
                    let theta = (a.[q * n + q] - a.[p * n + p]) / (2.0 * a.[p * n + q])
                    let t = (if theta >= 0.0 then 1.0 else -1.0) / (abs theta + sqrt (theta * theta + 1.0))
                    let c = 1.0 / sqrt (t * t + 1.0)
                    let s = t * c
                    for k in 0 .. n - 1 do          // A <- A J (columns p, q)
                        let akp, akq = a.[k * n + p], a.[k * n + q]
                        a.[k * n + p] <- c * akp - s * akq
                        a.[k * n + q] <- s * akp + c * akq
                    for k in 0 .. n - 1 do          // A <- J^T A (rows p, q)
                        let apk, aqk = a.[p * n + k], a.[q * n + k]
                        a.[p * n + k] <- c * apk - s * aqk
                        a.[q * n + k] <- s * apk + c * aqk
                    for k in 0 .. n - 1 do
                        let vkp, vkq = v.[k * n + p], v.[k * n + q]
                        v.[k * n + p] <- c * vkp - s * vkq
                        v.[k * n + q] <- s * vkp + c * vkq
        sweeps <- sweeps + 1
    let order = Array.init n id |> Array.sortBy (fun i -> a.[i * n + i])
    Array.map (fun i -> a.[i * n + i]) order, Array.init (n * n) (fun q -> v.[(q / n) * n + order.[q % n]])

let private refMatMul (m: int) (k: int) (n: int) (a: float[]) (b: float[]) =
    Array.init (m * n) (fun q -> let i, j = q / n, q % n in Seq.sum (seq { for l in 0 .. k - 1 -> a.[i * k + l] * b.[l * n + j] }))

let private refT (r: int) (c: int) (a: float[]) = Array.init (r * c) (fun q -> let i, j = q / r, q % r in a.[j * c + i])

/// U (r x k) diag(w) W^T (W c x k): r x c.
let private refWeighted (r: int) (c: int) (k: int) (u: float[]) (w: float[]) (v: float[]) =
    Array.init (r * c) (fun q -> let i, j = q / c, q % c in Seq.sum (seq { for l in 0 .. k - 1 -> u.[i * k + l] * w.[l] * v.[j * k + l] }))

/// Reduced SVD by the eigendecomposition of A^T A (m >= n) or A A^T: (s descending, U m x k, V n x k).
let private refSvd (m: int) (n: int) (a: float[]) =
    let k = min m n
    let tall = m >= n
    let g = if tall then refMatMul n m n (refT m n a) a else refMatMul m n m a (refT m n a)
    let e, w = refEigh k g
    let order = Array.init k (fun i -> k - 1 - i)
    let s = order |> Array.map (fun i -> sqrt e.[i])
    let w = Array.init (k * k) (fun q -> w.[(q / k) * k + order.[q % k]])
    if tall then
        let av = refMatMul m n k a w
        s, Array.init (m * k) (fun q -> av.[q] / s.[q % k]), w
    else
        let atu = refMatMul n m k (refT m n a) w
        s, w, Array.init (n * k) (fun q -> atu.[q] / s.[q % k])

/// A constant [rows, cols] "diagonal" with 4, 8, 12 ... on it (singular values well apart).
let private spread (x: Tensor) =
    let r, c = x.Shape.[x.Rank - 2], x.Shape.[x.Rank - 1]
    constant (Storage.cast x.DType (RawTensor(DType.Float64, [| r; c |], Array.init (r * c) (fun q -> if q / c = q % c then 4.0 * float (q / c + 1) else 0.0))))

let private refSpread (r: int) (c: int) (x: float[]) = Array.init (r * c) (fun q -> 0.5 * x.[q] + (if q / c = q % c then 4.0 * float (q / c + 1) else 0.0))

/// 0.5 X + spread: singular values near 4, 8, 12 (gaps >= 1), the leading square block well conditioned.
let private wellApart (x: Tensor) = add (Elementwise.mul x (scalarLike x 0.5)) (spread x)

/// Per-batch flattening: [..., r, c] -> [..., r c].
let private flat (x: Tensor) = let r = x.Rank in Layout.reshape (Array.append x.Shape.[.. r - 3] [| x.Shape.[r - 2] * x.Shape.[r - 1] |]) x

let private weights (k: int) = Array.init k (fun i -> 1.0 + 0.5 * float i)

/// U diag(w) V^T with the constant weights 1, 1.5, 2, ... (unchanged by flipping a column of U with that of V).
let private weighted (u: Tensor) (v: Tensor) =
    let k = u.Shape.[u.Rank - 1]
    let w = constant (Storage.cast u.DType (RawTensor(DType.Float64, [| 1; k |], weights k)))
    Products.matmul false true (Elementwise.mul u w) v

let qr : Gen<Sample> =
    gen {
        let! m, n, _, shape, data, seed = genRect
        let k = min m n
        return sprintf "Qr of 0.5X + spread (m=%d n=%d), Q and R" m n, [| shape, data |],
               (fun xs ->
                   let q, r = Linalg.qr (wellApart xs.[0]) false
                   Layout.concat (q.Rank - 2) [| flat q; flat r |]),
               (fun xs ->
                   perBlock m n [| m * k + k * n |] xs.[0] (fun x ->
                       // Gram-Schmidt on the first k columns (R's diagonal positive), R = Q^T A.
                       let a = refSpread m n x
                       let q = Array.zeroCreate (m * k)
                       for j in 0 .. k - 1 do
                           let col = Array.init m (fun i -> a.[i * n + j])
                           for p in 0 .. j - 1 do
                               let d = Seq.sum (seq { for i in 0 .. m - 1 -> q.[i * k + p] * a.[i * n + j] })
                               for i in 0 .. m - 1 do col.[i] <- col.[i] - d * q.[i * k + p]
                           let nrm = sqrt (Array.sumBy (fun v -> v * v) col)
                           for i in 0 .. m - 1 do q.[i * k + j] <- col.[i] / nrm
                       Array.append q (refMatMul k m n (refT m k q) a))), seed
    }

let eigh : Gen<Sample> =
    gen {
        let! n, _, shape, data, seed = genMatrices
        let! valuesOnly = genBool
        // (X + X^T)/4 + diag(4, 8, 12): eigenvalues at least 1 apart.
        let build (x: Tensor) = add (Elementwise.mul (add x (Layout.transpose (Array.init x.Rank (fun i -> if i = x.Rank - 2 then x.Rank - 1 elif i = x.Rank - 1 then x.Rank - 2 else i)) x)) (scalarLike x 0.25)) (spread x)
        let refBuild (x: float[]) = Array.init (n * n) (fun q -> let i, j = q / n, q % n in 0.25 * (x.[q] + x.[j * n + i]) + (if i = j then 4.0 * float (i + 1) else 0.0))
        return sprintf "%s of (X + X^T)/4 + diag(4, 8, ..) (n=%d)%s" (if valuesOnly then "Eigvalsh" else "Eigh") n (if valuesOnly then "" else ", e and V diag(w) V^T"), [| shape, data |],
               (fun xs ->
                   let a = build xs.[0]
                   if valuesOnly then Linalg.eigvalsh a
                   else
                       let e, v = Linalg.eigh a
                       Layout.concat (e.Rank - 1) [| e; flat (weighted v v) |]),
               (fun xs ->
                   let inner = if valuesOnly then [| n |] else [| n + n * n |]
                   perBlock n n inner xs.[0] (fun x ->
                       let e, v = refEigh n (refBuild x)
                       if valuesOnly then e else Array.append e (refWeighted n n n v (weights n) v))), seed
    }

let svd : Gen<Sample> =
    gen {
        let! m, n, _, shape, data, seed = genRect
        let k = min m n
        let! mode = Gen.elements [ "uv"; "s"; "norm2" ]
        return sprintf "Svd of 0.5X + spread (m=%d n=%d), %s" m n
                   (match mode with "uv" -> "s, U diag(w) U^T, V diag(w) V^T, U diag(w) V^T" | "s" -> "compute_uv=false" | _ -> "matrix 2-norm"),
               [| shape, data |],
               (fun xs ->
                   let a = wellApart xs.[0]
                   match mode with
                   | "uv" ->
                       let s, u, v = Linalg.svd a false true
                       Layout.concat (s.Rank - 1) [| s; flat (weighted u u); flat (weighted v v); flat (weighted u v) |]
                   | "s" -> let s, _, _ = Linalg.svd a false false in s
                   | _ -> Linalg.norm "2" [| -2; -1 |] false a),
               (fun xs ->
                   let inner = match mode with "uv" -> [| k + m * m + n * n + m * n |] | "s" -> [| k |] | _ -> [||]
                   perBlock m n inner xs.[0] (fun x ->
                       let s, u, v = refSvd m n (refSpread m n x)
                       let w = weights k
                       match mode with
                       | "uv" -> Array.concat [ s; refWeighted m m k u w u; refWeighted n n k v w v; refWeighted m n k u w v ]
                       | "s" -> s
                       | _ -> [| s.[0] |])), seed
    }

let lstsq : Gen<Sample> =
    gen {
        let! m, n, batch, shape, data, seed = genRect
        let! kc = Gen.choose (1, 2)
        let sb = Array.append batch [| m; kc |]
        let! b = genData (genIn -1.0 1.0) sb
        let! fast = genBool
        let! l2 = Gen.elements [ 0.0; 0.5 ]
        let lam = if fast then l2 else 0.0
        return sprintf "Lstsq of 0.5X + spread (m=%d n=%d k=%d) fast=%b l2=%g" m n kc fast l2, [| shape, data; sb, b |],
               (fun xs -> Linalg.lstsq (wellApart xs.[0]) xs.[1] l2 fast),
               (fun xs ->
                   let (sa, av), (_, bv) = xs.[0], xs.[1]
                   let nb = Reference.size sa.[.. sa.Length - 3]
                   Array.append sa.[.. sa.Length - 3] [| n; kc |],
                   Array.concat [
                       for q in 0 .. nb - 1 ->
                           let a = refSpread m n (Array.sub av (q * m * n) (m * n))
                           let r = Array.sub bv (q * m * kc) (m * kc)
                           let at = refT m n a
                           let reg (g: float[]) d = Array.mapi (fun i v -> if i / d = i % d then v + lam else v) g
                           if m >= n then fst (refSolveDet n (reg (refMatMul n m n at a) n) (refMatMul n m kc at r) kc)
                           else refMatMul n m kc at (fst (refSolveDet m (reg (refMatMul m n m a at) m) r kc)) ]), seed
    }
