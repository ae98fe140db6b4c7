using System.Text;
using Nabla;
using Nabla.Keras;
using Nabla.Keras.Initializers;
using Nabla.Keras.Layers;
using Nabla.Keras.Saving;
using Xunit;
using KDense = Nabla.Keras.Layers.Dense;

namespace Nabla.Examples;

/// <summary>Weights in and out in the safetensors format: every layer kind round-trips, a file laid out by the format's
/// specification by hand (another tool's choices: unsorted names, metadata, F16/BF16/I64, padding) loads, and files that
/// break the format are refused with a message that says where.</summary>
public class SafeTensorsTests
{
    private static Sequential MakeModel(int seed) => new(new Layer[]
    {
        new Embedding(10, 4, embeddingsInitializer: new RandomUniform(seed: seed), name: "emb"),
        new Flatten(name: "flat"),
        new KDense(6, activation: "tanh", kernelInitializer: new GlorotUniform(seed: seed + 1), biasInitializer: new RandomNormal(seed: seed + 2), name: "d1"),
        new LayerNormalization(name: "ln"),
        new BatchNormalization(name: "bn"),
        new KDense(3, kernelInitializer: new HeNormal(seed: seed + 3), name: "d2"),
    }, name: "roundtrip");

    [Fact]
    public void EveryLayer_RoundTrips_IncludingNonTrainableWeights()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-{Guid.NewGuid():N}.safetensors");
        try
        {
            var x = TF.Constant(new[,] { { 1, 2 }, { 3, 9 }, { 0, 5 } });
            var a = MakeModel(10);
            a.Apply(x, training: true); // moves the batch-norm statistics away from their initial values
            var expected = a.Apply(x).ToArray<float>();
            a.SaveWeights(path);

            var b = MakeModel(20);
            b.Apply(x);
            Assert.NotEqual(expected, b.Apply(x).ToArray<float>());
            b.LoadWeights(path);
            Assert.Equal(a.Variables.Select(v => v.Name), b.Variables.Select(v => v.Name));
            for (int i = 0; i < a.Variables.Count; i++) Assert.True(a.Variables[i].ToArray<float>().SequenceEqual(b.Variables[i].ToArray<float>()), a.Variables[i].Name);
            // same weights, same outputs (to rounding: SIMD sums may group elements by the arrays' alignment)
            var actual = b.Apply(x).ToArray<float>();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"output {i}: {expected[i]} vs {actual[i]}");
            Assert.Equal(2, b.NonTrainableVariables.Count);

            var file = SafeTensors.Deserialize(File.ReadAllBytes(path));
            Assert.Equal("roundtrip", file.Metadata["name"]);
            Assert.Contains("bn/moving_variance", file.Tensors.Keys);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadWeights_ChecksEverythingBeforeChangingAnything()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-{Guid.NewGuid():N}.safetensors");
        try
        {
            var small = new Sequential(new Layer[] { new KDense(2, name: "p"), new KDense(3, name: "q") });
            small.Build(1, 4);
            small.SaveWeights(path);
            var other = new Sequential(new Layer[] { new KDense(2, name: "p"), new KDense(5, name: "q"), new KDense(1, name: "r") });
            other.Build(1, 4);
            var before = other.Variables.Select(v => v.ToArray<float>()).ToList();
            var e = Assert.Throws<InvalidDataException>(() => other.LoadWeights(path));
            Assert.Contains("'q/kernel' has shape [2, 3] in the file but [2, 5] in the layer", e.Message);
            Assert.Contains("'r/kernel' is missing", e.Message);
            Assert.Equal(before, other.Variables.Select(v => v.ToArray<float>()));
        }
        finally { File.Delete(path); }
    }

    /// <summary>Bytes laid out by hand from the specification: the header names "b" before "a", carries metadata, ends in
    /// spaces; the buffer holds a BF16 [2, 1] at 0..4, an F16 [2] at 4..8 and an I64 scalar at 8..16.</summary>
    [Fact]
    public void AFileLaidOutByTheSpecification_Loads()
    {
        const string json = "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}," +
                            "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,1],\"data_offsets\":[0,4]},\"c\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}   ";
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)header.Length)); // little-endian on this machine, as the format
        bytes.AddRange(header);
        bytes.AddRange(new byte[] { 0x80, 0x3F, 0x00, 0x3F });       // BF16 1.0, 0.5
        bytes.AddRange(new byte[] { 0x00, 0x3E, 0x00, 0xC0 });       // F16 1.5, -2.0
        bytes.AddRange(BitConverter.GetBytes(7L));                   // I64 7
        var (tensors, metadata) = SafeTensors.Deserialize(bytes.ToArray());
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(new[] { 2, 1 }, tensors["a"].Shape);
        Assert.Equal(new[] { 1.0f, 0.5f }, tensors["a"].ToArray<float>());
        Assert.Equal(new[] { 1.5f, -2.0f }, tensors["b"].ToArray<float>());
        Assert.Equal(0, tensors["c"].Rank);
        Assert.Equal(7L, tensors["c"].ToArray<long>()[0]);
    }

    [Fact]
    public void Serialize_FollowsTheLayout()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["z"] = TF.Constant(new[] { 1.0, 2.0 }), ["a"] = TF.Constant(new[] { 3 }) });
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},\"z\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[4,20]}}", header);
        Assert.Equal(8 + (int)n + 20, bytes.Length);
        Assert.Equal(3, BitConverter.ToInt32(bytes, 8 + (int)n));
        Assert.Equal(2.0, BitConverter.ToDouble(bytes, 8 + (int)n + 12));
    }

    private static byte[] Bytes(string json, int bufferBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        return BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(new byte[bufferBytes]).ToArray();
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "a hole in the buffer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "4 bytes after the last tensor")]
    [InlineData("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "dtype 'C64'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,16]}}", 8, "within the 8-byte buffer")]
    public void FilesThatBreakTheFormat_AreRefused(string json, int bufferBytes, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(Bytes(json, bufferBytes)));
        Assert.Contains(expected, e.Message);
        var tooLong = BitConverter.GetBytes(1000UL).Concat(new byte[10]).ToArray();
        Assert.Contains("does not fit the file", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(tooLong)).Message);
    }
}
