namespace Nabla;

/// <summary>
/// Forward-mode differentiation with dual numbers (TensorFlow's <c>tf.autodiff.ForwardAccumulator</c>): every operation
/// run while it is active on <see cref="ForwardAccumulator(Tensor, Tensor)">its primals</see> carries a tangent along,
/// and <see cref="Jvp"/> reads the Jacobian-vector product of any result. It nests with itself and with
/// <see cref="GradientTape"/> in any order: an accumulator around a tape gives Hessian-vector products of the tape's
/// gradients (forward-over-reverse), a tape around an accumulator differentiates its JVPs (reverse-over-forward).
/// </summary>
/// <example>
/// <code>
/// var v = new Variable(TF.Constant(new[] { 1f, 2f }));
/// Tensor backward;
/// using (var acc = new ForwardAccumulator(v, TF.Constant(new[] { 1f, 0f })))
/// {
///     using (var tape = new GradientTape()) { var y = TF.ReduceSum(TF.Pow(v, 3f)); backward = tape.Gradient(y, v)!; }
///     var hvp = acc.Jvp(backward); // [6, 0]
/// }
/// </code>
/// </example>
public sealed class ForwardAccumulator : IDisposable
{
    private readonly Scope scope;
    private readonly ThreadScopes holder;
    private bool active;

    /// <summary>Starts accumulating the JVP along <paramref name="tangent"/> at <paramref name="primal"/>.</summary>
    /// <exception cref="ArgumentException">The primal is not Float32/Float64, or the tangent's shape or dtype differs from the primal's.</exception>
    public ForwardAccumulator(Tensor primal, Tensor tangent) : this(new[] { primal }, new[] { tangent }) { }

    /// <summary>Starts accumulating the JVP along <paramref name="tangent"/> at a variable's current value.</summary>
    public ForwardAccumulator(Variable primal, Tensor tangent)
        : this(new[] { (primal ?? throw new ArgumentNullException(nameof(primal))).Handle }, new[] { tangent }) { }

    /// <summary>Starts accumulating one JVP along several primals at once: the result is the sum of each primal's
    /// contribution along its tangent.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a tangent does not match its primal.</exception>
    public ForwardAccumulator(IReadOnlyList<Tensor> primals, IReadOnlyList<Tensor> tangents)
    {
        ArgumentNullException.ThrowIfNull(primals);
        ArgumentNullException.ThrowIfNull(tangents);
        if (primals.Count != tangents.Count)
            throw new ArgumentException($"ForwardAccumulator: {primals.Count} primals and {tangents.Count} tangents; expected one tangent per primal.", nameof(tangents));
        scope = new Scope(this);
        for (int i = 0; i < primals.Count; i++)
        {
            var p = primals[i] ?? throw new ArgumentNullException(nameof(primals));
            var t = tangents[i] ?? throw new ArgumentNullException(nameof(tangents));
            if (!p.DType.IsFloat())
                throw new ArgumentException($"ForwardAccumulator: primal {i} has dtype {p.DType}, which is not differentiable; expected Float32 or Float64.", nameof(primals));
            if (!Core.Shape.equal(p.ShapeArray, t.ShapeArray))
                throw new ArgumentException($"ForwardAccumulator: tangent {i} has shape {Shapes.Format(t.ShapeArray)} but its primal has shape {Shapes.Format(p.ShapeArray)}; expected the primal's shape.", nameof(tangents));
            if (t.DType != p.DType && !t.IsWeak)
                throw new ArgumentException($"ForwardAccumulator: tangent {i} has dtype {t.DType} but its primal has dtype {p.DType}; expected the primal's dtype.", nameof(tangents));
            var primal = Scopes.Resolve(p);
            var tangent = Core.Elementwise.cast(p.Value.DType, Scopes.Resolve(t));
            scope.SetWatched(p, Core.Tape.dual(scope.Tag, primal, tangent));
        }
        holder = Scopes.Local;
        holder.Add(scope);
        active = true;
    }

    /// <summary>The Jacobian-vector product of <paramref name="target"/> along the tangents (<c>acc.jvp</c>): the
    /// directional derivative of an operation's result computed while this accumulator was active. May be read after
    /// <see cref="Dispose"/>.</summary>
    /// <returns>A tensor of the target's shape, or <c>null</c> when the target does not depend on the primals
    /// (zeros with <see cref="UnconnectedGradients.Zero"/>).</returns>
    /// <exception cref="InvalidOperationException"><see cref="UnconnectedGradients.Raise"/> and the target does not depend on the primals.</exception>
    public Tensor? Jvp(Tensor target, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(target);
        var value = scope.TryGetWatched(target, out var w) ? w : target.Value;
        var tangent = Core.Tape.tangentAt(scope.Tag, value);
        if (tangent != null)
            return new Tensor(Scopes.Strip(Core.Elementwise.cast(target.Value.DType, tangent.Value)));
        return unconnectedGradients switch
        {
            UnconnectedGradients.Zero => new Tensor(Core.Combinators.constant(Core.Storage.zeros(target.Value.DType, target.ShapeArray))),
            UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected(target)),
            _ => null,
        };
    }

    private string WhyUnconnected(Tensor target)
    {
        if (!target.DType.IsFloat())
            return $"Jvp: the target has dtype {target.DType}, which is not differentiable; only Float32 and Float64 results carry tangents.";
        if (target.Origin == null || !target.Origin.Contains(scope))
            return "Jvp: the target was computed outside this accumulator's block (before it was created, after Dispose, or on another thread), so it carries no tangent.";
        return "Jvp: the target does not depend on the accumulator's primals through operations run while it was active " +
               "(the path may be cut by TF.StopGradient, or by a value read out with ToDouble/ToArray and fed back in).";
    }

    /// <summary>Stops accumulating (the end of the <c>using</c> block). <see cref="Jvp"/> still reads results computed before.</summary>
    public void Dispose()
    {
        if (!active) return;
        active = false;
        holder.Remove(scope);
        GC.SuppressFinalize(this);
    }

    /// <summary>An accumulator the program can no longer reach (never disposed) stops accumulating: its scope leaves
    /// the thread's scope set, so later operations carry no tangents for it.</summary>
    ~ForwardAccumulator()
    {
        try
        {
            if (active) holder.Remove(scope);
        }
        catch
        {
            // a finalizer must not throw
        }
    }
}
