using Nabla;

namespace Nabla.Examples;

/// <summary>A Keras-like Dense layer made of two Variables (kernel [in, out], bias [out]), for the guide examples.
/// The kernel is seeded Glorot-uniform as Keras initialises it; the bias starts at zero.</summary>
internal sealed class Dense
{
    private readonly Func<Tensor, Tensor>? activation;

    public Dense(int inputs, int units, Func<Tensor, Tensor>? activation = null, int seed = 0, DType dtype = DType.Float32)
    {
        double limit = Math.Sqrt(6.0 / (inputs + units));
        Kernel = new Variable(TF.RandomUniform(new[] { inputs, units }, -limit, limit, dtype, seed), name: "kernel");
        Bias = new Variable(TF.Zeros(new[] { units }, dtype), name: "bias");
        this.activation = activation;
    }

    public Variable Kernel { get; }
    public Variable Bias { get; }
    public IReadOnlyList<Variable> TrainableVariables => new[] { Kernel, Bias };

    public Tensor Call(Tensor x)
    {
        var y = TF.MatMul(x, Kernel) + Bias;
        return activation == null ? y : activation(y);
    }

    /// <summary>elu(x) = x for x &gt; 0, e^x - 1 otherwise (tf.nn.elu), composed from Where and Exp.</summary>
    public static Tensor Elu(Tensor x) => TF.Where(TF.Greater(x, 0.0), x, TF.Exp(x) - 1.0);
}
