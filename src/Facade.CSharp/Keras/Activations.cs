namespace Nabla.Keras;

/// <summary>Keras' activation functions by name (<c>keras.activations.get</c>), for layers' <c>activation</c> argument.</summary>
public static class Activations
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new(StringComparer.Ordinal)
    {
        ["linear"] = x => x,
        ["relu"] = TF.Relu,
        ["relu6"] = TF.Relu6,
        ["sigmoid"] = TF.Sigmoid,
        ["tanh"] = TF.Tanh,
        ["softmax"] = x => TF.Softmax(x),
        ["log_softmax"] = x => TF.LogSoftmax(x),
        ["softplus"] = TF.Softplus,
        ["softsign"] = TF.Softsign,
        ["elu"] = TF.Elu,
        ["selu"] = TF.Selu,
        ["gelu"] = x => TF.Gelu(x), // keras.activations.gelu(x, approximate=False): the exact form
        ["silu"] = x => TF.Silu(x),
        ["swish"] = x => TF.Silu(x),
        ["leaky_relu"] = x => TF.LeakyRelu(x),
        ["exponential"] = TF.Exp,
    };

    /// <summary>The activation named <paramref name="name"/> ("relu", "tanh", "softmax", ...; null or "linear": identity).</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static Func<Tensor, Tensor> Get(string? name)
    {
        if (name == null) return ByName["linear"];
        return ByName.TryGetValue(name, out var f) ? f
            : throw new ArgumentException($"Unknown activation '{name}'; expected one of {string.Join(", ", ByName.Keys.Order())}.", nameof(name));
    }

    /// <summary>The names <see cref="Get"/> knows.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;
}
