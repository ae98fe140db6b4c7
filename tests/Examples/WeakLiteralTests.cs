using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>A C# scalar (weakly typed) that meets an integer or Bool tensor must be held exactly by that dtype: a
/// fractional, out-of-range, NaN or infinite value is an ArgumentException naming the op, the dtype and the value
/// (TensorFlow raises too), never a silently truncated result.</summary>
public class WeakLiteralTests
{
    private static ArgumentException Rejects(string op, Action f, string dtype, string value)
    {
        var e = Assert.Throws<ArgumentException>(f);
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains($"dtype {dtype}", e.Message);
        Assert.Contains($"value {value}", e.Message);
        return e;
    }

    [Fact]
    public void FractionalLiteral_TimesIntTensor_Throws_InsteadOfTruncatingToZeros()
    {
        var ints = Constant(new[] { 1, 2, 3 });
        var e = Rejects("Multiply", () => { _ = ints * 0.5; }, "Int32", "0.5");
        Assert.Contains("cannot be held exactly", e.Message);
        Assert.Contains("expected an integral value in [-2147483648, 2147483647]", e.Message);
        Rejects("Multiply", () => { _ = 0.5 * ints; }, "Int32", "0.5");
        Rejects("Add", () => { _ = ints + 0.25f; }, "Int32", "0.25");
        Rejects("Subtract", () => { _ = ints - 1.5; }, "Int32", "1.5");
        Rejects("Divide", () => { _ = ints / 0.5; }, "Int32", "0.5");
    }

    [Fact]
    public void IntegralLiterals_KeepWorkingWithIntTensors()
    {
        var ints = Constant(new[] { 1, 2, 3 });
        var doubled = ints * 2.0;
        Assert.Equal(DType.Int32, doubled.DType);
        Assert.Equal(new[] { 2, 4, 6 }, doubled.ToArray<int>());
        Assert.Equal(new[] { 0, 1, 2 }, (ints - 1.0).ToArray<int>());
        Assert.Equal(new long[] { 3, 4, 5 }, (Constant(new long[] { 1, 2, 3 }) + 2.0).ToArray<long>());
        Assert.Equal(new[] { -1, -2, -3 }, (ints * -1).ToArray<int>());
        // a float tensor takes any literal (rounded to Float32 as TensorFlow does)
        Assert.Equal(new[] { 0.5f, 1f, 1.5f }, (Constant(new[] { 1f, 2f, 3f }) * 0.5).ToArray<float>());
    }

    [Fact]
    public void OutOfRangeNaNAndInfinity_IntoIntegerTensors_Throw()
    {
        var ints = Constant(new[] { 1, 2, 3 });
        Rejects("Multiply", () => { _ = ints * 1e10; }, "Int32", "10000000000");
        Rejects("Multiply", () => { _ = ints * 3_000_000_000L; }, "Int32", "3000000000");
        Rejects("Add", () => { _ = ints + double.NaN; }, "Int32", "NaN");
        Rejects("Add", () => { _ = ints + double.PositiveInfinity; }, "Int32", "Infinity");
        var longs = Constant(new long[] { 1, 2 });
        Rejects("Multiply", () => { _ = longs * 1e19; }, "Int64", "1E+19");
        Assert.Equal(new long[] { 3_000_000_000L, 6_000_000_000L }, (longs * 3e9).ToArray<long>());
    }

    [Fact]
    public void EveryOpThatAcceptsWeakScalars_ChecksThem()
    {
        var ints = Constant(new[] { 1, 2, 3 });
        Rejects("Maximum", () => Maximum(ints, 1.5), "Int32", "1.5");
        Rejects("Minimum", () => Minimum(2.5, ints), "Int32", "2.5");
        Rejects("Pow", () => Pow(ints, 0.5), "Int32", "0.5");
        Rejects("ClipByValue", () => ClipByValue(ints, 0.5, 2), "Int32", "0.5");
        Rejects("ClipByValue", () => ClipByValue(ints, 0, 2.5), "Int32", "2.5");
        Rejects("Where", () => Where(Greater(ints, 1), ints, 0.5), "Int32", "0.5");
        Rejects("Greater", () => Greater(ints, 1.5), "Int32", "1.5");
        Rejects("Equal", () => Equal(ints, 2.5), "Int32", "2.5");
        Rejects("Concat", () => Concat(new Tensor[] { ints, 0.5 }, 0), "Int32", "0.5");
        Rejects("Stack", () => Stack(new Tensor[] { Constant(1), 1.5 }), "Int32", "1.5");
        // Bool holds 0 and 1 only
        var flags = Constant(new[] { true, false });
        Rejects("Where", () => Where(flags, flags, 2), "Bool", "2");
        Assert.Equal(new[] { true, true }, Where(flags, flags, 1).ToArray<bool>());
        // integral values pass everywhere
        Assert.Equal(new[] { 1, 2, 2 }, ClipByValue(ints, 0.0, 2.0).ToArray<int>());
        Assert.Equal(new[] { 2, 2, 3 }, Maximum(ints, 2.0).ToArray<int>());
        Assert.Equal(new[] { 1, 4, 9 }, Pow(ints, 2.0).ToArray<int>());
    }

    [Fact]
    public void VariableAssign_AndItsArithmetic_CheckWeakScalars_AndChangeNothingOnRejection()
    {
        var v = new Variable(Constant(new[] { 4, 8 }), name: "counts");
        Rejects("Assign", () => v.Assign(0.5), "Int32", "0.5");
        Rejects("AssignAdd", () => v.AssignAdd(0.5), "Int32", "0.5");
        Rejects("AssignSub", () => v.AssignSub(1e10), "Int32", "10000000000");
        Assert.Equal(new[] { 4, 8 }, v.ToArray<int>());
        v.AssignAdd(2.0);
        Assert.Equal(new[] { 6, 10 }, v.ToArray<int>());
        v.AssignSub(1);
        Assert.Equal(new[] { 5, 9 }, v.ToArray<int>());
        var scalar = new Variable(Constant(7L));
        Rejects("Assign", () => scalar.Assign(7.5), "Int64", "7.5");
        scalar.Assign(9.0);
        Assert.Equal(9L, scalar.ToArray<long>()[0]);
        // a float variable still takes any literal
        var f = new Variable(Constant(new[] { 1f, 2f }));
        f.AssignSub(0.25);
        Assert.Equal(new[] { 0.75f, 1.75f }, f.ToArray<float>());
    }
}
