module Nabla.Core.Control

open System.Collections.Generic
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Reductions

let stopGradient (x: Tensor) : Tensor =
    match x with
    | Plain _ -> x
    | _ -> Plain x.Raw

let customGradient (name: string) (result: RawTensor) (vjp: Tensor -> Tensor[]) (xs: Tensor[]) : Tensor =
    if isNull xs || xs.Length = 0 then invalidArg "xs" (name + ": expected at least one input")
    let checkedVjp (gy: Tensor) =
        let gs = vjp gy
        if isNull gs || gs.Length <> xs.Length then
            invalidOp (sprintf "%s: the gradient function returned %d gradients for %d inputs; expected one per input"
                               name (if isNull gs then 0 else gs.Length) xs.Length)
        gs
        |> Array.mapi (fun i g ->
            let x = xs.[i]
            if isNull (box g) then zerosLike x
            elif not (Shape.equal g.Shape x.Shape) then
                invalidOp (sprintf "%s: the gradient for input %d has shape %s but the input has shape %s; expected the input's shape"
                                   name i (Shape.format g.Shape) (Shape.format x.Shape))
            elif g.DType <> x.DType && x.IsFloat then cast x.DType g
            else g)
    // The sweep asks for operand i's adjoint one operand at a time with the same gy; compute all of them once.
    // (an immutable pair swapped atomically, so concurrent sweeps at worst recompute)
    let last: (Tensor * Tensor[]) option array = [| None |]
    let adjoints (gy: Tensor) =
        match last.[0] with
        | Some(g, r) when obj.ReferenceEquals(g, gy) -> r
        | _ ->
            let r = checkedVjp gy
            last.[0] <- Some(gy, r)
            r
    let prim =
        { new NaryPrim(name) with
            member _.Kernel _ = result
            member _.Vjp(_, _, gy, i) = (adjoints gy).[i]
            member _.Jvp(ps, y, dxs) =
                let u = Tags.next ()
                let g = Tensor.Leaf(zerosLike y, u, NodeIds.Above 0L)
                let rs = checkedVjp g
                let mutable s: Tensor option = None
                for i in 0 .. ps.Length - 1 do
                    match dxs.[i] with
                    | Some dx when ps.[i].IsFloat ->
                        let term = sum null false (mul rs.[i] (cast rs.[i].DType dx))
                        s <- Some(match s with Some a -> add a term | None -> term)
                    | _ -> ()
                let gid = g.NodeId
                match s with
                | Some s ->
                    let adj = Reverse.sweep u s (onesLike (atLevel u s)) (HashSet [ gid ])
                    match adj.TryGetValue gid with
                    | true, t -> t
                    | _ -> zerosLike y
                | None -> zerosLike y }
    nary prim xs
