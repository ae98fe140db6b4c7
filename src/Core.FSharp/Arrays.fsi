/// Arrays: TensorFlow's array manipulation ops (tile, pad in three modes, split, unstack, reverse, roll, gather_nd,
/// scatter_nd, tensor_scatter_nd_update, boolean_mask, shape) and strided slicing with TF's StridedSlice semantics.
/// Two new primitive pairs carry them: a strided view (begin, step, count per axis, negative steps included) and its
/// adjoint, the strided write into zeros (TF's StridedSliceGrad); and a gather by one index map per axis (mirror
/// padding, rolls) with its adjoint, the scatter-add by the same maps. In each pair, each is the other's VJP and its
/// own JVP. The other ops are composites of these and Layout's reshape, slice, pad, concat, gather and scatter-add, so all are linear
/// in the differentiated operand and differentiable to any order in both modes. Every op keeps any dtype (Float32,
/// Float64, Int32, Int64, Bool) unless it says otherwise; only float results carry derivatives.
module Nabla.Core.Arrays

open Nabla.Core

/// The kernels of the strided-slice primitive pair and the integer scatter.
module Kernels =

    /// The view of `t` with per-axis first index `starts`, step `steps` (non-zero, may be negative) and `counts`.
    val internal stridedSlice: starts: int array -> steps: int array -> counts: int array -> t: RawTensor -> RawTensor

    /// Zeros of `shape` with `g` (of shape `counts`) written at the positions of the view (the adjoint of `stridedSlice`).
    val internal stridedSliceGrad: shape: int array -> starts: int array -> steps: int array -> counts: int array -> g: RawTensor -> RawTensor

    /// Result[i_0, ..., i_n] = t[maps[0][i_0], ..., maps[n][i_n]] (any dtype); the result's extents are the maps' lengths.
    val internal gatherAxes: maps: int array array -> t: RawTensor -> RawTensor

    /// The adjoint of `gatherAxes`: zeros of `shape` with each element of g added at the position its maps name.
    val internal scatterAxes: shape: int array -> maps: int array array -> g: RawTensor -> RawTensor

    /// Integer index data widened to int64; an ArgumentException naming `op` for another dtype.
    val internal indexData: op: string -> what: string -> indices: RawTensor -> int64 array

    /// Zeros of `shape` with row j (of `inner` elements) of `updates` added at row idx[j] (Int32 and Int64).
    val internal scatterAddRows: dtype: DType -> shape: int array -> idx: int array -> inner: int -> updates: RawTensor -> RawTensor

/// TensorFlow's StridedSlice (tf.strided_slice): begin, end and strides (null: all 1) with the five bit masks, as TF
/// reads them: a begin/end mask bit takes the axis from its start/to its end in the stride's direction; one ellipsis
/// bit expands to the axes not otherwise indexed; a new-axis bit inserts an axis of extent 1; a shrink bit takes the
/// single index `begin` (negative from the end) and drops the axis. Without an ellipsis, unindexed trailing axes are
/// taken whole. Out-of-range begin/end clamp as Python's slices do (an empty result when they cross). Derivative: the
/// JVP is the same slice of the tangent; the VJP writes the adjoint into zeros at the sliced positions
/// (StridedSliceGrad), itself differentiable. Errors: a zero stride, more indexed axes than the rank, two ellipses or
/// mismatched lengths throw an ArgumentException naming StridedSlice; a shrink index out of range throws an
/// IndexOutOfRangeException naming the axis, the index and the extent (Python's IndexError).
val stridedSlice:
    beginIdx: int array -> endIdx: int array -> strides: int array -> beginMask: int -> endMask: int ->
    ellipsisMask: int -> newAxisMask: int -> shrinkAxisMask: int -> x: Tensor -> Tensor

/// TensorFlow's Reverse (tf.reverse): reverses the given axes (negative from the end; null or empty: none). A strided
/// view with step -1. Derivative: the adjoint reversed the same way. Duplicate axes throw.
val reverse: axes: int array -> x: Tensor -> Tensor

/// TensorFlow's Tile (tf.tile): `multiples[i]` copies along axis i (0 gives an empty axis). A reshape, broadcast and
/// reshape; the adjoint sums the copies. Throws for a length other than the rank or a negative multiple.
val tile: multiples: int array -> x: Tensor -> Tensor

/// TensorFlow's Pad (tf.pad) with paddings as an [rank, 2] array (before, after per axis, each >= 0). Mode CONSTANT
/// (any case) fills with `constantValue` (converted to the dtype; an integer or Bool tensor needs an integral value);
/// REFLECT mirrors without the edge (paddings <= extent - 1), SYMMETRIC with it (paddings <= extent). Derivative: the
/// adjoint's interior for CONSTANT; for the mirror modes the mirrored entries add their adjoint to their source.
val pad: paddings: int[,] -> mode: string -> constantValue: float -> x: Tensor -> Tensor

/// TensorFlow's Split (tf.split) into `num` equal parts along `axis` (the extent must divide evenly). Each part is a
/// slice; its adjoint is padded back.
val split: num: int -> axis: int -> x: Tensor -> Tensor array

/// TensorFlow's Split (tf.split) into parts of the given sizes along `axis`; one size may be -1 (the rest).
val splitSizes: sizes: int array -> axis: int -> x: Tensor -> Tensor array

/// TensorFlow's Unstack (tf.unstack): the slices along `axis`, that axis removed; `num`, if given, must equal its extent.
val unstack: num: int option -> axis: int -> x: Tensor -> Tensor array

/// TensorFlow's Roll (tf.roll): shifts elements along each axis (several; repeated axes add their shifts; negative
/// shifts go left), wrapping around. Derivative: the adjoint rolled back.
val roll: shift: int array -> axis: int array -> x: Tensor -> Tensor

/// TensorFlow's GatherNd (tf.gather_nd, batch_dims 0): integer `indices` whose last axis holds k-tuples into x's first
/// k axes; result shape indices.shape[:-1] + x.shape[k:]. Out-of-range indices throw (as TF on CPU). Derivative: the
/// adjoint rows are added back at their indices (repeats accumulate).
val gatherNd: indices: Tensor -> x: Tensor -> Tensor

/// TensorFlow's ScatterNd (tf.scatter_nd): zeros of `shape` with the rows of `updates` added at `indices` (duplicates
/// summed, in index order). Float32, Float64, Int32, Int64. Derivative in `updates`: the adjoint gathered at `indices`.
val scatterNd: indices: Tensor -> updates: Tensor -> shape: int array -> Tensor

/// TensorFlow's TensorScatterNdUpdate (tf.tensor_scatter_nd_update): x with the rows named by `indices` replaced by
/// `updates`; for duplicate indices the last update wins (TF's documented CPU rule). Derivative: zero at the updated
/// positions for x; for updates the adjoint gathered at their indices, except that a duplicate that lost gets zero
/// (the true derivative; TF gives every duplicate the gathered adjoint).
val tensorScatterNdUpdate: indices: Tensor -> updates: Tensor -> x: Tensor -> Tensor

/// TensorFlow's BooleanMask (tf.boolean_mask): the entries of x where the Bool `mask` (rank k >= 1, shape equal to
/// x.shape[axis:axis + k]) is true, flattened into one axis at `axis`. Derivative: the adjoint scattered back, zero
/// where the mask is false.
val booleanMask: mask: Tensor -> axis: int -> x: Tensor -> Tensor

/// TensorFlow's Shape (tf.shape): x's shape as a 1-D Int32 or Int64 tensor (not differentiable).
val shapeOf: dtype: DType -> x: Tensor -> Tensor
