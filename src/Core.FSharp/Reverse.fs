/// The reverse sweep: iterative (never recursive), in reverse creation order, with adjoints kept in
/// a dictionary local to the sweep, so one recorded graph serves any number of sweeps and threads.
module Nabla.Core.Reverse

open System.Collections.Generic
open Nabla.Core.Ops

/// The id of a reverse node (0 for any other form).
let nodeIdOf (t: Tensor) = match t with TR(_, _, _, id) -> id | _ -> 0L
let private nodeId = nodeIdOf

/// The node carrying `tag` inside t (t itself, or found by stepping down through inner perturbations), if any.
let rec findAtLevel (tag: int64) (t: Tensor) : Tensor option =
    let tg = t.Level
    if tg = tag then (match t with TR _ -> Some t | _ -> None)
    elif tg < tag then None
    else findAtLevel tag t.Primal

/// The nodes carrying `tag` that `root` depends on, in creation (topological) order, not looking past `stopAt`
/// (a node id whose parents are irrelevant, 0 for none), with their ids (ascending, so a node's position is found by
/// binary search). Iterative: no recursion however deep the graph.
let private collectWithIds (tag: int64) (root: Tensor) (stopAt: int64) : Tensor[] * int64[] =
    let nodes = List<Tensor>()
    let visited = HashSet<int64>()
    let stack = Stack<Tensor>()
    let visit (p: Tensor) =
        match p with
        | TR(_, _, t, id) when t = tag && visited.Add id -> stack.Push p
        | _ -> ()
    visit root
    while stack.Count > 0 do
        let n = stack.Pop()
        nodes.Add n
        match n with
        | TR(_, back, _, id) when id <> stopAt ->
            match back with
            | Leaf -> ()
            | Unary(_, x) -> visit x
            | Binary(_, a, b) -> visit a; visit b
            | Nary(_, xs) -> for x in xs do visit x
        | _ -> ()
    // Children are created after their parents, so ascending ids is a topological order
    // (sorted by a key array: no comparer closure per comparison).
    let order = nodes.ToArray()
    let keys = Array.zeroCreate order.Length
    for i in 0 .. order.Length - 1 do keys.[i] <- nodeId order.[i]
    System.Array.Sort(keys, order)
    order, keys

/// The nodes of `collectWithIds` laid out for the sweep. Dense (the usual case: ids of one computation are nearly
/// consecutive): slot = id - Base, with empty slots for ids of unrelated nodes; no sort, no search. Sparse: the sorted
/// arrays, slot found by binary search.
[<NoEquality; NoComparison>]
type private Layout =
    { Nodes: Tensor[]
      Keys: int64[]
      Base: int64
      Dense: bool }
    member l.SlotOf(id: int64) = if l.Dense then int (id - l.Base) else System.Array.BinarySearch(l.Keys, id)

let private layout (tag: int64) (root: Tensor) : Layout =
    let nodes = List<Tensor>()
    let visited = HashSet<int64>()
    let stack = Stack<Tensor>()
    let mutable lo = System.Int64.MaxValue
    let mutable hi = 0L
    let visit (p: Tensor) =
        match p with
        | TR(_, _, t, id) when t = tag && visited.Add id ->
            stack.Push p
            if id < lo then lo <- id
            if id > hi then hi <- id
        | _ -> ()
    visit root
    while stack.Count > 0 do
        let n = stack.Pop()
        nodes.Add n
        match n with
        | TR(_, back, _, _) ->
            match back with
            | Leaf -> ()
            | Unary(_, x) -> visit x
            | Binary(_, a, b) -> visit a; visit b
            | Nary(_, xs) -> for x in xs do visit x
        | _ -> ()
    let count = nodes.Count
    if hi - lo + 1L <= 4L * int64 count + 64L then
        let slots = Array.zeroCreate (int (hi - lo + 1L))
        for n in nodes do slots.[int (nodeId n - lo)] <- n
        { Nodes = slots; Keys = null; Base = lo; Dense = true }
    else
        let order = nodes.ToArray()
        let keys = Array.zeroCreate count
        for i in 0 .. count - 1 do keys.[i] <- nodeId order.[i]
        System.Array.Sort(keys, order)
        { Nodes = order; Keys = keys; Base = 0L; Dense = false }

let private collectAscending (tag: int64) (root: Tensor) (stopAt: int64) : Tensor[] = fst (collectWithIds tag root stopAt)

/// The raw value of a plain rank-0 float tensor, else null: the values the scalar fast path of the sweep handles.
let private plainScalar (t: Tensor) =
    match t with
    | TP r when r.Rank = 0 && r.IsFloat -> r
    | _ -> null

/// Rounds a double to float32 precision for a Float32 value (the scalar fast path computes in double).
let inline private roundTo (dtype: DType) (v: float) = if dtype = DType.Float32 then float (float32 v) else v

/// Propagates `seed` (the adjoint of `root`, same shape) back through every node that carries `tag`,
/// and returns the adjoints of the nodes whose ids are in `wanted`. Adjoints of other nodes are
/// dropped as soon as they have been propagated.
///
/// Adjoints live in arrays indexed by the node's position in creation order. A plain float scalar adjoint is kept
/// unboxed; a node whose value, operands and adjoint are all plain float scalars and whose primitive has scalar rules
/// propagates with those rules (no tensor is made). Everything else goes through the primitive's VJP, which is
/// recorded on outer scopes when the values carry their perturbations (higher-order derivatives).
let sweep (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) : Dictionary<int64, Tensor> =
    let result = Dictionary<int64, Tensor>()
    match root with
    | TR(_, _, t, _) when t = tag ->
        let lay = layout tag root
        let order = lay.Nodes
        let n = order.Length
        // state 0: no adjoint yet; 1: a plain scalar in `scalars` (of the node's dtype); 2: a tensor in `tensors`.
        let state: byte[] = Array.zeroCreate n
        let scalars: float[] = Array.zeroCreate n
        let tensors: Tensor[] = Array.zeroCreate n
        let isWanted: bool[] = Array.zeroCreate n
        for id in wanted do
            let s = lay.SlotOf id
            if s >= 0 && s < n && not (isNull (box order.[s])) && nodeId order.[s] = id then isWanted.[s] <- true
        let slotOf (p: Tensor) = lay.SlotOf(nodeId p)
        // Contributions are computed only for parents on this tape (checked first, so no closure is needed).
        let onTape (p: Tensor) = match p with TR(_, _, t, _) -> t = tag | _ -> false
        let addScalar (s: int) (dtype: DType) (c: float) =
            match state.[s] with
            | 0uy -> scalars.[s] <- c; state.[s] <- 1uy
            | 1uy -> scalars.[s] <- roundTo dtype (scalars.[s] + c)
            | _ -> tensors.[s] <- add tensors.[s] (TP(Raw.floatScalar dtype c))
        let addTensor (p: Tensor) (c: Tensor) =
            let s = slotOf p
            match plainScalar c with
            | null ->
                match state.[s] with
                | 0uy -> tensors.[s] <- c; state.[s] <- 2uy
                | 1uy -> tensors.[s] <- add (TP(Raw.floatScalar p.DType scalars.[s])) c; state.[s] <- 2uy
                | _ -> tensors.[s] <- add tensors.[s] c
            | r -> addScalar s r.DType (Raw.floatAt0 r)
        match plainScalar seed with
        | null -> tensors.[n - 1] <- seed; state.[n - 1] <- 2uy
        | r -> scalars.[n - 1] <- Raw.floatAt0 r; state.[n - 1] <- 1uy
        for k in n - 1 .. -1 .. 0 do
            let st = state.[k]
            if st <> 0uy then
                match order.[k] with
                | TR(y, back, _, id) ->
                    let yr = plainScalar y
                    let g () = if st = 1uy then TP(Raw.floatScalar y.DType scalars.[k]) else tensors.[k]
                    if isWanted.[k] then result.[id] <- g ()
                    match back with
                    | Leaf -> ()
                    | Unary(p, x) ->
                        if onTape x then
                            let xp = atLevel tag x
                            let xr = plainScalar xp
                            if st = 1uy && p.HasScalarRules && not (isNull yr) && not (isNull xr) then
                                addScalar (slotOf x) yr.DType
                                          (roundTo yr.DType (p.ScalarVjp(Raw.floatAt0 xr, Raw.floatAt0 yr, scalars.[k])))
                            else addTensor x (p.Vjp(xp, y, g ()))
                    | Binary(p, a, b) ->
                        let ap = atLevel tag a
                        let bp = atLevel tag b
                        let ar = plainScalar ap
                        let br = plainScalar bp
                        if st = 1uy && p.HasScalarRules && not (isNull yr) && not (isNull ar) && not (isNull br) then
                            let av, bv, yv, gv = Raw.floatAt0 ar, Raw.floatAt0 br, Raw.floatAt0 yr, scalars.[k]
                            let dt = yr.DType
                            if onTape a then addScalar (slotOf a) dt (roundTo dt (p.ScalarVjpA(av, bv, yv, gv)))
                            if onTape b then addScalar (slotOf b) dt (roundTo dt (p.ScalarVjpB(av, bv, yv, gv)))
                        else
                            let gt = g ()
                            if onTape a then addTensor a (p.VjpA(ap, bp, y, gt))
                            if onTape b then addTensor b (p.VjpB(ap, bp, y, gt))
                    | Nary(p, xs) ->
                        let ps = xs |> Array.map (atLevel tag)
                        let gt = g ()
                        for i in 0 .. xs.Length - 1 do
                            if onTape xs.[i] then addTensor xs.[i] (p.Vjp(ps, y, gt, i))
                    tensors.[k] <- Unchecked.defaultof<Tensor>
                | _ -> ()
    | _ -> ()
    result


/// Forward mode over a recorded graph: pushes the tangents in `seeds` (node id -> tangent of that node's value)
/// through the nodes carrying `tag` that lead to `root`, with each primitive's JVP rule, and returns the tangent
/// of `root` (None when root does not depend on a seeded node). One pass costs about one evaluation of the graph;
/// the rules are differentiable operations, so the result is itself recorded on any outer tape.
let forwardSweep (tag: int64) (root: Tensor) (seeds: IDictionary<int64, Tensor>) : Tensor option =
    match root with
    | TR(_, _, t, _) when t = tag ->
        let tangents = Dictionary<int64, Tensor>()
        let tangentOf (p: Tensor) =
            match p with
            | TR(_, _, t, pid) when t = tag ->
                match tangents.TryGetValue pid with
                | true, d -> Some d
                | _ -> None
            | _ -> None
        for n in collectAscending tag root 0L do
            match n with
            | TR(y, back, _, id) ->
                match seeds.TryGetValue id with
                | true, s -> tangents.[id] <- s
                | _ ->
                    let d =
                        match back with
                        | Leaf -> None
                        | Unary(p, x) -> tangentOf x |> Option.map (fun dx -> p.Jvp(atLevel tag x, y, dx))
                        | Binary(p, a, b) ->
                            let ap = atLevel tag a
                            let bp = atLevel tag b
                            match tangentOf a, tangentOf b with
                            | None, None -> None
                            | Some da, None -> Some(p.JvpA(ap, bp, y, da))
                            | None, Some db -> Some(p.JvpB(ap, bp, y, db))
                            | Some da, Some db -> Some(add (p.JvpA(ap, bp, y, da)) (p.JvpB(ap, bp, y, db)))
                        | Nary(p, xs) ->
                            let dxs = xs |> Array.map tangentOf
                            if dxs |> Array.forall Option.isNone then None
                            else Some(p.Jvp(xs |> Array.map (atLevel tag), y, dxs))
                    match d with
                    | Some d -> tangents.[id] <- d
                    | None -> ()
            | _ -> ()
        tangentOf root
    | _ -> None

/// Primitives that map each element independently (the result's element i depends only on element i of
/// each same-shaped operand).
let private isElementwisePrim (name: string) =
    match name with
    | "Add" | "Subtract" | "Multiply" | "Divide" | "Negative" | "Square" | "Sqrt" | "Exp" | "Log" | "Sin" | "Cos"
    | "Tanh" | "Cast" | "Pow" | "Log1p" | "Tan" | "Sigmoid" | "Softplus" | "Relu" | "Abs" | "Sign" | "Maximum"
    | "Minimum" -> true
    | _ -> false

/// True when every node between `root` and the node `sourceId` (all carrying `tag`) is an element-wise
/// primitive whose result has `shape`: the Jacobian of root with respect to that source is then diagonal.
let isElementwisePath (tag: int64) (root: Tensor) (sourceId: int64) (shape: int[]) : bool =
    let nodes = collectAscending tag root sourceId
    nodes
    |> Seq.forall (fun n ->
        match n with
        | TR(_, _, _, id) when id = sourceId -> true
        | TR(_, Leaf, _, _) -> true
        | TR(y, Unary(p, _), _, _) -> isElementwisePrim p.Name && Shape.equal y.Shape shape
        | TR(y, Binary(p, _, _), _, _) -> isElementwisePrim p.Name && Shape.equal y.Shape shape
        | _ -> false)

/// True when `root` (a node carrying `tag`) depends on the node `sourceId` through nodes carrying `tag`.
let dependsOn (tag: int64) (root: Tensor) (sourceId: int64) : bool =
    collectAscending tag root sourceId |> Seq.exists (fun n -> nodeId n = sourceId)
