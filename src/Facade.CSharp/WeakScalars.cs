using System.Globalization;

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
            ?? Keep(bits, Core.DType.Float64, Core.Combinators.constant(Core.Storage.floatScalar(Core.DType.Float64, v)));
    }

    /// <summary>The plain Float32 scalar <paramref name="v"/> (bit for bit).</summary>
    internal static Core.Tensor Float32(float v)
    {
        long bits = BitConverter.SingleToInt32Bits(v);
        return Find(bits, Core.DType.Float32)
            ?? Keep(bits, Core.DType.Float32, Core.Combinators.constant(Core.Storage.floatScalar(Core.DType.Float32, v)));
    }

    /// <summary>The plain Int32 scalar <paramref name="v"/>.</summary>
    internal static Core.Tensor Int32(int v) =>
        Find(v, Core.DType.Int32) ?? Keep(v, Core.DType.Int32, Core.Combinators.constant(Core.Storage.scalar(Core.DType.Int32, v)));

    /// <summary>
    /// Checks that the weakly typed <paramref name="weak"/> (a C# literal or value converted implicitly) can be held
    /// exactly in <paramref name="target"/>, the dtype of the strong operand it is about to adopt; throws an
    /// <see cref="ArgumentException"/> naming <paramref name="op"/>, the dtype and the value otherwise. An integer or Bool
    /// dtype cannot hold a fractional value (<c>ints * 0.5</c>), NaN, an infinity or a value outside its range
    /// (<c>int32s * 1e10</c>), and Bool only 0 and 1; TensorFlow raises for all of these too. Integral values
    /// (<c>ints * 2.0</c>) are fine, and a float dtype takes any value (rounded to Float32 as TensorFlow does).
    /// Costs nothing for a float target (the scalar hot path).
    /// </summary>
    internal static void CheckFits(string op, Tensor weak, DType target)
    {
        if (target is DType.Float32 or DType.Float64 || weak.DType == target) return;
        var raw = weak.Raw;
        int n = raw.Size;
        for (int i = 0; i < n; i++)
        {
            double v = Core.Storage.getDouble(raw, i);
            bool fits = target switch
            {
                DType.Int32 => Math.Floor(v) == v && v >= int.MinValue && v <= int.MaxValue,
                DType.Int64 => Math.Floor(v) == v && v >= -9223372036854775808.0 && v < 9223372036854775808.0,
                DType.Bool => v is 0.0 or 1.0,
                _ => true,
            };
            if (!fits) throw NotHeld(op, raw, i, weak.DType, target);
        }
    }

    /// <summary>The value of the weak <paramref name="weak"/> in <paramref name="target"/>, checked by
    /// <see cref="CheckFits"/> (for <see cref="Variable.Assign"/> and its arithmetic forms).</summary>
    internal static Core.RawTensor Adopt(string op, Tensor weak, DType target)
    {
        CheckFits(op, weak, target);
        return Core.Storage.cast(target.ToCore(), weak.Raw);
    }

    private static ArgumentException NotHeld(string op, Core.RawTensor raw, int i, DType from, DType target)
    {
        string value = raw.Data.GetValue(i) switch
        {
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var o => o?.ToString() ?? "null",
        };
        string expected = target switch
        {
            DType.Int32 => $"an integral value in [{int.MinValue}, {int.MaxValue}]",
            DType.Int64 => $"an integral value in [{long.MinValue}, {long.MaxValue}]",
            _ => "0 or 1",
        };
        string where = raw.Rank == 0 ? "" : $" (element {i} of a weakly typed tensor of shape {Shapes.Format(raw.Shape)})";
        return new ArgumentException(
            $"{op}: the {from} value {value}{where}, a C# scalar that adopts the other operand's dtype, cannot be held exactly by dtype {target}; " +
            $"expected {expected}. Cast the tensor to a float dtype first (TF.Cast) or pass a value of its dtype (TensorFlow raises here too).");
    }

    /// <summary>The plain Int64 scalar <paramref name="v"/>.</summary>
    internal static Core.Tensor Int64(long v) =>
        Find(v, Core.DType.Int64)
        ?? Keep(v, Core.DType.Int64, Core.Combinators.constant(new Core.RawTensor(Core.DType.Int64, Array.Empty<int>(), new[] { v })));
}
