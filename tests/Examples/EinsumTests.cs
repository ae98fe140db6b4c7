using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>TF.Einsum and TF.Tensordot through the facade: TensorFlow's examples, gradients through a tape, integer
/// operands, weak scalars and the error messages.</summary>
public class EinsumTests
{
    [Fact]
    public void Einsum_MatrixProduct_AndItsGradient()
    {
        var a = Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var b = Constant(new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
        Assert.Equal(MatMul(a, b).ToArray<double>(), Einsum("ij,jk->ik", a, b).ToArray<double>());
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var y = ReduceSum(Einsum("ij,jk->ik", a, b));
        // d/da sum(a b) = ones [2, 2] b^T: each row is the row sums of b
        Assert.Equal(new[] { 1.0, 1.0, 2.0, 1.0, 1.0, 2.0 }, tape.Gradient(y, a)!.ToArray<double>());
    }

    [Fact]
    public void Einsum_Trace_Diagonal_Implicit_AndHessian()
    {
        var m = Constant(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(5.0, Einsum("ii", m).ToDouble());
        Assert.Equal(new[] { 1.0, 4.0 }, Einsum("ii->i", m).ToArray<double>());
        Assert.Equal(new[] { 1.0, 3.0, 2.0, 4.0 }, Einsum("ba", m).ToArray<double>()); // implicit output "ab": a transpose
        // x^T x as einsum: the Hessian is 2 I
        var h = Autodiff.Hessian(x => Einsum("i,i->", x, x), Constant(new[] { 1.0, 2.0 }));
        Assert.Equal(new[] { 2.0, 0.0, 0.0, 2.0 }, h.ToArray<double>());
    }

    [Fact]
    public void Einsum_Integers_AndWeakScalars()
    {
        var a = Constant(new[,] { { 1, 2 }, { 3, 4 } });
        var r = Einsum("ij,jk->ik", a, a);
        Assert.Equal(DType.Int32, r.DType);
        Assert.Equal(new[] { 7, 10, 15, 22 }, r.ToArray<int>());
        var x = Constant(new[] { 1.0f, 2.0f });
        var s = Einsum("i,->i", x, 2.0);
        Assert.Equal(DType.Float32, s.DType);
        Assert.Equal(new[] { 2.0f, 4.0f }, s.ToArray<float>());
    }

    [Fact]
    public void Tensordot_IntAndAxisLists()
    {
        var a = Reshape(Range(0, 24, dtype: DType.Float64), 2, 3, 4);
        var b = Reshape(Range(0, 12, dtype: DType.Float64), 3, 4);
        var c = Tensordot(a, b, 2);
        Assert.Equal(new[] { 2 }, c.Shape);
        Assert.Equal(Einsum("ijk,jk->i", a, b).ToArray<double>(), c.ToArray<double>());
        var d = Tensordot(a, b, new[] { 1 }, new[] { -2 });
        Assert.Equal(new[] { 2, 4, 4 }, d.Shape);
        Assert.Equal(Einsum("ijk,jl->ikl", a, b).ToArray<double>(), d.ToArray<double>());
    }

    [Fact]
    public void Errors_NameTheOpEquationAndLabel()
    {
        var a = Ones(2, 3);
        var b = Ones(4, 5);
        var e = Assert.Throws<ArgumentException>(() => Einsum("ij,jk->ik", a, b));
        Assert.Contains("Einsum", e.Message);
        Assert.Contains("\"ij,jk->ik\"", e.Message);
        Assert.Contains("label 'j'", e.Message);
        e = Assert.Throws<ArgumentException>(() => Einsum("ij,jk->ik", a));
        Assert.Contains("2 input subscripts but 1 operand", e.Message);
        e = Assert.Throws<ArgumentException>(() => Einsum("i$", a));
        Assert.Contains("character '$'", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensordot(a, b, 1));
        Assert.Contains("Tensordot", e.Message);
        e = Assert.Throws<ArgumentException>(() => Einsum("ij,jk->ik", a, Ones(new[] { 3, 2 }, DType.Float64)));
        Assert.Contains("Float64", e.Message);
    }
}
