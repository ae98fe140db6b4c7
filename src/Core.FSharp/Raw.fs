namespace Nabla.Core

open System
open System.Numerics.Tensors
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open MathNet.Numerics.Providers.LinearAlgebra

/// Element types of Nabla tensors. Only Float32 and Float64 are differentiable.
type DType =
    | Float32 = 0
    | Float64 = 1
    | Int32 = 2
    | Int64 = 3
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
module Raw =

    let dtypeName (d: DType) = d.ToString()

    /// True for the five defined dtypes (a C# cast such as `(DType)42` makes others).
    let isDefined (d: DType) = int d >= int DType.Float32 && int d <= int DType.Bool

    /// An ArgumentException naming `op` for a dtype value that is not one of the five.
    let checkDType (op: string) (d: DType) =
        if not (isDefined d) then
            invalidArg "dtype" (sprintf "%s: dtype %d is not a valid DType; expected one of Float32, Float64, Int32, Int64, Bool" op (int d))

    let elementType (d: DType) =
        match d with
        | DType.Float32 -> typeof<float32>
        | DType.Float64 -> typeof<float>
        | DType.Int32 -> typeof<int>
        | DType.Int64 -> typeof<int64>
        | DType.Bool -> typeof<bool>
        | _ -> checkDType "Alloc" d; typeof<float>

    let dtypeOfArray (a: Array) =
        match a with
        | :? (float32[]) -> DType.Float32
        | :? (float[]) -> DType.Float64
        | :? (int[]) -> DType.Int32
        | :? (int64[]) -> DType.Int64
        | :? (bool[]) -> DType.Bool
        | _ -> invalidArg "data" (sprintf "unsupported element type %s" (a.GetType().GetElementType().Name))

    let alloc (dtype: DType) (n: int) = Array.CreateInstance(elementType dtype, n)

    let ofArray (shape: int[]) (data: Array) = RawTensor(dtypeOfArray data, shape, data)

    /// A tensor of the given dtype and shape filled with `value` (converted).
    /// An ArgumentException naming Fill for a negative dimension or more than Array.MaxLength elements.
    let full (dtype: DType) (shape: int[]) (value: float) =
        let n = Shape.checkedSize "Fill" shape
        let data: Array =
            match dtype with
            | DType.Float32 -> Array.create n (float32 value) :> _
            | DType.Float64 -> Array.create n value :> _
            | DType.Int32 -> Array.create n (int value) :> _
            | DType.Int64 -> Array.create n (int64 value) :> _
            | DType.Bool -> Array.create n (value <> 0.0) :> _
            | _ -> checkDType "Fill" dtype; null
        RawTensor(dtype, Array.copy shape, data)

    let zeros dtype shape = full dtype shape 0.0
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
                | DType.Float32, (:? (float[]) as a) -> let r = Array.zeroCreate n in TensorPrimitives.ConvertTruncating<float, float32>(ReadOnlySpan a, Span r); r :> _
                | DType.Float64, (:? (float32[]) as a) -> let r = Array.zeroCreate n in TensorPrimitives.ConvertTruncating<float32, float>(ReadOnlySpan a, Span r); r :> _
                | DType.Float32, (:? (bool[]) as a) -> Array.map (fun b -> if b then 1.0f else 0.0f) a :> _
                | DType.Float64, (:? (bool[]) as a) -> Array.map (fun b -> if b then 1.0 else 0.0) a :> _
                | DType.Float32, (:? (int[]) as a) -> Array.map float32 a :> _
                | DType.Float64, (:? (int[]) as a) -> Array.map float a :> _
                | DType.Float32, _ -> Array.init n (fun i -> float32 (getDouble t i)) :> _
                | DType.Float64, _ -> Array.init n (getDouble t) :> _
                | DType.Int32, (:? (int64[]) as a) -> Array.map int a :> _
                | DType.Int32, _ -> Array.init n (fun i -> int (getDouble t i)) :> _
                | DType.Int64, (:? (int[]) as a) -> Array.map int64 a :> _
                | DType.Int64, _ -> Array.init n (fun i -> int64 (getDouble t i)) :> _
                | DType.Bool, _ -> Array.init n (fun i -> getDouble t i <> 0.0) :> _
                | _ -> checkDType "Cast" dtype; null
            RawTensor(dtype, t.Shape, data)

    let reshape (shape: int[]) (t: RawTensor) = RawTensor(t.DType, shape, t.Data)

    /// Element counts from which element-wise kernels split their work over the kernel threads
    /// (MathNet's MaxDegreeOfParallelism, which Backend.Threads sets).
    let parallelThreshold = 1 <<< 16

    /// Runs `kernel offset length` over [0, n), in contiguous chunks on the kernel threads when n is large; not at all
    /// when n is 0 (some TensorPrimitives kernels, Sigmoid's among them, reject empty spans).
    let forChunks (n: int) (kernel: int -> int -> unit) =
        let threads = min MathNet.Numerics.Control.MaxDegreeOfParallelism (n / (parallelThreshold / 2))
        if n = 0 then ()
        elif n < parallelThreshold || threads <= 1 then kernel 0 n
        else
            let chunk = (n + threads - 1) / threads
            KernelThreads.run threads threads (fun c ->
                let o = c * chunk
                if o < n then kernel o (min chunk (n - o)))

    // ---------------------------------------------------------------- element-wise, unary

    let requireFloat (op: string) (t: RawTensor) =
        if not t.IsFloat then
            invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (dtypeName t.DType))

    /// Applies a float kernel (given once for float32 and once for float64, over `offset, length`) into a fresh,
    /// uninitialised result (every element is written), split over the kernel threads for large tensors.
    let inline unaryFloat (op: string) (f32: float32[] -> float32[] -> int -> int -> unit)
                          (f64: float[] -> float[] -> int -> int -> unit) (t: RawTensor) =
        match t.Data with
        | :? (float[]) as a ->
            let r = GC.AllocateUninitializedArray<float> a.Length
            forChunks a.Length (f64 a r)
            RawTensor(t.DType, t.Shape, r)
        | :? (float32[]) as a ->
            let r = GC.AllocateUninitializedArray<float32> a.Length
            forChunks a.Length (f32 a r)
            RawTensor(t.DType, t.Shape, r)
        | _ -> requireFloat op t; t

    // ---------------------------------------------------------------- SIMD exp and tanh (256-bit vectors)

    /// 1.5 * 2^23: x + this, for |x| < 2^22, is x rounded to an integer (to nearest, the FPU's rounding) with that
    /// integer in the low bits of the sum's bits, so one fused multiply-add gives round(x / ln2) as a float (after
    /// subtracting this again) and as an integer (in the bits), without a round or a float-to-int conversion.
    [<Literal>]
    let private RoundingShiftF32 = 12582912.0f

    /// e^r for r = x - nf ln2 (ln2 in two parts), nf = round(x / ln2): Cephes expf's degree-6 polynomial, about 1 ulp,
    /// in Estrin's form (coefficient pairs combined with r^2 and r^4): as many multiply-adds as Horner's scheme but
    /// three deep instead of five, and this latency, not the multiply-add units, is what bounds the loop over a tensor.
    let inline private expReducedF32 (x: Vector256<float32>) (nf: Vector256<float32>) =
        let r = Vector256.MultiplyAddEstimate(nf, Vector256.Create(-0.693359375f), x)
        let r = Vector256.MultiplyAddEstimate(nf, Vector256.Create(2.12194440e-4f), r)
        let r2 = Vector256.Multiply(r, r)
        let q0 = Vector256.MultiplyAddEstimate(Vector256.Create(1.6666665459E-1f), r, Vector256.Create(5.0000001201E-1f))
        let q1 = Vector256.MultiplyAddEstimate(Vector256.Create(8.3334519073E-3f), r, Vector256.Create(4.1665795894E-2f))
        let q2 = Vector256.MultiplyAddEstimate(Vector256.Create(1.9875691500E-4f), r, Vector256.Create(1.3981999507E-3f))
        let p = Vector256.MultiplyAddEstimate(q2, Vector256.Multiply(r2, r2), Vector256.MultiplyAddEstimate(q1, r2, q0))
        Vector256.Add(Vector256.MultiplyAddEstimate(p, r2, r), Vector256.Create(1.0f))

    /// e^x on 8 float32 lanes, every input (Cephes expf: x = n ln2 + r with |r| <= ln2/2 and a degree-6 polynomial, about 1 ulp):
    /// overflow gives +inf, underflow goes through the subnormals to 0, NaN stays NaN.
    let private expF32VFull (x0: Vector256<float32>) =
        let x = Vector256.Min(Vector256.Max(x0, Vector256.Create(-104.0f)), Vector256.Create(89.0f))
        let shift = Vector256.Create RoundingShiftF32
        let t = Vector256.MultiplyAddEstimate(x, Vector256.Create(1.44269504088896341f), shift)
        let y = expReducedF32 x (Vector256.Subtract(t, shift))
        // 2^n as two powers of two: n reaches below the smallest normal exponent (-126) and up to 128
        let n = Vector256.Subtract(Vector256.AsInt32 t, Vector256.AsInt32 shift)
        let n1 = Vector256.ShiftRightArithmetic(n, 1)
        let n2 = Vector256.Subtract(n, n1)
        let s1 = Vector256.AsSingle(Vector256.ShiftLeft(Vector256.Add(n1, Vector256.Create 127), 23))
        let s2 = Vector256.AsSingle(Vector256.ShiftLeft(Vector256.Add(n2, Vector256.Create 127), 23))
        Vector256.ConditionalSelect(Vector256.Equals(x0, x0), Vector256.Multiply(Vector256.Multiply(y, s1), s2), x0)

    /// e^x on 8 float32 lanes: when every lane has |x| <= 87 (no NaN, no overflow, results normal) n is added straight
    /// to the polynomial's exponent bits (exact: the result is normal) and no clamping or NaN select is needed (15 vector
    /// operations instead of 26); any other vector takes the full kernel above.
    let inline private expF32V (x0: Vector256<float32>) =
        if Vector256.LessThanOrEqualAll(Vector256.Abs x0, Vector256.Create(87.0f)) then
            let shift = Vector256.Create RoundingShiftF32
            let t = Vector256.MultiplyAddEstimate(x0, Vector256.Create(1.44269504088896341f), shift)
            let y = expReducedF32 x0 (Vector256.Subtract(t, shift))
            // t's bits are shift's plus n; shifted into the exponent field shift's bits fall out (its low 9 bits are 0)
            Vector256.AsSingle(Vector256.Add(Vector256.AsInt32 y, Vector256.ShiftLeft(Vector256.AsInt32 t, 23)))
        else expF32VFull x0

    /// e^x on 4 float64 lanes. When every lane has |x| <= 708 (no NaN, no overflow, results normal): x = n ln2 + r with
    /// |r| <= ln2/2 (ln2 in two parts), e^r by its Taylor series to r^13 (truncation below 5e-18 relative) in Estrin's
    /// form, one power-of-two scale. Any other vector is computed lane by lane with Math.Exp.
    let inline private expF64V (x: Vector256<float>) =
        if Vector256.LessThanOrEqualAll(Vector256.Abs x, Vector256.Create(708.0)) then
            let nf = Vector256.Round(Vector256.Multiply(x, Vector256.Create(1.4426950408889634)))
            let r = Vector256.MultiplyAddEstimate(nf, Vector256.Create(-0.693147180369123816490), x)
            let r = Vector256.MultiplyAddEstimate(nf, Vector256.Create(-1.90821492927058770002e-10), r)
            let c (v: float) = Vector256.Create v
            let fma (a: Vector256<float>) (b: Vector256<float>) (d: Vector256<float>) = Vector256.MultiplyAddEstimate(a, b, d)
            // Estrin's scheme (short dependency chains): pairs a_k + a_(k+1) r, then powers r^2, r^4, r^8
            let q0 = fma r (c 1.0) (c 1.0)
            let q1 = fma r (c (1.0 / 6.0)) (c 0.5)
            let q2 = fma r (c (1.0 / 120.0)) (c (1.0 / 24.0))
            let q3 = fma r (c (1.0 / 5040.0)) (c (1.0 / 720.0))
            let q4 = fma r (c (1.0 / 362880.0)) (c (1.0 / 40320.0))
            let q5 = fma r (c (1.0 / 39916800.0)) (c (1.0 / 3628800.0))
            let q6 = fma r (c (1.0 / 6227020800.0)) (c (1.0 / 479001600.0))
            let r2 = Vector256.Multiply(r, r)
            let r4 = Vector256.Multiply(r2, r2)
            let r8 = Vector256.Multiply(r4, r4)
            let s0 = fma q1 r2 q0
            let s1 = fma q3 r2 q2
            let s2 = fma q5 r2 q4
            let t0 = fma s1 r4 s0
            let t1 = fma q6 r4 s2
            let y = fma t1 r8 t0
            // n from nf's bits (adding 1.5 * 2^52 puts the integer in the low bits; AVX2 has no double -> int64 convert)
            let magic = Vector256.Create(6755399441055744.0)
            let n = Vector256.Subtract(Vector256.AsInt64(Vector256.Add(nf, magic)), Vector256.AsInt64 magic)
            let bits = Vector256.ShiftLeft(Vector256.Add(n, Vector256.Create 1023L), 52)
            Vector256.Multiply(y, Vector256.AsDouble bits)
        else
            Vector256.Create(Math.Exp(x.GetElement 0), Math.Exp(x.GetElement 1), Math.Exp(x.GetElement 2), Math.Exp(x.GetElement 3))

    /// tanh on 8 float32 lanes (Cephes tanhf): x + x^3 P(x^2) below |x| = 0.625, else 1 - 2 / (e^(2|x|) + 1) with x's sign.
    let inline private tanhF32V (x: Vector256<float32>) =
        let ax = Vector256.Abs x
        let e = expF32V (Vector256.Add(ax, ax))
        let large = Vector256.Subtract(Vector256.Create(1.0f), Vector256.Divide(Vector256.Create(2.0f), Vector256.Add(e, Vector256.Create(1.0f))))
        let large = Vector256.BitwiseOr(large, Vector256.BitwiseAnd(x, Vector256.Create(-0.0f)))
        let s = Vector256.Multiply(x, x)
        let p = Vector256.MultiplyAddEstimate(Vector256.Create(-5.70498872745E-3f), s, Vector256.Create(2.06390887954E-2f))
        let p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(-5.37397155531E-2f))
        let p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(1.33314422036E-1f))
        let p = Vector256.MultiplyAddEstimate(p, s, Vector256.Create(-3.33332819422E-1f))
        let small = Vector256.MultiplyAddEstimate(Vector256.Multiply(x, s), p, x)
        Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large)

    /// Applies a vector function over [o, o + n) of `a` into `r` (fresh, never `a`); a last partial vector is computed
    /// as the range's final full vector (overlapping the one before), a range shorter than one vector element-wise.
    let inline private mapV256 ([<InlineIfLambda>] f: Vector256<'T> -> Vector256<'T>) ([<InlineIfLambda>] scalar: 'T -> 'T)
                               (a: 'T[]) (r: 'T[]) (o: int) (n: int) =
        let w = Vector256<'T>.Count
        if n < w then
            for i in o .. o + n - 1 do r.[i] <- scalar a.[i]
        else
            let src = MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(a, o, n))
            let dst = MemoryMarshal.Cast<'T, Vector256<'T>>(Span(r, o, n))
            for j in 0 .. src.Length - 1 do dst.[j] <- f src.[j]
            if src.Length * w < n then
                let last = o + n - w
                MemoryMarshal.Cast<'T, Vector256<'T>>(Span(r, last, w)).[0] <- f (MemoryMarshal.Cast<'T, Vector256<'T>>(ReadOnlySpan(a, last, w)).[0])

    /// True when the SIMD exp and tanh above run in hardware (256-bit vectors with fused multiply-add); otherwise
    /// TensorPrimitives' kernels are used.
    let private simdMath = Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported

    let neg (t: RawTensor) =
        match t.Data with
        | :? (int[]) as a -> RawTensor(t.DType, t.Shape, Array.map (~-) a)
        | :? (int64[]) as a -> RawTensor(t.DType, t.Shape, Array.map (~-) a)
        | _ -> unaryFloat "Negative" (fun a r o n -> TensorPrimitives.Negate(ReadOnlySpan(a, o, n), Span(r, o, n)))
                                     (fun a r o n -> TensorPrimitives.Negate(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let exp t =
        if simdMath then unaryFloat "Exp" (mapV256 expF32V MathF.Exp) (mapV256 expF64V Math.Exp) t
        else unaryFloat "Exp" (fun a r o n -> TensorPrimitives.Exp(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Exp(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let log t = unaryFloat "Log" (fun a r o n -> TensorPrimitives.Log(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Log(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let sin t = unaryFloat "Sin" (fun a r o n -> TensorPrimitives.Sin(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Sin(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let cos t = unaryFloat "Cos" (fun a r o n -> TensorPrimitives.Cos(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Cos(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let tanh t =
        // float64 keeps TensorPrimitives' tanh (already ahead of libtorch's here); float32 gets the SIMD one
        if simdMath then unaryFloat "Tanh" (mapV256 tanhF32V MathF.Tanh) (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) t
        else unaryFloat "Tanh" (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let square t = unaryFloat "Square" (fun a r o n -> TensorPrimitives.Multiply(ReadOnlySpan(a, o, n), ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Multiply(ReadOnlySpan(a, o, n), ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let sqrt t = unaryFloat "Sqrt" (fun a r o n -> TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), Span(r, o, n))) t

    // ---------------------------------------------------------------- element-wise, binary with broadcasting

    /// Row kernels of one binary op for one element type: vector-vector, vector-scalar, scalar-vector.
    type BinRows<'T> =
        { VV: 'T[] -> int -> 'T[] -> int -> 'T[] -> int -> int -> unit
          VS: 'T[] -> int -> 'T -> 'T[] -> int -> int -> unit
          SV: 'T -> 'T[] -> int -> 'T[] -> int -> int -> unit }

    /// Walks the broadcast output in rows of its last axis and hands each row to the row kernels.
    let private broadcastRows (k: BinRows<'T>) (outShape: int[]) (aShape: int[]) (a: 'T[]) (bShape: int[]) (b: 'T[]) =
        let n = Shape.size outShape
        let r: 'T[] = GC.AllocateUninitializedArray<'T> n // every element is written below
        if n > 0 then
            if Shape.equal aShape bShape then forChunks n (fun o len -> k.VV a o b o r o len)
            elif a.Length = 1 then forChunks n (fun o len -> k.SV a.[0] b o r o len)
            elif b.Length = 1 then forChunks n (fun o len -> k.VS a o b.[0] r o len)
            else
                let rank = outShape.Length
                let sa = Shape.broadcastStrides aShape outShape
                let sb = Shape.broadcastStrides bShape outShape
                let len = outShape.[rank - 1]
                let la = if len = 1 then 1 else sa.[rank - 1]
                let lb = if len = 1 then 1 else sb.[rank - 1]
                let idx = Array.zeroCreate (rank - 1)
                let mutable ao = 0
                let mutable bo = 0
                let mutable ro = 0
                while ro < n do
                    if la = 1 && lb = 1 then k.VV a ao b bo r ro len
                    elif la = 1 then k.VS a ao b.[bo] r ro len
                    elif lb = 1 then k.SV a.[ao] b bo r ro len
                    else
                        let tmp = [| a.[ao] |]
                        k.VS tmp 0 b.[bo] r ro 1
                        for j in 1 .. len - 1 do r.[ro + j] <- r.[ro]
                    ro <- ro + len
                    // advance the odometer over the outer axes
                    let mutable ax = rank - 2
                    let mutable carry = true
                    while carry && ax >= 0 do
                        idx.[ax] <- idx.[ax] + 1
                        ao <- ao + sa.[ax]
                        bo <- bo + sb.[ax]
                        if idx.[ax] < outShape.[ax] then carry <- false
                        else
                            ao <- ao - sa.[ax] * outShape.[ax]
                            bo <- bo - sb.[ax] * outShape.[ax]
                            idx.[ax] <- 0
                            ax <- ax - 1
        r

    /// A binary op's kernels for every dtype it supports.
    type BinKernel =
        { Name: string
          F32: BinRows<float32>
          F64: BinRows<float>
          I32: BinRows<int> option
          I64: BinRows<int64> option }

    /// Row kernels from a scalar function (integer dtypes).
    let loopRows (f: 'T -> 'T -> 'T) : BinRows<'T> =
        { VV = fun a ao b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f a.[ao + i] b.[bo + i]
          VS = fun a ao s r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f a.[ao + i] s
          SV = fun s b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- f s b.[bo + i] }

    let private binaryBroadcast (k: BinKernel) (x: RawTensor) (y: RawTensor) =
        let shape = Shape.broadcast k.Name x.Shape y.Shape
        let unsupported () =
            invalidArg "x" (sprintf "%s: dtype %s is not supported" k.Name (dtypeName x.DType))
        let data: Array =
            match x.Data, y.Data with
            | (:? (float32[]) as a), (:? (float32[]) as b) -> broadcastRows k.F32 shape x.Shape a y.Shape b :> _
            | (:? (float[]) as a), (:? (float[]) as b) -> broadcastRows k.F64 shape x.Shape a y.Shape b :> _
            | (:? (int[]) as a), (:? (int[]) as b) ->
                match k.I32 with Some rows -> broadcastRows rows shape x.Shape a y.Shape b :> _ | None -> unsupported ()
            | (:? (int64[]) as a), (:? (int64[]) as b) ->
                match k.I64 with Some rows -> broadcastRows rows shape x.Shape a y.Shape b :> _ | None -> unsupported ()
            | _ -> unsupported ()
        RawTensor(x.DType, Array.copy shape, data)

    /// Applies a binary kernel with NumPy broadcasting. Both operands must have the same dtype.
    let binary (k: BinKernel) (x: RawTensor) (y: RawTensor) =
        if x.DType <> y.DType then
            invalidArg "y" (sprintf "%s: operands have dtypes %s and %s; expected the same dtype (use Cast)" k.Name (dtypeName x.DType) (dtypeName y.DType))
        binaryBroadcast k x y


    let addK =
        { Name = "Add"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Add(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Add(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows (+))
          I64 = Some(loopRows (+)) }

    let subK =
        { Name = "Subtract"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Subtract(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Subtract(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          I32 = Some(loopRows (-))
          I64 = Some(loopRows (-)) }

    let mulK =
        { Name = "Multiply"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows (*))
          I64 = Some(loopRows (*)) }

    let divK =
        { Name = "Divide"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Divide(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Divide(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          I32 = None
          I64 = None }

    let add x y = binary addK x y
    let sub x y = binary subK x y
    let mul x y = binary mulK x y
    let div x y = binary divK x y

    // ---------------------------------------------------------------- layout (dtype-agnostic, by Array.Copy runs)

    /// Copies `src` (viewed through `srcStrides`, which may hold zeros for broadcast axes) into a new
    /// contiguous array of `outShape`, one run of the last axis at a time.
    let private gather (dtype: DType) (src: Array) (srcStrides: int[]) (srcOffset: int) (outShape: int[]) =
        let n = Shape.size outShape
        let r = alloc dtype n
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

    /// Broadcasts to `shape` (which must be a valid broadcast target of t's shape).
    let broadcastTo (shape: int[]) (t: RawTensor) =
        if Shape.equal shape t.Shape then t
        else
            let b = Shape.broadcast "BroadcastTo" t.Shape shape
            if not (Shape.equal b shape) then
                invalidArg "shape" (sprintf "BroadcastTo: cannot broadcast shape %s to %s" (Shape.format t.Shape) (Shape.format shape))
            RawTensor(t.DType, Array.copy shape, gather t.DType t.Data (Shape.broadcastStrides t.Shape shape) 0 shape)

    /// Permutes axes: result axis i is input axis perm[i].
    let transpose (perm: int[]) (t: RawTensor) =
        let outShape = perm |> Array.map (fun p -> t.Shape.[p])
        let s = Shape.strides t.Shape
        let outStrides = perm |> Array.map (fun p -> s.[p])
        if t.Rank = 2 && perm.[0] = 1 then
            let m, n = t.Shape.[0], t.Shape.[1]
            let blocked (a: 'T[]) =
                let r: 'T[] = Array.zeroCreate a.Length
                let bs = 32
                for i0 in 0 .. bs .. m - 1 do
                    for j0 in 0 .. bs .. n - 1 do
                        for i in i0 .. min (i0 + bs) m - 1 do
                            for j in j0 .. min (j0 + bs) n - 1 do
                                r.[j * m + i] <- a.[i * n + j]
                r
            let data: Array =
                match t.Data with
                | :? (float32[]) as a -> blocked a :> _
                | :? (float[]) as a -> blocked a :> _
                | _ -> gather t.DType t.Data outStrides 0 outShape
            RawTensor(t.DType, outShape, data)
        else RawTensor(t.DType, outShape, gather t.DType t.Data outStrides 0 outShape)

    /// The block of `t` starting at `start` with extent `size` (both full length, already checked).
    let slice (start: int[]) (size: int[]) (t: RawTensor) =
        let s = Shape.strides t.Shape
        let mutable off = 0
        for i in 0 .. start.Length - 1 do off <- off + start.[i] * s.[i]
        RawTensor(t.DType, Array.copy size, gather t.DType t.Data s off size)

    /// Copies `t` into `r` (same dtype and rank, t fitting at `start`) at offset `start`, bit for bit.
    let private writeAt (r: RawTensor) (start: int[]) (t: RawTensor) =
        let shape = r.Shape
        let n = t.Size
        if n > 0 then
            let rank = shape.Length
            let ds = Shape.strides shape
            let mutable off = 0
            for i in 0 .. rank - 1 do off <- off + start.[i] * ds.[i]
            if rank = 0 then Array.Copy(t.Data, 0, r.Data, 0, 1)
            else
                let len = t.Shape.[rank - 1]
                let idx = Array.zeroCreate rank
                let mutable so = 0
                let mutable ro = off
                while so < n do
                    Array.Copy(t.Data, so, r.Data, ro, len)
                    so <- so + len
                    let mutable ax = rank - 2
                    let mutable carry = true
                    while carry && ax >= 0 do
                        idx.[ax] <- idx.[ax] + 1
                        ro <- ro + ds.[ax]
                        if idx.[ax] < t.Shape.[ax] then carry <- false
                        else
                            ro <- ro - ds.[ax] * t.Shape.[ax]
                            idx.[ax] <- 0
                            ax <- ax - 1

    /// Zeros of `shape` with `t` written at offset `start` (the adjoint of `slice`).
    let pad (shape: int[]) (start: int[]) (t: RawTensor) =
        let r = zeros t.DType shape
        writeAt r start t
        r

    /// The tensors `ts` (one dtype) placed into one tensor of `shape`, each at its offset in `starts`: concatenation,
    /// copied bit for bit (signed zeros and NaN payloads kept; no arithmetic).
    let concatAt (shape: int[]) (starts: int[][]) (ts: RawTensor[]) =
        let r = zeros ts.[0].DType shape
        Array.iter2 (writeAt r) starts ts
        r

    // ---------------------------------------------------------------- reductions

    /// Sum over one (normalised) axis, keeping it with extent 1.
    let private sumAxisKeep (axis: int) (t: RawTensor) =
        let shape = t.Shape
        let outer = Shape.size shape.[.. axis - 1]
        let n = shape.[axis]
        let inner = Shape.size shape.[axis + 1 ..]
        let outShape = Array.copy shape
        outShape.[axis] <- 1
        let run (a: 'T[]) (sumSpan: 'T[] -> int -> int -> 'T) (addInto: 'T[] -> int -> 'T[] -> int -> int -> unit) =
            let r: 'T[] = Array.zeroCreate (outer * inner)
            if inner = 1 then
                for o in 0 .. outer - 1 do r.[o] <- sumSpan a (o * n) n
            else
                for o in 0 .. outer - 1 do
                    for k in 0 .. n - 1 do addInto a ((o * n + k) * inner) r (o * inner) inner
            r
        let data: Array =
            match t.Data with
            | :? (float32[]) as a ->
                run a (fun a o n -> TensorPrimitives.Sum(ReadOnlySpan(a, o, n)))
                      (fun a ao r ro n -> TensorPrimitives.Add(ReadOnlySpan(r, ro, n), ReadOnlySpan(a, ao, n), Span(r, ro, n))) :> _
            | :? (float[]) as a ->
                run a (fun a o n -> TensorPrimitives.Sum(ReadOnlySpan(a, o, n)))
                      (fun a ao r ro n -> TensorPrimitives.Add(ReadOnlySpan(r, ro, n), ReadOnlySpan(a, ao, n), Span(r, ro, n))) :> _
            | :? (int[]) as a ->
                run a (fun a o n -> let mutable s = 0 in (for i in o .. o + n - 1 do s <- s + a.[i]); s)
                      (fun a ao r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- r.[ro + i] + a.[ao + i]) :> _
            | :? (int64[]) as a ->
                run a (fun a o n -> let mutable s = 0L in (for i in o .. o + n - 1 do s <- s + a.[i]); s)
                      (fun a ao r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- r.[ro + i] + a.[ao + i]) :> _
            | _ -> invalidArg "x" (sprintf "ReduceSum: dtype %s is not supported" (dtypeName t.DType))
        RawTensor(t.DType, outShape, data)

    /// Sum over the given normalised, sorted axes.
    let sumAxes (axes: int[]) (keepDims: bool) (t: RawTensor) =
        let kept =
            if axes.Length = t.Rank && t.IsFloat then
                let s =
                    match t.Data with
                    | :? (float32[]) as a -> RawTensor(t.DType, Array.create t.Rank 1, [| TensorPrimitives.Sum(ReadOnlySpan a) |])
                    | :? (float[]) as a -> RawTensor(t.DType, Array.create t.Rank 1, [| TensorPrimitives.Sum(ReadOnlySpan a) |])
                    | _ -> t
                s
            else Array.fold (fun acc ax -> sumAxisKeep ax acc) t axes
        if keepDims then kept else reshape (Shape.reduced t.Shape axes false) kept

    /// Sums `t` down to `shape`, the inverse of broadcasting `shape` up to t's shape.
    let sumTo (shape: int[]) (t: RawTensor) =
        if Shape.equal shape t.Shape then t
        else
            let off = t.Rank - shape.Length
            let axes =
                [| for i in 0 .. t.Rank - 1 do
                     if i < off || (shape.[i - off] = 1 && t.Shape.[i] <> 1) then yield i |]
            let s = sumAxes axes true t
            reshape (Array.copy shape) s

    // ---------------------------------------------------------------- matrix product

    /// 2-D matrix product op(a) * op(b) of row-major matrices, through the provider `Backend` chose
    /// (MathNet's ILinearAlgebraProvider: MKL, another CBLAS, or MathNet's managed code).
    /// A row-major m x k matrix is the column-major k x m matrix, so C = A B is computed as C^T = B^T A^T.
    let matmul2 (transA: bool) (transB: bool) (a: RawTensor) (b: RawTensor) =
        let m = if transA then a.Shape.[1] else a.Shape.[0]
        let k = if transA then a.Shape.[0] else a.Shape.[1]
        let n = if transB then b.Shape.[0] else b.Shape.[1]
        let provider = Backend.linearAlgebra ()
        let tA = if transA then Transpose.Transpose else Transpose.DontTranspose
        let tB = if transB then Transpose.Transpose else Transpose.DontTranspose
        // Column-major view: B-array is (rows, cols) = (bCols, bRows) as stored.
        let bRowsCM, bColsCM = b.Shape.[1], b.Shape.[0]
        let aRowsCM, aColsCM = a.Shape.[1], a.Shape.[0]
        // A C that the provider's GEMM overwrites need not be cleared first (a fresh large array would otherwise be
        // written twice); any other provider, and an empty or vector product, gets a cleared one.
        let uninitialised = k > 0 && m > 1 && n > 1 && (Backend.capabilitiesOf provider).GemmOverwritesOutput
        let output (len: int) : 'T[] = if uninitialised then GC.AllocateUninitializedArray<'T> len else Array.zeroCreate len
        let data: Array =
            match a.Data, b.Data with
            | (:? (float[]) as x), (:? (float[]) as y) ->
                let c = output (m * n)
                if m > 0 && n > 0 && k > 0 then
                    provider.MatrixMultiplyWithUpdate(tB, tA, 1.0, y, bRowsCM, bColsCM, x, aRowsCM, aColsCM, 0.0, c)
                c :> _
            | (:? (float32[]) as x), (:? (float32[]) as y) ->
                let c = output (m * n)
                if m > 0 && n > 0 && k > 0 then
                    provider.MatrixMultiplyWithUpdate(tB, tA, 1.0f, y, bRowsCM, bColsCM, x, aRowsCM, aColsCM, 0.0f, c)
                c :> _
            | _ -> invalidArg "a" (sprintf "MatMul: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, [| m; n |], data)
