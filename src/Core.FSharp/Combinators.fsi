/// The combinators that apply primitives, resolving perturbation tags (`unary`, `binary`, `nary`: the only code that
/// decides which operand is perturbed at which level), and the three primitives they and every broadcasting rule rest
/// on: Add (a dual's tangents are summed with it), BroadcastTo and SumTo (each the adjoint of the other). These are one
/// recursive group, which F# keeps in one file; their kernels come first (the binary kernel with NumPy broadcasting,
/// which every element-wise binary op uses, and the sums over axes that undo a broadcast).
module Nabla.Core.Combinators

open Nabla.Core

/// The kernels of this file's primitives: broadcasting binary kernels, BroadcastTo and SumTo.
module Kernels =

    /// Row kernels of one binary op for one element type: vector-vector, vector-scalar, scalar-vector.
    type internal BinRows<'T> =
        {
          VV:
            ('T array ->
               int -> 'T array -> int -> 'T array -> int -> int -> unit)
          VS: ('T array -> int -> 'T -> 'T array -> int -> int -> unit)
          SV: ('T -> 'T array -> int -> 'T array -> int -> int -> unit)
        }

    /// A binary op's kernels for every dtype it supports.
    type internal BinKernel =
        {
          Name: string
          F32: BinRows<float32>
          F64: BinRows<float>
          I32: BinRows<int> option
          I64: BinRows<int64> option
        }

    /// Row kernels from a scalar function (integer dtypes).
    val internal loopRows: f: ('T -> 'T -> 'T) -> BinRows<'T>

    /// Applies a binary kernel with NumPy broadcasting. Both operands must have the same dtype.
    val internal binary: k: BinKernel -> x: RawTensor -> y: RawTensor -> RawTensor

    val internal addK: BinKernel

    /// x + y element-wise with NumPy broadcasting, into a fresh tensor; both operands of one dtype; untracked (for
    /// updates no derivative should see, such as an optimizer's step).
    val add: x: RawTensor -> y: RawTensor -> RawTensor

    /// Broadcasts to `shape` (which must be a valid broadcast target of t's shape).
    val internal broadcastTo: shape: int array -> t: RawTensor -> RawTensor

    /// Sum over the given normalised, sorted axes.
    val internal sumAxes: axes: int array -> keepDims: bool -> t: RawTensor -> RawTensor

    /// Sums `t` down to `shape`, the inverse of broadcasting `shape` up to t's shape.
    val internal sumTo: shape: int array -> t: RawTensor -> RawTensor

/// A plain (unperturbed) tensor.
val constant: r: RawTensor -> Tensor

/// Zeros with t's shape and dtype.
val zerosLike: t: Tensor -> Tensor

/// Ones with t's shape and dtype.
val onesLike: t: Tensor -> Tensor

/// A scalar of t's dtype.
val scalarLike: t: Tensor -> v: float -> Tensor

/// The value `t` seen at perturbation level `tag`: one level down when t carries that tag, else t itself.
val inline internal atLevel: tag: int64 -> t: Tensor -> Tensor

/// Rejects a non-float operand of a float-only op, naming the op and the dtype.
val internal requireFloat: op: string -> x: Tensor -> unit

/// The plain float scalar that `t` stands for at reverse level `tag` (one level down for a node of that tag, t itself
/// otherwise), if it is one: the operands the scalar rules take without a tensor.
val inline internal scalarBelow: tag: int64 -> t: Tensor -> struct (float * DType) voption

/// Applies a unary primitive, resolving the operand's outermost perturbation.
val internal unary: p: UnaryPrim -> x: Tensor -> Tensor

/// Applies a binary primitive. The operand with the larger (inner) tag is perturbed at this level;
/// the other is a constant there. This and `nary` decide which operand is perturbed; the sweep (Reverse) and the level
/// walks of the derivative API only follow the tags these make.
val internal binary: p: BinaryPrim -> a: Tensor -> b: Tensor -> Tensor

/// Applies an n-ary primitive (operands at the outermost tag are perturbed, the rest are constants).
val internal nary: p: NaryPrim -> xs: Tensor array -> Tensor

/// Broadcasts to `shape`. d/dx: the adjoint is summed back to x's shape.
val broadcastTo: shape: int array -> x: Tensor -> Tensor

/// Sums x down to `shape` (the inverse of broadcasting `shape` to x's shape).
val sumTo: shape: int array -> x: Tensor -> Tensor

/// a + b with broadcasting. d = da + db; adjoints summed back to each operand's shape.
val add: a: Tensor -> b: Tensor -> Tensor

val internal addPrim: unit -> BinaryPrim
