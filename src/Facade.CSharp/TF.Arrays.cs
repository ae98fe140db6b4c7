namespace Nabla;

public static partial class TF
{
    /// <summary>The new-axis marker for <see cref="Tensor"/>'s indexer (<c>tf.newaxis</c>): <c>x[TF.NewAxis, ..]</c>
    /// inserts an axis of extent 1.</summary>
    public static readonly Idx NewAxis = Idx.NewAxis;

    /// <summary>The ellipsis marker for <see cref="Tensor"/>'s indexer (Python's <c>...</c>): <c>x[TF.Ellipsis, 0]</c>
    /// indexes the last axis, the axes before it taken whole.</summary>
    public static readonly Idx Ellipsis = Idx.Ellipsis;

    /// <summary>Copies <paramref name="input"/> <c>multiples[i]</c> times along axis i (<c>tf.tile</c>); a multiple of 0 empties
    /// the axis. Any dtype. Derivative: the adjoint's copies are summed back (a reshape, a broadcast and a reshape).</summary>
    /// <exception cref="ArgumentException">Not one multiple per axis, a negative multiple, or a result of more than
    /// <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor Tile(Tensor input, int[] multiples) => Unary(input, v => Core.Arrays.tile(multiples, v));

    /// <summary>Pads <paramref name="tensor"/> (<c>tf.pad</c>): <c>paddings[i, 0]</c> entries before and <c>paddings[i, 1]</c>
    /// after axis i. <paramref name="mode"/> (any case, as TF): <c>"CONSTANT"</c> fills with <paramref name="constantValues"/>
    /// (converted to the dtype); <c>"REFLECT"</c> mirrors the entries next to the edge without repeating it (paddings at most
    /// extent - 1); <c>"SYMMETRIC"</c> mirrors including the edge (paddings at most the extent). Any dtype. Derivative: the
    /// interior of the adjoint, plus, in the mirror modes, each mirrored entry's adjoint added to its source.</summary>
    /// <exception cref="ArgumentException">Paddings not of shape [rank, 2] or negative, mirror paddings too large for their
    /// axis, an unknown mode, a constant an integer or Bool tensor cannot hold, or a result above <see cref="Array.MaxLength"/> elements.</exception>
    public static Tensor Pad(Tensor tensor, int[,] paddings, string mode = "CONSTANT", double constantValues = 0) =>
        Unary(tensor, v => Core.Arrays.pad(paddings, mode, constantValues, v));

    /// <summary>Broadcasts <paramref name="input"/> to <paramref name="shape"/> with NumPy's rules (<c>tf.broadcast_to</c>).
    /// Any dtype. Derivative: the adjoint summed back over the broadcast axes.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast to exactly <paramref name="shape"/>.</exception>
    public static Tensor BroadcastTo(Tensor input, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Unary(input, v => Core.Combinators.broadcastTo(shape, v));
    }

    /// <summary>Splits <paramref name="value"/> into <paramref name="numOrSizeSplits"/> equal parts along
    /// <paramref name="axis"/> (<c>tf.split</c> with an integer). Derivative: each part's adjoint padded back into place.</summary>
    /// <exception cref="ArgumentException">A scalar, an axis out of range, a count that is not positive or does not divide the extent.</exception>
    public static Tensor[] Split(Tensor value, int numOrSizeSplits, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Wrap(value, Core.Arrays.split(numOrSizeSplits, axis, Scopes.Resolve(value)));
    }

    /// <summary>Splits <paramref name="value"/> into parts of the given sizes along <paramref name="axis"/> (<c>tf.split</c> with
    /// a list of sizes); one size may be -1, the rest of the axis. Derivative: each part's adjoint padded back into place.</summary>
    /// <exception cref="ArgumentException">A scalar, an axis out of range, sizes below -1, two -1, or sizes that do not sum to the extent.</exception>
    public static Tensor[] Split(Tensor value, int[] numOrSizeSplits, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Wrap(value, Core.Arrays.splitSizes(numOrSizeSplits, axis, Scopes.Resolve(value)));
    }

    /// <summary>The slices of <paramref name="value"/> along <paramref name="axis"/>, that axis removed (<c>tf.unstack</c>);
    /// <paramref name="num"/>, if given, must equal the axis' extent. Derivative: each slice's adjoint written back into zeros.</summary>
    /// <exception cref="ArgumentException">A scalar, an axis out of range, or a <paramref name="num"/> other than the extent.</exception>
    public static Tensor[] Unstack(Tensor value, int? num = null, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        var n = num.HasValue ? Microsoft.FSharp.Core.FSharpOption<int>.Some(num.Value) : null;
        return Wrap(value, Core.Arrays.unstack(n, axis, Scopes.Resolve(value)));
    }

    private static Tensor[] Wrap(Tensor source, Core.Tensor[] parts) =>
        Array.ConvertAll(parts, p => new Tensor(p, source.IsWeak));

    /// <summary>Reverses <paramref name="tensor"/> along the given axes (<c>tf.reverse</c>; negative axes count from the end).
    /// Any dtype. A strided view with step -1; derivative: the adjoint reversed the same way.</summary>
    /// <exception cref="ArgumentException">An axis out of range or named twice.</exception>
    public static Tensor Reverse(Tensor tensor, int[] axis) => Unary(tensor, v => Core.Arrays.reverse(axis, v));

    /// <summary>Rolls <paramref name="input"/> by <paramref name="shift"/> along <paramref name="axis"/> (<c>tf.roll</c>):
    /// element i moves to (i + shift) mod extent. Derivative: the adjoint rolled back.</summary>
    /// <exception cref="ArgumentException">An axis out of range.</exception>
    public static Tensor Roll(Tensor input, int shift, int axis) => Roll(input, new[] { shift }, new[] { axis });

    /// <summary>Rolls <paramref name="input"/> along several axes at once (<c>tf.roll</c> with lists); shifts of a repeated
    /// axis add up. Derivative: the adjoint rolled back.</summary>
    /// <exception cref="ArgumentException">Shift and axis of different lengths, or an axis out of range.</exception>
    public static Tensor Roll(Tensor input, int[] shift, int[] axis) => Unary(input, v => Core.Arrays.roll(shift, axis, v));

    /// <summary>Gathers slices of <paramref name="params"/> by integer index tuples (<c>tf.gather_nd</c>, batch_dims 0): the last
    /// axis of <paramref name="indices"/> (Int32 or Int64) holds k indices into the first k axes; the result has shape
    /// indices.shape[:-1] + params.shape[k:]. Any dtype. Derivative: the adjoint slices added back at their indices (repeats
    /// accumulate).</summary>
    /// <exception cref="ArgumentException">Indices of another dtype, a scalar, a tuple longer than the rank, or an index out of
    /// range (TF on CPU; the message names the tuple and the axis).</exception>
    public static Tensor GatherNd(Tensor @params, Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var idx = Scopes.Resolve(indices);
        return Unary(@params, v => Core.Arrays.gatherNd(idx, v));
    }

    /// <summary>Zeros of <paramref name="shape"/> with the slices of <paramref name="updates"/> added at <paramref name="indices"/>
    /// (<c>tf.scatter_nd</c>; duplicates are summed). Float32, Float64, Int32, Int64. Derivative in the updates: the adjoint
    /// gathered at the indices.</summary>
    /// <exception cref="ArgumentException">Updates not of shape indices.shape[:-1] + shape[k:], an index out of range, or
    /// another dtype.</exception>
    public static Tensor ScatterNd(Tensor indices, Tensor updates, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var idx = Scopes.Resolve(indices);
        return Unary(updates, u => Core.Arrays.scatterNd(idx, u, shape));
    }

    /// <summary><paramref name="tensor"/> with the slices at <paramref name="indices"/> replaced by <paramref name="updates"/>
    /// (<c>tf.tensor_scatter_nd_update</c>); for duplicate indices the last update wins (TF's CPU rule). Any dtype.
    /// Derivative: zero at the updated positions for the tensor; the adjoint gathered at the indices for the updates, except
    /// that an update overridden by a later duplicate gets zero (the true derivative; TF gives it the gathered adjoint).</summary>
    /// <exception cref="ArgumentException">Updates of the wrong shape or dtype, or an index out of range.</exception>
    public static Tensor TensorScatterNdUpdate(Tensor tensor, Tensor indices, Tensor updates)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var idx = Scopes.Resolve(indices);
        return Binary("TensorScatterNdUpdate", tensor, updates, (t, u) => Core.Arrays.tensorScatterNdUpdate(idx, u, t));
    }

    /// <summary>The entries of <paramref name="tensor"/> where the Bool <paramref name="mask"/> is true (<c>tf.boolean_mask</c>):
    /// the mask (rank k ≥ 1) covers axes axis to axis + k - 1, which become one axis of the true count. Any dtype. Derivative:
    /// the adjoint scattered back, zero where the mask is false.</summary>
    /// <exception cref="ArgumentException">A mask that is not Bool, is a scalar, or does not match the covered axes.</exception>
    public static Tensor BooleanMask(Tensor tensor, Tensor mask, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var m = Scopes.Resolve(mask);
        return Unary(tensor, v => Core.Arrays.booleanMask(m, axis, v));
    }

    /// <summary>The shape of <paramref name="input"/> as a 1-D tensor (<c>tf.shape</c>), Int32 by default or Int64. Not
    /// differentiable (no gradient flows). The static method sits beside <see cref="Tensor.Shape"/> (a property of the
    /// instance, a C# list): no name clashes.</summary>
    /// <exception cref="ArgumentException"><paramref name="outType"/> is not Int32 or Int64.</exception>
    public static Tensor Shape(Tensor input, DType outType = DType.Int32)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new Tensor(Core.Arrays.shapeOf(outType.ToCore(), Scopes.Resolve(input)));
    }

    /// <summary>TensorFlow's <c>tf.strided_slice</c>: <paramref name="begin"/>, <paramref name="end"/> and
    /// <paramref name="strides"/> (null: all 1) per indexed axis, with TF's five bit masks (bit i for entry i): a begin/end
    /// mask bit takes the axis from its start/to its end in the stride's direction, an ellipsis bit stands for the axes not
    /// otherwise indexed, a new-axis bit inserts an axis of extent 1, a shrink bit takes the single index begin[i] and drops
    /// the axis. Begin and end clamp as Python's slices. <see cref="Tensor"/>'s indexer is the readable form. Any dtype.
    /// Derivative: the same slice of the tangent; the adjoint written into zeros (StridedSliceGrad).</summary>
    /// <exception cref="ArgumentException">Lengths that differ, a zero stride, two ellipses, or more indexed axes than the rank.</exception>
    /// <exception cref="IndexOutOfRangeException">A shrink index out of range (the message names the axis, index and extent).</exception>
    public static Tensor StridedSlice(Tensor input, int[] begin, int[] end, int[]? strides = null, int beginMask = 0, int endMask = 0,
                                      int ellipsisMask = 0, int newAxisMask = 0, int shrinkAxisMask = 0) =>
        Unary(input, v => Core.Arrays.stridedSlice(begin, end, strides!, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask, v));

    /// <summary>The indexer's translation of C# indices to a strided slice.</summary>
    internal static Tensor StridedIndex(Tensor x, Idx[] indices)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        int n = indices.Length;
        if (n > 32) throw new ArgumentException($"Index: {n} indices given; expected at most 32.", nameof(indices));
        var begin = new int[n];
        var end = new int[n];
        var strides = new int[n];
        int beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkMask = 0;
        for (int i = 0; i < n; i++)
        {
            var ix = indices[i];
            strides[i] = 1;
            switch (ix.Kind)
            {
                case Idx.IdxKind.Index:
                    if (ix.PastEnd)
                        throw new IndexOutOfRangeException($"Index: index ^0 (entry {i}) is past the end of its axis; expected ^1 or an index inside the axis.");
                    begin[i] = ix.Start;
                    end[i] = ix.Start + 1;
                    shrinkMask |= 1 << i;
                    break;
                case Idx.IdxKind.Slice:
                    strides[i] = ix.Step;
                    if (ix.HasStart) begin[i] = ix.Start; else beginMask |= 1 << i;
                    if (ix.HasStop) end[i] = ix.Stop; else endMask |= 1 << i;
                    break;
                case Idx.IdxKind.NewAxis:
                    newAxisMask |= 1 << i;
                    break;
                case Idx.IdxKind.Ellipsis:
                    ellipsisMask |= 1 << i;
                    break;
            }
        }
        return StridedSlice(x, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask);
    }
}
