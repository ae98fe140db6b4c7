/// NaN and the infinities in the kernels and the derivative rules: the SIMD kernels at every length
/// and every position of a special value (vector body and scalar tail), the scalar rules against the kernels bit for bit
/// at NaN and +-inf, derivatives of every order at NaN (reverse over reverse, forward over reverse, forward over forward),
/// and the empty-slice identities of ReduceMax and ReduceMin.
module Nabla.Properties.NaNProperties

open System
open Xunit
open Nabla.Core
open Nabla.Properties.TestData

let private dtypes = [ DType.Float32; DType.Float64 ]

/// Lengths around the vector widths (8 float32 or 4 float64 lanes per 256-bit vector): scalar only, whole vectors, a
/// partial last vector.
let private lengths = [ 1; 2; 3; 4; 5; 7; 8; 9; 12; 15; 16; 17; 23; 33; 40 ]

let private specials = [ nan; infinity; -infinity ]

/// `n` ordinary values (some negative, one zero) with `special` at position k.
let private withSpecial (n: int) (k: int) (special: float) =
    Array.init n (fun i -> if i = k then special else float (i % 5 - 2) * 0.75)

/// NaN for NaN, the same infinity for an infinity, else within `tol` relative.
let private sameValue (tol: float) (e: float) (a: float) =
    if Double.IsNaN e then Double.IsNaN a
    elif Double.IsInfinity e || e = 0.0 then a = e
    else abs (a - e) <= tol * abs e

let private tolOf (dtype: DType) = if dtype = DType.Float32 then 4e-7 else 1e-15

/// The value as the dtype holds it (a Float32 reference computes in float32 on rounded inputs).
let private inDtype (dtype: DType) (f32: float32 -> float32) (f64: float -> float) (x: float) =
    if dtype = DType.Float32 then float (f32 (float32 x)) else f64 x

// ------------------------------------------------------------------ the SIMD kernels at every length and position

[<Fact>]
let ``Exp, Tanh and Sigmoid kernels give IEEE results for NaN and +-inf at every position of every length, f32 and f64`` () =
    let cases: (string * (Tensor -> Tensor) * (float32 -> float32) * (float -> float)) list =
        [ "Exp", Elementwise.exp, MathF.Exp, Math.Exp
          "Tanh", Elementwise.tanh, MathF.Tanh, Math.Tanh
          "Sigmoid", Elementwise.sigmoid, Elementwise.Kernels.sigmoidF32, Elementwise.Kernels.sigmoidF64 ]
    for name, op, f32, f64 in cases do
        for dtype in dtypes do
            for n in lengths do
                for k in 0 .. n - 1 do
                    for special in specials do
                        let xs = withSpecial n k special
                        let ys = values (op (tensorAs dtype [| n |] xs))
                        let tol = if name = "Exp" && dtype = DType.Float64 then 5e-16 elif dtype = DType.Float32 then 3e-7 else 1e-15
                        for i in 0 .. n - 1 do
                            let e = inDtype dtype f32 f64 xs.[i]
                            Assert.True(sameValue tol e ys.[i], sprintf "%s %A n=%d, %g at %d: element %d is %.9g, expected %.9g" name dtype n special k i ys.[i] e)

[<Fact>]
let ``Relu keeps a NaN's bits and clears everything else <= 0, at every position of every length, f32 and f64`` () =
    for dtype in dtypes do
        for n in lengths do
            for k in 0 .. n - 1 do
                for special in specials @ [ -0.0 ] do
                    let xs = withSpecial n k special
                    let x = tensorAs dtype [| n |] xs
                    let y = values (Elementwise.relu x)
                    for i in 0 .. n - 1 do
                        let ok =
                            if Double.IsNaN xs.[i] then Double.IsNaN y.[i]
                            elif xs.[i] > 0.0 then y.[i] = inDtype dtype id id xs.[i]
                            else y.[i] = 0.0 && not (Double.IsNegative y.[i])
                        Assert.True(ok, sprintf "relu %A n=%d, %g at %d: element %d of %A is %g" dtype n special k i xs.[i] y.[i])
                    // the NaN that comes out is the NaN that went in (its payload), as TensorPrimitives' own maps
                    if Double.IsNaN special then
                        let bitsIn, bitsOut =
                            match x.Raw.Data, (Elementwise.relu x).Raw.Data with
                            | (:? (float32[]) as a), (:? (float32[]) as b) -> int64 (BitConverter.SingleToInt32Bits a.[k]), int64 (BitConverter.SingleToInt32Bits b.[k])
                            | (:? (float[]) as a), (:? (float[]) as b) -> BitConverter.DoubleToInt64Bits a.[k], BitConverter.DoubleToInt64Bits b.[k]
                            | _ -> failwith "float data"
                        Assert.Equal(bitsIn, bitsOut)

[<Fact>]
let ``ReluGrad's fused kernel gives NaN where x is NaN, g where x > 0 and 0 elsewhere, at every position of every length`` () =
    for dtype in dtypes do
        for n in lengths do
            for k in 0 .. n - 1 do
                for special in specials do
                    let xs = withSpecial n k special
                    let gs = Array.init n (fun i -> 1.0 + float i)
                    let r = values (Elementwise.reluGrad (tensorAs dtype [| n |] xs).Raw (tensorAs dtype [| n |] gs))
                    for i in 0 .. n - 1 do
                        let e = if Double.IsNaN xs.[i] then nan elif xs.[i] > 0.0 then gs.[i] else 0.0
                        Assert.True(sameValue 0.0 e r.[i], sprintf "reluGrad %A n=%d, %g at %d: element %d is %g, expected %g" dtype n special k i r.[i] e)

[<Fact>]
let ``ZeroOrNaN is NaN exactly where x is NaN and +0 elsewhere, infinities included, at every length`` () =
    for dtype in dtypes do
        for n in lengths do
            for k in 0 .. n - 1 do
                for special in specials do
                    let xs = withSpecial n k special
                    let r = values (Elementwise.zeroOrNaN (tensorAs dtype [| n |] xs))
                    for i in 0 .. n - 1 do
                        let ok = if Double.IsNaN xs.[i] then Double.IsNaN r.[i] else r.[i] = 0.0 && not (Double.IsNegative r.[i])
                        Assert.True(ok, sprintf "zeroOrNaN %A n=%d, %g at %d: element %d is %g" dtype n special k i r.[i])

// ------------------------------------------------------------------ scalar rules against kernels at NaN and +-inf

let private bits (t: Tensor) = values t |> Array.map BitConverter.DoubleToInt64Bits

/// Rank-0 values and gradients (the primitives' scalar rules and inline nodes) agree bit for bit with shape [1] ones (the
/// kernels and tensor rules) at NaN and at the infinities, and a NaN input gives a NaN value and (unless the derivative
/// is a constant) a NaN gradient: for every element-wise map of the op table (the `unary` rows of Cases.all).
[<Fact>]
let ``scalar rules agree with the kernels bit for bit at NaN and +-inf, and a NaN input has a NaN value and gradient`` () =
    let ops = [ for row in Cases.all do
                    match row.Elementwise with
                    | Some op -> row.Name, op, row.NaNGradient
                    | None -> () ]
    Assert.NotEmpty ops
    for dtype in dtypes do
        for name, op, nanGradient in ops do
            for x0 in specials do
                let at (shape: int[]) = tensorAs dtype shape (Array.create (Shape.size shape) x0)
                let f (x: Tensor) = Elementwise.mul (op x) (tensorAs dtype x.Shape (Array.create x.Size 1.5))
                for what, g in [ "value", f; "gradient", Derivatives.grad f ] do
                    let s, v = g (at [||]), g (at [| 1 |])
                    Assert.True((bits s = bits v), sprintf "%s %A %s at %g: rank 0 %A, shape [1] %A" name dtype what x0 (values s) (values v))
                    if Double.IsNaN x0 && (what = "value" || nanGradient) then
                        Assert.True(Double.IsNaN (values s).[0], sprintf "%s %A %s at NaN: %A" name dtype what (values s))

[<Fact>]
let ``Log1p of +inf is +inf (not inf / inf), of -1 is -inf and below -1 is NaN, in the kernel and the scalar rule`` () =
    for dtype in dtypes do
        for shape in [ [||]; [| 1 |]; [| 9 |] ] do
            let at (v: float) = Elementwise.log1p (tensorAs dtype shape (Array.create (Shape.size shape) v))
            Assert.True(values (at infinity) |> Array.forall ((=) infinity), sprintf "%A %A: %A" dtype shape (values (at infinity)))
            Assert.True(values (at -1.0) |> Array.forall ((=) -infinity))
            Assert.True(values (at -2.0) |> Array.forall Double.IsNaN)
    Assert.Equal(infinity, Elementwise.Kernels.log1pF64 infinity)
    Assert.Equal(infinityf, Elementwise.Kernels.log1pF32 infinityf)

// ------------------------------------------------------------------ derivatives of every order at NaN

/// Second derivatives at a NaN input, three ways: the Hessian (forward over reverse, hvp), reverse over reverse, and
/// forward over forward (diffn 2, which runs the JVP rules' own derivatives). Each must be NaN at the NaN element.
let private secondDerivativesAtNaN (name: string) (f: Tensor -> Tensor) (dtype: DType) (xs: float[]) (nanAt: int list) =
    let x = tensorAs dtype [| xs.Length |] xs
    let ones = Combinators.onesLike x
    let scalarF (t: Tensor) = Reductions.sum null false (f t)
    let hvp = values (Derivatives.hvp scalarF x ones)
    let rr = values (Derivatives.grad (fun t -> Reductions.sum null false (Derivatives.grad scalarF t)) x)
    let ff = values (Derivatives.diffn 2 (fun t -> f t) x)
    for what, r in [ "hvp", hvp; "reverse over reverse", rr; "forward over forward", ff ] do
        for i in nanAt do
            Assert.True(Double.IsNaN r.[i], sprintf "%s %A %s: element %d is %g, expected NaN (%A)" name dtype what i r.[i] r)
    hvp, rr, ff

[<Fact>]
let ``second derivatives of Relu, Abs and Sign are NaN at a NaN and 0 elsewhere, every mode`` () =
    for dtype in dtypes do
        let xs = [| nan; -1.0; 2.0; 0.5; -3.0; nan; 1.0; 4.0; -0.5 |]
        for name, f in [ "Relu", Elementwise.relu; "Abs", Elementwise.abs; "Sign", Elementwise.sign ] do
            let hvp, rr, ff = secondDerivativesAtNaN name f dtype xs [ 0; 5 ]
            for what, r in [ "hvp", hvp; "reverse over reverse", rr; "forward over forward", ff ] do
                for i in [ 1; 2; 3; 4; 6; 7; 8 ] do
                    Assert.True(r.[i] = 0.0, sprintf "%s %A %s: element %d is %g, expected 0" name dtype what i r.[i])

[<Fact>]
let ``second derivatives of Maximum, Minimum, ClipByValue and Pow are NaN where an operand is NaN, every mode`` () =
    for dtype in dtypes do
        let xs = [| nan; -1.0; 2.0; 0.5 |]
        let c (v: float) = tensorAs dtype [| 4 |] (Array.create 4 v)
        let loWithNaN = tensorAs dtype [| 4 |] [| 0.0; nan; 0.0; 0.0 |]
        let cases: (string * (Tensor -> Tensor) * int list) list =
            [ "Maximum(x, 1)", (fun x -> Elementwise.maximum x (c 1.0)), [ 0 ]
              "Minimum(1, x)", (fun x -> Elementwise.minimum (c 1.0) x), [ 0 ]
              "Maximum(x, x^2)", (fun x -> Elementwise.maximum x (Elementwise.square x)), [ 0 ]
              "ClipByValue(x, lo with NaN, 1)", (fun x -> Elementwise.clipByValue x loWithNaN (c 1.0)), [ 0; 1 ]
              "Pow(x, 1)", (fun x -> Elementwise.pow x (c 1.0)), [ 0 ]
              "Pow(x, 0)", (fun x -> Elementwise.pow x (c 0.0)), [ 0 ] ]
        for name, f, nanAt in cases do secondDerivativesAtNaN name f dtype xs nanAt |> ignore

[<Fact>]
let ``second derivatives of ReduceMax and ReduceMin are NaN across a slice holding a NaN, every mode`` () =
    for dtype in dtypes do
        let x = tensorAs dtype [| 2; 3 |] [| 1.0; nan; 3.0; 1.0; 2.0; 2.0 |]
        for name, f in [ "ReduceMax", Reductions.reduceMax [| 1 |] false; "ReduceMin", Reductions.reduceMin [| 1 |] false ] do
            let scalarF (t: Tensor) = Reductions.sum null false (f t)
            let hvp = values (Derivatives.hvp scalarF x (Combinators.onesLike x))
            let rr = values (Derivatives.grad (fun t -> Reductions.sum null false (Derivatives.grad scalarF t)) x)
            let ff = values (Derivatives.diffn 2 f x)
            for what, r, nanAt in [ "hvp", hvp, [ 0; 1; 2 ]; "reverse over reverse", rr, [ 0; 1; 2 ]; "forward over forward", ff, [ 0 ] ] do
                for i in 0 .. r.Length - 1 do
                    let ok = if List.contains i nanAt then Double.IsNaN r.[i] else r.[i] = 0.0
                    Assert.True(ok, sprintf "%s %A %s: element %d is %g (%A)" name dtype what i r.[i] r)

[<Fact>]
let ``the JVP of Relu, Sign and Maximum at a NaN is NaN, and forward over reverse agrees with reverse over forward`` () =
    for dtype in dtypes do
        let x = tensorAs dtype [| 3 |] [| nan; 1.0; -1.0 |]
        let v = tensorAs dtype [| 3 |] [| 1.0; 2.0; 3.0 |]
        for name, f in [ "Relu", Elementwise.relu; "Sign", Elementwise.sign; "Maximum", (fun t -> Elementwise.maximum t (Elementwise.neg t)) ] do
            let _, t = Derivatives.jvp f x v
            Assert.True(Double.IsNaN (values t).[0], sprintf "%s %A tangent %A" name dtype (values t))
            // reverse over forward: the gradient of the tangent's sum
            let rof = values (Derivatives.grad (fun t -> Reductions.sum null false (snd (Derivatives.jvp f t v))) x)
            let forr = values (Derivatives.hvp (fun t -> Reductions.sum null false (Elementwise.mul (f t) v)) x (Combinators.onesLike x))
            Assert.True(Double.IsNaN rof.[0] && Double.IsNaN forr.[0], sprintf "%s %A: reverse over forward %A, forward over reverse %A" name dtype rof forr)

// ------------------------------------------------------------------ ReduceMax and ReduceMin of empty slices

[<Fact>]
let ``ReduceMax and ReduceMin kernels give the identity for empty slices in every dtype and keep the reduced shape`` () =
    let cases =
        [ DType.Float32, -infinity, infinity
          DType.Float64, -infinity, infinity
          DType.Int32, float Int32.MinValue, float Int32.MaxValue
          DType.Int64, float Int64.MinValue, float Int64.MaxValue ]
    for dtype, lowest, highest in cases do
        let x = Storage.zeros dtype [| 3; 0; 2 |]
        for keepDims in [ false; true ] do
            let mx = Reductions.Kernels.reduceMax [| 1 |] keepDims x
            let mn = Reductions.Kernels.reduceMin [| 1 |] keepDims x
            Assert.Equal<int[]>((if keepDims then [| 3; 1; 2 |] else [| 3; 2 |]), mx.Shape)
            Assert.Equal(dtype, mx.DType)
            Assert.True(Storage.toDoubles mx |> Array.forall ((=) lowest), sprintf "%A max %A" dtype (Storage.toDoubles mx))
            Assert.True(Storage.toDoubles mn |> Array.forall ((=) highest), sprintf "%A min %A" dtype (Storage.toDoubles mn))
            // over every axis: one identity; over a non-empty axis only: an empty result
            Assert.Equal(1, (Reductions.Kernels.reduceMax [| 0; 1; 2 |] keepDims x).Size)
            Assert.Equal(0, (Reductions.Kernels.reduceMin [| 2 |] keepDims x).Size)
        match (Reductions.Kernels.reduceMax [| 1 |] false x).Data, (Reductions.Kernels.reduceMin [| 1 |] false x).Data with
        | (:? (int64[]) as a), (:? (int64[]) as b) -> Assert.True(a |> Array.forall ((=) Int64.MinValue) && b |> Array.forall ((=) Int64.MaxValue))
        | _ -> ()

[<Fact>]
let ``ReduceMax and ReduceMin of an empty slice have empty gradients and zero tangents, at first and second order`` () =
    for dtype in dtypes do
        let x = tensorAs dtype [| 2; 0 |] [||]
        for f in [ Reductions.reduceMax [| 1 |] false; Reductions.reduceMin [| 1 |] true; Reductions.reduceMax null false ] do
            let g = Derivatives.grad (fun t -> Reductions.sum null false (f t)) x
            Assert.Equal<int[]>([| 2; 0 |], g.Shape)
            let y, t = Derivatives.jvp f x (Combinators.onesLike x)
            Assert.True(values y |> Array.forall Double.IsInfinity)
            Assert.True(values t |> Array.forall ((=) 0.0), sprintf "%A tangent %A" dtype (values t))
            Assert.Equal<int[]>([| 2; 0 |], (Derivatives.hvp (fun t -> Reductions.sum null false (f t)) x (Combinators.onesLike x)).Shape)
