/// The F# derivative API: plain functions over `Tensor -> Tensor`. Every transform draws a fresh tag,
/// so transforms nest to any order and in any mix of modes without perturbation confusion.
module Nabla.Core.Derivatives

open System.Collections.Generic
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout
open Nabla.Core.Reductions

/// Makes x a fresh reverse-mode leaf at `tag`.
let internal watch (tag: int64) (x: Tensor) = Tensor.Leaf(x, tag, NodeIds.Above 0L)

/// Makes x a dual number at `tag` with tangent v.
let internal dual (tag: int64) (x: Tensor) (v: Tensor) = DualNumber(x, v, tag)

let private requireFloat (op: string) (x: Tensor) =
    if not x.IsFloat then
        invalidArg "x" (sprintf "%s: cannot differentiate with respect to a %s tensor; expected Float32 or Float64" op (string x.DType))


/// The value of f at x and a function from an output cotangent (same shape as f x) to the input cotangent.
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

/// f(x) and the gradient of the sum of f's elements at x.
let valueAndGrad (f: Tensor -> Tensor) (x: Tensor) : Tensor * Tensor =
    let value, pullback = vjp f x
    value, pullback (onesLike value)

/// The gradient of the sum of f's elements at x (reverse mode).
let grad (f: Tensor -> Tensor) (x: Tensor) : Tensor = snd (valueAndGrad f x)

/// f(x) and the directional derivative of f at x along v (forward mode).
let jvp (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) : Tensor * Tensor =
    requireFloat "jvp" x
    if not (Shape.equal v.Shape x.Shape) then
        invalidArg "v" (sprintf "jvp: tangent has shape %s; expected the input's shape %s" (Shape.format v.Shape) (Shape.format x.Shape))
    let tag = Tags.next ()
    match f (dual tag x v) with
    | DualNumber(p, t, tg) when tg = tag -> p, t
    | y -> y, zerosLike y

/// The derivative of f at x along all-ones (for a scalar x, df/dx), forward mode.
let diff (f: Tensor -> Tensor) (x: Tensor) : Tensor = snd (jvp f x (onesLike x))

/// The n-th derivative of a scalar function (forward mode nested n times).
let rec diffn (n: int) (f: Tensor -> Tensor) (x: Tensor) : Tensor =
    if n < 0 then invalidArg "n" (sprintf "diffn: order %d is negative" n)
    elif n = 0 then f x
    else diff (diffn (n - 1) f) x

/// The Jacobian of f at x, shaped f(x).Shape ++ x.Shape. Reverse mode (one sweep per output element)
/// when the output is smaller than the input, forward mode (one pass per input element) otherwise.
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

/// The Hessian of a scalar f at x (forward-over-reverse: the Jacobian of the gradient), shaped x.Shape ++ x.Shape.
let hessian (f: Tensor -> Tensor) (x: Tensor) : Tensor = jacobian (grad f) x

/// The Hessian-vector product H v of a scalar f at x, forward-over-reverse.
let hvp (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) : Tensor = snd (jvp (grad f) x v)
