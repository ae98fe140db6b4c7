/// The checks every row of the op table (Cases.fs) runs on each of its samples, in the style of FSharp.Core's
/// collection-consistency tests. For each function of one tensor derived from a sample (with respect to each operand,
/// the others held constant, and to all operands packed in one vector):
///   - value: the Float64 result equals the naive index-by-index reference (shape and values);
///   - first order: the forward Jacobian (jvp on each basis vector), the reverse Jacobian (vjp on
///     each basis vector) and the central finite-difference Jacobian agree, and
///     <t, vjp c> = <jvp t, c> along random t, c;
///   - second order, on f(x) = sum(w * g(x) * g(x)) with random weights w: H v by central FD of
///     the gradient = forward-over-reverse (hvp) = reverse-over-reverse = reverse-over-forward,
///     u.H v by forward-over-forward agrees, and the inner-product identity holds one order up
///     for x -> J(x) v and x -> J(x)^T c (all four mode mixes on non-scalar maps), which also
///     agree with central FD;
///   - Float32: value, jvp, vjp and hvp in Float32 agree with Float64 from the same rounded inputs.
/// Tolerances are the sample's (Tolerances.fs: `defaultTolerances`, `float32RoundTripTolerances`).
module Nabla.Properties.Checks

open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances
open Nabla.Properties.Cases

// ------------------------------------------------------------------ functions of one tensor

/// A function of one tensor, taken from an op case, and the point to differentiate it at.
type Target = { Name: string; X: Tensor; G: Tensor -> Tensor }

/// The functions of one tensor an op case yields: with respect to each operand (the others
/// constant) and, for several operands, with respect to all of them packed in one vector
/// (which gives the mixed second derivatives). Operands are built in `dtype`; with `round`
/// their values are first rounded to Float32, so that Float32 and Float64 see the same inputs.
let targets (dtype: DType) (round: bool) (c: OpCase) : Target list =
    let k = c.Operands.Length
    let data i = let d = snd c.Operands.[i] in if round then roundToFloat32 d else d
    let shapeOf i = fst c.Operands.[i]
    let constants = Array.init k (fun i -> tensorAs dtype (shapeOf i) (data i))
    let each =
        [ for i in 0 .. k - 1 ->
            { Name = (if k = 1 then "d/dx" else sprintf "d/d(operand %d)" i)
              X = constants.[i]
              G = fun x -> c.Apply(Array.init k (fun j -> if j = i then x else constants.[j])) } ]
    let packed =
        if k = 1 then []
        else
            let sizes = Array.init k (fun i -> Shape.size (shapeOf i))
            let offsets = Array.scan (+) 0 sizes
            [ { Name = "d/d(all operands, packed)"
                X = tensorAs dtype [| offsets.[k] |] (Array.concat (Array.init k data))
                G = fun x -> c.Apply(Array.init k (fun i -> Layout.reshape (shapeOf i) (Layout.slice [| offsets.[i] |] [| sizes.[i] |] x))) } ]
    each @ packed

/// x + s v, as a constant of x's shape and dtype.
let private shifted (x: Tensor) (s: float) (v: float[]) = like x (Array.map2 (fun a b -> a + s * b) (values x) v)

/// Central finite difference of g at x along v: (g(x + h v) - g(x - h v)) / 2h.
let private centralDifference (h: float) (g: Tensor -> float[]) (x: Tensor) (v: float[]) =
    Array.map2 (fun p q -> (p - q) / (2.0 * h)) (g (shifted x h v)) (g (shifted x -h v))

let private sumAll (t: Tensor) = Reductions.sum null false t

// ------------------------------------------------------------------ first order

/// Forward, reverse and central-FD Jacobians agree; <t, vjp c> = <jvp t, c>; shapes and dtypes.
let firstOrder (tol: Tolerances) (seed: int) (t: Target) : Property =
    let x, g = t.X, t.G
    let label s = t.Name + ": " + s
    let y = g x
    let n, m = x.Size, y.Size
    let columns = Array.init n (fun j -> Derivatives.jvp g x (basis x j))
    let value, pullback = Derivatives.vjp g x
    let rows = Array.init m (fun i -> pullback (basis y i))
    let colValues = columns |> Array.map (snd >> values)
    let rowValues = rows |> Array.map values
    // Row-major m x n (output index first, as `jacobian` lays it out).
    let jForward = Array.init (m * n) (fun k -> colValues.[k % n].[k / n])
    let jReverse = Array.init (m * n) (fun k -> rowValues.[k / n].[k % n])
    let fdColumns = Array.init n (fun j -> centralDifference tol.Step (g >> values) x (values (basis x j)))
    let jFd = Array.init (m * n) (fun k -> fdColumns.[k % n].[k / n])
    let tDir = like x (directions seed 1 n)
    let cDir = like y (directions seed 2 m)
    let _, jvpT = Derivatives.jvp g x tDir
    let vjpC = pullback cDir
    allOf
        [ agree (label "forward Jacobian = central FD") tol.Fd jFd jForward
          agree (label "reverse Jacobian = central FD") tol.Fd jFd jReverse
          agree (label "reverse Jacobian = forward Jacobian") tol.Ad jForward jReverse
          agreeDot (label "<t, vjp c> = <jvp t, c>") tol.Ad (values tDir, values vjpC) (values jvpT, values cDir)
          agree (label "value from vjp = g x") tol.Ad (values y) (values value)
          agree (label "value from jvp = g x") tol.Ad (values y) (values (fst columns.[0]))
          holds (label (sprintf "jvp tangent has the output's shape %s and dtype %A (got %s, %A)"
                                (Shape.format y.Shape) y.DType (Shape.format jvpT.Shape) jvpT.DType))
                (Shape.equal jvpT.Shape y.Shape && jvpT.DType = y.DType)
          holds (label (sprintf "vjp cotangent has the input's shape %s and dtype %A (got %s, %A)"
                                (Shape.format x.Shape) x.DType (Shape.format vjpC.Shape) vjpC.DType))
                (Shape.equal vjpC.Shape x.Shape && vjpC.DType = x.DType) ]

// ------------------------------------------------------------------ second order

/// All mode mixes of second derivatives agree with each other and with central FD of first derivatives.
let secondOrder (tol: Tolerances) (seed: int) (t: Target) : Property =
    let x, g = t.X, t.G
    let label s = t.Name + ": " + s
    let y0 = g x
    let n, m = x.Size, y0.Size
    let w = like y0 (directions seed 3 m)
    // A scalar readout that is quadratic in g, so even linear ops have a nonzero Hessian and the
    // VJP rules themselves get differentiated.
    let f (x: Tensor) = let y = g x in sumAll (Elementwise.mul w (Elementwise.mul y y))
    let v = like x (directions seed 4 n)
    let u = like x (directions seed 5 n)
    let hvFd = centralDifference tol.Step (Derivatives.grad f >> values) x (values v)
    let hvFwdRev = values (Derivatives.hvp f x v)
    let hvRevRev = values (Derivatives.grad (fun x -> sumAll (Elementwise.mul (Derivatives.grad f x) v)) x)
    let hvRevFwd = values (Derivatives.grad (fun x -> snd (Derivatives.jvp f x v)) x)
    let uHvFwdFwd = values (snd (Derivatives.jvp (fun x -> snd (Derivatives.jvp f x v)) x u))
    // One order up on the full output: k(x) = J(x) v and l(x) = J(x)^T c.
    let c = like y0 (directions seed 6 m)
    let k (x: Tensor) = snd (Derivatives.jvp g x v)
    let l (x: Tensor) = (snd (Derivatives.vjp g x)) c
    let t1 = like x (directions seed 7 n)
    let ck = like y0 (directions seed 8 m)
    let cl = like x (directions seed 9 n)
    let kJvp = values (snd (Derivatives.jvp k x t1))              // forward-over-forward
    let kVjp = values ((snd (Derivatives.vjp k x)) ck)            // reverse-over-forward
    let lJvp = values (snd (Derivatives.jvp l x t1))              // forward-over-reverse
    let lVjp = values ((snd (Derivatives.vjp l x)) cl)            // reverse-over-reverse
    allOf
        [ agree (label "H v: forward-over-reverse (hvp) = central FD of grad") tol.Fd hvFd hvFwdRev
          agree (label "H v: reverse-over-reverse = central FD of grad") tol.Fd hvFd hvRevRev
          agree (label "H v: reverse-over-reverse = forward-over-reverse") tol.Ad hvFwdRev hvRevRev
          agree (label "H v: reverse-over-forward = forward-over-reverse") tol.Ad hvFwdRev hvRevFwd
          agreeDot (label "u.H v: forward-over-forward = <u, hvp v>") tol.Ad (values u, hvFwdRev) (uHvFwdFwd, [| 1.0 |])
          agreeDot (label "u.H v: forward-over-forward = <u, FD of grad>") tol.Fd (values u, hvFd) (uHvFwdFwd, [| 1.0 |])
          agree (label "d/dt (J v) forward-over-forward = central FD of jvp") tol.Fd
                (centralDifference tol.Step (k >> values) x (values t1)) kJvp
          agree (label "d/dt (J^T c) forward-over-reverse = central FD of vjp") tol.Fd
                (centralDifference tol.Step (l >> values) x (values t1)) lJvp
          agreeDot (label "x -> J v: <t, vjp c> (reverse-over-forward) = <jvp t, c> (forward-over-forward)") tol.Ad
                   (values t1, kVjp) (kJvp, values ck)
          agreeDot (label "x -> J^T c: <t, vjp c> (reverse-over-reverse) = <jvp t, c> (forward-over-reverse)") tol.Ad
                   (values t1, lVjp) (lJvp, values cl) ]

// ------------------------------------------------------------------ Float32

/// Float32 value, jvp, vjp and hvp agree with Float64 from the same (rounded) inputs and directions.
let float32AgreesWithFloat64 (tol: Tolerances) (seed: int) (t32: Target, t64: Target) : Property =
    let label s = t32.Name + ": " + s
    let y32, y64 = t32.G t32.X, t64.G t64.X
    let n, m = t64.X.Size, y64.Size
    let dir stream count = roundToFloat32 (directions seed stream count)
    let v, c, w = dir 10 n, dir 11 m, dir 12 m
    let jvp (t: Target) = values (snd (Derivatives.jvp t.G t.X (like t.X v)))
    let vjp (t: Target) (y: Tensor) = (snd (Derivatives.vjp t.G t.X)) (like y c)
    let hvp (t: Target) (y: Tensor) =
        let wt = like y w
        values (Derivatives.hvp (fun x -> let y = t.G x in sumAll (Elementwise.mul wt (Elementwise.mul y y))) t.X (like t.X v))
    let g32 = vjp t32 y32
    allOf
        [ holds (label (sprintf "operand is Float32 (got %A)" t32.X.DType)) (t32.X.DType = DType.Float32)
          holds (label (sprintf "vjp of a Float32 operand is Float32 (got %A)" g32.DType)) (g32.DType = DType.Float32)
          agree (label "value") tol.Float32 (values y64) (values y32)
          agree (label "jvp") tol.Float32 (jvp t64) (jvp t32)
          agree (label "vjp") tol.Float32 (values (vjp t64 y64)) (values g32)
          agree (label "hvp") tol.Float32 (hvp t64 y64) (hvp t32 y32) ]

// ------------------------------------------------------------------ the checks of one sample

/// The op's Float64 value against the naive reference (Reference.fs): shape and values.
let valueMatchesReference (c: OpCase) : Property =
    let y = c.Apply(c.Operands |> Array.map (fun (s, d) -> tensor s d))
    let shape, expected = c.Reference c.Operands
    holds (sprintf "value has the reference shape %s (got %s)" (Shape.format shape) (Shape.format y.Shape)) (Shape.equal y.Shape shape)
    .&. agree "value = naive reference" c.Tol.Ad expected (values y)

/// The value, and first derivatives with respect to each operand and to all of them.
let firstOrderOfCase (c: OpCase) : Property =
    valueMatchesReference c :: (targets DType.Float64 false c |> List.map (firstOrder c.Tol c.Seed)) |> allOf

/// Second derivatives with respect to each operand and to all of them.
let secondOrderOfCase (c: OpCase) : Property =
    targets DType.Float64 false c |> List.map (secondOrder c.Tol c.Seed) |> allOf

/// Float32 against Float64 with respect to each operand and to all of them.
let float32OfCase (c: OpCase) : Property =
    List.zip (targets DType.Float32 true c) (targets DType.Float64 true c)
    |> List.map (float32AgreesWithFloat64 c.Tol c.Seed)
    |> allOf
