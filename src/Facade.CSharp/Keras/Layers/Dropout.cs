namespace Nabla.Keras.Layers;

/// <summary>Dropout (<c>keras.layers.Dropout</c>): in training, each element is kept with probability 1 - rate and scaled
/// by 1 / (1 - rate), through <see cref="TF.Nn.Dropout"/> (its derivative is the same scaled mask, at every order); in
/// inference the input passes unchanged. Each training call draws a new mask; with a <c>seed</c> the sequence of masks
/// repeats from one run to the next (TensorFlow's seed rules, <see cref="TF.Random.SetSeed"/>).</summary>
public sealed class Dropout : Layer
{
    /// <summary>Creates the layer (Keras' defaults).</summary>
    /// <param name="rate">The fraction dropped, in [0, 1).</param>
    /// <param name="noiseShape">The mask's shape, broadcast to the input (an extent of 1 shares one draw along that axis);
    /// a null entry takes the input's extent, as Keras' None. Null: the input's shape.</param>
    /// <param name="seed">The op seed, or null.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="dtype">The dtype its floating inputs are cast to (Float32, Keras' default, or Float64).</param>
    public Dropout(double rate, int?[]? noiseShape = null, int? seed = null, string? name = null, DType dtype = DType.Float32) : base(name, true, dtype)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentException($"Dropout: rate {rate}; expected a value in [0, 1).", nameof(rate));
        Rate = rate;
        NoiseShape = noiseShape == null ? null : (int?[])noiseShape.Clone();
        Seed = seed;
    }

    /// <summary>The fraction dropped.</summary>
    public double Rate { get; }
    /// <summary>The mask's shape (null entries: the input's extent), or null.</summary>
    public IReadOnlyList<int?>? NoiseShape { get; }
    /// <summary>The op seed, or null.</summary>
    public int? Seed { get; }

    /// <inheritdoc/>
    protected override Tensor Call(Tensor x, bool training)
    {
        if (!training || Rate == 0) return x;
        int[]? noise = null;
        if (NoiseShape != null)
        {
            if (NoiseShape.Count != x.Rank)
                throw new ArgumentException($"{Name} (Dropout): noiseShape has {NoiseShape.Count} entries but the input {Shapes.Format(x.Shape)} has rank {x.Rank}.");
            noise = NoiseShape.Select((d, i) => d ?? x.Shape[i]).ToArray();
        }
        return TF.Nn.Dropout(x, Rate, noise, Seed);
    }
}
