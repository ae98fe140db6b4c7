/// The performance kernels checked by value on data long enough to take their SIMD and multi-threaded paths
/// (the property generators use small tensors): relu and its fused adjoint, and matrix products split over the
/// kernel threads.
module Nabla.Properties.KernelTests

open System
open Xunit
open Nabla.Core
open MathNet.Numerics.Providers.LinearAlgebra
open Nabla.Properties.TestData

let private assertClose (what: string) (tol: float) (expected: float[]) (actual: float[]) =
    Assert.True(expected.Length = actual.Length, sprintf "%s: expected %d values, got %d" what expected.Length actual.Length)
    Array.iteri2 (fun i (e: float) (a: float) ->
        let ok = (Double.IsNaN e && Double.IsNaN a) || abs (a - e) <= tol * (1.0 + abs e)
        Assert.True(ok, sprintf "%s: at %d expected %.17g, got %.17g" what i e a)) expected actual

/// Negative, zero, positive and NaN values, in a pattern that puts each in and out of the SIMD blocks.
let private reluData (n: int) =
    Array.init n (fun i ->
        match i % 7 with
        | 0 -> 0.0
        | 1 -> -0.0
        | 2 when i % 3 = 0 -> nan
        | k -> float (k - 3) * 0.75 + float i * 1e-3)

[<Theory>]
[<InlineData(0)>]
[<InlineData(1)>]
[<InlineData(7)>]
[<InlineData(8)>]
[<InlineData(9)>]
[<InlineData(1003)>]
[<InlineData(70001)>]
let ``Relu and its fused adjoint (one pass, no mask) match x > 0 ? . : 0, NaN for NaN, at every length, f32 and f64`` (n: int) =
    for dtype in [ DType.Float64; DType.Float32 ] do
        let xs = reluData n
        let ws = Array.init n (fun i -> 1.0 + float (i % 5))
        let x = tensorAs dtype [| n |] xs
        let w = tensorAs dtype [| n |] ws
        let expectedRelu = xs |> Array.map (fun v -> if v > 0.0 then float (if dtype = DType.Float32 then float (float32 v) else v) elif Double.IsNaN v then nan else 0.0)
        let tol = if dtype = DType.Float32 then 1e-6 else 0.0
        assertClose (sprintf "relu %A n=%d" dtype n) tol expectedRelu (values (Elementwise.relu x))
        let f (x: Tensor) = Reductions.sum null false (Elementwise.mul (Elementwise.relu x) w)
        let expectedGrad = Array.map2 (fun v wv -> if v > 0.0 then wv elif Double.IsNaN v then nan else 0.0) xs ws
        assertClose (sprintf "reverse gradient %A n=%d" dtype n) tol expectedGrad (values (Derivatives.grad f x))
        // forward mode with tangent w: relu'(x) w
        let fw (x: Tensor) = Elementwise.relu x
        assertClose (sprintf "forward tangent %A n=%d" dtype n) tol expectedGrad (values (snd (Derivatives.jvp fw x w)))
        // second order through the fused adjoint: d2/dx2 sum(relu(x)^2) v = 2 (x > 0) v
        let sq (x: Tensor) = Reductions.sum null false (Elementwise.square (Elementwise.relu x))
        let expectedHvp = Array.map2 (fun v wv -> if v > 0.0 then 2.0 * wv elif Double.IsNaN v then nan else 0.0) xs ws
        assertClose (sprintf "hvp %A n=%d" dtype n) tol expectedHvp (values (Derivatives.hvp sq x w))

[<Fact>]
let ``ReluGrad rejects a gradient whose shape differs from x's, naming both shapes`` () =
    let x = tensor [| 2; 3 |] (Array.zeroCreate 6)
    let g = tensor [| 3; 2 |] (Array.zeroCreate 6)
    let e = Assert.Throws<ArgumentException>(fun () -> Elementwise.reluGrad x.Raw g |> ignore)
    Assert.Contains("ReluGrad", e.Message)
    Assert.Contains("[2, 3]", e.Message)
    Assert.Contains("[3, 2]", e.Message)

[<Theory>]
// Row-major C (m x n) is the column-major n x m product the library computes, split along its longer extent.
[<InlineData(150, 120, 130)>] // split along m (column blocks of the column-major product)
[<InlineData(70, 110, 300)>]  // split along n (row blocks of the column-major product)
[<InlineData(211, 97, 131)>]  // odd extents: a short last block
let ``MatMul split over 2 kernel threads equals the reference for every transpose pair, f32 and f64`` (m: int, k: int, n: int) =
    let before = Backend.getThreads ()
    try
        Backend.setThreads 2
        let rng = Random(m * 7 + k * 3 + n)
        let data len = Array.init len (fun _ -> rng.NextDouble() - 0.5)
        for transA in [ false; true ] do
            for transB in [ false; true ] do
                let sa = if transA then [| k; m |] else [| m; k |]
                let sb = if transB then [| n; k |] else [| k; n |]
                let a, b = data (m * k), data (k * n)
                let _, expected = Reference.matmul transA transB (sa, a) (sb, b)
                for dtype, tol in [ DType.Float64, 1e-12; DType.Float32, 1e-4 ] do
                    let round (v: float[]) = if dtype = DType.Float32 then Array.map (fun x -> float (float32 x)) v else v
                    let _, expected = if dtype = DType.Float32 then Reference.matmul transA transB (sa, round a) (sb, round b) else ([||], expected)
                    let c = Products.matmul transA transB (tensorAs dtype sa a) (tensorAs dtype sb b)
                    Assert.Equal<int[]>([| m; n |], c.Shape)
                    assertClose (sprintf "%A transA=%b transB=%b m=%d k=%d n=%d" dtype transA transB m k n) tol expected (values c)
    finally Backend.setThreads before

/// A pinned array (the GC never moves it) whose first element is not at a 32-byte aligned address.
let private misalignedPinnedArray<'T> (len: int) : 'T[] =
    // pinned allocations of one size may keep to a few residues mod 32: pinned spacers of varying size (kept alive
    // until the end) move the next one along
    let spacers = Collections.Generic.List<byte[]>()
    let rec attempt tries =
        spacers.Add(GC.AllocateArray<byte>(8 * (tries % 37) + 1, pinned = true))
        let a = GC.AllocateArray<'T>(len, pinned = true)
        if Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(a, 0) % 32n <> 0n then GC.KeepAlive spacers; a
        elif tries >= 2000 then failwithf "no misaligned pinned array of %d elements in 2000 tries" len
        else attempt (tries + 1)
    attempt 1

[<Theory>]
[<InlineData(1)>]
[<InlineData(2)>]
// Under MKL a product of at least 2^21 multiply-adds with k >= 64 writes a C that is not 32-byte aligned through an
// aligned scratch buffer (copied in first when beta is not 0), block by block when split over threads; an aligned C
// (and a C under another library) is written in place.
let ``Products into a misaligned C or any other C equal MathNet's managed provider, with beta 0 and not, split or not`` (threads: int) =
    let before = Backend.getThreads ()
    try
        Backend.setThreads threads
        let provider = Backend.linearAlgebra ()
        let managed = MathNet.Numerics.Providers.LinearAlgebra.ManagedLinearAlgebraProvider.Instance
                      :> MathNet.Numerics.Providers.LinearAlgebra.ILinearAlgebraProvider
        let rng = Random(threads)
        let data len = Array.init len (fun _ -> rng.NextDouble() - 0.5)
        // column-major C is m x n: on 2 threads, m > n splits it into row blocks (strided copies), n >= m into column blocks
        for m, n, k in [ (211, 97, 131); (97, 211, 131); (128, 256, 96) ] do
            for tA in [ Transpose.DontTranspose; Transpose.Transpose ] do
                for tB in [ Transpose.DontTranspose; Transpose.Transpose ] do
                    let ra, ca = if tA = Transpose.DontTranspose then m, k else k, m
                    let rb, cb = if tB = Transpose.DontTranspose then k, n else n, k
                    let a, b = data (m * k), data (k * n)
                    // a pinned misaligned C (the scratch path under MKL), and a plain one of whatever alignment it gets
                    for misaligned in [ true; false ] do
                        for beta in [ 0.0; -1.3 ] do
                            let c0 = data (m * n)
                            let c = if misaligned then misalignedPinnedArray<float> (m * n) else Array.zeroCreate (m * n)
                            let what = sprintf "m=%d n=%d k=%d %A %A misaligned=%b beta=%g threads=%d" m n k tA tB misaligned beta threads
                            Array.blit c0 0 c 0 c0.Length
                            let expected = Array.copy c0
                            provider.MatrixMultiplyWithUpdate(tA, tB, 0.7, a, ra, ca, b, rb, cb, beta, c)
                            managed.MatrixMultiplyWithUpdate(tA, tB, 0.7, a, ra, ca, b, rb, cb, beta, expected)
                            assertClose ("f64 " + what) 1e-12 expected c
                            let c32 = if misaligned then misalignedPinnedArray<float32> (m * n) else Array.zeroCreate (m * n)
                            Array.blit (Array.map float32 c0) 0 c32 0 c0.Length
                            let expected32 = Array.map float32 c0
                            let a32, b32 = Array.map float32 a, Array.map float32 b
                            provider.MatrixMultiplyWithUpdate(tA, tB, 0.7f, a32, ra, ca, b32, rb, cb, float32 beta, c32)
                            managed.MatrixMultiplyWithUpdate(tA, tB, 0.7f, a32, ra, ca, b32, rb, cb, float32 beta, expected32)
                            assertClose ("f32 " + what) 1e-4 (Array.map float expected32) (Array.map float c32)
                            match provider with
                            | :? NativeLinearAlgebraProvider as p when misaligned ->
                                let address = Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(c, 0)
                                Assert.True((p.Library.Kind = Native.Mkl) = Gemm.usesAlignedC p.Library address 8 m n k,
                                            "the scratch path is taken for MKL (only) and a misaligned C: " + what)
                                let aligned = address - address % 32n
                                Assert.False(Gemm.usesAlignedC p.Library aligned 8 m n k, "an aligned C is written in place: " + what)
                            | _ -> ()
    finally Backend.setThreads before

/// A wide sweep of arguments plus the edges: overflow, the subnormal range, underflow to 0, signed zeros, infinities, NaN.
let private sweep (lo: float) (hi: float) (edges: float list) =
    Array.append (Array.init 20011 (fun i -> lo + (hi - lo) * float i / 20010.0)) (Array.ofList (edges @ [ 0.0; -0.0; nan; infinity; -infinity ]))

/// |actual - expected| within `ulps` units in the last place of the expected value (of the dtype), NaN for NaN, and
/// infinities and zeros exactly.
let private assertUlps (what: string) (dtype: DType) (ulps: float) (xs: float[]) (expected: float[]) (actual: float[]) =
    Array.iteri2 (fun i (e: float) (a: float) ->
        let ulp = if dtype = DType.Float32 then float (MathF.BitIncrement(abs (float32 e)) - abs (float32 e)) else Math.BitIncrement(abs e) - abs e
        let ok =
            if Double.IsNaN e then Double.IsNaN a
            elif Double.IsInfinity e || e = 0.0 then a = e || abs (a - e) <= ulps * ulp
            else abs (a - e) <= ulps * ulp
        Assert.True(ok, sprintf "%s %A at x = %.9g: expected %.17g, got %.17g" what dtype xs.[i] e a)) expected actual

[<Fact>]
let ``Exp is within 1 ulp of the correctly rounded value in f32 (SIMD kernel) and 2 ulps in f64, edges included`` () =
    let xs32 = sweep -110.0 95.0 [ 88.72; 88.73; -87.3; -87.4; -103.2; -103.98; -104.5; 1e-8; -1e-8 ]
    let e32 = xs32 |> Array.map (fun x -> float (float32 (Math.Exp(float (float32 x)))))
    let r32 = values (Elementwise.exp (tensorAs DType.Float32 [| xs32.Length |] xs32))
    assertUlps "Exp" DType.Float32 1.0 xs32 e32 r32
    // dense over the f32 fast path (all lanes |x| <= 87): every reduced argument and every exponent it adds
    let dense32 = Array.init 200_003 (fun i -> float (float32 (-87.0 + 174.0 * float i / 200_002.0)))
    let e32Dense = dense32 |> Array.map (fun x -> float (float32 (Math.Exp x)))
    assertUlps "Exp (dense)" DType.Float32 1.0 dense32 e32Dense (values (Elementwise.exp (tensorAs DType.Float32 [| dense32.Length |] dense32)))
    let xs64 = sweep -750.0 715.0 [ 709.78; 709.79; -708.4; -708.5; -744.4; -745.2; -746.0; 1e-17; -1e-17 ]
    let e64 = xs64 |> Array.map Math.Exp
    assertUlps "Exp" DType.Float64 2.0 xs64 e64 (values (Elementwise.exp (tensor [| xs64.Length |] xs64)))
    // dense where the SIMD f64 kernel's fast path (all lanes |x| <= 708) does the work: every reduced argument r
    let dense = Array.init 200_003 (fun i -> -6.0 + 12.0 * float i / 200_002.0)
    assertUlps "Exp (dense)" DType.Float64 2.0 dense (dense |> Array.map Math.Exp) (values (Elementwise.exp (tensor [| dense.Length |] dense)))

[<Fact>]
let ``Tanh (SIMD kernel, f32) is within 2 ulps, odd, and saturates to +-1`` () =
    let xs = sweep -12.0 12.0 [ 0.624; 0.625; 0.626; -0.625; 1e-30; -1e-30; 9.0; 20.0; -20.0; 1e30 ]
    let e = xs |> Array.map (fun x -> float (float32 (Math.Tanh(float (float32 x)))))
    let r = values (Elementwise.tanh (tensorAs DType.Float32 [| xs.Length |] xs))
    assertUlps "Tanh" DType.Float32 2.0 xs e r

// ---------------------------------------------------------------- the kernel threads

[<Fact>]
let ``KernelThreads runs every part exactly once, from concurrent callers too`` () =
    let callers = 4
    let rounds = 300
    let failures = Collections.Concurrent.ConcurrentQueue<string>()
    let caller (c: int) =
        for r in 1 .. rounds do
            let parts = 1 + (r + c) % 7
            let counts = Array.zeroCreate<int> parts
            // each part takes a little while, so that workers take parts too and finish them after the caller's
            KernelThreads.run 2 parts (fun p ->
                Threading.Thread.SpinWait(200 * (1 + p % 3))
                Threading.Interlocked.Increment(&counts.[p]) |> ignore)
            if counts |> Array.exists (fun n -> n <> 1) then failures.Enqueue(sprintf "caller %d round %d: %A" c r counts)
    Threading.Tasks.Parallel.For(0, callers, (fun c -> caller c)) |> ignore
    Assert.True(failures.IsEmpty, String.Join("; ", failures |> Seq.truncate 5))

[<Fact>]
let ``KernelThreads rethrows a part's exception on the caller and keeps working`` () =
    for _ in 1 .. 50 do
        let e = Assert.Throws<InvalidOperationException>(fun () ->
                    KernelThreads.run 2 4 (fun p -> if p = 3 then invalidOp "part 3 failed"))
        Assert.Equal("part 3 failed", e.Message)
    let sum = ref 0
    KernelThreads.run 2 8 (fun p -> Threading.Interlocked.Add(&sum.contents, p) |> ignore)
    Assert.Equal(28, sum.Value)

[<Fact>]
let ``KernelThreads runs nested splits and a single thread inline`` () =
    let total = ref 0
    KernelThreads.run 2 3 (fun _ -> KernelThreads.run 2 3 (fun q -> Threading.Interlocked.Add(&total.contents, q + 1) |> ignore))
    Assert.Equal(3 * 6, total.Value)
    let caller = Threading.Thread.CurrentThread.ManagedThreadId
    let ran = Collections.Generic.List<int>()
    KernelThreads.run 1 5 (fun p -> ran.Add p; Assert.Equal(caller, Threading.Thread.CurrentThread.ManagedThreadId))
    Assert.Equal<int list>([ 0; 1; 2; 3; 4 ], List.ofSeq ran)
