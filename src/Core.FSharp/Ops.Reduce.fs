/// Reductions beyond sum and mean. Each takes sorted axes (null: all; negative count from the end) and keepDims.
module Nabla.Core.ReduceOps

open Nabla.Core.Ops
open Nabla.Core.MathOps
open Nabla.Core.ElementwiseOps

let private axesOf (op: string) (x: Tensor) (axes: int[]) = Shape.normAxes op x.Rank axes

/// Broadcasts a reduced tensor (keepDims or not) back to x's shape.
let private expandBack (x: Tensor) (ax: int[]) (r: Tensor) =
    broadcastTo x.Shape (reshape (Shape.reduced x.Shape ax true) r)

/// Max or min over axes. The adjoint is split evenly among the elements equal to the extreme
/// (as TensorFlow's reduce_max); the JVP is the mean of the tangents at those elements. A slice holding a NaN has a NaN
/// extreme, and every element of it a NaN adjoint (no element equals NaN: the weights are 0 / 0); every derivative of
/// those is NaN too. An empty slice gives the identity (see Kernels.reduceMax) and an empty or zero gradient.
let private extreme (op: string) (kernel: int[] -> bool -> RawTensor -> RawTensor) (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.DType = DType.Bool then invalidArg "x" (sprintf "%s: dtype Bool is not supported" op)
    let ax = axesOf op x axes
    if not x.IsFloat then constant (kernel ax keepDims x.Raw)
    else
        // weights: 1/count at the extreme elements, 0 elsewhere, NaN across a NaN slice; a constant at every level
        let weights (x: Tensor) (y: Tensor) =
            let yb = Raw.broadcastTo x.Shape (Raw.reshape (Shape.reduced x.Shape ax true) y.Raw)
            let m = Raw.cast x.DType (Kernels.compare op Kernels.Comparison.Equal x.Raw yb)
            let count = Raw.broadcastTo x.Shape (Raw.sumAxes ax true m)
            constant (Raw.div m count)
        unary { new UnaryPrim(op) with
                  member _.Kernel r = kernel ax keepDims r
                  member _.Jvp(x, y, dx) = withNaNDerivatives y (sum ax keepDims (mul (weights x y) dx))
                  member _.Vjp(x, y, g) =
                      let r = mul (weights x y) (expandBack x ax g)
                      if y.Level = 0L then r else withNaNDerivatives (expandBack x ax y) r } x

/// Largest element over axes. Ties split the adjoint evenly. NaN for a slice holding a NaN (as TensorFlow 2), with a
/// NaN adjoint for every element of that slice; an empty slice gives -inf (Float32/Float64) or the dtype's lowest value
/// (Int32/Int64), as TensorFlow, and the gradient of an empty x is empty.
let reduceMax (axes: int[]) (keepDims: bool) (x: Tensor) = extreme "ReduceMax" Kernels.reduceMax axes keepDims x

/// Smallest element over axes. Ties split the adjoint evenly. NaN for a slice holding a NaN, with a NaN adjoint for
/// every element of that slice; an empty slice gives +inf (Float32/Float64) or the dtype's highest value (Int32/Int64),
/// as TensorFlow, and the gradient of an empty x is empty.
let reduceMin (axes: int[]) (keepDims: bool) (x: Tensor) = extreme "ReduceMin" Kernels.reduceMin axes keepDims x

/// The product kernel, with TensorFlow's value for an empty group: 1 (the empty product).
let private prodKernel (ax: int[]) (keepDims: bool) (r: RawTensor) =
    if r.Size = 0 then Raw.ones r.DType (Shape.reduced r.Shape ax keepDims)
    else Kernels.reduceProd ax keepDims r

/// Product over axes; the product of an empty group is 1 (as TensorFlow), with an empty gradient.
/// d/dx_i = product of the other elements of x_i's group. In a group without zeros that is
/// y / x_i, differentiable to any order; in a group holding a zero it is computed exactly with exclusive
/// prefix/suffix products and used as a constant at the level below, so higher derivatives of such groups
/// miss the terms that pass through the zero (first derivatives are always exact).
let rec reduceProd (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.DType = DType.Bool then invalidArg "x" "ReduceProd: dtype Bool is not supported; expected a float or integer dtype"
    let ax = axesOf "ReduceProd" x axes
    if not x.IsFloat then constant (prodKernel ax keepDims x.Raw)
    else
        let others (x: Tensor) (y: Tensor) =
            let isZero = Kernels.compare "ReduceProd" Kernels.Comparison.Equal x.Raw (Raw.zeros x.DType [||])
            let zeros = Raw.sumAxes ax true (Raw.cast x.DType isZero)
            let viaDivision (safe: Tensor) = div (expandBack x ax y) safe
            if Raw.toDoubles zeros |> Array.forall (fun c -> c = 0.0) then viaDivision x
            else
                let groupHasZero = Raw.broadcastTo x.Shape (Kernels.compare "ReduceProd" Kernels.Comparison.Greater zeros (Raw.zeros x.DType [||]))
                let safe = ElementwiseOps.where (constant isZero) (onesLike x) x
                ElementwiseOps.where (constant groupHasZero) (constant (Kernels.prodOthers ax x.Raw)) (viaDivision safe)
        unary { new UnaryPrim("ReduceProd") with
                  member _.Kernel r = prodKernel ax keepDims r
                  member _.Jvp(x, y, dx) = sum ax keepDims (mul (others x y) dx)
                  member _.Vjp(x, y, g) = mul (others x y) (expandBack x ax g) } x

/// log(sum(exp x)) over axes, shifted by the (gradient-free) max so large logits do not overflow; where that max is
/// not finite the shift is 0 (as TensorFlow), so a slice holding a NaN gives NaN (value, gradient, tangent), one holding
/// +inf gives +inf, and one of only -inf (or an empty one) gives -inf. d = softmax(x) dx.
let reduceLogSumExp (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if not x.IsFloat then invalidArg "x" (sprintf "ReduceLogSumExp: dtype %s is not supported; expected Float32 or Float64" (string x.DType))
    let ax = axesOf "ReduceLogSumExp" x axes
    // empty: -inf (log of the empty sum, as TensorFlow), written as sum - inf so that its tangent is the empty sum 0
    // (log of a sum of exponentials would give 0 / 0) and its adjoint an empty tensor of x's shape
    if x.Size = 0 then sub (sum ax keepDims x) (scalarLike x infinity)
    else
        let m = Kernels.reduceMax ax true x.Raw
        // a max of +-inf would give inf - inf; shift by 0 there instead
        let shift = Raw.cast x.DType (Kernels.select (Kernels.compare "ReduceLogSumExp" Kernels.Comparison.Equal (Raw.sub m m) (Raw.zeros x.DType [||])) m (Raw.zeros x.DType m.Shape))
        let s = constant shift
        let r = add (log (sum ax true (exp (sub x s)))) s
        if keepDims then r else reshape (Shape.reduced x.Shape ax false) r

/// Mean over axes for every numeric dtype: integer means truncate, as TensorFlow's.
let meanAny (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.IsFloat then mean axes keepDims x
    elif x.DType = DType.Bool then invalidArg "x" "ReduceMean: dtype Bool is not supported"
    else
        let ax = axesOf "ReduceMean" x axes
        let n = ax |> Array.fold (fun acc a -> acc * x.Shape.[a]) 1
        let s = Raw.sumAxes ax keepDims x.Raw
        let q = Raw.cast DType.Float64 s |> Raw.toDoubles |> Array.map (fun v -> if n = 0 then 0.0 else truncate (v / float n))
        constant (Raw.cast x.DType (RawTensor(DType.Float64, s.Shape, q)))

/// Index of the largest element along an axis (Int64, first on ties; no derivative). A slice holding a NaN gives the
/// index of its first NaN (as NumPy's argmax; TensorFlow leaves it unspecified). An empty axis is an error.
let argMax (axis: int) (x: Tensor) =
    if x.Rank = 0 then invalidArg "x" "ArgMax: expected a tensor of rank >= 1, got a scalar"
    constant (Kernels.argExtreme "ArgMax" true (Shape.normAxis "ArgMax" x.Rank axis) x.Raw)

/// Index of the smallest element along an axis (Int64, first on ties; no derivative). A slice holding a NaN gives the
/// index of its first NaN (as NumPy's argmin). An empty axis is an error.
let argMin (axis: int) (x: Tensor) =
    if x.Rank = 0 then invalidArg "x" "ArgMin: expected a tensor of rank >= 1, got a scalar"
    constant (Kernels.argExtreme "ArgMin" false (Shape.normAxis "ArgMin" x.Rank axis) x.Raw)
