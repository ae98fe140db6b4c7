/// Properties of the derivative API as a whole: the three ways to a Hessian agree with each other and with
/// finite differences of the gradient, forward and reverse Jacobians agree (also on a recorded graph, as a tape takes
/// them), and CheckGradients passes correct functions and catches a wrong custom gradient. Inputs are drawn from a
/// seeded generator inside each property, bounded to [-1.5, 1.5] so every test function stays smooth and well scaled.
module Nabla.Properties.DerivativeApiProperties

open System
open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core

[<Literal>]
let private Runs = 40

let private vector (seed: int) (n: int) =
    let r = Random(seed)
    let data = Array.init n (fun _ -> r.NextDouble() * 3.0 - 1.5)
    Combinators.constant (Storage.ofArray [| n |] (data :> Array))

let private values (t: Tensor) = Storage.toDoubles t.Raw
let private scalarOf (t: Tensor) = (values t).[0]
let private sumAll (t: Tensor) = Reductions.sum null false t
let private unitOf (shape: int[]) (i: int) = Nabla.Properties.TestData.tensor shape (Array.init (Shape.size shape) (fun j -> if j = i then 1.0 else 0.0))
let private unit (n: int) (i: int) = unitOf [| n |] i
let private shift (x: Tensor) (j: int) (h: float) =
    let d = Array.copy (values x)
    d.[j] <- d.[j] + h
    Combinators.constant (Storage.ofArray (Array.copy x.Shape) (d :> Array))

/// Scalar test functions of a vector, each exercising a different mix of primitives.
let private scalarFunctions : (string * (Tensor -> Tensor)) list =
    [ "sum(tanh(x) exp(x/2))", fun x -> sumAll (Elementwise.mul (Elementwise.tanh x) (Elementwise.exp (Elementwise.div x (Combinators.scalarLike x 2.0))))
      "(sum x^2) sin(x0)", fun x -> Elementwise.mul (sumAll (Elementwise.square x)) (Elementwise.sin (Layout.reshape [||] (Layout.slice [| 0 |] [| 1 |] x)))
      "log(1 + sum(sigmoid x) x)", fun x -> Elementwise.log (Combinators.add (Combinators.onesLike (sumAll x)) (sumAll (Elementwise.mul (Elementwise.sigmoid x) x)))
      "x^T A x with A = x x^T + I", fun x ->
        let n = x.Shape.[0]
        let col = Layout.reshape [| n; 1 |] x
        let a = Combinators.add (Products.matmul false true col col) (Combinators.constant (Storage.eye n DType.Float64))
        sumAll (Products.matmul true false col (Products.matmul false false a col)) ]

/// Vector-valued test functions R^n -> R^m of several shapes (m < n, m = n, m > n).
let private vectorFunctions : (string * (Tensor -> Tensor)) list =
    [ "elementwise tanh(x) x", fun x -> Elementwise.mul (Elementwise.tanh x) x
      "prefix sums (triangular)", fun x ->
        let n = x.Shape.[0]
        Layout.reshape [| n |] (Products.matmul false false (Combinators.constant (Storage.ofArray [| n; n |] (Array.init (n * n) (fun k -> if k % n <= k / n then 1.0 else 0.0) :> Array))) (Layout.reshape [| n; 1 |] x))
      "outer product exp(x) sin(x)^T (m = n^2)", fun x ->
        let n = x.Shape.[0]
        Layout.reshape [| n * n |] (Products.matmul false true (Layout.reshape [| n; 1 |] (Elementwise.exp x)) (Layout.reshape [| n; 1 |] (Elementwise.sin x)))
      "sum and product (m = 2)", fun x -> Layout.stack 0 [| sumAll (Elementwise.square x); Reductions.reduceProd null false x |] ]

let private close (label: string) (tol: float) (expected: float[]) (actual: float[]) =
    let worst =
        Array.map2 (fun (e: float) (a: float) -> abs (e - a) / (1.0 + abs e)) expected actual
        |> Array.fold max 0.0
    (expected.Length = actual.Length && worst <= tol)
    |> Prop.label (sprintf "%s: scaled error %g > %g" label worst tol)

/// H by reverse-over-reverse: row i is the gradient of x -> <grad f x, e_i>.
let private hessianReverseOverReverse (f: Tensor -> Tensor) (x: Tensor) =
    let n = x.Shape.[0]
    Array.init n (fun i -> values (Derivatives.grad (fun z -> sumAll (Elementwise.mul (Derivatives.grad f z) (unit n i))) x))
    |> Array.concat

/// H by central differences of the (reverse-mode) gradient: column j is (g(x + h e_j) - g(x - h e_j)) / 2h.
let private hessianByDifferences (f: Tensor -> Tensor) (x: Tensor) =
    let n = x.Shape.[0]
    let h = 1e-5
    let cols = Array.init n (fun j -> Array.map2 (fun a b -> (a - b) / (2.0 * h)) (values (Derivatives.grad f (shift x j h))) (values (Derivatives.grad f (shift x j -h))))
    Array.init (n * n) (fun k -> cols.[k % n].[k / n])

[<Property(MaxTest = Runs)>]
let ``Hessian: forward-over-reverse = reverse-over-reverse = differences of the gradient`` (seed: int) (size: PositiveInt) =
    let n = 1 + size.Get % 5
    let x = vector seed n
    scalarFunctions
    |> List.map (fun (name, f) ->
        let forwardOverReverse = values (Derivatives.hessian f x)
        let reverseOverReverse = hessianReverseOverReverse f x
        let hvpColumns = Array.init n (fun j -> values (Derivatives.hvp f x (unit n j)))
        let byHvp = Array.init (n * n) (fun k -> hvpColumns.[k % n].[k / n])
        (close (name + ": forward-over-reverse vs reverse-over-reverse") 1e-12 reverseOverReverse forwardOverReverse)
        .&. (close (name + ": hvp columns vs Hessian") 1e-12 forwardOverReverse byHvp)
        .&. (close (name + ": Hessian vs differences of the gradient") 1e-6 (hessianByDifferences f x) forwardOverReverse))
    |> List.reduce (.&.)

[<Property(MaxTest = Runs)>]
let ``Jacobian: forward columns = reverse rows = the recorded-graph Jacobian`` (seed: int) (size: PositiveInt) =
    let n = 1 + size.Get % 5
    let x = vector seed n
    vectorFunctions
    |> List.map (fun (name, f) ->
        let y, pullback = Derivatives.vjp f x
        let m = y.Size
        let reverse = Array.init m (fun i -> values (pullback (unitOf y.Shape i))) |> Array.concat
        let columns = Array.init n (fun j -> values (snd (Derivatives.jvp f x (unit n j))))
        let forward = Array.init (m * n) (fun k -> columns.[k % n].[k / n])
        // the tape's way: record once, then the Jacobian from the recording (diagonal, reverse or forward sweeps)
        let tag = Tags.next ()
        let leaf = Tape.watch tag x
        let root = (Tape.nodeAt tag (f leaf)).Value
        let recorded = values ((Tape.jacobian tag DType.Float64 root [| leaf |] false false).Value)
        (close (name + ": forward vs reverse") 1e-13 reverse forward)
        .&. (close (name + ": recorded vs reverse") 1e-13 reverse recorded)
        .&. (close (name + ": core jacobian vs reverse") 1e-13 reverse (values (Derivatives.jacobian f x))))
    |> List.reduce (.&.)

[<Property(MaxTest = Runs)>]
let ``BatchJacobian of a recording = the diagonal blocks of the full Jacobian`` (seed: int) (batch: PositiveInt) =
    let b = 1 + batch.Get % 4
    let r = Random(seed)
    let x = Combinators.constant (Storage.ofArray [| b; 3 |] (Array.init (b * 3) (fun _ -> r.NextDouble() * 2.0 - 1.0) :> Array))
    let w = Combinators.constant (Storage.ofArray [| 3; 2 |] (Array.init 6 (fun _ -> r.NextDouble() - 0.5) :> Array))
    let f (v: Tensor) = Elementwise.tanh (Products.matmul false false (Elementwise.square v) w) // row i of f depends on row i of x only
    let tag = Tags.next ()
    let leaf = Tape.watch tag x
    let root = (Tape.nodeAt tag (f leaf)).Value
    let full = values ((Tape.jacobian tag DType.Float64 root [| leaf |] false false).Value) // [b, 2, b, 3]
    let batched = values ((Tape.jacobian tag DType.Float64 root [| leaf |] true false).Value) // [b, 2, 3]
    let blocks = Array.init (b * 2 * 3) (fun k -> let i, o, j = k / 6, (k / 3) % 2, k % 3 in full.[((i * 2 + o) * b + i) * 3 + j])
    close "batch Jacobian vs diagonal blocks" 1e-14 blocks batched

let private check (f: Nabla.Tensor -> Nabla.Tensor) (x: Nabla.Tensor) (order: int) =
    Nabla.Autodiff.CheckGradients(Func<Nabla.Tensor, Nabla.Tensor>(f), x, order)

let private facadeVector (seed: int) (n: int) =
    let r = Random(seed)
    Nabla.TF.Constant(Array.init n (fun _ -> r.NextDouble() * 3.0 - 1.5))

[<Property(MaxTest = 20)>]
let ``CheckGradients passes correct compositions of ops, to second order`` (seed: int) (size: PositiveInt) =
    let x = facadeVector seed (1 + size.Get % 4)
    let f (v: Nabla.Tensor) = Nabla.TF.Tanh(v) * Nabla.TF.Exp(v * Nabla.TF.Constant(0.5)) + Nabla.TF.Sigmoid(Nabla.TF.ReduceSum(v * v))
    let r = check f x 2
    r.Passed |> Prop.label (string r)

[<Property(MaxTest = 20)>]
let ``CheckGradients fails a custom gradient that is wrong, and names the element`` (seed: int) (size: PositiveInt) =
    let n = 1 + size.Get % 4
    let x = facadeVector seed n
    // sin with the gradient of -sin... wrong everywhere that cos x is not 0
    let wrongSin =
        Nabla.TF.CustomGradient(Func<Nabla.Tensor, struct (Nabla.Tensor * Func<Nabla.Tensor, Nabla.Tensor>)>(fun v ->
            struct (Nabla.TF.Sin(v), Func<Nabla.Tensor, Nabla.Tensor>(fun up -> up * -Nabla.TF.Cos(v)))))
    let r = check (fun v -> wrongSin.Invoke v) x 1
    (not r.Passed |> Prop.label (string r))
    .&. ((string r).Contains "d output[" |> Prop.label "ToString names the worst element")
    .&. (r.MaxAbsoluteError > 0.1 |> Prop.label "the error is the size of 2 cos x")
