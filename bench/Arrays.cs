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

/// <summary>Shapes the array kernels were not tuned on: a 3-D strided slice with steps on two axes, and SYMMETRIC
/// padding of an NHWC batch.</summary>
public abstract class ArraysUntunedBase : BenchBase
{
    [Params("f32", "f64")] public string DT = "f32";

    protected static (NTensor X, torch.Tensor T) Uniform(long[] shape, string dt, int seed)
    {
        var rng = new Random(seed);
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var x = TF.Cast(TF.Reshape(TF.Constant(d), shape.Select(s => (int)s).ToArray()), dt == "f32" ? DType.Float32 : DType.Float64);
        var t = torch.tensor(d, shape).to_type(dt == "f32" ? ScalarType.Float32 : ScalarType.Float64);
        return (x, t);
    }
}

/// <summary><c>x[::2, 1:-1, ::-3]</c> of a [64, 96, 80] tensor and the gradient of its sum.</summary>
public class ArraysStridedSlice3D : ArraysUntunedBase
{
    private NTensor x = null!;
    private torch.Tensor tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        (x, tx) = Uniform(new long[] { 64, 96, 80 }, DT, 7);
    }

    [Benchmark(Description = "Nabla x[::2, 1:-1, ::-3] of [64, 96, 80] + gradient")]
    public int Nabla()
    {
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = x[Idx.Slice(step: 2), Idx.Slice(1, -1), Idx.Slice(step: -3)];
        return tape.Gradient(TF.ReduceSum(y), x)!.Size;
    }

    [Benchmark(Baseline = true, Description = "TorchSharp slice + flip + slice + backward")]
    public long Torch()
    {
        using var scope = torch.NewDisposeScope();
        var t = tx.detach().requires_grad_(true);
        var y = t[TensorIndex.Slice(null, null, 2), TensorIndex.Slice(1, -1)].flip(2)[TensorIndex.Ellipsis, TensorIndex.Slice(null, null, 3)];
        y.sum().backward();
        return t.grad!.numel();
    }
}

/// <summary>SYMMETRIC padding by 3 of the two spatial axes of an [8, 64, 64, 3] NHWC batch. TorchSharp has no
/// symmetric mode: its baseline is reflect padding by 3 of the same batch in NCHW, its native layout (the same
/// element count in and out).</summary>
public class ArraysPadSymmetric : ArraysUntunedBase
{
    private static readonly int[,] Paddings = { { 0, 0 }, { 3, 3 }, { 3, 3 }, { 0, 0 } };
    private NTensor x = null!;
    private torch.Tensor tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        ApplyThreads();
        (x, _) = Uniform(new long[] { 8, 64, 64, 3 }, DT, 9);
        (_, tx) = Uniform(new long[] { 8, 3, 64, 64 }, DT, 9);
    }

    [Benchmark(Description = "Nabla Pad SYMMETRIC [8, 64, 64, 3] by 3 (NHWC)")]
    public int Nabla() => TF.Pad(x, Paddings, "SYMMETRIC").Size;

    [Benchmark(Baseline = true, Description = "TorchSharp pad reflect [8, 3, 64, 64] by 3 (NCHW)")]
    public long Torch()
    {
        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.pad(tx, new long[] { 3, 3, 3, 3 }, PaddingModes.Reflect);
        return y.numel();
    }
}
