/// Matrix products: MatMul over the last two axes with broadcast batch axes, and MatVec. The kernels go through the
/// linear-algebra provider that Backend chose (MKL, another CBLAS, or MathNet's managed code).
module Nabla.Core.Products

open Nabla.Core

/// The kernels of the products: one GEMM through the provider, or one per batch matrix.
module Kernels =

    /// 2-D matrix product op(a) * op(b) of row-major matrices, through the provider `Backend` chose
    /// (MathNet's ILinearAlgebraProvider: MKL, another CBLAS, or MathNet's managed code).
    /// A row-major m x k matrix is the column-major k x m matrix, so C = A B is computed as C^T = B^T A^T.
    val internal matmul2: transA: bool -> transB: bool -> a: RawTensor -> b: RawTensor -> RawTensor

    /// op(a) op(b) over the last two axes, broadcasting the leading (batch) axes. Ranks >= 2, checked by the caller.
    val internal matmul: transA: bool -> transB: bool -> a: RawTensor -> b: RawTensor -> RawTensor

/// For C = op(A) op(B) with adjoint G: dA as a product with transpose flags (nothing materialised), given the
/// product function (2-D or batched): G B^T, B G^T, G B or B^T G^T for the four flag pairs.
val internal matmulAdjointA:
  mm: (bool ->
         bool -> Tensor -> Tensor -> Tensor) ->
    transA: bool ->
    transB: bool ->
    b: Tensor -> g: Tensor -> Tensor

/// For C = op(A) op(B) with adjoint G: dB (A^T G, A G, G^T A or G^T A^T for the four flag pairs).
val internal matmulAdjointB:
  mm: (bool ->
         bool -> Tensor -> Tensor -> Tensor) ->
    transA: bool ->
    transB: bool ->
    a: Tensor -> g: Tensor -> Tensor

/// op(a) op(b) over the last two axes (ranks >= 2), op transposing when its flag is set, leading (batch) axes
/// broadcast as NumPy. dC = op(dA) op(B) + op(A) op(dB); the adjoints are products with G whose flags are chosen so
/// nothing is materialised, summed back over broadcast batch axes.
val matmul: transA: bool -> transB: bool -> a: Tensor -> b: Tensor -> Tensor

val internal matmulPrim: transA: bool -> transB: bool -> BinaryPrim

/// Matrix-vector product over the last axes (tf.linalg.matvec): a [..., m, n], x [..., n] -> [..., m].
val matvec: transA: bool -> a: Tensor -> x: Tensor -> Tensor
