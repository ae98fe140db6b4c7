/// The managed AVX-512 GEMM kernel (GemmKernel) against a naive reference: every transpose combination, extents
/// around the micro-tile (8 rows x 16 or 32 columns) and block sizes (kc = 256, mc = 192 or 384, nc = 2048), thin
/// products, k = 0, leading dimensions larger than the rows, offsets, accumulation, 1 and 2 threads, both dtypes;
/// and the Backend route (NABLA_GEMM / Backend.Gemm) through Products' matmul.
module Nabla.Properties.GemmKernelTests

open System
open Xunit
open Nabla.Core

/// op(A)[i, p] and op(B)[p, j] of row-major storage with offsets and leading dimensions.
let private opA (a: float[]) aOff lda transA i p = if transA then a.[aOff + p * lda + i] else a.[aOff + i * lda + p]
let private opB (b: float[]) bOff ldb transB p j = if transB then b.[bOff + j * ldb + p] else b.[bOff + p * ldb + j]

/// Runs one product on the kernel in Float64 and Float32 and compares each with the naive sum in Float64: the error
/// bound is (k + 2) eps sum_p |a_ip b_pj| (plus |c| when accumulating); elements of C outside the m x n window
/// must keep their sentinel.
let private check (transA: bool) (transB: bool) m n k (threads: int) (accumulate: bool) (seed: int) =
    let rng = Random(seed)
    let aRows, aCols = (if transA then k, m else m, k)
    let bRows, bCols = (if transB then n, k else k, n)
    let pad = rng.Next(0, 5)
    let lda, ldb, ldc = aCols + pad, bCols + (pad + 1) % 3, n + pad % 2 * 3
    let aOff, bOff, cOff = rng.Next(0, 9), rng.Next(0, 9), rng.Next(0, 9)
    let len rows ld cols off = off + (if rows = 0 then 0 else (rows - 1) * ld + cols) + rng.Next(0, 4)
    let a = Array.init (len aRows lda aCols aOff) (fun _ -> rng.NextDouble() * 2.0 - 1.0)
    let b = Array.init (len bRows ldb bCols bOff) (fun _ -> rng.NextDouble() * 2.0 - 1.0)
    let cLen = len m ldc n cOff
    let sentinel = 12345.0
    let c0 = Array.init cLen (fun _ -> rng.NextDouble() - 0.5)
    let inWindow idx = idx >= cOff && (idx - cOff) / ldc < m && (idx - cOff) % ldc < n
    let c0 = Array.mapi (fun idx v -> if inWindow idx then v else sentinel) c0
    let what = sprintf "m=%d n=%d k=%d transA=%b transB=%b threads=%d accumulate=%b lda=%d ldb=%d ldc=%d offsets=%d,%d,%d"
                       m n k transA transB threads accumulate lda ldb ldc aOff bOff cOff
    let verify (dtype: string) (eps: float) (a: float[]) (b: float[]) (c: float[]) =
        for idx in 0 .. cLen - 1 do
            if not (inWindow idx) then
                Assert.True(c.[idx] = sentinel, sprintf "%s %s: element %d outside C was written (%g)" dtype what idx c.[idx])
        for i in 0 .. m - 1 do
            for j in 0 .. n - 1 do
                let mutable s = 0.0
                let mutable mag = 0.0
                for p in 0 .. k - 1 do
                    let t = opA a aOff lda transA i p * opB b bOff ldb transB p j
                    s <- s + t
                    mag <- mag + abs t
                let c0ij = c0.[cOff + i * ldc + j]
                let expected = if accumulate then c0ij + s else s
                let bound = float (k + 2) * eps * (mag + (if accumulate then abs c0ij else 0.0)) + 1e-300
                let got = c.[cOff + i * ldc + j]
                Assert.True(abs (got - expected) <= bound,
                            sprintf "%s %s: C[%d, %d] = %.17g, expected %.17g (bound %g)" dtype what i j got expected bound)
    let c = Array.copy c0
    GemmKernel.gemmD transA transB m n k a aOff lda b bOff ldb c cOff ldc accumulate threads
    verify "Float64" 1.12e-16 a b c
    // Float32: the reference sums the Float32-rounded inputs in Float64
    let a32, b32, c32 = Array.map float32 a, Array.map float32 b, Array.map float32 c0
    GemmKernel.gemmS transA transB m n k a32 aOff lda b32 bOff ldb c32 cOff ldc accumulate threads
    verify "Float32" 6.0e-8 (Array.map float a32) (Array.map float b32) (Array.map float c32)

let private transposes = [ false, false; true, false; false, true; true, true ]

[<Fact>]
let ``GEMM kernel: every transpose pair over edge extents of m, n and k equals the naive product`` () =
    if GemmKernel.isSupported then
        let extents = [ 1; 7; 8; 15; 17; 31; 33; 63; 65 ]
        let mutable seed = 0
        for transA, transB in transposes do
            for m in extents do
                for n in extents do
                    for k in [ 0; 1; 7; 33 ] do
                        seed <- seed + 1
                        check transA transB m n k 1 (seed % 3 = 0) seed

[<Fact>]
let ``GEMM kernel: products past the block sizes (kc, mc, nc) and thin products, 1 and 2 threads`` () =
    if GemmKernel.isSupported then
        let shapes = [ (200, 40, 300); (390, 33, 257); (5, 2100, 3); (1, 300, 513); (300, 1, 70); (70, 130, 1)
                       (129, 257, 40); (257, 129, 40); (64, 64, 0) ]
        let mutable seed = 1000
        for threads in [ 1; 2 ] do
            for transA, transB in transposes do
                for m, n, k in shapes do
                    for accumulate in [ false; true ] do
                        seed <- seed + 1
                        check transA transB m n k threads accumulate seed

[<Fact>]
let ``GEMM kernel: arguments that would read or write outside the arrays are rejected before anything is computed`` () =
    if GemmKernel.isSupported then
        let a, b, c = Array.zeroCreate<float> 12, Array.zeroCreate<float> 12, Array.create<float> 9 7.0
        let ex = Assert.Throws<ArgumentException>(fun () -> GemmKernel.gemmD false false 3 3 4 a 0 4 b 1 3 c 0 3 false 1)
        Assert.Contains("GEMM (float)", ex.Message)
        Assert.Contains("the array has 12", ex.Message)
        Assert.Throws<ArgumentException>(fun () -> GemmKernel.gemmD false false 3 3 4 a 0 3 b 0 3 c 0 3 false 1) |> ignore
        Assert.Throws<ArgumentException>(fun () -> GemmKernel.gemmD false false 3 4 4 a 0 4 b 0 4 c 0 4 false 1) |> ignore
        Assert.True(Array.forall ((=) 7.0) c, "C untouched after rejected calls")

/// Products' matmul under each GEMM route gives the same values (within rounding), both dtypes, every transpose pair.
[<Fact>]
let ``MatMul through Backend's GEMM routes (managed-avx512, provider, auto) agrees, and Describe names the route`` () =
    let before = Backend.gemm ()
    try
        let rng = Random(7)
        let raw (shape: int[]) = RawTensor(DType.Float64, shape, Array.init (shape.[0] * shape.[1]) (fun _ -> rng.NextDouble() - 0.5) :> Array)
        let to32 (t: RawTensor) = RawTensor(DType.Float32, t.Shape, Array.map float32 (t.Data :?> float[]) :> Array)
        for m, n, k in [ (70, 90, 50); (3, 200, 64); (64, 64, 64) ] do
            for transA, transB in transposes do
                let a = raw (if transA then [| k; m |] else [| m; k |])
                let b = raw (if transB then [| n; k |] else [| k; n |])
                let run mode =
                    Backend.setGemm mode
                    Products.Kernels.matmul2 transA transB a b, Products.Kernels.matmul2 transA transB (to32 a) (to32 b)
                let p64, p32 = run "provider"
                let routes = if GemmKernel.isSupported then [ "auto"; "managed-avx512" ] else [ "auto" ]
                for mode in routes do
                    let r64, r32 = run mode
                    Assert.Equal<int[]>(p64.Shape, r64.Shape)
                    Array.iter2 (fun (e: float) (g: float) -> Assert.True(abs (e - g) <= 1e-13 * float k, sprintf "%s f64 %d %d %d: %g vs %g" mode m n k e g))
                                (p64.Data :?> float[]) (r64.Data :?> float[])
                    Array.iter2 (fun (e: float32) (g: float32) -> Assert.True(abs (e - g) <= 1e-6f * float32 k, sprintf "%s f32 %d %d %d: %g vs %g" mode m n k e g))
                                (p32.Data :?> float32[]) (r32.Data :?> float32[])
        if GemmKernel.isSupported then
            Backend.setGemm "managed-avx512"
            Assert.Contains("GEMM: every Float32/Float64 product on the managed AVX-512 kernel", Backend.describe ())
            Assert.True(Backend.gemmKernelFor (Backend.linearAlgebra ()) 2 2 2)
            Backend.setGemm "provider"
            Assert.False(Backend.gemmKernelFor (Backend.linearAlgebra ()) 512 512 512)
            Assert.Contains("GEMM: the provider's", Backend.describe ())
        let ex = Assert.Throws<ArgumentException>(fun () -> Backend.setGemm "fastest")
        Assert.Contains("not one of auto, managed-avx512, provider", ex.Message)
    finally Backend.setGemm before
