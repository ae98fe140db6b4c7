using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Element-wise kernels above the size where they split over the kernel threads give the same values.</summary>
public class LargeTensorTests
{
    private const int N = 300_001; // not a multiple of the chunk count

    [Fact]
    public void UnaryKernels_SplitOverThreads_MatchScalarMath()
    {
        var data = Enumerable.Range(0, N).Select(i => (i % 1000) / 250.0 - 2.0).ToArray();
        var x = Constant(data);
        var exp = Exp(x).ToArray<double>();
        var tanh = Tanh(x).ToArray<double>();
        var log1p = Log1p(x + 3.0).ToArray<double>();
        for (int i = 0; i < N; i += 997)
        {
            Assert.Equal(Math.Exp(data[i]), exp[i], 12);
            Assert.Equal(Math.Tanh(data[i]), tanh[i], 12);
            Assert.Equal(Math.Log(data[i] + 4.0), log1p[i], 12);
        }
        Assert.Equal(Math.Exp(data[N - 1]), exp[N - 1], 12);
    }

    [Fact]
    public void BinaryKernels_SplitOverThreads_MatchScalarMath()
    {
        var a = Enumerable.Range(0, N).Select(i => (float)(i % 17)).ToArray();
        var b = Enumerable.Range(0, N).Select(i => (float)(i % 5 + 1)).ToArray();
        var ta = Constant(a);
        var tb = Constant(b);
        var sum = (ta + tb).ToArray<float>();
        var quot = (ta / tb).ToArray<float>();
        var shifted = (2.0 - ta).ToArray<float>();
        var scaled = (ta * 0.5).ToArray<float>();
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(a[i] + b[i], sum[i]);
            Assert.Equal(a[i] / b[i], quot[i]);
            Assert.Equal(2f - a[i], shifted[i]);
            Assert.Equal(a[i] * 0.5f, scaled[i]);
        }
        using var t = new GradientTape();
        t.Watch(ta);
        var g = t.Gradient(ReduceSum(Square(ta)), ta)!.ToArray<float>();
        Assert.Equal(2 * a[N - 1], g[N - 1]);
    }
}
