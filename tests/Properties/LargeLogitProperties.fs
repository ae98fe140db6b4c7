/// Numerical stability of the NN helpers and log-sum-exp at logits of +-1e4: values, gradients and Hessian-vector
/// products stay finite and equal their values near 0 (shift invariance), in Float32 and Float64. Tolerances are
/// stated at each property; samples come from TestData.fs and references from Reference.fs.
module Nabla.Properties.LargeLogitProperties

open System
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances

/// Samples per property (the op table's CostlyRuns).
[<Literal>]
let CostlyRuns = 100

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
            allOf [ holds (label "value finite") (finite (values y))
                    holds (label "gradient finite") (finite gFar)
                    holds (label "hvp finite") (finite hFar)
                    holds (label (sprintf "shape %s (got %s)" (Shape.format eShape) (Shape.format y.Shape))) (Shape.equal y.Shape eShape)
                    agreeScaled (label "value = reference at d (+ c for log-sum-exp)") (valueTol viaLogSumExp) 1.0 (Array.map (fun e -> e + offset) expected) (values y)
                    agree (label "gradient = gradient at d") tol gNear gFar
                    agree (label "hvp = hvp at d") tol hNear hFar ] ]
        |> allOf)

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
        allOf [ agree (label "value = relu(x) - x z") valueTol (Array.map2 (fun x z -> max x 0.0 - x * z) xs zs) (values y)
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
