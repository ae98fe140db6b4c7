/// The scalar fast path (plain rank-0 floats take the primitives' scalar rules, forward and in the reverse sweep)
/// must give what the tensor kernels give: the same programs on rank-0 values and on shape-[1] values agree. Also the
/// sweep's bookkeeping: sums at a node, node ids across threads.
module Nabla.Properties.ScalarPathProperties

open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core
open Nabla.Properties.TestData

/// A program that uses every primitive with scalar rules, reuses x and an intermediate (adjoints accumulate on a
/// leaf and on an interior node) and has a constant operand.
let private program (c: Tensor) (x: Tensor) =
    let h = Elementwise.mul x x                                  // fan-out: h is used three times
    let u = Elementwise.sub (Combinators.add h c) (Elementwise.div h (Combinators.add (Elementwise.square x) c))
    let v = Elementwise.neg (Elementwise.mul u h)
    Combinators.add (Elementwise.div v (Combinators.add h c)) (Elementwise.mul x c)

let private at (dtype: DType) (shape: int[]) (v: float) = tensorAs dtype shape (Array.create (Shape.size shape) v)

let private check (dtype: DType) (x0: float) (c0: float) (what: string) (f: Tensor -> Tensor) =
    let onScalar = values (f (at dtype [||] x0))
    let onVector = values (f (at dtype [| 1 |] x0))
    // Float64: the same operations, summed at a node in another order (the sweep sums tensor adjoints as they arrive
    // and scalar ones when the node is reached), so equal to a few ulps. Float32: the scalar rules round once per
    // rule, the kernels once per operation.
    let tol = if dtype = DType.Float64 then 1e-14 else 1e-5
    let ok = Array.forall2 (fun (a: float) b -> abs (a - b) <= tol * (1.0 + abs b)) onScalar onVector
    Prop.label (sprintf "%s %A at x=%g c=%g: rank 0 gives %A, shape [1] gives %A" what dtype x0 c0 onScalar onVector) ok

[<Property(MaxTest = 100)>]
let ``scalar rules agree with the tensor kernels: value, gradient, second derivative, in both dtypes`` () =
    Prop.forAll (Arb.fromGen (Gen.zip anywhere positive)) (fun (x0, c0) ->
        [ DType.Float64; DType.Float32 ]
        |> List.map (fun dt ->
            let c (shape: int[]) = at dt shape c0
            let f (x: Tensor) = program (c x.Shape) x
            check dt x0 c0 "value" f
            .&. check dt x0 c0 "gradient" (Derivatives.grad f)
            .&. check dt x0 c0 "reverse-over-reverse" (Derivatives.grad (Derivatives.grad f))
            .&. check dt x0 c0 "forward-over-reverse" (Derivatives.diff (Derivatives.grad f)))
        |> List.reduce (.&.))

[<Property(MaxTest = 50)>]
let ``vjp's pullback on a scalar program returns the analytic gradient and serves several seeds`` () =
    Prop.forAll (Arb.fromGen (Gen.zip anywhere nonZero)) (fun (x0, s) ->
        // f(x) = x^3 / (1 + x^2): f' = (3x^2 + x^4) / (1 + x^2)^2
        let f (x: Tensor) = Elementwise.div (Elementwise.mul (Elementwise.square x) x) (Combinators.add (Elementwise.square x) (at DType.Float64 [||] 1.0))
        let _, pullback = Derivatives.vjp f (scalar x0)
        let d = (3.0 * x0 * x0 + x0 ** 4.0) / (1.0 + x0 * x0) ** 2.0
        let g1 = (values (pullback (scalar 1.0))).[0]
        let gs = (values (pullback (scalar s))).[0]
        Prop.label (sprintf "seed 1: %g vs %g" g1 d) (abs (g1 - d) <= 1e-12 * (1.0 + abs d))
        .&. Prop.label (sprintf "seed %g: %g vs %g" s gs (s * d)) (abs (gs - s * d) <= 1e-12 * (1.0 + abs (s * d))))

/// Adjoints that meet at one node are summed in the sweep, the third and later in place into a buffer the sweep
/// owns; the contributions themselves (often one shared tensor, as Add passes its adjoint to both operands) must
/// stay intact.
[<Property(MaxTest = 50)>]
let ``adjoints summed at a leaf and at an interior node with many uses match the analytic gradient`` () =
    Prop.forAll (Arb.fromGen (Gen.choose (1, 6) |> Gen.bind (fun n -> genData anywhere [| n |]))) (fun xs ->
        let n = xs.Length
        // y = sum(h + h + h * h + exp h + x + x + x), h = x * x: dy/dx = (2 + 2h + e^h) 2x + 3
        let f (x: Tensor) =
            let h = Elementwise.mul x x
            let terms = Combinators.add (Combinators.add (Combinators.add h h) (Elementwise.mul h h)) (Elementwise.exp h)
            Reductions.sum null false (Combinators.add (Combinators.add (Combinators.add terms x) x) x)
        let expected = xs |> Array.map (fun x -> let h = x * x in (2.0 + 2.0 * h + exp h) * 2.0 * x + 3.0)
        [ DType.Float64; DType.Float32 ]
        |> List.map (fun dt ->
            let g = values (Derivatives.grad f (tensorAs dt [| n |] xs))
            let tol = if dt = DType.Float64 then 1e-12 else 1e-5
            let ok = Array.forall2 (fun (e: float) a -> abs (a - e) <= tol * (1.0 + abs e)) expected g
            Prop.label (sprintf "%A: expected %A, got %A" dt expected g) ok)
        |> List.reduce (.&.))

/// Node ids come from per-thread blocks. A node made on one thread from a parent made later on another thread must
/// still get the larger id: the sweep pops nodes by id, and a parent popped before all its children would hand out
/// a partial adjoint (here, of the wanted interior node p).
[<Xunit.Fact>]
let ``a node made on a worker thread from a newer parent gets a larger id, and interior adjoints stay whole`` () =
    use jobs = new System.Collections.Concurrent.BlockingCollection<unit -> unit>()
    let worker = System.Threading.Thread((fun () -> for job in jobs.GetConsumingEnumerable() do job ()), IsBackground = true)
    worker.Start()
    let onWorker (f: unit -> Tensor) =
        let mutable result = Unchecked.defaultof<Tensor>
        use finished = new System.Threading.ManualResetEventSlim()
        jobs.Add(fun () -> result <- f (); finished.Set())
        finished.Wait()
        result
    let tag = Tags.next ()
    let x = Tape.watch tag (scalar 1.5)
    let y1 = onWorker (fun () -> Elementwise.mul x x)                        // the worker takes a block of ids now
    let mutable h = x
    for _ in 1 .. 3000 do h <- Combinators.add h (scalar 0.0)                // this thread moves far past that block
    let p = Elementwise.mul h x                                              // p = x^2, id above the worker's block
    let z = onWorker (fun () -> Elementwise.mul p y1)                        // child of p, made on the worker
    let out = Combinators.add z (Elementwise.mul p (scalar 3.0))                     // out = p y1 + 3 p
    jobs.CompleteAdding()
    Xunit.Assert.True(z.NodeId > p.NodeId, sprintf "child id %d <= parent id %d" (z.NodeId) (p.NodeId))
    let pid = p.NodeId
    let adj = Reverse.sweep tag out (scalar 1.0) (System.Collections.Generic.HashSet [ pid; x.NodeId ])
    // d out / d p = y1 + 3 = x^2 + 3; d out / d x = 4 x^3 + 6 x
    Xunit.Assert.Equal(1.5 * 1.5 + 3.0, (values adj.[pid]).[0], 12)
    Xunit.Assert.Equal(4.0 * 1.5 ** 3.0 + 6.0 * 1.5, (values adj.[x.NodeId]).[0], 12)

/// A value used many times: its tensor adjoint contributions are summed as they arrive, so the sweep holds one buffer
/// for it, not one per use (a shared weight used by every step of a long loop would otherwise hold steps x its size).
[<Xunit.Fact>]
let ``the sweep holds one summed adjoint for a many-use interior node, not every contribution`` () =
    let made = System.Collections.Generic.List<System.WeakReference>()
    let mutable mostAlive = 0
    // identity whose adjoint is a fresh tensor, watched by a weak reference; before making one it counts how many
    // of the earlier ones the sweep still holds (they all went to the same node, which is not complete yet)
    let probe = { new UnaryPrim("Probe") with
                    member _.Kernel r = r
                    member _.Jvp(_, _, dx) = dx
                    member _.Vjp(_, _, g) =
                        System.GC.Collect()
                        System.GC.WaitForPendingFinalizers()
                        System.GC.Collect()
                        mostAlive <- max mostAlive (made |> Seq.filter (fun w -> w.IsAlive) |> Seq.length)
                        let c = Elementwise.mul g (scalar 1.0)
                        made.Add(System.WeakReference c)
                        c }
    let f (x: Tensor) =
        let w = Elementwise.mul x (scalar 2.0)
        let mutable out = Combinators.unary probe w
        for _ in 2 .. 50 do out <- Combinators.add out (Combinators.unary probe w)
        Reductions.sum null false out
    let g = Derivatives.grad f (tensor [| 1000 |] (Array.create 1000 0.5))
    Xunit.Assert.Equal(100.0, (values g).[0])
    Xunit.Assert.Equal(50, made.Count)
    Xunit.Assert.True(mostAlive <= 2, sprintf "%d earlier contributions to one node were held at once" mostAlive)
