using System.Text.RegularExpressions;
using Nabla;
using Xunit;
using static Nabla.TF;

namespace Nabla.Examples;

/// <summary>
/// Every op in README.md's list on empty inputs (shapes [0] and [2, 0], and an empty axis beside a full one): TensorFlow's
/// value, shape and dtype, and the gradient through a GradientTape (an empty tensor of the source's shape, or TF's value
/// such as zeros for a non-empty operand), or an ArgumentException whose message names the op.
/// ReduceMax and ReduceMin are left out here: their empty identities (-inf / +inf) belong to another change.
/// </summary>
public class EmptyTensorTests
{
    /// <summary>What the gradient of the (float) result with respect to the source must be.</summary>
    public enum Grad
    {
        /// <summary>A tensor of the source's shape and dtype: zeros, or <see cref="Case.GradValues"/>.</summary>
        OfSourceShape,
        /// <summary>None (<c>null</c>): the op is not differentiable, or its result does not depend on the source.</summary>
        Null,
    }

    /// <summary>One op on one empty input. <see cref="F"/> takes the watched Float64 source of <see cref="Source"/>'s shape.</summary>
    public sealed record Case(string Op, string Name, int[] Source, Func<Tensor, Tensor> F,
        int[]? Shape = null, double[]? Values = null, DType DType = DType.Float64,
        Grad Grad = Grad.OfSourceShape, double[]? GradValues = null, string? Throws = null);

    private static readonly int[] E0 = { 0 };
    private static readonly int[] E20 = { 2, 0 };
    private static readonly int[] S = Array.Empty<int>();

    private static Tensor Z(params int[] shape) => Zeros(shape, DType.Float64);

    private static IEnumerable<Case> Build()
    {
        // ------------------------------------------------------------ creation (no gradient flows from the source)
        yield return new("Constant", "double[0]", E0, _ => Constant(new double[0]), E0, Grad: Grad.Null);
        yield return new("Constant", "double[2,0]", E0, _ => Constant(new double[2, 0]), E20, Grad: Grad.Null);
        yield return new("Constant", "int[0] as Float64", E0, _ => Constant(new int[0], DType.Float64), E0, Grad: Grad.Null);
        yield return new("ConvertToTensor", "double[0]", E0, _ => ConvertToTensor(new double[0]), E0, Grad: Grad.Null);
        yield return new("Ones", "[2,0]", E0, _ => Ones(new[] { 2, 0 }, DType.Float64), E20, Grad: Grad.Null);
        yield return new("Zeros", "[0]", E0, _ => Zeros(new[] { 0 }, DType.Float64), E0, Grad: Grad.Null);
        yield return new("OnesLike", "[2,0]", E20, x => OnesLike(x), E20, Grad: Grad.Null);
        yield return new("ZerosLike", "[0]", E0, x => ZerosLike(x), E0, Grad: Grad.Null);
        yield return new("Fill", "[0, 3]", E0, _ => Fill(new[] { 0, 3 }, 7, DType.Float64), new[] { 0, 3 }, Grad: Grad.Null);
        yield return new("Range", "start = limit", E0, _ => Range(5, 5, 1, DType.Float64), E0, Grad: Grad.Null);
        yield return new("Linspace", "num 0", E0, _ => Linspace(0, 1, 0, DType.Float64), E0, Grad: Grad.Null);
        yield return new("Eye", "n 0", E0, _ => Eye(0, DType.Float64), new[] { 0, 0 }, Grad: Grad.Null);
        yield return new("OneHot", "no indices", E0, _ => OneHot(Constant(new int[0]), 3, DType.Float64), new[] { 0, 3 }, Grad: Grad.Null);
        yield return new("OneHot", "depth 0", E0, _ => OneHot(Constant(new[] { 1, 2 }), 0, DType.Float64), E20, Grad: Grad.Null);
        yield return new("RandomNormal", "[2,0]", E0, _ => RandomNormal(new[] { 2, 0 }, dtype: DType.Float64), E20, Grad: Grad.Null);
        yield return new("RandomUniform", "[0]", E0, _ => RandomUniform(new[] { 0 }, dtype: DType.Float64), E0, Grad: Grad.Null);
        // TF.Random and TF.Nn.Dropout (an op seed of their own, so the seed-rule tests' streams are not touched)
        yield return new("Normal", "[2,0]", E0, _ => TF.Random.Normal(new[] { 2, 0 }, dtype: DType.Float64, seed: 999), E20, Grad: Grad.Null);
        yield return new("Uniform", "[0]", E0, _ => TF.Random.Uniform(new[] { 0 }, dtype: DType.Float64, seed: 999), E0, Grad: Grad.Null);
        yield return new("TruncatedNormal", "[0]", E0, _ => TF.Random.TruncatedNormal(new[] { 0 }, dtype: DType.Float64, seed: 999), E0, Grad: Grad.Null);
        yield return new("Categorical", "batch 0", E0, _ => TF.Random.Categorical(Zeros(new[] { 0, 3 }, DType.Float64), 4, seed: 999), new[] { 0, 4 }, DType: DType.Int64, Grad: Grad.Null);
        yield return new("Categorical", "no samples", E0, _ => TF.Random.Categorical(Zeros(new[] { 2, 3 }, DType.Float64), 0, seed: 999), E20, DType: DType.Int64, Grad: Grad.Null);
        yield return new("Shuffle", "[0]", E0, x => TF.Random.Shuffle(x, seed: 999), E0, Grad: Grad.Null);
        yield return new("Dropout", "[2,0]", E20, x => TF.Nn.Dropout(x, 0.5, seed: 999), E20);

        // ------------------------------------------------------------ element-wise, unary: empty in, empty out
        // every op of the README's element-wise line that takes one tensor (so a new one is covered at once), and two more
        var unary = ReadmeOps("element-wise")
            .Select(op => (Op: op, Method: typeof(TF).GetMethod(op, new[] { typeof(Tensor) })))
            .Where(p => p.Method != null && p.Method.ReturnType == typeof(Tensor))
            .Select(p => (p.Op, F: p.Method!.CreateDelegate<Func<Tensor, Tensor>>()))
            .Concat(new (string Op, Func<Tensor, Tensor> F)[]
            {
                ("StopGradient", StopGradient),
                ("Cast", x => Cast(Cast(x, DType.Float32), DType.Float64)),
            })
            .ToArray();
        foreach (var (op, f) in unary)
            foreach (var shape in new[] { E0, E20 })
                yield return new(op, Shapes(shape), shape, f, shape, Grad: op == "StopGradient" ? Grad.Null : Grad.OfSourceShape);
        yield return new("Cast", "to Int32", E20, x => Cast(x, DType.Int32), E20, DType: DType.Int32, Grad: Grad.Null);

        // ------------------------------------------------------------ element-wise, binary (with itself, a scalar, a broadcast)
        var binary = new (string Op, Func<Tensor, Tensor, Tensor> F)[]
        {
            ("Add", Add), ("Subtract", Subtract), ("Multiply", Multiply), ("Divide", Divide), ("Pow", Pow),
            ("Maximum", Maximum), ("Minimum", Minimum),
            ("Atan2", Atan2), ("SquaredDifference", SquaredDifference), ("FloorMod", FloorMod),
        };
        foreach (var (op, f) in binary)
        {
            yield return new(op, "[0] with itself", E0, x => f(x, x), E0);
            yield return new(op, "[2,0] with a weak scalar", E20, x => f(x, 2.0), E20);
            yield return new(op, "[2,0] with [2,1]", E20, x => f(x, Ones(new[] { 2, 1 }, DType.Float64)), E20);
            // the non-empty operand's gradient: summed over the empty axis, so zeros of its shape
            yield return new(op, "gradient of the [2,1] operand", new[] { 2, 1 }, y => f(Z(2, 0), y + 1.0), E20, GradValues: new[] { 0.0, 0.0 });
            yield return new(op, "[0] with [3]", E0, x => f(x, Ones(new[] { 3 }, DType.Float64)), Throws: "not broadcastable");
        }
        yield return new("ClipByValue", "[2,0]", E20, x => ClipByValue(x, 0.0, 1.0), E20);
        yield return new("ClipByValue", "[0]", E0, x => ClipByValue(x, -1.0, Ones(new[] { 1 }, DType.Float64)), E0);
        yield return new("Where", "[2,0]", E20, x => Where(Greater(x, 0.0), x, 1.0), E20);
        yield return new("Where", "[0] with a full y", new[] { 1 }, y => Where(Constant(new bool[0]), Z(0), y * 1.0), E0, GradValues: new[] { 0.0 });

        // ------------------------------------------------------------ element-wise ops of more than one tensor, or with a parameter
        yield return new("FloorDiv", "[2,0] with a weak scalar", E20, x => FloorDiv(x, 2.0), E20, Grad: Grad.Null);
        yield return new("FloorDiv", "[0] with [3]", E0, x => FloorDiv(x, Ones(new[] { 3 }, DType.Float64)), Throws: "not broadcastable");
        yield return new("AddN", "three [2,0]", E20, x => AddN(new[] { x, x * 2.0, x }), E20);
        yield return new("AddN", "[0] with [3]", E0, x => AddN(new[] { x, Ones(new[] { 3 }, DType.Float64) }), Throws: "does not broadcast");
        foreach (var shape in new[] { E0, E20 })
            yield return new("Polygamma", Shapes(shape), shape, x => Polygamma(1, x), shape);

        // ------------------------------------------------------------ logical ops and tests (Bool, no gradient)
        foreach (var shape in new[] { E0, E20 })
        {
            yield return new("LogicalAnd", Shapes(shape), shape, x => LogicalAnd(Less(x, 0.0), Greater(x, 1.0)), shape, DType: DType.Bool, Grad: Grad.Null);
            yield return new("LogicalOr", Shapes(shape), shape, x => LogicalOr(Less(x, 0.0), Constant(true)), shape, DType: DType.Bool, Grad: Grad.Null);
            yield return new("LogicalNot", Shapes(shape), shape, x => LogicalNot(Less(x, 0.0)), shape, DType: DType.Bool, Grad: Grad.Null);
            yield return new("IsNan", Shapes(shape), shape, x => IsNan(x), shape, DType: DType.Bool, Grad: Grad.Null);
            yield return new("IsFinite", Shapes(shape), shape, x => IsFinite(x), shape, DType: DType.Bool, Grad: Grad.Null);
        }

        // ------------------------------------------------------------ activations
        var activations = new (string Op, Func<Tensor, Tensor> F)[]
        {
            ("LeakyRelu", x => LeakyRelu(x)), ("Relu6", Relu6), ("Elu", Elu), ("Selu", Selu), ("Gelu", x => Gelu(x)),
            ("Softsign", Softsign), ("Silu", x => Silu(x)), ("LogSigmoid", LogSigmoid),
        };
        foreach (var (op, f) in activations)
            foreach (var shape in new[] { E0, E20 })
                yield return new(op, Shapes(shape), shape, f, shape);
        yield return new("Gelu", "tanh approximation, [2,0]", E20, x => Gelu(x, approximate: true), E20);

        // ------------------------------------------------------------ comparisons and arg-extremes
        foreach (var op in new[] { "Equal", "NotEqual", "Greater", "Less", "GreaterEqual", "LessEqual" })
        {
            var m = typeof(TF).GetMethod(op, new[] { typeof(Tensor), typeof(Tensor) })!;
            yield return new(op, "[2,0] with a scalar", E20, x => (Tensor)m.Invoke(null, new object[] { x, (Tensor)0.0 })!, E20, DType: DType.Bool, Grad: Grad.Null);
            yield return new(op, "[0] with itself", E0, x => (Tensor)m.Invoke(null, new object[] { x, x })!, E0, DType: DType.Bool, Grad: Grad.Null);
        }
        foreach (var (op, f) in new (string, Func<Tensor, int, Tensor>)[] { ("ArgMax", ArgMax), ("ArgMin", ArgMin) })
        {
            // TensorFlow: InvalidArgument "Reduction axis 0 is empty in shape [0]"
            yield return new(op, "empty axis of [0]", E0, x => f(x, 0), Throws: "is empty");
            yield return new(op, "empty last axis of [2,0]", E20, x => f(x, -1), Throws: "is empty");
            yield return new(op, "full axis 0 of [2,0]", E20, x => f(x, 0), E0, DType: DType.Int64, Grad: Grad.Null);
        }

        // ------------------------------------------------------------ reductions: TF's empty identities
        yield return new("ReduceSum", "[0]", E0, x => ReduceSum(x), S, new[] { 0.0 });
        yield return new("ReduceSum", "[2,0] all axes", E20, x => ReduceSum(x), S, new[] { 0.0 });
        yield return new("ReduceSum", "[2,0] empty axis", E20, x => ReduceSum(x, -1), new[] { 2 }, new[] { 0.0, 0.0 });
        yield return new("ReduceSum", "[2,0] full axis, keepDims", E20, x => ReduceSum(x, 0, keepDims: true), new[] { 1, 0 });
        yield return new("ReduceMean", "[0]", E0, x => ReduceMean(x), S, new[] { double.NaN });
        yield return new("ReduceMean", "[2,0] empty axis", E20, x => ReduceMean(x, 1), new[] { 2 }, new[] { double.NaN, double.NaN });
        yield return new("ReduceMean", "[2,0] full axis", E20, x => ReduceMean(x, 0), E0);
        yield return new("ReduceProd", "[0]", E0, x => ReduceProd(x), S, new[] { 1.0 });
        yield return new("ReduceProd", "[2,0] empty axis, keepDims", E20, x => ReduceProd(x, -1, keepDims: true), new[] { 2, 1 }, new[] { 1.0, 1.0 });
        yield return new("ReduceProd", "[2,0] full axis", E20, x => ReduceProd(x, 0), E0);
        yield return new("ReduceProd", "Int32 [2,0]", E0, _ => ReduceProd(Zeros(new[] { 2, 0 }, DType.Int32), 1), new[] { 2 }, new[] { 1.0, 1.0 }, DType.Int32, Grad.Null);
        yield return new("ReduceLogSumExp", "[0]", E0, x => ReduceLogSumExp(x), S, new[] { double.NegativeInfinity });
        yield return new("ReduceLogSumExp", "[2,0] empty axis", E20, x => ReduceLogSumExp(x, 1), new[] { 2 }, new[] { double.NegativeInfinity, double.NegativeInfinity });
        yield return new("ReduceLogSumExp", "[2,0] full axis", E20, x => ReduceLogSumExp(x, 0), E0);

        // ------------------------------------------------------------ shapes and linear algebra
        yield return new("MatMul", "inner dimension 0 gives zeros", E20, a => MatMul(a, Ones(new[] { 0, 3 }, DType.Float64)), new[] { 2, 3 }, new double[6]);
        yield return new("MatMul", "gradient of the [0,3] operand", new[] { 0, 3 }, b => MatMul(Ones(new[] { 2, 0 }, DType.Float64), b), new[] { 2, 3 }, new double[6]);
        yield return new("MatMul", "no rows", new[] { 0, 2 }, a => MatMul(a, Ones(new[] { 2, 3 }, DType.Float64)), new[] { 0, 3 });
        yield return new("MatMul", "gradient of the full operand", new[] { 2, 3 }, b => MatMul(Z(0, 2), b), new[] { 0, 3 }, GradValues: new double[6]);
        yield return new("MatMul", "transposed, batched", new[] { 4, 0, 2 }, a => MatMul(a, Ones(new[] { 4, 0, 5 }, DType.Float64), transposeA: true), new[] { 4, 2, 5 }, new double[40]);
        yield return new("MatMul", "inner dimensions 0 and 2", E20, a => MatMul(a, Ones(new[] { 2, 3 }, DType.Float64)), Throws: "inner dimensions differ");
        yield return new("Einsum", "contracted extent 0 gives zeros", E20, a => Einsum("ij,jk->ik", a, Ones(new[] { 0, 3 }, DType.Float64)), new[] { 2, 3 }, new double[6]);
        yield return new("Einsum", "trace of [0,0]", new[] { 0, 0 }, m => Einsum("ii", m), S, new[] { 0.0 });
        yield return new("Einsum", "diagonal of [0,0]", new[] { 0, 0 }, m => Einsum("ii->i", m), E0);
        yield return new("Einsum", "outer product with [0]", E0, u => Einsum("i,j->ij", u, Ones(new[] { 3 }, DType.Float64)), new[] { 0, 3 });
        yield return new("Einsum", "extents 0 and 2", E20, a => Einsum("ij,jk->ik", a, Ones(new[] { 2, 3 }, DType.Float64)), Throws: "label 'j'");
        yield return new("Tensordot", "contracted extent 0 gives zeros", E20, a => Tensordot(a, Ones(new[] { 0, 3 }, DType.Float64), 1), new[] { 2, 3 }, new double[6]);
        yield return new("Tensordot", "empty free axis", E20, a => Tensordot(a, Ones(new[] { 2, 3 }, DType.Float64), new[] { 0 }, new[] { 0 }), new[] { 0, 3 });
        yield return new("MatVec", "inner dimension 0", E0, x => MatVec(Ones(new[] { 3, 0 }, DType.Float64), x), new[] { 3 }, new double[3]);
        yield return new("MatVec", "no rows", new[] { 0, 2 }, a => MatVec(a, Ones(new[] { 2 }, DType.Float64)), E0);
        yield return new("Transpose", "[2,0]", E20, x => Transpose(x), new[] { 0, 2 });
        yield return new("Transpose", "[0]", E0, x => Transpose(x), E0);
        yield return new("Reshape", "[2,0] to [0,5]", E20, x => Reshape(x, 0, 5), new[] { 0, 5 });
        yield return new("Reshape", "[2,0] to [-1]", E20, x => Reshape(x, -1), E0);
        yield return new("Reshape", "[0] to [3,-1]", E0, x => Reshape(x, 3, -1), new[] { 3, 0 });
        // TensorFlow: "Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero"
        yield return new("Reshape", "[0] to [0,-1]", E0, x => Reshape(x, 0, -1), Throws: "cannot infer the -1");
        yield return new("Reshape", "[2,0] to [1]", E20, x => Reshape(x, 1), Throws: "expected the same number of elements");
        yield return new("ExpandDims", "[2,0] axis -1", E20, x => ExpandDims(x, -1), new[] { 2, 0, 1 });
        yield return new("ExpandDims", "[0] axis 0", E0, x => ExpandDims(x, 0), new[] { 1, 0 });
        yield return new("Squeeze", "[1,0]", new[] { 1, 0 }, x => Squeeze(x), E0);
        yield return new("Squeeze", "[2,0]", E20, x => Squeeze(x), E20);
        yield return new("Squeeze", "[2,0] axis 1", E20, x => Squeeze(x, 1), Throws: "has extent 0; expected 1");
        yield return new("Concat", "[2,0] with itself, axis 0", E20, x => Concat(new[] { x, x }, 0), new[] { 4, 0 });
        yield return new("Concat", "[2,0] with [2,3], axis 1", E20, x => Concat(new[] { x, Ones(new[] { 2, 3 }, DType.Float64) }, 1), new[] { 2, 3 }, Enumerable.Repeat(1.0, 6).ToArray());
        yield return new("Concat", "[0] with [2]", E0, x => Concat(new[] { x, Constant(new[] { 1.0, 2.0 }) }, 0), new[] { 2 }, new[] { 1.0, 2.0 });
        yield return new("Concat", "[2,0] with [3,1], axis 0", E20, x => Concat(new[] { x, Ones(new[] { 3, 1 }, DType.Float64) }, 0), Throws: "differ outside axis 0");
        yield return new("Stack", "[0] twice", E0, x => Stack(new[] { x, x }), E20);
        yield return new("Stack", "[2,0] twice, axis 2", E20, x => Stack(new[] { x, x }, 2), new[] { 2, 0, 2 });
        yield return new("Gather", "[2,0] rows 1, 0, 1", E20, x => Gather(x, Constant(new[] { 1, 0, 1 })), new[] { 3, 0 });
        yield return new("Gather", "[0] with no indices", E0, x => Gather(x, Constant(new int[0])), E0);
        yield return new("Gather", "[2,3] with no indices", new[] { 2, 3 }, x => Gather(x, Constant(new long[0])), new[] { 0, 3 }, GradValues: new double[6]);
        // TensorFlow: InvalidArgument "indices[0] = 0 is not in [0, 0)"
        yield return new("Gather", "[0] with index 0", E0, x => Gather(x, Constant(new[] { 0 })), Throws: "out of range [0, 0)");
        yield return new("Slice", "[2,0] all", E20, x => Slice(x, new[] { 0, 0 }, new[] { -1, -1 }), E20);
        yield return new("Slice", "[2,0] row 1", E20, x => Slice(x, new[] { 1, 0 }, new[] { 1, 0 }), new[] { 1, 0 });
        yield return new("Slice", "nothing of [3]", new[] { 3 }, x => Slice(x, new[] { 3 }, new[] { 0 }), E0, GradValues: new double[3]);
        yield return new("Slice", "[0] from 1", E0, x => Slice(x, new[] { 1 }, new[] { -1 }), Throws: "out of bounds");

        // ------------------------------------------------------------ arrays and indexing (TF.Arrays.cs)
        yield return new("Tile", "[2,0] by [3,2]", E20, x => Tile(x, new[] { 3, 2 }), new[] { 6, 0 });
        yield return new("Tile", "[2] by [0]", new[] { 2 }, x => Tile(x, new[] { 0 }), E0, GradValues: new double[2]);
        yield return new("Pad", "[0] constant 7 by [[1, 2]]", E0, x => Pad(x, new[,] { { 1, 2 } }, constantValues: 7), new[] { 3 }, new[] { 7.0, 7, 7 });
        yield return new("Pad", "[2,0] symmetric by [[1, 1], [0, 0]]", E20, x => Pad(x, new[,] { { 1, 1 }, { 0, 0 } }, "SYMMETRIC"), new[] { 4, 0 });
        yield return new("Pad", "[0] reflect by [[1, 0]]", E0, x => Pad(x, new[,] { { 1, 0 } }, "REFLECT"), Throws: "too large for mode REFLECT");
        yield return new("BroadcastTo", "[0] to [2,0]", E0, x => BroadcastTo(x, new[] { 2, 0 }), E20);
        yield return new("Split", "[2,0] in 2", E20, x => Split(x, 2)[1], new[] { 1, 0 });
        yield return new("Split", "[0] sizes [0, -1]", E0, x => Split(x, new[] { 0, -1 })[1], E0);
        yield return new("Unstack", "[2,0]", E20, x => Unstack(x)[0], E0);
        yield return new("Reverse", "[2,0] both axes", E20, x => Reverse(x, new[] { 0, 1 }), E20);
        yield return new("Roll", "[0] by 3", E0, x => Roll(x, 3, 0), E0);
        yield return new("GatherNd", "[2,0] row 1", E20, x => GatherNd(x, Constant(new[,] { { 1 } })), new[] { 1, 0 });
        yield return new("GatherNd", "[2,3] no indices", new[] { 2, 3 }, x => GatherNd(x, Constant(new int[0, 2])), E0, GradValues: new double[6]);
        yield return new("ScatterNd", "no updates into [3]", E0, x => ScatterNd(Constant(new int[0, 1]), x, new[] { 3 }), new[] { 3 }, new double[3]);
        yield return new("TensorScatterNdUpdate", "[0] no updates", E0, x => TensorScatterNdUpdate(x, Constant(new int[0, 1]), Constant(new double[0])), E0);
        yield return new("BooleanMask", "[2,0] rows true, false", E20, x => BooleanMask(x, Constant(new[] { true, false })), new[] { 1, 0 });
        yield return new("Shape", "[2,0]", E20, x => Shape(x), new[] { 2 }, new[] { 2.0, 0 }, DType.Int32, Grad.Null);
        yield return new("StridedSlice", "[2,0] from column 1", E20, x => x[.., 1..], E20);
        yield return new("StridedSlice", "[2,0] reversed rows", E20, x => StridedSlice(x, new[] { 0 }, new[] { 0 }, new[] { -1 }, beginMask: 1, endMask: 1), E20);

        // ------------------------------------------------------------ neural networks
        foreach (var op in new[] { "Softmax", "LogSoftmax" })
        {
            Func<Tensor, int, Tensor> f = op == "Softmax" ? Softmax : LogSoftmax;
            yield return new(op, "[0]", E0, x => f(x, -1), E0);
            yield return new(op, "[2,0] over the empty axis", E20, x => f(x, -1), E20);
            yield return new(op, "[2,0] over the full axis", E20, x => f(x, 0), E20);
            yield return new(op, "[0,3]", new[] { 0, 3 }, x => f(x, -1), new[] { 0, 3 });
        }
        yield return new("SoftmaxCrossEntropyWithLogits", "no classes [2,0]", E20, x => SoftmaxCrossEntropyWithLogits(Z(2, 0), x), new[] { 2 }, new[] { 0.0, 0.0 });
        yield return new("SoftmaxCrossEntropyWithLogits", "no examples [0,3]", new[] { 0, 3 }, x => SoftmaxCrossEntropyWithLogits(Z(0, 3), x), E0);
        yield return new("SoftmaxCrossEntropyWithLogits", "labels [0] logits [2,0]", E20, x => SoftmaxCrossEntropyWithLogits(Z(0), x), Throws: "expected the same shape");
        yield return new("SparseSoftmaxCrossEntropyWithLogits", "no examples", new[] { 0, 3 }, x => SparseSoftmaxCrossEntropyWithLogits(Constant(new int[0]), x), E0);
        // TensorFlow: InvalidArgument "Received a label value of 0 which is outside the valid range of [0, 0)"
        yield return new("SparseSoftmaxCrossEntropyWithLogits", "no classes", E20, x => SparseSoftmaxCrossEntropyWithLogits(Constant(new[] { 0, 0 }), x), Throws: "out of range [0, 0)");
        yield return new("SigmoidCrossEntropyWithLogits", "[2,0]", E20, x => SigmoidCrossEntropyWithLogits(Z(2, 0), x), E20);
        yield return new("SigmoidCrossEntropyWithLogits", "[0] labels gradient", E0, z => SigmoidCrossEntropyWithLogits(z, Z(0)), E0);
        yield return new("BiasAdd", "[2,0] with bias [0]", E20, x => BiasAdd(x, Z(0)), E20);
        yield return new("BiasAdd", "bias gradient of an empty value [0,3]", new[] { 3 }, b => BiasAdd(Z(0, 3), b), new[] { 0, 3 }, GradValues: new double[3]);
        yield return new("BiasAdd", "[2,0] with bias [1]", E20, x => BiasAdd(x, Z(1)), Throws: "expected value of rank >= 2 and a bias of shape [0]");

        // ------------------------------------------------------------ convolution and pooling
        static Tensor O(params int[] shape) => Ones(shape, DType.Float64);
        yield return new("Conv2D", "batch 0", new[] { 0, 4, 4, 2 }, x => Conv2D(x, O(3, 3, 2, 3), 1, "SAME"), new[] { 0, 4, 4, 3 });
        yield return new("Conv2D", "filter gradient of batch 0", new[] { 3, 3, 2, 3 }, w => Conv2D(Z(0, 4, 4, 2), w, 1, "SAME"), new[] { 0, 4, 4, 3 });
        yield return new("Conv2D", "VALID window larger than the input", new[] { 1, 2, 2, 1 }, x => Conv2D(x, O(3, 3, 1, 2), 1, "VALID"), new[] { 1, 0, 0, 2 });
        yield return new("Conv1D", "batch 0", new[] { 0, 5, 2 }, x => Conv1D(x, O(3, 2, 4), 1, "SAME"), new[] { 0, 5, 4 });
        yield return new("Conv2DTranspose", "batch 0", new[] { 0, 2, 2, 3 }, x => Conv2DTranspose(x, O(3, 3, 2, 3), new[] { 0, 4, 4, 2 }, 2, "SAME"), new[] { 0, 4, 4, 2 });
        yield return new("DepthwiseConv2D", "batch 0", new[] { 0, 4, 4, 2 }, x => DepthwiseConv2D(x, O(3, 3, 2, 2), 1, "SAME"), new[] { 0, 4, 4, 4 });
        yield return new("MaxPool2D", "batch 0", new[] { 0, 4, 4, 2 }, x => MaxPool2D(x, 2, 2, "VALID"), new[] { 0, 2, 2, 2 });
        yield return new("MaxPool2D", "no channels", new[] { 1, 4, 4, 0 }, x => MaxPool2D(x, 2, 2, "SAME"), new[] { 1, 2, 2, 0 });
        yield return new("AvgPool2D", "no channels", new[] { 2, 4, 4, 0 }, x => AvgPool2D(x, 2, 2, "VALID"), new[] { 2, 2, 2, 0 });
        // ------------------------------------------------------------ linear algebra (TF.Linalg): 0 x 0 matrices and empty batches
        yield return new("Cholesky", "[0,0]", new[] { 0, 0 }, x => Linalg.Cholesky(x), new[] { 0, 0 });
        yield return new("Cholesky", "empty batch [0,2,2]", new[] { 0, 2, 2 }, x => Linalg.Cholesky(x), new[] { 0, 2, 2 });
        yield return new("TriangularSolve", "n 0, rhs [0,3]", new[] { 0, 0 }, x => Linalg.TriangularSolve(x, Z(0, 3)), new[] { 0, 3 });
        yield return new("CholeskySolve", "n 0, rhs [0,3]", new[] { 0, 3 }, b => Linalg.CholeskySolve(Z(0, 0), b), new[] { 0, 3 });
        yield return new("Solve", "n 0, rhs [0,2]", new[] { 0, 0 }, x => Linalg.Solve(x, Z(0, 2)), new[] { 0, 2 });
        yield return new("Solve", "no rhs columns", new[] { 2, 0 }, b => Linalg.Solve(Eye(2, DType.Float64), b), new[] { 2, 0 });
        yield return new("Inv", "[0,0]", new[] { 0, 0 }, x => Linalg.Inv(x), new[] { 0, 0 });
        yield return new("Det", "[0,0] is 1", new[] { 0, 0 }, x => Linalg.Det(x), S, new[] { 1.0 });
        yield return new("Det", "batch of [0,0]", new[] { 2, 0, 0 }, x => Linalg.Det(x), new[] { 2 }, new[] { 1.0, 1.0 });
        yield return new("Slogdet", "[0,0] has log|det| 0", new[] { 0, 0 }, x => Linalg.Slogdet(x).LogAbsDeterminant, S, new[] { 0.0 });
        yield return new("LogDet", "[0,0] is 0", new[] { 0, 0 }, x => Linalg.LogDet(x), S, new[] { 0.0 });
        yield return new("Trace", "[2,0] is 0", E20, x => Linalg.Trace(x), S, new[] { 0.0 });
        yield return new("DiagPart", "[2,0]", E20, x => Linalg.DiagPart(x), E0);
        yield return new("Diag", "[0]", E0, x => Linalg.Diag(x), new[] { 0, 0 });
        yield return new("BandPart", "[2,0]", E20, x => Linalg.BandPart(x, 0, -1), E20);
        yield return new("Norm", "[2,0] euclidean is 0", E20, x => Norm(x), S, new[] { 0.0 });
        yield return new("Norm", "[2,0] along axis 1", E20, x => Norm(x, 1.0, new[] { 1 }), new[] { 2 }, new[] { 0.0, 0.0 });
        yield return new("Qr", "[2,0] reduced Q is [2,0]", E20, x => Linalg.Qr(x).Q, E20);
        yield return new("Qr", "[0,3] R is [0,3]", new[] { 0, 3 }, x => Linalg.Qr(x).R, new[] { 0, 3 });
        yield return new("Eigh", "[0,0]", new[] { 0, 0 }, x => Linalg.Eigh(x).Eigenvalues, E0);
        yield return new("Eigvalsh", "empty batch [0,2,2]", new[] { 0, 2, 2 }, x => Linalg.Eigvalsh(x), new[] { 0, 2 });
        yield return new("Svd", "[2,0] has no singular values", E20, x => Linalg.Svd(x).S, E0);
        yield return new("Svd", "[2,0] full U is I", E20, x => Linalg.Svd(StopGradient(x), fullMatrices: true).U!, new[] { 2, 2 }, new[] { 1.0, 0.0, 0.0, 1.0 }, Grad: Grad.Null);
        yield return new("Lstsq", "matrix [2,0], rhs [2,3]", E20, a => Linalg.Lstsq(a, Z(2, 3)), new[] { 0, 3 });
        yield return new("Lstsq", "matrix [0,2], rhs [0,1] is 0", new[] { 0, 2 }, a => Linalg.Lstsq(a, Z(0, 1)), new[] { 2, 1 }, new[] { 0.0, 0.0 });
        yield return new("Det", "[2,0] not square", E20, x => Linalg.Det(x), Throws: "expected square matrices");
        foreach (var c in StatisticsEmptyCases.Build()) yield return c;

        // ------------------------------------------------------------ gradient control
        var twice = CustomGradient((Tensor x) => (x * 2.0, dy => dy * 2.0));
        yield return new("CustomGradient", "[2,0]", E20, x => twice(x), E20);
        var sum = CustomGradient((Tensor[] xs) => (xs[0] + xs[1], dy => new[] { dy, dy }));
        yield return new("CustomGradient", "several inputs, [0]", E0, x => sum(new[] { x, x }), E0);
    }

    private static string Shapes(int[] s) => "[" + string.Join(",", s) + "]";

    private static readonly Dictionary<string, Case> Cases = Build().ToDictionary(c => c.Op + ": " + c.Name);

    /// <summary>The README's ops without an empty-input case here: ReduceMax and ReduceMin, whose empty slices (the
    /// identity, -inf or +inf, and empty gradients) tests/Properties/NaNProperties.fs checks on the core.</summary>
    private static readonly string[] Excluded = { "ReduceMax", "ReduceMin" };

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EmptyInput_GivesTensorFlowsValueAndGradient_OrAnExceptionNamingTheOp(string name)
    {
        var c = Cases[name];
        var x = Zeros(c.Source, DType.Float64);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        if (c.Throws != null)
        {
            var e = Assert.Throws<ArgumentException>(() => c.F(x));
            Assert.StartsWith(c.Op + ":", e.Message);
            Assert.Contains(c.Throws, e.Message);
            return;
        }
        var y = c.F(x);
        Assert.Equal(c.Shape!, y.Shape);
        Assert.Equal(c.DType, y.DType);
        var values = y.ToArray<double>();
        var expected = c.Values ?? new double[values.Length];
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].Equals(values[i]), $"{name}: element {i} is {values[i]}, expected {expected[i]}");

        var target = y.DType is DType.Float32 or DType.Float64 ? y : Cast(y, DType.Float64);
        var g = tape.Gradient(target, x);
        if (c.Grad == Grad.Null)
        {
            Assert.Null(g);
            return;
        }
        Assert.NotNull(g);
        Assert.Equal(c.Source, g!.Shape);
        Assert.Equal(DType.Float64, g.DType);
        var gv = g.ToArray<double>();
        var ge = c.GradValues ?? new double[gv.Length];
        Assert.Equal(ge, gv);
    }

    /// <summary>README.md's op list (between its ops markers).</summary>
    private static string ReadmeOpBlock()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Nabla.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var block = Regex.Match(File.ReadAllText(Path.Combine(dir!.FullName, "README.md")), "<!-- ops:begin -->(.*?)<!-- ops:end -->", RegexOptions.Singleline);
        Assert.True(block.Success);
        return block.Groups[1].Value;
    }

    /// <summary>The op names of one line of README.md's op list ("- element-wise: Add, Subtract, ...").</summary>
    private static string[] ReadmeOps(string category)
    {
        var line = Regex.Match(ReadmeOpBlock(), "^- " + Regex.Escape(category) + ":(.*)$", RegexOptions.Multiline);
        Assert.True(line.Success, $"README.md's op list has no '- {category}:' line");
        return Regex.Matches(line.Groups[1].Value, @"\b[A-Z][A-Za-z0-9]+\b").Select(m => m.Value).ToArray();
    }

    [Fact]
    public void EveryOpInTheReadmeList_HasAnEmptyInputCase()
    {
        var listed = Regex.Matches(ReadmeOpBlock(), @"\b[A-Z][A-Za-z0-9]+\b").Select(m => m.Value).ToHashSet();
        listed.Remove("Bool");
        var covered = Cases.Values.Select(c => c.Op).ToHashSet();
        var missing = listed.Except(covered).Except(Excluded).ToList();
        Assert.True(missing.Count == 0, "ops without an empty-input case: " + string.Join(", ", missing));
        Assert.Empty(covered.Intersect(Excluded));
        Assert.Empty(covered.Except(listed)); // every case names a listed op
    }

    [Fact]
    public void EmptyReductions_UnderForwardMode_AlsoGiveEmptyOrZeroTangents()
    {
        var x = Zeros(new[] { 2, 0 }, DType.Float64);
        foreach (var f in new Func<Tensor, Tensor>[] { v => ReduceProd(v, 1), v => Softmax(v), v => ReduceLogSumExp(v, 1), v => ReduceSum(v, 1) })
        {
            using var acc = new ForwardAccumulator(x, OnesLike(x));
            var y = f(x);
            var jvp = acc.Jvp(y, UnconnectedGradients.Zero);
            Assert.NotNull(jvp);
            Assert.Equal(y.Shape, jvp!.Shape);
            Assert.All(jvp.ToArray<double>(), v => Assert.Equal(0.0, v));
        }
    }
}
