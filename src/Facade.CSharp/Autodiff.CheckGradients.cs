namespace Nabla;

// Autodiff.CheckGradients: a gradcheck, and its result.
public static partial class Autodiff
{
    /// <summary>
    /// A gradcheck for .NET (as PyTorch's <c>gradcheck</c>, with its defaults): compares reverse mode, forward mode and
    /// central finite differences <c>(f(x + eps e_j) - f(x - eps e_j)) / 2 eps</c> of <paramref name="f"/> at
    /// <paramref name="x"/>, element by element, in Float64 (x is converted). An element passes when
    /// <c>|a - b| &lt;= atol + rtol |b|</c>, b being the finite difference (or forward mode, for reverse against forward).
    /// With <paramref name="order"/> &gt; 1 the same is done for the Jacobian of f (order 2), its Jacobian (order 3)...
    /// </summary>
    /// <returns>Whether every comparison passed, the largest errors, and (in <c>ToString</c>) the worst element.</returns>
    /// <exception cref="ArgumentException">x is not a float tensor, order &lt; 1 or eps &lt;= 0.</exception>
    public static GradientCheckResult CheckGradients(Func<Tensor, Tensor> f, Tensor x, int order = 1,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(f);
        Input("CheckGradients", x);
        if (order < 1) throw new ArgumentException($"CheckGradients: order {order}; expected 1 or more.", nameof(order));
        if (!(eps > 0)) throw new ArgumentException($"CheckGradients: eps {eps}; expected a positive step.", nameof(eps));
        var x64 = new Tensor(Core.Combinators.constant(Core.Storage.cast(Core.DType.Float64, x.Raw)));
        var check = new GradientCheckResult.Builder(atol, rtol);
        Func<Tensor, Tensor> fk = z => TF.Cast(f(z), DType.Float64);
        for (int k = 1; k <= order; k++)
        {
            var y0 = fk(x64);
            int m = y0.Size, n = x64.Size;
            var outShape = y0.ShapeArray;
            // reverse: one pullback per output element; forward: one JVP per input element
            var (_, pullback) = Vjp(fk, x64);
            var rev = new double[m * n];
            for (int i = 0; i < m; i++)
            {
                var row = pullback(Unit(outShape, i)).ToArray<double>();
                Array.Copy(row, 0, rev, i * n, n);
            }
            var fwd = new double[m * n];
            var fd = new double[m * n];
            var xs = x64.ToArray<double>();
            for (int j = 0; j < n; j++)
            {
                var col = Jvp(fk, x64, Unit(x64.ShapeArray, j)).Jvp.ToArray<double>();
                var plus = (double[])xs.Clone();
                var minus = (double[])xs.Clone();
                plus[j] += eps;
                minus[j] -= eps;
                var fp = fk(Plain(plus, x64.ShapeArray)).ToArray<double>();
                var fm = fk(Plain(minus, x64.ShapeArray)).ToArray<double>();
                for (int i = 0; i < m; i++)
                {
                    fwd[i * n + j] = col[i];
                    fd[i * n + j] = (fp[i] - fm[i]) / (2 * eps);
                }
            }
            check.Compare(k, outShape, x64.ShapeArray, "reverse", rev, "finite differences", fd);
            check.Compare(k, outShape, x64.ShapeArray, "forward", fwd, "finite differences", fd);
            check.Compare(k, outShape, x64.ShapeArray, "reverse", rev, "forward", fwd);
            var prev = fk;
            fk = z => Jacobian(prev, z);
        }
        return check.Build();
    }

    private static Tensor Unit(int[] shape, int i)
    {
        var values = new double[Core.Shape.size(shape)];
        values[i] = 1;
        return Plain(values, shape);
    }

    private static Tensor Plain(double[] values, int[] shape) =>
        new(Core.Combinators.constant(new Core.RawTensor(Core.DType.Float64, (int[])shape.Clone(), values)));
}

/// <summary>The outcome of <see cref="Autodiff.CheckGradients"/>: whether reverse mode, forward mode and finite
/// differences agreed within tolerance, the largest errors, and the worst element.</summary>
public sealed class GradientCheckResult
{
    private GradientCheckResult(bool passed, double maxAbs, double maxRel, int comparisons, string worst)
    {
        Passed = passed;
        MaxAbsoluteError = maxAbs;
        MaxRelativeError = maxRel;
        Comparisons = comparisons;
        WorstElement = worst;
    }

    /// <summary>Whether every element of every comparison was within <c>atol + rtol |reference|</c>.</summary>
    public bool Passed { get; }

    /// <summary>The largest <c>|a - b|</c> over all comparisons.</summary>
    public double MaxAbsoluteError { get; }

    /// <summary>The largest <c>|a - b| / |b|</c> over all comparisons (b the reference; elements with b = 0 count their absolute error).</summary>
    public double MaxRelativeError { get; }

    /// <summary>How many element comparisons were made.</summary>
    public int Comparisons { get; }

    /// <summary>The element furthest outside (or closest to) its tolerance: order, derivative element, both values.</summary>
    public string WorstElement { get; }

    /// <summary>"CheckGradients passed/FAILED: ..." with the largest errors and the worst element.</summary>
    public override string ToString() =>
        $"CheckGradients {(Passed ? "passed" : "FAILED")}: {Comparisons} comparisons, max absolute error {MaxAbsoluteError:G4}, " +
        $"max relative error {MaxRelativeError:G4}; worst element: {WorstElement}";

    internal sealed class Builder
    {
        private readonly double atol, rtol;
        private bool passed = true;
        private double maxAbs, maxRel, worstRatio = -1;
        private int count;
        private string worst = "none (nothing to compare)";

        internal Builder(double atol, double rtol)
        {
            this.atol = atol;
            this.rtol = rtol;
        }

        internal void Compare(int order, int[] outShape, int[] inShape, string aName, double[] a, string bName, double[] b)
        {
            int n = Core.Shape.size(inShape);
            for (int k = 0; k < a.Length; k++)
            {
                count++;
                double err = Math.Abs(a[k] - b[k]);
                double scale = Math.Abs(b[k]);
                double rel = scale > 0 ? err / scale : err;
                double tol = atol + rtol * scale;
                bool ok = err <= tol; // NaN fails
                if (!ok) passed = false;
                if (double.IsNaN(err)) err = rel = double.PositiveInfinity;
                maxAbs = Math.Max(maxAbs, err);
                maxRel = Math.Max(maxRel, rel);
                double ratio = tol > 0 ? err / tol : err;
                if (ratio > worstRatio)
                {
                    worstRatio = ratio;
                    worst = $"order {order}, d output{Index(outShape, k / n)} / d input{Index(inShape, k % n)}: " +
                            $"{aName} {a[k]:G10} vs {bName} {b[k]:G10} (absolute error {err:G4}, tolerance {tol:G4})";
                }
            }
        }

        private static string Index(int[] shape, int flat)
        {
            var idx = new int[shape.Length];
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                idx[d] = flat % shape[d];
                flat /= shape[d];
            }
            return "[" + string.Join(", ", idx) + "]";
        }

        internal GradientCheckResult Build() => new(passed, maxAbs, maxRel, count, worst);
    }
}
