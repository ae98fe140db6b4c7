namespace Nabla;

public static partial class TF
{
    private static Tensor Strong(Core.RawTensor raw) => new(Core.Combinators.constant(raw));

    /// <summary>A Float64 scalar (<c>tf.constant</c>).</summary>
    public static Tensor Constant(double value) => Strong(Core.Storage.scalar(Core.DType.Float64, value));
    /// <summary>A Float32 scalar.</summary>
    public static Tensor Constant(float value) => Strong(Core.Storage.scalar(Core.DType.Float32, value));
    /// <summary>An Int32 scalar.</summary>
    public static Tensor Constant(int value) => Strong(Core.Storage.scalar(Core.DType.Int32, value));
    /// <summary>An Int64 scalar.</summary>
    public static Tensor Constant(long value) => Strong(new Core.RawTensor(Core.DType.Int64, Array.Empty<int>(), new[] { value }));
    /// <summary>A Bool scalar.</summary>
    public static Tensor Constant(bool value) => Strong(new Core.RawTensor(Core.DType.Bool, Array.Empty<int>(), new[] { value }));
    /// <summary>A scalar of the given dtype.</summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Constant(double value, DType dtype)
    {
        CheckDType("Constant", dtype);
        return Strong(Core.Storage.scalar(dtype.ToCore(), value));
    }

    /// <summary>A tensor from a rectangular array of any rank (<c>new double[,] {{1, 2}, {3, 4}}</c>) or a jagged array
    /// of equal-length rows, of double, float, int, long or bool; the dtype follows the element type.</summary>
    /// <exception cref="ArgumentException">Unsupported element type, ragged rows, or (jagged) rows that hold more than
    /// <see cref="Array.MaxLength"/> elements in all.</exception>
    public static Tensor Constant(Array values) => Strong(ToRaw(values, "Constant"));

    /// <summary>A tensor from an array, converted to <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Constant(Array)"/>, or <paramref name="dtype"/> is not a defined <see cref="DType"/>.</exception>
    public static Tensor Constant(Array values, DType dtype)
    {
        CheckDType("Constant", dtype);
        return Strong(Core.Storage.cast(dtype.ToCore(), ToRaw(values, "Constant")));
    }

    /// <summary>Converts scalars, arrays, tensors and variables to a tensor (<c>tf.convert_to_tensor</c>); a tensor is returned as is.</summary>
    public static Tensor ConvertToTensor(object value) => value switch
    {
        null => throw new ArgumentNullException(nameof(value), "ConvertToTensor: value is null."),
        Tensor t => t,
        Variable v => v.Value,
        double d => Constant(d),
        float f => Constant(f),
        int i => Constant(i),
        long l => Constant(l),
        bool b => Constant(b),
        Array a => Constant(a),
        _ => throw new ArgumentException($"ConvertToTensor: cannot convert a {value.GetType().Name}; expected a scalar (double, float, int, long, bool), an array of them, a Tensor or a Variable.", nameof(value)),
    };

    /// <summary>Float32 ones of the given shape (<c>tf.ones</c>).</summary>
    /// <exception cref="ArgumentException">A negative dimension, or a shape of more than <see cref="Array.MaxLength"/> elements
    /// (tensors that large are out of scope; the same holds for every factory that takes a shape).</exception>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);
    /// <summary>Ones of the given shape and dtype.</summary>
    public static Tensor Ones(int[] shape, DType dtype) => Fill(shape, 1.0, dtype, "Ones");
    /// <summary>Float32 zeros of the given shape (<c>tf.zeros</c>).</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);
    /// <summary>Zeros of the given shape and dtype.</summary>
    public static Tensor Zeros(int[] shape, DType dtype) => Fill(shape, 0.0, dtype, "Zeros");
    /// <summary>Ones with the shape and dtype of <paramref name="x"/> (<c>tf.ones_like</c>).</summary>
    public static Tensor OnesLike(Tensor x) { ArgumentNullException.ThrowIfNull(x); return Strong(Core.Storage.ones(x.Value.DType, x.ShapeArray)); }
    /// <summary>Zeros with the shape and dtype of <paramref name="x"/> (<c>tf.zeros_like</c>).</summary>
    public static Tensor ZerosLike(Tensor x) { ArgumentNullException.ThrowIfNull(x); return Strong(Core.Storage.zeros(x.Value.DType, x.ShapeArray)); }
    /// <summary>A tensor of the given shape filled with <paramref name="value"/> (<c>tf.fill</c>).</summary>
    public static Tensor Fill(int[] shape, double value, DType dtype = DType.Float32) => Fill(shape, value, dtype, "Fill");

    /// <summary>start, start + delta, ... up to but excluding <paramref name="limit"/> (<c>tf.range</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="delta"/> is zero or points away from <paramref name="limit"/>,
    /// the range has more than <see cref="Array.MaxLength"/> elements, or the dtype is not defined.</exception>
    public static Tensor Range(double start, double limit, double delta = 1, DType dtype = DType.Float32)
    {
        CheckDType("Range", dtype);
        if (delta != 0 && !double.IsNaN(delta))
        {
            double count = Math.Ceiling((limit - start) / delta);
            if (count > Array.MaxLength)
                throw new ArgumentException($"Range: start {start}, limit {limit} and delta {delta} give {count:R} elements, more than Array.MaxLength ({Array.MaxLength}); tensors above Array.MaxLength elements are out of scope.", nameof(limit));
        }
        return Strong(Core.Storage.range(start, limit, delta, dtype.ToCore()));
    }

    /// <summary><paramref name="num"/> evenly spaced values from <paramref name="start"/> to <paramref name="stop"/> inclusive (<c>tf.linspace</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="num"/> is negative or above <see cref="Array.MaxLength"/>, or the dtype is not defined.</exception>
    public static Tensor Linspace(double start, double stop, int num, DType dtype = DType.Float32)
    {
        CheckDType("Linspace", dtype);
        if (num > Array.MaxLength)
            throw new ArgumentException($"Linspace: num {num} is more than Array.MaxLength ({Array.MaxLength}); tensors above Array.MaxLength elements are out of scope.", nameof(num));
        return Strong(Core.Storage.linspace(start, stop, num, dtype.ToCore()));
    }

    /// <summary>The <paramref name="n"/> × <paramref name="n"/> identity matrix (<c>tf.eye</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative, n² exceeds <see cref="Array.MaxLength"/>, or the dtype is not defined.</exception>
    public static Tensor Eye(int n, DType dtype = DType.Float32)
    {
        CheckDType("Eye", dtype);
        if (n < 0) throw new ArgumentException($"Eye: n {n} is negative; expected n >= 0.", nameof(n));
        Core.Shape.checkedSize("Eye", new[] { n, n });
        return Strong(Core.Storage.eye(n, dtype.ToCore()));
    }

    /// <summary>One-hot rows of length <paramref name="depth"/> for Int32/Int64 <paramref name="indices"/> (<c>tf.one_hot</c>);
    /// an index outside [0, depth) gives a row of zeros. Not differentiable.</summary>
    /// <exception cref="ArgumentException">Indices that are not Int32/Int64, a negative depth, a result of more than
    /// <see cref="Array.MaxLength"/> elements, or an undefined dtype.</exception>
    public static Tensor OneHot(Tensor indices, int depth, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new Tensor(Core.Nn.oneHot(depth, dtype.ToCore(), Scopes.Resolve(indices)));
    }

    /// <summary>Samples of a normal distribution (<c>tf.random.normal</c>); the same <paramref name="seed"/> gives the same values.</summary>
    public static Tensor RandomNormal(int[] shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null)
    {
        CheckShape("RandomNormal", shape);
        RequireFloat("RandomNormal", dtype);
        return Strong(Core.Storage.randomNormal(shape, mean, stddev, dtype.ToCore(), seed.HasValue ? new System.Random(seed.Value) : System.Random.Shared));
    }

    /// <summary>Samples of a uniform distribution on [minval, maxval) (<c>tf.random.uniform</c>); the same <paramref name="seed"/>
    /// gives the same values. Integer dtypes draw integers in [minval, maxval).</summary>
    /// <exception cref="ArgumentException"><paramref name="maxval"/> is not greater than <paramref name="minval"/>, or the dtype is Bool.</exception>
    public static Tensor RandomUniform(int[] shape, double minval = 0, double maxval = 1, DType dtype = DType.Float32, int? seed = null)
    {
        CheckShape("RandomUniform", shape);
        if (!(maxval > minval))
            throw new ArgumentException($"RandomUniform: maxval {maxval} must be greater than minval {minval}.", nameof(maxval));
        CheckDType("RandomUniform", dtype);
        if (dtype == DType.Bool)
            throw new ArgumentException("RandomUniform: dtype Bool is not supported; expected a float or integer dtype.", nameof(dtype));
        return Strong(Core.Storage.randomUniform(shape, minval, maxval, dtype.ToCore(), seed.HasValue ? new System.Random(seed.Value) : System.Random.Shared));
    }

    /// <summary>A shape given to a factory: not null, no negative dimension, at most <see cref="Array.MaxLength"/> elements.</summary>
    private static void CheckShape(string op, int[] shape)
    {
        if (shape == null) throw new ArgumentNullException(nameof(shape), $"{op}: shape is null.");
        Core.Shape.checkedSize(op, shape);
    }

    /// <summary>An ArgumentException naming <paramref name="op"/> for a dtype value outside the enum (<c>(DType)42</c>).</summary>
    internal static void CheckDType(string op, DType dtype) => Core.Storage.checkDType(op, dtype.ToCore());

    private static void RequireFloat(string op, DType dtype)
    {
        CheckDType(op, dtype);
        if (!dtype.IsFloat())
            throw new ArgumentException($"{op}: dtype {dtype} is not supported; expected Float32 or Float64.", nameof(dtype));
    }

    private static Tensor Fill(int[] shape, double value, DType dtype, string op)
    {
        CheckShape(op, shape);
        CheckDType(op, dtype);
        return Strong(Core.Storage.full(dtype.ToCore(), shape, value));
    }

    internal static Core.RawTensor ToRaw(Array values, string op)
    {
        ArgumentNullException.ThrowIfNull(values);
        var elem = values.GetType().GetElementType()!;
        if (elem.IsArray)
        {
            // Jagged: every row must have the same shape.
            var rows = new List<Core.RawTensor>();
            foreach (var row in values)
            {
                if (row is not Array ra) throw new ArgumentException($"{op}: a row of the jagged array is null.", nameof(values));
                rows.Add(ToRaw(ra, op));
            }
            if (rows.Count == 0) throw new ArgumentException($"{op}: cannot infer the shape of an empty jagged array.", nameof(values));
            var inner = rows[0].Shape;
            foreach (var r in rows)
                if (!Core.Shape.equal(r.Shape, inner) || r.DType != rows[0].DType)
                    throw new ArgumentException($"{op}: rows have shapes {Shapes.Format(inner)} and {Shapes.Format(r.Shape)}; expected equal-length (non-ragged) rows.", nameof(values));
            var shape = new int[inner.Length + 1];
            shape[0] = rows.Count;
            inner.CopyTo(shape, 1);
            var flat = Core.Storage.alloc(rows[0].DType, Core.Shape.checkedSize(op, shape));
            int n = rows[0].Size;
            for (int i = 0; i < rows.Count; i++) Array.Copy(rows[i].Data, 0, flat, i * n, n);
            return new Core.RawTensor(rows[0].DType, shape, flat);
        }
        var dims = new int[values.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = values.GetLength(i);
        Core.DType dt;
        if (elem == typeof(double)) dt = Core.DType.Float64;
        else if (elem == typeof(float)) dt = Core.DType.Float32;
        else if (elem == typeof(int)) dt = Core.DType.Int32;
        else if (elem == typeof(long)) dt = Core.DType.Int64;
        else if (elem == typeof(bool)) dt = Core.DType.Bool;
        else throw new ArgumentException($"{op}: element type {elem.Name} is not supported; expected double, float, int, long or bool.", nameof(values));
        var data = Core.Storage.alloc(dt, values.Length);
        Buffer.BlockCopy(values, 0, data, 0, Buffer.ByteLength(values));
        return new Core.RawTensor(dt, dims, data);
    }
}
