namespace Nabla;

public static partial class TF
{
    /// <summary>The norm of <paramref name="tensor"/> (<c>tf.norm</c>): <paramref name="axis"/> null treats it as one vector,
    /// one axis gives vector norms along it, two axes matrix norms over them. <paramref name="ord"/>: "euclidean" (the
    /// default; 2-norm of vectors, Frobenius of matrices), "fro" (matrices only, as TF), "1", "2" (vectors), "inf", or a
    /// positive real p as an invariant numeral. Matrix 1-norm: largest column sum of |x|; inf-norm: largest row sum.
    /// Derivative of the composite, as TF's: the 2-norm's gradient at 0 is NaN, |x|'s subgradient at 0 is 0, ties of the
    /// max split evenly. With two axes, ord 2 is the largest singular value (gradient u₁v₁ᵀ, NaN or inf where the two
    /// largest singular values coincide, as TF's).</summary>
    /// <exception cref="ArgumentException">An unsupported ord for a vector norm ("fro") or a matrix norm (other p), more
    /// than two axes, equal matrix axes, an axis out of range, or an integer dtype.</exception>
    public static Tensor Norm(Tensor tensor, string ord = "euclidean", int[]? axis = null, bool keepdims = false) =>
        Unary(tensor, v => Core.Linalg.norm(ord, axis!, keepdims, v));

    /// <summary><see cref="Norm(Tensor, string, int[], bool)"/> with a numeric <paramref name="ord"/>: 1, 2,
    /// <see cref="double.PositiveInfinity"/> or any positive real p (vector norms).</summary>
    /// <exception cref="ArgumentException">As the string overload; also a non-positive or NaN ord.</exception>
    public static Tensor Norm(Tensor tensor, double ord, int[]? axis = null, bool keepdims = false) =>
        Norm(tensor, double.IsPositiveInfinity(ord) ? "inf" : ord.ToString("R", System.Globalization.CultureInfo.InvariantCulture), axis, keepdims);

    /// <summary>Linear algebra over the last two axes, batched over the leading ones (TensorFlow's <c>tf.linalg</c>).
    /// Float32 and Float64 for the factorisations and solves; differentiable in forward and reverse mode to any order.
    /// Errors are <see cref="ArgumentException"/>s naming the op and the shapes (TensorFlow's InvalidArgumentError).</summary>
    public static class Linalg
    {
        /// <summary>The lower Cholesky factor L (L Lᵀ = A) of each symmetric positive definite matrix of
        /// <paramref name="input"/> [..., n, n] (<c>tf.linalg.cholesky</c>); only A's lower triangle is read, as TF.
        /// Derivative (Murray 2016): dL = L Φ(L⁻¹ sym(dA) L⁻ᵀ), Φ the lower triangle with its diagonal halved; the
        /// gradient is sym(L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹), symmetric as TF's.</summary>
        /// <exception cref="ArgumentException">A matrix is not positive definite (TF: "Cholesky decomposition was not
        /// successful"), the input is not a batch of square matrices, or its dtype is not Float32/Float64.</exception>
        public static Tensor Cholesky(Tensor input) => Unary(input, Core.Linalg.cholesky);

        /// <summary>Solves op(T) X = <paramref name="rhs"/> for triangular T (<c>tf.linalg.triangular_solve</c>):
        /// only the lower triangle of <paramref name="matrix"/> is read when <paramref name="lower"/>, else the upper;
        /// op(T) = Tᵀ when <paramref name="adjoint"/>. matrix [..., n, n], rhs [..., n, k], batch axes broadcast.
        /// Derivative: dX = op(T)⁻¹ (dB − op(dT) X); the matrix's gradient keeps only the triangle read. A zero on the
        /// diagonal is not checked (as TF): the result holds inf or NaN.</summary>
        /// <exception cref="ArgumentException">Non-square matrix, rank &lt; 2, rows of rhs ≠ n, batch axes that do not
        /// broadcast, mixed or non-float dtypes.</exception>
        public static Tensor TriangularSolve(Tensor matrix, Tensor rhs, bool lower = true, bool adjoint = false) =>
            Binary("TriangularSolve", matrix, rhs, (a, b) => Core.Linalg.triangularSolve(a, b, lower, adjoint));

        /// <summary>Solves A X = <paramref name="rhs"/> given the lower Cholesky factor <paramref name="chol"/> of A
        /// (<c>tf.linalg.cholesky_solve</c>): two triangular solves, differentiable in both operands.</summary>
        /// <exception cref="ArgumentException">As <see cref="TriangularSolve"/>.</exception>
        public static Tensor CholeskySolve(Tensor chol, Tensor rhs) =>
            Binary("CholeskySolve", chol, rhs, Core.Linalg.choleskySolve);

        /// <summary>Solves op(A) X = <paramref name="rhs"/> (<c>tf.linalg.solve</c>) by LU with partial pivoting;
        /// op(A) = Aᵀ when <paramref name="adjoint"/>. Batch axes broadcast. Derivative: dX = op(A)⁻¹ (dB − op(dA) X);
        /// gradients B̄ = op(A)⁻ᵀ X̄ and Ā = −B̄ Xᵀ. Nearly singular matrices are solved without warning (as TF).</summary>
        /// <exception cref="ArgumentException">An exactly singular matrix (a zero pivot; TF: "Input matrix is not
        /// invertible."), or shapes/dtypes as <see cref="TriangularSolve"/>.</exception>
        public static Tensor Solve(Tensor matrix, Tensor rhs, bool adjoint = false) =>
            Binary("Solve", matrix, rhs, (a, b) => Core.Linalg.solve(a, b, adjoint));

        /// <summary>The inverse of each matrix of [..., n, n] (<c>tf.linalg.inv</c>), of its transpose when
        /// <paramref name="adjoint"/>. Derivative: −A⁻¹ dA A⁻¹.</summary>
        /// <exception cref="ArgumentException">An exactly singular matrix (as TF), a non-square input or a non-float dtype.</exception>
        public static Tensor Inv(Tensor input, bool adjoint = false) => Unary(input, a => Core.Linalg.inv(a, adjoint));

        /// <summary>The determinant of each matrix of [..., n, n] (<c>tf.linalg.det</c>), by LU. A singular matrix gives 0
        /// (as TF); its derivative det(A)·tr(A⁻¹ dA) needs A⁻¹ and so raises there (as TF's gradient).</summary>
        /// <exception cref="ArgumentException">A non-square input or a non-float dtype.</exception>
        public static Tensor Det(Tensor input) => Unary(input, Core.Linalg.det);

        /// <summary>The sign and log |det| of each matrix of [..., n, n] (<c>tf.linalg.slogdet</c>), by LU. A singular
        /// matrix gives sign 0 and log |det| = −∞ (as TF). The sign is constant; d log|det| = tr(A⁻¹ dA).</summary>
        /// <exception cref="ArgumentException">A non-square input or a non-float dtype.</exception>
        public static (Tensor Sign, Tensor LogAbsDeterminant) Slogdet(Tensor input)
        {
            ArgumentNullException.ThrowIfNull(input);
            var (s, l) = Core.Linalg.slogdet(Scopes.Resolve(input));
            return (new Tensor(s), new Tensor(l));
        }

        /// <summary>log det A of each Hermitian positive definite matrix of [..., n, n] (<c>tf.linalg.logdet</c>):
        /// 2 Σ log diag(cholesky(A)), differentiable through <see cref="Cholesky"/> (gradient A⁻¹, symmetric).</summary>
        /// <exception cref="ArgumentException">A matrix that is not positive definite, as <see cref="Cholesky"/>.</exception>
        public static Tensor LogDet(Tensor input) => Unary(input, Core.Linalg.logdet);

        /// <summary>The sum of the diagonal of each matrix of [..., m, n] (<c>tf.linalg.trace</c>), shape [...]. Any dtype.
        /// Linear: its gradient puts Ḡ on the diagonal.</summary>
        /// <exception cref="ArgumentException">An input of rank &lt; 2.</exception>
        public static Tensor Trace(Tensor input) => Unary(input, Core.Linalg.trace);

        /// <summary>The main diagonal of each matrix of [..., m, n] (<c>tf.linalg.diag_part</c>), shape [..., min(m, n)].
        /// Any dtype. Linear: its gradient writes Ḡ on the diagonal of zeros.</summary>
        /// <exception cref="ArgumentException">An input of rank &lt; 2.</exception>
        public static Tensor DiagPart(Tensor input) => Unary(input, Core.Linalg.diagPart);

        /// <summary>Batched diagonal matrices [..., n, n] from <paramref name="diagonal"/> [..., n] (<c>tf.linalg.diag</c>),
        /// zeros off the diagonal (also beside a NaN). Any dtype. Linear: its gradient is the diagonal part of Ḡ.</summary>
        /// <exception cref="ArgumentException">A scalar input.</exception>
        public static Tensor Diag(Tensor diagonal) => Unary(diagonal, Core.Linalg.diag);

        /// <summary><c>tf.linalg.norm</c>: the same op as <see cref="TF.Norm(Tensor, string, int[], bool)"/>.</summary>
        /// <exception cref="ArgumentException">As <see cref="TF.Norm(Tensor, string, int[], bool)"/>.</exception>
        public static Tensor Norm(Tensor tensor, string ord = "euclidean", int[]? axis = null, bool keepdims = false) =>
            TF.Norm(tensor, ord, axis, keepdims);

        /// <summary><c>tf.linalg.norm</c> with a numeric ord, as <see cref="TF.Norm(Tensor, double, int[], bool)"/>.</summary>
        /// <exception cref="ArgumentException">As <see cref="TF.Norm(Tensor, double, int[], bool)"/>.</exception>
        public static Tensor Norm(Tensor tensor, double ord, int[]? axis = null, bool keepdims = false) =>
            TF.Norm(tensor, ord, axis, keepdims);

        /// <summary>Each matrix of [..., m, n] with the entries outside a band set to zero (<c>tf.linalg.band_part</c>):
        /// (i, j) is kept when (numLower &lt; 0 or i − j ≤ numLower) and (numUpper &lt; 0 or j − i ≤ numUpper); a negative
        /// count keeps that whole triangle. Any dtype. Linear: its gradient is the band part of Ḡ.</summary>
        /// <exception cref="ArgumentException">An input of rank &lt; 2.</exception>
        public static Tensor BandPart(Tensor input, int numLower, int numUpper) =>
            Unary(input, a => Core.Linalg.bandPart(a, numLower, numUpper));

        /// <summary>The QR decomposition of each matrix of [..., m, n] (<c>tf.linalg.qr</c>): A = Q R with orthonormal
        /// columns in Q and R upper triangular. <paramref name="fullMatrices"/> false (TF's default): Q [..., m, k],
        /// R [..., k, n], k = min(m, n); true: Q [..., m, m], R [..., m, n]. R's diagonal is made non-negative (TF leaves
        /// the solver's signs). Derivative: TF's QrGrad for m ≥ n (with X = Qᵀ dA R⁻¹ and Ω skew with X's strict lower
        /// triangle, dR = (X − Ω) R, dQ = dA R⁻¹ − Q (X − Ω)); for m &lt; n through A = [X | Y], R = [R_X | Qᵀ Y] as TF.
        /// A zero on R's diagonal (rank-deficient leading columns) gives inf or NaN derivatives, as TF. NaN or infinity
        /// in a matrix gives NaN factors.</summary>
        /// <exception cref="ArgumentException">Rank &lt; 2 or a non-float dtype; when differentiating full_matrices=true
        /// with m &gt; n (not differentiable: the extra columns of Q are not unique; TF raises NotImplementedError).</exception>
        public static (Tensor Q, Tensor R) Qr(Tensor input, bool fullMatrices = false)
        {
            ArgumentNullException.ThrowIfNull(input);
            var (q, r) = Core.Linalg.qr(Scopes.Resolve(input), fullMatrices);
            return (new Tensor(q), new Tensor(r));
        }

        /// <summary>The eigendecomposition of each symmetric matrix of [..., n, n] (<c>tf.linalg.eigh</c>, only the lower
        /// triangle read as TF): eigenvalues [..., n] ascending and eigenvectors [..., n, n] as columns,
        /// A = V diag(e) Vᵀ. Each eigenvector's entry of largest magnitude is made positive. Derivative with
        /// F_ij = 1 / (e_j − e_i) (0 on the diagonal): de = diag(Vᵀ dS V), dV = V (F ∘ Vᵀ dS V); the adjoint
        /// V (diag(ē) + F ∘ Vᵀ V̄) Vᵀ folded onto the lower triangle, as TF's. Repeated eigenvalues make F infinite:
        /// inf or NaN gradients there (as TF). NaN or infinity in the lower triangle gives NaN outputs.</summary>
        /// <exception cref="ArgumentException">Non-square matrices, rank &lt; 2 or a non-float dtype.</exception>
        public static (Tensor Eigenvalues, Tensor Eigenvectors) Eigh(Tensor tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            var (e, v) = Core.Linalg.eigh(Scopes.Resolve(tensor));
            return (new Tensor(e), new Tensor(v));
        }

        /// <summary>The eigenvalues alone of each symmetric matrix (<c>tf.linalg.eigvalsh</c>), ascending, lower
        /// triangle read: de = diag(Vᵀ dS V), adjoint V diag(ē) Vᵀ folded onto the lower triangle, finite at repeated
        /// eigenvalues (as TF's).</summary>
        /// <exception cref="ArgumentException">As <see cref="Eigh"/>.</exception>
        public static Tensor Eigvalsh(Tensor tensor) => Unary(tensor, Core.Linalg.eigvalsh);

        /// <summary>The singular value decomposition of each matrix of [..., m, n] (<c>tf.linalg.svd</c>), in TF's
        /// order: s [..., k] descending (k = min(m, n)), U and V with A = U diag(s) Vᵀ. <paramref name="fullMatrices"/>
        /// false: U [..., m, k], V [..., n, k]; true: U [..., m, m], V [..., n, n]. <paramref name="computeUv"/> false:
        /// s alone (U and V null), as TF. In each column pair, U's entry of largest magnitude is made positive.
        /// Derivative: TF's (Townsend) for the reduced decomposition, F_ij = 1 / (s_j² − s_i²); repeated singular values
        /// (with U or V used), or a zero one with m ≠ n, give inf or NaN (as TF); s alone has the adjoint U diag(s̄) Vᵀ.
        /// NaN or infinity in a matrix gives NaN outputs.</summary>
        /// <exception cref="ArgumentException">Rank &lt; 2 or a non-float dtype; when differentiating full_matrices=true
        /// with m ≠ n and U, V computed (not differentiable; TF raises NotImplementedError).</exception>
        public static (Tensor S, Tensor? U, Tensor? V) Svd(Tensor tensor, bool fullMatrices = false, bool computeUv = true)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            var (s, u, v) = Core.Linalg.svd(Scopes.Resolve(tensor), fullMatrices, computeUv);
            return (new Tensor(s), u is null ? null : new Tensor(u), v is null ? null : new Tensor(v));
        }

        /// <summary>The least-squares solution X [..., n, k] of <paramref name="matrix"/> [..., m, n] X =
        /// <paramref name="rhs"/> [..., m, k] (<c>tf.linalg.lstsq</c>), batch axes broadcasting.
        /// <paramref name="fast"/> true (TF's default): the normal equations by Cholesky, (AᵀA + λI)⁻¹AᵀB for m ≥ n,
        /// Aᵀ(AAᵀ + λI)⁻¹B for m &lt; n, λ = <paramref name="l2Regularizer"/>; differentiable through that composite.
        /// false: the minimum-norm solution through the SVD (λ ignored, as TF), differentiable at full rank (TF gives
        /// no gradient for fast=false).</summary>
        /// <exception cref="ArgumentException">Rank &lt; 2, rows of rhs ≠ m, batch axes that do not broadcast, mixed or
        /// non-float dtypes, a negative regulariser; with fast=true a Gram matrix that is not positive definite (a
        /// rank-deficient matrix with λ = 0; TF's InvalidArgumentError from its Cholesky).</exception>
        public static Tensor Lstsq(Tensor matrix, Tensor rhs, double l2Regularizer = 0.0, bool fast = true) =>
            Binary("Lstsq", matrix, rhs, (a, b) => Core.Linalg.lstsq(a, b, l2Regularizer, fast));
    }
}
