// Strided slicing and padding (TF.Arrays.cs, the indexer) against TorchSharp's slicing, flip and reflect padding.
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;
using NTensor = Nabla.Tensor;

namespace Nabla.Bench;

/// <summary>Shared input: an n x n matrix of uniform values.</summary>
public abstract class ArraysBase : BenchBase
{
    [Params(256, 1024)] public int N;
    [Params("f32", "f64")] public string DT = "f32";

    protected NTensor x = null!;
    protected torch.Tensor tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        var rng = new Random(5);
        var d = Enumerable.Range(0, N * N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        x = TF.Cast(TF.Reshape(TF.Constant(d), N, N), DT == "f32" ? DType.Float32 : DType.Float64);
        tx = torch.tensor(d, new long[] { N, N }).to_type(DT == "f32" ? ScalarType.Float32 : ScalarType.Float64);
    }
}

/// <summary>Rows 1, 3, 5, ... (but the last) with the columns reversed, and the gradient of its sum: a strided view
/// with a negative step forward, its strided write into zeros backward.</summary>
public class ArraysStridedSlice : ArraysBase
{
    [Benchmark(Description = "Nabla x[1:-1:2, ::-1] + gradient")]
    public int Nabla()
    {
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x[Idx.Slice(1, -1, 2), Idx.Slice(step: -1)];
        return tape.Gradient(TF.ReduceSum(y), x)!.Size;
    }

    [Benchmark(Baseline = true, Description = "TorchSharp slice + flip + backward")]
    public long Torch()
    {
        using var scope = torch.NewDisposeScope();
        var t = tx.detach().requires_grad_(true);
        var y = t[TensorIndex.Slice(1, -1, 2)].flip(1);
        y.sum().backward();
        return t.grad!.numel();
    }
}

/// <summary>Reflect padding by 8 on every side of an n x n matrix.</summary>
public class ArraysPadReflect : ArraysBase
{
    private static readonly int[,] Paddings = { { 8, 8 }, { 8, 8 } };

    [Benchmark(Description = "Nabla Pad REFLECT")]
    public int Nabla() => TF.Pad(x, Paddings, "REFLECT").Size;

    [Benchmark(Baseline = true, Description = "TorchSharp pad reflect")]
    public long Torch()
    {
        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.pad(tx.unsqueeze(0), new long[] { 8, 8, 8, 8 }, PaddingModes.Reflect);
        return y.numel();
    }
}
