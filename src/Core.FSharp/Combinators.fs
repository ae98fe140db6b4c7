module Nabla.Core.Combinators

open System

/// The kernels of this file's primitives: broadcasting binary kernels, BroadcastTo and SumTo.
module Kernels =
    open System.Numerics.Tensors
    open System.Runtime.InteropServices
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage
    open Nabla.Core.Simd

    type BinRows<'T> =
        { VV: 'T[] -> int -> 'T[] -> int -> 'T[] -> int -> int -> unit
          VS: 'T[] -> int -> 'T -> 'T[] -> int -> int -> unit
          SV: 'T -> 'T[] -> int -> 'T[] -> int -> int -> unit }

    /// Walks the broadcast output in rows of its last axis and hands each row to the row kernels.
    let private broadcastRows (k: BinRows<'T>) (outShape: int[]) (aShape: int[]) (a: 'T[]) (bShape: int[]) (b: 'T[]) =
        let n = Shape.size outShape
        let r: 'T[] = BufferPool.rent<'T> n // every element is written below
        if n > 0 then
            if Shape.equal aShape bShape then forChunks n (fun o len -> k.VV a o b o r o len)
            elif a.Length = 1 then forChunks n (fun o len -> k.SV a.[0] b o r o len)
            elif b.Length = 1 then forChunks n (fun o len -> k.VS a o b.[0] r o len)
            else
                let rank = outShape.Length
                let sa = Shape.broadcastStrides aShape outShape
                let sb = Shape.broadcastStrides bShape outShape
                let len = outShape.[rank - 1]
                let la = if len = 1 then 1 else sa.[rank - 1]
                let lb = if len = 1 then 1 else sb.[rank - 1]
                let idx = Array.zeroCreate (rank - 1)
                let mutable ao = 0
                let mutable bo = 0
                let mutable ro = 0
                while ro < n do
                    if la = 1 && lb = 1 then k.VV a ao b bo r ro len
                    elif la = 1 then k.VS a ao b.[bo] r ro len
                    elif lb = 1 then k.SV a.[ao] b bo r ro len
                    else
                        let tmp = [| a.[ao] |]
                        k.VS tmp 0 b.[bo] r ro 1
                        for j in 1 .. len - 1 do r.[ro + j] <- r.[ro]
                    ro <- ro + len
                    // advance the odometer over the outer axes
                    let mutable ax = rank - 2
                    let mutable carry = true
                    while carry && ax >= 0 do
                        idx.[ax] <- idx.[ax] + 1
                        ao <- ao + sa.[ax]
                        bo <- bo + sb.[ax]
                        if idx.[ax] < outShape.[ax] then carry <- false
                        else
                            ao <- ao - sa.[ax] * outShape.[ax]
                            bo <- bo - sb.[ax] * outShape.[ax]
                            idx.[ax] <- 0
                            ax <- ax - 1
        r

    type BinKernel =
        { Name: string
          F32: BinRows<float32>
          F64: BinRows<float>
          I32: BinRows<int> option
          I64: BinRows<int64> option }

    let loopRows (f: 'T -> 'T -> 'T) : BinRows<'T> =
        { VV = fun a ao b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f a.[ao + i] b.[bo + i]
          VS = fun a ao s r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f a.[ao + i] s
          SV = fun s b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f s b.[bo + i] }

    let private binaryBroadcast (k: BinKernel) (x: RawTensor) (y: RawTensor) =
        let shape = Shape.broadcast k.Name x.Shape y.Shape
        let unsupported () =
            invalidArg "x" (sprintf "%s: dtype %s is not supported" k.Name (dtypeName x.DType))
        let data: Array =
            match x.Data, y.Data with
            | (:? (float32[]) as a), (:? (float32[]) as b) -> broadcastRows k.F32 shape x.Shape a y.Shape b :> _
            | (:? (float[]) as a), (:? (float[]) as b) -> broadcastRows k.F64 shape x.Shape a y.Shape b :> _
            | (:? (int[]) as a), (:? (int[]) as b) ->
                match k.I32 with Some rows -> broadcastRows rows shape x.Shape a y.Shape b :> _ | None -> unsupported ()
            | (:? (int64[]) as a), (:? (int64[]) as b) ->
                match k.I64 with Some rows -> broadcastRows rows shape x.Shape a y.Shape b :> _ | None -> unsupported ()
            | _ -> unsupported ()
        RawTensor(x.DType, Array.copy shape, data)

    let binary (k: BinKernel) (x: RawTensor) (y: RawTensor) =
        if x.DType <> y.DType then
            invalidArg "y" (sprintf "%s: operands have dtypes %s and %s; expected the same dtype (use Cast)" k.Name (dtypeName x.DType) (dtypeName y.DType))
        binaryBroadcast k x y


    let addK =
        { Name = "Add"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows (+))
          I64 = Some(loopRows (+)) }

    let add x y = binary addK x y

    let broadcastTo (shape: int[]) (t: RawTensor) =
        if Shape.equal shape t.Shape then t
        else
            let b = Shape.broadcast "BroadcastTo" t.Shape shape
            if not (Shape.equal b shape) then
                invalidArg "shape" (sprintf "BroadcastTo: cannot broadcast shape %s to %s" (Shape.format t.Shape) (Shape.format shape))
            RawTensor(t.DType, Array.copy shape, copyStrided t.DType t.Data (Shape.broadcastStrides t.Shape shape) 0 shape)


    /// Sum over one (normalised) axis, keeping it with extent 1.
    let private sumAxisKeep (axis: int) (t: RawTensor) =
        let shape = t.Shape
        let outer = Shape.size shape.[.. axis - 1]
        let n = shape.[axis]
        let inner = Shape.size shape.[axis + 1 ..]
        let outShape = Array.copy shape
        outShape.[axis] <- 1
        let run (a: 'T[]) (sumSpan: 'T[] -> int -> int -> 'T) (addInto: 'T[] -> int -> 'T[] -> int -> int -> unit) =
            let r: 'T[] = BufferPool.rentZeroed (outer * inner)
            if inner = 1 then
                for o in 0 .. outer - 1 do r.[o] <- sumSpan a (o * n) n
            else
                for o in 0 .. outer - 1 do
                    for k in 0 .. n - 1 do addInto a ((o * n + k) * inner) r (o * inner) inner
            r
        let data: Array =
            match t.Data with
            | :? (float32[]) as a ->
                run a (fun a o n -> TensorPrimitives.Sum(ReadOnlySpan(a, o, n)))
                      (fun a ao r ro n -> TensorPrimitives.Add(ReadOnlySpan(r, ro, n), ReadOnlySpan(a, ao, n), Span(r, ro, n))) :> _
            | :? (float[]) as a ->
                run a (fun a o n -> TensorPrimitives.Sum(ReadOnlySpan(a, o, n)))
                      (fun a ao r ro n -> TensorPrimitives.Add(ReadOnlySpan(r, ro, n), ReadOnlySpan(a, ao, n), Span(r, ro, n))) :> _
            | :? (int[]) as a ->
                run a (fun a o n -> let mutable s = 0 in (for i in o .. o + n - 1 do s <- s + a.[i]); s)
                      (fun a ao r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- r.[ro + i] + a.[ao + i]) :> _
            | :? (int64[]) as a ->
                run a (fun a o n -> let mutable s = 0L in (for i in o .. o + n - 1 do s <- s + a.[i]); s)
                      (fun a ao r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- r.[ro + i] + a.[ao + i]) :> _
            | _ -> invalidArg "x" (sprintf "ReduceSum: dtype %s is not supported" (dtypeName t.DType))
        RawTensor(t.DType, outShape, data)

    let sumAxes (axes: int[]) (keepDims: bool) (t: RawTensor) =
        let kept =
            if axes.Length = t.Rank && t.IsFloat then
                let s =
                    match t.Data with
                    | :? (float32[]) as a -> RawTensor(t.DType, Array.create t.Rank 1, [| TensorPrimitives.Sum(ReadOnlySpan a) |])
                    | :? (float[]) as a -> RawTensor(t.DType, Array.create t.Rank 1, [| TensorPrimitives.Sum(ReadOnlySpan a) |])
                    | _ -> t
                s
            else Array.fold (fun acc ax -> sumAxisKeep ax acc) t axes
        if keepDims then kept else reshape (Shape.reduced t.Shape axes false) kept

    let sumTo (shape: int[]) (t: RawTensor) =
        if Shape.equal shape t.Shape then t
        else
            let off = t.Rank - shape.Length
            let axes =
                [| for i in 0 .. t.Rank - 1 do
                     if i < off || (shape.[i - off] = 1 && t.Shape.[i] <> 1) then yield i |]
            let s = sumAxes axes true t
            reshape (Array.copy shape) s


let constant (r: RawTensor) = Plain r
let zerosLike (t: Tensor) = Plain(Storage.zeros t.DType t.Shape)
let onesLike (t: Tensor) = Plain(Storage.ones t.DType t.Shape)
let scalarLike (t: Tensor) (v: float) = Plain(Storage.scalar t.DType v)

let inline internal atLevel (tag: int64) (t: Tensor) = if t.Level = tag then t.Primal else t

let requireFloat (op: string) (x: Tensor) =
    if not x.IsFloat then
        invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (string x.DType))

let private opError (op: string) (msg: string) = invalidArg "x" (op + ": " + msg)

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private addPrimCell = PrimCell<BinaryPrim>()

/// A unary primitive on a plain value: its scalar rule for a float scalar, else its kernel.
let rec private plainUnary (p: UnaryPrim) (r: RawTensor) : Tensor =
    if r.Rank = 0 && r.IsFloat && p.HasScalarRules then Plain(Storage.floatScalar r.DType (p.ScalarApply(r.DType, Storage.floatAt0 r)))
    else Plain(p.Kernel r)

/// A binary primitive on plain values: plain float scalars of one dtype take the primitive's scalar rule (no
/// broadcasting, no kernel dispatch), everything else its kernel.
and private plainBinary (p: BinaryPrim) (x: RawTensor) (y: RawTensor) : Tensor =
    if x.Rank = 0 && y.Rank = 0 && x.DType = y.DType && x.IsFloat && p.HasScalarRules then
        Plain(Storage.floatScalar x.DType (p.ScalarForward(Storage.floatAt0 x, Storage.floatAt0 y)))
    else Plain(p.Kernel(x, y))

and inline internal scalarBelow (tag: int64) (t: Tensor) : voption<struct (float * DType)> =
    let plain (r: RawTensor) = if r.Rank = 0 && r.IsFloat then ValueSome(struct (Storage.floatAt0 r, r.DType)) else ValueNone
    match t with
    | RecordedScalar(v, dtype, _, _, _, tg, _) when tg = tag -> ValueSome(struct (v, dtype))
    | Recorded(Plain r, _, _, _, tg, _) when tg = tag -> plain r
    | Plain r -> plain r
    | _ -> ValueNone

/// Records a unary primitive on the reverse node x (tag `tag`, id `id`): an inline scalar node when the scalar rule
/// applies, else a node over the primitive applied one level down.
and private recordUnary (p: UnaryPrim) (x: Tensor) (tag: int64) (id: int64) : Tensor =
    match (if p.HasScalarRules then scalarBelow tag x else ValueNone) with
    | ValueSome(struct (v, dtype)) -> RecordedScalar(p.ScalarApply(dtype, v), dtype, p, x, Unchecked.defaultof<_>, tag, NodeIds.Above id)
    | ValueNone ->
        let xp = x.Primal
        let y = match xp with Plain r -> plainUnary p r | _ -> unary p xp
        Recorded(y, p, x, Unchecked.defaultof<_>, tag, NodeIds.Above id)

and unary (p: UnaryPrim) (x: Tensor) : Tensor =
    match x with
    | RecordedScalar(_, _, _, _, _, tag, id) | Recorded(_, _, _, _, tag, id) -> recordUnary p x tag id
    | Plain r -> plainUnary p r
    | DualNumber(xp, dx, tag) -> let y = unary p xp in DualNumber(y, p.Jvp(xp, y, dx), tag)

/// `binary` one perturbation level down, where the values are usually plain.
and private binaryBelow (p: BinaryPrim) (a: Tensor) (b: Tensor) : Tensor =
    match a, b with
    | Plain x, Plain y -> plainBinary p x y
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
                ValueSome(struct (Storage.roundTo da (p.ScalarForward(va, vb)), da))
            | _ -> ValueNone
    match scalar with
    | ValueSome(struct (v, dtype)) -> RecordedScalar(v, dtype, p, a, b, tag, id)
    | ValueNone ->
        Recorded(binaryBelow p (atLevel tag a) (atLevel tag b), p, a, b, tag, id)

and binary (p: BinaryPrim) (a: Tensor) (b: Tensor) : Tensor =
    let ta = a.Level
    let tb = b.Level
    if ta = 0L && tb = 0L then
        match a, b with
        | Plain x, Plain y -> plainBinary p x y
        | _ -> invalidOp "unreachable"
    elif ta = tb then
        match a, b with
        | DualNumber(ap, da, tag), DualNumber(bp, db, _) ->
            let y = binary p ap bp
            DualNumber(y, add (p.JvpA(ap, bp, y, da)) (p.JvpB(ap, bp, y, db)), tag)
        | (Recorded _ | RecordedScalar _), (Recorded _ | RecordedScalar _) -> recordBinary p a b ta
        | _ -> invalidOp (sprintf "%s: one perturbation tag is carried by both a dual number and a reverse node" p.Name)
    elif ta > tb then
        match a with
        | DualNumber(ap, da, tag) -> let y = binary p ap b in DualNumber(y, p.JvpA(ap, b, y, da), tag)
        | Recorded _ | RecordedScalar _ -> recordBinary p a b ta
        | Plain _ -> invalidOp "unreachable"
    else
        match b with
        | DualNumber(bp, db, tag) -> let y = binary p a bp in DualNumber(y, p.JvpB(a, bp, y, db), tag)
        | Recorded _ | RecordedScalar _ -> recordBinary p a b tb
        | Plain _ -> invalidOp "unreachable"

and nary (p: NaryPrim) (xs: Tensor[]) : Tensor =
    let tag = xs |> Array.fold (fun m x -> max m x.Level) 0L
    if tag = 0L then Plain(p.Kernel(xs |> Array.map (fun x -> x.Raw)))
    else
        let ps = xs |> Array.map (atLevel tag)
        let y = nary p ps
        match xs |> Array.find (fun x -> x.Level = tag) with
        | DualNumber _ ->
            let dxs = xs |> Array.map (fun x -> match x with DualNumber(_, d, t) when t = tag -> Some d | _ -> None)
            DualNumber(y, p.Jvp(ps, y, dxs), tag)
        | _ -> Recorded(y, NaryCall(p, xs), Unchecked.defaultof<_>, Unchecked.defaultof<_>, tag, NodeIds.Above(xs |> Array.fold (fun m x -> max m x.NodeId) 0L))

// ------------------------------------------------------------------------- shape plumbing

and broadcastTo (shape: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        let target = Shape.broadcast "BroadcastTo" x.Shape shape
        if not (Shape.equal target shape) then
            opError "BroadcastTo" (sprintf "cannot broadcast shape %s to %s" (Shape.format x.Shape) (Shape.format shape))
        let shape = Array.copy shape
        unary { new UnaryPrim("BroadcastTo") with
                  member _.Kernel r = Kernels.broadcastTo shape r
                  member _.Jvp(_, _, dx) = broadcastTo shape dx
                  member _.Vjp(x, _, g) = sumTo x.Shape g } x

and sumTo (shape: int[]) (x: Tensor) : Tensor =
    if Shape.equal shape x.Shape then x
    else
        let shape = Array.copy shape
        unary { new UnaryPrim("SumTo") with
                  member _.Kernel r = Kernels.sumTo shape r
                  member _.Jvp(_, _, dx) = sumTo shape dx
                  member _.Vjp(x, _, g) = broadcastTo x.Shape g } x

/// Reshapes (one -1 allowed). Linear: d(reshape x) = reshape dx.

// ------------------------------------------------------------------------- arithmetic

and add (a: Tensor) (b: Tensor) : Tensor = binary (addPrim ()) a b
and addPrim () : BinaryPrim =
    addPrimCell.Get(fun () ->
        { new BinaryPrim("Add") with
            member _.IsElementwise = true
            member _.Kernel(x, y) = Kernels.add x y
            member _.JvpA(_, _, y, da) = broadcastTo y.Shape da
            member _.JvpB(_, _, y, db) = broadcastTo y.Shape db
            member _.VjpA(a, _, _, g) = sumTo a.Shape g
            member _.VjpB(_, b, _, g) = sumTo b.Shape g
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a + b
            member _.ScalarVjpA(_, _, _, g) = g
            member _.ScalarVjpB(_, _, _, g) = g })

/// a - b with broadcasting. d = da - db.
