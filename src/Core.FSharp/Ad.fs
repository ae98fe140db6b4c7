namespace Nabla.Core

open System.Threading

/// Draws perturbation tags and reserves node ids. Both come from thread-safe increasing counters, so a
/// newer tag always denotes an inner perturbation (Siskind & Pearlmutter); node ids (see `NodeIds`) order a
/// reverse graph topologically (a node's id exceeds its parents').
module internal Tags =
    let mutable private lastTag = 0L
    let mutable private lastNode = 0L
    /// Tags are drawn 2^20 apart, so that a scope that restarts (a tape's Reset) can take the next tag after its
    /// own and still sit below every scope created after it.
    let private spacing = 1L <<< 20
    /// A fresh tag, larger than every tag drawn before.
    let next () = Interlocked.Add(&lastTag, spacing)
    /// The tag a restarting scope takes: larger than `tag`, smaller than every tag drawn after `tag` by `next`
    /// (a fresh tag only after 2^20 - 1 restarts of one scope).
    let successor (tag: int64) = if (tag + 1L) % spacing = 0L then next () else tag + 1L
    /// Reserves `count` consecutive node ids; returns the first.
    let internal reserveNodes (count: int64) = Interlocked.Add(&lastNode, count) - count + 1L

/// Node ids handed out per thread from blocks reserved on the shared counter (one interlocked add per block of 1024
/// nodes, not per node). The reverse sweep needs a node's id to exceed its parents' ids, not a global creation order:
/// `Above p` returns an id larger than p (a parent made on another thread may hold a larger id than this thread's
/// block, and then a fresh block is reserved, which lies above every id handed out so far).
[<Sealed; AbstractClass>]
type internal NodeIds =
    [<System.ThreadStatic; DefaultValue>] static val mutable private next: int64
    [<System.ThreadStatic; DefaultValue>] static val mutable private limit: int64
    static let blockSize = 1024L
    /// A fresh node id, unique in the process and larger than `floor` (the largest id among the node's parents).
    static member Above(floor: int64) =
        let n = NodeIds.next
        if n > floor && n < NodeIds.limit then
            NodeIds.next <- n + 1L
            n
        else
            let start = Tags.reserveNodes blockSize
            NodeIds.next <- start + 1L
            NodeIds.limit <- start + blockSize
            start

/// The differentiable tensor: an immutable value in one of four forms. The forms are internal;
/// users see `Primal`, `Tangent`-like accessors and the derivative API.
[<ReferenceEquality; NoComparison>]
type Tensor =
    internal
    /// A plain value (no perturbation).
    | Plain of RawTensor
    /// A dual number for forward mode: primal, tangent, tag.
    | DualNumber of primal: Tensor * tangent: Tensor * tag: int64
    /// An adjoint node for reverse mode, one object per recorded operation: primal, the operation that made it
    /// (null for a leaf), its operands (`a` for a unary primitive, `a` and `b` for a binary one, null otherwise; an
    /// n-ary call holds its own operands), tag, node id. Only operands whose tag equals the node's receive adjoints.
    | Recorded of primal: Tensor * op: NodeOp * a: Tensor * b: Tensor * tag: int64 * id: int64
    /// A reverse node whose value one level down is a plain Float32/Float64 scalar, held inline (`value` already
    /// rounded for Float32): what the primitives' scalar rules record, one object per operation where `Recorded` over a
    /// plain scalar takes three. Fields as in `Recorded`; never a leaf. `Primal` and `Raw` make the plain scalar on demand.
    | RecordedScalar of value: float * dtype: DType * op: NodeOp * a: Tensor * b: Tensor * tag: int64 * id: int64

    /// The outermost tag (0 for a plain value).
    member t.Level =
        match t with
        | RecordedScalar(_, _, _, _, _, tag, _) -> tag
        | Recorded(_, _, _, _, tag, _) -> tag
        | Plain _ -> 0L
        | DualNumber(_, _, tag) -> tag

    /// The innermost form under all perturbations: a plain value or an inline scalar node.
    member private t.Bottom =
        let mutable v = t
        let mutable found = false
        while not found do
            match v with
            | Recorded(p, _, _, _, _, _) -> v <- p
            | DualNumber(p, _, _) -> v <- p
            | Plain _ | RecordedScalar _ -> found <- true
        v

    /// The plain value at the bottom of all perturbations (made afresh for an inline scalar node).
    member t.Raw =
        match t.Bottom with
        | Plain r -> r
        | RecordedScalar(v, dtype, _, _, _, _, _) -> Storage.floatScalar dtype v
        | b -> invalidOp (sprintf "Tensor.Raw: unexpected innermost form %A" b)

    /// The id of a reverse node (0 for any other form). A node's id exceeds its operands' ids.
    member t.NodeId =
        match t with
        | RecordedScalar(_, _, _, _, _, _, id) -> id
        | Recorded(_, _, _, _, _, id) -> id
        | _ -> 0L

    /// The value one perturbation level down (itself for a plain value; made afresh for an inline scalar node).
    member t.Primal =
        match t with
        | Recorded(p, _, _, _, _, _) -> p
        | RecordedScalar(v, dtype, _, _, _, _, _) -> Plain(Storage.floatScalar dtype v)
        | Plain _ -> t
        | DualNumber(p, _, _) -> p

    /// The value one perturbation level down when it is held as an object (a node's or a dual's primal), else null
    /// (a plain value, or an inline scalar node, whose value below is not an object). Allocates nothing.
    member t.Under =
        match t with
        | Recorded(p, _, _, _, _, _) -> p
        | DualNumber(p, _, _) -> p
        | Plain _ | RecordedScalar _ -> Unchecked.defaultof<Tensor>

    /// The shape (empty for a scalar).
    member t.Shape = match t.Bottom with Plain r -> r.Shape | _ -> System.Array.Empty<int>()
    /// The element type.
    member t.DType = match t.Bottom with Plain r -> r.DType | RecordedScalar(_, dtype, _, _, _, _, _) -> dtype | b -> invalidOp (sprintf "Tensor.DType: unexpected innermost form %A" b)
    /// The number of axes.
    member t.Rank = match t.Bottom with Plain r -> r.Rank | _ -> 0
    /// The number of elements.
    member t.Size = match t.Bottom with Plain r -> r.Size | _ -> 1
    /// True for Float32 and Float64 (read without making an inline scalar node's value).
    member t.IsFloat = let d = t.DType in d = DType.Float32 || d = DType.Float64
    /// True for a forward-mode value.
    member t.IsDual = match t with DualNumber _ -> true | _ -> false
    /// True for a reverse-mode node.
    member t.IsNode = match t with Recorded _ | RecordedScalar _ -> true | _ -> false

    /// A reverse-mode leaf: `primal` watched at `tag`, with node id `id`.
    static member internal Leaf(primal: Tensor, tag: int64, id: int64) =
        Recorded(primal, null, Unchecked.defaultof<_>, Unchecked.defaultof<_>, tag, id)

    /// The shape, the dtype and the perturbation level, e.g. "Tensor(shape=[2, 3], dtype=Float32, tag=0)" (no values).
    override t.ToString() =
        sprintf "Tensor(shape=%s, dtype=%A, tag=%d)" (Shape.format t.Shape) t.DType t.Level

/// What made a reverse node: a unary or binary primitive (the node holds the operands) or an n-ary call (the
/// primitive with its operands). `Arity` tells them apart without a type test (1, 2, or -1 for an n-ary call).
and [<AbstractClass; AllowNullLiteral>] internal NodeOp(name: string, arity: int) =
    /// The primitive's name (as in error messages).
    member _.Name = name
    /// 1 for a unary primitive, 2 for a binary one, -1 for an n-ary call.
    member internal _.Arity = arity
    /// True for a primitive that maps elements independently: element i of the result depends only on element i of
    /// each operand of the result's shape. A Jacobian through such primitives alone is diagonal (see
    /// `Reverse.isElementwisePath`). `Elementwise.elementwise` sets it; other primitives override it.
    abstract IsElementwise: bool
    default _.IsElementwise = false

/// A primitive of one operand: its kernel, JVP rule and VJP rule in one place. The rules are written
/// with differentiable operations, so derivatives of derivatives come for free. In the rules,
/// `x` and `y` are the operand and result one perturbation level down.
and [<AbstractClass; AllowNullLiteral>] internal UnaryPrim(name: string) =
    inherit NodeOp(name, 1)
    abstract Kernel: RawTensor -> RawTensor
    abstract Jvp: x: Tensor * y: Tensor * dx: Tensor -> Tensor
    abstract Vjp: x: Tensor * y: Tensor * gy: Tensor -> Tensor
    /// True when the primitive also has scalar rules (`ScalarForward`, `ScalarVjp`): the fast path for plain rank-0
    /// float values, which skips the tensor machinery. The rules compute in double; a Float32 result is rounded to
    /// float32 after each rule (one rounding per rule: a single +, -, *, / then equals float32 arithmetic exactly, as
    /// 53 >= 2 * 24 + 2 bits; a rule of several operations may differ in the last bit or where float32 would overflow
    /// in between).
    abstract HasScalarRules: bool
    default _.HasScalarRules = false
    /// The kernel on one element (only called when `HasScalarRules`).
    abstract ScalarForward: x: float -> float
    default p.ScalarForward(_) = invalidOp (name + ": no scalar rule")
    /// The VJP on one element: the adjoint of x from x, y and the adjoint gy of y (only called when `HasScalarRules`).
    abstract ScalarVjp: x: float * y: float * gy: float -> float
    default p.ScalarVjp(_, _, _) = invalidOp (name + ": no scalar rule")
    /// `ScalarForward` in Float32: by default the double rule rounded once; a primitive whose Float32 kernel computes
    /// otherwise (a float32 libm function) overrides it, so that rank-0 and shape-[1] values agree bit for bit.
    abstract ScalarForward32: x: float32 -> float32
    default p.ScalarForward32(x) = float32 (p.ScalarForward(float x))
    /// `ScalarVjp` in Float32 (by default the double rule rounded once; see `ScalarForward32`).
    abstract ScalarVjp32: x: float32 * y: float32 * gy: float32 -> float32
    default p.ScalarVjp32(x, y, gy) = float32 (p.ScalarVjp(float x, float y, float gy))
    /// The scalar rule's result for a value of `dtype` (Float32 or Float64), as a double.
    member p.ScalarApply(dtype: DType, x: float) =
        if dtype = DType.Float32 then float (p.ScalarForward32(float32 x)) else p.ScalarForward x
    /// The scalar VJP's result for values of `dtype` (Float32 or Float64), as a double.
    member p.ScalarAdjoint(dtype: DType, x: float, y: float, gy: float) =
        if dtype = DType.Float32 then float (p.ScalarVjp32(float32 x, float32 y, float32 gy)) else p.ScalarVjp(x, y, gy)

/// A primitive of two operands (element-wise ones broadcast; their VJPs sum back to each operand's shape).
and [<AbstractClass; AllowNullLiteral>] internal BinaryPrim(name: string) =
    inherit NodeOp(name, 2)
    abstract Kernel: RawTensor * RawTensor -> RawTensor
    abstract JvpA: a: Tensor * b: Tensor * y: Tensor * da: Tensor -> Tensor
    abstract JvpB: a: Tensor * b: Tensor * y: Tensor * db: Tensor -> Tensor
    abstract VjpA: a: Tensor * b: Tensor * y: Tensor * gy: Tensor -> Tensor
    abstract VjpB: a: Tensor * b: Tensor * y: Tensor * gy: Tensor -> Tensor
    /// True when the primitive also has scalar rules (see `UnaryPrim.HasScalarRules`).
    abstract HasScalarRules: bool
    default _.HasScalarRules = false
    /// The kernel on one pair of elements (only called when `HasScalarRules`).
    abstract ScalarForward: a: float * b: float -> float
    default p.ScalarForward(_, _) = invalidOp (name + ": no scalar rule")
    /// The adjoint of a on one element (only called when `HasScalarRules`).
    abstract ScalarVjpA: a: float * b: float * y: float * gy: float -> float
    default p.ScalarVjpA(_, _, _, _) = invalidOp (name + ": no scalar rule")
    /// The adjoint of b on one element (only called when `HasScalarRules`).
    abstract ScalarVjpB: a: float * b: float * y: float * gy: float -> float
    default p.ScalarVjpB(_, _, _, _) = invalidOp (name + ": no scalar rule")

/// A primitive of any number of operands (concatenation, custom gradients).
and [<AbstractClass; AllowNullLiteral>] internal NaryPrim(name: string) =
    member _.Name = name
    abstract Kernel: RawTensor[] -> RawTensor
    /// The tangent of the result from the operands' tangents (`None` for a constant operand).
    abstract Jvp: xs: Tensor[] * y: Tensor * dxs: Tensor option[] -> Tensor
    /// The adjoint of operand `i`.
    abstract Vjp: xs: Tensor[] * y: Tensor * gy: Tensor * i: int -> Tensor

/// An n-ary primitive applied to its operands: the operation of an n-ary node (n-ary nodes are rare, so their operands
/// live here rather than in a field every node would carry).
and [<Sealed; AllowNullLiteral>] internal NaryCall(prim: NaryPrim, operands: Tensor[]) =
    inherit NodeOp(prim.Name, -1)
    /// The primitive.
    member _.Prim = prim
    /// The operands, as the primitive was applied to them.
    member _.Operands = operands

/// The singleton primitive of an op whose rules refer back to the op itself, made on first use. (A primitive
/// *value* inside a let-rec group compiles to a lazy that F# 10 inlines across files uninitialised.)
[<Sealed>]
type internal PrimCell<'P when 'P: null>() =
    let mutable prim: 'P = null
    /// The primitive, made by `make` the first time (two racing threads may both make one; either is kept).
    member _.Get(make: unit -> 'P) =
        if isNull prim then prim <- make ()
        prim
