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
/// (a node id whose parents are irrelevant, 0 for none). Iterative: no recursion however deep the graph.
let private collectAscending (tag: int64) (root: Tensor) (stopAt: int64) : Tensor[] =
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
    System.Array.Sort(order |> Array.map nodeId, order)
    order

/// Propagates `seed` (the adjoint of `root`, same shape) back through every node that carries `tag`,
/// and returns the adjoints of the nodes whose ids are in `wanted`. Adjoints of other nodes are
/// dropped as soon as they have been propagated.
let sweep (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) : Dictionary<int64, Tensor> =
    let result = Dictionary<int64, Tensor>()
    match root with
    | TR(_, _, t, rootId) when t = tag ->
        let order = collectAscending tag root 0L
        let adj = Dictionary<int64, Tensor>()
        adj.[rootId] <- seed
        // Contributions are computed only for parents on this tape (checked first, so no closure is needed).
        let onTape (p: Tensor) = match p with TR(_, _, t, _) -> t = tag | _ -> false
        let accumulate (p: Tensor) (c: Tensor) =
            let pid = nodeId p
            match adj.TryGetValue pid with
            | true, old -> adj.[pid] <- add old c
            | _ -> adj.[pid] <- c
        for k in order.Length - 1 .. -1 .. 0 do
            match order.[k] with
            | TR(y, back, _, id) ->
                match adj.TryGetValue id with
                | true, g ->
                    if wanted.Contains id then result.[id] <- g
                    adj.Remove id |> ignore
                    match back with
                    | Leaf -> ()
                    | Unary(p, x) -> if onTape x then accumulate x (p.Vjp(atLevel tag x, y, g))
                    | Binary(p, a, b) ->
                        let ap = atLevel tag a
                        let bp = atLevel tag b
                        if onTape a then accumulate a (p.VjpA(ap, bp, y, g))
                        if onTape b then accumulate b (p.VjpB(ap, bp, y, g))
                    | Nary(p, xs) ->
                        let ps = xs |> Array.map (atLevel tag)
                        for i in 0 .. xs.Length - 1 do
                            if onTape xs.[i] then accumulate xs.[i] (p.Vjp(ps, y, g, i))
                | _ -> ()
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
