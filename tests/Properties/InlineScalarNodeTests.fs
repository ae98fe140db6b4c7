/// The inline scalar reverse nodes (RecordedScalar): float32 rounding, dtype checks, n-ary rules, one object per op.
module Nabla.Properties.InlineScalarNodeTests

open System
open Xunit
open Nabla.Core
open Nabla.Properties.TestData

let private bits (t: Tensor) = values t |> Array.map BitConverter.DoubleToInt64Bits

/// Float32: every +, -, *, neg, square and division by a constant rounds once per rule on the scalar path, exactly as
/// float32 kernels do, so rank-0 (scalar rules, inline nodes) and shape [1] (kernels) agree bit for bit, in the value,
/// the gradient, and the gradient of the gradient.
[<Fact>]
let ``Float32 scalar nodes round like float32 kernels, bit for bit`` () =
    let rng = Random(17)
    for _ in 1 .. 300 do
        let x0 = rng.NextDouble() * 4.0 - 2.0
        let c0 = rng.NextDouble() * 3.0 + 0.5
        let f (x: Tensor) =
            let c = tensorAs DType.Float32 x.Shape (Array.create x.Size c0)
            let mutable y = x
            for i in 1 .. 12 do
                y <- Combinators.add (Elementwise.mul y x) c                       // y*x + c
                y <- Elementwise.sub (Elementwise.div y c) (Elementwise.neg (Elementwise.square x)) // y/c + x^2
            y
        let at (shape: int[]) = tensorAs DType.Float32 shape (Array.create (Shape.size shape) x0)
        for name, g in [ "value", f; "grad", Derivatives.grad f; "grad of grad", Derivatives.grad (Derivatives.grad f) ] do
            let s, v = g (at [||]), g (at [| 1 |])
            Assert.True((bits s = bits v), sprintf "%s at x=%.9g c=%.9g: rank 0 %A, shape [1] %A" name x0 c0 (values s) (values v))

/// Float32 and Float64 scalars on one tape are rejected as the kernels reject them (no silent scalar rule in one dtype).
[<Fact>]
let ``mixed Float32 and Float64 scalar operands of a recorded op are rejected`` () =
    let tag = Tags.next ()
    let x = Tape.watch tag (tensorAs DType.Float32 [||] [| 1.5 |])
    let h = Elementwise.mul x x                                            // an inline scalar node
    let e = Assert.Throws<ArgumentException>(fun () -> Combinators.add h (scalar 2.0) |> ignore)
    Assert.Contains("Float32 and Float64", e.Message)

/// An n-ary primitive whose VJP reads its operands' values gets them one level down (plain), also when an operand is
/// an inline scalar node: the gradient is plain and its second derivative right.
[<Fact>]
let ``an n-ary primitive's VJP sees plain operand values for inline scalar nodes`` () =
    // prod(a, b) = a * b as an n-ary primitive whose rules use the operand values
    let rec prod (xs: Tensor[]) =
        Combinators.nary { new NaryPrim("Prod") with
                     member _.Kernel rs = Elementwise.Kernels.mul rs.[0] rs.[1]
                     member _.Jvp(xs, _, dxs) =
                         let t i j = match dxs.[i] with Some d -> Elementwise.mul d xs.[j] | None -> Combinators.zerosLike xs.[i]
                         Combinators.add (t 0 1) (t 1 0)
                     member _.Vjp(xs, _, g, i) = Elementwise.mul g xs.[1 - i] } xs
    // f(x) = prod(x^2, x) = x^3: f' = 3x^2, f'' = 6x
    let f (x: Tensor) = prod [| Elementwise.mul x x; x |]
    let g = Derivatives.grad f (scalar 1.5)
    Assert.Equal(0L, g.Level)
    Assert.Equal(3.0 * 1.5 * 1.5, (values g).[0], 12)
    Assert.Equal(6.0 * 1.5, (values (Derivatives.grad (Derivatives.grad f) (scalar 1.5))).[0], 12)

/// The point of inline scalar nodes: one object per recorded scalar op.
[<Fact>]
let ``recording a scalar op allocates one inline node (at most 80 bytes) in the core`` () =
    let one = scalar 1.0
    let steps = 20000
    let chain (x: Tensor) =
        let mutable y = x
        for _ in 1 .. steps do y <- Combinators.add (Elementwise.mul y x) one
        y
    Derivatives.vjp chain (scalar 0.5) |> ignore                    // warm up
    let before = GC.GetAllocatedBytesForCurrentThread()
    Derivatives.vjp chain (scalar 0.5) |> ignore
    let perOp = float (GC.GetAllocatedBytesForCurrentThread() - before) / float (2 * steps)
    Assert.True(perOp <= 80.0, sprintf "%.1f B per recorded scalar op" perOp)

/// A recorded scalar node is a node.
[<Fact>]
let ``an inline scalar node is a node`` () =
    let x = Tape.watch (Tags.next ()) (scalar 1.5)
    Assert.True((Elementwise.mul x x).IsNode)

/// Exp, Log, Sin, Cos, Tanh, Sqrt, Log1p, Tan, Sigmoid, Softplus, Abs and Sign have scalar rules too, each computing as its kernel and its tensor derivative do
/// on one element (the dtype's libm function, then the derivative's own arithmetic): rank 0 and shape [1] agree bit for
/// bit in the value and the gradient, in both dtypes, and the gradient of the gradient agrees to rounding.
[<Fact>]
let ``math primitives' scalar rules agree with their kernels bit for bit`` () =
    let rng = Random(29)
    for dtype in [ DType.Float64; DType.Float32 ] do
        for i in 1 .. 200 do
            // the first two put Sign's argument and Abs's argument at 0 (sign 0 = 0, abs' 0 = 0)
            let x0 = if i = 1 then -0.5 elif i = 2 then 0.5 else rng.NextDouble() * 4.0 - 2.0
            let c0 = rng.NextDouble() * 3.0 + 0.5
            let f (x: Tensor) =
                let c = tensorAs dtype x.Shape (Array.create x.Size c0)
                let u = Elementwise.mul (Elementwise.exp (Elementwise.sin x)) (Elementwise.tanh x)
                let v = Elementwise.sub (Elementwise.sqrt (Combinators.add c (Elementwise.cos x))) (Elementwise.log (Combinators.add c (Elementwise.mul x x)))
                let w = Elementwise.mul (Elementwise.sigmoid (Elementwise.log1p (Elementwise.mul x x))) (Elementwise.softplus (Elementwise.tan (Elementwise.mul x (tensorAs dtype x.Shape (Array.create x.Size 0.5)))))
                let half = tensorAs dtype x.Shape (Array.create x.Size 0.5)
                let z = Elementwise.mul (Elementwise.abs (Elementwise.sub x half)) (Elementwise.sign (Combinators.add x half))
                Combinators.add (Combinators.add (Combinators.add u (Elementwise.mul v x)) w) z
            let at (shape: int[]) = tensorAs dtype shape (Array.create (Shape.size shape) x0)
            for name, g in [ "value", f; "grad", Derivatives.grad f ] do
                let s, v = g (at [||]), g (at [| 1 |])
                Assert.True((bits s = bits v), sprintf "%A %s at x=%.17g c=%.17g: rank 0 %A, shape [1] %A" dtype name x0 c0 (values s) (values v))
            let s, v = Derivatives.grad (Derivatives.grad f) (at [||]), Derivatives.grad (Derivatives.grad f) (at [| 1 |])
            let tol = if dtype = DType.Float64 then 1e-14 else 1e-6
            Assert.True(Array.forall2 (fun (a: float) b -> abs (a - b) <= tol * (1.0 + abs b)) (values s) (values v),
                        sprintf "%A second derivative at x=%.17g: %A vs %A" dtype x0 (values s) (values v))

/// A scalar program of math primitives records one inline node per operation (no tensor made on the way).
[<Fact>]
let ``recording math primitives on scalars allocates one inline node per op`` () =
    let steps = 10000
    let chain (x: Tensor) =
        let mutable y = x
        for _ in 1 .. steps do y <- Elementwise.sin (Elementwise.mul y x)
        y
    Derivatives.vjp chain (scalar 0.5) |> ignore                    // warm up
    let before = GC.GetAllocatedBytesForCurrentThread()
    Derivatives.vjp chain (scalar 0.5) |> ignore
    let perOp = float (GC.GetAllocatedBytesForCurrentThread() - before) / float (2 * steps)
    Assert.True(perOp <= 80.0, sprintf "%.1f B per recorded scalar op" perOp)
