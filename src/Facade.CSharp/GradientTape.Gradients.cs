using Microsoft.FSharp.Core;

namespace Nabla;

// GradientTape: Gradient (tape.gradient) over one or several targets and sources.
public sealed partial class GradientTape
{
    /// <summary>The gradient of <paramref name="target"/> (summed over its elements, or weighted by
    /// <paramref name="outputGradients"/>) with respect to <paramref name="source"/> (<c>tape.gradient</c>).</summary>
    /// <returns>A tensor of the source's shape, or <c>null</c> when the target does not depend on the source
    /// (see <paramref name="unconnectedGradients"/>).</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape was already used, or
    /// <see cref="UnconnectedGradients.Raise"/> and the source is unconnected.</exception>
    public Tensor? Gradient(Tensor target, Tensor source, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Compute(new[] { target }, new[] { source }, new[] { outputGradients }, unconnectedGradients)[0];
    }

    /// <summary>The gradient with respect to a variable (its current value).</summary>
    public Tensor? Gradient(Tensor target, Variable source, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Compute(new[] { target }, new[] { source.Handle }, new[] { outputGradients }, unconnectedGradients)[0];
    }

    /// <summary>Gradients with respect to several sources, in their order.</summary>
    public Tensor?[] Gradient(Tensor target, IReadOnlyList<Tensor> sources, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Compute(new[] { target }, sources, new[] { outputGradients }, unconnectedGradients);
    }

    /// <summary>Gradients with respect to several variables, in their order.</summary>
    public Tensor?[] Gradient(Tensor target, IReadOnlyList<Variable> sources, Tensor? outputGradients = null,
        UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Compute(new[] { target }, sources.Select(v => v.Handle).ToArray(), new[] { outputGradients }, unconnectedGradients);
    }

    /// <summary>The sum of the gradients of several targets with respect to several sources.</summary>
    public Tensor?[] Gradient(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?>? outputGradients = null, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(sources);
        if (outputGradients != null && outputGradients.Count != targets.Count)
            throw new ArgumentException($"Gradient: {outputGradients.Count} output gradients for {targets.Count} targets; expected one per target.", nameof(outputGradients));
        return Compute(targets, sources, outputGradients ?? new Tensor?[targets.Count], unconnectedGradients);
    }

    private Tensor?[] Compute(IReadOnlyList<Tensor> targets, IReadOnlyList<Tensor> sources,
        IReadOnlyList<Tensor?> outputGradients, UnconnectedGradients unconnected)
    {
        CheckUsable("Gradient");
        for (int i = 0; i < targets.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(targets[i], nameof(targets));
            var og = outputGradients[i];
            if (og != null && !Core.Shape.equal(og.ShapeArray, targets[i].ShapeArray))
                throw new ArgumentException($"Gradient: output gradient has shape {Shapes.Format(og.ShapeArray)} but the target has shape {Shapes.Format(targets[i].ShapeArray)}; expected the same shape.", nameof(outputGradients));
        }
        foreach (var s in sources) ArgumentNullException.ThrowIfNull(s, nameof(sources));

        var sourceNodes = new Core.Tensor[sources.Count][];
        for (int i = 0; i < sources.Count; i++) sourceNodes[i] = SourceNodes(sources[i]);
        var values = new Core.Tensor[targets.Count];
        var seeds = new FSharpOption<Core.Tensor>[targets.Count]; // null: None (ones)
        for (int t = 0; t < targets.Count; t++)
        {
            values[t] = NodeOf(targets[t]);
            if (outputGradients[t] is { } og) seeds[t] = FSharpOption<Core.Tensor>.Some(Scopes.Resolve(og));
        }
        // A persistent tape asked for gradients while it records records the computation of those gradients too
        // (TensorFlow does, with a warning about speed): u_x = tape.Gradient(u, x) inside the block can then be
        // differentiated again by the same tape, to any depth (the PINN idiom).
        bool recordSelf = Persistent && IsRecordingHere;
        var sums = Core.Tape.gradients(scope.Tag, values, seeds, sourceNodes, recordSelf);

        var result = new Tensor?[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            if (sums[i] is { } g)
                result[i] = new Tensor(Scopes.Strip(Core.Elementwise.cast(sources[i].Value.DType, g.Value)));
            else
                result[i] = unconnected switch
                {
                    UnconnectedGradients.Zero => new Tensor(Core.Combinators.constant(Core.Storage.zeros(sources[i].Value.DType, sources[i].ShapeArray))),
                    UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected("Gradient", targets, sources[i], sourceNodes[i].Length > 0)),
                    _ => null,
                };
        }
        MarkUsed();
        return result;
    }
}
