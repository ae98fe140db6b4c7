/// Layout: where elements go, never what they are. Reshape, transpose, slice and its adjoint pad, concatenation,
/// axes inserted and removed, stacking, and gathering rows by index with its adjoint scatter-add. Every primitive here
/// is linear, so its JVP is itself applied to the tangent and its VJP the inverse movement of the adjoint.
module Nabla.Core.Layout

open Nabla.Core

/// The kernels of the layout primitives (dtype-agnostic copies by runs of the last axis, except scatter-add).
module Kernels =

    /// Permutes axes: result axis i is input axis perm[i].
    val internal transpose: perm: int array -> t: RawTensor -> RawTensor

    /// The block of `t` starting at `start` with extent `size` (both full length, already checked).
    val internal slice: start: int array -> size: int array -> t: RawTensor -> RawTensor

    /// Zeros of `shape` with `t` written at offset `start` (the adjoint of `slice`).
    val internal pad: shape: int array -> start: int array -> t: RawTensor -> RawTensor

    /// The tensors `ts` (one dtype) placed into one tensor of `shape`, each at its offset in `starts`: concatenation,
    /// copied bit for bit (signed zeros and NaN payloads kept; no arithmetic).
    val internal concatAt: shape: int array -> starts: int array array -> ts: RawTensor array -> RawTensor

    /// Rows of x along `axis` picked by `indices` (any shape): x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:].
    val internal gather: axis: int -> indices: RawTensor -> x: RawTensor -> RawTensor

    /// The adjoint of gather: zeros of x's shape (extent n on `axis`) with each row of g added at its index.
    val internal scatterAdd: axis: int -> indices: RawTensor -> n: int -> g: RawTensor -> RawTensor

/// Reshapes (one -1 allowed). Linear: d(reshape x) = reshape dx.
val reshape: shape: int array -> x: Tensor -> Tensor

/// Permutes axes (result axis i is input axis perm[i]; null reverses). The adjoint uses the inverse permutation.
val transpose: perm: int array -> x: Tensor -> Tensor

/// The block at `start` with extent `size` (checked; -1 in size takes the rest). Adjoint: zero padding.
val slice: start: int array -> size: int array -> x: Tensor -> Tensor

/// Zeros of `shape` with x written at `start` (the adjoint of slice). Adjoint: slice.
val pad: shape: int array -> start: int array -> x: Tensor -> Tensor

/// Joins tensors along `axis` (all other extents equal). d = concat of the tangents; adjoint i is its slice.
val concat: axis: int -> xs: Tensor array -> Tensor

/// Inserts an axis of extent 1 at `axis` (-rank-1 <= axis <= rank). Linear (a reshape).
val expandDims: axis: int -> x: Tensor -> Tensor

/// Removes axes of extent 1: all of them, or only `axis` (which must have extent 1). Linear (a reshape).
val squeeze: axis: int option -> x: Tensor -> Tensor

/// Stacks equal-shaped tensors along a new axis. Each operand's adjoint is its slice.
val stack: axis: int -> xs: Tensor array -> Tensor

/// Rows of x along `axis` chosen by integer `indices` (any shape). The adjoint scatters (adds) rows back.
val gather: axis: int -> indices: Tensor -> x: Tensor -> Tensor

/// The adjoint of gather: rows of g added into zeros (extent n on `axis`) at `indices`. Adjoint: gather.
val scatterAdd: axis: int -> indices: Tensor -> n: int -> g: Tensor -> Tensor
