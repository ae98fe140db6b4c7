namespace Nabla.Keras.Initializers;

/// <summary>
/// The base of Keras' initializers (<c>keras.initializers.Initializer</c>): <see cref="Call"/> makes a tensor of a shape
/// and dtype. Random initializers take a <c>seed</c>: a seeded initializer gives the same values at every call (as Keras
/// 3), an unseeded one new values each time. Fans follow Keras: for a shape [.., in, out] with receptive field r (the
/// product of the leading axes), fanIn = in r and fanOut = out r; a vector has fanIn = fanOut = its length.
/// </summary>
/// <remarks>The random streams are Nabla's own (System.Random seeded), not bitwise TensorFlow's: the same seed gives the
/// same values from run to run and machine to machine, but not TensorFlow's values.</remarks>
public abstract class Initializer
{
    /// <summary>A tensor of <paramref name="shape"/> and <paramref name="dtype"/> (Keras' <c>initializer(shape, dtype)</c>).</summary>
    public abstract Tensor Call(int[] shape, DType dtype = DType.Float32);

    /// <summary>Keras' <c>compute_fans</c>.</summary>
    public static (double FanIn, double FanOut) ComputeFans(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0) return (1, 1);
        if (shape.Length == 1) return (shape[0], shape[0]);
        if (shape.Length == 2) return (shape[0], shape[1]);
        double receptive = 1;
        for (int i = 0; i < shape.Length - 2; i++) receptive *= shape[i];
        return (shape[^2] * receptive, shape[^1] * receptive);
    }

    private protected static void CheckFloat(string name, DType dtype)
    {
        if (!dtype.IsFloat()) throw new ArgumentException($"{name}: dtype {dtype}; expected Float32 or Float64.", nameof(dtype));
    }

    private protected static void CheckShape(string name, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{name}: shape {Shapes.Format(shape)} has a negative dimension.", nameof(shape));
    }

    private protected static int Size(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>A tensor from doubles, rounded to the dtype.</summary>
    private protected static Tensor Make(int[] shape, DType dtype, double[] values) =>
        dtype == DType.Float32 ? TF.Reshape(TF.Constant(values.Select(v => (float)v).ToArray()), shape) : TF.Reshape(TF.Constant(values), shape);
}

/// <summary>An initializer drawing from a seeded stream.</summary>
public abstract class RandomInitializer : Initializer
{
    private protected RandomInitializer(int? seed) => Seed = seed;

    /// <summary>The seed, or null for new values at each call.</summary>
    public int? Seed { get; }

    /// <summary>The stream of one call: the seed's (the same at every call) or a fresh one.</summary>
    private protected Random Stream() => Seed is int s ? new Random(s) : new Random(Random.Shared.Next());

    /// <summary>A standard normal sample (Box-Muller on the stream).</summary>
    private protected static double Normal(Random r)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A standard normal sample redrawn until it lies within two standard deviations (TensorFlow's truncated normal).</summary>
    private protected static double TruncatedNormal(Random r)
    {
        while (true)
        {
            double z = Normal(r);
            if (Math.Abs(z) <= 2.0) return z;
        }
    }
}

/// <summary>Zeros (<c>keras.initializers.Zeros</c>); any dtype.</summary>
public sealed class Zeros : Initializer
{
    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32) { CheckShape("Zeros", shape); return TF.Zeros(shape, dtype); }
}

/// <summary>Ones (<c>keras.initializers.Ones</c>); any dtype.</summary>
public sealed class Ones : Initializer
{
    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32) { CheckShape("Ones", shape); return TF.Ones(shape, dtype); }
}

/// <summary>A constant (<c>keras.initializers.Constant</c>).</summary>
/// <param name="value">The value of every element.</param>
public sealed class Constant(double value = 0.0) : Initializer
{
    /// <summary>The value of every element.</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32) { CheckShape("Constant", shape); return TF.Fill(shape, Value, dtype); }
}

/// <summary>Normal samples (<c>keras.initializers.RandomNormal</c>, mean 0 and stddev 0.05 by default).</summary>
/// <param name="mean">The mean.</param>
/// <param name="stddev">The standard deviation.</param>
/// <param name="seed">The seed, or null.</param>
public sealed class RandomNormal(double mean = 0.0, double stddev = 0.05, int? seed = null) : RandomInitializer(seed)
{
    /// <summary>The mean.</summary>
    public double Mean { get; } = mean;
    /// <summary>The standard deviation.</summary>
    public double Stddev { get; } = stddev;

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32)
    {
        CheckShape("RandomNormal", shape);
        CheckFloat("RandomNormal", dtype);
        var r = Stream();
        return Make(shape, dtype, Enumerable.Range(0, Size(shape)).Select(_ => Mean + Stddev * Normal(r)).ToArray());
    }
}

/// <summary>Uniform samples on [minval, maxval) (<c>keras.initializers.RandomUniform</c>, [-0.05, 0.05) by default).</summary>
/// <param name="minval">The lower bound.</param>
/// <param name="maxval">The upper bound.</param>
/// <param name="seed">The seed, or null.</param>
public sealed class RandomUniform(double minval = -0.05, double maxval = 0.05, int? seed = null) : RandomInitializer(seed)
{
    /// <summary>The lower bound.</summary>
    public double Minval { get; } = minval;
    /// <summary>The upper bound.</summary>
    public double Maxval { get; } = maxval;

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32)
    {
        CheckShape("RandomUniform", shape);
        CheckFloat("RandomUniform", dtype);
        if (!(Maxval > Minval)) throw new ArgumentException($"RandomUniform: maxval {Maxval} must be greater than minval {Minval}.");
        var r = Stream();
        return Make(shape, dtype, Enumerable.Range(0, Size(shape)).Select(_ => Minval + (Maxval - Minval) * r.NextDouble()).ToArray());
    }
}

/// <summary>Truncated normal samples (<c>keras.initializers.TruncatedNormal</c>): normal, redrawn beyond two standard
/// deviations.</summary>
/// <param name="mean">The mean.</param>
/// <param name="stddev">The standard deviation before truncation.</param>
/// <param name="seed">The seed, or null.</param>
public sealed class TruncatedNormal(double mean = 0.0, double stddev = 0.05, int? seed = null) : RandomInitializer(seed)
{
    /// <summary>The mean.</summary>
    public double Mean { get; } = mean;
    /// <summary>The standard deviation before truncation.</summary>
    public double Stddev { get; } = stddev;

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32)
    {
        CheckShape("TruncatedNormal", shape);
        CheckFloat("TruncatedNormal", dtype);
        var r = Stream();
        return Make(shape, dtype, Enumerable.Range(0, Size(shape)).Select(_ => Mean + Stddev * TruncatedNormal(r)).ToArray());
    }
}

/// <summary>Keras' <c>VarianceScaling</c>: with n = fanIn, fanOut or their mean (<c>mode</c>), a variance of scale / n from a
/// truncated normal (stddev sqrt(scale / n) / 0.87962566103423978, the truncation's correction), an untruncated normal,
/// or a uniform on ±sqrt(3 scale / n) (<c>distribution</c>).</summary>
public class VarianceScaling : RandomInitializer
{
    /// <summary>Creates the initializer (Keras' defaults).</summary>
    /// <param name="scale">The scale (> 0).</param>
    /// <param name="mode">"fan_in", "fan_out" or "fan_avg".</param>
    /// <param name="distribution">"truncated_normal", "untruncated_normal" or "uniform".</param>
    /// <param name="seed">The seed, or null.</param>
    public VarianceScaling(double scale = 1.0, string mode = "fan_in", string distribution = "truncated_normal", int? seed = null) : base(seed)
    {
        if (!(scale > 0)) throw new ArgumentException($"VarianceScaling: scale {scale}; expected a positive value.", nameof(scale));
        if (mode is not ("fan_in" or "fan_out" or "fan_avg"))
            throw new ArgumentException($"VarianceScaling: mode '{mode}'; expected \"fan_in\", \"fan_out\" or \"fan_avg\".", nameof(mode));
        if (distribution is not ("truncated_normal" or "untruncated_normal" or "uniform"))
            throw new ArgumentException($"VarianceScaling: distribution '{distribution}'; expected \"truncated_normal\", \"untruncated_normal\" or \"uniform\".", nameof(distribution));
        Scale = scale;
        Mode = mode;
        Distribution = distribution;
    }

    /// <summary>The scale.</summary>
    public double Scale { get; }
    /// <summary>"fan_in", "fan_out" or "fan_avg".</summary>
    public string Mode { get; }
    /// <summary>"truncated_normal", "untruncated_normal" or "uniform".</summary>
    public string Distribution { get; }

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32)
    {
        CheckShape(GetType().Name, shape);
        CheckFloat(GetType().Name, dtype);
        var (fanIn, fanOut) = ComputeFans(shape);
        double n = Mode switch { "fan_in" => fanIn, "fan_out" => fanOut, _ => (fanIn + fanOut) / 2 };
        double variance = Scale / Math.Max(1.0, n);
        var r = Stream();
        int size = Size(shape);
        var values = new double[size];
        switch (Distribution)
        {
            case "truncated_normal":
                double sd = Math.Sqrt(variance) / 0.87962566103423978;
                for (int i = 0; i < size; i++) values[i] = sd * TruncatedNormal(r);
                break;
            case "untruncated_normal":
                double s = Math.Sqrt(variance);
                for (int i = 0; i < size; i++) values[i] = s * Normal(r);
                break;
            default:
                double limit = Math.Sqrt(3.0 * variance);
                for (int i = 0; i < size; i++) values[i] = -limit + 2 * limit * r.NextDouble();
                break;
        }
        return Make(shape, dtype, values);
    }
}

/// <summary>Glorot (Xavier) uniform (<c>keras.initializers.GlorotUniform</c>, Dense's and Conv's default kernel initializer):
/// uniform on ±sqrt(6 / (fanIn + fanOut)).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class GlorotUniform(int? seed = null) : VarianceScaling(1.0, "fan_avg", "uniform", seed);

/// <summary>Glorot (Xavier) normal (<c>keras.initializers.GlorotNormal</c>): truncated normal with stddev
/// sqrt(2 / (fanIn + fanOut)).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class GlorotNormal(int? seed = null) : VarianceScaling(1.0, "fan_avg", "truncated_normal", seed);

/// <summary>He normal (<c>keras.initializers.HeNormal</c>): truncated normal with stddev sqrt(2 / fanIn).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class HeNormal(int? seed = null) : VarianceScaling(2.0, "fan_in", "truncated_normal", seed);

/// <summary>He uniform (<c>keras.initializers.HeUniform</c>): uniform on ±sqrt(6 / fanIn).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class HeUniform(int? seed = null) : VarianceScaling(2.0, "fan_in", "uniform", seed);

/// <summary>LeCun normal (<c>keras.initializers.LecunNormal</c>): truncated normal with stddev sqrt(1 / fanIn).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class LecunNormal(int? seed = null) : VarianceScaling(1.0, "fan_in", "truncated_normal", seed);

/// <summary>LeCun uniform (<c>keras.initializers.LecunUniform</c>): uniform on ±sqrt(3 / fanIn).</summary>
/// <param name="seed">The seed, or null.</param>
public sealed class LecunUniform(int? seed = null) : VarianceScaling(1.0, "fan_in", "uniform", seed);

/// <summary>An orthogonal matrix (<c>keras.initializers.Orthogonal</c>, Saxe et al.): the Q factor of a normal matrix with
/// the signs of R's diagonal applied (so Q is uniformly distributed), times <c>gain</c>; for rank > 2 the shape is
/// flattened to [product of the leading axes, last axis]. Rows or columns are orthonormal, whichever are fewer.</summary>
/// <param name="gain">The multiplier.</param>
/// <param name="seed">The seed, or null.</param>
public sealed class Orthogonal(double gain = 1.0, int? seed = null) : RandomInitializer(seed)
{
    /// <summary>The multiplier.</summary>
    public double Gain { get; } = gain;

    /// <inheritdoc/>
    public override Tensor Call(int[] shape, DType dtype = DType.Float32)
    {
        CheckShape("Orthogonal", shape);
        CheckFloat("Orthogonal", dtype);
        if (shape.Length < 2) throw new ArgumentException($"Orthogonal: shape {Shapes.Format(shape)}; expected rank 2 or more (Keras).", nameof(shape));
        int cols = shape[^1], rows = Size(shape) / Math.Max(1, cols);
        if (Size(shape) == 0) return TF.Zeros(shape, dtype);
        // QR of the taller orientation by modified Gram-Schmidt; q has min(rows, cols) orthonormal columns
        bool transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols;
        var r = Stream();
        var a = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i, j] = Normal(r);
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++) dot += a[i, k] * a[i, j];
                for (int i = 0; i < m; i++) a[i, j] -= dot * a[i, k];
            }
            double norm = 0;
            for (int i = 0; i < m; i++) norm += a[i, j] * a[i, j];
            norm = Math.Sqrt(norm);
            // R's diagonal is the norm (positive), so the sign correction is the identity here
            for (int i = 0; i < m; i++) a[i, j] /= norm;
        }
        var values = new double[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                values[i * cols + j] = Gain * (transpose ? a[j, i] : a[i, j]);
        return Make(shape, dtype, values);
    }
}
