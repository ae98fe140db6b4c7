module Nabla.Core.Derivatives

open System.Collections.Generic
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout
open Nabla.Core.Reductions

let internal watch (tag: int64) (x: Tensor) = Tensor.Leaf(x, tag, NodeIds.Above 0L)

let internal dual (tag: int64) (x: Tensor) (v: Tensor) = DualNumber(x, v, tag)

let private requireFloat (op: string) (x: Tensor) =
    if not x.IsFloat then
        invalidArg "x" (sprintf "%s: cannot differentiate with respect to a %s tensor; expected Float32 or Float64" op (string x.DType))


let vjp (f: Tensor -> Tensor) (x: Tensor) : Tensor * (Tensor -> Tensor) =
    requireFloat "vjp" x
    let tag = Tags.next ()
    let xn = watch tag x
    let y = f xn
    let value = atLevel tag y
    let pullback (v: Tensor) =
        if not (Shape.equal v.Shape value.Shape) then
            invalidArg "v" (sprintf "vjp: cotangent has shape %s; expected the output's shape %s" (Shape.format v.Shape) (Shape.format value.Shape))
        let id = xn.NodeId
        let adj = Reverse.sweep tag y v (HashSet [ id ])
        match adj.TryGetValue id with
        | true, g -> g
        | _ -> zerosLike x
    value, pullback

let valueAndGrad (f: Tensor -> Tensor) (x: Tensor) : Tensor * Tensor =
    let value, pullback = vjp f x
    value, pullback (onesLike value)

let grad (f: Tensor -> Tensor) (x: Tensor) : Tensor = snd (valueAndGrad f x)

let jvp (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) : Tensor * Tensor =
    requireFloat "jvp" x
    if not (Shape.equal v.Shape x.Shape) then
        invalidArg "v" (sprintf "jvp: tangent has shape %s; expected the input's shape %s" (Shape.format v.Shape) (Shape.format x.Shape))
    let tag = Tags.next ()
    match f (dual tag x v) with
    | DualNumber(p, t, tg) when tg = tag -> p, t
    | y -> y, zerosLike y

let diff (f: Tensor -> Tensor) (x: Tensor) : Tensor = snd (jvp f x (onesLike x))

let rec diffn (n: int) (f: Tensor -> Tensor) (x: Tensor) : Tensor =
    if n < 0 then invalidArg "n" (sprintf "diffn: order %d is negative" n)
    elif n = 0 then f x
    else diff (diffn (n - 1) f) x

let jacobian (f: Tensor -> Tensor) (x: Tensor) : Tensor =
    requireFloat "jacobian" x
    let n = x.Size
    let xShape = x.Shape
    let basis (shape: int[]) (i: int) =
        let r = Storage.zeros x.DType shape
        match r.Data with
        | :? (float[]) as a -> a.[i] <- 1.0
        | :? (float32[]) as a -> a.[i] <- 1.0f
        | _ -> ()
        Plain r
    let value, pullback = vjp f x
    Shape.checkedSize "Jacobian" (Array.append value.Shape xShape) |> ignore
    let m = value.Size
    if m < n then
        let rows = Array.init m (fun i -> reshape [| 1; n |] (pullback (basis value.Shape i)))
        if m = 0 then Plain(Storage.zeros x.DType (Array.append value.Shape xShape))
        else reshape (Array.append value.Shape xShape) (concat 0 rows)
    else
        let cols = Array.init n (fun j -> reshape [| m; 1 |] (snd (jvp f x (basis xShape j))))
        if n = 0 then Plain(Storage.zeros x.DType (Array.append value.Shape xShape))
        else reshape (Array.append value.Shape xShape) (concat 1 cols)

let hessian (f: Tensor -> Tensor) (x: Tensor) : Tensor = jacobian (grad f) x

let hvp (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) : Tensor = snd (jvp (grad f) x v)
