namespace Nabla;

/// <summary>Element type of a <see cref="Tensor"/>. Only <see cref="Float32"/> and <see cref="Float64"/> are differentiable.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>float</c>); the default of factories that take no values.</summary>
    Float32 = 0,
    /// <summary>64-bit IEEE float (<c>double</c>).</summary>
    Float64 = 1,
    /// <summary>32-bit signed integer (<c>int</c>).</summary>
    Int32 = 2,
    /// <summary>64-bit signed integer (<c>long</c>).</summary>
    Int64 = 3,
    /// <summary>Boolean (<c>bool</c>).</summary>
    Bool = 4,
}

internal static class DTypes
{
    public static Core.DType ToCore(this DType d) => (Core.DType)(int)d;
    public static DType FromCore(Core.DType d) => (DType)(int)d;
    public static bool IsFloat(this DType d) => d is DType.Float32 or DType.Float64;
}
