namespace Nabla;

/// <summary>What <see cref="GradientTape.Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/> returns for a
/// source the target does not depend on (TensorFlow's <c>tf.UnconnectedGradients</c>).</summary>
public enum UnconnectedGradients
{
    /// <summary>Return <c>null</c>.</summary>
    None,
    /// <summary>Return zeros of the source's shape and dtype.</summary>
    Zero,
    /// <summary>Throw an <see cref="InvalidOperationException"/> that says why the gradient is missing.</summary>
    Raise,
}
