/// The fuzzer's findings (Fuzz.fs), each shrunk to a minimal program and kept as a named regression test of the
/// behaviour it breaks. Tests of behaviour the library does not have yet are skipped with "pending: <what>"; the
/// literals below say which fix each waits for, so un-skipping after a merge is a one-line change.
module Nabla.Properties.FuzzRegressions

open System
open Xunit
open Nabla

type private T = Nabla.Tensor

/// Why a finding's test is skipped: behaviour the library does not have yet (each names what it waits for).
module Pending =
    [<Literal>]
    let CoreCustomGradientSecondOrder =
        "pending: Nabla.Core customGradient's second derivatives through a vjp that closes over its (perturbed) input: the core cannot re-resolve a closure one level down as the facade's TF.CustomGradient does (fuzz finding, open)"

    [<Literal>]
    let ReduceProdZeroSecondOrder =
        "pending: ReduceProd's second derivative at a zero factor (the core uses exclusive products as a constant there; exact higher orders need a differentiable cumulative product; fuzz finding, open)"

let private lit (v: float) : T = T.op_Implicit v
let private values (t: T) = t.ToArray<double>()
let private shape (t: T) = t.Shape |> Seq.toArray

let private close (what: string) (expected: float[]) (actual: float[]) =
    Assert.True(expected.Length = actual.Length, sprintf "%s: expected %d values, got %d" what expected.Length actual.Length)
    Array.iteri2
        (fun i (e: float) (a: float) ->
            let ok = (Double.IsNaN e && Double.IsNaN a) || (Double.IsInfinity e && e = a) || abs (a - e) <= 1e-12 + 1e-10 * abs e
            Assert.True(ok, sprintf "%s: at %d expected %.17g, got %.17g" what i e a))
        expected actual

/// The exception `f` throws (the test fails when it throws nothing).
let private throws (f: unit -> obj) : exn =
    match (try Choice1Of2(f ()) with e -> Choice2Of2 e) with
    | Choice1Of2 r -> failwithf "expected an exception, got %A" r
    | Choice2Of2 e -> e

// ------------------------------------------------------------------ variables

/// Fuzz: `t = v.Value` recorded, then `v.Assign(...)` before `tape.Gradient(t, v)`: TensorFlow differentiates with
/// respect to the value read (API.md: an Assign between the read and Gradient changes neither the gradient nor
/// whether there is one). Before the fix, the gradient is null.
[<Fact>]
let ``Variable assigned after it was read: the gradient is with respect to the value read`` () =
    let v = Variable(TF.Constant(1.05))
    let tape = new GradientTape()
    let y =
        using tape (fun _ ->
            let t = v.Value
            t * t)
    v.Assign(TF.Constant(3.0))
    let g = tape.Gradient(y, v)
    Assert.NotNull g
    close "d(v*v)/dv at the value read (1.05)" [| 2.1 |] (values g)

/// Fuzz: `a = v * 2; v.Assign(3); b = v * v` recorded: the gradient with respect to v sums over both reads
/// (TensorFlow: 2 + 2 * 3 = 8). Before the fix it was 6: the read before the Assign is lost.
[<Fact>]
let ``Variable assigned between two reads: the gradient sums the gradients of both reads`` () =
    let v = Variable(TF.Constant(1.0))
    let tape = new GradientTape()
    let y =
        using tape (fun _ ->
            let a = v.Value * lit 2.0
            v.Assign(TF.Constant(3.0))
            let b = v.Value * v.Value
            a + b)
    let g = tape.Gradient(y, v)
    Assert.NotNull g
    close "d(2 v1 + v2 * v2)/dv" [| 8.0 |] (values g)

/// Fuzz: a persistent tape's gradient, an optimizer step (an Assign of every variable), the same gradient again:
/// API.md says the step changes neither. Before the fix the second gradient is null.
[<Fact>]
let ``Persistent tape: an optimizer step between two Gradient calls changes neither gradient`` () =
    let x = TF.Constant([| 1.0; -2.0 |])
    let v = Variable(TF.Constant(1.9))
    let tape = new GradientTape(persistent = true)
    tape.Watch(x)
    let y = using tape (fun _ -> TF.ReduceSum(TF.Sin(x * v.Value)))
    let first = tape.Gradient(y, v)
    Optimizers.SGD(0.1).ApplyGradients([| struct (first, v) |])
    let second = tape.Gradient(y, v)
    Assert.NotNull first
    Assert.NotNull second
    close "gradient before and after the step" (values first) (values second)

// ------------------------------------------------------------------ nested recording

/// Fuzz (reduced to a scalar): `u_x = tape.Gradient(u, x)` inside a persistent tape's block, `tape.Gradient(u_x, x)`
/// after it (the PINN idiom; API.md). For u = tanh x: d2u/dx2 = -2 tanh x (1 - tanh^2 x). Before the fix the second gradient
/// is null.
[<Fact>]
let ``PINN: a persistent tape's own gradient taken inside its block is differentiated after it`` () =
    let x = TF.Constant(0.5)
    let tape = new GradientTape(persistent = true)
    tape.Watch(x)
    let ux =
        using tape (fun _ ->
            let u = TF.Tanh(x)
            tape.Gradient(u, x))
    let uxx = tape.Gradient(ux, x)
    Assert.NotNull uxx
    let t = Math.Tanh 0.5
    close "d2 tanh / dx2" [| -2.0 * t * (1.0 - t * t) |] (values uxx)

/// Fuzz: `using (outer.StopRecording()) { t = x0 + x1; }` with an inner tape recording: t is computed outside the
/// outer tape's recording, so the outer tape has no gradient for it (null, as TensorFlow), while the inner tape's
/// gradient is the full one (ones). Before the fix the outer tape's gradient is not null.
[<Fact>]
let ``StopRecording on an outer tape: what an inner tape records inside it is not recorded by the outer tape`` () =
    let x0 = TF.Constant([| 1.0; -1.0; 2.0 |])
    let x1 = TF.Constant([| -1.0 |])
    let outer = new GradientTape(persistent = true)
    outer.Watch(x0)
    let inner = new GradientTape(persistent = true)
    inner.Watch(x0)
    let t =
        using (outer.StopRecording()) (fun _ -> x0 + x1)
    inner.Dispose()
    outer.Dispose()
    let gi = inner.Gradient(t, x0)
    Assert.NotNull gi
    close "inner tape: d(x0 + x1)/dx0" [| 1.0; 1.0; 1.0 |] (values gi)
    Assert.Null(outer.Gradient(t, x0))

// ------------------------------------------------------------------ NaN and infinities

/// Fuzz: Relu of [-1, NaN, 2] is [0, NaN, 2] (TensorFlow propagates NaN); before the fix NaN becomes 0.
[<Fact>]
let ``Relu of NaN is NaN`` () =
    close "Relu" [| 0.0; Double.NaN; 2.0 |] (values (TF.Relu(TF.Constant([| -1.0; Double.NaN; 2.0 |]))))

/// Fuzz (new): ln(1 + inf) = inf, as Math.Log and TensorFlow's log1p; before the fix Log1p(+inf) is NaN in Float64 and Float32.
[<Fact>]
let ``Log1p of +infinity is +infinity`` () =
    close "Float64" [| Double.PositiveInfinity; Math.Log 2.0 |] (values (TF.Log1p(TF.Constant([| Double.PositiveInfinity; 1.0 |]))))
    close "Float32" [| Double.PositiveInfinity |] (values (TF.Log1p(TF.Constant([| Single.PositiveInfinity |]))))
    close "scalar" [| Double.PositiveInfinity |] (values (TF.Log1p(TF.Constant(Double.PositiveInfinity))))

// ------------------------------------------------------------------ empty tensors

/// Fuzz: the product of no elements is 1 (TensorFlow), per group: ReduceProd over axis 1 of a [4, 0] tensor is four 1s.
[<Fact>]
let ``ReduceProd of an empty tensor is 1`` () =
    close "all axes" [| 1.0 |] (values (TF.ReduceProd(TF.Constant(Array.zeroCreate<double> 0))))
    close "axis 1 of [4, 0]" [| 1.0; 1.0; 1.0; 1.0 |] (values (TF.ReduceProd(TF.Zeros([| 4; 0 |], DType.Float64), 1)))

/// Fuzz (new): an element-wise op of an empty tensor is an empty tensor of the same shape; before the fix Sigmoid and Softplus
/// throw an ArgumentException "Input span arguments must not be empty." (which names no op), also under a tape.
[<Fact>]
let ``Sigmoid and Softplus of an empty tensor are empty tensors of its shape`` () =
    let x = TF.Zeros([| 0; 1 |], DType.Float64)
    for name, op in [ "Sigmoid", (fun t -> TF.Sigmoid t); "Softplus", (fun t -> TF.Softplus t) ] do
        let y: T = op x
        Assert.True((shape y = [| 0; 1 |]), sprintf "%s: shape %A" name (shape y))
        let tape = new GradientTape()
        tape.Watch(x)
        let z = using tape (fun _ -> op x)
        let g = tape.Gradient(z, x, unconnectedGradients = UnconnectedGradients.Zero)
        Assert.True((shape g = [| 0; 1 |]), sprintf "%s: gradient shape %A" name (shape g))

/// Fuzz (new): Softmax and LogSoftmax of a tensor with an empty axis are empty tensors of its shape (TensorFlow);
/// SoftmaxCrossEntropyWithLogits over an empty class axis is a sum of nothing, zeros. Before the fix all three throw
/// "ReduceMax: cannot reduce an empty axis", naming an op the user did not call.
[<Fact>]
let ``Softmax, LogSoftmax and SoftmaxCrossEntropyWithLogits over an empty axis do not throw`` () =
    let x = TF.Zeros([| 2; 0 |], DType.Float64)
    Assert.Equal<int[]>([| 2; 0 |], shape (TF.Softmax(x, -1)))
    Assert.Equal<int[]>([| 2; 0 |], shape (TF.LogSoftmax(x, 1)))
    Assert.Equal<int[]>([| 0 |], shape (TF.Softmax(TF.Zeros([| 0 |], DType.Float64))))
    close "cross-entropy over an empty class axis" [| 0.0; 0.0 |] (values (TF.SoftmaxCrossEntropyWithLogits(x, x, -1)))

/// Fuzz (new): ReduceMax/ReduceMin over an axis of extent 0 threw. TensorFlow 2 fills the result with the reducer's
/// identity (Eigen's MinMaxBottomValue): -inf/+inf for float dtypes, the lowest/highest value for integer ones.
[<Fact>]
let ``ReduceMax and ReduceMin over an empty axis give the reducer's identity, as TensorFlow`` () =
    let x = TF.Zeros([| 3; 0 |], DType.Float64)
    close "ReduceMax axis 1" (Array.create 3 Double.NegativeInfinity) (values (TF.ReduceMax(x, 1)))
    close "ReduceMin axis 1" (Array.create 3 Double.PositiveInfinity) (values (TF.ReduceMin(x, 1)))
    close "ReduceMax Float32" [| Double.NegativeInfinity |] (values (TF.ReduceMax(TF.Zeros([| 0 |], DType.Float32))))
    Assert.Equal<int[]>([| Int32.MinValue |], TF.ReduceMax(TF.Zeros([| 0 |], DType.Int32)).ToArray<int>())
    Assert.Equal<int[]>([| Int32.MaxValue |], TF.ReduceMin(TF.Zeros([| 0 |], DType.Int32)).ToArray<int>())

// ------------------------------------------------------------------ exceptions

/// Fuzz: shapes whose element count overflows int are ArgumentExceptions naming the op and the shape (API.md); before the fix
/// Ones([65536, 65536]) returns a tensor with no elements (2^32 wraps to 0) whose ToString throws
/// IndexOutOfRangeException, Reshape of an empty tensor to it succeeds, and Fill's message is "The input must be
/// non-negative. count = -1294967296", naming no op.
[<Fact>]
let ``Element counts that overflow int throw ArgumentException naming the op and the shape`` () =
    let check (op: string) (f: unit -> T) =
        let e = throws (fun () -> box (f ()))
        Assert.True((e :? ArgumentException), sprintf "%s: %s" op (e.GetType().Name))
        Assert.Contains(op, e.Message)
    check "Ones" (fun () -> TF.Ones([| 65536; 65536 |], DType.Float64))
    check "Fill" (fun () -> TF.Fill([| 100000; 30000 |], 1.0, DType.Float32))
    check "Reshape" (fun () -> TF.Reshape(TF.Zeros([| 0 |], DType.Float64), 65536, 65536))

/// Fuzz: `TF.Cast(x, Int32) * 0.5`: a weak scalar an integer tensor cannot hold exactly is an ArgumentException naming
/// the op, the dtype and the value (API.md); before the fix it is truncated to 0.
[<Fact>]
let ``A fractional weak scalar with an integer tensor throws ArgumentException naming the op, the dtype and the value`` () =
    let ints = TF.Cast(TF.Constant([| -0.0; 1.0; -1.0 |]), DType.Int32)
    let e = throws (fun () -> box (ints * lit 0.5))
    Assert.True((e :? ArgumentException), e.GetType().Name)
    Assert.Contains("Multiply", e.Message)
    Assert.Contains("Int32", e.Message)
    Assert.Contains("0.5", e.Message)

// ------------------------------------------------------------------ the F# core

/// Fuzz (new): Nabla.Core.Control.customGradient with a vjp written with differentiable ops closing over its input,
/// as its doc describes ("derivatives of the custom gradient (second order and up) come out of the same sweep"): for
/// sin with the gradient dy * cos x, the second derivative is -sin x in every mode mix. The core gives 0 (grad of
/// grad, hvp, diffn 2), while TF.CustomGradient, which resolves the closure's x one level down, gives -sin x.
[<Fact(Skip = Pending.CoreCustomGradientSecondOrder)>]
let ``Nabla.Core customGradient: second derivatives through a vjp closing over its input`` () =
    let scalar (v: float) = Nabla.Core.Combinators.constant (Nabla.Core.Storage.scalar Nabla.Core.DType.Float64 v)
    let customSin (x: Nabla.Core.Tensor) =
        Nabla.Core.Control.customGradient "CustomGradient" (Nabla.Core.Elementwise.sin x).Raw
            (fun gy -> [| Nabla.Core.Elementwise.mul gy (Nabla.Core.Elementwise.cos x) |]) [| x |]
    let x = scalar 0.7
    let expected = [| -(Math.Sin 0.7) |]
    let v (t: Nabla.Core.Tensor) = Nabla.Core.Storage.toDoubles t.Raw
    close "first derivative" [| Math.Cos 0.7 |] (v (Nabla.Core.Derivatives.grad customSin x))
    close "grad of grad" expected (v (Nabla.Core.Derivatives.grad (Nabla.Core.Derivatives.grad customSin) x))
    close "hvp" expected (v (Nabla.Core.Derivatives.hvp customSin x (scalar 1.0)))
    close "diffn 2" expected (v (Nabla.Core.Derivatives.diffn 2 customSin x))
    // the facade's, for comparison (right)
    let sinF = TF.CustomGradient(Func<T, struct (T * Func<T, T>)>(fun t -> struct (TF.Sin t, Func<T, T>(fun dy -> dy * TF.Cos t))))
    let d2 = Autodiff.Grad(Autodiff.Grad(sinF))
    close "TF.CustomGradient, Grad(Grad)" expected (values (d2.Invoke(TF.Constant(0.7))))

/// Fuzz (new): the second derivative of a product with a zero factor. For p(x) = prod(x0 - x1) with one factor zero,
/// d2p/dx_i dx_j is the product of the other factors, nonzero for the pairs that include the zero factor; TensorFlow's
/// reduce_prod gradient (cumulative products) is exact at every order. The core documents that it misses these terms
/// (first derivatives are exact), which API.md ("to any order, where TensorFlow's is") does not allow.
[<Fact(Skip = Pending.ReduceProdZeroSecondOrder)>]
let ``ReduceProd: second derivatives through a zero factor are exact`` () =
    // p(x) = x0 x1 x2 at x = (0, 2, 3): H = [[0, x2, x1], [x2, 0, x0], [x1, x0, 0]] = [[0, 3, 2], [3, 0, 0], [2, 0, 0]]
    let f = Func<T, T>(fun x -> TF.ReduceProd(x))
    let h = Autodiff.Hessian(f, TF.Constant([| 0.0; 2.0; 3.0 |]))
    close "Hessian of x0 x1 x2 at (0, 2, 3)" [| 0.0; 3.0; 2.0; 3.0; 0.0; 0.0; 2.0; 0.0; 0.0 |] (values h)
    let hv = Autodiff.Hvp(f, TF.Constant([| 0.0; 2.0; 3.0 |]), TF.Constant([| 1.0; 0.0; 0.0 |]))
    close "H e0" [| 0.0; 3.0; 2.0 |] (values hv)

// ------------------------------------------------------------------ from the long run (seed 20261204)

/// Fuzz (new): Concat copied its pieces by padding each with zeros and adding, so a -0.0 came out +0.0 (and
/// `-0.2 / Concat([], -Relu(x))` gave -inf where TensorFlow gives +inf). Concatenation is a copy, bit for bit.
[<Fact>]
let ``Concat keeps signed zeros and NaN bit for bit`` () =
    let neg0 = TF.Constant([| -0.0; 1.0 |])
    let r = TF.Concat([| TF.Zeros([| 0 |], DType.Float64); neg0; TF.Constant([| nan |]) |], 0)
    let v = values r
    Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits v.[0])
    Assert.True(Double.IsNaN v.[2])
    Assert.Equal(Double.PositiveInfinity, (lit -0.2 / TF.Concat([| TF.Zeros([| 0 |], DType.Float64); TF.Negative(TF.Relu(TF.Constant([| -1.3 |]))) |], 0)).ToDouble())

/// Fuzz (new): Abs of Int32.MinValue (from a cast of -inf) threw OverflowException from Math.Abs; TensorFlow's abs wraps
/// (two's complement), giving the value itself.
[<Fact>]
let ``Abs of an integer dtype's lowest value wraps instead of throwing`` () =
    Assert.Equal<int[]>([| Int32.MinValue; 5 |], TF.Abs(TF.Constant([| Int32.MinValue; -5 |])).ToArray<int>())
    Assert.Equal<int64[]>([| Int64.MinValue; 5L |], TF.Abs(TF.Constant([| Int64.MinValue; -5L |])).ToArray<int64>())
