/// Einstein summation (tf.einsum) and tensor contraction over axis pairs (tf.tensordot). Both are composites: each
/// pairwise contraction is transposes, reshapes and one matrix product (Products.matmul, or a broadcast product when
/// nothing is summed), repeated labels are diagonals taken with Gather, and labels summed away are ReduceSum; so every
/// derivative, at every order and in both modes, comes from those primitives' rules.
module Nabla.Core.Einsum

open Nabla.Core

/// The kernel of the integer contractions (Float32 and Float64 go through Products.matmul).
module Kernels =

    /// op(a) op(b) of Int32 or Int64 operands of rank 2, or rank 3 with one equal batch axis; sums wrap on overflow
    /// (as TensorFlow's integer einsum). Not differentiable (integers have no derivatives).
    val internal intMatmul: transA: bool -> transB: bool -> a: RawTensor -> b: RawTensor -> RawTensor

/// Einstein summation over `operands` as tf.einsum: `equation` names each operand's axes with letters (a-z, A-Z),
/// operands separated by ',', the output after "->" (whitespace anywhere is ignored). A label repeated within one
/// operand takes the (generalised) diagonal ("ii->i"); a label absent from the output is summed over ("ij->i",
/// "ii->" is the trace); without "->" the output is the labels that occur exactly once, in character-code order
/// (A-Z before a-z). "..." stands for any number of leading, middle or trailing axes; the ellipses of all operands
/// broadcast against each other as NumPy (aligned from the right, extent 1 stretches), and the output must hold
/// "..." when they cover any axis. Named labels must have equal extents everywhere (no broadcasting, as TensorFlow).
///
/// One or more operands: two are contracted directly; more are contracted pairwise in the order opt_einsum's greedy
/// strategy (tf.einsum's default) picks: at each step the pair whose result is smallest against its operands
/// (size(result) - size(a) - size(b), the first pair on ties), the result joining the end of the list. A label in
/// one operand only and not in the output is summed first. An equation that is a (batched, broadcast) matrix
/// product ("ij,jk->ik", "bij,bjk->bik", "ij,kj->ik", "...ij,...jk->...ik", "ij,jk->ki") calls MatMul directly with
/// its transpose flags.
///
/// Float32 and Float64 are differentiable to any order (the result is multilinear in the operands: the derivative
/// along one operand is the same einsum with its tangent in that place); Int32 and Int64 are computed exactly (sums
/// wrap), as TensorFlow's CPU kernels. Deviation from tf.einsum: an implicit output always leads with "..." when an
/// operand has one (NumPy's rule; tf.einsum drops it when two operands hold "..." and then rejects the equation).
/// ArgumentException naming the op, the equation and the operand or label at fault (wrong number of operands,
/// characters other than letters, ',', "->" and "...", ranks that do not fit the subscripts, label extents that
/// differ, ellipses that do not broadcast, output labels repeated or absent from the inputs, dtypes), before
/// anything is computed.
/// <example><c>einsum "bij,bjk->bik" [| a; b |]</c> is a batched matrix product; <c>einsum "ii" [| m |]</c> the trace.</example>
val einsum: equation: string -> operands: Tensor array -> Tensor

/// Contracts axes `axesA` of a with axes `axesB` of b pairwise (tf.tensordot with a pair of axis lists; negative
/// axes count from the end): the result's axes are a's remaining axes in order, then b's. An einsum over those
/// labels, so its derivatives are the same. ArgumentException for lists of different lengths, axes out of range or
/// repeated, contracted extents that differ, or dtypes.
val tensordot: axesA: int array -> axesB: int array -> a: Tensor -> b: Tensor -> Tensor

/// tf.tensordot with an integer `axes` = n: the last n axes of a against the first n of b (0 <= n <= both ranks;
/// 0 gives the outer product).
val tensordotN: n: int -> a: Tensor -> b: Tensor -> Tensor
