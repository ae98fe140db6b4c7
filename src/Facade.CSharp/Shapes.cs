using System.Globalization;
using System.Text;

namespace Nabla;

/// <summary>Formatting of shapes and values, shared by messages and <see cref="Tensor.ToString()"/>.</summary>
internal static class Shapes
{
    public static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    private const int Threshold = 1000;
    private const int EdgeItems = 3;

    public static void AppendValues(StringBuilder sb, Core.RawTensor raw, string? format, IFormatProvider provider)
    {
        var shape = raw.Shape;
        var strides = Core.Shape.strides(shape);
        // an empty tensor prints its brackets: as many as the dimensions before the first 0 make, which can be huge
        long brackets = 1;
        foreach (int d in shape) { if (d == 0) break; brackets = Math.Min(brackets * d, long.MaxValue / int.MaxValue); }
        bool summarise = raw.Size > Threshold || (raw.Size == 0 && brackets > Threshold);
        void Element(int i)
        {
            object v = raw.Data.GetValue(i)!;
            sb.Append(v switch
            {
                bool b => b ? "True" : "False",
                IFormattable f => f.ToString(format, provider),
                _ => v.ToString(),
            });
        }
        void Axis(int axis, int offset)
        {
            if (axis == shape.Length) { Element(offset); return; }
            sb.Append('[');
            int n = shape[axis];
            for (int i = 0; i < n; i++)
            {
                if (summarise && n > 2 * EdgeItems && i == EdgeItems)
                {
                    sb.Append("..., ");
                    i = n - EdgeItems - 1;
                    continue;
                }
                Axis(axis + 1, offset + i * strides[axis]);
                if (i < n - 1) sb.Append(", ");
            }
            sb.Append(']');
        }
        Axis(0, 0);
    }
}
