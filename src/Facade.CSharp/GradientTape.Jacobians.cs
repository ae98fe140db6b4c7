namespace Nabla;

// GradientTape: Jacobian and BatchJacobian (tape.jacobian, tape.batch_jacobian).
public sealed partial class GradientTape
{
    /// <summary>The Jacobian of <paramref name="target"/> with respect to <paramref name="source"/>, shaped
    /// <c>target.Shape ++ source.Shape</c> (<c>tape.jacobian</c>). When the target depends on the source element by
    /// element the Jacobian is diagonal and costs one backward pass; otherwise it takes one backward pass per target
    /// element or one forward pass over the recording per source element, whichever is fewer.</summary>
    /// <returns>The Jacobian, or <c>null</c> when the target does not depend on the source (see
    /// <paramref name="unconnectedGradients"/>; <see cref="UnconnectedGradients.Zero"/> gives zeros of the Jacobian's shape).</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape was already used, or
    /// <see cref="UnconnectedGradients.Raise"/> and the source is unconnected.</exception>
    public Tensor? Jacobian(Tensor target, Tensor source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None) =>
        JacobianCore("Jacobian", target, source, false, unconnectedGradients);

    /// <summary>The Jacobian with respect to a variable (its current value), shaped <c>target.Shape ++ source.Shape</c>.</summary>
    public Tensor? Jacobian(Tensor target, Variable source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return JacobianCore("Jacobian", target, source.Handle, false, unconnectedGradients);
    }

    /// <summary>Per-example Jacobians (<c>tape.batch_jacobian</c>): for a target <c>[b, y1, ...]</c> whose row i depends
    /// only on row i of a source <c>[b, x1, ...]</c>, the tensor <c>[b, y1, ..., x1, ...]</c> whose slice i is the
    /// Jacobian of target row i with respect to source row i. Costs one pass per row element of the smaller of the two
    /// (one in all when the dependence is element-wise), not one per batch row.</summary>
    /// <exception cref="ArgumentException">A rank is below 2 or the first dimensions differ.</exception>
    public Tensor? BatchJacobian(Tensor target, Tensor source, UnconnectedGradients unconnectedGradients = UnconnectedGradients.None) =>
        JacobianCore("BatchJacobian", target, source, true, unconnectedGradients);

    private Tensor? JacobianCore(string op, Tensor target, Tensor source, bool batch, UnconnectedGradients unconnected)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        var tShape = target.ShapeArray;
        var sShape = source.ShapeArray;
        if (batch)
        {
            if (tShape.Length < 2)
                throw new ArgumentException($"{op}: target has shape {Shapes.Format(tShape)} (rank {tShape.Length}); expected rank at least 2 ([batch, ...]).", nameof(target));
            if (sShape.Length < 2)
                throw new ArgumentException($"{op}: source has shape {Shapes.Format(sShape)} (rank {sShape.Length}); expected rank at least 2 ([batch, ...]).", nameof(source));
            if (tShape[0] != sShape[0])
                throw new ArgumentException($"{op}: Need first dimension of target shape ({Shapes.Format(tShape)}) and source shape ({Shapes.Format(sShape)}) to match.", nameof(source));
        }
        CheckUsable(op);
        var outShape = batch ? tShape.Concat(sShape.Skip(1)).ToArray() : tShape.Concat(sShape).ToArray();
        Core.Shape.checkedSize(op, outShape); // before any sweep: a Jacobian too large to hold is an ArgumentException
        var dtype = source.DType.IsFloat() ? source.Value.DType : target.Value.DType;

        Core.Tensor? result = null;
        var sourceNodes = Array.Empty<Core.Tensor>();
        if (source.DType.IsFloat() && target.DType.IsFloat())
        {
            sourceNodes = SourceNodes(source);
            bool recordSelf = Persistent && IsRecordingHere;
            if (Core.Tape.jacobian(scope.Tag, dtype, NodeOf(target), sourceNodes, batch, recordSelf) is { } j)
                result = Scopes.Strip(j.Value);
        }
        Tensor? answer = result != null
            ? new Tensor(result)
            : unconnected switch
            {
                UnconnectedGradients.Zero => new Tensor(Core.Combinators.constant(Core.Storage.zeros(dtype, outShape))),
                UnconnectedGradients.Raise => throw new InvalidOperationException(WhyUnconnected(op, new[] { target }, source, sourceNodes.Length > 0)),
                _ => null,
            };
        MarkUsed();
        return answer;
    }
}
