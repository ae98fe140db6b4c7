/// The tag-resolving combinators and the structural and arithmetic primitives. Each primitive is one
/// object: its kernel, its JVP rule and its VJP rule, side by side.
module Nabla.Core.Ops

open System

/// A plain (unperturbed) tensor.
let constant (r: RawTensor) = TP r
/// Zeros with t's shape and dtype.
let zerosLike (t: Tensor) = TP(Raw.zeros t.DType t.Shape)
/// Ones with t's shape and dtype.
let onesLike (t: Tensor) = TP(Raw.ones t.DType t.Shape)
/// A scalar of t's dtype.
let scalarLike (t: Tensor) (v: float) = TP(Raw.scalar t.DType v)

/// The value `t` seen at perturbation level `tag`: one level down when t carries that tag, else t itself.
let inline internal atLevel (tag: int64) (t: Tensor) = if t.Level = tag then t.Primal else t

/// Rejects a non-float operand of a float-only op, naming the op and the dtype.
let requireFloat (op: string) (x: Tensor) =
    if not x.IsFloat then
        invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (string x.DType))

let private opError (op: string) (msg: string) = invalidArg "x" (op + ": " + msg)

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private addPrimCell = PrimCell<BinaryPrim>()
let private subPrimCell = PrimCell<BinaryPrim>()
let private mulPrimCell = PrimCell<BinaryPrim>()
let private divPrimCell = PrimCell<BinaryPrim>()
let private negPrimCell = PrimCell<UnaryPrim>()
let private squarePrimCell = PrimCell<UnaryPrim>()

/// For C = op(A) op(B) with adjoint G: dA as a product with transpose flags (nothing materialised), given the
/// product function (2-D or batched): G B^T, B G^T, G B or B^T G^T for the four flag pairs.
let matmulAdjointA (mm: bool -> bool -> Tensor -> Tensor -> Tensor) (transA: bool) (transB: bool) (b: Tensor) (g: Tensor) =
    match transA, transB with
    | false, false -> mm false true g b
    | true, false -> mm false true b g
    | false, true -> mm false false g b
    | true, true -> mm true true b g

/// For C = op(A) op(B) with adjoint G: dB (A^T G, A G, G^T A or G^T A^T for the four flag pairs).
let matmulAdjointB (mm: bool -> bool -> Tensor -> Tensor -> Tensor) (transA: bool) (transB: bool) (a: Tensor) (g: Tensor) =
    match transA, transB with
    | false, false -> mm true false a g
    | true, false -> mm false false a g
    | false, true -> mm true false g a
    | true, true -> mm true true g a

/// A unary primitive on a plain value: its scalar rule for a float scalar, else its kernel.
let rec private plainUnary (p: UnaryPrim) (r: RawTensor) : Tensor =
    if r.Rank = 0 && r.IsFloat && p.HasScalarRules then TP(Raw.floatScalar r.DType (p.ScalarApply(r.DType, Raw.floatAt0 r)))
    else TP(p.Kernel r)

/// A binary primitive on plain values: plain float scalars of one dtype take the primitive's scalar rule (no
/// broadcasting, no kernel dispatch), everything else its kernel.
and private plainBinary (p: BinaryPrim) (x: RawTensor) (y: RawTensor) : Tensor =
    if x.Rank = 0 && y.Rank = 0 && x.DType = y.DType && x.IsFloat && p.HasScalarRules then
        TP(Raw.floatScalar x.DType (p.ScalarForward(Raw.floatAt0 x, Raw.floatAt0 y)))
    else TP(p.Kernel(x, y))

/// The plain float scalar that `t` stands for at reverse level `tag` (one level down for a node of that tag, t itself
/// otherwise), if it is one: the operands the scalar rules take without a tensor.
and inline internal scalarBelow (tag: int64) (t: Tensor) : voption<struct (float * DType)> =
    let plain (r: RawTensor) = if r.Rank = 0 && r.IsFloat then ValueSome(struct (Raw.floatAt0 r, r.DType)) else ValueNone
    match t with
    | TS(v, dtype, _, _, _, tg, _) when tg = tag -> ValueSome(struct (v, dtype))
    | TR(TP r, _, _, _, tg, _) when tg = tag -> plain r
    | TP r -> plain r
    | _ -> ValueNone

/// Records a unary primitive on the reverse node x (tag `tag`, id `id`): an inline scalar node when the scalar rule
/// applies, else a node over the primitive applied one level down.
and private recordUnary (p: UnaryPrim) (x: Tensor) (tag: int64) (id: int64) : Tensor =
    match (if p.HasScalarRules then scalarBelow tag x else ValueNone) with
    | ValueSome(struct (v, dtype)) -> TS(p.ScalarApply(dtype, v), dtype, p, x, Unchecked.defaultof<_>, tag, NodeIds.Above id)
    | ValueNone ->
        let xp = x.Primal
        let y = match xp with TP r -> plainUnary p r | _ -> unary p xp
        TR(y, p, x, Unchecked.defaultof<_>, tag, NodeIds.Above id)

/// Applies a unary primitive, resolving the operand's outermost perturbation.
and unary (p: UnaryPrim) (x: Tensor) : Tensor =
    match x with
    | TS(_, _, _, _, _, tag, id) | TR(_, _, _, _, tag, id) -> recordUnary p x tag id
    | TP r -> plainUnary p r
    | TD(xp, dx, tag) -> let y = unary p xp in TD(y, p.Jvp(xp, y, dx), tag)

/// `binary` one perturbation level down, where the values are usually plain.
and private binaryBelow (p: BinaryPrim) (a: Tensor) (b: Tensor) : Tensor =
    match a, b with
    | TP x, TP y -> plainBinary p x y
    | _ -> binary p a b

/// Records a binary primitive at reverse level `tag` (an operand of a lower level is a constant there): an inline
/// scalar node when both values below are float scalars of one dtype and the scalar
/// rule applies, else a node over the primitive applied one level down.
and private recordBinary (p: BinaryPrim) (a: Tensor) (b: Tensor) (tag: int64) : Tensor =
    let id = NodeIds.Above(max a.NodeId b.NodeId)
    let scalar =
        if not p.HasScalarRules then ValueNone
        else
            match scalarBelow tag a, scalarBelow tag b with
            | ValueSome(struct (va, da)), ValueSome(struct (vb, db)) when da = db ->
                ValueSome(struct (Raw.roundTo da (p.ScalarForward(va, vb)), da))
            | _ -> ValueNone
    match scalar with
    | ValueSome(struct (v, dtype)) -> TS(v, dtype, p, a, b, tag, id)
    | ValueNone ->
        TR(binaryBelow p (atLevel tag a) (atLevel tag b), p, a, b, tag, id)

/// Applies a binary primitive. The operand with the larger (inner) tag is perturbed at this level;
/// the other is a constant there. This and `nary` are the only places that compare tags.
and binary (p: BinaryPrim) (a: Tensor) (b: Tensor) : Tensor =
    let ta = a.Level
    let tb = b.Level
    if ta = 0L && tb = 0L then
        match a, b with
        | TP x, TP y -> plainBinary p x y
        | _ -> invalidOp "unreachable"
    elif ta = tb then
        match a, b with
        | TD(ap, da, tag), TD(bp, db, _) ->
            let y = binary p ap bp
            TD(y, add (p.JvpA(ap, bp, y, da)) (p.JvpB(ap, bp, y, db)), tag)
        | (TR _ | TS _), (TR _ | TS _) -> recordBinary p a b ta
        | _ -> invalidOp (sprintf "%s: one perturbation tag is carried by both a dual number and a reverse node" p.Name)
    elif ta > tb then
        match a with
        | TD(ap, da, tag) -> let y = binary p ap b in TD(y, p.JvpA(ap, b, y, da), tag)
        | TR _ | TS _ -> recordBinary p a b ta
        | TP _ -> invalidOp "unreachable"
    else
        match b with
        | TD(bp, db, tag) -> let y = binary p a bp in TD(y, p.JvpB(a, bp, y, db), tag)
        | TR _ | TS _ -> recordBinary p a b tb
        | TP _ -> invalidOp "unreachable"

/// Applies an n-ary primitive (operands at the outermost tag are perturbed, the rest are constants).
and nary (p: NaryPrim) (xs: Tensor[]) : Tensor =
    let tag = xs |> Array.fold (fun m x -> max m x.Level) 0L
    if tag = 0L then TP(p.Kernel(xs |> Array.map (fun x -> x.Raw)))
    else
        let ps = xs |> Array.map (atLevel tag)
        let y = nary p ps
        match xs |> Array.find (fun x -> x.Level = tag) with
        | TD _ ->
            let dxs = xs |> Array.map (fun x -> match x with TD(_, d, t) when t = tag -> Some d | _ -> None)
            TD(y, p.Jvp(ps, y, dxs), tag)
        | _ -> TR(y, NaryCall(p, xs), Unchecked.defaultof<_>, Unchecked.defaultof<_>, tag, NodeIds.Above(xs |> Array.fold (fun m x -> max m x.NodeId) 0L))

// ------------------------------------------------------------------------- shape plumbing

/// Broadcasts to `shape`. d/dx: the adjoint is summed back to x's shape.
and broadcastTo (shape: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        let target = Shape.broadcast "BroadcastTo" x.Shape shape
        if not (Shape.equal target shape) then
            opError "BroadcastTo" (sprintf "cannot broadcast shape %s to %s" (Shape.format x.Shape) (Shape.format shape))
        let shape = Array.copy shape
        unary { new UnaryPrim("BroadcastTo") with
                  member _.Kernel r = Raw.broadcastTo shape r
                  member _.Jvp(_, _, dx) = broadcastTo shape dx
                  member _.Vjp(x, _, g) = sumTo x.Shape g } x

/// Sums x down to `shape` (the inverse of broadcasting `shape` to x's shape).
and sumTo (shape: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        let shape = Array.copy shape
        unary { new UnaryPrim("SumTo") with
                  member _.Kernel r = Raw.sumTo shape r
                  member _.Jvp(_, _, dx) = sumTo shape dx
                  member _.Vjp(x, _, g) = broadcastTo x.Shape g } x

/// Reshapes (one -1 allowed). Linear: d(reshape x) = reshape dx.
and reshape (shape: int[]) (x: Tensor) : Tensor =
    let shape = Shape.resolveReshape "Reshape" x.Shape shape
    if Shape.equal shape x.Shape then x
    else
        unary { new UnaryPrim("Reshape") with
                  member _.Kernel r = Raw.reshape shape r
                  member _.Jvp(_, _, dx) = reshape shape dx
                  member _.Vjp(x, _, g) = reshape x.Shape g } x

/// Sums over `axes` (null: all; negative count from the end). The adjoint is broadcast back.
and sum (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    let ax = Shape.normAxes "ReduceSum" x.Rank axes
    if not x.IsFloat && x.DType = DType.Bool then
        opError "ReduceSum" (sprintf "dtype %s is not supported" (string x.DType))
    unary { new UnaryPrim("ReduceSum") with
              member _.Kernel r = Raw.sumAxes ax keepDims r
              member _.Jvp(_, _, dx) = sum ax keepDims dx
              member _.Vjp(x, _, g) =
                  let kept = Shape.reduced x.Shape ax true
                  broadcastTo x.Shape (reshape kept g) } x

/// Permutes axes (result axis i is input axis perm[i]; null reverses). The adjoint uses the inverse permutation.
and transpose (perm: int[]) (x: Tensor) : Tensor =
    let rank = x.Rank
    let perm = if isNull perm then Array.init rank (fun i -> rank - 1 - i) else perm
    if perm.Length <> rank || (Array.sort (Array.map (fun p -> if p < 0 then p + rank else p) perm) <> Array.init rank id) then
        opError "Transpose" (sprintf "perm %s is not a permutation of the %d axes of a tensor of shape %s" (Shape.format perm) rank (Shape.format x.Shape))
    let perm = perm |> Array.map (fun p -> if p < 0 then p + rank else p)
    if perm = Array.init rank id then x
    else
        let inv = Array.zeroCreate rank
        perm |> Array.iteri (fun i p -> inv.[p] <- i)
        unary { new UnaryPrim("Transpose") with
                  member _.Kernel r = Raw.transpose perm r
                  member _.Jvp(_, _, dx) = transpose perm dx
                  member _.Vjp(_, _, g) = transpose inv g } x

/// The block at `start` with extent `size` (checked; -1 in size takes the rest). Adjoint: zero padding.
and slice (start: int[]) (size: int[]) (x: Tensor) : Tensor =
    let shape = x.Shape
    if isNull start || isNull size || start.Length <> shape.Length || size.Length <> shape.Length then
        opError "Slice" (sprintf "start %s and size %s must both have one entry per axis of shape %s"
                                 (if isNull start then "null" else Shape.format start) (if isNull size then "null" else Shape.format size) (Shape.format shape))
    // bounds in int64: start + size must not wrap (begin or size int.MaxValue)
    for i in 0 .. shape.Length - 1 do
        let b = int64 start.[i]
        let e = if size.[i] = -1 then int64 shape.[i] else b + int64 size.[i]
        if b < 0L || b > int64 shape.[i] || size.[i] < -1 || e > int64 shape.[i] then
            opError "Slice" (sprintf "begin %s with size %s is out of bounds for shape %s at axis %d; expected 0 <= begin <= begin + size <= extent (a size of -1 takes the rest of the axis)"
                                     (Shape.format start) (Shape.format size) (Shape.format shape) i)
    let size = Array.init shape.Length (fun i -> if size.[i] = -1 then shape.[i] - start.[i] else size.[i])
    if Shape.equal size shape then x
    else
        let start = Array.copy start
        unary { new UnaryPrim("Slice") with
                  member _.Kernel r = Raw.slice start size r
                  member _.Jvp(_, _, dx) = slice start size dx
                  member _.Vjp(x, _, g) = pad x.Shape start g } x

/// Zeros of `shape` with x written at `start` (the adjoint of slice). Adjoint: slice.
and pad (shape: int[]) (start: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        unary { new UnaryPrim("Pad") with
                  member _.Kernel r = Raw.pad shape start r
                  member _.Jvp(_, _, dx) = pad shape start dx
                  member _.Vjp(x, _, g) = slice start x.Shape g } x

/// Joins tensors along `axis` (all other extents equal). d = concat of the tangents; adjoint i is its slice.
and concat (axis: int) (xs: Tensor[]) : Tensor =
    if isNull xs || xs.Length = 0 then opError "Concat" "expected at least one tensor"
    let rank = xs.[0].Rank
    let ax = Shape.normAxis "Concat" rank axis
    let dt = xs.[0].DType
    for x in xs do
        if x.DType <> dt then opError "Concat" (sprintf "tensors have dtypes %s and %s; expected one dtype" (string dt) (string x.DType))
        if x.Rank <> rank || (Array.indexed x.Shape |> Array.exists (fun (i, d) -> i <> ax && d <> xs.[0].Shape.[i])) then
            opError "Concat" (sprintf "shapes %s and %s differ outside axis %d" (Shape.format xs.[0].Shape) (Shape.format x.Shape) ax)
    if xs.Length = 1 then xs.[0]
    else
        let total = xs |> Array.sumBy (fun x -> int64 x.Shape.[ax])
        let outShape = Array.copy xs.[0].Shape
        outShape.[ax] <- int (min total (int64 Int32.MaxValue))
        if total > int64 Int32.MaxValue then
            opError "Concat" (sprintf "joining %d tensors of shapes %s, ... along axis %d gives extent %d there, more than Int32.MaxValue (%d); a dimension is an int, and tensors above Array.MaxLength elements are out of scope"
                                      xs.Length (Shape.format xs.[0].Shape) ax total Int32.MaxValue)
        if Shape.trySize outShape < 0 then
            let others = Array.copy outShape
            others.[ax] <- 1
            opError "Concat" (sprintf "joining %d tensors of shapes %s, ... along axis %d gives extent %d there and %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      xs.Length (Shape.format xs.[0].Shape) ax total
                                      (Shape.bigSize others * System.Numerics.BigInteger(total)) Shape.maxElements)
        let offsets = xs |> Array.scan (fun o x -> o + x.Shape.[ax]) 0
        nary { new NaryPrim("Concat") with
                 member _.Kernel rs =
                     Raw.concatAt outShape (Array.init rs.Length (fun i -> let b = Array.zeroCreate rank in b.[ax] <- offsets.[i]; b)) rs
                 member _.Jvp(xs, _, dxs) =
                     concat ax (Array.map2 (fun (x: Tensor) d -> match d with Some d -> d | None -> zerosLike x) xs dxs)
                 member _.Vjp(xs, _, g, i) =
                     let b = Array.zeroCreate rank
                     b.[ax] <- offsets.[i]
                     slice b xs.[i].Shape g } xs

// ------------------------------------------------------------------------- arithmetic

/// a + b with broadcasting. d = da + db; adjoints summed back to each operand's shape.
and add (a: Tensor) (b: Tensor) : Tensor = binary (addPrim ()) a b
and addPrim () : BinaryPrim =
    addPrimCell.Get(fun () ->
        { new BinaryPrim("Add") with
            member _.Kernel(x, y) = Raw.add x y
            member _.JvpA(_, _, y, da) = broadcastTo y.Shape da
            member _.JvpB(_, _, y, db) = broadcastTo y.Shape db
            member _.VjpA(a, _, _, g) = sumTo a.Shape g
            member _.VjpB(_, b, _, g) = sumTo b.Shape g
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a + b
            member _.ScalarVjpA(_, _, _, g) = g
            member _.ScalarVjpB(_, _, _, g) = g })

/// a - b with broadcasting. d = da - db.
and sub (a: Tensor) (b: Tensor) : Tensor = binary (subPrim ()) a b
and subPrim () : BinaryPrim =
    subPrimCell.Get(fun () ->
        { new BinaryPrim("Subtract") with
            member _.Kernel(x, y) = Raw.sub x y
            member _.JvpA(_, _, y, da) = broadcastTo y.Shape da
            member _.JvpB(_, _, y, db) = neg (broadcastTo y.Shape db)
            member _.VjpA(a, _, _, g) = sumTo a.Shape g
            member _.VjpB(_, b, _, g) = neg (sumTo b.Shape g)
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a - b
            member _.ScalarVjpA(_, _, _, g) = g
            member _.ScalarVjpB(_, _, _, g) = -g })

/// a * b with broadcasting. d = da b + a db.
and mul (a: Tensor) (b: Tensor) : Tensor = binary (mulPrim ()) a b
and mulPrim () : BinaryPrim =
    mulPrimCell.Get(fun () ->
        { new BinaryPrim("Multiply") with
            member _.Kernel(x, y) = Raw.mul x y
            member _.JvpA(_, b, _, da) = mul da b
            member _.JvpB(a, _, _, db) = mul a db
            member _.VjpA(a, b, _, g) = sumTo a.Shape (mul g b)
            member _.VjpB(a, b, _, g) = sumTo b.Shape (mul g a)
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a * b
            member _.ScalarVjpA(_, b, _, g) = g * b
            member _.ScalarVjpB(a, _, _, g) = g * a })

/// a / b with broadcasting. d = da / b - db a / b^2 = (da - db y) / b.
and div (a: Tensor) (b: Tensor) : Tensor = binary (divPrim ()) a b
and divPrim () : BinaryPrim =
    divPrimCell.Get(fun () ->
        { new BinaryPrim("Divide") with
            member _.Kernel(x, y) = Raw.div x y
            member _.JvpA(_, b, _, da) = div da b
            member _.JvpB(_, b, y, db) = neg (div (mul db y) b)
            member _.VjpA(a, b, _, g) = sumTo a.Shape (div g b)
            member _.VjpB(_, b, y, g) = neg (sumTo b.Shape (div (mul g y) b))
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a / b
            member _.ScalarVjpA(_, b, _, g) = g / b
            member _.ScalarVjpB(_, b, y, g) = -(g * y / b) })

/// -x. d = -dx.
and neg (x: Tensor) : Tensor = unary (negPrim ()) x
and negPrim () : UnaryPrim =
    negPrimCell.Get(fun () ->
        { new UnaryPrim("Negative") with
            member _.Kernel r = Raw.neg r
            member _.Jvp(_, _, dx) = neg dx
            member _.Vjp(_, _, g) = neg g
            member _.HasScalarRules = true
            member _.ScalarForward x = -x
            member _.ScalarVjp(_, _, g) = -g })

/// x^2. d = 2 x dx.
and square (x: Tensor) : Tensor = unary (squarePrim ()) x
and squarePrim () : UnaryPrim =
    squarePrimCell.Get(fun () ->
        { new UnaryPrim("Square") with
            member _.Kernel r = Raw.square r
            member _.Jvp(x, _, dx) = mul (mul (scalarLike x 2.0) x) dx
            member _.Vjp(x, _, g) = mul (mul (scalarLike x 2.0) x) g
            member _.HasScalarRules = true
            member _.ScalarForward x = x * x
            member _.ScalarVjp(x, _, g) = 2.0 * x * g })

/// op(a) op(b) over the last two axes (ranks >= 2), op transposing when its flag is set, leading (batch) axes
/// broadcast as NumPy. dC = op(dA) op(B) + op(A) op(dB); the adjoints are products with G whose flags are chosen so
/// nothing is materialised, summed back over broadcast batch axes.
and matmul (transA: bool) (transB: bool) (a: Tensor) (b: Tensor) : Tensor =
    let ra, rb = a.Rank, b.Rank
    if ra < 2 || rb < 2 then
        opError "MatMul" (sprintf "expected operands of rank >= 2, got shapes %s and %s" (Shape.format a.Shape) (Shape.format b.Shape))
    let ka = if transA then a.Shape.[ra - 2] else a.Shape.[ra - 1]
    let kb = if transB then b.Shape.[rb - 1] else b.Shape.[rb - 2]
    if ka <> kb then
        opError "MatMul" (sprintf "inner dimensions differ: shapes %s%s and %s%s; expected op(a) columns = op(b) rows"
                                  (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format b.Shape) (if transB then " (transposed)" else ""))
    if a.DType <> b.DType then
        opError "MatMul" (sprintf "operands have dtypes %s and %s; expected the same dtype" (string a.DType) (string b.DType))
    match Shape.tryBroadcast a.Shape.[.. ra - 3] b.Shape.[.. rb - 3] with
    | None ->
        opError "MatMul" (sprintf "batch axes of shapes %s and %s (all but the last two) do not broadcast; expected equal extents or 1, aligned from the right"
                                  (Shape.format a.Shape) (Shape.format b.Shape))
    | Some batch ->
        let m = if transA then a.Shape.[ra - 1] else a.Shape.[ra - 2]
        let n = if transB then b.Shape.[rb - 2] else b.Shape.[rb - 1]
        let out = Array.append batch [| m; n |]
        if Shape.trySize out < 0 then
            opError "MatMul" (sprintf "shapes %s%s and %s%s give a product of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format b.Shape) (if transB then " (transposed)" else "")
                                      (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    binary (matmulPrim transA transB) a b
and matmulPrim (transA: bool) (transB: bool) : BinaryPrim =
    { new BinaryPrim("MatMul") with
        member _.Kernel(x, y) = Kernels.matmul transA transB x y
        member _.JvpA(_, b, _, da) = matmul transA transB da b
        member _.JvpB(a, _, _, db) = matmul transA transB a db
        member _.VjpA(a, b, _, g) = sumTo a.Shape (matmulAdjointA matmul transA transB b g)
        member _.VjpB(a, b, _, g) = sumTo b.Shape (matmulAdjointB matmul transA transB a g) }

/// Converts to `dtype`. Between float dtypes d = cast dx and the adjoint is cast back; a cast to or
/// from an integer or bool dtype has no derivative (the result is a constant).
let rec cast (dtype: DType) (x: Tensor) : Tensor =
    if x.DType = dtype then x
    elif x.IsFloat && (dtype = DType.Float32 || dtype = DType.Float64) then
        let from = x.DType
        unary { new UnaryPrim("Cast") with
                  member _.Kernel r = Raw.cast dtype r
                  member _.Jvp(_, _, dx) = cast dtype dx
                  member _.Vjp(_, _, g) = cast from g } x
    else TP(Raw.cast dtype x.Raw)

/// Mean over `axes` (null: all): the sum divided by the number of reduced elements.
let mean (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    let ax = Shape.normAxes "ReduceMean" x.Rank axes
    if not x.IsFloat then
        opError "ReduceMean" (sprintf "dtype %s is not supported; expected Float32 or Float64" (string x.DType))
    let n = ax |> Array.fold (fun acc a -> acc * x.Shape.[a]) 1
    div (sum ax keepDims x) (scalarLike x (float n))
