namespace Nabla.Keras.Layers;

/// <summary>The base of layers that combine several inputs (Keras' merge layers): call them with
/// <see cref="Apply(IReadOnlyList{Tensor}, bool)"/>; the single-input <see cref="Layer.Apply(Tensor, bool)"/> throws.</summary>
public abstract class Merge : Layer
{
    /// <summary>Sets the name and dtype.</summary>
    protected Merge(string? name, DType dtype = DType.Float32) : base(name, true, dtype) { }

    /// <summary>Calls the layer on a list of at least two inputs (Keras' <c>layer([a, b])</c>), floating inputs cast to the
    /// layer's dtype.</summary>
    /// <exception cref="ArgumentException">Fewer than two inputs.</exception>
    public Tensor Apply(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count < 2)
            throw new ArgumentException($"{Name} ({GetType().Name}): {inputs.Count} input(s); expected a list of at least 2.", nameof(inputs));
        var cast = inputs.Select((t, i) => Autocast(t ?? throw new ArgumentException($"{Name}: input {i} is null.", nameof(inputs)))).ToList();
        EnsureBuilt(cast[0].Shape);
        return Combine(cast);
    }

    /// <summary>Calls the layer on two or more inputs.</summary>
    public Tensor Apply(params Tensor[] inputs) => Apply((IReadOnlyList<Tensor>)inputs);

    /// <summary>The combination (Keras' <c>_merge_function</c>).</summary>
    protected abstract Tensor Combine(IReadOnlyList<Tensor> inputs);

    /// <inheritdoc/>
    protected sealed override Tensor Call(Tensor x, bool training) =>
        throw new ArgumentException($"{Name} ({GetType().Name}): called with one tensor; expected a list of at least 2 inputs (Apply(a, b)).");
}

/// <summary>The element-wise sum of its inputs (<c>keras.layers.Add</c>), broadcasting as <see cref="TF.Add"/>.</summary>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class Add(string? name = null, DType dtype = DType.Float32) : Merge(name, dtype)
{
    /// <inheritdoc/>
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs) => inputs.Skip(1).Aggregate(inputs[0], TF.Add);
}

/// <summary>Concatenation of its inputs along an axis (<c>keras.layers.Concatenate</c>, the last by default).</summary>
/// <param name="axis">The axis.</param>
/// <param name="name">The layer's name.</param>
/// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
public sealed class Concatenate(int axis = -1, string? name = null, DType dtype = DType.Float32) : Merge(name, dtype)
{
    /// <summary>The axis.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs) => TF.Concat(inputs, Axis);
}
