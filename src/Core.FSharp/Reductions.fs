module Nabla.Core.Reductions

open System
open Nabla.Core.Combinators
open Nabla.Core.Elementwise
open Nabla.Core.Layout

/// The kernels of the reductions (row-wise over the reduced axes moved last; sums over axes are Combinators.Kernels').
module Kernels =
    open System.Numerics.Tensors
    open System.Runtime.InteropServices
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage

    /// Moves the (sorted, normalised) axes to the end and views the tensor as [outer, n] rows.
    let private rows (axes: int[]) (t: RawTensor) =
        let keep = [| for i in 0 .. t.Rank - 1 do if not (Array.contains i axes) then yield i |]
        let perm = Array.append keep axes
        let moved = if perm = Array.init t.Rank id then t else Layout.Kernels.transpose perm t
        let n = axes |> Array.fold (fun acc a -> acc * t.Shape.[a]) 1
        let outer = if n = 0 then Shape.size (keep |> Array.map (fun a -> t.Shape.[a])) else t.Size / n
        moved, outer, n

    let reduceRows (op: string) (f32: float32[] -> int -> int -> float32) (f64: float[] -> int -> int -> float)
                   (i32: (int[] -> int -> int -> int) option) (i64: (int64[] -> int -> int -> int64) option)
                   (axes: int[]) (keepDims: bool) (t: RawTensor) =
        let moved, outer, n = rows axes t
        let data: Array =
            match moved.Data with
            | :? (float32[]) as a -> BufferPool.init outer (fun o -> f32 a (o * n) n) :> _
            | :? (float[]) as a -> BufferPool.init outer (fun o -> f64 a (o * n) n) :> _
            | :? (int[]) as a when i32.IsSome -> BufferPool.init outer (fun o -> i32.Value a (o * n) n) :> _
            | :? (int64[]) as a when i64.IsSome -> BufferPool.init outer (fun o -> i64.Value a (o * n) n) :> _
            | _ -> unsupported op t.DType "a float or integer dtype"
        RawTensor(t.DType, Shape.reduced t.Shape axes keepDims, data)

    /// Max or min of each row of the [outer, n] view: NaN for a row holding a NaN (TensorPrimitives.Max/Min propagate it, as
    /// TensorFlow's reduce_max and NumPy's max); for rows of no element (n = 0) the reduction's identity, as TensorFlow:
    /// -inf (max) or +inf (min) in float dtypes, the dtype's lowest (max) or highest (min) value in integer ones.
    let private extremeRows (op: string) (largest: bool) (axes: int[]) (keepDims: bool) (t: RawTensor) =
        if t.DType = DType.Bool then unsupported op t.DType "a float or integer dtype"
        let moved, outer, n = rows axes t
        let data: Array =
            match moved.Data with
            | :? (float32[]) as a ->
                if n = 0 then Array.create outer (if largest then Single.NegativeInfinity else Single.PositiveInfinity) :> _
                elif largest then BufferPool.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
                else BufferPool.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
            | :? (float[]) as a ->
                if n = 0 then Array.create outer (if largest then Double.NegativeInfinity else Double.PositiveInfinity) :> _
                elif largest then BufferPool.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
                else BufferPool.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
            | :? (int[]) as a ->
                if n = 0 then Array.create outer (if largest then Int32.MinValue else Int32.MaxValue) :> _
                elif largest then BufferPool.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
                else BufferPool.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
            | :? (int64[]) as a ->
                if n = 0 then Array.create outer (if largest then Int64.MinValue else Int64.MaxValue) :> _
                elif largest then BufferPool.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
                else BufferPool.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
            | _ -> unsupported op t.DType "a float or integer dtype"
        RawTensor(t.DType, Shape.reduced t.Shape axes keepDims, data)

    let reduceMax axes keepDims (t: RawTensor) = extremeRows "ReduceMax" true axes keepDims t

    let reduceMin axes keepDims (t: RawTensor) = extremeRows "ReduceMin" false axes keepDims t

    let reduceProd axes keepDims (t: RawTensor) =
        reduceRows "ReduceProd" (fun a o n -> TensorPrimitives.Product(ReadOnlySpan(a, o, n))) (fun a o n -> TensorPrimitives.Product(ReadOnlySpan(a, o, n)))
            (Some(fun a o n -> let mutable p = 1 in (for i in o .. o + n - 1 do p <- p * a.[i]); p))
            (Some(fun a o n -> let mutable p = 1L in (for i in o .. o + n - 1 do p <- p * a.[i]); p)) axes keepDims t

    let prodOthers (axes: int[]) (t: RawTensor) =
        let keep = [| for i in 0 .. t.Rank - 1 do if not (Array.contains i axes) then yield i |]
        let perm = Array.append keep axes
        let moved, outer, n = rows axes t
        let others (a: float[]) =
            let r = BufferPool.rentZeroed a.Length
            for o in 0 .. outer - 1 do
                let b = o * n
                // exclusive prefix and suffix products
                let mutable p = 1.0
                for i in 0 .. n - 1 do
                    r.[b + i] <- p
                    p <- p * a.[b + i]
                let mutable s = 1.0
                for i in n - 1 .. -1 .. 0 do
                    r.[b + i] <- r.[b + i] * s
                    s <- s * a.[b + i]
            r
        let asDouble = cast DType.Float64 moved
        let r = RawTensor(DType.Float64, moved.Shape, others (asDouble.Data :?> float[])) |> cast t.DType
        let inv = Array.zeroCreate perm.Length
        perm |> Array.iteri (fun i p -> inv.[p] <- i)
        if perm = Array.init t.Rank id then r else Layout.Kernels.transpose inv r

    /// Index in a[o .. o + n - 1] (n >= 1) of the largest (or smallest) element, the first on ties; of the first NaN when
    /// there is one (`isNaN`), as NumPy's argmax and argmin.
    let inline private argRow (largest: bool) ([<InlineIfLambda>] isNaN: 'T -> bool) (a: 'T[]) (o: int) (n: int) =
        let mutable best = 0
        let mutable bv = a.[o]
        let mutable i = 1
        if isNaN bv then i <- n
        while i < n do
            let v = a.[o + i]
            if isNaN v then
                best <- i
                i <- n
            else
                if (if largest then v > bv else v < bv) then
                    best <- i
                    bv <- v
                i <- i + 1
        int64 best

    let argExtreme (op: string) (largest: bool) (axis: int) (t: RawTensor) =
        let moved, outer, n = rows [| axis |] t
        if n = 0 then invalidArg "x" (sprintf "%s: axis %d of shape %s is empty" op axis (Shape.format t.Shape))
        let r: int64[] =
            match moved.Data with
            | :? (float32[]) as a -> BufferPool.init outer (fun o -> argRow largest Single.IsNaN a (o * n) n)
            | :? (float[]) as a -> BufferPool.init outer (fun o -> argRow largest Double.IsNaN a (o * n) n)
            | :? (int[]) as a -> BufferPool.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
            | :? (int64[]) as a -> BufferPool.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
            | _ ->
                let a = (cast DType.Int32 moved).Data :?> int[]
                BufferPool.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
        RawTensor(DType.Int64, Shape.reduced t.Shape [| axis |] false, r)

let private opError (op: string) (msg: string) = invalidArg "x" (op + ": " + msg)

let rec sum (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    let ax = Shape.normAxes "ReduceSum" x.Rank axes
    if not x.IsFloat && x.DType = DType.Bool then
        opError "ReduceSum" (sprintf "dtype %s is not supported" (string x.DType))
    unary { new UnaryPrim("ReduceSum") with
              member _.Kernel r = Combinators.Kernels.sumAxes ax keepDims r
              member _.Jvp(_, _, dx) = sum ax keepDims dx
              member _.Vjp(x, _, g) =
                  let kept = Shape.reduced x.Shape ax true
                  broadcastTo x.Shape (reshape kept g) } x


let mean (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    let ax = Shape.normAxes "ReduceMean" x.Rank axes
    if not x.IsFloat then
        opError "ReduceMean" (sprintf "dtype %s is not supported; expected Float32 or Float64" (string x.DType))
    let n = ax |> Array.fold (fun acc a -> acc * x.Shape.[a]) 1
    div (sum ax keepDims x) (scalarLike x (float n))


let private axesOf (op: string) (x: Tensor) (axes: int[]) = Shape.normAxes op x.Rank axes

/// Broadcasts a reduced tensor (keepDims or not) back to x's shape.
let private expandBack (x: Tensor) (ax: int[]) (r: Tensor) =
    broadcastTo x.Shape (reshape (Shape.reduced x.Shape ax true) r)

/// Max or min over axes. The adjoint is split evenly among the elements equal to the extreme
/// (as TensorFlow's reduce_max); the JVP is the mean of the tangents at those elements. A slice holding a NaN has a NaN
/// extreme, and every element of it a NaN adjoint (no element equals NaN: the weights are 0 / 0); every derivative of
/// those is NaN too. An empty slice gives the identity (see Kernels.reduceMax) and an empty or zero gradient.
let private extreme (op: string) (kernel: int[] -> bool -> RawTensor -> RawTensor) (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.DType = DType.Bool then invalidArg "x" (sprintf "%s: dtype Bool is not supported" op)
    let ax = axesOf op x axes
    if not x.IsFloat then constant (kernel ax keepDims x.Raw)
    else
        // weights: 1/count at the extreme elements, 0 elsewhere, NaN across a NaN slice; a constant at every level
        let weights (x: Tensor) (y: Tensor) =
            let yb = Combinators.Kernels.broadcastTo x.Shape (Storage.reshape (Shape.reduced x.Shape ax true) y.Raw)
            let m = Storage.cast x.DType (Elementwise.Kernels.compare op Elementwise.Kernels.Comparison.Equal x.Raw yb)
            let count = Combinators.Kernels.broadcastTo x.Shape (Combinators.Kernels.sumAxes ax true m)
            constant (Elementwise.Kernels.div m count)
        unary { new UnaryPrim(op) with
                  member _.Kernel r = kernel ax keepDims r
                  member _.Jvp(x, y, dx) = withNaNDerivatives y (sum ax keepDims (mul (weights x y) dx))
                  member _.Vjp(x, y, g) =
                      let r = mul (weights x y) (expandBack x ax g)
                      if y.Level = 0L then r else withNaNDerivatives (expandBack x ax y) r } x

let reduceMax (axes: int[]) (keepDims: bool) (x: Tensor) = extreme "ReduceMax" Kernels.reduceMax axes keepDims x

let reduceMin (axes: int[]) (keepDims: bool) (x: Tensor) = extreme "ReduceMin" Kernels.reduceMin axes keepDims x

/// The product kernel, with TensorFlow's value for an empty group: 1 (the empty product).
let private prodKernel (ax: int[]) (keepDims: bool) (r: RawTensor) =
    if r.Size = 0 then Storage.ones r.DType (Shape.reduced r.Shape ax keepDims)
    else Kernels.reduceProd ax keepDims r

let rec reduceProd (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.DType = DType.Bool then invalidArg "x" "ReduceProd: dtype Bool is not supported; expected a float or integer dtype"
    let ax = axesOf "ReduceProd" x axes
    if not x.IsFloat then constant (prodKernel ax keepDims x.Raw)
    else
        let others (x: Tensor) (y: Tensor) =
            let isZero = Elementwise.Kernels.compare "ReduceProd" Elementwise.Kernels.Comparison.Equal x.Raw (Storage.zeros x.DType [||])
            let zeros = Combinators.Kernels.sumAxes ax true (Storage.cast x.DType isZero)
            let viaDivision (safe: Tensor) = div (expandBack x ax y) safe
            if Storage.toDoubles zeros |> Array.forall (fun c -> c = 0.0) then viaDivision x
            else
                let groupHasZero = Combinators.Kernels.broadcastTo x.Shape (Elementwise.Kernels.compare "ReduceProd" Elementwise.Kernels.Comparison.Greater zeros (Storage.zeros x.DType [||]))
                let safe = Elementwise.where (constant isZero) (onesLike x) x
                Elementwise.where (constant groupHasZero) (constant (Kernels.prodOthers ax x.Raw)) (viaDivision safe)
        unary { new UnaryPrim("ReduceProd") with
                  member _.Kernel r = prodKernel ax keepDims r
                  member _.Jvp(x, y, dx) = sum ax keepDims (mul (others x y) dx)
                  member _.Vjp(x, y, g) = mul (others x y) (expandBack x ax g) } x

let reduceLogSumExp (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if not x.IsFloat then invalidArg "x" (sprintf "ReduceLogSumExp: dtype %s is not supported; expected Float32 or Float64" (string x.DType))
    let ax = axesOf "ReduceLogSumExp" x axes
    // empty: -inf (log of the empty sum, as TensorFlow), written as sum - inf so that its tangent is the empty sum 0
    // (log of a sum of exponentials would give 0 / 0) and its adjoint an empty tensor of x's shape
    if x.Size = 0 then sub (sum ax keepDims x) (scalarLike x infinity)
    else
        let m = Kernels.reduceMax ax true x.Raw
        // a max of +-inf would give inf - inf; shift by 0 there instead
        let shift = Storage.cast x.DType (Elementwise.Kernels.select (Elementwise.Kernels.compare "ReduceLogSumExp" Elementwise.Kernels.Comparison.Equal (Elementwise.Kernels.sub m m) (Storage.zeros x.DType [||])) m (Storage.zeros x.DType m.Shape))
        let s = constant shift
        let r = add (log (sum ax true (exp (sub x s)))) s
        if keepDims then r else reshape (Shape.reduced x.Shape ax false) r

let meanAny (axes: int[]) (keepDims: bool) (x: Tensor) : Tensor =
    if x.IsFloat then mean axes keepDims x
    elif x.DType = DType.Bool then invalidArg "x" "ReduceMean: dtype Bool is not supported"
    else
        let ax = axesOf "ReduceMean" x axes
        let n = ax |> Array.fold (fun acc a -> acc * x.Shape.[a]) 1
        let s = Combinators.Kernels.sumAxes ax keepDims x.Raw
        let q = Storage.cast DType.Float64 s |> Storage.toDoubles |> Array.map (fun v -> if n = 0 then 0.0 else truncate (v / float n))
        constant (Storage.cast x.DType (RawTensor(DType.Float64, s.Shape, q)))

let argMax (axis: int) (x: Tensor) =
    if x.Rank = 0 then invalidArg "x" "ArgMax: expected a tensor of rank >= 1, got a scalar"
    constant (Kernels.argExtreme "ArgMax" true (Shape.normAxis "ArgMax" x.Rank axis) x.Raw)

let argMin (axis: int) (x: Tensor) =
    if x.Rank = 0 then invalidArg "x" "ArgMin: expected a tensor of rank >= 1, got a scalar"
    constant (Kernels.argExtreme "ArgMin" false (Shape.normAxis "ArgMin" x.Rank axis) x.Raw)

