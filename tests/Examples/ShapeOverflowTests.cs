using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>Element counts above <see cref="Array.MaxLength"/> (or past <c>int</c>) are an ArgumentException that names the
/// op and the shape, thrown before anything is allocated; never a short, empty or wrapped tensor.</summary>
public class ShapeOverflowTests
{
    private const string OutOfScope = "tensors above Array.MaxLength elements are out of scope";

    /// <summary>Asserts an ArgumentException whose message starts with the op's name and holds every fragment.</summary>
    private static ArgumentException Rejects(string op, Func<object> f, params string[] fragments)
    {
        var e = Assert.Throws<ArgumentException>(() => { f(); });
        Assert.StartsWith(op + ":", e.Message);
        foreach (var s in fragments) Assert.Contains(s, e.Message);
        return e;
    }

    [Fact]
    public void Factories_RejectShapesOfMoreThanArrayMaxLengthElements()
    {
        // each wrapped before: [65536, 65536] had 0 elements, [65536, 65537] had 65536
        Rejects("Ones", () => Ones(65536, 65536), "[65536, 65536]", "4294967296 elements", OutOfScope);
        Rejects("Ones", () => Ones(65536, 65537), "[65536, 65537]", "4295032832 elements", OutOfScope);
        Rejects("Zeros", () => Zeros(100000, 100000, 100000), "[100000, 100000, 100000]", "1000000000000000 elements", OutOfScope);
        Rejects("Zeros", () => Zeros(new[] { 65536, 65536 }, DType.Int32), "[65536, 65536]", OutOfScope);
        Rejects("Fill", () => Fill(new[] { 65536, 65536 }, 2.0), "[65536, 65536]", OutOfScope);
        Rejects("Eye", () => Eye(65536), "[65536, 65536]", OutOfScope);
        Rejects("RandomNormal", () => RandomNormal(new[] { 65536, 65536 }), "[65536, 65536]", OutOfScope);
        Rejects("RandomUniform", () => RandomUniform(new[] { 65536, 65536 }), "[65536, 65536]", OutOfScope);
        Rejects("OneHot", () => OneHot(Constant(new int[65536]), 65536), "[65536, 65536]", OutOfScope);
        Rejects("Range", () => Range(0, 3e9), "3000000000 elements", "Array.MaxLength");
        Rejects("Linspace", () => Linspace(0, 1, int.MaxValue), $"num {int.MaxValue}", "Array.MaxLength");
    }

    [Fact]
    public void Factories_StillAcceptLargeEmptyAndNearLimitShapes()
    {
        var empty = Zeros(100000, 100000, 0);
        Assert.Equal(new[] { 100000, 100000, 0 }, empty.Shape);
        Assert.Equal(0, empty.Size);
        Assert.Equal(0.0, ReduceSum(empty).ToDouble());
        Assert.Contains("shape=[100000, 100000, 0]", empty.ToString()); // printing does not walk 10^10 empty rows
        Assert.Equal(new[] { 0, 0 }, Eye(0).Shape);
        Assert.Equal(65536.0 * 2, ReduceSum(Ones(65536, 2)).ToDouble());
    }

    [Fact]
    public void NegativeDimension_SaysWhatIsWrong()
    {
        Rejects("Ones", () => Ones(3, -1), "[3, -1]", "negative dimension", "expected dimensions >= 0");
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Subtract")]
    [InlineData("Multiply")]
    [InlineData("Divide")]
    [InlineData("Maximum")]
    [InlineData("Minimum")]
    [InlineData("Pow")]
    [InlineData("Equal")]
    [InlineData("Greater")]
    [InlineData("LessEqual")]
    public void Broadcasting_PastArrayMaxLength_IsRejectedByEveryElementwiseOp(string op)
    {
        // [65536, 1] with [1, 65536] broadcast to 2^32 elements: an empty tensor before
        var a = Ones(65536, 1);
        var b = Ones(1, 65536);
        var f = typeof(TF).GetMethod(op, new[] { typeof(Tensor), typeof(Tensor) })!;
        var e = Assert.Throws<System.Reflection.TargetInvocationException>(() => f.Invoke(null, new object[] { a, b }));
        var inner = Assert.IsType<ArgumentException>(e.InnerException);
        Assert.StartsWith(op + ":", inner.Message);
        Assert.Contains("[65536, 1] and [1, 65536] broadcast to [65536, 65536]", inner.Message);
        Assert.Contains("4294967296 elements", inner.Message);
        Assert.Contains(OutOfScope, inner.Message);
    }

    [Fact]
    public void Broadcasting_PastArrayMaxLength_InWhereClipAndUnderATape()
    {
        var a = Ones(65536, 1);
        var b = Ones(1, 65536);
        Rejects("Where", () => Where(Greater(a, 0.0), a, b), "[65536, 65536]", OutOfScope);
        Rejects("ClipByValue", () => ClipByValue(a, b, 2.0), "[65536, 65536]", OutOfScope);
        using var tape = new GradientTape();
        tape.Watch(a);
        Rejects("Multiply", () => a * b, "[65536, 65536]", OutOfScope);
        Rejects("Add", () => a + b, "[65536, 65536]", OutOfScope);
    }

    [Fact]
    public void MatMulAndMatVec_RejectProductsPastArrayMaxLength()
    {
        Rejects("MatMul", () => MatMul(Ones(65536, 1), Ones(1, 65536)), "[65536, 1] and [1, 65536]", "[65536, 65536]", OutOfScope);
        Rejects("MatMul", () => MatMul(Ones(1, 65536), Ones(1, 65536), transposeA: true), "(transposed)", "[65536, 65536]", OutOfScope);
        // batch axes that broadcast to 2^32 matrices
        Rejects("MatMul", () => MatMul(Ones(65536, 1, 1, 1), Ones(65536, 1, 1)), "[65536, 65536, 1, 1]", OutOfScope);
        Rejects("MatVec", () => MatVec(Ones(65536, 1, 1, 1), Ones(65536, 1)), "[65536, 65536, 1]", OutOfScope);
    }

    [Fact]
    public void ConcatStackAndGather_RejectResultsPastArrayMaxLength()
    {
        var row = Ones(1, 65536);
        Rejects("Concat", () => Concat(Enumerable.Repeat(row, 65536).ToArray(), 0), "65536 tensors", "4294967296 elements", OutOfScope);
        // an extent past int (on empty tensors: 4 x 2^30 rows of nothing)
        var tall = Zeros(1 << 30, 0);
        Rejects("Concat", () => Concat(new[] { tall, tall, tall, tall }, 0), "extent 4294967296", "Int32.MaxValue");
        Rejects("Stack", () => Stack(Enumerable.Repeat(Ones(65536), 65536).ToArray()), "65536 tensors of shape [65536]", "[65536, 65536]", OutOfScope);
        Rejects("Gather", () => Gather(row, Constant(new int[65536])), "[65536, 65536]", OutOfScope);
    }

    [Fact]
    public void Reshape_ComparesElementCountsWithoutWrapping()
    {
        // [65536, 65537] wrapped to 65536 elements and was accepted for a tensor of 65536 elements
        var x = Ones(65536);
        Rejects("Reshape", () => Reshape(x, 65536, 65537), "(65536 elements) to [65536, 65537] (4295032832 elements)");
        Rejects("Reshape", () => Reshape(x, -1, 65536, 65536), "[-1, 65536, 65536]", "4294967296 elements");
        Assert.Equal(new[] { 65536, 65536, 0 }, Reshape(Zeros(0), 65536, 65536, 0).Shape);
    }

    [Fact]
    public void Slice_WithIntMaxValueBeginOrSize_IsAnArgumentExceptionNamingSlice()
    {
        var x = Ones(3);
        Rejects("Slice", () => Slice(x, new[] { int.MaxValue }, new[] { 1 }), "begin [2147483647]", "shape [3]");
        Rejects("Slice", () => Slice(x, new[] { 1 }, new[] { int.MaxValue }), "size [2147483647]", "shape [3]");
        Rejects("Slice", () => Slice(x, new[] { int.MaxValue }, new[] { int.MaxValue }), "out of bounds");
        Rejects("Slice", () => Slice(x, new[] { 4 }, new[] { -1 }), "out of bounds");
        Assert.Equal(new[] { 0 }, Slice(x, new[] { 3 }, new[] { -1 }).Shape);
    }

    [Fact]
    public void Jacobians_PastArrayMaxLength_AreRejectedBeforeAnySweep()
    {
        var x = Ones(new[] { 65536 }, DType.Float64);
        using (var tape = new GradientTape(persistent: true))
        {
            tape.Watch(x);
            var y = x * 2.0;
            Rejects("Jacobian", () => tape.Jacobian(y, x), "[65536, 65536]");
        }
        Rejects("Jacobian", () => Autodiff.Jacobian(t => t * 2.0, x), "[65536, 65536]");
    }
}
