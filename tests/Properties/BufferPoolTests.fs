/// The buffer pool (BufferPool.fs): large results are reused once unreachable, and never while anything can still
/// read them: a tensor, a view sharing its array (reshape), or the bare array. Checked with forced collections (so the
/// leases' finalizers run) and from several threads at once.
module Nabla.Properties.BufferPoolTests

open System
open System.Threading
open System.Threading.Tasks
open Xunit
open Nabla.Core

/// Elements per test tensor: 50,000 Float32 (200 KB), above the pool's 85,000-byte threshold.
let private n = 50_000

let private data (seed: int) = Array.init n (fun i -> float32 (Math.Sin(float (seed * 7919 + i))))

let private tensorOf (a: float32[]) = Combinators.constant (Storage.ofArray [| a.Length |] (Array.copy a))

/// Runs every finalizer that is due, twice (a lease finalized in the first round may make room for others).
let private collect () =
    for _ in 1 .. 2 do
        GC.Collect()
        GC.WaitForPendingFinalizers()

let private hits () = let struct (h, _, _, _, _) = BufferPool.stats () in h
let private returned () = let struct (_, _, r, _, _) = BufferPool.stats () in r

/// exp(tanh x) as the test's reference, element by element in double.
let private expTanh (a: float32[]) = Array.map (fun v -> float32 (Math.Exp(float (MathF.Tanh v)))) a

let private assertSame (what: string) (expected: float32[]) (actual: float32[]) =
    Assert.Equal(expected.Length, actual.Length)
    for i in 0 .. expected.Length - 1 do
        if abs (expected.[i] - actual.[i]) > 1e-5f * (1.0f + abs expected.[i]) then
            Assert.Fail(sprintf "%s: element %d is %g, expected %g (a buffer was reused while still readable)" what i actual.[i] expected.[i])

let private values (t: Tensor) = t.Raw.Data :?> float32[]

[<Fact>]
let ``a dropped large result is reused by the next result of its size`` () =
    if BufferPool.enabled then
        let x = tensorOf (data 1)
        // Results made and dropped: their arrays become unreachable.
        for _ in 1 .. 4 do Elementwise.exp x |> ignore
        collect ()
        let before = hits ()
        let y = Elementwise.exp x
        Assert.True(hits () > before, "no pooled buffer was handed out after a collection")
        assertSame "exp after reuse" (Array.map (fun v -> float32 (Math.Exp(float v))) (data 1)) (values y)

[<Fact>]
let ``a result is never reused while a tensor, a reshaped view or its bare array is held`` () =
    let a = data 2
    let x = tensorOf a
    let held = Elementwise.exp (Elementwise.tanh x)
    let heldCopy = Array.copy (values held)
    let view = Layout.reshape [| 250; 200 |] (Elementwise.tanh x)   // the original result is dropped, the view shares it
    let viewCopy = Array.copy (values view)
    let bare = values (Elementwise.exp x)                           // only the array is kept
    let bareCopy = Array.copy bare
    for _ in 1 .. 20 do
        collect ()
        for _ in 1 .. 5 do
            let r = Elementwise.exp (Elementwise.tanh (tensorOf (data 3)))
            Assert.False(Object.ReferenceEquals(values r, values held), "a held tensor's array was handed out again")
            Assert.False(Object.ReferenceEquals(values r, values view), "a held view's array was handed out again")
            Assert.False(Object.ReferenceEquals(values r, bare), "a held bare array was handed out again")
    assertSame "held tensor" heldCopy (values held)
    assertSame "held view" viewCopy (values view)
    assertSame "held array" bareCopy bare
    assertSame "held tensor against the reference" (expTanh a) (values held)

[<Fact>]
let ``several threads that hold some results and drop others never see a held buffer change`` () =
    let threads = 4
    let rounds = 60
    let failures = Collections.Concurrent.ConcurrentBag<string>()
    let hitsBefore = hits ()
    let work (t: int) =
        let keep = Collections.Generic.List<Tensor * float32[]>()
        for r in 1 .. rounds do
            let a = data (t * 1000 + r)
            let y = Elementwise.exp (Elementwise.tanh (tensorOf a))
            // every third result is kept with its expected values; the others die at once
            if r % 3 = 0 then keep.Add((y, expTanh a))
            if r % 10 = 0 then collect ()
            // check everything kept so far, while the other threads rent and return
            for (k, expected) in keep do
                let v = values k
                for i in 0 .. 997 .. v.Length - 1 do
                    if abs (v.[i] - expected.[i]) > 1e-5f * (1.0f + abs expected.[i]) then
                        failures.Add(sprintf "thread %d round %d: element %d is %g, expected %g" t r i v.[i] expected.[i])
        for (k, expected) in keep do
            let v = values k
            for i in 0 .. v.Length - 1 do
                if abs (v.[i] - expected.[i]) > 1e-5f * (1.0f + abs expected.[i]) then
                    failures.Add(sprintf "thread %d at the end: element %d is %g, expected %g" t i v.[i] expected.[i])
    Parallel.For(0, threads, ParallelOptions(MaxDegreeOfParallelism = threads), (fun t -> work t)) |> ignore
    Assert.True(failures.IsEmpty, String.Join("\n", Seq.truncate 10 failures))
    if BufferPool.enabled then Assert.True(hits () > hitsBefore, "the threads' dropped results were never reused")

[<Fact>]
let ``a buffer given back by its owner is pooled once, not again by its lease`` () =
    if BufferPool.enabled then
        let a = BufferPool.rent<float> 20_000
        let before = returned ()
        BufferPool.giveBack a
        Assert.Equal(before + 1L, returned ())
        // the lease was dropped with the giving back: a collection does not return the array a second time
        collect ()
        let first = BufferPool.rent<float> 20_000
        let second = BufferPool.rent<float> 20_000
        Assert.False(Object.ReferenceEquals(first, second), "one array was handed out twice")

[<Fact>]
let ``rentZeroed clears a reused buffer and small sizes bypass the pool`` () =
    let dirty = BufferPool.rent<float> 20_000
    Array.Fill(dirty, 3.0)
    BufferPool.giveBack dirty
    let z = BufferPool.rentZeroed<float> 20_000
    Assert.True(Array.forall (fun v -> v = 0.0) z, "a zeroed rent holds old values")
    let small = BufferPool.rentZeroed<float> 100
    Assert.True(Array.forall (fun v -> v = 0.0) small)
    // Storage.full over a pooled size fills every element
    let f = Storage.full DType.Float64 [| 20_000 |] 2.5
    Assert.True(Array.forall (fun v -> v = 2.5) (f.Data :?> float[]))
