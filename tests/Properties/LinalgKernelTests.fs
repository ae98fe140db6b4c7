/// The linear-algebra kernels on matrices large enough for the native paths to matter (the property generators use
/// n <= 3): the provider's factorisations (MKL's LAPACKE when NABLA_PROVIDER=mkl, else MathNet's managed code) against
/// MathNet's managed provider, the batched ops against their reconstruction identities, and the native argument checks.
module Nabla.Properties.LinalgKernelTests

open System
open Xunit
open Nabla.Core
open MathNet.Numerics.Providers.LinearAlgebra
open Nabla.Properties.TestData

let private rng (seed: int) (n: int) = let r = Random(seed) in Array.init n (fun _ -> r.NextDouble() * 2.0 - 1.0)

let private maxAbsDiff (a: float[]) (b: float[]) = Array.fold2 (fun m x y -> max m (abs (x - y))) 0.0 a b

/// Column-major X X^T + n I.
let private spdColumnMajor (n: int) (seed: int) =
    let x = rng seed (n * n)
    Array.init (n * n) (fun q ->
        let i, j = q % n, q / n
        let mutable s = if i = j then float n else 0.0
        for l in 0 .. n - 1 do s <- s + x.[l * n + i] * x.[l * n + j]
        s)

let private usingMkl () = Environment.GetEnvironmentVariable "NABLA_PROVIDER" = "mkl"

[<Fact>]
let ``MKL's LAPACKE is bound exactly when the provider is MKL`` () =
    match Backend.linearAlgebra () with
    | :? NativeLinearAlgebraProvider as p ->
        Assert.Equal(p.Library.Kind = Native.Mkl, (Native.lapackOf p.Library).IsSome)
        if usingMkl () then Assert.True((Native.lapackOf p.Library).IsSome, "NABLA_PROVIDER=mkl but LAPACKE did not bind")
    | _ -> Assert.False(usingMkl (), "NABLA_PROVIDER=mkl but the provider is not the native one")

[<Theory>]
[<InlineData(1)>]
[<InlineData(5)>]
[<InlineData(97)>]
let ``the provider's Cholesky and LU solve agree with MathNet's managed provider`` (n: int) =
    let provider = Backend.linearAlgebra ()
    let managed = ManagedLinearAlgebraProvider.Instance :> ILinearAlgebraProvider
    let a = spdColumnMajor n (n + 11)
    let l1, l2 = Array.copy a, Array.copy a
    provider.CholeskyFactor(l1, n)
    managed.CholeskyFactor(l2, n)
    Assert.True(maxAbsDiff l1 l2 < 1e-10, sprintf "Cholesky n=%d differs by %g" n (maxAbsDiff l1 l2))
    let b = rng (n + 12) (n * 3)
    let lu1, lu2 = Array.copy a, Array.copy a
    let p1, p2 = Array.zeroCreate n, Array.zeroCreate n
    provider.LUFactor(lu1, n, p1)
    managed.LUFactor(lu2, n, p2)
    Assert.Equal<int[]>(p2, p1)
    let x1, x2 = Array.copy b, Array.copy b
    provider.LUSolveFactored(3, lu1, n, p1, x1)
    managed.LUSolveFactored(3, lu2, n, p2, x2)
    Assert.True(maxAbsDiff x1 x2 < 1e-10, sprintf "LU solve n=%d differs by %g" n (maxAbsDiff x1 x2))
    // Float32 through the same provider.
    let a32 = Array.map float32 a
    let l32 = Array.copy a32
    provider.CholeskyFactor(l32, n)
    Assert.True(maxAbsDiff (Array.map float l32) l2 < 1e-4 * float n, "Float32 Cholesky")

[<Fact>]
let ``the provider rejects short arrays and non-positive-definite matrices with ArgumentException`` () =
    let provider = Backend.linearAlgebra ()
    Assert.Throws<ArgumentException>(fun () -> provider.CholeskyFactor(Array.zeroCreate<float> 3, 2)) |> ignore
    Assert.Throws<ArgumentException>(fun () -> provider.CholeskyFactor([| 1.0; 2.0; 2.0; 1.0 |], 2)) |> ignore
    if usingMkl () then
        Assert.Throws<ArgumentException>(fun () -> provider.LUFactor(Array.zeroCreate<float> 4, 2, Array.zeroCreate 1)) |> ignore
        Assert.Throws<ArgumentException>(fun () -> provider.LUSolveFactored(2, Array.zeroCreate<float> 4, 2, Array.zeroCreate 2, Array.zeroCreate 3)) |> ignore

let private matT (x: Tensor) = let r = x.Rank in Layout.transpose (Array.init r (fun i -> if i = r - 2 then r - 1 elif i = r - 1 then r - 2 else i)) x

[<Theory>]
[<InlineData(DType.Float64, 1e-11)>]
[<InlineData(DType.Float32, 2e-4)>]
let ``batched ops on n = 120 satisfy their reconstruction identities`` (dtype: DType, tol: float) =
    let n = 120
    let x = tensorAs dtype [| 2; n; n |] (rng 1 (2 * n * n))
    let eye = Combinators.constant (Storage.eye n dtype)
    let a = Combinators.add (Products.matmul false true x x) (Elementwise.mul eye (Combinators.scalarLike x (float n)))
    let b = tensorAs dtype [| 2; n; 4 |] (rng 2 (2 * n * 4))
    let scale = 1.0 + (values a |> Array.map abs |> Array.max)
    let close what (e: Tensor) (g: Tensor) =
        let d = maxAbsDiff (values e) (values g)
        Assert.True(d <= tol * scale, sprintf "%s (%A): max difference %g" what dtype d)
    let l = Linalg.cholesky a
    close "L L^T = A" a (Products.matmul false true l l)
    close "A solve(A, b) = b" b (Products.matmul false false a (Linalg.solve a b false))
    close "A^T solve(A, b, adjoint) = b" b (Products.matmul true false a (Linalg.solve a b true))
    close "L trisolve(L, b) = b" b (Products.matmul false false l (Linalg.triangularSolve l b true false))
    close "L^T trisolve(L, b, adjoint) = b" b (Products.matmul true false l (Linalg.triangularSolve l b true true))
    let u = matT l
    close "U trisolve(U, b, upper) = b" b (Products.matmul false false u (Linalg.triangularSolve u b false false))
    close "A choleskySolve(L, b) = b" b (Products.matmul false false a (Linalg.choleskySolve l b))
    let logdet = values (Linalg.logdet a)
    let _, lad = Linalg.slogdet a
    Assert.True(maxAbsDiff logdet (values lad) <= 1e-3 * (1.0 + abs logdet.[0]), "logdet = slogdet")
