using Microsoft.FSharp.Core;

namespace Nabla;

public static partial class TF
{
    /// <summary>The value of <paramref name="x"/> as a constant (<c>tf.stop_gradient</c>): no tape, accumulator or
    /// transform differentiates through it. Derivative: zero, in every mode and at every order.</summary>
    /// <example><c>var z = x * x + TF.StopGradient(y * y); // dz/dy is null</c></example>
    public static Tensor StopGradient(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var v = Scopes.Resolve(x);
        if (!Core.Tape.isPlain(v)) Scopes.NoteStopGradient(x, v);
        return new Tensor(Core.Control.stopGradient(v), x.IsWeak);
    }

    /// <summary>Gives a one-input function a gradient of your choosing (<c>tf.custom_gradient</c>). <paramref name="f"/>
    /// returns its result and a gradient function that maps the upstream gradient (shaped as the result) to the gradient
    /// for the input. The gradient function is run with differentiable operations, so it may close over values computed
    /// in <paramref name="f"/> and be differentiated again (second derivatives through custom gradients). Forward mode
    /// (<see cref="ForwardAccumulator"/>, <see cref="Autodiff.Jvp"/>) uses the transpose of the gradient function.</summary>
    /// <returns>A function with <paramref name="f"/>'s value and the custom gradient.</returns>
    /// <example>
    /// <code>
    /// var clipGradients = TF.CustomGradient(y => (y, dy => ClipByNorm(dy, 0.5)));
    /// </code>
    /// </example>
    public static Func<Tensor, Tensor> CustomGradient(Func<Tensor, (Tensor Result, Func<Tensor, Tensor> Grad)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x =>
        {
            ArgumentNullException.ThrowIfNull(x);
            var (result, grad) = f(x);
            if (grad == null) throw new InvalidOperationException("CustomGradient: the function returned a null gradient function; expected (result, upstream => gradient).");
            return ApplyCustomGradient(new[] { x }, result, upstream => new[] { grad(upstream) });
        };
    }

    /// <summary>Gives a function of several inputs a gradient of your choosing (<c>tf.custom_gradient</c>): the gradient
    /// function returns one gradient per input, in order (a <c>null</c> entry means zeros).</summary>
    /// <returns>A function with <paramref name="f"/>'s value and the custom gradient.</returns>
    public static Func<Tensor[], Tensor> CustomGradient(Func<Tensor[], (Tensor Result, Func<Tensor, Tensor[]> Grad)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return xs =>
        {
            ArgumentNullException.ThrowIfNull(xs);
            if (xs.Length == 0) throw new ArgumentException("CustomGradient: expected at least one input.", nameof(xs));
            foreach (var x in xs) ArgumentNullException.ThrowIfNull(x, nameof(xs));
            var inputs = (Tensor[])xs.Clone();
            var (result, grad) = f(xs);
            if (grad == null) throw new InvalidOperationException("CustomGradient: the function returned a null gradient function; expected (result, upstream => gradients).");
            return ApplyCustomGradient(inputs, result, grad);
        };
    }

    private static Tensor ApplyCustomGradient(Tensor[] inputs, Tensor result, Func<Tensor, Tensor?[]> grad)
    {
        if (result == null) throw new InvalidOperationException("CustomGradient: the function returned a null result.");
        var xs = new Core.Tensor[inputs.Length];
        for (int i = 0; i < xs.Length; i++) xs[i] = Scopes.Resolve(inputs[i]);
        Core.Tensor[] Vjp(Core.Tensor upstream)
        {
            // The upstream gradient may carry a tag that is not an active scope here (a transform's, or the
            // transpose trick's); activate it so that the user's operations do not strip it.
            using var _ = Scopes.Activate(upstream);
            var gs = grad(new Tensor(upstream));
            if (gs == null) throw new InvalidOperationException("CustomGradient: the gradient function returned null; expected one gradient per input.");
            var r = new Core.Tensor[gs.Length];
            for (int i = 0; i < gs.Length; i++) r[i] = gs[i] is { } g ? Scopes.Resolve(g) : null!;
            return r;
        }
        var y = Core.Control.customGradient("CustomGradient", result.Raw, FuncConvert.FromFunc<Core.Tensor, Core.Tensor[]>(Vjp), xs);
        return new Tensor(y);
    }
}
