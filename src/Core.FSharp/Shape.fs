/// Shapes, strides and NumPy broadcasting. Shapes are `int[]`, row-major; `[||]` is a scalar.
module Nabla.Core.Shape

open System

/// Formats a shape as `[2, 3]` (the form every error message uses).
let format (shape: int[]) = "[" + String.Join(", ", shape) + "]"

/// Number of elements of a shape (1 for a scalar).
let size (shape: int[]) =
    let mutable n = 1
    for d in shape do n <- n * d
    n

/// Row-major strides of a shape.
let strides (shape: int[]) =
    let s = Array.zeroCreate shape.Length
    let mutable acc = 1
    for i in shape.Length - 1 .. -1 .. 0 do
        s.[i] <- acc
        acc <- acc * shape.[i]
    s

/// Structural equality of two shapes.
let equal (a: int[]) (b: int[]) =
    a.Length = b.Length && Array.forall2 (=) a b

/// Checks a shape for negative dimensions.
let check (op: string) (shape: int[]) =
    if isNull shape then invalidArg "shape" (sprintf "%s: shape must not be null" op)
    for d in shape do
        if d < 0 then invalidArg "shape" (sprintf "%s: shape %s has a negative dimension; expected dimensions >= 0" op (format shape))

/// The broadcast shape of two shapes (NumPy rules), or None when they do not broadcast.
let tryBroadcast (a: int[]) (b: int[]) =
    if equal a b then Some a
    else
        let n = max a.Length b.Length
        let r = Array.zeroCreate n
        let mutable ok = true
        for i in 0 .. n - 1 do
            let da = if i < n - a.Length then 1 else a.[i - (n - a.Length)]
            let db = if i < n - b.Length then 1 else b.[i - (n - b.Length)]
            if da = db || db = 1 then r.[i] <- da
            elif da = 1 then r.[i] <- db
            else ok <- false
        if ok then Some r else None

/// The broadcast shape of two shapes (NumPy rules), or an ArgumentException naming the op and both shapes.
let broadcast (op: string) (a: int[]) (b: int[]) =
    match tryBroadcast a b with
    | Some r -> r
    | None ->
        invalidArg "b" (sprintf "%s: shapes %s and %s are not broadcastable; expected equal dimensions or 1 at each axis (aligned from the right)" op (format a) (format b))

/// Strides of `shape` viewed as broadcast to `target` (0 on broadcast axes).
let broadcastStrides (shape: int[]) (target: int[]) =
    let s = strides shape
    let off = target.Length - shape.Length
    Array.init target.Length (fun i ->
        if i < off then 0
        elif shape.[i - off] = 1 && target.[i] <> 1 then 0
        else s.[i - off])

/// Normalises a possibly negative axis for a tensor of the given rank.
let normAxis (op: string) (rank: int) (axis: int) =
    let a = if axis < 0 then axis + rank else axis
    if a < 0 || a >= rank then
        invalidArg "axis" (sprintf "%s: axis %d is out of range for a tensor of rank %d; expected an axis in [%d, %d)" op axis rank (-rank) rank)
    a

/// Normalises and sorts a set of axes; `null` means all axes. Duplicates are an error.
let normAxes (op: string) (rank: int) (axes: int[]) =
    if isNull axes then Array.init rank id
    else
        let r = axes |> Array.map (fun a -> let a' = if a < 0 then a + rank else a
                                            if a' < 0 || a' >= rank then
                                                invalidArg "axes" (sprintf "%s: axis %d is out of range for a tensor of rank %d; expected an axis in [%d, %d)" op a rank (-rank) rank)
                                            a')
                 |> Array.sort
        for i in 1 .. r.Length - 1 do
            if r.[i] = r.[i - 1] then invalidArg "axes" (sprintf "%s: axis %d is repeated in %s" op r.[i] (format axes))
        r

/// The shape after reducing `axes` (sorted, normalised).
let reduced (shape: int[]) (axes: int[]) (keepDims: bool) =
    if keepDims then shape |> Array.mapi (fun i d -> if Array.contains i axes then 1 else d)
    else shape |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i axes)) |> Array.map snd

/// Resolves a reshape target with at most one -1 against a size.
let resolveReshape (op: string) (from: int[]) (target: int[]) =
    if isNull target then invalidArg "shape" (sprintf "%s: target shape must not be null" op)
    let n = size from
    let unknown = target |> Array.filter (fun d -> d = -1) |> Array.length
    if unknown > 1 then invalidArg "shape" (sprintf "%s: target shape %s has more than one -1; expected at most one" op (format target))
    if target |> Array.exists (fun d -> d < -1) then invalidArg "shape" (sprintf "%s: target shape %s has a negative dimension; expected dimensions >= 0 or one -1" op (format target))
    let known = target |> Array.filter (fun d -> d <> -1) |> size
    if unknown = 1 then
        if known = 0 || n % known <> 0 then
            invalidArg "shape" (sprintf "%s: cannot reshape a tensor of shape %s (%d elements) to %s" op (format from) n (format target))
        target |> Array.map (fun d -> if d = -1 then n / known else d)
    else
        if known <> n then
            invalidArg "shape" (sprintf "%s: cannot reshape a tensor of shape %s (%d elements) to %s (%d elements); expected the same number of elements" op (format from) n (format target) known)
        Array.copy target
