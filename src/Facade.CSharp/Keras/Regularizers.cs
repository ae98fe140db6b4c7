namespace Nabla.Keras.Regularizers;

/// <summary>The base of Keras' weight regularizers (<c>keras.regularizers.Regularizer</c>): a penalty on a weight, added to a
/// layer's <see cref="Layers.Layer.Losses"/> and differentiable.</summary>
public abstract class Regularizer
{
    /// <summary>The penalty on <paramref name="x"/> (Keras' <c>regularizer(x)</c>), a scalar of x's dtype.</summary>
    public abstract Tensor Call(Tensor x);
}

/// <summary><c>l1 * sum(|x|) + l2 * sum(x²)</c> (<c>keras.regularizers.L1L2</c>, both 0 by default). |x|'s derivative at 0 is 0.</summary>
public class L1L2 : Regularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="l1">The L1 factor (>= 0).</param>
    /// <param name="l2">The L2 factor (>= 0).</param>
    public L1L2(double l1 = 0.0, double l2 = 0.0)
    {
        if (!(l1 >= 0) || !(l2 >= 0) || double.IsInfinity(l1) || double.IsInfinity(l2))
            throw new ArgumentException($"{GetType().Name}: l1 {l1}, l2 {l2}; expected finite values >= 0.");
        L1 = l1;
        L2 = l2;
    }

    /// <summary>The L1 factor.</summary>
    public double L1 { get; }
    /// <summary>The L2 factor.</summary>
    public double L2 { get; }

    /// <inheritdoc/>
    public override Tensor Call(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Tensor penalty = TF.Constant(0.0, x.DType);
        if (L1 != 0) penalty = penalty + L1 * TF.ReduceSum(TF.Abs(x));
        if (L2 != 0) penalty = penalty + L2 * TF.ReduceSum(TF.Square(x));
        return penalty;
    }
}

/// <summary><c>l1 * sum(|x|)</c> (<c>keras.regularizers.L1</c>, l1 = 0.01 by default).</summary>
/// <param name="l1">The factor.</param>
public sealed class L1(double l1 = 0.01) : L1L2(l1, 0.0);

/// <summary><c>l2 * sum(x²)</c> (<c>keras.regularizers.L2</c>, l2 = 0.01 by default).</summary>
/// <param name="l2">The factor.</param>
public sealed class L2(double l2 = 0.01) : L1L2(0.0, l2);
