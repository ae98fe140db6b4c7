/// What a tape, an accumulator or a transform does with the core's perturbation levels (see Tape.fsi).
module Nabla.Core.Tape

open System.Collections.Generic
open System.Runtime.CompilerServices
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout

// ------------------------------------------------------------------------- levels

// The functions an operation calls on each operand and result are marked for inlining, so that the facade's hot
// path pays no call for its common cases (a plain value; a value whose outer level is active).

[<MethodImpl(MethodImplOptions.AggressiveInlining)>]
let newTag () = Tags.next ()

let restartTag (tag: int64) = Tags.successor tag

let isPlain (t: Tensor) = t.Level = 0L

[<MethodImpl(MethodImplOptions.AggressiveInlining)>]
let isOnlyAt (tag: int64) (t: Tensor) =
    tag <> 0L && t.Level = tag && (let u = t.Under in isNull (box u) || u.Level = 0L)

let carries (tag: int64) (t: Tensor) =
    let mutable u = t
    let mutable found = false
    // `Under` rather than `Primal`: an inline scalar node's value below is plain, and stepping there allocates.
    while not found && not (isNull (box u)) && u.Level <> 0L do
        if u.Level = tag then found <- true else u <- u.Under
    found

[<MethodImpl(MethodImplOptions.AggressiveInlining)>]
let plain (t: Tensor) = if t.Level = 0L then t else Plain t.Raw

/// `peel` once the outer level of t is known to be rejected.
let private peelRejected (isActive: int64 -> bool) (t: Tensor) =
    let mutable v = t.Primal
    let mutable level = v.Level
    while level <> 0L && not (isActive level) do
        v <- v.Primal
        level <- v.Level
    v

[<MethodImpl(MethodImplOptions.AggressiveInlining)>]
let peel (isActive: int64 -> bool) (t: Tensor) =
    let level = t.Level
    if level = 0L || isActive level then t else peelRejected isActive t

let peelBelow (tag: int64) (isActive: int64 -> bool) (t: Tensor) =
    let mutable v = t
    let mutable level = v.Level
    while level <> 0L && (level >= tag || not (isActive level)) do
        v <- v.Primal
        level <- v.Level
    v

let rec strip (isActive: int64 -> bool) (t: Tensor) : Tensor =
    match t with
    | Plain _ -> t
    | RecordedScalar(v, dtype, _, _, _, tag, _) -> if isActive tag then t else Plain(Storage.floatScalar dtype v)
    | Recorded(p, op, a, b, tag, id) ->
        let p' = strip isActive p
        if not (isActive tag) then p'
        elif obj.ReferenceEquals(p, p') then t
        else Recorded(p', op, a, b, tag, id)
    | DualNumber(p, d, tag) ->
        let p' = strip isActive p
        if not (isActive tag) then p'
        else
            let d' = strip isActive d
            if obj.ReferenceEquals(p, p') && obj.ReferenceEquals(d, d') then t else DualNumber(p', d', tag)

let inactiveTags (isActive: int64 -> bool) (values: Tensor[]) =
    let mutable tags : List<int64> = null // made only when a tag is inactive (rare)
    for t in values do
        let mutable u = t
        while not (isNull (box u)) && u.Level <> 0L do
            let level = u.Level
            if not (isActive level) then
                if isNull tags then tags <- List<int64>()
                if not (tags.Contains level) then tags.Add level
            u <- u.Under
    if isNull tags then System.Array.Empty<int64>() else tags.ToArray()

let iterNodes (action: int64 -> Tensor -> unit) (t: Tensor) =
    let mutable u = t
    while not (isNull (box u)) && u.Level <> 0L do
        if u.IsNode then action u.Level u
        u <- u.Under

// ------------------------------------------------------------------------- watching

let watch (tag: int64) (x: Tensor) = Tensor.Leaf(x, tag, NodeIds.Above 0L)

let dual (tag: int64) (x: Tensor) (v: Tensor) = DualNumber(x, v, tag)

let rewrap (tag: int64) (primal: Tensor) (t: Tensor) =
    if t.Level <> tag then None
    else
        match t with
        | Recorded(_, null, _, _, tag, id) -> Some(Tensor.Leaf(primal, tag, id))
        | DualNumber(_, tangent, tag) -> Some(DualNumber(primal, tangent, tag))
        | _ -> Some t

let rec nodeAt (tag: int64) (t: Tensor) : Tensor option =
    let level = t.Level
    if level = tag then (match t with Recorded _ | RecordedScalar _ -> Some t | _ -> None)
    elif level < tag then None
    else nodeAt tag t.Primal

let nodesAt (tag: int64) (values: Tensor[]) =
    let nodes = List<Tensor>()
    for v in values do
        match nodeAt tag v with
        | Some n when not (nodes.Exists(fun m -> m.NodeId = n.NodeId)) -> nodes.Add n
        | _ -> ()
    nodes.ToArray()

let tangentAt (tag: int64) (t: Tensor) : Tensor option =
    let mutable v = t
    while v.Level > tag do v <- v.Primal
    match v with
    | DualNumber(_, d, level) when level = tag -> Some d
    | _ -> None

/// Setters emitted once for each node form that clear its operation and operands (the fields are read-only to F#),
/// or None when the runtime does not allow it. Only `cut` calls them, on nodes of a tag no sweep can visit any more.
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

let cut (node: Tensor) : bool =
    match cutters with
    | Some cs ->
        match node with
        | Recorded(_, op, _, _, _, _) when not (isNull op) -> cs.[0].Invoke node
        | RecordedScalar _ -> cs.[1].Invoke node
        | _ -> ()
        true
    | None -> false

// ------------------------------------------------------------------------- sweeps

let gradients (tag: int64) (targets: Tensor[]) (seeds: Tensor option[]) (sources: Tensor[][]) (record: bool) =
    let wanted = HashSet<int64>()
    for nodes in sources do
        for n in nodes do wanted.Add n.NodeId |> ignore
    let sums : Tensor option[] = Array.create sources.Length None
    for t in 0 .. targets.Length - 1 do
        match nodeAt tag targets.[t] with
        | Some root when wanted.Count > 0 ->
            let target = targets.[t]
            let seed =
                match seeds.[t] with
                | Some s -> cast target.DType s
                | None -> Plain(Storage.ones target.DType target.Shape)
            let adjoints = (if record then Reverse.sweepRecorded else Reverse.sweep) tag root seed wanted
            for i in 0 .. sources.Length - 1 do
                for node in sources.[i] do
                    match adjoints.TryGetValue node.NodeId with
                    | true, g -> sums.[i] <- Some(match sums.[i] with Some prev -> add prev g | None -> g)
                    | _ -> ()
        | _ -> ()
    sums

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
    elif pieces |> Array.forall isPlain then
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

/// The Jacobian of a recorded `root` (a node of `tag`) with respect to the recorded node `source`, shaped
/// root.Shape ++ source.Shape (with `batch`: [b] ++ root.Shape[1..] ++ source.Shape[1..]), in root's dtype. One
/// reverse sweep when the path is element-wise (diagonal); else one reverse sweep per root (row) element or one
/// forward sweep per source (row) element, whichever is fewer (reverse only with `record`).
let private nodeJacobian (tag: int64) (root: Tensor) (source: Tensor) (batch: bool) (record: bool) : Tensor =
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

let jacobian (tag: int64) (dtype: DType) (target: Tensor) (sources: Tensor[]) (batch: bool) (record: bool) =
    if not target.IsFloat then None
    else
        match nodeAt tag target with
        | None -> None
        | Some root ->
            let mutable result = None
            for source in sources do
                if Reverse.dependsOn tag root source.NodeId then
                    let j = cast dtype (nodeJacobian tag root source batch record)
                    result <- Some(match result with Some prev -> add prev j | None -> j)
            result
