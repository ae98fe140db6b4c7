namespace Nabla;

public sealed partial class Variable
{
    /// <summary>Reads the value and indexes it (<see cref="Tensor"/>'s indexer; TensorFlow's <c>v[...]</c> on a
    /// <c>tf.Variable</c>): a read, so a recording tape watching accessed variables watches it. Differentiable.</summary>
    /// <exception cref="IndexOutOfRangeException">An integer index out of range.</exception>
    /// <exception cref="ArgumentException">More indexed axes than the rank, or two ellipses.</exception>
    public Tensor this[params Idx[] indices] => ((Tensor)this)[indices];
}
