namespace Nabla;

/// <summary>
/// A mutable, named holder of a tensor value (TensorFlow's <c>tf.Variable</c>). Reading <see cref="Value"/>
/// while a <see cref="GradientTape"/> records (with <c>watchAccessedVariables: true</c>) watches a trainable variable.
/// </summary>
public sealed partial class Variable
{
    private static int counter;
    private Tensor value;

    /// <summary>Creates a variable holding <paramref name="initialValue"/> (a weak scalar becomes a strong tensor of its C# type).</summary>
    /// <param name="initialValue">The initial value; its dtype and shape are fixed for the variable's life.</param>
    /// <param name="trainable">Whether tapes watch it automatically when it is read.</param>
    /// <param name="name">A name; <c>Variable:N</c> when omitted.</param>
    public Variable(Tensor initialValue, bool trainable = true, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        value = new Tensor(Core.Combinators.constant(initialValue.Raw));
        Owners.AddOrUpdate(value, this);
        Trainable = trainable;
        Name = name ?? $"Variable:{Interlocked.Increment(ref counter) - 1}";
    }

    /// <summary>The current value. The same <see cref="Tensor"/> instance is returned until the next <c>Assign*</c>;
    /// reading it counts as an access (auto-watch).</summary>
    public Tensor Value
    {
        get
        {
            // a stateless call (Keras' stateless_call) reads the tensors given for the variables on this thread
            var subs = Substitutions;
            if (subs != null && subs.TryGetValue(this, out var given)) return given;
            var h = value; // one read: the handle watched is the handle returned, whatever another thread assigns
            Scopes.OnVariableRead(this, h);
            return h;
        }
    }

    /// <summary>Tensors read in place of variables on this thread, while a Keras stateless call runs (null otherwise).</summary>
    [ThreadStatic] internal static Dictionary<Variable, Tensor>? Substitutions;

    // Every value handle a variable has held, mapped to the variable (weakly): a handle passed where a Tensor is
    // expected (a source of Gradient, a watched tensor) is differentiated as the variable.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, Variable> Owners = new();

    /// <summary>The variable whose value <paramref name="handle"/> is or was, if any.</summary>
    internal static Variable? OwnerOf(Tensor handle) => Owners.TryGetValue(handle, out var v) ? v : null;

    /// <summary>The current value handle without counting as an access.</summary>
    internal Tensor Handle => value;

    /// <summary>The variable's name.</summary>
    public string Name { get; }

    /// <summary>Whether tapes watch this variable automatically.</summary>
    public bool Trainable { get; }

    /// <summary>The element type (fixed).</summary>
    public DType DType => value.DType;

    /// <summary>The shape (fixed).</summary>
    public IReadOnlyList<int> Shape => value.Shape;

    /// <summary>Replaces the value (TensorFlow's <c>assign</c>). A weak scalar adopts the variable's dtype.</summary>
    /// <exception cref="ArgumentException">The shape or (strong) dtype differs from the variable's, or a weak scalar
    /// cannot be held exactly by an integer or Bool variable (<c>v.Assign(0.5)</c> on an Int32 variable).</exception>
    public void Assign(Tensor newValue)
    {
        ArgumentNullException.ThrowIfNull(newValue);
        var raw = newValue.IsWeak && newValue.DType != DType ? WeakScalars.Adopt("Assign", newValue, DType) : newValue.Raw;
        if (DTypes.FromCore(raw.DType) != DType)
            throw new ArgumentException($"Assign: value has dtype {DTypes.FromCore(raw.DType)} but variable '{Name}' has dtype {DType}; expected the same dtype (use TF.Cast).", nameof(newValue));
        if (!Core.Shape.equal(raw.Shape, value.ShapeArray))
            throw new ArgumentException($"Assign: value has shape {Shapes.Format(raw.Shape)} but variable '{Name}' has shape {Shapes.Format(value.ShapeArray)}; expected the same shape.", nameof(newValue));
        var h = new Tensor(Core.Combinators.constant(raw));
        Owners.AddOrUpdate(h, this);
        value = h;
        Scopes.OnVariableAssigned(this);
    }

    /// <summary>Adds <paramref name="delta"/> to the value (TensorFlow's <c>assign_add</c>).</summary>
    public void AssignAdd(Tensor delta) => Assign(Arithmetic(delta, Core.Combinators.Kernels.add, nameof(AssignAdd)));

    /// <summary>Subtracts <paramref name="delta"/> from the value (TensorFlow's <c>assign_sub</c>).</summary>
    public void AssignSub(Tensor delta) => Assign(Arithmetic(delta, Core.Elementwise.Kernels.sub, nameof(AssignSub)));

    private Tensor Arithmetic(Tensor delta, Func<Core.RawTensor, Core.RawTensor, Core.RawTensor> op, string name)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var d = delta.IsWeak && delta.DType != DType ? WeakScalars.Adopt(name, delta, DType) : delta.Raw;
        if (DTypes.FromCore(d.DType) != DType)
            throw new ArgumentException($"{name}: delta has dtype {DTypes.FromCore(d.DType)} but variable '{Name}' has dtype {DType}; expected the same dtype.", nameof(delta));
        if (!Core.Shape.equal(Core.Shape.broadcast(name, value.ShapeArray, d.Shape), value.ShapeArray))
            throw new ArgumentException($"{name}: delta of shape {Shapes.Format(d.Shape)} does not broadcast to variable '{Name}' of shape {Shapes.Format(value.ShapeArray)}.", nameof(delta));
        return new Tensor(Core.Combinators.constant(op(value.Raw, d)));
    }

    /// <summary>The single element as <c>double</c> (does not count as an access).</summary>
    public double ToDouble() => value.ToDouble();

    /// <summary>All elements, row-major (does not count as an access).</summary>
    public T[] ToArray<T>() where T : unmanaged => value.ToArray<T>();

    /// <summary>Reads <see cref="Value"/>.</summary>
    public static implicit operator Tensor(Variable v) => v.Value;

    /// <summary>The variable's name and its current value as <see cref="Tensor.ToString()"/> prints it:
    /// <c>Variable 'w' Tensor(1, shape=[], dtype=Float64)</c>.</summary>
    public override string ToString() => $"Variable '{Name}' {value}";

    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator +(Variable a, Variable b) => TF.Add(a.Value, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator +(Variable a, Tensor b) => TF.Add(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator +(Tensor a, Variable b) => TF.Add(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator +(Variable a, double b) => TF.Add(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator +(double a, Variable b) => TF.Add(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator -(Variable a, Variable b) => TF.Subtract(a.Value, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator -(Variable a, Tensor b) => TF.Subtract(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator -(Tensor a, Variable b) => TF.Subtract(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator -(Variable a, double b) => TF.Subtract(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator -(double a, Variable b) => TF.Subtract(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator *(Variable a, Variable b) => TF.Multiply(a.Value, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator *(Variable a, Tensor b) => TF.Multiply(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator *(Tensor a, Variable b) => TF.Multiply(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator *(Variable a, double b) => TF.Multiply(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator *(double a, Variable b) => TF.Multiply(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator /(Variable a, Variable b) => TF.Divide(a.Value, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator /(Variable a, Tensor b) => TF.Divide(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator /(Tensor a, Variable b) => TF.Divide(a, b.Value);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator /(Variable a, double b) => TF.Divide(a.Value, b);
    /// <summary>Element-wise arithmetic on the variable's value, as on a <see cref="Tensor"/>.</summary>
    public static Tensor operator /(double a, Variable b) => TF.Divide(a, b.Value);
    /// <summary>Element-wise negation of the variable's value.</summary>
    public static Tensor operator -(Variable a) => TF.Negative(a.Value);
}
