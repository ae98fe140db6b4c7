using System.Numerics;

namespace Nabla.Optimizers;

/// <summary>Keras' gradient clipping (<c>clipnorm</c> through <see cref="TF.ClipByNorm"/>, <c>clipvalue</c> through
/// <see cref="TF.ClipByValue"/>, <c>global_clipnorm</c>) and decoupled weight decay, in each gradient's own dtype.
/// Inputs are never mutated.</summary>
internal static class Clipping
{
    /// <summary>The gradients after the one clip option that is set (or the same list when none is).</summary>
    public static IReadOnlyList<Core.RawTensor> Clip(IReadOnlyList<Core.RawTensor> grads, double? clipNorm, double? clipValue, double? globalClipNorm)
    {
        if (clipNorm is double c) return grads.Select(g => TF.ClipByNorm(Wrap(g), TF.Constant(c, DTypes.FromCore(g.DType))).Raw).ToList();
        if (clipValue is double v) return grads.Select(g => TF.ClipByValue(Wrap(g), TF.Constant(-v, DTypes.FromCore(g.DType)), TF.Constant(v, DTypes.FromCore(g.DType))).Raw).ToList();
        // Not TF.ClipByGlobalNorm: it asks for one dtype, and an optimizer may update Float32 and Float64 variables together.
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

    /// <summary>g times <paramref name="k"/> (rounded to g's dtype).</summary>
    private static Core.RawTensor Scale(Core.RawTensor g, double k)
    {
        var r = Core.Storage.ofArray((int[])g.Shape.Clone(), (Array)g.Data.Clone());
        if (r.Data is float[] f) { float kf = (float)k; for (int i = 0; i < f.Length; i++) f[i] *= kf; }
        else { var d = (double[])r.Data; for (int i = 0; i < d.Length; i++) d[i] *= k; }
        return r;
    }

    /// <summary>A raw gradient as a constant tensor (not recorded: clipping is plain arithmetic, as the update).</summary>
    private static Tensor Wrap(Core.RawTensor g) => new(Core.Combinators.constant(g));
}
