using System.Numerics;

namespace Nabla.Optimizers;

/// <summary>Keras' gradient clipping (<c>clipnorm</c>, <c>clipvalue</c>, <c>global_clipnorm</c>) and decoupled weight decay,
/// on raw values in each gradient's own dtype. Inputs are never mutated.</summary>
internal static class Clipping
{
    /// <summary>The gradients after the one clip option that is set (or the same list when none is).</summary>
    public static IReadOnlyList<Core.RawTensor> Clip(IReadOnlyList<Core.RawTensor> grads, double? clipNorm, double? clipValue, double? globalClipNorm)
    {
        if (clipNorm is double c) return grads.Select(g => ByNorm(g, c)).ToList();
        if (clipValue is double v) return grads.Select(g => ClipElements(g, v)).ToList();
        if (globalClipNorm is double gc)
        {
            double sum = 0;
            foreach (var g in grads) sum += SumOfSquares(g);
            double global = Math.Sqrt(sum);
            // tf.clip_by_global_norm: clip * min(1 / norm, 1 / clip), plus (norm - norm) so that a non-finite norm gives NaN.
            double scale = gc * Math.Min(1.0 / global, 1.0 / gc) + (global - global);
            return grads.Select(g => Scale(g, scale)).ToList();
        }
        return grads;
    }

    /// <summary><c>w - w * rate</c> (rate = weight decay times the learning rate, rounded to w's dtype as Keras casts).</summary>
    public static Core.RawTensor Decay(Core.RawTensor w, double rate)
    {
        var r = Core.Storage.ofArray((int[])w.Shape.Clone(), (Array)w.Data.Clone());
        if (r.Data is float[] f) DecayIn(f, (float)rate);
        else DecayIn((double[])r.Data, rate);
        return r;
    }

    private static void DecayIn<T>(T[] w, T rate) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++) w[i] -= w[i] * rate;
    }

    private static double SumOfSquares(Core.RawTensor g) => g.Data switch
    {
        float[] f => SumSq(f),
        double[] d => SumSq(d),
        _ => throw new ArgumentException($"gradient clipping: dtype {g.DType}; expected Float32 or Float64."),
    };

    private static double SumSq<T>(T[] a) where T : IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (var x in a) { double d = double.CreateChecked(x); s += d * d; }
        return s;
    }

    /// <summary>Keras' <c>_clip_by_norm</c>: <c>g * clip / max(norm, clip)</c> with g's own L2 norm (an all-zero g stays zero).</summary>
    private static Core.RawTensor ByNorm(Core.RawTensor g, double clip)
    {
        double m = Math.Max(Math.Sqrt(SumOfSquares(g)), clip);
        var r = Core.Storage.ofArray((int[])g.Shape.Clone(), (Array)g.Data.Clone());
        if (r.Data is float[] f) ByNormIn(f, (float)clip, (float)m);
        else ByNormIn((double[])r.Data, clip, m);
        return r;
    }

    private static void ByNormIn<T>(T[] a, T clip, T m) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++) a[i] = a[i] * clip / m;
    }

    /// <summary>g times <paramref name="k"/> (rounded to g's dtype).</summary>
    private static Core.RawTensor Scale(Core.RawTensor g, double k)
    {
        var r = Core.Storage.ofArray((int[])g.Shape.Clone(), (Array)g.Data.Clone());
        if (r.Data is float[] f) { float kf = (float)k; for (int i = 0; i < f.Length; i++) f[i] *= kf; }
        else { var d = (double[])r.Data; for (int i = 0; i < d.Length; i++) d[i] *= k; }
        return r;
    }

    private static Core.RawTensor ClipElements(Core.RawTensor g, double v)
    {
        var r = Core.Storage.ofArray((int[])g.Shape.Clone(), (Array)g.Data.Clone());
        if (r.Data is float[] f) ClipIn(f, (float)v);
        else ClipIn((double[])r.Data, v);
        return r;
    }

    private static void ClipIn<T>(T[] a, T v) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++)
        {
            var x = a[i];
            if (x > v) a[i] = v;
            else if (x < -v) a[i] = -v; // NaN fails both comparisons and stays NaN
        }
    }
}
