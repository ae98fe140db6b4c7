/// The ops with no derivative, checked for their values (and dtypes, shapes) against the naive references: the six
/// comparisons on every numeric dtype (Bool results that carry no derivative), the integer kernels of the element-wise
/// ops and reductions, integer means, ArgMax and ArgMin, and the creation kernels (Range, Linspace, Eye, OneHot). They
/// sample several ops and dtypes per property on integer grids with ties, which the op table's rows (Cases.fs, Float64
/// values inside a differentiable domain) do not describe.
module Nabla.Properties.ValueOnlyProperties

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances

/// Samples per property (as the op table's rows).
[<Literal>]
let Runs = 200

// ------------------------------------------------------------------ comparisons and integer kernels: values only

/// Six comparisons with broadcasting on every numeric dtype, values from a small grid so ties are
/// frequent: the result is Bool, has the broadcast shape and the reference values, and carries no
/// derivative (inside jvp and vjp it is neither a dual number nor a recorded node, and differentiating
/// through it gives zeros).
[<Property(MaxTest = Runs)>]
let ``Comparisons (broadcasting, every numeric dtype, ties): values, Bool, no derivative`` () =
    let comparisons =
        [ "Equal", Elementwise.equal, (=)
          "NotEqual", Elementwise.notEqual, (<>)
          "Greater", Elementwise.greater, (>)
          "GreaterEqual", Elementwise.greaterEqual, (>=)
          "Less", Elementwise.less, (<)
          "LessEqual", Elementwise.lessEqual, (<=) ]
    let gen =
        gen {
            let! sa, sb = genBroadcastPair
            let! dtype = Gen.elements [ DType.Float32; DType.Float64; DType.Int32; DType.Int64 ]
            let grid = Gen.choose (-2, 2) |> Gen.map (fun i -> if dtype = DType.Int32 || dtype = DType.Int64 then float i else 0.5 * float i)
            let! a = genData grid sa
            let! b = genData grid sb
            let! which = Gen.choose (0, comparisons.Length - 1)
            return sa, a, sb, b, dtype, which
        }
    Prop.forAll (Arb.fromGen gen) (fun (sa, a, sb, b, dtype, which) ->
        let name, op, f = comparisons.[which]
        let ta, tb = tensorAs dtype sa a, tensorAs dtype sb b
        let y = op ta tb
        let shape, expected = Reference.map2 (fun x y -> if f x y then 1.0 else 0.0) (sa, a) (sb, b)
        let label s = sprintf "%s on %A: %s" name dtype s
        let valueProps =
            [ holds (label (sprintf "dtype Bool (got %A)" y.DType)) (y.DType = DType.Bool)
              holds (label (sprintf "shape %s (got %s)" (Shape.format shape) (Shape.format y.Shape))) (Shape.equal y.Shape shape)
              agree (label "values") { RTol = 0.0; ATol = 0.0 } expected (values y) ]
        let derivativeProps =
            if dtype = DType.Float32 || dtype = DType.Float64 then
                let traced = ref false
                let g (x: Tensor) =
                    let c = op x tb
                    traced.Value <- traced.Value || c.IsDual || c.IsNode
                    Elementwise.mul (Elementwise.cast dtype c) x
                let t = like ta (directions 1 1 ta.Size)
                let _, tangent = Derivatives.jvp g ta t
                let _, pullback = Derivatives.vjp g ta
                let cot = tensorAs dtype shape (directions 1 2 (Shape.size shape))
                let cotangent = pullback cot
                // d(c * x) with c constant: c t forward, and the cotangent times c summed back to x's shape in reverse.
                let tol = if dtype = DType.Float32 then defaultTolerances.Float32 else defaultTolerances.Ad
                [ holds (label "not traced inside jvp or vjp") (not traced.Value)
                  agree (label "jvp of cast(cmp x b) * x = cmp * t") tol
                        (snd (Reference.map2 (*) (shape, expected) (sa, values t))) (values tangent)
                  agree (label "vjp of cast(cmp x b) * x = sumTo(cmp * c)") tol
                        (snd (Reference.sumTo sa (shape, Array.map2 (*) expected (values cot)))) (values cotangent) ]
            else []
        allOf (valueProps @ derivativeProps))

/// Integer tensors flow through the element-wise ops and reductions with their own kernels (no
/// derivative): Int32 and Int64 values in [-4, 4] (exponents in [0, 3]), exact against the reference,
/// dtype kept.
[<Property(MaxTest = Runs)>]
let ``Integer dtypes: Abs, Sign, Relu, Square, Maximum, Minimum, Pow, ReduceMax, ReduceMin, ReduceProd by value`` () =
    let gen =
        gen {
            let! sa, sb = genBroadcastPair
            let! dtype = Gen.elements [ DType.Int32; DType.Int64 ]
            let! a = Gen.arrayOfLength (Shape.size sa) (Gen.choose (-4, 4) |> Gen.map float)
            let! b = Gen.arrayOfLength (Shape.size sb) (Gen.choose (0, 3) |> Gen.map float)
            let! axes = genAxes sa.Length
            let! keepDims = genBool
            return sa, a, sb, b, dtype, axes, keepDims
        }
    Prop.forAll (Arb.fromGen gen) (fun (sa, a, sb, b, dtype, axes, keepDims) ->
        let ta, tb = tensorAs dtype sa a, tensorAs dtype sb b
        let cases =
            [ "Abs", Elementwise.abs ta, Reference.map abs (sa, a)
              "Sign", Elementwise.sign ta, Reference.map (fun v -> float (sign v)) (sa, a)
              "Relu", Elementwise.relu ta, Reference.map (fun v -> max v 0.0) (sa, a)
              "Square", Elementwise.squareAny ta, Reference.map (fun v -> v * v) (sa, a)
              "Maximum", Elementwise.maximum ta tb, Reference.map2 max (sa, a) (sb, b)
              "Minimum", Elementwise.minimum ta tb, Reference.map2 min (sa, a) (sb, b)
              "Pow", Elementwise.pow ta tb, Reference.map2 (fun x y -> Math.Pow(x, y)) (sa, a) (sb, b)
              sprintf "ReduceMax axes=%s keepDims=%b" (formatAxes axes) keepDims, Reductions.reduceMax axes keepDims ta, Reference.reduceMax axes keepDims (sa, a)
              sprintf "ReduceMin axes=%s keepDims=%b" (formatAxes axes) keepDims, Reductions.reduceMin axes keepDims ta, Reference.reduceMin axes keepDims (sa, a)
              sprintf "ReduceProd axes=%s keepDims=%b" (formatAxes axes) keepDims, Reductions.reduceProd axes keepDims ta, Reference.reduceProd axes keepDims (sa, a) ]
        [ for name, y, (eShape, expected) in cases ->
            let label s = sprintf "%s on %A: %s" name dtype s
            allOf [ holds (label (sprintf "dtype kept (got %A)" y.DType)) (y.DType = dtype)
                    holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                    agree (label "values") { RTol = 0.0; ATol = 0.0 } expected (values y) ] ]
        |> allOf)

// ------------------------------------------------------------------ integer reductions and arg-extremes: values only

/// An integer tensor (Int32 or Int64) of values in [-20, 20] and random axes.
let private genIntegerReduction =
    gen {
        let! shape = genShape
        let! axes = genAxes shape.Length
        let! keepDims = genBool
        let! dtype = Gen.elements [ DType.Int32; DType.Int64 ]
        let! data = Gen.arrayOfLength (Shape.size shape) (Gen.choose (-20, 20) |> Gen.map float)
        return shape, axes, keepDims, dtype, data
    }

/// Integer means truncate toward zero (as TensorFlow's) and keep the integer dtype.
[<Property(MaxTest = Runs)>]
let ``MeanAny on Int32 and Int64 (axes, keepDims): truncated values, dtype kept`` () =
    Prop.forAll (Arb.fromGen genIntegerReduction) (fun (shape, axes, keepDims, dtype, data) ->
        let y = Reductions.meanAny axes keepDims (tensorAs dtype shape data)
        let eShape, expected = Reference.meanTruncated axes keepDims (shape, data)
        allOf [ holds (sprintf "dtype %A (got %A)" dtype y.DType) (y.DType = dtype)
                holds (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape)) (Shape.equal y.Shape eShape)
                agree (sprintf "values (axes %s, keepDims %b)" (formatAxes axes) keepDims) { RTol = 0.0; ATol = 0.0 } expected (values y) ])

/// ArgMax and ArgMin along a random (possibly negative) axis of every numeric dtype, with ties
/// (values from a small grid): the first extreme index, as Int64.
[<Property(MaxTest = Runs)>]
let ``ArgMax and ArgMin (random axis, every numeric dtype, ties): first index, Int64`` () =
    let gen =
        gen {
            let! shape = genShapeOf 1 3 4 16
            let! axis = genAxis shape.Length
            let! dtype = Gen.elements [ DType.Float32; DType.Float64; DType.Int32; DType.Int64 ]
            let! data = Gen.arrayOfLength (Shape.size shape) (Gen.choose (-3, 3) |> Gen.map float)
            return shape, axis, dtype, data
        }
    Prop.forAll (Arb.fromGen gen) (fun (shape, axis, dtype, data) ->
        let x = tensorAs dtype shape data
        [ "ArgMax", Reductions.argMax axis x, Reference.argExtreme true axis (shape, data)
          "ArgMin", Reductions.argMin axis x, Reference.argExtreme false axis (shape, data) ]
        |> List.map (fun (name, y, (eShape, expected)) ->
            let label s = sprintf "%s axis=%d on %A: %s" name axis dtype s
            allOf [ holds (label (sprintf "dtype Int64 (got %A)" y.DType)) (y.DType = DType.Int64)
                    holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                    agree (label "first extreme index") { RTol = 0.0; ATol = 0.0 } expected (values y) ])
        |> allOf)

// ------------------------------------------------------------------ creation kernels: values only

let private allDTypes = [ DType.Float32; DType.Float64; DType.Int32; DType.Int64 ]

let private exactly (label: string) (dtype: DType) (shape: int[]) (expected: float[]) (r: RawTensor) =
    allOf [ holds (sprintf "%s: dtype %A (got %A)" label dtype r.DType) (r.DType = dtype)
            holds (sprintf "%s: shape %s (got %s)" label (Shape.format shape) (Shape.format r.Shape)) (Shape.equal r.Shape shape)
            agree (label + ": values") { RTol = 0.0; ATol = 0.0 } expected (Storage.toDoubles r) ]

/// Range with integer or half-integer start, limit and delta of either sign (so every value is
/// exact): start, start + delta, ... while short of limit, in every numeric dtype (integers with
/// integer parameters only); a delta pointing away from limit throws.
[<Property(MaxTest = Runs)>]
let ``Storage.range: values, length, dtype`` () =
    let gen =
        gen {
            let! dtype = Gen.elements allDTypes
            let step = if dtype = DType.Int32 || dtype = DType.Int64 then 1.0 else 0.5
            let! start = Gen.choose (-10, 10)
            let! limit = Gen.choose (-10, 10)
            let! delta = Gen.elements [ -3; -2; -1; 1; 2; 3 ]
            return dtype, step * float start, step * float limit, step * float delta
        }
    Prop.forAll (Arb.fromGen gen) (fun (dtype, start, limit, delta) ->
        if (delta > 0.0 && start > limit) || (delta < 0.0 && start < limit) then
            // a delta pointing away from limit is an error, as in tf.range
            let threw = try Storage.range start limit delta dtype |> ignore; false with :? System.ArgumentException -> true
            holds (sprintf "Range(%g, %g, %g) throws ArgumentException" start limit delta) threw
        else
        let expected = Seq.initInfinite (fun i -> start + float i * delta) |> Seq.takeWhile (fun v -> if delta > 0.0 then v < limit else v > limit) |> Array.ofSeq
        exactly (sprintf "Range(%g, %g, %g)" start limit delta) dtype [| expected.Length |] expected (Storage.range start limit delta dtype))

/// Linspace: num values from start to stop, both ends exact, evenly spaced (Float64 to rounding; Float32
/// within relative 1e-6 of the Float64 values).
[<Property(MaxTest = Runs)>]
let ``Storage.linspace: values, length, ends exact`` () =
    let gen = Gen.zip3 (genIn -5.0 5.0) (genIn -5.0 5.0) (Gen.choose (0, 7))
    Prop.forAll (Arb.fromGen gen) (fun (start, stop, num) ->
        let expected = Array.init num (fun i -> if num = 1 then start else start + (stop - start) * float i / float (num - 1))
        let label = sprintf "Linspace(%g, %g, %d)" start stop num
        let r64 = Storage.linspace start stop num DType.Float64
        let r32 = Storage.linspace start stop num DType.Float32
        allOf [ holds (label + ": shape") (Shape.equal r64.Shape [| num |] && Shape.equal r32.Shape [| num |])
                holds (label + ": dtypes") (r64.DType = DType.Float64 && r32.DType = DType.Float32)
                agree (label + ": Float64 values") { RTol = 1e-15; ATol = 1e-15 } expected (Storage.toDoubles r64)
                agree (label + ": Float32 values") { RTol = 1e-6; ATol = 1e-7 } expected (Storage.toDoubles r32)
                holds (label + ": first = start, last = stop exactly (Float64)")
                    (num = 0 || (Storage.getDouble r64 0 = start && (num = 1 || Storage.getDouble r64 (num - 1) = stop))) ])

[<Property(MaxTest = 50)>]
let ``Storage.eye: identity of every numeric dtype`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 5)) (Gen.elements allDTypes))) (fun (n, dtype) ->
        exactly (sprintf "Eye(%d)" n) dtype [| n; n |] (Array.init (n * n) (fun i -> if i / n = i % n then 1.0 else 0.0)) (Storage.eye n dtype))

/// OneHot of Int32 or Int64 indices of any rank (including out-of-range ones, which give zero rows)
/// into every numeric dtype.
[<Property(MaxTest = Runs)>]
let ``Storage.oneHot: rows of depth with 1 at each index, zero rows out of range`` () =
    let gen =
        gen {
            let! depth = Gen.choose (0, 4)
            let! shape = genShapeOf 0 2 3 6
            let! idx = Gen.arrayOfLength (Shape.size shape) (Gen.choose (-1, depth))
            let! int64s = genBool
            let! dtype = Gen.elements allDTypes
            return depth, shape, idx, int64s, dtype
        }
    Prop.forAll (Arb.fromGen gen) (fun (depth, shape, idx, int64s, dtype) ->
        let indices = if int64s then Storage.ofArray (Array.copy shape) (Array.map int64 idx :> Array) else Storage.ofArray (Array.copy shape) (Array.copy idx :> Array)
        let expected = Array.init (idx.Length * depth) (fun k -> if idx.[k / depth] = k % depth then 1.0 else 0.0)
        exactly (sprintf "OneHot(%A, depth %d)" idx depth) dtype (Array.append shape [| depth |]) expected (Storage.oneHot indices depth dtype)
        .&. exactly "Nn.oneHot" dtype (Array.append shape [| depth |]) expected (Nn.oneHot depth dtype (Combinators.constant indices)).Raw)
