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

/// Propagates `seed` (the adjoint of `root`, same shape) back through every node that carries `tag`,
/// and returns the adjoints of the nodes whose ids are in `wanted`. Adjoints of other nodes are
/// dropped as soon as they have been propagated.
let sweep (tag: int64) (root: Tensor) (seed: Tensor) (wanted: HashSet<int64>) : Dictionary<int64, Tensor> =
    let result = Dictionary<int64, Tensor>()
    match root with
    | TR(_, _, t, rootId) when t = tag ->
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
            | TR(_, back, _, _) ->
                match back with
                | Leaf -> ()
                | Unary(_, x) -> visit x
                | Binary(_, a, b) -> visit a; visit b
                | Nary(_, xs) -> for x in xs do visit x
            | _ -> ()
        // Children are created after their parents, so descending ids is a topological order.
        nodes.Sort(fun a b -> compare (nodeId b) (nodeId a))
        let adj = Dictionary<int64, Tensor>()
        adj.[rootId] <- seed
        let accumulate (p: Tensor) (contribution: unit -> Tensor) =
            match p with
            | TR(_, _, t, pid) when t = tag ->
                let c = contribution ()
                match adj.TryGetValue pid with
                | true, old -> adj.[pid] <- add old c
                | _ -> adj.[pid] <- c
            | _ -> ()
        for n in nodes do
            match n with
            | TR(y, back, _, id) ->
                match adj.TryGetValue id with
                | true, g ->
                    if wanted.Contains id then result.[id] <- g
                    adj.Remove id |> ignore
                    match back with
                    | Leaf -> ()
                    | Unary(p, x) -> accumulate x (fun () -> p.Vjp(atLevel tag x, y, g))
                    | Binary(p, a, b) ->
                        let ap = atLevel tag a
                        let bp = atLevel tag b
                        accumulate a (fun () -> p.VjpA(ap, bp, y, g))
                        accumulate b (fun () -> p.VjpB(ap, bp, y, g))
                    | Nary(p, xs) ->
                        let ps = xs |> Array.map (atLevel tag)
                        xs |> Array.iteri (fun i x -> accumulate x (fun () -> p.Vjp(ps, y, g, i)))
                | _ -> ()
            | _ -> ()
    | _ -> ()
    result
