namespace Nabla;

/// <summary>
/// The plain core values of weakly typed scalars, shared by the handles that implicit conversions make. A core value
/// is immutable and has no identity of its own (tapes watch handles, not values), so a literal used in a loop, as in
/// <c>y = y * x + 1.0</c>, costs one new handle per use instead of a handle and two core objects.
/// </summary>
/// <remarks>A small direct-mapped table, read and written without locks: an entry is immutable, so a thread sees a
/// whole entry or none, and two threads that race for a slot only cost each other a miss.</remarks>
internal static class WeakScalars
{
    private sealed class Entry(long bits, Core.DType dtype, Core.Tensor value)
    {
        public readonly long Bits = bits;
        public readonly Core.DType DType = dtype;
        public readonly Core.Tensor Value = value;
    }

    private const int Slots = 64;
    private static readonly Entry?[] table = new Entry?[Slots];

    /// <summary>The table slot of a value (its bits and dtype), by Fibonacci hashing.</summary>
    private static int Slot(long bits, Core.DType dtype) =>
        (int)((((ulong)bits ^ (ulong)dtype) * 0x9E3779B97F4A7C15UL) >> 58) & (Slots - 1);

    private static Core.Tensor? Find(long bits, Core.DType dtype)
    {
        var e = table[Slot(bits, dtype)];
        return e != null && e.Bits == bits && e.DType == dtype ? e.Value : null;
    }

    private static Core.Tensor Keep(long bits, Core.DType dtype, Core.Tensor value)
    {
        table[Slot(bits, dtype)] = new Entry(bits, dtype, value);
        return value;
    }

    /// <summary>The plain Float64 scalar <paramref name="v"/> (bit for bit: 0.0 and -0.0, NaN payloads, kept apart).</summary>
    internal static Core.Tensor Float64(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        return Find(bits, Core.DType.Float64)
            ?? Keep(bits, Core.DType.Float64, Core.Ops.constant(Core.Raw.floatScalar(Core.DType.Float64, v)));
    }

    /// <summary>The plain Float32 scalar <paramref name="v"/> (bit for bit).</summary>
    internal static Core.Tensor Float32(float v)
    {
        long bits = BitConverter.SingleToInt32Bits(v);
        return Find(bits, Core.DType.Float32)
            ?? Keep(bits, Core.DType.Float32, Core.Ops.constant(Core.Raw.floatScalar(Core.DType.Float32, v)));
    }

    /// <summary>The plain Int32 scalar <paramref name="v"/>.</summary>
    internal static Core.Tensor Int32(int v) =>
        Find(v, Core.DType.Int32) ?? Keep(v, Core.DType.Int32, Core.Ops.constant(Core.Raw.scalar(Core.DType.Int32, v)));

    /// <summary>The plain Int64 scalar <paramref name="v"/>.</summary>
    internal static Core.Tensor Int64(long v) =>
        Find(v, Core.DType.Int64)
        ?? Keep(v, Core.DType.Int64, Core.Ops.constant(new Core.RawTensor(Core.DType.Int64, Array.Empty<int>(), new[] { v })));
}
