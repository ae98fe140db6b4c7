using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace Nabla;

/// <summary>
/// An immutable n-dimensional array, row-major (TensorFlow's <c>tf.Tensor</c>). Never mutated after creation;
/// not <see cref="IDisposable"/>: the managed core needs no disposal discipline.
/// </summary>
/// <remarks>
/// A tensor made by implicit conversion from a C# scalar is <em>weakly typed</em>: it adopts the dtype of the
/// strongly typed operand it meets (<c>x * 2.0</c> keeps x's dtype). Factories in <see cref="TF"/> make strong tensors.
/// </remarks>
public sealed partial class Tensor : IFormattable
{
    /// <summary>The core value. When a tape releases its recorded graph (<see cref="Scope.ReleaseGraph"/>), its node in
    /// this value is cut loose from the graph in place.</summary>
    internal readonly Core.Tensor Value;
    internal readonly bool IsWeak;

    /// <summary>The scopes that were active on the creating thread (null if it never had one): lets
    /// <see cref="GradientTape"/> say why a gradient is missing ("computed inside StopRecording", "after Dispose")
    /// at the cost of one reference per handle.</summary>
    /// <remarks>When a tape releases its graph, the sets its handles were made under drop its scope
    /// (<see cref="ScopeSet.Drop"/>), so that a kept result does not hold the finished scope.</remarks>
    internal readonly ScopeSet? Origin;

    /// <summary>Set once some scope has watched this handle (never cleared): lets <see cref="Scopes.Resolve"/> skip
    /// the per-scope watch lookups for the values operations make, which nobody has watched.</summary>
    internal volatile bool EverWatched;

    internal Tensor(Core.Tensor value, bool weak = false)
    {
        var set = Scopes.CurrentSet;
        Origin = set;
        IsWeak = weak;
        dtype = DTypes.FromCore(value.DType);
        if (Core.Tape.isPlain(value)) Value = value;
        else if (set != null && Core.Tape.isOnlyAt(set.TopTag, value))
        {
            // the common case: one reverse level or dual, of the innermost active scope
            Value = value;
            set.Top!.Registry?.Add(value, set);
        }
        else
        {
            // No perturbation of a scope that is not active here, at any depth; the tapes whose nodes the value
            // carries can cut it loose from their graph when they release it.
            Value = Scopes.Settle(value, set);
            if (set != null && !Core.Tape.isPlain(Value)) set.Register(Value);
        }
    }

    private readonly DType dtype;

    internal Core.RawTensor Raw => Value.Raw;

    /// <summary>The element type.</summary>
    public DType DType => dtype;

    /// <summary>The extent of each axis; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape => new ReadOnlyCollection<int>((int[])Value.Shape.Clone());

    internal int[] ShapeArray => Value.Shape;

    /// <summary>Number of axes.</summary>
    public int Rank => Value.Rank;

    /// <summary>Number of elements.</summary>
    public int Size => Value.Size;

    /// <summary>
    /// The slice at <paramref name="index"/> along axis 0 (negative counts from the end), as <c>x[i]</c> in TensorFlow.
    /// Differentiable: its adjoint scatters into zeros.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">The tensor is a scalar or the index is out of range.</exception>
    public Tensor this[int index] => TF.IndexAxis0(this, index);

    /// <summary>Indexes several leading axes at once: <c>x[i, j]</c> is <c>x[i][j]</c>.</summary>
    public Tensor this[params int[] indices]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(indices);
            var t = this;
            foreach (var i in indices) t = TF.IndexAxis0(t, i);
            return t;
        }
    }

    /// <summary>The single element converted to <c>double</c>.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not have exactly one element.</exception>
    public double ToDouble()
    {
        if (Size != 1)
            throw new InvalidOperationException($"ToDouble: the tensor has shape {Nabla.Shapes.Format(ShapeArray)} ({Size} elements); expected exactly one element.");
        if (Scopes.ActiveCount != 0) Scopes.NoteReadOut(this);
        return Core.Storage.getDouble(Raw, 0);
    }

    /// <summary>The single element converted to <c>float</c>.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not have exactly one element.</exception>
    public float ToSingle() => (float)ToDouble();

    /// <summary>All elements, row-major, converted to <typeparamref name="T"/> (float, double, int, long or bool).</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not one of the supported element types.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        var target = typeof(T) == typeof(float) ? DType.Float32
            : typeof(T) == typeof(double) ? DType.Float64
            : typeof(T) == typeof(int) ? DType.Int32
            : typeof(T) == typeof(long) ? DType.Int64
            : typeof(T) == typeof(bool) ? DType.Bool
            : throw new ArgumentException($"ToArray: element type {typeof(T).Name} is not supported; expected float, double, int, long or bool.");
        if (Scopes.ActiveCount != 0) Scopes.NoteReadOut(this);
        var data = Core.Storage.cast(target.ToCore(), Raw).Data;
        return data == Raw.Data ? (T[])((T[])data).Clone() : (T[])data;
    }

    /// <summary>As TensorFlow prints an eager tensor: <c>Tensor(8, shape=[], dtype=Float32)</c>; large tensors abbreviated.</summary>
    public override string ToString() => ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Formats the elements with <paramref name="format"/> (e.g. <c>"F3"</c>) in <paramref name="formatProvider"/>.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        var sb = new StringBuilder("Tensor(");
        Shapes.AppendValues(sb, Raw, format, formatProvider ?? CultureInfo.InvariantCulture);
        sb.Append(", shape=").Append(Shapes.Format(ShapeArray)).Append(", dtype=").Append(DType).Append(')');
        return sb.ToString();
    }

    /// <summary>A weakly typed Float64 scalar (a new handle; the plain value inside is shared by equal literals).</summary>
    public static implicit operator Tensor(double value) => new(WeakScalars.Float64(value), weak: true);
    /// <summary>A weakly typed Float32 scalar (a new handle; the plain value inside is shared by equal literals).</summary>
    public static implicit operator Tensor(float value) => new(WeakScalars.Float32(value), weak: true);
    /// <summary>A weakly typed Int32 scalar (a new handle; the plain value inside is shared by equal literals).</summary>
    public static implicit operator Tensor(int value) => new(WeakScalars.Int32(value), weak: true);
    /// <summary>A weakly typed Int64 scalar (a new handle; the plain value inside is shared by equal literals).</summary>
    public static implicit operator Tensor(long value) => new(WeakScalars.Int64(value), weak: true);
    /// <summary>Same as <see cref="ToDouble"/>.</summary>
    public static explicit operator double(Tensor t) => t.ToDouble();
    /// <summary>Same as <see cref="ToSingle"/>.</summary>
    public static explicit operator float(Tensor t) => t.ToSingle();

    /// <summary>Element-wise sum with broadcasting (<see cref="TF.Add"/>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => TF.Add(a, b);
    /// <summary>Element-wise difference with broadcasting (<see cref="TF.Subtract"/>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => TF.Subtract(a, b);
    /// <summary>Element-wise product with broadcasting (<see cref="TF.Multiply"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => TF.Multiply(a, b);
    /// <summary>Element-wise quotient with broadcasting (<see cref="TF.Divide"/>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => TF.Divide(a, b);
    /// <summary>Element-wise negation (<see cref="TF.Negative"/>).</summary>
    public static Tensor operator -(Tensor a) => TF.Negative(a);
}
