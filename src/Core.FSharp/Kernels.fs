/// Kernels beyond the skeleton's: more element-wise math, comparisons and selection, reductions along
/// arbitrary axes, gathering, batched matrix products and the creation kernels. Like Raw, these see only
/// RawTensor values; differentiation lives in the Ops.* files.
module Nabla.Core.Kernels

open System
open System.Numerics.Tensors
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open Nabla.Core.Raw

let private name (d: DType) = d.ToString()

let private unsupported (op: string) (d: DType) (expected: string) =
    invalidArg "x" (sprintf "%s: dtype %s is not supported; expected %s" op (name d) expected)

// ------------------------------------------------------------------------- element-wise, unary

/// log(1 + x) on one float32, accurate for small x (log(u) * x / (u - 1) with u = 1 + x corrects u's rounding).
/// IEEE at the edges: NaN for NaN and for x < -1, -inf at -1, +inf at +inf (where the correction would give inf / inf).
let log1pF32 (x: float32) =
    let u = 1.0f + x
    if u = 1.0f then x elif u = Single.PositiveInfinity then u else MathF.Log u * x / (u - 1.0f)
/// log(1 + x) on one float64 (as `log1pF32`).
let log1pF64 (x: float) =
    let u = 1.0 + x
    if u = 1.0 then x elif u = Double.PositiveInfinity then u else Math.Log u * x / (u - 1.0)

/// log(1 + x), accurate for small x; NaN for NaN and x < -1, +inf at +inf.
let log1p (t: RawTensor) =
    unaryFloat "Log1p"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- log1pF32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- log1pF64 a.[i]) t

let tan t = unaryFloat "Tan" (fun a r o n -> TensorPrimitives.Tan(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Tan(ReadOnlySpan(a, o, n), Span(r, o, n))) t
/// 1 / (1 + e^-x) on one float32, for Sigmoid's scalar rule and Softplus's derivative rule (the kernel's
/// TensorPrimitives.Sigmoid gives the same bits on one element, as InlineScalarNodeTests checks).
let sigmoidF32 (x: float32) = 1.0f / (1.0f + MathF.Exp(-x))
/// 1 / (1 + e^-x) on one float64 (as `sigmoidF32`).
let sigmoidF64 (x: float) = 1.0 / (1.0 + Math.Exp(-x))
let sigmoid t = unaryFloat "Sigmoid" (fun a r o n -> TensorPrimitives.Sigmoid(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Sigmoid(ReadOnlySpan(a, o, n), Span(r, o, n))) t

/// log(1 + e^x) on one float32 as max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
let softplusF32 (x: float32) = max x 0.0f + log1pF32 (MathF.Exp(-(abs x)))
/// log(1 + e^x) on one float64 (as `softplusF32`).
let softplusF64 (x: float) = max x 0.0 + log1pF64 (Math.Exp(-(abs x)))

/// log(1 + e^x), without overflow for large |x|.
let softplus (t: RawTensor) =
    unaryFloat "Softplus"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- softplusF32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- softplusF64 a.[i]) t

/// Applies a numeric map to float and integer tensors alike.
let inline private numericMap (op: string) ([<InlineIfLambda>] f32: float32 -> float32) ([<InlineIfLambda>] f64: float -> float)
                              ([<InlineIfLambda>] i32: int -> int) ([<InlineIfLambda>] i64: int64 -> int64) (t: RawTensor) =
    let data: Array =
        match t.Data with
        | :? (float32[]) as a -> Array.map f32 a :> _
        | :? (float[]) as a -> Array.map f64 a :> _
        | :? (int[]) as a -> Array.map i32 a :> _
        | :? (int64[]) as a -> Array.map i64 a :> _
        | _ -> unsupported op t.DType "a float or integer dtype"
    RawTensor(t.DType, t.Shape, data)

/// |x|; NaN stays NaN; an integer dtype's lowest value stays itself (two's complement wraps, as TensorFlow's abs).
let abs (t: RawTensor) =
    numericMap "Abs" abs abs (fun x -> if x < 0 then -x else x) (fun x -> if x < 0L then -x else x) t
/// sign x on one Float32 element: 1, -1, or x itself for a zero (keeping its sign) and NaN (shared with Sign's and
/// Abs's scalar rules).
let signF32 (x: float32) = if x > 0.0f then 1.0f elif x < 0.0f then -1.0f else x
/// sign x on one Float64 element, as signF32.
let signF64 (x: float) = if x > 0.0 then 1.0 elif x < 0.0 then -1.0 else x
/// sign x: -1, 0 (a zero keeps its sign) or 1; NaN for NaN (as NumPy and TensorFlow 2).
let sign (t: RawTensor) =
    numericMap "Sign" signF32 signF64 (fun x -> int (Math.Sign x)) (fun x -> int64 (Math.Sign x)) t

/// True when a Float32/Float64 tensor holds a NaN (false for every other dtype); reads an inline scalar without making
/// its array.
let hasNaN (t: RawTensor) =
    if t.IsInlineScalar then Double.IsNaN t.InlineValue
    else
        match t.Data with
        | :? (float32[]) as a -> TensorPrimitives.IsNaNAny(ReadOnlySpan a)
        | :? (float[]) as a -> TensorPrimitives.IsNaNAny(ReadOnlySpan a)
        | _ -> false

/// r[i] = max(x[i], 0) over [o, o + n), NaN kept: x with every lane where x <= 0 cleared (a NaN lane fails x <= 0 and
/// keeps its bits; -0 becomes +0). One compare and one and-not per vector, SIMD where the hardware has it.
let inline private reluRange (x: 'T[]) (r: 'T[]) (o: int) (n: int) =
    let zero: 'T = LanguagePrimitives.GenericZero
    let mutable i = o
    if Vector256.IsHardwareAccelerated && n >= Vector256<'T>.Count then
        let xs = MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(x, o, n))
        let rs = MemoryMarshal.Cast<'T, Vector256<'T>>(Span(r, o, n))
        for j in 0 .. xs.Length - 1 do
            let v = xs.[j]
            rs.[j] <- Vector256.AndNot(v, Vector256.LessThanOrEqual(v, Vector256<'T>.Zero))
        i <- o + xs.Length * Vector256<'T>.Count
    while i < o + n do
        let v = x.[i]
        r.[i] <- if v <= zero then zero else v
        i <- i + 1

/// r[i] = (x[i] > 0 ? g[i] : x[i] is NaN ? x[i] : 0) over [o, o + n): relu's derivative applied to g, NaN where x is
/// NaN (the and-not keeps a NaN lane of x and clears every other), SIMD where the hardware has it.
let inline private maskPositiveRange (x: 'T[]) (g: 'T[]) (r: 'T[]) (o: int) (n: int) =
    let zero: 'T = LanguagePrimitives.GenericZero
    let mutable i = o
    if Vector256.IsHardwareAccelerated && n >= Vector256<'T>.Count then
        let xs = MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(x, o, n))
        let gs = MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(g, o, n))
        let rs = MemoryMarshal.Cast<'T, Vector256<'T>>(Span(r, o, n))
        for j in 0 .. xs.Length - 1 do
            let v = xs.[j]
            rs.[j] <- Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<'T>.Zero), gs.[j], Vector256.AndNot(v, Vector256.Equals(v, v)))
        i <- o + xs.Length * Vector256<'T>.Count
    while i < o + n do
        let v = x.[i]
        r.[i] <- if v > zero then g.[i] elif v = v then zero else v
        i <- i + 1

/// r[i] = (x[i] is NaN ? x[i] : +0) over [o, o + n), SIMD where the hardware has it.
let inline private zeroOrNaNRange (x: 'T[]) (r: 'T[]) (o: int) (n: int) =
    let zero: 'T = LanguagePrimitives.GenericZero
    let mutable i = o
    if Vector256.IsHardwareAccelerated && n >= Vector256<'T>.Count then
        let xs = MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(x, o, n))
        let rs = MemoryMarshal.Cast<'T, Vector256<'T>>(Span(r, o, n))
        for j in 0 .. xs.Length - 1 do
            let v = xs.[j]
            rs.[j] <- Vector256.AndNot(v, Vector256.Equals(v, v))
        i <- o + xs.Length * Vector256<'T>.Count
    while i < o + n do
        let v = x.[i]
        r.[i] <- if v = v then zero else v
        i <- i + 1

let private reluF32 (x: float32[]) (r: float32[]) (o: int) (n: int) = reluRange x r o n
let private reluF64 (x: float[]) (r: float[]) (o: int) (n: int) = reluRange x r o n
let private maskPositiveF32 (x: float32[]) (g: float32[]) (r: float32[]) (o: int) (n: int) = maskPositiveRange x g r o n
let private maskPositiveF64 (x: float[]) (g: float[]) (r: float[]) (o: int) (n: int) = maskPositiveRange x g r o n
let private zeroOrNaNF32 (x: float32[]) (r: float32[]) (o: int) (n: int) = zeroOrNaNRange x r o n
let private zeroOrNaNF64 (x: float[]) (r: float[]) (o: int) (n: int) = zeroOrNaNRange x r o n

/// max(x, 0) element-wise, one SIMD pass into a fresh array. NaN stays NaN (as TensorFlow's CPU kernel and NumPy's
/// maximum); max(-0, 0) is +0.
let relu (t: RawTensor) =
    match t.Data with
    | :? (float32[]) | :? (float[]) -> unaryFloat "Relu" reluF32 reluF64 t
    | _ -> numericMap "Relu" id id (fun x -> max x 0) (fun x -> max x 0L) t

/// g where x > 0, NaN where x is NaN (x's own NaN), else 0 (x and g of one float dtype and one shape): relu's
/// derivative applied to g in one pass, with no mask tensor in between.
let maskPositive (x: RawTensor) (g: RawTensor) =
    if not (Shape.equal x.Shape g.Shape) then
        invalidArg "g" (sprintf "ReluGrad: x has shape %s and g %s; expected the same shape" (Shape.format x.Shape) (Shape.format g.Shape))
    match x.Data, g.Data with
    | (:? (float32[]) as a), (:? (float32[]) as b) ->
        let r = GC.AllocateUninitializedArray<float32> a.Length
        forChunks a.Length (maskPositiveF32 a b r)
        RawTensor(g.DType, g.Shape, r)
    | (:? (float[]) as a), (:? (float[]) as b) ->
        let r = GC.AllocateUninitializedArray<float> a.Length
        forChunks a.Length (maskPositiveF64 a b r)
        RawTensor(g.DType, g.Shape, r)
    | _ ->
        invalidArg "g" (sprintf "ReluGrad: x has dtype %s and g %s; expected one dtype, Float32 or Float64" (name x.DType) (name g.DType))

/// NaN where x is NaN (x's own NaN), +0 elsewhere (float dtypes): the derivative of a piecewise-constant map (0) carried
/// through NaN.
let zeroOrNaN (t: RawTensor) = unaryFloat "ZeroOrNaN" zeroOrNaNF32 zeroOrNaNF64 t
let square (t: RawTensor) = if t.IsFloat then Raw.square t else numericMap "Square" id id (fun x -> x * x) (fun x -> x * x) t

// ------------------------------------------------------------------------- element-wise, binary

let powK =
    { Name = "Pow"
      F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Pow(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
      F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Pow(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
      I32 = Some(loopRows (fun a b -> if b < 0 then 0 else pown a b))
      I64 = Some(loopRows (fun a b -> if b < 0L then 0L else pown a (int b))) }

let maxK =
    { Name = "Maximum"
      F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
      F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
      I32 = Some(loopRows max)
      I64 = Some(loopRows max) }

let minK =
    { Name = "Minimum"
      F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
      F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
              SV = (fun s b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
      I32 = Some(loopRows min)
      I64 = Some(loopRows min) }

/// Integer floor division and modulo are not needed by the API; integer Divide goes through Float64 as TensorFlow's truediv.
/// a^b as IEEE pow: NaN for a negative a and a non-integer b, pow(NaN, 0) = 1, pow(1, NaN) = 1, NaN for any other NaN.
let pow x y = binary powK x y
/// max(a, b) with broadcasting: NaN where either operand is NaN (TensorPrimitives.Max, as TensorFlow 2 since 2.4 and
/// NumPy's maximum); max(-0, +0) = +0.
let maximum x y = binary maxK x y
/// min(a, b) with broadcasting: NaN where either operand is NaN; min(-0, +0) = -0.
let minimum x y = binary minK x y

// ------------------------------------------------------------------------- comparison and selection

/// The comparisons, as an enumeration so one kernel serves them all.
type Comparison =
    | Equal = 0
    | NotEqual = 1
    | Greater = 2
    | GreaterEqual = 3
    | Less = 4
    | LessEqual = 5

let inline private test (c: Comparison) (d: int) =
    match c with
    | Comparison.Equal -> d = 0
    | Comparison.NotEqual -> d <> 0
    | Comparison.Greater -> d > 0
    | Comparison.GreaterEqual -> d >= 0
    | Comparison.Less -> d < 0
    | _ -> d <= 0

/// Element-wise comparison with broadcasting; a Bool tensor. NaN compares unequal to everything.
let compare (op: string) (c: Comparison) (x: RawTensor) (y: RawTensor) =
    if x.DType <> y.DType then
        invalidArg "y" (sprintf "%s: operands have dtypes %s and %s; expected the same dtype (use Cast)" op (name x.DType) (name y.DType))
    let shape = Shape.broadcast op x.Shape y.Shape
    let bx = broadcastTo shape x
    let by = broadcastTo shape y
    let n = Shape.size shape
    let r: bool[] = Array.zeroCreate n
    let inline floatCmp (a: ^T[]) (b: ^T[]) =
        for i in 0 .. n - 1 do
            let u = a.[i]
            let v = b.[i]
            r.[i] <-
                if u <> u || v <> v then c = Comparison.NotEqual
                else test c (if u < v then -1 elif u > v then 1 else 0)
    match bx.Data, by.Data with
    | (:? (float32[]) as a), (:? (float32[]) as b) -> floatCmp a b
    | (:? (float[]) as a), (:? (float[]) as b) -> floatCmp a b
    | (:? (int[]) as a), (:? (int[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
    | (:? (int64[]) as a), (:? (int64[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
    | (:? (bool[]) as a), (:? (bool[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
    | _ -> unsupported op x.DType "a numeric or bool dtype"
    RawTensor(DType.Bool, Array.copy shape, r)

/// Element-wise `cond ? x : y` with broadcasting of all three (cond Bool, x and y one dtype).
let select (cond: RawTensor) (x: RawTensor) (y: RawTensor) =
    if cond.DType <> DType.Bool then
        invalidArg "condition" (sprintf "Where: condition has dtype %s; expected Bool" (name cond.DType))
    if x.DType <> y.DType then
        invalidArg "y" (sprintf "Where: x and y have dtypes %s and %s; expected the same dtype" (name x.DType) (name y.DType))
    let shape = Shape.broadcast "Where" (Shape.broadcast "Where" cond.Shape x.Shape) y.Shape
    let c = (broadcastTo shape cond).Data :?> bool[]
    let bx = broadcastTo shape x
    let by = broadcastTo shape y
    let n = c.Length
    let data: Array =
        match bx.Data, by.Data with
        | (:? (float32[]) as a), (:? (float32[]) as b) -> Array.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
        | (:? (float[]) as a), (:? (float[]) as b) -> Array.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
        | _ ->
            let r = alloc x.DType n
            for i in 0 .. n - 1 do Array.Copy((if c.[i] then bx.Data else by.Data), i, r, i, 1)
            r
    RawTensor(x.DType, Array.copy shape, data)

/// Bool and: used for masks.
let logicalAnd (x: RawTensor) (y: RawTensor) =
    let shape = Shape.broadcast "LogicalAnd" x.Shape y.Shape
    let a = (broadcastTo shape x).Data :?> bool[]
    let b = (broadcastTo shape y).Data :?> bool[]
    RawTensor(DType.Bool, Array.copy shape, Array.map2 (&&) a b)

/// Bool not: used for masks.
let logicalNot (x: RawTensor) = RawTensor(DType.Bool, x.Shape, Array.map not (x.Data :?> bool[]))

// ------------------------------------------------------------------------- reductions along axes

/// Moves the (sorted, normalised) axes to the end and views the tensor as [outer, n] rows.
let private rows (axes: int[]) (t: RawTensor) =
    let keep = [| for i in 0 .. t.Rank - 1 do if not (Array.contains i axes) then yield i |]
    let perm = Array.append keep axes
    let moved = if perm = Array.init t.Rank id then t else transpose perm t
    let n = axes |> Array.fold (fun acc a -> acc * t.Shape.[a]) 1
    let outer = if n = 0 then Shape.size (keep |> Array.map (fun a -> t.Shape.[a])) else t.Size / n
    moved, outer, n

/// Reduces each row of the [outer, n] view with a typed row function.
let reduceRows (op: string) (f32: float32[] -> int -> int -> float32) (f64: float[] -> int -> int -> float)
               (i32: (int[] -> int -> int -> int) option) (i64: (int64[] -> int -> int -> int64) option)
               (axes: int[]) (keepDims: bool) (t: RawTensor) =
    let moved, outer, n = rows axes t
    let data: Array =
        match moved.Data with
        | :? (float32[]) as a -> Array.init outer (fun o -> f32 a (o * n) n) :> _
        | :? (float[]) as a -> Array.init outer (fun o -> f64 a (o * n) n) :> _
        | :? (int[]) as a when i32.IsSome -> Array.init outer (fun o -> i32.Value a (o * n) n) :> _
        | :? (int64[]) as a when i64.IsSome -> Array.init outer (fun o -> i64.Value a (o * n) n) :> _
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
            elif largest then Array.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
            else Array.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
        | :? (float[]) as a ->
            if n = 0 then Array.create outer (if largest then Double.NegativeInfinity else Double.PositiveInfinity) :> _
            elif largest then Array.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
            else Array.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
        | :? (int[]) as a ->
            if n = 0 then Array.create outer (if largest then Int32.MinValue else Int32.MaxValue) :> _
            elif largest then Array.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
            else Array.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
        | :? (int64[]) as a ->
            if n = 0 then Array.create outer (if largest then Int64.MinValue else Int64.MaxValue) :> _
            elif largest then Array.init outer (fun o -> TensorPrimitives.Max(ReadOnlySpan(a, o * n, n))) :> _
            else Array.init outer (fun o -> TensorPrimitives.Min(ReadOnlySpan(a, o * n, n))) :> _
        | _ -> unsupported op t.DType "a float or integer dtype"
    RawTensor(t.DType, Shape.reduced t.Shape axes keepDims, data)

/// Largest element over the (sorted, normalised) axes. NaN for a slice holding a NaN; an empty slice gives -inf (float
/// dtypes) or the dtype's lowest value (Int32, Int64), as TensorFlow.
let reduceMax axes keepDims (t: RawTensor) = extremeRows "ReduceMax" true axes keepDims t

/// Smallest element over the (sorted, normalised) axes. NaN for a slice holding a NaN; an empty slice gives +inf (float
/// dtypes) or the dtype's highest value (Int32, Int64), as TensorFlow.
let reduceMin axes keepDims (t: RawTensor) = extremeRows "ReduceMin" false axes keepDims t

let reduceProd axes keepDims (t: RawTensor) =
    reduceRows "ReduceProd" (fun a o n -> TensorPrimitives.Product(ReadOnlySpan(a, o, n))) (fun a o n -> TensorPrimitives.Product(ReadOnlySpan(a, o, n)))
        (Some(fun a o n -> let mutable p = 1 in (for i in o .. o + n - 1 do p <- p * a.[i]); p))
        (Some(fun a o n -> let mutable p = 1L in (for i in o .. o + n - 1 do p <- p * a.[i]); p)) axes keepDims t

/// For each element, the product of the other elements of its reduction group (exact with zeros:
/// the adjoint of ReduceProd). Same shape as t.
let prodOthers (axes: int[]) (t: RawTensor) =
    let keep = [| for i in 0 .. t.Rank - 1 do if not (Array.contains i axes) then yield i |]
    let perm = Array.append keep axes
    let moved, outer, n = rows axes t
    let others (a: float[]) =
        let r = Array.zeroCreate a.Length
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
    if perm = Array.init t.Rank id then r else transpose inv r

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

/// Index of the largest (or smallest) element along one axis, as Int64: the first on ties, the first NaN's when the
/// slice holds a NaN (as NumPy; TensorFlow leaves NaN unspecified). Compared in the tensor's own dtype (Int64 values
/// beyond 2^53 are told apart); Bool as 0 and 1.
let argExtreme (op: string) (largest: bool) (axis: int) (t: RawTensor) =
    let moved, outer, n = rows [| axis |] t
    if n = 0 then invalidArg "x" (sprintf "%s: axis %d of shape %s is empty" op axis (Shape.format t.Shape))
    let r: int64[] =
        match moved.Data with
        | :? (float32[]) as a -> Array.init outer (fun o -> argRow largest Single.IsNaN a (o * n) n)
        | :? (float[]) as a -> Array.init outer (fun o -> argRow largest Double.IsNaN a (o * n) n)
        | :? (int[]) as a -> Array.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
        | :? (int64[]) as a -> Array.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
        | _ ->
            let a = (cast DType.Int32 moved).Data :?> int[]
            Array.init outer (fun o -> argRow largest (fun _ -> false) a (o * n) n)
    RawTensor(DType.Int64, Shape.reduced t.Shape [| axis |] false, r)

// ------------------------------------------------------------------------- gather and scatter

let private indexList (op: string) (indices: RawTensor) (n: int) =
    let check (i: int64) =
        if i < 0L || i >= int64 n then
            invalidArg "indices" (sprintf "%s: index %d is out of range [0, %d)" op i n)
    match indices.Data with
    | :? (int[]) as a -> (for i in a do check (int64 i)); a
    | :? (int64[]) as a -> (for i in a do check i); Array.map int a
    | _ -> invalidArg "indices" (sprintf "%s: indices have dtype %s; expected Int32 or Int64" op (name indices.DType))

/// Rows of x along `axis` picked by `indices` (any shape): x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:].
let gather (axis: int) (indices: RawTensor) (x: RawTensor) =
    let n = x.Shape.[axis]
    let idx = indexList "Gather" indices n
    let outer = Shape.size x.Shape.[.. axis - 1]
    let inner = Shape.size x.Shape.[axis + 1 ..]
    let outShape = Array.concat [ x.Shape.[.. axis - 1]; indices.Shape; x.Shape.[axis + 1 ..] ]
    let r = alloc x.DType (Shape.size outShape)
    let k = idx.Length
    for o in 0 .. outer - 1 do
        for j in 0 .. k - 1 do
            Array.Copy(x.Data, (o * n + idx.[j]) * inner, r, (o * k + j) * inner, inner)
    RawTensor(x.DType, outShape, r)

/// The adjoint of gather: zeros of x's shape (extent n on `axis`) with each row of g added at its index.
let scatterAdd (axis: int) (indices: RawTensor) (n: int) (g: RawTensor) =
    let idx = indexList "ScatterAdd" indices n
    let k = idx.Length
    let outer = Shape.size g.Shape.[.. axis - 1]
    let inner = Shape.size g.Shape.[axis + indices.Rank ..]
    let outShape = Array.concat [ g.Shape.[.. axis - 1]; [| n |]; g.Shape.[axis + indices.Rank ..] ]
    let r = zeros g.DType outShape
    let addRow (src: 'T[]) (dst: 'T[]) (add: 'T[] -> int -> 'T[] -> int -> int -> unit) =
        for o in 0 .. outer - 1 do
            for j in 0 .. k - 1 do add src ((o * k + j) * inner) dst ((o * n + idx.[j]) * inner) inner
    match g.Data, r.Data with
    | (:? (float32[]) as s), (:? (float32[]) as d) ->
        addRow s d (fun s so d dO n -> TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n)))
    | (:? (float[]) as s), (:? (float[]) as d) ->
        addRow s d (fun s so d dO n -> TensorPrimitives.Add(ReadOnlySpan(d, dO, n), ReadOnlySpan(s, so, n), Span(d, dO, n)))
    | _ -> unsupported "ScatterAdd" g.DType "Float32 or Float64"
    r

// ------------------------------------------------------------------------- batched matrix product

/// op(a) op(b) over the last two axes, broadcasting the leading (batch) axes. Ranks >= 2, checked by the caller.
let matmul (transA: bool) (transB: bool) (a: RawTensor) (b: RawTensor) =
    if a.Rank = 2 && b.Rank = 2 then matmul2 transA transB a b
    else
        let ra, rb = a.Rank, b.Rank
        let am, ak = (if transA then a.Shape.[ra - 1] else a.Shape.[ra - 2]), (if transA then a.Shape.[ra - 2] else a.Shape.[ra - 1])
        let bn = if transB then b.Shape.[rb - 2] else b.Shape.[rb - 1]
        let aBatch = a.Shape.[.. ra - 3]
        let bBatch = b.Shape.[.. rb - 3]
        let batch = Shape.broadcast "MatMul" aBatch bBatch
        let outShape = Array.append batch [| am; bn |]
        if rb = 2 && not transA then
            // One GEMM: fold a's batch axes into its rows.
            let flat = reshape [| Shape.size aBatch * am; ak |] a
            reshape outShape (matmul2 false transB flat b)
        else
            let nb = Shape.size batch
            let aMat = a.Shape.[ra - 2] * a.Shape.[ra - 1]
            let bMat = b.Shape.[rb - 2] * b.Shape.[rb - 1]
            let sa = Shape.broadcastStrides aBatch batch
            let sb = Shape.broadcastStrides bBatch batch
            let r = alloc a.DType (Shape.size outShape)
            let cMat = am * bn
            let bs = Shape.strides batch
            for i in 0 .. nb - 1 do
                let mutable ao = 0
                let mutable bo = 0
                let mutable rem = i
                for ax in 0 .. batch.Length - 1 do
                    let c = rem / bs.[ax]
                    rem <- rem % bs.[ax]
                    ao <- ao + c * sa.[ax]
                    bo <- bo + c * sb.[ax]
                let sliceOf (t: RawTensor) (off: int) (len: int) =
                    let d = alloc t.DType len
                    Array.Copy(t.Data, off * len, d, 0, len)
                    RawTensor(t.DType, t.Shape.[t.Rank - 2 ..], d)
                let c = matmul2 transA transB (sliceOf a ao aMat) (sliceOf b bo bMat)
                Array.Copy(c.Data, 0, r, i * cMat, cMat)
            RawTensor(a.DType, outShape, r)

// ------------------------------------------------------------------------- creation

/// Rows of `depth` with 1 at each index (zeros for an index outside [0, depth)), as tf.one_hot.
let oneHot (indices: RawTensor) (depth: int) (dtype: DType) =
    if depth < 0 then invalidArg "depth" (sprintf "OneHot: depth %d is negative" depth)
    let idx =
        match indices.Data with
        | :? (int[]) as a -> Array.map int64 a
        | :? (int64[]) as a -> a
        | _ -> invalidArg "indices" (sprintf "OneHot: indices have dtype %s; expected Int32 or Int64" (name indices.DType))
    let r = zeros dtype (Array.append indices.Shape [| depth |])
    let one = (ones dtype [| 1 |]).Data
    idx |> Array.iteri (fun i k -> if k >= 0L && k < int64 depth then Array.Copy(one, 0, r.Data, i * depth + int k, 1))
    r

/// start, start + delta, ... while < limit (> limit for a negative delta), as tf.range.
let range (start: float) (limit: float) (delta: float) (dtype: DType) =
    if delta = 0.0 || Double.IsNaN delta then invalidArg "delta" "Range: delta must not be zero"
    if (delta > 0.0 && start > limit) || (delta < 0.0 && start < limit) then
        invalidArg "delta" (sprintf "Range: start %g, limit %g and delta %g: expected start <= limit when delta > 0 and start >= limit when delta < 0 (as tf.range)" start limit delta)
    if (limit - start) / delta > float Int32.MaxValue then
        invalidArg "limit" (sprintf "Range: start %g, limit %g and delta %g give more than %d elements" start limit delta Int32.MaxValue)
    let n = max 0 (int (Math.Ceiling((limit - start) / delta)))
    let values = Array.init n (fun i -> start + float i * delta)
    cast dtype (RawTensor(DType.Float64, [| n |], values))

/// num evenly spaced values from start to stop inclusive, as tf.linspace.
let linspace (start: float) (stop: float) (num: int) (dtype: DType) =
    if num < 0 then invalidArg "num" (sprintf "Linspace: num %d is negative" num)
    let values = Array.init num (fun i -> if num = 1 then start elif i = num - 1 then stop else start + (stop - start) * float i / float (num - 1))
    cast dtype (RawTensor(DType.Float64, [| num |], values))

/// The n x n identity.
let eye (n: int) (dtype: DType) =
    if n < 0 then invalidArg "n" (sprintf "Eye: n %d is negative" n)
    let values = Array.init (n * n) (fun i -> if i / n = i % n then 1.0 else 0.0)
    cast dtype (RawTensor(DType.Float64, [| n; n |], values))

/// Normal samples (Box-Muller), reproducible for a given seed.
let randomNormal (shape: int[]) (mean: float) (stddev: float) (dtype: DType) (rng: Random) =
    let n = Shape.size shape
    let values = Array.zeroCreate n
    let mutable i = 0
    while i < n do
        let u1 = 1.0 - rng.NextDouble()
        let u2 = rng.NextDouble()
        let r = Math.Sqrt(-2.0 * Math.Log u1)
        values.[i] <- mean + stddev * r * Math.Cos(2.0 * Math.PI * u2)
        if i + 1 < n then values.[i + 1] <- mean + stddev * r * Math.Sin(2.0 * Math.PI * u2)
        i <- i + 2
    cast dtype (RawTensor(DType.Float64, Array.copy shape, values))

/// Uniform samples in [minval, maxval), reproducible for a given seed.
let randomUniform (shape: int[]) (minval: float) (maxval: float) (dtype: DType) (rng: Random) =
    let n = Shape.size shape
    let values =
        if dtype = DType.Int32 || dtype = DType.Int64 then
            Array.init n (fun _ -> Math.Floor(minval + (maxval - minval) * rng.NextDouble()))
        else Array.init n (fun _ -> minval + (maxval - minval) * rng.NextDouble())
    let r = cast dtype (RawTensor(DType.Float64, Array.copy shape, values))
    // a double just below maxval can round up to maxval in Float32: keep the interval half-open
    match r.Data with
    | :? (float32[]) as a ->
        let top = float32 maxval
        for i in 0 .. a.Length - 1 do
            if a.[i] >= top then a.[i] <- MathF.BitDecrement top
        r
    | _ -> r
