/// The ops of issue 3 (Nabla.Core.ElementwiseOps, ReduceOps, ShapeOps, NnOps and the creation kernels),
/// through the harness of PrimitiveProperties.fs: for every differentiable op, the Float64 value against
/// a naive reference, forward = reverse = central FD and the inner-product identity (first order), all
/// mode mixes of second derivatives against each other and against FD (second order), and Float32
/// against Float64 (value, jvp, vjp, hvp). Ops with no derivative (comparisons, integer means, argMax,
/// argMin, the creation kernels) are checked for values and dtypes; the NN helpers and log-sum-exp
/// also at logits of +-1e4. Generators and references are in Generators.fs; tolerances are the
/// defaults stated there (FD: relative 1e-6, floor 1e-6; AD against AD: relative 1e-9, floor 1e-11;
/// Float32 against Float64: relative 1e-4, floor 1e-5) unless a case states otherwise.
module Nabla.Properties.OpProperties

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core
open Nabla.Properties.Generators
open Nabla.Properties.PrimitiveProperties

/// Runs per property for cheap ops (element-wise, reductions, reshapes).
[<Literal>]
let Runs = 200

/// Runs per property for the costlier ops (several operands, products, compositions).
[<Literal>]
let CostlyRuns = 100

let private holds (label: string) (ok: bool) = Prop.label label ok
let private all (props: Property list) = List.reduce (.&.) props

// ------------------------------------------------------------------ element-wise

[<Property(MaxTest = Runs)>]
let ``Pow (broadcasting, base > 0): first order`` () = firstOrderOf powCase
[<Property(MaxTest = Runs)>]
let ``Pow (broadcasting, base > 0): second order`` () = secondOrderOf powCase
[<Property(MaxTest = Runs)>]
let ``Pow (broadcasting, base > 0): Float32`` () = float32Of powCase

[<Property(MaxTest = Runs)>]
let ``Log1p: first order`` () = firstOrderOf log1pCase
[<Property(MaxTest = Runs)>]
let ``Log1p: second order`` () = secondOrderOf log1pCase
[<Property(MaxTest = Runs)>]
let ``Log1p: Float32`` () = float32Of log1pCase

[<Property(MaxTest = Runs)>]
let ``Tan: first order`` () = firstOrderOf tanCase
[<Property(MaxTest = Runs)>]
let ``Tan: second order`` () = secondOrderOf tanCase
[<Property(MaxTest = Runs)>]
let ``Tan: Float32`` () = float32Of tanCase

[<Property(MaxTest = Runs)>]
let ``Sigmoid: first order`` () = firstOrderOf sigmoidCase
[<Property(MaxTest = Runs)>]
let ``Sigmoid: second order`` () = secondOrderOf sigmoidCase
[<Property(MaxTest = Runs)>]
let ``Sigmoid: Float32`` () = float32Of sigmoidCase

[<Property(MaxTest = Runs)>]
let ``Softplus: first order`` () = firstOrderOf softplusCase
[<Property(MaxTest = Runs)>]
let ``Softplus: second order`` () = secondOrderOf softplusCase
[<Property(MaxTest = Runs)>]
let ``Softplus: Float32`` () = float32Of softplusCase

[<Property(MaxTest = Runs)>]
let ``Relu (away from 0): first order`` () = firstOrderOf reluCase
[<Property(MaxTest = Runs)>]
let ``Relu (away from 0): second order`` () = secondOrderOf reluCase
[<Property(MaxTest = Runs)>]
let ``Relu (away from 0): Float32`` () = float32Of reluCase

[<Property(MaxTest = Runs)>]
let ``Abs (away from 0): first order`` () = firstOrderOf absCase
[<Property(MaxTest = Runs)>]
let ``Abs (away from 0): second order`` () = secondOrderOf absCase
[<Property(MaxTest = Runs)>]
let ``Abs (away from 0): Float32`` () = float32Of absCase

[<Property(MaxTest = Runs)>]
let ``Sign (derivative 0): first order`` () = firstOrderOf signCase
[<Property(MaxTest = Runs)>]
let ``Sign (derivative 0): second order`` () = secondOrderOf signCase
[<Property(MaxTest = Runs)>]
let ``Sign (derivative 0): Float32`` () = float32Of signCase

[<Property(MaxTest = Runs)>]
let ``Maximum (broadcasting, no ties): first order`` () = firstOrderOf maximumCase
[<Property(MaxTest = Runs)>]
let ``Maximum (broadcasting, no ties): second order`` () = secondOrderOf maximumCase
[<Property(MaxTest = Runs)>]
let ``Maximum (broadcasting, no ties): Float32`` () = float32Of maximumCase

[<Property(MaxTest = Runs)>]
let ``Minimum (broadcasting, no ties): first order`` () = firstOrderOf minimumCase
[<Property(MaxTest = Runs)>]
let ``Minimum (broadcasting, no ties): second order`` () = secondOrderOf minimumCase
[<Property(MaxTest = Runs)>]
let ``Minimum (broadcasting, no ties): Float32`` () = float32Of minimumCase

[<Property(MaxTest = CostlyRuns)>]
let ``Where (random condition, broadcasting): first order`` () = firstOrderOf whereCase
[<Property(MaxTest = CostlyRuns)>]
let ``Where (random condition, broadcasting): second order`` () = secondOrderOf whereCase
[<Property(MaxTest = CostlyRuns)>]
let ``Where (random condition, broadcasting): Float32`` () = float32Of whereCase

[<Property(MaxTest = CostlyRuns)>]
let ``ClipByValue (broadcasting, away from the bounds): first order`` () = firstOrderOf clipCase
[<Property(MaxTest = CostlyRuns)>]
let ``ClipByValue (broadcasting, away from the bounds): second order`` () = secondOrderOf clipCase
[<Property(MaxTest = CostlyRuns)>]
let ``ClipByValue (broadcasting, away from the bounds): Float32`` () = float32Of clipCase

// ------------------------------------------------------------------ comparisons: values only

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
        all (valueProps @ derivativeProps))

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
            all [ holds (label (sprintf "dtype kept (got %A)" y.DType)) (y.DType = dtype)
                  holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                  agree (label "values") { RTol = 0.0; ATol = 0.0 } expected (values y) ] ]
        |> all)

// ------------------------------------------------------------------ reductions

[<Property(MaxTest = Runs)>]
let ``ReduceMax (axes, keepDims, no ties): first order`` () = firstOrderOf reduceMaxCase
[<Property(MaxTest = Runs)>]
let ``ReduceMax (axes, keepDims, no ties): second order`` () = secondOrderOf reduceMaxCase
[<Property(MaxTest = Runs)>]
let ``ReduceMax (axes, keepDims, no ties): Float32`` () = float32Of reduceMaxCase

[<Property(MaxTest = Runs)>]
let ``ReduceMin (axes, keepDims, no ties): first order`` () = firstOrderOf reduceMinCase
[<Property(MaxTest = Runs)>]
let ``ReduceMin (axes, keepDims, no ties): second order`` () = secondOrderOf reduceMinCase
[<Property(MaxTest = Runs)>]
let ``ReduceMin (axes, keepDims, no ties): Float32`` () = float32Of reduceMinCase

[<Property(MaxTest = Runs)>]
let ``ReduceProd (axes, keepDims, nonzero): first order`` () = firstOrderOf reduceProdCase
[<Property(MaxTest = Runs)>]
let ``ReduceProd (axes, keepDims, nonzero): second order`` () = secondOrderOf reduceProdCase
[<Property(MaxTest = Runs)>]
let ``ReduceProd (axes, keepDims, nonzero): Float32`` () = float32Of reduceProdCase

/// With zeros the first derivative is still exact (the product of the other elements); the
/// second is documented to miss the cross terms at zeros, so only the first order is checked.
[<Property(MaxTest = Runs)>]
let ``ReduceProd (axes, keepDims, with zeros): first order, exact gradient`` () =
    Prop.forAll (Arb.fromGen reduceProdWithZerosCase) (fun c ->
        let x = tensor (fst c.Operands.[0]) (snd c.Operands.[0])
        let y = c.Apply [| x |]
        let cot = like y (directions c.Seed 13 y.Size)
        // Naively: d/dx_i sum(c * prod) = c[group of i] * product of the other elements of i's group.
        let data = snd c.Operands.[0]
        let expected =
            Array.init data.Length (fun i ->
                let others = Array.mapi (fun j v -> if j = i then 1.0 else v) data
                let ys = snd (c.Reference [| fst c.Operands.[0], others |])
                // the group of i is the one whose product changes when x_i does
                let probe = snd (c.Reference [| fst c.Operands.[0], Array.mapi (fun j v -> if j = i then 2.0 else v) others |])
                Array.map3 (fun a b w -> if a <> b then a * w else 0.0) ys probe (values cot) |> Array.sum)
        let gradient = (snd (Derivatives.vjp (fun x -> c.Apply [| x |]) x)) cot
        (valueMatchesReference c :: (targets DType.Float64 false c |> List.map (firstOrder c.Tol c.Seed)) |> all)
        .&. agree "vjp = naive product of the other elements" defaultTolerances.Ad expected (values gradient))

[<Property(MaxTest = Runs)>]
let ``ReduceLogSumExp (axes, keepDims): first order`` () = firstOrderOf reduceLogSumExpCase
[<Property(MaxTest = Runs)>]
let ``ReduceLogSumExp (axes, keepDims): second order`` () = secondOrderOf reduceLogSumExpCase
[<Property(MaxTest = Runs)>]
let ``ReduceLogSumExp (axes, keepDims): Float32`` () = float32Of reduceLogSumExpCase

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
        all [ holds (sprintf "dtype %A (got %A)" dtype y.DType) (y.DType = dtype)
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
            all [ holds (label (sprintf "dtype Int64 (got %A)" y.DType)) (y.DType = DType.Int64)
                  holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                  agree (label "first extreme index") { RTol = 0.0; ATol = 0.0 } expected (values y) ])
        |> all)

// ------------------------------------------------------------------ shapes

[<Property(MaxTest = Runs)>]
let ``ExpandDims (random axis): first order`` () = firstOrderOf expandDimsCase
[<Property(MaxTest = Runs)>]
let ``ExpandDims (random axis): second order`` () = secondOrderOf expandDimsCase
[<Property(MaxTest = Runs)>]
let ``ExpandDims (random axis): Float32`` () = float32Of expandDimsCase

[<Property(MaxTest = Runs)>]
let ``Squeeze (all or one axis): first order`` () = firstOrderOf squeezeCase
[<Property(MaxTest = Runs)>]
let ``Squeeze (all or one axis): second order`` () = secondOrderOf squeezeCase
[<Property(MaxTest = Runs)>]
let ``Squeeze (all or one axis): Float32`` () = float32Of squeezeCase

[<Property(MaxTest = CostlyRuns)>]
let ``Stack (random axis): first order`` () = firstOrderOf stackCase
[<Property(MaxTest = CostlyRuns)>]
let ``Stack (random axis): second order`` () = secondOrderOf stackCase
[<Property(MaxTest = CostlyRuns)>]
let ``Stack (random axis): Float32`` () = float32Of stackCase

[<Property(MaxTest = Runs)>]
let ``Gather (random axis, random indices with repeats): first order`` () = firstOrderOf gatherCase
[<Property(MaxTest = Runs)>]
let ``Gather (random axis, random indices with repeats): second order`` () = secondOrderOf gatherCase
[<Property(MaxTest = Runs)>]
let ``Gather (random axis, random indices with repeats): Float32`` () = float32Of gatherCase

[<Property(MaxTest = Runs)>]
let ``ScatterAdd (random axis, random indices with repeats): first order`` () = firstOrderOf scatterAddCase
[<Property(MaxTest = Runs)>]
let ``ScatterAdd (random axis, random indices with repeats): second order`` () = secondOrderOf scatterAddCase
[<Property(MaxTest = Runs)>]
let ``ScatterAdd (random axis, random indices with repeats): Float32`` () = float32Of scatterAddCase

[<Property(MaxTest = CostlyRuns)>]
let ``Batched MatMul (broadcast batch axes, all transpose flags): first order`` () = firstOrderOf batchedMatmulCase
[<Property(MaxTest = CostlyRuns)>]
let ``Batched MatMul (broadcast batch axes, all transpose flags): second order`` () = secondOrderOf batchedMatmulCase
[<Property(MaxTest = CostlyRuns)>]
let ``Batched MatMul (broadcast batch axes, all transpose flags): Float32`` () = float32Of batchedMatmulCase

[<Property(MaxTest = CostlyRuns)>]
let ``MatVec (broadcast batch axes, transA): first order`` () = firstOrderOf matvecCase
[<Property(MaxTest = CostlyRuns)>]
let ``MatVec (broadcast batch axes, transA): second order`` () = secondOrderOf matvecCase
[<Property(MaxTest = CostlyRuns)>]
let ``MatVec (broadcast batch axes, transA): Float32`` () = float32Of matvecCase

// ------------------------------------------------------------------ NN helpers

[<Property(MaxTest = Runs)>]
let ``Softmax (random axis): first order`` () = firstOrderOf softmaxCase
[<Property(MaxTest = Runs)>]
let ``Softmax (random axis): second order`` () = secondOrderOf softmaxCase
[<Property(MaxTest = Runs)>]
let ``Softmax (random axis): Float32`` () = float32Of softmaxCase

[<Property(MaxTest = Runs)>]
let ``LogSoftmax (random axis): first order`` () = firstOrderOf logSoftmaxCase
[<Property(MaxTest = Runs)>]
let ``LogSoftmax (random axis): second order`` () = secondOrderOf logSoftmaxCase
[<Property(MaxTest = Runs)>]
let ``LogSoftmax (random axis): Float32`` () = float32Of logSoftmaxCase

[<Property(MaxTest = CostlyRuns)>]
let ``SoftmaxCrossEntropyWithLogits (random axis, labels and logits): first order`` () = firstOrderOf softmaxCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SoftmaxCrossEntropyWithLogits (random axis, labels and logits): second order`` () = secondOrderOf softmaxCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SoftmaxCrossEntropyWithLogits (random axis, labels and logits): Float32`` () = float32Of softmaxCrossEntropyCase

[<Property(MaxTest = CostlyRuns)>]
let ``SparseSoftmaxCrossEntropyWithLogits (Int32 and Int64 labels): first order`` () = firstOrderOf sparseSoftmaxCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SparseSoftmaxCrossEntropyWithLogits (Int32 and Int64 labels): second order`` () = secondOrderOf sparseSoftmaxCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SparseSoftmaxCrossEntropyWithLogits (Int32 and Int64 labels): Float32`` () = float32Of sparseSoftmaxCrossEntropyCase

[<Property(MaxTest = CostlyRuns)>]
let ``SigmoidCrossEntropyWithLogits (labels and logits): first order`` () = firstOrderOf sigmoidCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SigmoidCrossEntropyWithLogits (labels and logits): second order`` () = secondOrderOf sigmoidCrossEntropyCase
[<Property(MaxTest = CostlyRuns)>]
let ``SigmoidCrossEntropyWithLogits (labels and logits): Float32`` () = float32Of sigmoidCrossEntropyCase

[<Property(MaxTest = CostlyRuns)>]
let ``BiasAdd (value and bias): first order`` () = firstOrderOf biasAddCase
[<Property(MaxTest = CostlyRuns)>]
let ``BiasAdd (value and bias): second order`` () = secondOrderOf biasAddCase
[<Property(MaxTest = CostlyRuns)>]
let ``BiasAdd (value and bias): Float32`` () = float32Of biasAddCase

// ------------------------------------------------------------------ numerical stability at logits of +-1e4

/// Logits c + d with c = +-1e4 and small offsets d: every value, gradient and Hessian-vector product
/// is finite and equals the same quantity at d (softmax, logSoftmax and the cross-entropies are
/// invariant under a shift along their axis; log-sum-exp shifts by c), whose values are checked
/// against naive references. In Float32, d is the offset the rounded logits actually hold.
/// Tolerances: gradients and Hessian-vector products relative 1e-9, floor 1e-9 x scale (Float64) and
/// relative 1e-4, floor 1e-4 x scale (Float32); values relative 1e-9, floor 1e-9 (Float64) and relative
/// 1e-5, floor 1e-5 (Float32). LogSoftmax is computed as (x - max) - log(sum(exp(x - max))), as TensorFlow does: the
/// form x - logsumexp(x) rounded the ~1e4 log-sum-exp to ulp(1e4) = 2^-10 in Float32 and failed this property.
[<Property(MaxTest = CostlyRuns)>]
let ``Softmax, LogSoftmax, ReduceLogSumExp and cross-entropies at logits of 1e4: finite and shift-invariant`` () =
    let gen =
        gen {
            let! shape = genShapeOf 1 3 4 16
            let! axis = genAxis shape.Length
            let! c = Gen.elements [ 1e4; -1e4 ]
            let! d = genData logits shape
            let! labels = genData probabilities shape
            let! dtype = Gen.elements [ DType.Float32; DType.Float64 ]
            let classes = shape.[shape.Length - 1]
            let! sparse = Gen.arrayOfLength (Shape.size shape / classes) (Gen.choose (0, classes - 1))
            let! seed = genSeed
            return shape, axis, c, d, labels, dtype, sparse, seed
        }
    Prop.forAll (Arb.fromGen gen) (fun (shape, axis, c, d, labels, dtype, sparse, seed) ->
        let tol = if dtype = DType.Float32 then { RTol = 1e-4; ATol = 1e-4 } else { RTol = 1e-9; ATol = 1e-9 }
        // values: absolute floors unscaled
        let valueTol (_: bool) =
            if dtype = DType.Float64 then { RTol = 1e-9; ATol = 1e-9 }
            else { RTol = 1e-5; ATol = 1e-5 }
        let shifted = tensorAs dtype shape (Array.map (fun v -> c + v) d)
        // the offsets the (possibly rounded) logits hold, exactly
        let d = values shifted |> Array.map (fun v -> v - c)
        let near = tensorAs dtype shape d
        let z = tensorAs dtype shape labels
        let sparseLabels = Combinators.constant (Storage.ofArray (Array.copy shape.[.. shape.Length - 2]) (Array.copy sparse :> Array))
        let ops: (string * (Tensor -> Tensor) * Reference.Value * float * bool) list =
            [ "Softmax", Nn.softmax axis, Reference.softmax axis (shape, d), 0.0, false
              "LogSoftmax", Nn.logSoftmax axis, Reference.logSoftmax axis (shape, d), 0.0, true
              "ReduceLogSumExp", Reductions.reduceLogSumExp [| axis |] false, Reference.reduceLogSumExp [| axis |] false (shape, d), c, false
              "SoftmaxCrossEntropyWithLogits", Nn.softmaxCrossEntropyWithLogits axis z,
                  Reference.softmaxCrossEntropy axis (shape, values z) (shape, d), 0.0, true
              "SparseSoftmaxCrossEntropyWithLogits", Nn.sparseSoftmaxCrossEntropyWithLogits sparseLabels,
                  Reference.sparseSoftmaxCrossEntropy sparse (shape, d), 0.0, true ]
        [ for name, op, (eShape, expected), offset, viaLogSumExp in ops ->
            let label s = sprintf "%s axis=%d at logits %g + d (%A): %s" name axis c dtype s
            let y = op shifted
            let w = like y (directions seed 14 y.Size)
            let v = like shifted (directions seed 15 shifted.Size)
            let readout (x: Tensor) = Reductions.sum null false (Elementwise.mul w (op x))
            let gFar, gNear = values (Derivatives.grad readout shifted), values (Derivatives.grad readout near)
            let hFar, hNear = values (Derivatives.hvp readout shifted v), values (Derivatives.hvp readout near (like near (values v)))
            let finite (a: float[]) = a |> Array.forall Double.IsFinite
            all [ holds (label "value finite") (finite (values y))
                  holds (label "gradient finite") (finite gFar)
                  holds (label "hvp finite") (finite hFar)
                  holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                  agreeScaled (label "value = reference at d (+ c for log-sum-exp)") (valueTol viaLogSumExp) 1.0 (Array.map (fun e -> e + offset) expected) (values y)
                  agree (label "gradient = gradient at d") tol gNear gFar
                  agree (label "hvp = hvp at d") tol hNear hFar ] ]
        |> all)

/// SigmoidCrossEntropyWithLogits at logits of +-1e4 (+ small offsets): finite, value relu(x) - x z
/// (log1p(e^-|x|) underflows to 0), gradient sigmoid(x) - z = 1 - z or -z, Hessian 0.
[<Property(MaxTest = CostlyRuns)>]
let ``SigmoidCrossEntropyWithLogits at logits of 1e4: finite and exact`` () =
    let gen =
        gen {
            let! shape = genShape
            let! signs = Gen.arrayOfLength (Shape.size shape) genBool
            let! d = genData logits shape
            let! labels = genData probabilities shape
            let! dtype = Gen.elements [ DType.Float32; DType.Float64 ]
            return shape, Array.map2 (fun s v -> (if s then 1e4 else -1e4) + v) signs d, labels, dtype
        }
    Prop.forAll (Arb.fromGen gen) (fun (shape, x, labels, dtype) ->
        let tol = if dtype = DType.Float32 then { RTol = 1e-6; ATol = 1e-6 } else { RTol = 1e-12; ATol = 1e-12 }
        let xt, zt = tensorAs dtype shape x, tensorAs dtype shape labels
        let xs, zs = values xt, values zt
        let f (x: Tensor) = Nn.sigmoidCrossEntropyWithLogits zt x
        let y = f xt
        let g = Derivatives.grad f xt
        let h = Derivatives.hvp (fun x -> Reductions.sum null false (f x)) xt (Combinators.onesLike xt)
        let label s = sprintf "%A: %s" dtype s
        // Float32 values: x z with |x| ~ 1e4 is rounded to ulp(1e4) ~ 1e-3 before the subtraction (the reference is
        // computed in Float64 from the same inputs), so the value's floor is 2e-3 there
        let valueTol = if dtype = DType.Float32 then { RTol = 1e-6; ATol = 2e-3 } else tol
        all [ agree (label "value = relu(x) - x z") valueTol (Array.map2 (fun x z -> max x 0.0 - x * z) xs zs) (values y)
              agree (label "d/dx = sigmoid(x) - z") tol (Array.map2 (fun x z -> (if x > 0.0 then 1.0 else 0.0) - z) xs zs) (values g)
              agree (label "d/dz = -x") tol (Array.map (fun x -> -x) xs) (values (Derivatives.grad (fun z -> Nn.sigmoidCrossEntropyWithLogits z xt) zt))
              agree (label "Hessian (diagonal) = sigmoid'(x) = 0") tol (Array.zeroCreate xs.Length) (values h) ])

/// Fixed logits [1e4, 0, -1e4]: softmax [1, 0, 0] and log-softmax [0, -1e4, -2e4] exactly, log-sum-exp 1e4.
[<Xunit.Fact>]
let ``Softmax, LogSoftmax and ReduceLogSumExp of [1e4, 0, -1e4] are exact`` () =
    for dtype in [ DType.Float32; DType.Float64 ] do
        let x = tensorAs dtype [| 3 |] [| 1e4; 0.0; -1e4 |]
        Xunit.Assert.Equal<float[]>([| 1.0; 0.0; 0.0 |], values (Nn.softmax 0 x))
        Xunit.Assert.Equal<float[]>([| 0.0; -1e4; -2e4 |], values (Nn.logSoftmax 0 x))
        Xunit.Assert.Equal<float[]>([| 1e4 |], values (Reductions.reduceLogSumExp null false x))
        Xunit.Assert.Equal<float[]>([| 1.0; 0.0; 0.0 |], values (Derivatives.grad (Reductions.reduceLogSumExp null false) x))

// ------------------------------------------------------------------ creation kernels: values only

let private allDTypes = [ DType.Float32; DType.Float64; DType.Int32; DType.Int64 ]

let private exactly (label: string) (dtype: DType) (shape: int[]) (expected: float[]) (r: RawTensor) =
    all [ holds (sprintf "%s: dtype %A (got %A)" label dtype r.DType) (r.DType = dtype)
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
        all [ holds (label + ": shape") (Shape.equal r64.Shape [| num |] && Shape.equal r32.Shape [| num |])
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
