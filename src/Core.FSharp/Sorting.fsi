/// Sorting and segments: top-k, sort and argsort (stable, NaN above every number), and segment sums over sorted or
/// unsorted ids, under TensorFlow's semantics. The values are gathers of the input (and the segment sums a
/// scatter-add), so the adjoint of a picked element goes back to where it was picked from, at every order.
module Nabla.Core.Sorting

open Nabla.Core

/// The kernels: the sorting permutation of each row and the segment sum of integer data.
module Kernels =

    /// For each row of the last axis of t (outer rows of n), the indices 0 .. n-1 ordered ascending or descending, stable
    /// (equal elements keep their order: the lower index first, in both directions). NaN sorts above +inf (last when
    /// ascending, first when descending); -0 equals +0. Row-major, one row after another.
    val internal sortPermutation: descending: bool -> t: RawTensor -> int array

    /// For each row of the last axis, the indices of its k largest elements in TopK's order (the first k of the
    /// descending sortPermutation): a heap of k when k is small against the row (O(n log k)), the full sort otherwise.
    val internal topKIndices: k: int -> t: RawTensor -> int array

    /// Rows of t [m, rest...] added into numSegments rows by id (a negative id drops its row).
    val internal segmentSumInts: ids: int array -> numSegments: int -> t: RawTensor -> RawTensor

/// The k largest entries of each row of the last axis, and their indices (Int32), as tf.math.top_k with sorted = true
/// (TensorFlow allows any order when sorted is false; this order is valid for both): values descending, equal values
/// with the lower index first (as TensorFlow). NaN counts above +inf. Every numeric dtype; rank >= 1; 0 <= k <= n. The
/// values are a gather, so their adjoint is scattered to the chosen indices (at every order); the indices have no derivative.
val topK: k: int -> x: Tensor -> Tensor * Tensor

/// x sorted along `axis` (negative counts from the end), as tf.sort: direction "ASCENDING" or "DESCENDING", stable
/// (equal elements keep their order), NaN above +inf (last ascending, first descending). Every numeric dtype; rank >= 1.
/// The derivative is the permutation's: each element's adjoint goes back to the position it came from.
val sort: axis: int -> direction: string -> x: Tensor -> Tensor

/// The Int32 indices that sort x along `axis`, as tf.argsort: stable in both directions (the lower index first among
/// equal elements; TensorFlow's stable = true, which it also uses when stable is false), NaN above +inf. Not differentiable.
val argSort: axis: int -> direction: string -> x: Tensor -> Tensor

/// Sums of the rows of data along its first axis grouped by `segmentIds` (Int32/Int64, a vector as long as data's
/// first axis, non-negative and sorted), as tf.math.segment_sum: result [max id + 1, data.shape[1:]...], zero rows for
/// ids that do not occur. Every numeric dtype. The adjoint is the gather of the result's adjoint by the ids.
val segmentSum: segmentIds: Tensor -> data: Tensor -> Tensor

/// Sums of data's slices grouped by `segmentIds` (Int32/Int64, any order, shaped as a prefix of data's shape) into
/// numSegments rows, as tf.math.unsorted_segment_sum: result [numSegments, data.shape[ids.rank:]...]. A negative id
/// drops its slice (as TensorFlow); an id >= numSegments is an error (as TensorFlow on CPU). Every numeric dtype. The
/// adjoint is the gather of the result's adjoint by the ids (zero for dropped slices).
val unsortedSegmentSum: segmentIds: Tensor -> numSegments: int -> data: Tensor -> Tensor
