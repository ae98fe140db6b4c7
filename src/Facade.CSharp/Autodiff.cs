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
public static partial class Autodiff
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
        long tag = Core.Tape.newTag();
        var leaf = Core.Tape.watch(tag, xv);
        var y = Call("Jacobian", f, leaf, x.IsWeak);
        if (Core.Tape.jacobian(tag, xv.DType, y, new[] { leaf }, false, false) is { } j) return Out(j.Value);
        return new Tensor(Core.Combinators.constant(Core.Storage.zeros(xv.DType, y.Shape.Concat(x.ShapeArray).ToArray())));
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
}
