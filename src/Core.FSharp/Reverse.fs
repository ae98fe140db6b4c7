/// The reverse sweep: iterative (never recursive), popping nodes by decreasing id from a heap of pending adjoint
/// contributions local to the sweep, so one recorded graph serves any number of sweeps and threads.
module internal Nabla.Core.Reverse

open System.Collections.Generic
open System.Runtime.CompilerServices
open Nabla.Core.Combinators


/// The nodes carrying `tag` that `root` depends on, in creation (topological) order, not looking past `stopAt`
/// (a node id whose parents are irrelevant, 0 for none). Iterative: no recursion however deep the graph.
let private collectAscending (tag: int64) (root: Tensor) (stopAt: int64) : Tensor[] =
    let nodes = List<Tensor>()
    let visited = HashSet<int64>()
    let stack = Stack<Tensor>()
    let visit (p: Tensor) =
        match p with
        | Recorded(_, _, _, _, t, id) | RecordedScalar(_, _, _, _, _, t, id) when t = tag && visited.Add id -> stack.Push p
        | _ -> ()
    visit root
    while stack.Count > 0 do
        let n = stack.Pop()
        nodes.Add n
        match n with
        | Recorded(_, op, a, b, _, id) | RecordedScalar(_, _, op, a, b, _, id) when id <> stopAt && not (isNull op) ->
            match op.Arity with
            | 1 -> visit a
            | 2 -> visit a; visit b
            | _ -> for x in (op :?> NaryCall).Operands do visit x
        | _ -> ()
    // Children are created after their parents, so ascending ids is a topological order
    // (sorted by a key array: no comparer closure per comparison).
    let order = nodes.ToArray()
    let keys = Array.zeroCreate order.Length
    for i in 0 .. order.Length - 1 do keys.[i] <- order.[i].NodeId
    System.Array.Sort(keys, order)
    order

/// Where an operand's adjoint contribution goes in a sweep (`Sweep.Operand`): nowhere (the operand is not on this tape,
/// or is a leaf nobody asked for), into the frontier (an interior node), or, for a value k >= 0, into the sum of the
/// k-th wanted leaf.
[<Literal>]
let private Nowhere = -2
[<Literal>]
let private ToFrontier = -1

/// The raw value of a plain rank-0 float tensor, else null: the values the scalar fast path of the sweep handles.
let private plainScalar (t: Tensor) =
    match t with
    | Plain r when r.Rank = 0 && r.IsFloat -> r
    | _ -> null


/// One adjoint contribution waiting in the sweep's frontier: to node `Node` (id `Id`), either the plain scalar
/// `Scalar` (when `Value` is null) or the tensor `Value`. `Owned`: `Value` is a plain tensor this sweep made by
/// summing contributions and has not handed to anybody yet, so further contributions may be added into it in place.
/// `Pending`: a marker only, saying that the node's tensor contributions are being summed in the sweep's pending map.
[<Struct; NoEquality; NoComparison>]
type private Contribution =
    { Id: int64
      Node: Tensor
      Scalar: float
      Value: Tensor
      Owned: bool
      Pending: bool }

/// A max-heap of contributions by node id. Children are created after their parents, so popping the largest id
/// visits the nodes in reverse topological order, and every contribution to a node is popped together with the
/// others to it (they are adjacent in pop order): no collection pass, no visited set, no sort, no adjoint map.
[<Sealed>]
type private Frontier() =
    let mutable items: Contribution[] = Array.zeroCreate 16
    let mutable count = 0
    member _.Count = count
    member _.TopId = items.[0].Id
    member _.Push(c: Contribution) =
        if count = items.Length then System.Array.Resize(&items, 2 * count)
        let mutable i = count
        count <- count + 1
        let mutable moving = true
        while moving && i > 0 do
            let parent = (i - 1) / 2
            if items.[parent].Id < c.Id then
                items.[i] <- items.[parent]
                i <- parent
            else moving <- false
        items.[i] <- c
    member _.Pop() : Contribution =
        let top = items.[0]
        count <- count - 1
        let last = items.[count]
        items.[count] <- Unchecked.defaultof<Contribution>
        if count > 0 then
            let mutable i = 0
            let mutable moving = true
            while moving do
                let l = 2 * i + 1
                if l >= count then moving <- false
                else
                    let c = if l + 1 < count && items.[l + 1].Id > items.[l].Id then l + 1 else l
                    if items.[c].Id > last.Id then
                        items.[i] <- items.[c]
                        i <- c
                    else moving <- false
            items.[i] <- last
        top

/// Adds `c` into `acc`'s array in place when both are dense float tensors of one shape and dtype; false otherwise.
let private tryAddInPlace (acc: RawTensor) (c: RawTensor) =
    if acc.IsInlineScalar || acc.DType <> c.DType || not (Shape.equal acc.Shape c.Shape) then false
    else
        match acc.Data, c.Data with
        | (:? (float[]) as x), (:? (float[]) as y) ->
            System.Numerics.Tensors.TensorPrimitives.Add(System.ReadOnlySpan x, System.ReadOnlySpan y, System.Span x); true
        | (:? (float32[]) as x), (:? (float32[]) as y) ->
            System.Numerics.Tensors.TensorPrimitives.Add(System.ReadOnlySpan x, System.ReadOnlySpan y, System.Span x); true
        | _ -> false

/// The sum of two adjoint contributions to one node of dtype `dtype` (scalars stay unboxed). The first sum of plain
/// tensors makes a fresh tensor that the sweep owns; later contributions are added into it in place (it is handed to
/// no VJP and to no caller before the node's last contribution has arrived).
let private combine (dtype: DType) (acc: Contribution) (c: Contribution) : Contribution =
    if isNull (box acc.Value) && isNull (box c.Value) then { acc with Scalar = Storage.roundTo dtype (acc.Scalar + c.Scalar) }
    else
        let inPlace =
            acc.Owned && not (isNull (box c.Value))
            && (match acc.Value, c.Value with
                | Plain ra, Plain rc -> tryAddInPlace ra rc
                | _ -> false)
        if inPlace then acc
        else
            let a = if isNull (box acc.Value) then Plain(Storage.floatScalar dtype acc.Scalar) else acc.Value
            let b = if isNull (box c.Value) then Plain(Storage.floatScalar dtype c.Scalar) else c.Value
            let sum = add a b
            // `add` of two plain tensors is a fresh result of a kernel (never an operand), so the sweep owns it.
            let owned = match sum with Plain r -> not r.IsInlineScalar | _ -> false
            { acc with Scalar = 0.0; Value = sum; Owned = owned }

/// The state of one reverse sweep (a class, so that its steps are direct calls rather than closures).
[<Sealed>]
type private Sweep(tag: int64, wanted: HashSet<int64>, record: bool) =
    let noTensor = Unchecked.defaultof<Tensor>
    let frontier = Frontier()
    // Adjoints of wanted leaves are summed in `leafAcc` (a leaf may receive very many contributions), found by a
    // scan of `wantedIds` (few) or an index (many).
    let wantedIds = Seq.toArray wanted
    let leafAcc: Contribution[] = Array.zeroCreate wantedIds.Length
    let leafHas: bool[] = Array.zeroCreate wantedIds.Length
    let index =
        if wantedIds.Length <= 16 then null
        else
            let d = Dictionary<int64, int>()
            wantedIds |> Array.iteri (fun i id -> d.[id] <- i)
            d
    let result = Dictionary<int64, Tensor>()
    // Tensor contributions to interior nodes are summed here as they arrive (one buffer per waiting node, however
    // many uses it has); the frontier then holds one marker per such node. Scalar contributions wait in the frontier.
    let pending = Dictionary<int64, Contribution>()
    // Wanted ids are mostly leaves, made before the nodes that use them: nodes above the largest need no lookup.
    let maxWanted = if wantedIds.Length = 0 then 0L else Array.max wantedIds

    /// The slot of a wanted leaf by its node id, or -1 when nobody asked for it.
    member _.WantedSlot(id: int64) =
        if id > maxWanted then -1
        elif isNull index then System.Array.IndexOf(wantedIds, id)
        else match index.TryGetValue id with | true, i -> i | _ -> -1

    /// Sends the adjoint contribution `value` to `p`: a plain scalar goes on as one (`ContributeScalar`); a tensor is
    /// summed into the waiting node's buffer (one frontier marker per node) or into the wanted leaf's sum.
    member s.Contribute(p: Tensor, where: int, value: Tensor) =
        match plainScalar value with
        | null ->
            let pid = p.NodeId
            let c = { Id = pid; Node = p; Scalar = 0.0; Value = value; Owned = false; Pending = false }
            if where = ToFrontier then
                match pending.TryGetValue pid with
                | true, acc -> pending.[pid] <- combine p.DType acc c
                | _ ->
                    pending.[pid] <- c
                    frontier.Push { c with Value = noTensor; Pending = true }
            elif where >= 0 then
                if leafHas.[where] then leafAcc.[where] <- combine p.DType leafAcc.[where] c
                else
                    leafAcc.[where] <- c
                    leafHas.[where] <- true
        | r -> s.ContributeScalar(p, p.NodeId, where, r.DType, Storage.floatAt0 r)

    /// The adjoint of node `y` (any node of its dtype) as a tensor.
    static member AdjointTensor(y: Tensor, c: Contribution) =
        if isNull (box c.Value) then Plain(Storage.floatScalar y.DType c.Scalar) else c.Value

    /// An operand seen from this sweep: where its contribution goes (`Nowhere`, `ToFrontier`, or the slot k >= 0 of a
    /// wanted leaf) and its node id (0 when not on this
    /// tape). Its value one level down is `atLevel tag x`.
    member s.Operand(x: Tensor) : struct (int * int64) =
        match x with
        | RecordedScalar(_, _, _, _, _, t, id) when t = tag -> struct (ToFrontier, id)
        | Recorded(_, op, _, _, t, id) when t = tag ->
            if isNull op then let k = s.WantedSlot id in struct ((if k >= 0 then k else Nowhere), id)
            else struct (ToFrontier, id)
        | _ -> struct (Nowhere, 0L)

    /// Sends the plain scalar contribution `v` (of dtype `dtype`) to node `p` (id `pid`).
    member _.ContributeScalar(p: Tensor, pid: int64, where: int, dtype: DType, v: float) =
        let c = { Id = pid; Node = p; Scalar = v; Value = noTensor; Owned = false; Pending = false }
        if where = ToFrontier then frontier.Push c
        elif where >= 0 then
            if not leafHas.[where] then
                leafAcc.[where] <- c
                leafHas.[where] <- true
            elif isNull (box leafAcc.[where].Value) then
                leafAcc.[where] <- { leafAcc.[where] with Scalar = Storage.roundTo dtype (leafAcc.[where].Scalar + v) }
            else leafAcc.[where] <- combine dtype leafAcc.[where] c

    /// Propagates the summed adjoint `acc` of `node` (made by `op` from the operands `a` and `b` it holds) to its
    /// operands: with the primitive's scalar rules when the adjoint, the node's value and the operands' values are
    /// all plain float scalars (nothing is allocated), else with its VJP.
    member s.Step(node: Tensor, op: NodeOp, a: Tensor, b: Tensor, acc: Contribution) =
        if record then s.StepRecorded(node, op, a, b, acc) else
        // The node's value as a plain scalar, when the adjoint is one too (the scalar rules need both).
        let ys = if isNull (box acc.Value) then scalarBelow tag node else ValueNone
        match op.Arity with
        | 1 ->
            let p = Unsafe.As<UnaryPrim> op
            let struct (wx, xid) = s.Operand a
            if wx <> Nowhere then
                match ys, (if ys.IsSome && p.HasScalarRules then scalarBelow tag a else ValueNone) with
                | ValueSome(struct (yv, dt)), ValueSome(struct (xv, _)) ->
                    s.ContributeScalar(a, xid, wx, dt, p.ScalarAdjoint(dt, xv, yv, acc.Scalar))
                | _ -> s.Contribute(a, wx, p.Vjp(atLevel tag a, node.Primal, Sweep.AdjointTensor(node, acc)))
        | 2 ->
            let p = Unsafe.As<BinaryPrim> op
            let struct (wa, aid) = s.Operand a
            let struct (wb, bid) = s.Operand b
            if wa <> Nowhere || wb <> Nowhere then
                let scalarRules = ys.IsSome && p.HasScalarRules
                match ys, (if scalarRules then scalarBelow tag a else ValueNone), (if scalarRules then scalarBelow tag b else ValueNone) with
                | ValueSome(struct (yv, dt)), ValueSome(struct (av, _)), ValueSome(struct (bv, _)) ->
                    let gv = acc.Scalar
                    if wa <> Nowhere then s.ContributeScalar(a, aid, wa, dt, Storage.roundTo dt (p.ScalarVjpA(av, bv, yv, gv)))
                    if wb <> Nowhere then s.ContributeScalar(b, bid, wb, dt, Storage.roundTo dt (p.ScalarVjpB(av, bv, yv, gv)))
                | _ ->
                    let ap, bp, y = atLevel tag a, atLevel tag b, node.Primal
                    let gt = Sweep.AdjointTensor(node, acc)
                    if wa <> Nowhere then s.Contribute(a, wa, p.VjpA(ap, bp, y, gt))
                    if wb <> Nowhere then s.Contribute(b, wb, p.VjpB(ap, bp, y, gt))
        | _ ->
            let call = Unsafe.As<NaryCall> op
            let xs = call.Operands
            let targets = xs |> Array.map s.Operand
            if targets |> Array.exists (fun struct (w, _) -> w <> Nowhere) then
                let ps = xs |> Array.map (atLevel tag)
                let y = node.Primal
                let gt = Sweep.AdjointTensor(node, acc)
                targets |> Array.iteri (fun i struct (w, _) -> if w <> Nowhere then s.Contribute(xs.[i], w, call.Prim.Vjp(ps, y, gt, i)))

    /// `Step` for a sweep that is itself recorded at `tag`: the rules run on the node and its operands as they are
    /// (not one level down) and never take the scalar path, so the adjoints they make are nodes of `tag` that depend on
    /// the recorded values, and can be differentiated again at the same level (TensorFlow records a persistent tape's
    /// own gradient computation while the tape records).
    member s.StepRecorded(node: Tensor, op: NodeOp, a: Tensor, b: Tensor, acc: Contribution) =
        let gt = Sweep.AdjointTensor(node, acc)
        match op.Arity with
        | 1 ->
            let struct (wx, _) = s.Operand a
            if wx <> Nowhere then s.Contribute(a, wx, (Unsafe.As<UnaryPrim> op).Vjp(a, node, gt))
        | 2 ->
            let p = Unsafe.As<BinaryPrim> op
            let struct (wa, _) = s.Operand a
            let struct (wb, _) = s.Operand b
            if wa <> Nowhere then s.Contribute(a, wa, p.VjpA(a, b, node, gt))
            if wb <> Nowhere then s.Contribute(b, wb, p.VjpB(a, b, node, gt))
        | _ ->
            let call = Unsafe.As<NaryCall> op
            let xs = call.Operands
            xs |> Array.iteri (fun i x ->
                let struct (w, _) = s.Operand x
                if w <> Nowhere then s.Contribute(x, w, call.Prim.Vjp(xs, node, gt, i)))

    member s.Run(root: Tensor, seed: Tensor) =
        let struct (rootTarget, _) = s.Operand root
        if rootTarget <> Nowhere then s.Contribute(root, rootTarget, seed)
        while frontier.Count > 0 do
            let first = frontier.Pop()
            let node = first.Node
            let mutable acc = first
            let mutable has = not first.Pending
            let mutable marked = first.Pending
            while frontier.Count > 0 && frontier.TopId = first.Id do
                let c = frontier.Pop()
                if c.Pending then marked <- true
                elif has then acc <- combine node.DType acc c
                else
                    acc <- c
                    has <- true
            if marked then
                let summed = pending.[first.Id]
                pending.Remove first.Id |> ignore
                acc <- if has then combine node.DType summed acc else summed
            match node with
            | Recorded(_, op, a, b, _, id) | RecordedScalar(_, _, op, a, b, _, id) ->
                if s.WantedSlot id >= 0 then result.[id] <- Sweep.AdjointTensor(node, acc)
                if not (isNull op) then s.Step(node, op, a, b, acc)
            | _ -> ()
        for k in 0 .. wantedIds.Length - 1 do
            if leafHas.[k] then result.[wantedIds.[k]] <- Sweep.AdjointTensor(leafAcc.[k].Node, leafAcc.[k])
        result

/// The sweep itself; `record` chooses `sweepRecorded`'s rules.
let private run (record: bool) (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) =
    match root with
    | Recorded(_, _, _, _, t, _) | RecordedScalar(_, _, _, _, _, t, _) when t = tag ->
        if seed.DType <> root.DType then
            invalidArg "seed" (sprintf "Gradient: the output gradient has dtype %A; expected the target's dtype %A" seed.DType root.DType)
        Sweep(tag, wanted, record).Run(root, seed)
    | _ -> Dictionary<int64, Tensor>()

/// Propagates `seed` (the adjoint of `root`, same shape) back through every node that carries `tag`,
/// and returns the adjoints of the nodes whose ids are in `wanted`. Adjoints of other nodes are
/// dropped as soon as they have been propagated; leaves that are not wanted receive nothing (their
/// contributions are not even computed).
///
/// A plain float scalar adjoint is kept unboxed; a node whose value, operands and adjoint are all plain float scalars
/// and whose primitive has scalar rules propagates with those rules (no tensor is made). Everything else goes through
/// the primitive's VJP, which is recorded on outer scopes when the values carry their perturbations (higher-order
/// derivatives).
let sweep (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) : Dictionary<int64, Tensor> =
    run false tag root seed wanted

/// `sweep`, itself recorded at `tag`: the VJP rules run on the recorded values (not one level down), so each adjoint
/// is a node of `tag` that depends on the recorded leaves and can be differentiated again by a sweep at `tag`
/// (a persistent tape's gradient taken while it records, as TensorFlow records it; any depth). No scalar fast path.
let sweepRecorded (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) : Dictionary<int64, Tensor> =
    run true tag root seed wanted


/// Forward mode over a recorded graph: pushes the tangents in `seeds` (node id -> tangent of that node's value)
/// through the nodes carrying `tag` that lead to `root`, with each primitive's JVP rule, and returns the tangent
/// of `root` (None when root does not depend on a seeded node). One pass costs about one evaluation of the graph;
/// the rules are differentiable operations, so the result is itself recorded on any outer tape.
let forwardSweep (tag: int64) (root: Tensor) (seeds: IDictionary<int64, Tensor>) : Tensor option =
    match root with
    | Recorded(_, _, _, _, t, _) | RecordedScalar(_, _, _, _, _, t, _) when t = tag ->
        let tangents = Dictionary<int64, Tensor>()
        let tangentOf (p: Tensor) =
            match p with
            | Recorded(_, _, _, _, t, pid) | RecordedScalar(_, _, _, _, _, t, pid) when t = tag ->
                match tangents.TryGetValue pid with
                | true, d -> Some d
                | _ -> None
            | _ -> None
        for n in collectAscending tag root 0L do
            match n with
            | Recorded(_, op, a, b, _, id) | RecordedScalar(_, _, op, a, b, _, id) ->
                match seeds.TryGetValue id with
                | true, s -> tangents.[id] <- s
                | _ ->
                    let y = n.Primal
                    let d =
                        if isNull op then None
                        else
                        match op.Arity with
                        | 1 -> let p = op :?> UnaryPrim in tangentOf a |> Option.map (fun dx -> p.Jvp(atLevel tag a, y, dx))
                        | 2 ->
                            let p = op :?> BinaryPrim
                            let ap = atLevel tag a
                            let bp = atLevel tag b
                            match tangentOf a, tangentOf b with
                            | None, None -> None
                            | Some da, None -> Some(p.JvpA(ap, bp, y, da))
                            | None, Some db -> Some(p.JvpB(ap, bp, y, db))
                            | Some da, Some db -> Some(add (p.JvpA(ap, bp, y, da)) (p.JvpB(ap, bp, y, db)))
                        | _ ->
                            let call = op :?> NaryCall
                            let p, xs = call.Prim, call.Operands
                            let dxs = xs |> Array.map tangentOf
                            if dxs |> Array.forall Option.isNone then None
                            else Some(p.Jvp(xs |> Array.map (atLevel tag), y, dxs))
                    match d with
                    | Some d -> tangents.[id] <- d
                    | None -> ()
            | _ -> ()
        tangentOf root
    | _ -> None

/// True when every node between `root` and the node `sourceId` (all carrying `tag`) is an element-wise
/// primitive whose result has `shape`: the Jacobian of root with respect to that source is then diagonal.
let isElementwisePath (tag: int64) (root: Tensor) (sourceId: int64) (shape: int[]) : bool =
    let nodes = collectAscending tag root sourceId
    nodes
    |> Seq.forall (fun n ->
        match n with
        | Recorded(_, _, _, _, _, id) | RecordedScalar(_, _, _, _, _, _, id) when id = sourceId -> true
        | Recorded(_, null, _, _, _, _) -> true
        | Recorded(_, op, _, _, _, _) | RecordedScalar(_, _, op, _, _, _, _) when op.Arity > 0 -> op.IsElementwise && Shape.equal n.Shape shape
        | _ -> false)

/// True when `root` (a node carrying `tag`) depends on the node `sourceId` through nodes carrying `tag`.
let dependsOn (tag: int64) (root: Tensor) (sourceId: int64) : bool =
    collectAscending tag root sourceId |> Seq.exists (fun n -> n.NodeId = sourceId)
