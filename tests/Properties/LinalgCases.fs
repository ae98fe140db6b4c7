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
