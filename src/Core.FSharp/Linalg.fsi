/// Linear algebra over the last two axes, batched over the leading ones (TensorFlow's tf.linalg): Cholesky, triangular
/// and general solves, inverse, determinants, trace, diagonals and band parts, norms, the QR, symmetric eigen- and
/// singular value decompositions, and least squares. Factorisations go through the
/// linear-algebra provider Backend chose (MathNet's ILinearAlgebraProvider); every derivative rule is written with
/// these differentiable ops, so derivatives of every order and mode follow.
module Nabla.Core.Linalg

open Nabla.Core

/// The lower Cholesky factor L of each symmetric positive definite matrix of `input` [..., n, n], L L^T = A
/// (tf.linalg.cholesky). Only the lower triangle of A is read (as TF). Derivative (Murray 2016): with
/// S = (dA + dA^T)/2, dL = L Φ(L^-1 S L^-T), Φ taking the lower triangle with the diagonal halved; the adjoint is
/// sym(L^-T Φ(L^T G) L^-1), symmetrised as TF's. A matrix that is not positive definite (a non-positive or NaN
/// pivot) is an ArgumentException naming the op and the batch index (TF raises InvalidArgumentError).
val cholesky: input: Tensor -> Tensor

/// Solves op(T) X = rhs for triangular T (tf.linalg.triangular_solve): only the lower triangle of `matrix` is read
/// when `lower`, else only the upper; op is the transpose when `adjoint`. matrix [..., n, n], rhs [..., n, k]; batch
/// axes broadcast. dX = op(T)^-1 (dB - op(dT) X); the adjoints are B̄ = op(T)^-T X̄ and T̄ = -B̄ X^T (or -X B̄^T when
/// `adjoint`) restricted to the triangle read. A zero on the diagonal is not checked (as TF): inf or NaN follow.
val triangularSolve: matrix: Tensor -> rhs: Tensor -> lower: bool -> adjoint: bool -> Tensor

/// Solves A X = rhs given the lower Cholesky factor `chol` of A (tf.linalg.cholesky_solve): two triangular solves,
/// differentiable in both operands through them.
val choleskySolve: chol: Tensor -> rhs: Tensor -> Tensor

/// Solves op(A) X = rhs (tf.linalg.solve) by LU with partial pivoting; op is the transpose when `adjoint`. Batch axes
/// broadcast. dX = op(A)^-1 (dB - op(dA) X); B̄ = op(A)^-T X̄, Ā = -B̄ X^T (-X B̄^T when `adjoint`). A matrix with an
/// exact zero pivot is an ArgumentException ("not invertible", as TF's InvalidArgumentError); nearly singular
/// matrices are solved without a warning (as TF).
val solve: matrix: Tensor -> rhs: Tensor -> adjoint: bool -> Tensor

/// The inverse of each matrix of [..., n, n] (tf.linalg.inv), or of its transpose when `adjoint`: the solve of
/// A X = I, so its derivative is -A^-1 dA A^-1 and an exactly singular matrix is an ArgumentException (as TF).
val inv: input: Tensor -> adjoint: bool -> Tensor

/// The determinant of each matrix of [..., n, n] (tf.linalg.det), from an LU factorisation. A singular matrix gives 0
/// (as TF), but its derivative det(A) A^-T needs A^-1 and raises there (as TF's). d det = det tr(A^-1 dA).
val det: input: Tensor -> Tensor

/// (sign, log |det|) of each matrix of [..., n, n] (tf.linalg.slogdet), from an LU factorisation. A singular matrix
/// gives sign 0 and log |det| = -inf (as TF). The sign is a constant; d log|det| = tr(A^-1 dA), adjoint G A^-T.
val slogdet: input: Tensor -> Tensor * Tensor

/// log det A of each Hermitian positive definite matrix of [..., n, n] (tf.linalg.logdet): 2 Σ log diag(cholesky A),
/// differentiable through Cholesky (so only A's lower triangle is read and the gradient is A^-1, symmetrised). A
/// matrix that is not positive definite is Cholesky's ArgumentException.
val logdet: input: Tensor -> Tensor

/// The diagonal of each matrix of [..., m, n] (tf.linalg.diag_part, k = 0): [..., min(m, n)]. Any dtype. Linear: its
/// adjoint writes G on the diagonal of zeros.
val diagPart: input: Tensor -> Tensor

/// The sum of the diagonal of each matrix of [..., m, n] (tf.linalg.trace): [...]. Any dtype. Linear.
val trace: input: Tensor -> Tensor

/// Batched diagonal matrices from [..., n] (tf.linalg.diag, k = 0): [..., n, n] with zeros off the diagonal (also
/// where the diagonal holds NaN or inf). Any dtype. Linear: its adjoint is the diagonal part of G.
val diag: diagonal: Tensor -> Tensor

/// Each matrix of [..., m, n] with the entries outside its band set to zero (tf.linalg.band_part): entry (i, j) is
/// kept when (numLower < 0 or i - j <= numLower) and (numUpper < 0 or j - i <= numUpper); a negative count keeps the
/// whole triangle. Any dtype. Linear (a selection, so NaN outside the band is dropped): its adjoint is the band part of G.
val bandPart: input: Tensor -> numLower: int -> numUpper: int -> Tensor

/// The norm of `x` as tf.norm (also tf.linalg.norm). `axes` null: x as one vector (all elements); one axis: vector
/// norms along it; two axes: matrix norms over them. `ord`: "euclidean" (the default: the 2-norm of a vector, the
/// Frobenius norm of a matrix), "fro" (matrices only, as TF), "1", "2" (vectors), "inf", or a positive real p as an
/// invariant numeral (vectors: (Σ|x|^p)^(1/p)). Matrix 1-norm: the largest column sum of |x|; inf-norm: the largest row
/// sum. `keepDims` keeps the reduced axes with extent 1. Float32/Float64 only. Derivatives are those of the composite,
/// as TF's: the 2-norm's gradient at x = 0 is NaN (sqrt'(0) times 0, as TF), |x|'s subgradient at 0 is 0, ties of a
/// max split the adjoint evenly. The matrix 2-norm ("2" with two axes) is the largest singular value (the two axes
/// moved last, as TF), differentiable through the singular values: its gradient is u1 v1^T, NaN or inf where the two
/// largest singular values coincide (as TF's).
val norm: ord: string -> axes: int array -> keepDims: bool -> x: Tensor -> Tensor

/// The QR decomposition of each matrix of `input` [..., m, n] (tf.linalg.qr): (Q, R) with A = Q R, Q's columns
/// orthonormal and R upper triangular. `fullMatrices` false (TF's default): Q [..., m, k], R [..., k, n], k = min(m, n);
/// true: Q [..., m, m], R [..., m, n]. Signs are made deterministic: R's diagonal is >= 0 (TF leaves LAPACK's/Eigen's
/// signs), the extra columns of a full Q are the provider's. Derivative (TF's QrGrad): for m >= n reduced (and square
/// full), with X = Q^T dA R^-1 and Ω the skew matrix whose strict lower triangle is X's, dR = (X - Ω) R and
/// dQ = dA R^-1 - Q (X - Ω); the adjoint is Q (R̄ + T R^-T) + (Q̄ - Q Q^T Q̄) R^-T with T the lower triangle of
/// (Q^T Q̄ - Q̄^T Q) + (R R̄^T - R̄ R^T). For m < n, A = [X | Y] and R = [R_X | Q^T Y] with Q R_X = X, differentiated
/// through that composite (TF's construction). A singular leading block (R with a zero on its diagonal) gives inf or
/// NaN derivatives (as TF). full_matrices=true with m > n has no derivative: differentiating it is an ArgumentException
/// (TF raises NotImplementedError). Input holding NaN or infinity gives NaN factors.
val qr: input: Tensor -> fullMatrices: bool -> Tensor * Tensor

/// The eigendecomposition of each symmetric matrix of `input` [..., n, n] (tf.linalg.eigh; only the lower triangle is
/// read, as TF): (e [..., n] ascending, V [..., n, n] with the eigenvectors as columns), A = V diag(e) V^T. Each
/// eigenvector's entry of largest magnitude is made positive (deterministic; TF leaves the solver's signs). Derivative
/// with F_ij = 1 / (e_j - e_i) off the diagonal and 0 on it: de = diag(V^T dS V), dV = V (F ∘ (V^T dS V)) for the
/// symmetric dS read from dA's lower triangle; the adjoint is V (diag(ē) + F ∘ (V^T V̄)) V^T folded onto the lower
/// triangle (TF's). Repeated eigenvalues make F infinite: the eigenvector derivatives are inf or NaN there (as TF),
/// (`eigvalsh` stays finite there). NaN or infinity in the lower triangle gives NaN outputs.
val eigh: input: Tensor -> Tensor * Tensor

/// The eigenvalues alone of each symmetric matrix of [..., n, n] (tf.linalg.eigvalsh), ascending; lower triangle read.
/// de = diag(V^T dS V), adjoint V diag(ē) V^T folded onto the lower triangle: finite at repeated eigenvalues (as TF's).
val eigvalsh: input: Tensor -> Tensor

/// The singular value decomposition of each matrix of `input` [..., m, n] (tf.linalg.svd), returned in TF's order
/// (s, U, V): s [..., k] descending (k = min(m, n)), A = U diag(s) V^T. `fullMatrices` false: U [..., m, k],
/// V [..., n, k]; true: U [..., m, m], V [..., n, n]. `computeUv` false: s alone (U and V null). Signs are made
/// deterministic: in each column pair the entry of U of largest magnitude is positive. Derivative (TF's, after
/// Townsend), with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal: the adjoint of the reduced decomposition is
/// U [(F ∘ (U^T Ū - Ū^T U)) S + diag(s̄) + S (F ∘ (V^T V̄ - V̄^T V))] V^T + (I - U U^T) Ū S^-1 V^T + U S^-1 V̄^T (I - V V^T),
/// the JVP its transpose. Repeated singular values (with U or V used) or a zero one (with m <> n) give inf or NaN
/// derivatives (as TF). s alone has the adjoint U diag(s̄) V^T, finite everywhere (distinct s). full_matrices=true
/// with m <> n and U or V computed has no derivative: differentiating it is an ArgumentException (TF raises
/// NotImplementedError). Input holding NaN or infinity gives NaN outputs.
val svd: input: Tensor -> fullMatrices: bool -> computeUv: bool -> Tensor * Tensor * Tensor

/// The least-squares solution X [..., n, k] of matrix [..., m, n] X = rhs [..., m, k] (tf.linalg.lstsq), batch axes
/// broadcast. `fast` true (TF's default): the normal equations by Cholesky, X = (A^T A + λ I)^-1 A^T B for m >= n and
/// X = A^T (A A^T + λ I)^-1 B for m < n, λ = `l2Regularizer` (>= 0); differentiable through that composite. A Gram
/// matrix that is not positive definite (a rank-deficient A with λ = 0) is an ArgumentException (TF: the Cholesky's
/// InvalidArgumentError). `fast` false: the minimum-norm solution through the SVD (singular values below
/// max(m, n) eps s_max dropped; TF uses a complete orthogonal decomposition with the same solution) and λ ignored,
/// as TF; differentiable through the SVD at full rank (TF gives no gradient there), NaN at a rank deficiency.
val lstsq: matrix: Tensor -> rhs: Tensor -> l2Regularizer: float -> fast: bool -> Tensor
