using Microsoft.FSharp.Core;

namespace Nabla;

/// <summary>
/// JAX-style function transforms over C# functions (beyond TensorFlow), built on the same core as
/// <see cref="GradientTape"/>. They compose (<c>Grad(Grad(f))</c> is the second derivative), work inside tapes and
/// accumulators, and never return <c>null</c>: an input the output does not depend on gets zeros.
/// </summary>
/// <example>
/// <code>
/// var f = (Tensor x) => x * x * x;
/// var d2f = Autodiff.Grad(Autodiff.Grad(f));
/// d2f(TF.Constant(2.0)); // 12
/// </code>
/// </example>
public static class Autodiff
{
    // Runs the user's function on a core value that carries a transform's fresh tag. The tag is made an active
    // scope for the duration, so the TF operations inside f (which strip the tags of inactive scopes) keep it.
    private static Core.Tensor Call(string op, Func<Tensor, Tensor> f, Core.Tensor x, bool weak)
    {
        using var _ = Scopes.Activate(x);
        var y = f(new Tensor(x, weak)) ?? throw new InvalidOperationException($"{op}: the function returned null; expected a Tensor.");
        return Scopes.Resolve(y);
    }

    private static FSharpFunc<Core.Tensor, Core.Tensor> Lift(string op, Func<Tensor, Tensor> f, bool weak) =>
        FuncConvert.FromFunc<Core.Tensor, Core.Tensor>(x => Call(op, f, x, weak));

    private static Tensor Out(Core.Tensor v) => new(Scopes.Strip(v));

    private static Core.Tensor Input(string op, Tensor x, string name = "x")
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (!x.DType.IsFloat())
            throw new ArgumentException($"{op}: cannot differentiate with respect to a {x.DType} tensor; expected Float32 or Float64 (use TF.Cast).", name);
        return Scopes.Resolve(x);
    }

    private static Core.Tensor Matching(string op, Tensor x, Tensor like, string what, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (!Core.Shape.equal(x.ShapeArray, like.ShapeArray))
            throw new ArgumentException($"{op}: {what} has shape {Shapes.Format(x.ShapeArray)}; expected {Shapes.Format(like.ShapeArray)}.", name);
        if (x.DType != like.DType && !x.IsWeak)
            throw new ArgumentException($"{op}: {what} has dtype {x.DType}; expected {like.DType}.", name);
        return Core.Elementwise.cast(like.Value.DType, Scopes.Resolve(x));
    }

    /// <summary>The gradient function of <paramref name="f"/> (<c>jax.grad</c>): for a non-scalar output, the gradient
    /// of the sum of its elements. Reverse mode.</summary>
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var vg = ValueAndGrad(f);
        return x => vg(x).Grad;
    }

    /// <summary>A function returning both <paramref name="f"/>'s value and its gradient (<c>jax.value_and_grad</c>),
    /// from one forward and one backward pass.</summary>
    public static Func<Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x =>
        {
            var xv = Input("Grad", x);
            var r = Core.Derivatives.valueAndGrad(Lift("Grad", f, x.IsWeak), xv);
            return (Out(r.Item1), Out(Core.Elementwise.cast(xv.DType, r.Item2)));
        };
    }

    /// <summary>The value of <paramref name="f"/> at <paramref name="primal"/> and its directional derivative along
    /// <paramref name="tangent"/> (<c>jax.jvp</c>): one forward-mode pass with dual numbers.</summary>
    /// <exception cref="ArgumentException">The tangent's shape or dtype differs from the primal's.</exception>
    public static (Tensor Value, Tensor Jvp) Jvp(Func<Tensor, Tensor> f, Tensor primal, Tensor tangent)
    {
        ArgumentNullException.ThrowIfNull(f);
        var x = Input("Jvp", primal, nameof(primal));
        var v = Matching("Jvp", tangent, primal, "tangent", nameof(tangent));
        var r = Core.Derivatives.jvp(Lift("Jvp", f, primal.IsWeak), x, v);
        return (Out(r.Item1), Out(r.Item2));
    }

    /// <summary>The value of <paramref name="f"/> at <paramref name="primal"/> and its pullback (<c>jax.vjp</c>): a
    /// function from a cotangent shaped as the value to the vector-Jacobian product, shaped as the primal. The forward
    /// pass runs once; the pullback may be called any number of times.</summary>
    public static (Tensor Value, Func<Tensor, Tensor> Vjp) Vjp(Func<Tensor, Tensor> f, Tensor primal)
    {
        ArgumentNullException.ThrowIfNull(f);
        var x = Input("Vjp", primal, nameof(primal));
        var r = Core.Derivatives.vjp(Lift("Vjp", f, primal.IsWeak), x);
        var value = Out(r.Item1);
        var pullback = r.Item2;
        return (value, cotangent =>
        {
            var c = Matching("Vjp", cotangent, value, "cotangent", nameof(cotangent));
            return Out(Core.Elementwise.cast(x.DType, pullback.Invoke(c)));
        });
    }

    /// <summary>The Jacobian of <paramref name="f"/> at <paramref name="x"/>, shaped <c>f(x).Shape ++ x.Shape</c>
    /// (<c>jax.jacobian</c>). <paramref name="f"/> runs once; the Jacobian then comes from the recording: one backward
    /// pass when f is element-wise (a diagonal Jacobian), else one backward pass per output element or one forward pass
    /// per input element, whichever is fewer.</summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var xv = Input("Jacobian", x);
        long tag = Core.Tags.next();
        var leaf = Core.Derivatives.watch(tag, xv);
        var y = Call("Jacobian", f, leaf, x.IsWeak);
        var root = Core.Reverse.findAtLevel(tag, y);
        var outShape = y.Shape.Concat(x.ShapeArray).ToArray();
        if (root == null || !y.IsFloat || !Core.Reverse.dependsOn(tag, root.Value, leaf.NodeId))
            return new Tensor(Core.Combinators.constant(Core.Storage.zeros(xv.DType, outShape)));
        return Out(Core.Elementwise.cast(xv.DType, Core.Derivatives.recordedJacobian(tag, root.Value, leaf, false, false)));
    }

    /// <summary>The Hessian of a scalar <paramref name="f"/> at <paramref name="x"/>, shaped <c>x.Shape ++ x.Shape</c>:
    /// the Jacobian of the gradient (for a non-scalar output, of the sum of its elements).</summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Jacobian(Grad(f), x);
    }

    /// <summary>The Hessian-vector product H v of a scalar <paramref name="f"/> at <paramref name="x"/>, forward-over-reverse
    /// (one backward pass carried by dual numbers): costs about two gradients, never forms H.</summary>
    public static Tensor Hvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Jvp(Grad(f), x, v).Jvp;
    }

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

    private static Tensor Unit(int[] shape, int i) => new(Core.Derivatives.unitAt(Core.DType.Float64, shape, i));

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
