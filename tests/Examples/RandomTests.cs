using System.Collections.Concurrent;
using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>The global seed is process state: every test that draws through TF.Random or TF.Nn.Dropout runs in this
/// collection, one at a time.</summary>
[CollectionDefinition("Global random seed", DisableParallelization = true)]
public class GlobalRandomSeedCollection { }

/// <summary>tf.random.set_seed's four rules as its documentation's examples state them, the samplers' distributions
/// (tolerances computed from the sample size), dtypes, errors, dropout's values and derivatives, and concurrent use.</summary>
[Collection("Global random seed")]
public class RandomTests
{
    private static float[] U(int? seed = null) => TF.Random.Uniform(new[] { 4 }, seed: seed).ToArray<float>();
    private static float[] N(int? seed = null) => TF.Random.Normal(new[] { 4 }, seed: seed).ToArray<float>();

    // ---- the seed rules (tf.random.set_seed's examples) ----

    [Fact]
    public void NeitherSeed_EveryCallAndEveryRunDiffers()
    {
        TF.Random.SetSeed(null);
        var a1 = U();
        var a2 = U();
        Assert.NotEqual(a1, a2);
        TF.Random.SetSeed(null);   // a "re-run": still fresh numbers
        Assert.NotEqual(a1, U());
        Assert.Null(TF.Random.GlobalSeed);
    }

    [Fact]
    public void GlobalSeedOnly_CallsDifferButTheSequenceRepeatsAfterSetSeed()
    {
        TF.Random.SetSeed(1234);
        Assert.Equal(1234, TF.Random.GlobalSeed);
        var a1 = U(); var a2 = U(); var b1 = N(); var b2 = N();
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(b1, b2);
        TF.Random.SetSeed(1234);
        Assert.Equal(a1, U()); Assert.Equal(a2, U()); Assert.Equal(b1, N()); Assert.Equal(b2, N());
        TF.Random.SetSeed(4321);
        Assert.NotEqual(a1, U());
    }

    [Fact]
    public void OpSeedOnly_CallsDifferInAFixedSequence_AsTheDefaultGlobalSeedWithTheOpSeed()
    {
        TF.Random.SetSeed(null);
        var a1 = U(seed: 1); var a2 = U(seed: 1);
        Assert.NotEqual(a1, a2);
        TF.Random.SetSeed(null);
        Assert.Equal(a1, U(seed: 1)); Assert.Equal(a2, U(seed: 1));
        TF.Random.SetSeed(87654321);   // TensorFlow's DEFAULT_GRAPH_SEED
        Assert.Equal(a1, U(seed: 1)); Assert.Equal(a2, U(seed: 1));
    }

    [Fact]
    public void BothSeeds_SameOpRepeatsItsSequenceAfterSetSeed_OtherSeedsDiffer()
    {
        TF.Random.SetSeed(1234);
        var a1 = U(seed: 1); var a2 = U(seed: 1);
        var b1 = N(seed: 1);
        Assert.NotEqual(a1, a2);
        TF.Random.SetSeed(1234);
        Assert.Equal(a1, U(seed: 1));
        Assert.Equal(b1, N(seed: 1));   // each op has its own call counter
        Assert.Equal(a2, U(seed: 1));
        TF.Random.SetSeed(1234);
        Assert.NotEqual(a1, U(seed: 2));
        TF.Random.SetSeed(1235);
        Assert.NotEqual(a1, U(seed: 1));
        // an op seed never reproduces a global-only call's numbers at the same position
        TF.Random.SetSeed(1234);
        var derived = U();
        TF.Random.SetSeed(1234);
        Assert.NotEqual(derived, U(seed: 0));
    }

    [Fact]
    public void ConcurrentCalls_GiveTheSequentialResultsInSomeOrder()
    {
        const int threads = 8, each = 40;
        foreach (int? opSeed in new int?[] { null, 5 })
        {
            TF.Random.SetSeed(77);
            var sequential = new List<string>();
            for (int i = 0; i < threads * each; i++)
                sequential.Add(string.Join(",", TF.Random.Uniform(new[] { 3 }, dtype: DType.Float64, seed: opSeed).ToArray<double>()));
            TF.Random.SetSeed(77);
            var concurrent = new ConcurrentBag<string>();
            var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < each; i++)
                    concurrent.Add(string.Join(",", TF.Random.Uniform(new[] { 3 }, dtype: DType.Float64, seed: opSeed).ToArray<double>()));
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.Equal(threads * each, sequential.Distinct().Count());
            Assert.Equal(sequential.OrderBy(s => s, StringComparer.Ordinal), concurrent.OrderBy(s => s, StringComparer.Ordinal));
        }
    }

    // ---- distributions ----

    /// <summary>Abramowitz and Stegun 7.1.26 (|error| &lt; 1.5e-7), far below the KS bounds used here.</summary>
    private static double Phi(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.3275911 * z);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-z * z);
        return 0.5 * (1 + (x >= 0 ? erf : -erf));
    }

    /// <summary>The Kolmogorov-Smirnov statistic of a sample against a CDF; 1.95/√n is its 0.1% critical value.</summary>
    private static double Ks(double[] xs, Func<double, double> cdf)
    {
        var s = xs.OrderBy(v => v).ToArray();
        double d = 0;
        for (int i = 0; i < s.Length; i++)
        {
            double f = cdf(s[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / s.Length - f, f - (double)i / s.Length));
        }
        return d;
    }

    private static (double Mean, double Var) Moments(double[] xs)
    {
        double m = xs.Average();
        return (m, xs.Sum(v => (v - m) * (v - m)) / (xs.Length - 1));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Normal_MeanVarianceAndKs(DType dtype)
    {
        TF.Random.SetSeed(1);
        const int n = 100_000;
        var t = TF.Random.Normal(new[] { 250, 400 }, mean: 2, stddev: 3, dtype: dtype, seed: 9);
        Assert.Equal(dtype, t.DType);
        Assert.Equal(new[] { 250, 400 }, t.Shape);
        var x = t.ToArray<double>();
        var (m, v) = Moments(x);
        Assert.InRange(m, 2 - 5 * 3 / Math.Sqrt(n), 2 + 5 * 3 / Math.Sqrt(n));
        Assert.InRange(v, 9 * (1 - 5 * Math.Sqrt(2.0 / n)), 9 * (1 + 5 * Math.Sqrt(2.0 / n)));
        Assert.True(Ks(x, z => Phi((z - 2) / 3)) < 1.95 / Math.Sqrt(n));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Uniform_RangeMeanVarianceAndKs(DType dtype)
    {
        TF.Random.SetSeed(2);
        const int n = 100_000;
        var t = TF.Random.Uniform(new[] { n }, -1, 3, dtype, seed: 4);
        Assert.Equal(dtype, t.DType);
        var x = t.ToArray<double>();
        Assert.All(x, v => Assert.InRange(v, -1, 3 - 1e-9));
        var (m, v) = Moments(x);
        double sd = 4 / Math.Sqrt(12);
        Assert.InRange(m, 1 - 5 * sd / Math.Sqrt(n), 1 + 5 * sd / Math.Sqrt(n));
        double var = 16.0 / 12, varSd = Math.Sqrt((256.0 / 80 - var * var) / n);
        Assert.InRange(v, var - 5 * varSd, var + 5 * varSd);
        Assert.True(Ks(x, z => Math.Clamp((z + 1) / 4, 0, 1)) < 1.95 / Math.Sqrt(n));
        // default maxval 1 for floats
        Assert.All(TF.Random.Uniform(new[] { 1000 }, dtype: dtype).ToArray<double>(), u => Assert.InRange(u, 0, 1 - 1e-12));
    }

    [Fact]
    public void Uniform_Float32NeverReachesMaxval()
    {
        TF.Random.SetSeed(3);
        // a narrow interval far from 0: minval + span·u rounds up to maxval for u near 1
        var x = TF.Random.Uniform(new[] { 200_000 }, 1000f, 1000.001f, seed: 1).ToArray<float>();
        Assert.All(x, v => Assert.True(v >= 1000f && v < 1000.001f));
    }

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    public void Uniform_IntegersCoverTheRangeEvenly(DType dtype)
    {
        TF.Random.SetSeed(4);
        const int n = 60_000, lo = -3, hi = 7;
        var t = TF.Random.Uniform(new[] { n }, lo, hi, dtype, seed: 1);
        Assert.Equal(dtype, t.DType);
        var x = t.ToArray<long>();
        Assert.All(x, v => Assert.InRange(v, lo, hi - 1));
        double p = 1.0 / (hi - lo), tol = 5 * Math.Sqrt(p * (1 - p) / n);
        for (int k = lo; k < hi; k++)
            Assert.InRange(x.Count(v => v == k) / (double)n, p - tol, p + tol);
        // the whole int32 range
        var wide = TF.Random.Uniform(new[] { 1000 }, int.MinValue, int.MaxValue, DType.Int32, seed: 2).ToArray<int>();
        Assert.Contains(wide, v => v < 0);
        Assert.Contains(wide, v => v > 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TruncatedNormal_WithinTwoStddevWithTheTruncatedMoments(DType dtype)
    {
        TF.Random.SetSeed(5);
        const int n = 100_000;
        var x = TF.Random.TruncatedNormal(new[] { n }, mean: -1, stddev: 0.5, dtype: dtype, seed: 3).ToArray<double>();
        Assert.All(x, v => Assert.InRange(v, -2.0, 0.0));
        double phi2 = Math.Exp(-2) / Math.Sqrt(2 * Math.PI), mass = 2 * Phi(2) - 1;
        double var = 0.25 * (1 - 4 * phi2 / mass);
        var (m, v) = Moments(x);
        Assert.InRange(m, -1 - 5 * Math.Sqrt(var / n), -1 + 5 * Math.Sqrt(var / n));
        Assert.InRange(v, var * (1 - 5 * Math.Sqrt(2.0 / n)), var * (1 + 5 * Math.Sqrt(2.0 / n)));
        Assert.True(Ks(x, z => (Phi((z + 1) / 0.5) - Phi(-2)) / mass) < 1.95 / Math.Sqrt(n));
    }

    [Fact]
    public void Categorical_FrequenciesMatchSoftmax()
    {
        TF.Random.SetSeed(6);
        const int n = 50_000;
        var logits = new double[,] { { 0, 1, 2, double.NegativeInfinity }, { -5, 0, 0, 3 } };
        var t = TF.Random.Categorical(TF.Constant(logits), n, seed: 2);
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(new[] { 2, n }, t.Shape);
        var s = t.ToArray<long>();
        for (int b = 0; b < 2; b++)
        {
            var row = Enumerable.Range(0, 4).Select(c => Math.Exp(logits[b, c])).ToArray();
            double total = row.Sum();
            for (int c = 0; c < 4; c++)
            {
                double p = row[c] / total, tol = 5 * Math.Sqrt(p * (1 - p) / n) + 1.0 / n;
                double f = s.Skip(b * n).Take(n).Count(v => v == c) / (double)n;
                Assert.InRange(f, p - tol, p + tol);
            }
        }
        Assert.Equal(0, s.Take(n).Count(v => v == 3));   // -inf: never drawn
        Assert.Equal(DType.Int32, TF.Random.Categorical(TF.Constant(logits), 3, DType.Int32).DType);
        Assert.Equal(new[] { 2, 0 }, TF.Random.Categorical(TF.Constant(logits), 0).Shape);
    }

    [Fact]
    public void Shuffle_IsAPermutationOfTheSlicesAlongAxis0()
    {
        TF.Random.SetSeed(7);
        var rows = new int[100, 3];
        for (int i = 0; i < 100; i++) for (int j = 0; j < 3; j++) rows[i, j] = 10 * i + j;
        var s = TF.Random.Shuffle(TF.Constant(rows), seed: 1);
        Assert.Equal(new[] { 100, 3 }, s.Shape);
        Assert.Equal(DType.Int32, s.DType);
        var v = s.ToArray<int>();
        var firsts = Enumerable.Range(0, 100).Select(i => v[3 * i]).ToArray();
        for (int i = 0; i < 100; i++) Assert.Equal(new[] { firsts[i], firsts[i] + 1, firsts[i] + 2 }, v.Skip(3 * i).Take(3));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 10 * i), firsts.OrderBy(f => f));
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => 10 * i), firsts);
        // every position is reached about equally often (4 elements, 4! orders)
        var counts = new int[4, 4];
        const int trials = 4000;
        for (int k = 0; k < trials; k++)
        {
            var p = TF.Random.Shuffle(TF.Constant(new[] { 0, 1, 2, 3 })).ToArray<int>();
            for (int i = 0; i < 4; i++) counts[p[i], i]++;
        }
        double tol = 5 * Math.Sqrt(0.25 * 0.75 / trials);
        foreach (var c in counts) Assert.InRange(c / (double)trials, 0.25 - tol, 0.25 + tol);
        Assert.Equal(5.0, TF.Random.Shuffle(TF.Constant(5.0)).ToDouble());
    }

    [Fact]
    public void Results_AreConstants()
    {
        TF.Random.SetSeed(8);
        var x = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = TF.Random.Shuffle(x, seed: 1);
        Assert.Null(tape.Gradient(TF.ReduceSum(y), x));
    }

    // ---- dtypes and errors ----

    private static void Throws(string op, Action a, params string[] parts)
    {
        var e = Assert.Throws<ArgumentException>(a);
        Assert.Contains(op, e.Message);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheOp()
    {
        Throws("RandomNormal", () => TF.Random.Normal(new[] { 2 }, dtype: DType.Int32), "Int32", "Float32 or Float64");
        Throws("RandomNormal", () => TF.Random.Normal(new[] { -1, 2 }), "[-1, 2]");
        Throws("TruncatedNormal", () => TF.Random.TruncatedNormal(new[] { 2 }, dtype: DType.Bool), "Bool");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 2 }, dtype: DType.Int32), "maxval is required");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 2 }, 3, 3, DType.Int64), "minval < maxval");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 2 }, 0.5, 3, DType.Int32), "0.5");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 2 }, 0, 3e9, DType.Int32), "3000000000");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 2 }, 0, 1, DType.Bool), "Bool");
        Throws("RandomUniform", () => TF.Random.Uniform(new[] { 65536, 65536 }), "[65536, 65536]");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[] { 1.0, 2.0 }), 3), "[2]", "matrix");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[,] { { 1, 2 } }), 3), "Int32");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[,] { { 1.0, double.NaN } }), 3), "NaN");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[,] { { double.NegativeInfinity } }), 3), "-inf");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new double[1, 0]), 3), "no classes");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[,] { { 1.0 } }), -1), "-1");
        Throws("Categorical", () => TF.Random.Categorical(TF.Constant(new[,] { { 1.0 } }), 1, DType.Float32), "Int32 or Int64");
        var x = TF.Ones(2, 3);
        Throws("Dropout", () => TF.Nn.Dropout(x, 1.0), "rate 1", "[0, 1)");
        Throws("Dropout", () => TF.Nn.Dropout(x, -0.1), "-0.1");
        Throws("Dropout", () => TF.Nn.Dropout(x, double.NaN), "NaN");
        Throws("Dropout", () => TF.Nn.Dropout(TF.Constant(new[] { 1, 2 }), 0.5), "Int32");
        Throws("Dropout", () => TF.Nn.Dropout(x, 0.5, new[] { 2, 2 }), "[2, 2]", "[2, 3]");
        Throws("Dropout", () => TF.Nn.Dropout(x, 0.5, new[] { 1, 2, 3 }), "[1, 2, 3]");
    }

    // ---- dropout ----

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Dropout_KeepsWithProbabilityOneMinusRateAndScales(DType dtype)
    {
        TF.Random.SetSeed(10);
        const int n = 40_000;
        const double rate = 0.3;
        var x = TF.Cast(TF.Range(1, n + 1), dtype);
        var y = TF.Nn.Dropout(x, rate, seed: 1);
        Assert.Equal(dtype, y.DType);
        var xs = x.ToArray<double>();
        var ys = y.ToArray<double>();
        double scale = dtype == DType.Float32 ? (double)(1f / (1f - (float)rate)) : 1 / (1 - rate);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (ys[i] == 0) continue;
            kept++;
            double want = dtype == DType.Float32 ? (double)((float)xs[i] * (float)scale) : xs[i] * scale;
            Assert.Equal(want, ys[i]);
        }
        double tol = 5 * Math.Sqrt(rate * (1 - rate) / n);
        Assert.InRange(kept / (double)n, 1 - rate - tol, 1 - rate + tol);
        // rate 0 is the identity
        Assert.Equal(xs, TF.Nn.Dropout(x, 0).ToArray<double>());
    }

    [Fact]
    public void Dropout_NoiseShapeSharesFlagsAlongBroadcastAxes()
    {
        TF.Random.SetSeed(11);
        var x = TF.Ones(new[] { 50, 8 }, DType.Float64);
        var y = TF.Nn.Dropout(x, 0.5, noiseShape: new[] { 50, 1 }, seed: 3).ToArray<double>();
        int zeroRows = 0;
        for (int r = 0; r < 50; r++)
        {
            var row = y.Skip(8 * r).Take(8).ToArray();
            Assert.All(row, v => Assert.Equal(row[0], v));
            Assert.Contains(row[0], new[] { 0.0, 2.0 });
            if (row[0] == 0) zeroRows++;
        }
        Assert.InRange(zeroRows, 1, 49);
        var cols = TF.Nn.Dropout(x, 0.5, noiseShape: new[] { 8 }, seed: 3).ToArray<double>();   // lower rank: one flag per column
        for (int r = 1; r < 50; r++) Assert.Equal(cols.Take(8), cols.Skip(8 * r).Take(8));
    }

    [Fact]
    public void Dropout_DerivativeIsTheScaledMaskAtEveryOrderAndMode()
    {
        TF.Random.SetSeed(12);
        var x = TF.Constant(new[] { 0.5, -1.5, 2.0, 3.0, -0.25, 1.0, 4.0, -2.0 });
        var xs = x.ToArray<double>();
        Tensor y, g, gg;
        using (var outer = new GradientTape())
        {
            outer.Watch(x);
            using (var inner = new GradientTape())
            {
                inner.Watch(x);
                y = TF.Nn.Dropout(x, 0.5, seed: 4);
                var loss = TF.ReduceSum(TF.Square(y));
                g = inner.Gradient(loss, x)!;   // 2 m² x
            }
            gg = outer.Gradient(TF.ReduceSum(g), x)!;   // 2 m²
        }
        var mask = y.ToArray<double>().Select((v, i) => v / xs[i]).ToArray();
        Assert.All(mask, m => Assert.Contains(m, new[] { 0.0, 2.0 }));
        Assert.Contains(0.0, mask);
        Assert.Contains(2.0, mask);
        Assert.Equal(mask.Select((m, i) => 2 * m * m * xs[i]), g.ToArray<double>());
        Assert.Equal(mask.Select(m => 2 * m * m), gg.ToArray<double>());

        using var tape = new GradientTape();
        tape.Watch(x);
        var z = TF.Nn.Dropout(x, 0.5, seed: 4);
        var zm = z.ToArray<double>().Select((v, i) => v / xs[i]).ToArray();
        Assert.Equal(zm, tape.Gradient(z, x)!.ToArray<double>());

        var tangent = TF.Constant(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0 });
        using var acc = new ForwardAccumulator(x, tangent);
        var w = TF.Nn.Dropout(x, 0.5, seed: 5);
        var wm = w.ToArray<double>().Select((v, i) => v / xs[i]).ToArray();
        Assert.Equal(wm.Select((m, i) => m * (i + 1.0)), acc.Jvp(w)!.ToArray<double>());
    }

    [Fact]
    public void Dropout_FollowsTheSeedRules()
    {
        TF.Random.SetSeed(13);
        var x = TF.Ones(new[] { 64 });
        var a1 = TF.Nn.Dropout(x, 0.5, seed: 1).ToArray<float>();
        var a2 = TF.Nn.Dropout(x, 0.5, seed: 1).ToArray<float>();
        Assert.NotEqual(a1, a2);
        TF.Random.SetSeed(13);
        Assert.Equal(a1, TF.Nn.Dropout(x, 0.5, seed: 1).ToArray<float>());
    }
}
