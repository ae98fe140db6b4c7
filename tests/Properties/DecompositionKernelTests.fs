/// QR, symmetric eigendecomposition and SVD on matrices large enough for the native paths to matter: the provider's
/// decompositions (MKL's LAPACKE ?geqrf/?orgqr, ?syevd, ?gesdd when NABLA_PROVIDER=mkl, else MathNet's managed code)
/// against MathNet's managed provider on the sign-free parts (R up to row signs, eigenvalues, singular values), and
/// the batched ops against their reconstruction and orthogonality identities, in both float dtypes.
module Nabla.Properties.DecompositionKernelTests

open System
open Xunit
open Nabla.Core
open MathNet.Numerics.Providers.LinearAlgebra
open Nabla.Properties.TestData

let private rng (seed: int) (n: int) = let r = Random(seed) in Array.init n (fun _ -> r.NextDouble() * 2.0 - 1.0)

let private maxAbsDiff (a: float[]) (b: float[]) = Array.fold2 (fun m x y -> max m (abs (x - y))) 0.0 a b

let private usingMkl () = Environment.GetEnvironmentVariable "NABLA_PROVIDER" = "mkl"

[<Theory>]
[<InlineData(7, 7)>]
[<InlineData(60, 25)>]
[<InlineData(1, 1)>]
let ``the provider's QR, eigendecomposition and SVD agree with MathNet's managed provider`` (m: int, n: int) =
    let provider = Backend.linearAlgebra ()
    let managed = ManagedLinearAlgebraProvider.Instance :> ILinearAlgebraProvider
    let a = rng (m * 31 + n) (m * n)                              // column-major m x n
    // Thin QR: R up to the sign of each row.
    let q1, q2 = Array.copy a, Array.copy a
    let r1, r2 = Array.zeroCreate (n * n), Array.zeroCreate (n * n)
    provider.ThinQRFactor(q1, m, n, r1, Array.zeroCreate n)
    managed.ThinQRFactor(q2, m, n, r2, Array.zeroCreate n)
    let absR (r: float[]) = Array.map abs r
    Assert.True(maxAbsDiff (absR r1) (absR r2) < 1e-10, sprintf "|R| differs by %g" (maxAbsDiff (absR r1) (absR r2)))
    // Full QR: Q is m x m orthogonal.
    let rf = Array.copy a
    let qf = Array.zeroCreate (m * m)
    provider.QRFactor(rf, m, n, qf, Array.zeroCreate (min m n))
    for i in 0 .. m - 1 do
        for j in 0 .. m - 1 do
            let d = Seq.sum (seq { for l in 0 .. m - 1 -> qf.[i * m + l] * qf.[j * m + l] })
            Assert.True(abs (d - (if i = j then 1.0 else 0.0)) < 1e-10, sprintf "full Q^T Q (%d, %d) = %g" i j d)
    // Symmetric eigenvalues (sorted) of A^T A.
    let g = Array.init (n * n) (fun q -> let i, j = q % n, q / n in Seq.sum (seq { for l in 0 .. m - 1 -> a.[i * m + l] * a.[j * m + l] }))
    let eig (p: ILinearAlgebraProvider) =
        let w = Array.zeroCreate<Numerics.Complex> n
        p.EigenDecomp(true, n, Array.copy g, Array.zeroCreate (n * n), w, Array.zeroCreate (n * n))
        w |> Array.map (fun c -> c.Real) |> Array.sort
    Assert.True(maxAbsDiff (eig provider) (eig managed) < 1e-10, "eigenvalues differ")
    // Singular values.
    let sv (p: ILinearAlgebraProvider) =
        let s = Array.zeroCreate (min m n)
        p.SingularValueDecomposition(true, Array.copy a, m, n, s, Array.zeroCreate (m * m), Array.zeroCreate (n * n))
        s
    Assert.True(maxAbsDiff (sv provider) (sv managed) < 1e-10, "singular values differ")
    // Float32 singular values through the same provider.
    let s32 = Array.zeroCreate<float32> (min m n)
    provider.SingularValueDecomposition(false, Array.map float32 a, m, n, s32, Array.zeroCreate (m * m), Array.zeroCreate (n * n))
    Assert.True(maxAbsDiff (Array.map float s32) (sv managed) < 1e-4 * float (max m n), "Float32 singular values")

[<Fact>]
let ``the native decompositions reject short arrays with ArgumentException`` () =
    let provider = Backend.linearAlgebra ()
    if usingMkl () then
        Assert.Throws<ArgumentException>(fun () -> provider.ThinQRFactor(Array.zeroCreate<float> 5, 3, 2, Array.zeroCreate 4, Array.zeroCreate 2)) |> ignore
        Assert.Throws<ArgumentException>(fun () -> provider.ThinQRFactor(Array.zeroCreate<float> 6, 2, 3, Array.zeroCreate 9, Array.zeroCreate 3)) |> ignore
        Assert.Throws<ArgumentException>(fun () -> provider.QRFactor(Array.zeroCreate<float> 6, 3, 2, Array.zeroCreate 8, Array.zeroCreate 2)) |> ignore
        Assert.Throws<ArgumentException>(fun () -> provider.EigenDecomp(true, 3, Array.zeroCreate<float> 9, Array.zeroCreate 9, Array.zeroCreate 2, Array.zeroCreate 9)) |> ignore
        Assert.Throws<ArgumentException>(fun () -> provider.SingularValueDecomposition(true, Array.zeroCreate<float> 6, 3, 2, Array.zeroCreate 2, Array.zeroCreate 8, Array.zeroCreate 4)) |> ignore

let private matT (x: Tensor) = let r = x.Rank in Layout.transpose (Array.init r (fun i -> if i = r - 2 then r - 1 elif i = r - 1 then r - 2 else i)) x
let private mm a b = Products.matmul false false a b

[<Theory>]
[<InlineData(DType.Float64, 1e-11)>]
[<InlineData(DType.Float32, 2e-4)>]
let ``batched Qr, Eigh and Svd on 70 x 40 satisfy their identities`` (dtype: DType, tol: float) =
    let m, n = 70, 40
    let a = tensorAs dtype [| 2; m; n |] (rng 3 (2 * m * n))
    let scale = 1.0 + (values a |> Array.map abs |> Array.max)
    let close what (e: Tensor) (g: Tensor) =
        Assert.Equal<int[]>(e.Shape, g.Shape)
        let d = maxAbsDiff (values e) (values g)
        Assert.True(d <= tol * scale * 10.0, sprintf "%s (%A): max difference %g" what dtype d)
    let eyeB k = Combinators.broadcastTo [| 2; k; k |] (Combinators.constant (Storage.eye k dtype))
    // QR, reduced (tall), full (tall) and wide (the transpose).
    let q, r = Linalg.qr a false
    close "Q R = A" a (mm q r)
    close "Q^T Q = I" (eyeB n) (Products.matmul true false q q)
    Assert.True(values (Linalg.diagPart r) |> Array.forall (fun d -> d >= 0.0), "R's diagonal is non-negative")
    close "R is upper triangular" r (Linalg.bandPart r 0 -1)
    let qf, rf = Linalg.qr a true
    close "full Q R = A" a (mm qf rf)
    close "full Q^T Q = I" (eyeB m) (Products.matmul true false qf qf)
    let at = matT a
    let qw, rw = Linalg.qr at false
    close "wide Q R = A^T" at (mm qw rw)
    // Eigh of A^T A.
    let g = Products.matmul true false a a
    let e, v = Linalg.eigh g
    close "V diag(e) V^T = A^T A" g (Products.matmul false true (Elementwise.mul v (Layout.expandDims -2 e)) v)
    close "V^T V = I" (eyeB n) (Products.matmul true false v v)
    let ev = values e
    for b in 0 .. 1 do
        for i in 1 .. n - 1 do Assert.True(ev.[b * n + i] >= ev.[b * n + i - 1], "eigenvalues ascend")
    // SVD, reduced and full, tall and wide; s^2 are the eigenvalues of A^T A.
    let s, u, vv = Linalg.svd a false true
    close "U diag(s) V^T = A" a (Products.matmul false true (Elementwise.mul u (Layout.expandDims -2 s)) vv)
    close "U^T U = I" (eyeB n) (Products.matmul true false u u)
    let sv = values s
    for b in 0 .. 1 do
        let sq = Array.init n (fun i -> sv.[b * n + n - 1 - i] ** 2.0)
        Assert.True(maxAbsDiff sq ev.[b * n .. b * n + n - 1] <= tol * 100.0 * (1.0 + Array.max sq), "s^2 = eig(A^T A)")
    let _, uf, vf = Linalg.svd a true true
    close "full U^T U = I" (eyeB m) (Products.matmul true false uf uf)
    Assert.Equal<int[]>([| 2; n; n |], vf.Shape)
    let sw, uw, vw = Linalg.svd at false true
    close "wide U diag(s) V^T = A^T" at (Products.matmul false true (Elementwise.mul uw (Layout.expandDims -2 sw)) vw)
