/// Named regression tests for the classic AD failures, each citing where it comes from, and the
/// derivative API checked against analytic results.
module Nabla.Properties.RegressionTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances

/// Analytic results against AD: only rounding separates them.
let private analytic = { RTol = 1e-10; ATol = 1e-12 }

let private agree label expected actual = Tolerances.agree label analytic expected actual

let private assertClose (what: string) (tol: Tol) (expected: float[]) (actual: float[]) =
    let scale = 1.0 + (expected |> Array.fold (fun m v -> max m (abs v)) 0.0)
    Assert.True(expected.Length = actual.Length, sprintf "%s: expected %d values, got %d" what expected.Length actual.Length)
    Array.iteri2 (fun i e a ->
        Assert.True(abs (a - e) <= tol.RTol * max (abs a) (abs e) + tol.ATol * scale,
                    sprintf "%s: at %d expected %.17g, got %.17g" what i e a)) expected actual

/// The two first-order derivative operators of a scalar function, by mode.
let private forward (f: Tensor -> Tensor) (x: Tensor) = Derivatives.diff f x
let private reverse (f: Tensor -> Tensor) (x: Tensor) = Derivatives.grad f x
let private modes = [ "forward", forward; "reverse", reverse ]

// ------------------------------------------------------------------ perturbation confusion

/// Siskind & Pearlmutter, "Perturbation confusion and referential transparency: correct
/// functional implementation of forward-mode AD" (IFL 2005): d/dx (x * d/dy (x + y)) = 1.
/// An implementation that confuses the two perturbations answers 2.
[<Property(MaxTest = 50)>]
let ``perturbation confusion: d/dx (x * d/dy (x + y)) = 1 in every mode mix`` () =
    Prop.forAll (Arb.fromGen (Gen.two anywhere)) (fun (x0, y0) ->
        allOf
            [ for outerName, outer in modes do
                for innerName, inner in modes do
                    let d = outer (fun x -> Elementwise.mul x (inner (fun y -> Combinators.add x y) (scalar y0))) (scalar x0)
                    yield agree (sprintf "%s-in-%s" innerName outerName) [| 1.0 |] (values d) ])

/// The same paper's point with a product inside: d/dx (x * d/dy (x * y)) = d/dx x^2 = 2x
/// (a confused implementation mixes the y-perturbation into x and gets a different value).
[<Property(MaxTest = 50)>]
let ``perturbation confusion: d/dx (x * d/dy (x * y)) = 2x in every mode mix`` () =
    Prop.forAll (Arb.fromGen (Gen.two anywhere)) (fun (x0, y0) ->
        allOf
            [ for outerName, outer in modes do
                for innerName, inner in modes do
                    let d = outer (fun x -> Elementwise.mul x (inner (fun y -> Elementwise.mul x y) (scalar y0))) (scalar x0)
                    yield agree (sprintf "%s-in-%s" innerName outerName) [| 2.0 * x0 |] (values d) ])

/// Nesting through the higher-level API: the Hessian of x -> x * d/dy (x * y) at any y is 2, and
/// the inner derivative sees x as a constant even though x is perturbed by two outer transforms.
[<Property(MaxTest = 30)>]
let ``perturbation confusion: hessian of x * d/dy (x * y) = 2`` () =
    Prop.forAll (Arb.fromGen (Gen.two anywhere)) (fun (x0, y0) ->
        let f (x: Tensor) = Elementwise.mul x (Derivatives.grad (fun y -> Elementwise.mul x y) (scalar y0))
        allOf
            [ agree "hessian (forward-over-reverse), inner reverse" [| 2.0 |] (values (Derivatives.hessian f (scalar x0)))
              agree "diffn 2, inner reverse" [| 2.0 |] (values (Derivatives.diffn 2 f (scalar x0))) ])

// ------------------------------------------------------------------ reused intermediates

/// A non-leaf used twice (PyTorch's and DiffSharp's classic accumulation bug): b = a + a;
/// c = b * b, so dc/da = 2 b * 2 = 8a, in both modes and one order up (d2c/da2 = 8).
[<Property(MaxTest = 50)>]
let ``reused intermediate: b = a + a; c = b * b has gradient 8a`` () =
    Prop.forAll (Arb.fromGen (gen { let! s = genShape in return! genData anywhere s |> Gen.map (fun d -> s, d) })) (fun (shape, data) ->
        let a = tensor shape data
        let f (a: Tensor) = let b = Combinators.add a a in Elementwise.mul b b
        let v = like a (directions 17 1 a.Size)
        allOf
            [ agree "reverse (grad of sum)" (data |> Array.map (fun x -> 8.0 * x)) (values (Derivatives.grad f a))
              agree "forward (jvp along v)" (Array.map2 (fun x d -> 8.0 * x * d) data (values v)) (values (snd (Derivatives.jvp f a v)))
              agree "reverse-over-reverse (H v = 8 v)" (values v |> Array.map ((*) 8.0))
                    (values (Derivatives.grad (fun a -> Reductions.sum null false (Elementwise.mul (Derivatives.grad f a) v)) a))
              agree "forward-over-reverse (hvp = 8 v)" (values v |> Array.map ((*) 8.0)) (values (Derivatives.hvp f a v)) ])

/// STYLE.md's case: b = a + a; c = b + b, so dc/da = 4 everywhere; also through vjp with a
/// random cotangent (each adjoint must be accumulated exactly once per use).
[<Property(MaxTest = 50)>]
let ``reused intermediate: b = a + a; c = b + b has gradient 4`` () =
    Prop.forAll (Arb.fromGen (gen { let! s = genShape in return! genData anywhere s |> Gen.map (fun d -> s, d) })) (fun (shape, data) ->
        let a = tensor shape data
        let f (a: Tensor) = let b = Combinators.add a a in Combinators.add b b
        let c = directions 23 1 a.Size
        let _, pullback = Derivatives.vjp f a
        allOf
            [ agree "reverse (grad of sum)" (Array.create a.Size 4.0) (values (Derivatives.grad f a))
              agree "forward (diff)" (Array.create a.Size 4.0) (values (Derivatives.diff f a))
              agree "vjp with cotangent c = 4 c" (c |> Array.map ((*) 4.0)) (values (pullback (like a c))) ])

/// DESIGN.md: adjoints live in the sweep, not in the nodes, so one recorded graph serves several
/// sweeps. A pullback called twice gives the same result, and is linear in the cotangent.
[<Property(MaxTest = 50)>]
let ``one recorded graph serves several sweeps`` () =
    Prop.forAll (Arb.fromGen (gen { let! s = genShape in return! genData anywhere s |> Gen.map (fun d -> s, d) })) (fun (shape, data) ->
        let a = tensor shape data
        let f (a: Tensor) = let b = Elementwise.sin a in Elementwise.mul b (Combinators.add b a)
        let _, pullback = Derivatives.vjp f a
        let c1, c2 = directions 29 1 a.Size, directions 29 2 a.Size
        let first = values (pullback (like a c1))
        let again = values (pullback (like a c1))
        let other = values (pullback (like a c2))
        let sum = values (pullback (like a (Array.map2 (+) c1 c2)))
        allOf
            [ agree "same cotangent, second sweep" first again
              agree "linear in the cotangent" (Array.map2 (+) first other) sum ])

// ------------------------------------------------------------------ a deep chain

/// DESIGN.md, "Reverse sweep": iterative, never recursive. y <- y * a + b, 10^6 times from x:
/// y = a^n x + b (1 - a^n) / (1 - a) and dy/dx = a^n (= 0.999999^(10^6), about 1/e).
/// Tolerance: relative 1e-8 (10^6 roundings of about 1e-16 each).
[<Fact>]
let ``deep chain: grad through 10^6 scalar steps does not overflow the stack`` () =
    let n = 1_000_000
    let a, b, x0 = 0.999999, 1e-6, 0.25
    let ta, tb = scalar a, scalar b
    let f (x: Tensor) =
        let mutable y = x
        for _ in 1..n do
            y <- Combinators.add (Elementwise.mul y ta) tb
        y
    let an = Math.Pow(a, float n)
    let chainTol = { RTol = 1e-8; ATol = 1e-12 }
    let value, gradient = Derivatives.valueAndGrad f (scalar x0)
    assertClose "value" chainTol [| an * x0 + b * (1.0 - an) / (1.0 - a) |] (values value)
    assertClose "reverse derivative" chainTol [| an |] (values gradient)
    assertClose "forward derivative" chainTol [| an |] (values (Derivatives.diff f (scalar x0)))

// ------------------------------------------------------------------ the derivative API against analytic results

/// d2/dxi dxj sum(exp(x * x)) = delta_ij exp(xi^2) (2 + 4 xi^2), shaped x.Shape ++ x.Shape.
[<Property(MaxTest = 50)>]
let ``hessian of sum(exp(x * x)) is diagonal exp(x^2) (2 + 4 x^2)`` () =
    let genCase = gen {
        let! shape = Gen.elements [ [| 3 |]; [| 2; 2 |]; [| 1; 3 |] ]
        let! data = genData (genIn -1.0 1.0) shape
        return shape, data }
    Prop.forAll (Arb.fromGen genCase) (fun (shape, data) ->
        let x = tensor shape data
        let h = Derivatives.hessian (fun x -> Reductions.sum null false (Elementwise.exp (Elementwise.mul x x))) x
        let n = data.Length
        let expected = Array.init (n * n) (fun k -> let i, j = k / n, k % n in if i = j then exp (data.[i] ** 2.0) * (2.0 + 4.0 * data.[i] ** 2.0) else 0.0)
        allOf
            [ Prop.label (sprintf "shape %s = x.Shape ++ x.Shape" (Shape.format h.Shape)) (Shape.equal h.Shape (Array.append shape shape))
              agree "entries" expected (values h) ])

/// A non-separable Hessian: f(x) = sum(x * (A x)) for x of shape [n; 1] has H = A + A^T.
[<Property(MaxTest = 50)>]
let ``hessian of the quadratic form x^T A x is A + A^T`` () =
    let genCase = gen {
        let! n = Gen.choose (1, 4)
        let! a = genData anywhere [| n; n |]
        let! x = genData anywhere [| n; 1 |]
        return n, a, x }
    Prop.forAll (Arb.fromGen genCase) (fun (n, aData, xData) ->
        let a = tensor [| n; n |] aData
        let h = Derivatives.hessian (fun x -> Reductions.sum null false (Elementwise.mul x (Products.matmul false false a x))) (tensor [| n; 1 |] xData)
        let expected = Array.init (n * n) (fun k -> let i, j = k / n, k % n in aData.[i * n + j] + aData.[j * n + i])
        allOf
            [ Prop.label (sprintf "shape %s = [n; 1; n; 1]" (Shape.format h.Shape)) (Shape.equal h.Shape [| n; 1; n; 1 |])
              agree "entries" expected (values h) ])

/// diffn n sin cycles through cos, -sin, -cos, sin; in particular diffn 3 sin = -cos.
[<Property(MaxTest = 50)>]
let ``diffn 3 sin = -cos, and the cycle of derivatives of sin`` () =
    Prop.forAll (Arb.fromGen (genData (genIn -4.0 4.0) [| 3 |])) (fun data ->
        let x = tensor [| 3 |] data
        let expected =
            [| Array.map sin data; Array.map cos data; Array.map (sin >> (~-)) data; Array.map (cos >> (~-)) data; Array.map sin data |]
        allOf
            [ for k in 0..4 ->
                agree (sprintf "diffn %d sin" k) expected.[k] (values (Derivatives.diffn k Elementwise.sin x)) ])

/// The Jacobian in the other mode, built from basis vectors: forward columns or reverse rows,
/// laid out f(x).Shape ++ x.Shape, row-major.
let private jacobianByForward (f: Tensor -> Tensor) (x: Tensor) =
    let n = x.Size
    let cols = Array.init n (fun j -> values (snd (Derivatives.jvp f x (basis x j))))
    let m = cols.[0].Length
    Array.init (m * n) (fun k -> cols.[k % n].[k / n])

let private jacobianByReverse (f: Tensor -> Tensor) (x: Tensor) =
    let y, pullback = Derivatives.vjp f x
    Array.init y.Size (fun i -> values (pullback (basis y i))) |> Array.concat

/// More outputs than inputs (jacobian takes forward mode): f(x)_ij = sin(c_i x_j) exp(x_j), x of
/// shape [2], out [3; 2]; J_ijk = delta_jk (c_i cos(c_i x_j) + sin(c_i x_j)) exp(x_j).
[<Property(MaxTest = 50)>]
let ``jacobian with more outputs than inputs: forward = reverse = analytic, shaped out ++ in`` () =
    Prop.forAll (Arb.fromGen (Gen.two (genData anywhere [| 3 |]))) (fun (cData, xData) ->
        let xData = xData.[0..1]
        let c = tensor [| 3; 1 |] cData
        let f (x: Tensor) = Elementwise.mul (Elementwise.sin (Elementwise.mul c x)) (Elementwise.exp x)
        let x = tensor [| 2 |] xData
        let j = Derivatives.jacobian f x
        let expected =
            Array.init 12 (fun k ->
                let i, jj, kk = k / 4, (k / 2) % 2, k % 2
                if jj <> kk then 0.0
                else (cData.[i] * cos (cData.[i] * xData.[jj]) + sin (cData.[i] * xData.[jj])) * exp xData.[jj])
        allOf
            [ Prop.label (sprintf "shape %s = [3; 2; 2]" (Shape.format j.Shape)) (Shape.equal j.Shape [| 3; 2; 2 |])
              agree "jacobian = analytic" expected (values j)
              agree "jacobian = reverse-mode rows" (jacobianByReverse f x) (values j)
              agree "jacobian = forward-mode columns" (jacobianByForward f x) (values j) ])

/// Fewer outputs than inputs (jacobian takes reverse mode): f(x)_i = sum_k x_ik^3 + tanh(x_i0 x_i2),
/// x of shape [2; 3], out [2]; checked against the forward-mode Jacobian and analytic values.
[<Property(MaxTest = 50)>]
let ``jacobian with fewer outputs than inputs: reverse = forward = analytic, shaped out ++ in`` () =
    Prop.forAll (Arb.fromGen (genData anywhere [| 2; 3 |])) (fun xData ->
        let x = tensor [| 2; 3 |] xData
        let f (x: Tensor) =
            let cubes = Reductions.sum [| -1 |] false (Elementwise.mul x (Elementwise.mul x x))
            let first = Layout.reshape [| 2 |] (Layout.slice [| 0; 0 |] [| 2; 1 |] x)
            let last = Layout.reshape [| 2 |] (Layout.slice [| 0; 2 |] [| 2; 1 |] x)
            Combinators.add cubes (Elementwise.tanh (Elementwise.mul first last))
        let j = Derivatives.jacobian f x
        let expected =
            Array.init 12 (fun k ->
                let i, r, col = k / 6, (k % 6) / 3, k % 3
                if i <> r then 0.0
                else
                    let x0, x2 = xData.[i * 3], xData.[i * 3 + 2]
                    let sech2 = 1.0 - tanh (x0 * x2) ** 2.0
                    3.0 * xData.[i * 3 + col] ** 2.0
                    + (if col = 0 then sech2 * x2 elif col = 2 then sech2 * x0 else 0.0))
        allOf
            [ Prop.label (sprintf "shape %s = [2; 2; 3]" (Shape.format j.Shape)) (Shape.equal j.Shape [| 2; 2; 3 |])
              agree "jacobian = analytic" expected (values j)
              agree "jacobian = forward-mode columns" (jacobianByForward f x) (values j)
              agree "jacobian = reverse-mode rows" (jacobianByReverse f x) (values j) ])
