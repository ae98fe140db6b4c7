using Nabla.Keras.Layers;

namespace Nabla.Keras;

/// <summary>
/// A model written by subclassing (<c>class M(keras.Model)</c>): a <see cref="Layer"/> whose sublayers, held in fields or
/// properties, are tracked automatically; override <see cref="Layer.Call"/> to compose them. Adds
/// <see cref="Build(int[])"/> from an input shape and <see cref="Summary"/>.
/// </summary>
/// <example>
/// <code>
/// class Mlp : Model
/// {
///     private readonly Dense hidden = new(64, activation: "relu"), output = new(10);
///     protected override Tensor Call(Tensor x, bool training) => output.Apply(hidden.Apply(x, training), training);
/// }
/// var model = new Mlp();
/// using var tape = new GradientTape();
/// var loss = new SparseCategoricalCrossentropy(fromLogits: true).Call(labels, model.Apply(images, training: true));
/// optimizer.ApplyGradients(tape.Gradient(loss, model.TrainableVariables).Zip(model.TrainableVariables));
/// </code>
/// </example>
public abstract class Model : Layer
{
    /// <summary>Sets the model's name and dtype.</summary>
    /// <param name="name">A name; the snake_case class name when omitted.</param>
    /// <param name="dtype">The dtype of its layers' computations (each layer has its own).</param>
    protected Model(string? name = null, DType dtype = DType.Float32) : base(name, true, dtype) { }

    /// <summary>Builds the model by calling it once on zeros of <paramref name="inputShape"/> (batch axis included; Keras'
    /// <c>model.build(input_shape)</c> with a concrete batch size), in inference mode.</summary>
    public void Build(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        Apply(TF.Zeros(inputShape, DType), training: false);
        ClearLosses();
    }

    /// <summary>Prints a Keras-style summary (Keras' <c>model.summary()</c>): each tracked layer with its type, output shape
    /// (the batch axis as None) and parameter count, then the totals. Layers not yet called show "?" for their shape.</summary>
    /// <param name="printFn">Where each line goes (<see cref="Console.WriteLine(string)"/> by default).</param>
    /// <param name="lineLength">The table's width (at least 50).</param>
    public void Summary(Action<string>? printFn = null, int lineLength = 65)
    {
        printFn ??= Console.WriteLine;
        lineLength = Math.Max(50, lineLength);
        int c1 = (int)(lineLength * 0.45), c2 = (int)(lineLength * 0.33), c3 = lineLength - c1 - c2;
        // a field longer than its column is cut so that one space always separates the columns
        static string Cell(string text, int width) => (text.Length >= width ? text[..(width - 1)] : text).PadRight(width);
        string Row(string a, string b, string c) => Cell(" " + a, c1) + Cell(b, c2) + Cell(c, c3);
        printFn($"Model: \"{Name}\"");
        printFn(new string('_', lineLength));
        printFn(Row("Layer (type)", "Output Shape", "Param #").TrimEnd());
        printFn(new string('=', lineLength));
        var layers = Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            string shape = l.OutputShape is { } s ? "(" + string.Join(", ", s.Select((d, j) => j == 0 ? "None" : d.ToString())) + (s.Count == 1 ? ",)" : ")") : "?";
            printFn(Row($"{l.Name} ({l.GetType().Name})", shape, l.CountParams().ToString()).TrimEnd());
            printFn(i == layers.Count - 1 ? new string('=', lineLength) : "");
        }
        if (layers.Count == 0) printFn(new string('=', lineLength));
        long trainable = TrainableVariables.Sum(Size), nonTrainable = NonTrainableVariables.Sum(Size);
        printFn($"Total params: {trainable + nonTrainable}");
        printFn($"Trainable params: {trainable}");
        printFn($"Non-trainable params: {nonTrainable}");
        printFn(new string('_', lineLength));

        static long Size(Variable v) => v.Shape.Aggregate(1L, (a, b) => a * b);
    }
}

/// <summary>A plain stack of layers, each feeding the next (<c>keras.Sequential</c>).</summary>
/// <example>
/// <code>
/// var model = new Sequential(new Layer[] { new Flatten(), new Dense(128, activation: "relu"), new Dense(10) });
/// model.Build(1, 28, 28);
/// model.Summary();
/// </code>
/// </example>
public sealed class Sequential : Model
{
    private readonly List<Layer> stack = new();

    /// <summary>Creates the model from its layers (more can be added with <see cref="Add"/>).</summary>
    /// <param name="layers">The layers, in order.</param>
    /// <param name="name">The model's name ("sequential", "sequential_1", ... when omitted).</param>
    public Sequential(IEnumerable<Layer>? layers = null, string? name = null) : base(name)
    {
        if (layers != null) foreach (var l in layers) Add(l);
    }

    /// <summary>Appends a layer (Keras' <c>model.add</c>).</summary>
    /// <exception cref="ArgumentException">A null layer, a layer already in the model, or a merge layer (it takes several
    /// inputs, which a stack cannot give it).</exception>
    public void Add(Layer layer)
    {
        if (layer == null) throw new ArgumentException($"{Name}.Add: the layer is null.", nameof(layer));
        if (stack.Contains(layer)) throw new ArgumentException($"{Name}.Add: layer '{layer.Name}' is already in the model.", nameof(layer));
        if (layer is Merge) throw new ArgumentException($"{Name}.Add: '{layer.Name}' ({layer.GetType().Name}) takes several inputs; a Sequential model gives each layer one.", nameof(layer));
        stack.Add(layer);
    }

    /// <summary>Removes the last layer (Keras' <c>model.pop</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no layers.</exception>
    public void Pop()
    {
        if (stack.Count == 0) throw new InvalidOperationException($"{Name}.Pop: there are no layers in the model.");
        stack.RemoveAt(stack.Count - 1);
    }

    /// <summary>The layers, in order.</summary>
    public override IReadOnlyList<Layer> Layers => stack.ToList();

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        if (stack.Count == 0) throw new InvalidOperationException($"{Name}: the model has no layers; add some first.");
        foreach (var l in stack) x = l.Apply(x, training);
        return x;
    }
}
