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

/// The watched leaf or dual `t` with its primal replaced by `primal` (same tag, tangent and node id), used when an
/// older scope starts watching a value that a newer scope already perturbs.
let internal rewrap (primal: Tensor) (t: Tensor) =
    match t with
    | Recorded(_, null, _, _, tag, id) -> Tensor.Leaf(primal, tag, id)
    | DualNumber(_, tangent, tag) -> DualNumber(primal, tangent, tag)
    | _ -> t

/// `t` without the perturbation levels whose tags `keep` rejects, at every depth of its tower: a rejected level is
/// replaced by the value below it; a kept reverse node is rebuilt over its stripped value (same tag, operation,
/// operands and node id, so sweeps still meet it), a kept dual over its stripped primal and tangent. The operands a
/// node holds are left as they are: its rules run on them when it is differentiated, so scopes active then see those
/// rules. Returns `t` itself when nothing is removed (then nothing is allocated).
let rec strip (keep: int64 -> bool) (t: Tensor) : Tensor =
    match t with
    | Plain _ -> t
    | RecordedScalar(v, dtype, _, _, _, tag, _) -> if keep tag then t else Plain(Storage.floatScalar dtype v)
    | Recorded(p, op, a, b, tag, id) ->
        let p' = strip keep p
        if not (keep tag) then p'
        elif obj.ReferenceEquals(p, p') then t
        else Recorded(p', op, a, b, tag, id)
    | DualNumber(p, d, tag) ->
        let p' = strip keep p
        if not (keep tag) then p'
        else
            let d' = strip keep d
            if obj.ReferenceEquals(p, p') && obj.ReferenceEquals(d, d') then t else DualNumber(p', d', tag)

/// Cuts a reverse node loose from its graph in place (operation and operands cleared: it becomes a leaf that holds
/// its value), through a setter emitted once for each node form (the fields are read-only to F#), or None when the
/// runtime does not allow it. Only `cut` calls it, on nodes of a tag that no sweep can visit any more.
let private cutters : System.Action<Tensor>[] option =
    try
        let flags = System.Reflection.BindingFlags.Instance ||| System.Reflection.BindingFlags.NonPublic ||| System.Reflection.BindingFlags.Public
        let nested = typeof<Tensor>.GetNestedTypes(flags)
        [| "Recorded"; "RecordedScalar" |]
        |> Array.map (fun name ->
            let case = nested |> Array.find (fun t -> t.Name = name)
            let dm = System.Reflection.Emit.DynamicMethod("Cut" + name, null, [| typeof<Tensor> |], typeof<Tensor>.Module, true)
            let il = dm.GetILGenerator()
            for field in [ "_op"; "_a"; "_b" ] do
                let f = case.GetField(field, flags)
                if isNull f then failwithf "no field %s in %s" field name
                il.Emit(System.Reflection.Emit.OpCodes.Ldarg_0)
                il.Emit(System.Reflection.Emit.OpCodes.Castclass, case)
                il.Emit(System.Reflection.Emit.OpCodes.Ldnull)
                il.Emit(System.Reflection.Emit.OpCodes.Stfld, f)
            il.Emit(System.Reflection.Emit.OpCodes.Ret)
            dm.CreateDelegate(typeof<System.Action<Tensor>>) :?> System.Action<Tensor>)
        |> Some
    with _ -> None

/// Cuts the reverse node `node` loose from its graph in place, once the scope of its tag has released its recording
/// (no sweep at that tag will run again): its operation and operands are cleared, so it becomes a leaf that holds its
/// value, and the graph is no longer reachable through it. Nothing is allocated. Safe because only a sweep at the
/// node's tag follows those links; its value, and the nodes of other tags above and below it, are unchanged. False
/// when the runtime does not allow it (the node is then left as it is).
let cut (node: Tensor) : bool =
    match cutters with
    | Some cs ->
        match node with
        | Recorded(_, op, _, _, _, _) when not (isNull op) -> cs.[0].Invoke node
        | RecordedScalar _ -> cs.[1].Invoke node
        | _ -> ()
        true
    | None -> false

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

// ------------------------------------------------------------------------- Jacobians of a recorded graph

/// The unit tensor e_i of a shape (a one at flat index i).
let internal unitAt (dtype: DType) (shape: int[]) (i: int) =
    let r = Storage.zeros dtype shape
    match r.Data with
    | :? (float[]) as a -> a.[i] <- 1.0
    | :? (float32[]) as a -> a.[i] <- 1.0f
    | _ -> invalidArg "dtype" (sprintf "jacobian: dtype %A is not differentiable" dtype)
    Plain r

/// Ones at column j of every batch row of a [b, n] layout, viewed as `shape`.
let private unitColumn (dtype: DType) (shape: int[]) (b: int) (n: int) (j: int) =
    let r = Storage.zeros dtype shape
    match r.Data with
    | :? (float[]) as a -> for k in 0 .. b - 1 do a.[k * n + j] <- 1.0
    | :? (float32[]) as a -> for k in 0 .. b - 1 do a.[k * n + j] <- 1.0f
    | _ -> invalidArg "dtype" (sprintf "jacobian: dtype %A is not differentiable" dtype)
    Plain r

/// Lays K pieces, each holding B x P values, out as [B, K, P] (`alongRows`) or [B, P, K]. Plain pieces are copied
/// straight into one buffer; perturbed ones (a Jacobian taken while an outer tape records) are joined with
/// differentiable operations so the outer tape sees them.
let private assemble (dtype: DType) (pieces: Tensor[]) (b: int) (p: int) (alongRows: bool) : Tensor =
    let k = pieces.Length
    let shape = if alongRows then [| b; k; p |] else [| b; p; k |]
    if k = 0 || b * p = 0 then Plain(Storage.zeros dtype shape)
    elif pieces |> Array.forall (fun t -> t.Level = 0L) then
        let r = Storage.zeros dtype shape
        let place (dst: 'T[]) (src: int -> 'T[]) =
            for piece in 0 .. k - 1 do
                let s = src piece
                for bb in 0 .. b - 1 do
                    for q in 0 .. p - 1 do
                        let idx = if alongRows then (bb * k + piece) * p + q else (bb * p + q) * k + piece
                        dst.[idx] <- s.[bb * p + q]
        match r.Data with
        | :? (float[]) as a -> place a (fun i -> (Storage.cast DType.Float64 pieces.[i].Raw).Data :?> float[])
        | :? (float32[]) as a -> place a (fun i -> (Storage.cast DType.Float32 pieces.[i].Raw).Data :?> float32[])
        | _ -> invalidArg "dtype" (sprintf "jacobian: dtype %A is not differentiable" dtype)
        Plain r
    else
        let pieceShape = if alongRows then [| b; 1; p |] else [| b; p; 1 |]
        concat (if alongRows then 1 else 2) (pieces |> Array.map (reshape pieceShape))

/// The Jacobian of a recorded `root` (a node carrying `tag`) with respect to the recorded node `source`, shaped
/// root.Shape ++ source.Shape. With `batch` the first axes of both are a batch axis of equal length whose rows are
/// independent, and the result is [b] ++ root.Shape[1..] ++ source.Shape[1..] (TensorFlow's `batch_jacobian`).
///
/// Work: one reverse sweep when root depends on source element by element (the Jacobian is diagonal); otherwise
/// one reverse sweep per root (row) element or one forward sweep per source (row) element, whichever is fewer.
/// With `record` the sweeps are themselves recorded at `tag` (`Reverse.sweepRecorded`; reverse sweeps only), so the
/// Jacobian can be differentiated again at that level.
let recordedJacobian (tag: int64) (root: Tensor) (source: Tensor) (batch: bool) (record: bool) : Tensor =
    let dtype = root.DType
    let sourceId = source.NodeId
    let tShape = root.Shape
    let sShape = source.Shape
    let b = if batch then tShape.[0] else 1
    let m = if b = 0 then 0 else Shape.size tShape / b
    let n = if b = 0 then 0 else Shape.size sShape / b
    let outShape =
        if batch then Array.concat [ [| b |]; tShape.[1..]; sShape.[1..] ]
        else Array.append tShape sShape
    Shape.checkedSize (if batch then "BatchJacobian" else "Jacobian") outShape |> ignore
    let wanted = HashSet [ sourceId ]
    let pullback (seed: Tensor) =
        let adj = (if record then Reverse.sweepRecorded else Reverse.sweep) tag root seed wanted
        match adj.TryGetValue sourceId with
        | true, g -> cast dtype g
        | _ -> zerosLike (Plain(Storage.zeros dtype sShape))
    if b * m * n = 0 then Plain(Storage.zeros dtype outShape)
    elif Shape.equal tShape sShape && Reverse.isElementwisePath tag root sourceId tShape then
        // diagonal: J[.., i, j] = delta_ij g_j with g the gradient of the sum
        let g = reshape [| b; 1; n |] (pullback (onesLike (atLevel tag root)))
        let eye = Plain(Storage.reshape [| 1; n; n |] (Storage.eye n dtype))
        reshape outShape (mul eye g)
    elif record || m <= n then
        let rows = Array.init m (fun i -> reshape [| b; n |] (pullback (unitColumn dtype tShape b m i)))
        reshape outShape (assemble dtype rows b n true)
    else
        let seeds = Dictionary<int64, Tensor>()
        let cols =
            Array.init n (fun j ->
                seeds.[sourceId] <- unitColumn (source.Primal.DType) sShape b n j
                match Reverse.forwardSweep tag root seeds with
                | Some d -> reshape [| b; m |] (cast dtype d)
                | None -> Plain(Storage.zeros dtype [| b; m |]))
        reshape outShape (assemble dtype cols b m false)

/// The tangent that the dual number carrying `tag` inside t holds (stepping down through inner perturbations), if any.
let tangentAt (tag: int64) (t: Tensor) : Tensor option =
    let mutable v = t
    while v.Level > tag do v <- v.Primal
    match v with
    | DualNumber(_, d, tg) when tg = tag -> Some d
    | _ -> None
