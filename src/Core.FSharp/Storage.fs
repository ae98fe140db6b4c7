namespace Nabla.Core

open System
open System.Numerics.Tensors

/// Element types of Nabla tensors. Only Float32 and Float64 are differentiable.
type DType =
    /// 32-bit IEEE 754 floats (float32, System.Single); differentiable.
    | Float32 = 0
    /// 64-bit IEEE 754 floats (float, System.Double); differentiable.
    | Float64 = 1
    /// 32-bit signed integers (int, System.Int32).
    | Int32 = 2
    /// 64-bit signed integers (int64, System.Int64).
    | Int64 = 3
    /// Booleans (bool, System.Boolean).
    | Bool = 4

/// Dense, row-major, contiguous storage: a shape and one .NET array of the dtype's element type.
/// Never mutated after construction (kernels write only into arrays they have just allocated).
/// A Float32/Float64 scalar made by the scalar fast paths keeps its value inline and makes its one-element array
/// only if somebody asks for `Data` (one object per scalar instead of two).
[<Sealed; AllowNullLiteral>]
type RawTensor private (dtype: DType, shape: int[], data: Array, scalar: float) =
    let mutable data = data
    /// Dense storage over `data` (row-major, `Shape.size shape` elements of the dtype's element type). The count is
    /// compared without overflow, so a shape whose int product wraps never gets a tensor (the ops check shapes first,
    /// with messages that name them: this is the backstop).
    new(dtype: DType, shape: int[], data: Array) =
        if isNull data || data.Length <> Shape.trySize shape then
            invalidArg "data" (sprintf "RawTensor: %s elements do not fill shape %s"
                                       (if isNull data then "null" else string data.Length) (Shape.format shape))
        RawTensor(dtype, shape, data, 0.0)
    /// A Float32 or Float64 scalar held inline (`value` already rounded for Float32).
    static member internal InlineScalar(dtype: DType, shape: int[], value: float) = RawTensor(dtype, shape, null, value)
    /// The element type.
    member _.DType = dtype
    /// The shape (do not mutate).
    member _.Shape = shape
    /// The elements, row-major (do not mutate).
    member _.Data : Array =
        if isNull data then
            // Published once (a scalar may be shared between threads): every caller sees the same array.
            let made = (if dtype = DType.Float32 then box [| float32 scalar |] else box [| scalar |]) :?> Array
            System.Threading.Interlocked.CompareExchange(&data, made, null) |> ignore
        data
    /// True for a scalar held inline (see `InlineValue`); false once `Data` has been asked for (the array made then
    /// holds the same value).
    member _.IsInlineScalar = isNull data
    /// The value of an inline scalar.
    member _.InlineValue = scalar
    /// Number of elements.
    member _.Size = if isNull data then 1 else data.Length
    /// Rank (number of axes).
    member _.Rank = shape.Length
    /// True for Float32 and Float64.
    member _.IsFloat = dtype = DType.Float32 || dtype = DType.Float64

/// Kernels over RawTensor. Element-wise float work goes through TensorPrimitives (SIMD);
/// matrix products through MathNet's LinearAlgebraControl.Provider.
/// Storage: allocation, scalars, element access, cast, strided copies and the creation kernels (ranges, identity,
/// random values, one-hot rows). Every tensor op builds on these; none of them differentiates.
module Storage =

    /// The dtype's name as error messages print it (`Float32`).
    let dtypeName (d: DType) = d.ToString()

    /// The ArgumentException of a kernel that does not support dtype `d`: names the op, the dtype and what it expected.
    let unsupported (op: string) (d: DType) (expected: string) =
        invalidArg "x" (sprintf "%s: dtype %s is not supported; expected %s" op (dtypeName d) expected)

    /// True for the five defined dtypes (a C# cast such as `(DType)42` makes others).
    let isDefined (d: DType) = int d >= int DType.Float32 && int d <= int DType.Bool

    /// An ArgumentException naming `op` for a dtype value that is not one of the five.
    let checkDType (op: string) (d: DType) =
        if not (isDefined d) then
            invalidArg "dtype" (sprintf "%s: dtype %d is not a valid DType; expected one of Float32, Float64, Int32, Int64, Bool" op (int d))

    /// The .NET element type of a dtype's arrays (float32, float, int, int64, bool).
    let elementType (d: DType) =
        match d with
        | DType.Float32 -> typeof<float32>
        | DType.Float64 -> typeof<float>
        | DType.Int32 -> typeof<int>
        | DType.Int64 -> typeof<int64>
        | DType.Bool -> typeof<bool>
        | _ -> checkDType "Alloc" d; typeof<float>

    /// The dtype whose arrays have `a`'s element type; an ArgumentException for any other array.
    let dtypeOfArray (a: Array) =
        match a with
        | :? (float32[]) -> DType.Float32
        | :? (float[]) -> DType.Float64
        | :? (int[]) -> DType.Int32
        | :? (int64[]) -> DType.Int64
        | :? (bool[]) -> DType.Bool
        | _ -> invalidArg "data" (sprintf "unsupported element type %s" (a.GetType().GetElementType().Name))

    /// A zeroed array of `n` elements of the dtype's element type (a large one from the buffer pool).
    let alloc (dtype: DType) (n: int) : Array =
        match dtype with
        | DType.Float32 -> BufferPool.rentZeroed<float32> n :> _
        | DType.Float64 -> BufferPool.rentZeroed<float> n :> _
        | DType.Int32 -> BufferPool.rentZeroed<int> n :> _
        | DType.Int64 -> BufferPool.rentZeroed<int64> n :> _
        | DType.Bool -> BufferPool.rentZeroed<bool> n :> _
        | _ -> Array.CreateInstance(elementType dtype, n)

    /// An array of `n` elements of the dtype's element type whose contents are undefined: the caller writes every
    /// element (a large one from the buffer pool).
    let allocUninitialized (dtype: DType) (n: int) : Array =
        match dtype with
        | DType.Float32 -> BufferPool.rent<float32> n :> _
        | DType.Float64 -> BufferPool.rent<float> n :> _
        | DType.Int32 -> BufferPool.rent<int> n :> _
        | DType.Int64 -> BufferPool.rent<int64> n :> _
        | DType.Bool -> BufferPool.rent<bool> n :> _
        | _ -> Array.CreateInstance(elementType dtype, n)

    /// A tensor over `data` (not copied: do not mutate it afterwards) with the given shape; the dtype is the array's.
    let ofArray (shape: int[]) (data: Array) = RawTensor(dtypeOfArray data, shape, data)

    /// A tensor of the given dtype and shape filled with `value` (converted).
    /// An ArgumentException naming Fill for a negative dimension or more than Array.MaxLength elements.
    let full (dtype: DType) (shape: int[]) (value: float) =
        let n = Shape.checkedSize "Fill" shape
        let data: Array =
            match dtype with
            | DType.Float32 -> let a = BufferPool.rent n in Array.Fill(a, float32 value); a :> _
            | DType.Float64 -> let a = BufferPool.rent n in Array.Fill(a, value); a :> _
            | DType.Int32 -> Array.create n (int value) :> _
            | DType.Int64 -> Array.create n (int64 value) :> _
            | DType.Bool -> Array.create n (value <> 0.0) :> _
            | _ -> checkDType "Fill" dtype; null
        RawTensor(dtype, Array.copy shape, data)

    /// Zeros of the given dtype and shape (as `full` with 0).
    let zeros dtype shape = full dtype shape 0.0
    /// Ones of the given dtype and shape (as `full` with 1).
    let ones dtype shape = full dtype shape 1.0
    /// The shape of every scalar the fast paths make (never mutated: it is empty).
    let private scalarShape: int[] = [||]

    /// `v` rounded to Float32 precision for Float32 (the scalar fast paths compute in double).
    let inline roundTo (dtype: DType) (v: float) = if dtype = DType.Float32 then float (float32 v) else v

    /// A Float32 or Float64 scalar (Float32 rounds `value`) held inline: one object, its array made only on demand.
    let floatScalar (dtype: DType) (value: float) =
        if dtype <> DType.Float32 && dtype <> DType.Float64 then
            invalidArg "dtype" (sprintf "floatScalar: dtype %s is not supported; expected Float32 or Float64" (dtype.ToString()))
        if dtype = DType.Float32 then RawTensor.InlineScalar(dtype, scalarShape, float (float32 value))
        else RawTensor.InlineScalar(DType.Float64, scalarShape, value)

    /// A scalar of any dtype (`value` converted); float scalars are held inline.
    let scalar dtype (value: float) =
        if dtype = DType.Float32 || dtype = DType.Float64 then floatScalar dtype value else full dtype [||] value

    /// Element i converted to double.
    let getDouble (t: RawTensor) (i: int) =
        match t.Data with
        | :? (float32[]) as a -> float a.[i]
        | :? (float[]) as a -> a.[i]
        | :? (int[]) as a -> float a.[i]
        | :? (int64[]) as a -> float a.[i]
        | :? (bool[]) as a -> if a.[i] then 1.0 else 0.0
        | _ -> nan

    /// The first element widened to double, without touching the array of an inline scalar.
    let inline floatAt0 (t: RawTensor) = if t.IsInlineScalar then t.InlineValue else getDouble t 0

    /// All elements converted to double.
    let toDoubles (t: RawTensor) = Array.init t.Size (getDouble t)

    /// Converts to another dtype (TensorFlow's cast: float to int truncates toward zero; nonzero is true).
    let cast (dtype: DType) (t: RawTensor) =
        if t.DType = dtype then t
        else
            checkDType "Cast" dtype
            let n = t.Size
            let data: Array =
                match dtype, t.Data with
                | DType.Float32, (:? (float[]) as a) -> let r = BufferPool.rent n in TensorPrimitives.ConvertTruncating<float, float32>(ReadOnlySpan a, Span r); r :> _
                | DType.Float64, (:? (float32[]) as a) -> let r = BufferPool.rent n in TensorPrimitives.ConvertTruncating<float32, float>(ReadOnlySpan a, Span r); r :> _
                | DType.Float32, (:? (bool[]) as a) -> BufferPool.map (fun b -> if b then 1.0f else 0.0f) a :> _
                | DType.Float64, (:? (bool[]) as a) -> BufferPool.map (fun b -> if b then 1.0 else 0.0) a :> _
                | DType.Float32, (:? (int[]) as a) -> BufferPool.map float32 a :> _
                | DType.Float64, (:? (int[]) as a) -> BufferPool.map float a :> _
                | DType.Float32, _ -> Array.init n (fun i -> float32 (getDouble t i)) :> _
                | DType.Float64, _ -> Array.init n (getDouble t) :> _
                | DType.Int32, (:? (int64[]) as a) -> Array.map int a :> _
                | DType.Int32, _ -> Array.init n (fun i -> int (getDouble t i)) :> _
                | DType.Int64, (:? (int[]) as a) -> Array.map int64 a :> _
                | DType.Int64, _ -> Array.init n (fun i -> int64 (getDouble t i)) :> _
                | DType.Bool, _ -> Array.init n (fun i -> getDouble t i <> 0.0) :> _
                | _ -> checkDType "Cast" dtype; null
            RawTensor(dtype, t.Shape, data)

    /// `t`'s elements under another shape of the same size, sharing its array (no copy; the caller checks the size).
    let reshape (shape: int[]) (t: RawTensor) = RawTensor(t.DType, shape, t.Data)

    /// An ArgumentException naming `op` for a dtype other than Float32 and Float64.
    let requireFloat (op: string) (t: RawTensor) =
        if not t.IsFloat then
            invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (dtypeName t.DType))


    /// Copies `src` (viewed through `srcStrides`, which may hold zeros for broadcast axes) into a new
    /// contiguous array of `outShape`, one run of the last axis at a time.
    let copyStrided (dtype: DType) (src: Array) (srcStrides: int[]) (srcOffset: int) (outShape: int[]) =
        let n = Shape.size outShape
        let r = allocUninitialized dtype n // every element is written below
        if n > 0 then
            let rank = outShape.Length
            if rank = 0 then Array.Copy(src, srcOffset, r, 0, 1)
            else
                let len = outShape.[rank - 1]
                let ls = srcStrides.[rank - 1]
                let idx = Array.zeroCreate rank
                let mutable so = srcOffset
                let mutable ro = 0
                while ro < n do
                    if ls = 1 || len = 1 then Array.Copy(src, so, r, ro, len)
                    elif ls = 0 then
                        Array.Copy(src, so, r, ro, 1)
                        let mutable filled = 1
                        while filled < len do
                            let c = min filled (len - filled)
                            Array.Copy(r, ro, r, ro + filled, c)
                            filled <- filled + c
                    else
                        for j in 0 .. len - 1 do Array.Copy(src, so + j * ls, r, ro + j, 1)
                    ro <- ro + len
                    let mutable ax = rank - 2
                    let mutable carry = true
                    while carry && ax >= 0 do
                        idx.[ax] <- idx.[ax] + 1
                        so <- so + srcStrides.[ax]
                        if idx.[ax] < outShape.[ax] then carry <- false
                        else
                            so <- so - srcStrides.[ax] * outShape.[ax]
                            idx.[ax] <- 0
                            ax <- ax - 1
        r


    // ---------------------------------------------------------------- creation

    /// Rows of `depth` with 1 at each index (zeros for an index outside [0, depth)), as tf.one_hot.
    let oneHot (indices: RawTensor) (depth: int) (dtype: DType) =
        if depth < 0 then invalidArg "depth" (sprintf "OneHot: depth %d is negative" depth)
        let idx =
            match indices.Data with
            | :? (int[]) as a -> Array.map int64 a
            | :? (int64[]) as a -> a
            | _ -> invalidArg "indices" (sprintf "OneHot: indices have dtype %s; expected Int32 or Int64" (dtypeName indices.DType))
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

