/// Loops that run the element-wise kernels fast: chunks split over the kernel threads, and 256-bit vector kernels
/// (exp, tanh, relu and its masks) where TensorPrimitives has none or a slower one.
module internal Nabla.Core.Simd

open System
open System.Numerics.Tensors
open System.Runtime.InteropServices
open System.Runtime.Intrinsics


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

/// uninitialised result (every element is written), split over the kernel threads for large tensors.
let inline unaryFloat (op: string) (f32: float32[] -> float32[] -> int -> int -> unit)
                      (f64: float[] -> float[] -> int -> int -> unit) (t: RawTensor) =
    match t.Data with
    | :? (float[]) as a ->
        let r = BufferPool.rent<float> a.Length
        forChunks a.Length (f64 a r)
        RawTensor(t.DType, t.Shape, r)
    | :? (float32[]) as a ->
        let r = BufferPool.rent<float32> a.Length
        forChunks a.Length (f32 a r)
        RawTensor(t.DType, t.Shape, r)
    | _ -> Storage.requireFloat op t; t

// ---------------------------------------------------------------- SIMD exp and tanh (256-bit vectors)

/// 1.5 * 2^23: x + this, for |x| < 2^22, is x rounded to an integer (to nearest, the FPU's rounding) with that
/// integer in the low bits of the sum's bits, so one fused multiply-add gives round(x / ln2) as a float (after
/// subtracting this again) and as an integer (in the bits), without a round or a float-to-int conversion.
[<Literal>]
let RoundingShiftF32 = 12582912.0f

/// e^r for r = x - nf ln2 (ln2 in two parts), nf = round(x / ln2): Cephes expf's degree-6 polynomial, about 1 ulp,
/// in Estrin's form (coefficient pairs combined with r^2 and r^4): as many multiply-adds as Horner's scheme but
/// three deep instead of five, and this latency, not the multiply-add units, is what bounds the loop over a tensor.
let inline expReducedF32 (x: Vector256<float32>) (nf: Vector256<float32>) =
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
let expF32VFull (x0: Vector256<float32>) =
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
let inline expF32V (x0: Vector256<float32>) =
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
let inline expF64V (x: Vector256<float>) =
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
let inline tanhF32V (x: Vector256<float32>) =
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
let inline mapV256 ([<InlineIfLambda>] f: Vector256<'T> -> Vector256<'T>) ([<InlineIfLambda>] scalar: 'T -> 'T)
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
let simdMath = Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported

/// r[i] = max(x[i], 0) over [o, o + n), NaN kept: x with every lane where x <= 0 cleared (a NaN lane fails x <= 0 and
/// keeps its bits; -0 becomes +0). One compare and one and-not per vector (SIMD, as `mapV256`).
let inline reluRange (x: 'T[]) (r: 'T[]) (o: int) (n: int) =
    let zero: 'T = LanguagePrimitives.GenericZero
    mapV256 (fun v -> Vector256.AndNot(v, Vector256.LessThanOrEqual(v, Vector256<'T>.Zero)))
            (fun v -> if v <= zero then zero else v) x r o n

/// r[i] = (x[i] > 0 ? g[i] : x[i] is NaN ? x[i] : 0) over [o, o + n): relu's derivative applied to g, NaN where x is
/// NaN (the and-not keeps a NaN lane of x and clears every other), SIMD where the hardware has it.
let inline maskPositiveRange (x: 'T[]) (g: 'T[]) (r: 'T[]) (o: int) (n: int) =
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

/// r[i] = (x[i] is NaN ? x[i] : +0) over [o, o + n) (SIMD, as `mapV256`).
let inline zeroOrNaNRange (x: 'T[]) (r: 'T[]) (o: int) (n: int) =
    let zero: 'T = LanguagePrimitives.GenericZero
    mapV256 (fun v -> Vector256.AndNot(v, Vector256.Equals(v, v))) (fun v -> if v = v then zero else v) x r o n

let reluF32 (x: float32[]) (r: float32[]) (o: int) (n: int) = reluRange x r o n
let reluF64 (x: float[]) (r: float[]) (o: int) (n: int) = reluRange x r o n
let maskPositiveF32 (x: float32[]) (g: float32[]) (r: float32[]) (o: int) (n: int) = maskPositiveRange x g r o n
let maskPositiveF64 (x: float[]) (g: float[]) (r: float[]) (o: int) (n: int) = maskPositiveRange x g r o n
let zeroOrNaNF32 (x: float32[]) (r: float32[]) (o: int) (n: int) = zeroOrNaNRange x r o n
let zeroOrNaNF64 (x: float[]) (r: float[]) (o: int) (n: int) = zeroOrNaNRange x r o n
