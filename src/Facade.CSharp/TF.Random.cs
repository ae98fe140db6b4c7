using Microsoft.FSharp.Core;

namespace Nabla;

public static partial class TF
{
    private static FSharpOption<int>? SeedOption(int? seed) => seed.HasValue ? FSharpOption<int>.Some(seed.Value) : null;

    /// <summary>Random tensors as TensorFlow's <c>tf.random</c>, drawn from a counter-based Philox-4x32-10 generator under
    /// <c>tf.random.set_seed</c>'s rules (see <see cref="SetSeed"/>). Every result is a constant (not differentiable in
    /// its parameters, as in TensorFlow).</summary>
    /// <remarks>
    /// <para>Seeds, as TensorFlow 2 in eager mode. Each op takes an optional op <c>seed</c> and reads the global seed:</para>
    /// <list type="number">
    /// <item>neither set: fresh nondeterministic numbers at every call and every run;</item>
    /// <item>global only: the op seed comes from a counter that <see cref="SetSeed"/> resets, so the calls after a
    /// <c>SetSeed(s)</c> repeat the same sequence (each call different from the ones before it);</item>
    /// <item>op only: TensorFlow's default global seed (87654321) with the op seed, then as 4;</item>
    /// <item>both: the pair decides the numbers; repeated calls of the same op (same op, dtype and seeds) give different
    /// numbers in a fixed sequence, which <see cref="SetSeed"/> restarts (<c>Uniform([1], seed: 1)</c> twice gives
    /// A1 then A2; after <c>SetSeed</c> A1 again).</item>
    /// </list>
    /// <para>Threads: the seed state is process-wide (as TensorFlow's) and locked. Each call takes its stream atomically,
    /// so concurrent calls never repeat each other's numbers; N concurrent calls after <c>SetSeed</c> give the same N
    /// results as N sequential calls, in an order that depends on scheduling. For per-thread reproducibility pass
    /// distinct op seeds per thread and call <see cref="SetSeed"/> before starting them.</para>
    /// <para>Reproducibility: the random bits are Philox's (Salmon et al. 2011), a pure function of (seeds, call index,
    /// element index), so results do not depend on the machine, the thread count or the run. Normal and TruncatedNormal
    /// go through System.Math's Log and Cos, which may differ in the last bit between operating systems. The numbers are
    /// NOT bitwise equal to TensorFlow's (its counter layout and conversions differ); only the distributions and the
    /// seed rules are TensorFlow's.</para>
    /// </remarks>
    public static class Random
    {
        /// <summary>Sets the global random seed (<c>tf.random.set_seed</c>); <c>null</c> unsets it (TensorFlow's
        /// <c>set_seed(None)</c>). Either way the call counters of the seed rules restart, so the random calls that
        /// follow repeat the sequence that followed the last <c>SetSeed</c> with the same value. Affects every thread.</summary>
        public static void SetSeed(int? seed) => Core.Randomness.setSeed(SeedOption(seed));

        /// <summary>The global seed set by <see cref="SetSeed"/>, or null.</summary>
        public static int? GlobalSeed => Core.Randomness.globalSeed() is { } s ? s.Value : null;

        /// <summary>Samples of N(<paramref name="mean"/>, <paramref name="stddev"/>²) (<c>tf.random.normal</c>), by
        /// Box-Muller on 53-bit uniforms. Float32 or Float64; a constant.</summary>
        /// <exception cref="ArgumentException">A null or negative shape, more than <see cref="Array.MaxLength"/>
        /// elements, or a dtype other than Float32/Float64.</exception>
        public static Tensor Normal(int[] shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null) =>
            new(Core.Randomness.normal(shape, mean, stddev, dtype.ToCore(), SeedOption(seed)));

        /// <summary>Samples of the uniform distribution on [<paramref name="minval"/>, <paramref name="maxval"/>)
        /// (<c>tf.random.uniform</c>). Floats: <paramref name="maxval"/> defaults to 1; minval + (maxval - minval)·u with
        /// u of 24 (Float32) or 53 (Float64) random bits; bounds are not checked (as TensorFlow). Int32/Int64:
        /// <paramref name="maxval"/> is required, both bounds must be whole numbers the dtype holds with minval &lt; maxval;
        /// minval + (bits mod (maxval - minval)) from 32 or 64 random bits, as TensorFlow (a slight bias when the range is
        /// not much smaller than 2³² or 2⁶⁴). A constant.</summary>
        /// <exception cref="ArgumentException">A bad shape, a Bool dtype, or integer bounds as above violated.</exception>
        public static Tensor Uniform(int[] shape, double minval = 0, double? maxval = null, DType dtype = DType.Float32, int? seed = null) =>
            new(Core.Randomness.uniform(shape, minval, maxval.HasValue ? FSharpOption<double>.Some(maxval.Value) : null,
                dtype.ToCore(), SeedOption(seed)));

        /// <summary>Normal samples whose values more than two standard deviations from the mean are dropped and drawn
        /// again (<c>tf.random.truncated_normal</c>): every value lies within mean ± 2·stddev; the standard deviation of
        /// the result is about 0.88·stddev, as TensorFlow's. Float32 or Float64; a constant.</summary>
        /// <exception cref="ArgumentException">As <see cref="Normal"/>.</exception>
        public static Tensor TruncatedNormal(int[] shape, double mean = 0, double stddev = 1, DType dtype = DType.Float32, int? seed = null) =>
            new(Core.Randomness.truncatedNormal(shape, mean, stddev, dtype.ToCore(), SeedOption(seed)));

        /// <summary><paramref name="numSamples"/> class indices per row of <paramref name="logits"/> [batch, classes],
        /// drawn from softmax(logits) (<c>tf.random.categorical</c>); result [batch, numSamples] of Int64 (default) or
        /// Int32. A -inf logit has probability 0. Not differentiable.</summary>
        /// <exception cref="ArgumentException">Logits that are not a Float32/Float64 matrix or have no classes, a row holding
        /// NaN or +inf or only -inf, a negative <paramref name="numSamples"/>, or a dtype other than Int32/Int64.</exception>
        public static Tensor Categorical(Tensor logits, int numSamples, DType dtype = DType.Int64, int? seed = null)
        {
            ArgumentNullException.ThrowIfNull(logits);
            return new(Core.Randomness.categorical(Scopes.Resolve(logits), numSamples, dtype.ToCore(), SeedOption(seed)));
        }

        /// <summary><paramref name="value"/> with its slices along axis 0 in a random order (<c>tf.random.shuffle</c>),
        /// by Fisher-Yates; any dtype. A scalar or a single slice comes back unchanged. Not differentiable (TensorFlow's
        /// RandomShuffle is not either): a constant.</summary>
        public static Tensor Shuffle(Tensor value, int? seed = null)
        {
            ArgumentNullException.ThrowIfNull(value);
            return new(Core.Randomness.shuffle(SeedOption(seed), Scopes.Resolve(value)));
        }
    }

    /// <summary>Neural-network ops under TensorFlow's <c>tf.nn</c> path.</summary>
    public static partial class Nn
    {
        /// <summary>Dropout (<c>tf.nn.dropout</c>, TensorFlow 2): keeps each element of <paramref name="x"/> with
        /// probability 1 - <paramref name="rate"/>, scaled by 1/(1 - rate), and sets the others to 0. The keep flags are
        /// drawn over <paramref name="noiseShape"/> (default x's shape) and broadcast to x's shape, so a dimension of 1
        /// shares one flag along that axis. The random draw follows <see cref="Random.SetSeed"/>'s rules. Computed as
        /// x·m with the scaled mask m a constant: the derivative is m (the same mask), at every order and in forward and
        /// reverse mode. <paramref name="rate"/> 0 returns x's value (no draw). NaN in x stays NaN where kept and gives
        /// NaN·0 = NaN where dropped (as TensorFlow's multiplication).</summary>
        /// <exception cref="ArgumentException">x not Float32/Float64, a rate outside [0, 1) or NaN, or a noise shape whose
        /// broadcast with x's shape is not x's shape.</exception>
        public static Tensor Dropout(Tensor x, double rate, int[]? noiseShape = null, int? seed = null) =>
            Unary(x, v => Core.Randomness.dropout(rate, noiseShape is null ? null : FSharpOption<int[]>.Some(noiseShape), SeedOption(seed), v));
    }
}
