/// Reductions over axes: sum, mean, max, min, product, log-sum-exp, and the arg-extremes. Each takes its axes (null:
/// all; negative count from the end) and keepDims, as TensorFlow's reduce_*; the empty reductions give TensorFlow's
/// identities (0, 1, -inf, +inf).
module Nabla.Core.Reductions

open Nabla.Core

/// The kernels of the reductions (row-wise over the reduced axes moved last; sums over axes are Combinators.Kernels').
module Kernels =

    /// Reduces each row of the [outer, n] view with a typed row function.
    val internal reduceRows:
      op: string ->
        f32: (float32 array -> int -> int -> float32) ->
        f64: (float array -> int -> int -> float) ->
        i32: (int array -> int -> int -> int) option ->
        i64: (int64 array -> int -> int -> int64) option ->
        axes: int array ->
        keepDims: bool -> t: RawTensor -> RawTensor

    /// Largest element over the (sorted, normalised) axes. NaN for a slice holding a NaN; an empty slice gives -inf (float
    /// dtypes) or the dtype's lowest value (Int32, Int64), as TensorFlow.
    val internal reduceMax: axes: int array -> keepDims: bool -> t: RawTensor -> RawTensor

    /// Smallest element over the (sorted, normalised) axes. NaN for a slice holding a NaN; an empty slice gives +inf (float
    /// dtypes) or the dtype's highest value (Int32, Int64), as TensorFlow.
    val internal reduceMin: axes: int array -> keepDims: bool -> t: RawTensor -> RawTensor

    val internal reduceProd: axes: int array -> keepDims: bool -> t: RawTensor -> RawTensor

    /// For each element, the product of the other elements of its reduction group (exact with zeros:
    /// the adjoint of ReduceProd). Same shape as t.
    val internal prodOthers: axes: int array -> t: RawTensor -> RawTensor

    /// Index of the largest (or smallest) element along one axis, as Int64: the first on ties, the first NaN's when the
    /// slice holds a NaN (as NumPy; TensorFlow leaves NaN unspecified). Compared in the tensor's own dtype (Int64 values
    /// beyond 2^53 are told apart); Bool as 0 and 1.
    val internal argExtreme: op: string -> largest: bool -> axis: int -> t: RawTensor -> RawTensor

/// Sums over `axes` (null: all; negative count from the end). The adjoint is broadcast back.
val sum: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Mean over `axes` (null: all): the sum divided by the number of reduced elements.
val mean: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Largest element over axes. Ties split the adjoint evenly. NaN for a slice holding a NaN (as TensorFlow 2), with a
/// NaN adjoint for every element of that slice; an empty slice gives -inf (Float32/Float64) or the dtype's lowest value
/// (Int32/Int64), as TensorFlow, and the gradient of an empty x is empty.
val reduceMax: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Smallest element over axes. Ties split the adjoint evenly. NaN for a slice holding a NaN, with a NaN adjoint for
/// every element of that slice; an empty slice gives +inf (Float32/Float64) or the dtype's highest value (Int32/Int64),
/// as TensorFlow, and the gradient of an empty x is empty.
val reduceMin: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Product over axes; the product of an empty group is 1 (as TensorFlow), with an empty gradient.
/// d/dx_i = product of the other elements of x_i's group. In a group without zeros that is
/// y / x_i, differentiable to any order; in a group holding a zero it is computed exactly with exclusive
/// prefix/suffix products and used as a constant at the level below, so higher derivatives of such groups
/// miss the terms that pass through the zero (first derivatives are always exact).
val reduceProd: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// log(sum(exp x)) over axes, shifted by the (gradient-free) max so large logits do not overflow; where that max is
/// not finite the shift is 0 (as TensorFlow), so a slice holding a NaN gives NaN (value, gradient, tangent), one holding
/// +inf gives +inf, and one of only -inf (or an empty one) gives -inf. d = softmax(x) dx.
val reduceLogSumExp: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Mean over axes for every numeric dtype: integer means truncate, as TensorFlow's.
val meanAny: axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// Index of the largest element along an axis (Int64, first on ties; no derivative). A slice holding a NaN gives the
/// index of its first NaN (as NumPy's argmax; TensorFlow leaves it unspecified). An empty axis is an error.
val argMax: axis: int -> x: Tensor -> Tensor

/// Index of the smallest element along an axis (Int64, first on ties; no derivative). A slice holding a NaN gives the
/// index of its first NaN (as NumPy's argmin). An empty axis is an error.
val argMin: axis: int -> x: Tensor -> Tensor
