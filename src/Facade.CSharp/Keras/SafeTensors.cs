using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Nabla.Keras.Saving;

/// <summary>
/// Reads and writes the safetensors format (the weights format of Hugging Face, also read and written by PyTorch and JAX
/// tools): an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor's name to its
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> [begin, end) into the byte buffer that follows (plus an optional
/// <c>__metadata__</c> map of strings), then the buffer of little-endian, row-major tensors.
/// </summary>
/// <remarks>Written files sort tensors by name, pad the header with spaces to a multiple of 8 bytes and lay the buffers
/// out in that order without gaps. Reading accepts any order, padding and metadata, and checks what the format requires:
/// a header that fits the file, offsets inside the buffer that match each tensor's byte size, no overlaps and no holes,
/// no duplicate names. Dtypes read: F64, F32, F16, BF16 (widened to Float32), I64, I32, I16, I8, U8 (widened to Int32),
/// BOOL; written: F64, F32, I64, I32, BOOL.</remarks>
public static class SafeTensors
{
    private const long MaxHeader = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> (replacing it), with optional string metadata.</summary>
    /// <exception cref="ArgumentException">A name is empty or "__metadata__".</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Serialize(tensors, metadata);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The file's bytes for <paramref name="tensors"/> (see <see cref="Save"/>).</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var buffers = new List<byte[]>();
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__")
                    throw new ArgumentException($"SafeTensors.Save: tensor name '{name}' is not allowed.", nameof(tensors));
                var t = tensors[name] ?? throw new ArgumentException($"SafeTensors.Save: tensor '{name}' is null.", nameof(tensors));
                var (code, data) = Encode(t);
                buffers.Add(data);
                w.WriteStartObject(name);
                w.WriteString("dtype", code);
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += data.Length;
            }
            w.WriteEndObject();
        }
        var header = headerStream.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + buffers.Sum(b => (long)b.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        header.CopyTo(result, 8);
        for (int i = 8 + header.Length; i < 8 + padded; i++) result[i] = (byte)' ';
        long at = 8 + padded;
        foreach (var b in buffers) { b.CopyTo(result, at); at += b.Length; }
        return result;
    }

    private static (string, byte[]) Encode(Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float64: return ("F64", Bytes(t.ToArray<double>(), 8, (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v)));
            case DType.Float32: return ("F32", Bytes(t.ToArray<float>(), 4, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v)));
            case DType.Int64: return ("I64", Bytes(t.ToArray<long>(), 8, (s, v) => BinaryPrimitives.WriteInt64LittleEndian(s, v)));
            case DType.Int32: return ("I32", Bytes(t.ToArray<int>(), 4, (s, v) => BinaryPrimitives.WriteInt32LittleEndian(s, v)));
            default: return ("BOOL", t.ToArray<bool>().Select(b => b ? (byte)1 : (byte)0).ToArray());
        }
    }

    private delegate void Put<T>(Span<byte> span, T value);

    private static byte[] Bytes<T>(T[] values, int size, Put<T> put)
    {
        var b = new byte[(long)values.Length * size];
        for (int i = 0; i < values.Length; i++) put(b.AsSpan(i * size, size), values[i]);
        return b;
    }

    /// <summary>Reads every tensor of the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file breaks the format (the message says where).</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(string path) => Deserialize(File.ReadAllBytes(path), path).Tensors;

    /// <summary>The tensors and metadata of a file's bytes.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="source">A name for messages (a path).</param>
    /// <exception cref="InvalidDataException">The bytes break the format (the message says where).</exception>
    public static (IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Deserialize(byte[] bytes, string source = "safetensors data")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        InvalidDataException Bad(string why) => new($"SafeTensors: {source}: {why}");
        if (bytes.Length < 8) throw Bad($"{bytes.Length} bytes; expected at least the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || 8 + (long)n > bytes.Length)
            throw Bad($"header length {n} does not fit the file of {bytes.Length} bytes (at most {MaxHeader}).");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n)); }
        catch (JsonException e) { throw Bad($"the header is not valid JSON ({e.Message})."); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header is not a JSON object.");
        long bufferStart = 8 + (long)n, bufferLength = bytes.Length - bufferStart;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var spans = new List<(long Begin, long End, string Name)>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object.");
                foreach (var m in prop.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad($"__metadata__ value '{m.Name}' is not a string.");
                continue;
            }
            if (tensors.ContainsKey(prop.Name)) throw Bad($"tensor '{prop.Name}' appears twice.");
            var info = prop.Value;
            if (info.ValueKind != JsonValueKind.Object || !info.TryGetProperty("dtype", out var dt) || !info.TryGetProperty("shape", out var sh) || !info.TryGetProperty("data_offsets", out var off))
                throw Bad($"tensor '{prop.Name}' lacks dtype, shape or data_offsets.");
            var shape = sh.EnumerateArray().Select(e => e.TryGetInt32(out var d) && d >= 0 ? d : throw Bad($"tensor '{prop.Name}' has a bad shape entry {e}.")).ToArray();
            var offsets = off.EnumerateArray().Select(e => e.TryGetInt64(out var o) && o >= 0 ? o : throw Bad($"tensor '{prop.Name}' has a bad offset {e}.")).ToArray();
            if (offsets.Length != 2 || offsets[1] < offsets[0] || offsets[1] > bufferLength)
                throw Bad($"tensor '{prop.Name}' has data_offsets [{string.Join(", ", offsets)}]; expected [begin, end] within the {bufferLength}-byte buffer.");
            string code = dt.GetString() ?? "";
            int size = code switch { "F64" or "I64" => 8, "F32" or "I32" => 4, "F16" or "BF16" or "I16" => 2, "I8" or "U8" or "BOOL" => 1, _ => throw Bad($"tensor '{prop.Name}' has dtype '{code}'; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.") };
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (count > Array.MaxLength) throw Bad($"tensor '{prop.Name}' has {count} elements, more than .NET arrays hold.");
            if (offsets[1] - offsets[0] != count * size)
                throw Bad($"tensor '{prop.Name}' ({code}, shape {Shapes.Format(shape)}) needs {count * size} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}.");
            spans.Add((offsets[0], offsets[1], prop.Name));
            tensors[prop.Name] = Decode(bytes.AsSpan((int)(bufferStart + offsets[0]), (int)(offsets[1] - offsets[0])), code, shape, (int)count);
        }
        // the format forbids overlaps and holes: the spans tile the buffer
        long expect = 0;
        foreach (var s in spans.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            if (s.Begin != expect)
                throw Bad(s.Begin < expect ? $"tensor '{s.Name}' overlaps the tensor before it (starts at {s.Begin}, previous ends at {expect})."
                                           : $"a hole in the buffer before tensor '{s.Name}' (bytes {expect} to {s.Begin} belong to no tensor).");
            expect = s.End;
        }
        if (expect != bufferLength) throw Bad($"the buffer has {bufferLength - expect} bytes after the last tensor.");
        return (tensors, metadata);
    }

    private static Tensor Decode(ReadOnlySpan<byte> b, string code, int[] shape, int n)
    {
        Array data;
        switch (code)
        {
            case "F64": { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]); data = a; break; }
            case "F32": { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]); data = a; break; }
            case "F16": { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]); data = a; break; }
            case "BF16": { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]) << 16); data = a; break; }
            case "I64": { var a = new long[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]); data = a; break; }
            case "I32": { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]); data = a; break; }
            case "I16": { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]); data = a; break; }
            case "I8": { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = (sbyte)b[i]; data = a; break; }
            case "U8": { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = b[i]; data = a; break; }
            default: { var a = new bool[n]; for (int i = 0; i < n; i++) a[i] = b[i] != 0; data = a; break; }
        }
        return TF.Reshape(TF.Constant(data), shape);
    }
}
