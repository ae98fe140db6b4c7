using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>Tensor, dtype rules, and the error messages of MatMul, broadcasting, Reshape, reductions and the float-only
/// element-wise ops.</summary>
public class TensorTests
{
    [Fact]
    public void ToString_IsTensorFlowsFormat()
    {
        Assert.Equal("Tensor(8, shape=[], dtype=Float32)", TF.Constant(8f).ToString());
        Assert.Equal("Tensor([[1, 2], [3, 4]], shape=[2, 3 - 1], dtype=Float64)".Replace("3 - 1", "2"),
            TF.Constant(new double[,] { { 1, 2 }, { 3, 4 } }).ToString());
    }

    [Fact]
    public void ToString_AbbreviatesLargeTensors()
    {
        var s = TF.Zeros(2000).ToString();
        Assert.StartsWith("Tensor([0, 0, 0, ..., 0, 0, 0], shape=[2000]", s);
    }

    [Fact]
    public void ValuesKeepTheirCSharpType()
    {
        Assert.Equal(DType.Float64, TF.Constant(3.0).DType);
        Assert.Equal(DType.Float32, TF.Constant(3.0f).DType);
        Assert.Equal(DType.Int32, TF.Constant(3).DType);
        Assert.Equal(DType.Int64, TF.Constant(3L).DType);
        Assert.Equal(DType.Bool, TF.Constant(true).DType);
        Assert.Equal(DType.Float32, TF.Ones(2).DType);
        Assert.Equal(DType.Float64, TF.Zeros(new[] { 2 }, DType.Float64).DType);
        Assert.Equal(DType.Int32, TF.Constant(new[,] { { 1, 2 } }).DType);
    }

    [Fact]
    public void WeakScalars_AdoptTheTensorsDType()
    {
        var x = TF.Constant(new[] { 1f, 2f });
        Assert.Equal(DType.Float32, (x * 2.0).DType);
        Assert.Equal(DType.Float32, (1.0 - x).DType);
        Assert.Equal(DType.Float32, TF.Multiply(1.0, x).DType);
        Assert.Equal(new[] { 2f, 4f }, (x * 2.0).ToArray<float>());
        var d = TF.Constant(2.0);
        Assert.Equal(DType.Float64, (d * 3).DType);
        Assert.Equal(6.0, (d * 3).ToDouble());
    }

    [Fact]
    public void EqualWeakLiterals_AreDistinctHandles_WatchedApart()
    {
        // Equal literals share their plain value inside, never their handle: watching one leaves the other constant.
        Tensor c = 3.0;
        Tensor d = 3.0;
        Assert.NotSame(c, d);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        var y = c * d;
        Assert.Equal(3.0, tape.Gradient(y, c)!.ToDouble());
        Assert.Null(tape.Gradient(y, d));
    }

    [Fact]
    public void WeakLiterals_KeepSignedZeroAndDTypeApart()
    {
        Tensor pz = 0.0, nz = -0.0;
        Assert.Equal(double.PositiveInfinity, (1.0 / pz).ToDouble());
        Assert.Equal(double.NegativeInfinity, (1.0 / nz).ToDouble());
        Tensor f = 2f, i = 2, l = 2L, g = 2.0;
        Assert.Equal(new[] { DType.Float32, DType.Int32, DType.Int64, DType.Float64 }, new[] { f.DType, i.DType, l.DType, g.DType });
        Assert.Equal(2L, l.ToArray<long>()[0]);
    }

    /// <summary>The memory cost of a recorded scalar op through the facade: a scalar op recorded under a GradientTape
    /// (forward and gradient, C# literal included) allocates at most 150 bytes (140 measured, 8 of them the tape's
    /// registration of its results, so that releasing the tape cuts their graph).</summary>
    [Fact]
    public void RecordingAScalarOpUnderATape_AllocatesAtMost150Bytes()
    {
        const int steps = 20_000;
        double Run()
        {
            var x = TF.Constant(0.5);
            using var tape = new GradientTape();
            tape.Watch(x);
            Tensor y = x;
            for (int i = 0; i < steps; i++) y = y * x + 1.0;
            return tape.Gradient(y, x)!.ToDouble();
        }
        Run(); // warm-up: JIT, static tables
        var before = GC.GetAllocatedBytesForCurrentThread();
        var g = Run();
        var perOp = (GC.GetAllocatedBytesForCurrentThread() - before) / (2.0 * steps);
        Assert.True(perOp <= 150, $"{perOp:F1} B per recorded scalar op through the tape");
        // y_(k+1) = y_k x + 1 tends to 1 / (1 - x) = 2 at x = 0.5, and its derivative d_(k+1) = d_k x + y_k to
        // y / (1 - x) = 4: the chain really was recorded and differentiated
        Assert.Equal(4.0, g, 9);
    }

    [Fact]
    public void TwoStrongDTypes_ThrowNamingBoth()
    {
        var a = TF.Constant(1f);
        var b = TF.Constant(1.0);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("Add", e.Message);
        Assert.Contains("Float32", e.Message);
        Assert.Contains("Float64", e.Message);
    }

    [Fact]
    public void ShapeAndIndexers()
    {
        var x = TF.Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 2, 3 }, x.Shape);
        Assert.Equal(2, x.Rank);
        Assert.Equal(6, x.Size);
        Assert.Equal(new[] { 4.0, 5.0, 6.0 }, x[1].ToArray<double>());
        Assert.Equal(new[] { 4.0, 5.0, 6.0 }, x[-1].ToArray<double>());
        Assert.Equal(6.0, x[1, 2].ToDouble());
        Assert.Equal(6.0, (double)x[1][-1]);
        Assert.Empty(x[0, 0].Shape);
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var x = TF.Constant(new[] { 1.0, 2.0 });
        var e = Assert.Throws<IndexOutOfRangeException>(() => x[2]);
        Assert.Contains("[2]", e.Message);
        Assert.Throws<IndexOutOfRangeException>(() => x[-3]);
        Assert.Throws<IndexOutOfRangeException>(() => x[0][0]);
    }

    [Fact]
    public void Indexer_IsDifferentiable()
    {
        var x = TF.Constant(new[] { 1.0, 2.0, 3.0 });
        using var t = new GradientTape();
        t.Watch(x);
        var y = x[1] * x[2];
        Assert.Equal(new[] { 0.0, 3.0, 2.0 }, t.Gradient(y, x)!.ToArray<double>());
    }

    [Fact]
    public void ToDouble_RequiresOneElement()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TF.Ones(2, 2).ToDouble());
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void ToArray_Converts()
    {
        var x = TF.Constant(new[] { 1.5, -2.5 });
        Assert.Equal(new[] { 1, -2 }, x.ToArray<int>());
        Assert.Equal(new[] { 1.5f, -2.5f }, x.ToArray<float>());
        Assert.Equal(new[] { true, true }, x.ToArray<bool>());
    }

    [Fact]
    public void ConstantFromJaggedAndRectangularArrays()
    {
        var a = TF.Constant(new[] { new[] { 1.0, 2.0 }, new[] { 3.0, 4.0 } });
        var b = TF.Constant(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(b.Shape, a.Shape);
        Assert.Equal(b.ToArray<double>(), a.ToArray<double>());
        var e = Assert.Throws<ArgumentException>(() => TF.Constant(new[] { new[] { 1.0 }, new[] { 1.0, 2.0 } }));
        Assert.Contains("ragged", e.Message);
    }

    [Fact]
    public void CreationOps()
    {
        Assert.Equal(new[] { 7.0, 7.0 }, TF.Fill(new[] { 2 }, 7.0, DType.Float64).ToArray<double>());
        var x = TF.Constant(new[] { 1L, 2L });
        Assert.Equal(DType.Int64, TF.OnesLike(x).DType);
        Assert.Equal(new[] { 0L, 0L }, TF.ZerosLike(x).ToArray<long>());
        Assert.Same(x, TF.ConvertToTensor(x));
        var v = new Variable(1.0);
        Assert.Same(v.Value, TF.ConvertToTensor(v));
        Assert.Throws<ArgumentException>(() => TF.ConvertToTensor("text"));
        Assert.Throws<ArgumentException>(() => TF.Fill(new[] { -1 }, 0.0));
    }

    [Fact]
    public void Variable_AssignChecksShapeAndDType()
    {
        var v = new Variable(TF.Constant(new[] { 1f, 2f }));
        v.Assign(TF.Constant(new[] { 3f, 4f }));
        Assert.Equal(new[] { 3f, 4f }, v.ToArray<float>());
        v.AssignAdd(1.0);          // weak scalar adopts Float32, broadcasts
        Assert.Equal(new[] { 4f, 5f }, v.ToArray<float>());
        v.AssignSub(TF.Constant(new[] { 1f, 1f }));
        Assert.Equal(new[] { 3f, 4f }, v.ToArray<float>());
        var e1 = Assert.Throws<ArgumentException>(() => v.Assign(TF.Constant(new[] { 1f, 2f, 3f })));
        Assert.Contains("[3]", e1.Message);
        Assert.Contains("[2]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => v.Assign(TF.Constant(new[] { 1.0, 2.0 })));
        Assert.Contains("Float64", e2.Message);
        var s = new Variable(1.0);
        s.Assign(5.0);
        Assert.Equal(5.0, s.ToDouble());
        Assert.Equal(DType.Float64, s.DType);
    }

    [Fact]
    public void MatMul_InnerDimensionMismatch_NamesShapes()
    {
        var a = TF.Ones(2, 3);
        var b = TF.Ones(2, 3);
        var e = Assert.Throws<ArgumentException>(() => TF.MatMul(a, b));
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Equal(new[] { 2, 2 }, TF.MatMul(a, b, transposeB: true).Shape);
    }

    [Fact]
    public void Broadcasting_IncompatibleShapes_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => TF.Ones(2, 3) + TF.Ones(2));
        Assert.Contains("Add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[2]", e.Message);
    }

    [Fact]
    public void Reshape_BadSizes_Throw()
    {
        var x = TF.Ones(2, 3);
        Assert.Equal(new[] { 3, 2 }, TF.Reshape(x, 3, -1).Shape);
        var e = Assert.Throws<ArgumentException>(() => TF.Reshape(x, 4, 2));
        Assert.Contains("Reshape", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => TF.Reshape(x, -1, -1));
    }

    [Fact]
    public void Reduce_BadAxis_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => TF.ReduceSum(TF.Ones(2, 3), 2));
        Assert.Contains("ReduceSum", e.Message);
        Assert.Contains("rank 2", e.Message);
    }

    [Fact]
    public void UnaryFloatOps_RejectIntegers()
    {
        var e = Assert.Throws<ArgumentException>(() => TF.Exp(TF.Constant(1)));
        Assert.Contains("Exp", e.Message);
        Assert.Contains("Int32", e.Message);
    }
}
