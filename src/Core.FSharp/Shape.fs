/// Shapes, strides and NumPy broadcasting. Shapes are `int[]`, row-major; `[||]` is a scalar.
module Nabla.Core.Shape

open System

/// Formats a shape as `[2, 3]` (the form every error message uses).
let format (shape: int[]) = "[" + String.Join(", ", shape) + "]"

/// Number of elements of a shape (1 for a scalar). Unchecked (it wraps on overflow): for shapes already validated, such
/// as the shape of an existing tensor; a shape that is being made is checked with `checkedSize`.
let size (shape: int[]) =
    let mutable n = 1
    for d in shape do n <- n * d
    n

/// The largest element count of a tensor: .NET's `Array.MaxLength` (a tensor is one array). Larger tensors are out of scope.
let maxElements = Array.MaxLength

/// Number of elements of a shape, or -1 when a dimension is negative or the count exceeds `maxElements` (never wraps).
let trySize (shape: int[]) =
    let mutable n = 1L
    let mutable negative = false
    for d in shape do
        if d < 0 then negative <- true
        // a product above maxElements stays above it unless a later dimension is 0: clamp it there (no int64 overflow)
        n <- min (n * int64 (max d 0)) (int64 maxElements + 1L)
    if negative || n > int64 maxElements then -1 else int n

/// The exact number of elements of a shape, for messages (no overflow).
let bigSize (shape: int[]) =
    shape |> Array.fold (fun (acc: System.Numerics.BigInteger) d -> acc * System.Numerics.BigInteger(d)) System.Numerics.BigInteger.One

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

/// The ArgumentException for a shape (non-negative dimensions) whose element count exceeds `maxElements`.
let tooLarge (op: string) (shape: int[]) =
    invalidArg "shape" (sprintf "%s: shape %s has %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                op (format shape) (bigSize shape) maxElements)

/// The number of elements of a shape that is being made (by a factory, a broadcast, a product, a concatenation...):
/// an ArgumentException naming the op and the shape for a null shape, a negative dimension, or more elements than
/// `Array.MaxLength` (tensors that large are out of scope; an `int` element count would wrap). Runs before anything
/// is allocated.
let checkedSize (op: string) (shape: int[]) =
    check op shape
    let n = trySize shape
    if n < 0 then tooLarge op shape
    n

/// The broadcast shape of two shapes (NumPy rules), or None when they do not broadcast. The shape only: its element
/// count is not checked (`broadcast` checks it; other callers check the shape they finally make).
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

/// The broadcast shape of two shapes (NumPy rules), or an ArgumentException naming the op and both shapes when they
/// do not broadcast or when the broadcast shape has more elements than `Array.MaxLength` (`[65536, 1]` with `[1, 65536]`).
let broadcast (op: string) (a: int[]) (b: int[]) =
    match tryBroadcast a b with
    | Some r ->
        if not (obj.ReferenceEquals(r, a)) && trySize r < 0 then
            invalidArg "b" (sprintf "%s: shapes %s and %s broadcast to %s, which has %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                    op (format a) (format b) (format r) (bigSize r) maxElements)
        r
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

/// The shape after reducing `axes` (sorted, normalised). Never more elements than `shape`, so no size check is needed.
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
    // the count of the given dimensions, exact (an int product would wrap: [65536, 65537] is not 65536 elements)
    let knownShape = target |> Array.filter (fun d -> d <> -1)
    let known = trySize knownShape
    if unknown = 1 then
        if known = 0 then
            invalidArg "shape" (sprintf "%s: cannot infer the -1 in %s for a tensor of shape %s (%d elements): another dimension is 0; expected non-zero given dimensions (as TensorFlow)"
                                        op (format target) (format from) n)
        elif known < 0 || n % known <> 0 then
            invalidArg "shape" (sprintf "%s: cannot reshape a tensor of shape %s (%d elements) to %s; expected the given dimensions (%O elements) to divide %d"
                                        op (format from) n (format target) (bigSize knownShape) n)
        else target |> Array.map (fun d -> if d = -1 then n / known else d)
    else
        if known <> n then
            invalidArg "shape" (sprintf "%s: cannot reshape a tensor of shape %s (%d elements) to %s (%O elements); expected the same number of elements" op (format from) n (format target) (bigSize target))
        Array.copy target
