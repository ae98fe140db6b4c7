/// Element-wise primitives: each result element depends only on the operands' elements at the same index (binary ones
/// broadcast, and their VJPs sum back to each operand's shape). Arithmetic, cast, the transcendental functions,
/// activations, kinks, extremes, selection and comparisons. Derivatives at kinks and ties follow TensorFlow and are
/// stated per op; NaN propagates through values and derivatives at every order.
///
/// Adding an element-wise function is one declaration here (see DESIGN.md, "A new primitive"): its kernel over float32
/// and float64 spans, its derivative f'(x, y) written with differentiable ops, and its scalar rules, then its public
/// function.
module Nabla.Core.Elementwise

open Nabla.Core

/// The kernels of the element-wise primitives (SIMD through TensorPrimitives or Simd, split over the kernel threads for
/// large tensors). The public ones are untracked arithmetic on storage, for updates no derivative should see (an
/// optimizer's step): operands of one dtype, results in fresh arrays, nothing recorded.
module Kernels =

    val internal neg: t: RawTensor -> RawTensor

    val internal exp: t: RawTensor -> RawTensor

    val internal tanh: t: RawTensor -> RawTensor

    val internal squareFloat: t: RawTensor -> RawTensor

    /// The element-wise square root of a float tensor into a fresh tensor (NaN below zero); untracked.
    val sqrt: t: RawTensor -> RawTensor

    val internal subK: Combinators.Kernels.BinKernel

    val internal mulK: Combinators.Kernels.BinKernel

    val internal divK: Combinators.Kernels.BinKernel

    /// x - y element-wise with NumPy broadcasting, into a fresh tensor; both operands of one dtype; untracked.
    val sub: x: RawTensor -> y: RawTensor -> RawTensor

    /// x * y element-wise with NumPy broadcasting, into a fresh tensor; both operands of one dtype; untracked.
    val mul: x: RawTensor -> y: RawTensor -> RawTensor

    /// x / y (IEEE for floats: ±inf or NaN at a zero divisor) element-wise with NumPy broadcasting, into a fresh tensor; both operands of one dtype; untracked.
    val div: x: RawTensor -> y: RawTensor -> RawTensor

    /// log(1 + x) on one float32, accurate for small x (log(u) * x / (u - 1) with u = 1 + x corrects u's rounding).
    /// IEEE at the edges: NaN for NaN and for x < -1, -inf at -1, +inf at +inf (where the correction would give inf / inf).
    val internal log1pF32: x: float32 -> float32

    /// log(1 + x) on one float64 (as `log1pF32`).
    val internal log1pF64: x: float -> float

    /// 1 / (1 + e^-x) on one float32, for Sigmoid's scalar rule and Softplus's derivative rule (the kernel's
    /// TensorPrimitives.Sigmoid gives the same bits on one element, as InlineScalarNodeTests checks).
    val internal sigmoidF32: x: float32 -> float32

    /// 1 / (1 + e^-x) on one float64 (as `sigmoidF32`).
    val internal sigmoidF64: x: float -> float

    /// log(1 + e^x) on one float32 as max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
    val internal softplusF32: x: float32 -> float32

    /// log(1 + e^x) on one float64 (as `softplusF32`).
    val internal softplusF64: x: float -> float

    /// |x|; NaN stays NaN; an integer dtype's lowest value stays itself (two's complement wraps, as TensorFlow's abs).
    val internal abs: t: RawTensor -> RawTensor

    /// sign x on one Float32 element: 1, -1, or x itself for a zero (keeping its sign) and NaN (shared with Sign's and
    /// Abs's scalar rules).
    val internal signF32: x: float32 -> float32

    /// sign x on one Float64 element, as signF32.
    val internal signF64: x: float -> float

    /// sign x: -1, 0 (a zero keeps its sign) or 1; NaN for NaN (as NumPy and TensorFlow 2).
    val internal sign: t: RawTensor -> RawTensor

    /// True when a Float32/Float64 tensor holds a NaN (false for every other dtype); reads an inline scalar without making
    /// its array.
    val internal hasNaN: t: RawTensor -> bool

    /// max(x, 0) element-wise, one SIMD pass into a fresh array. NaN stays NaN (as TensorFlow's CPU kernel and NumPy's
    /// maximum); max(-0, 0) is +0.
    val internal relu: t: RawTensor -> RawTensor

    /// g where x > 0, NaN where x is NaN (x's own NaN), else 0 (x and g of one float dtype and one shape): relu's
    /// derivative applied to g in one pass, with no mask tensor in between.
    val internal maskPositive: x: RawTensor -> g: RawTensor -> RawTensor

    /// NaN where x is NaN (x's own NaN), +0 elsewhere (float dtypes): the derivative of a piecewise-constant map (0) carried
    /// through NaN.
    val internal zeroOrNaN: t: RawTensor -> RawTensor

    val internal square: t: RawTensor -> RawTensor

    val internal powK: Combinators.Kernels.BinKernel

    val internal maxK: Combinators.Kernels.BinKernel

    val internal minK: Combinators.Kernels.BinKernel

    /// Integer floor division and modulo are not needed by the API; integer Divide goes through Float64 as TensorFlow's truediv.
    /// a^b as IEEE pow: NaN for a negative a and a non-integer b, pow(NaN, 0) = 1, pow(1, NaN) = 1, NaN for any other NaN.
    val internal pow: x: RawTensor -> y: RawTensor -> RawTensor

    /// max(a, b) with broadcasting: NaN where either operand is NaN (TensorPrimitives.Max, as TensorFlow 2 since 2.4 and
    /// NumPy's maximum); max(-0, +0) = +0.
    val internal maximum: x: RawTensor -> y: RawTensor -> RawTensor

    /// min(a, b) with broadcasting: NaN where either operand is NaN; min(-0, +0) = -0.
    val internal minimum: x: RawTensor -> y: RawTensor -> RawTensor

    /// The comparisons, as an enumeration so one kernel serves them all.
    type internal Comparison =
        | Equal = 0
        | NotEqual = 1
        | Greater = 2
        | GreaterEqual = 3
        | Less = 4
        | LessEqual = 5

    /// Element-wise comparison with broadcasting; a Bool tensor. NaN compares unequal to everything.
    val internal compare: op: string -> c: Comparison -> x: RawTensor -> y: RawTensor -> RawTensor

    /// Element-wise `cond ? x : y` with broadcasting of all three (cond Bool, x and y one dtype).
    val internal select: cond: RawTensor -> x: RawTensor -> y: RawTensor -> RawTensor

    /// Bool and: used for masks.
    val internal logicalAnd: x: RawTensor -> y: RawTensor -> RawTensor

    /// Bool not: used for masks.
    val internal logicalNot: x: RawTensor -> RawTensor

/// a - b with broadcasting. d = da - db.
val sub: a: Tensor -> b: Tensor -> Tensor

val internal subPrim: unit -> BinaryPrim

/// a * b with broadcasting. d = da b + a db.
val mul: a: Tensor -> b: Tensor -> Tensor

val internal mulPrim: unit -> BinaryPrim

/// a / b with broadcasting. d = da / b - db a / b^2 = (da - db y) / b.
val div: a: Tensor -> b: Tensor -> Tensor

val internal divPrim: unit -> BinaryPrim

/// -x. d = -dx.
val neg: x: Tensor -> Tensor

val internal negPrim: unit -> UnaryPrim

/// x^2. d = 2 x dx.
val square: x: Tensor -> Tensor

val internal squarePrim: unit -> UnaryPrim

/// op(a) op(b) over the last two axes (ranks >= 2), op transposing when its flag is set, leading (batch) axes
/// broadcast as NumPy. dC = op(dA) op(B) + op(A) op(dB); the adjoints are products with G whose flags are chosen so
/// Converts to `dtype`. Between float dtypes d = cast dx and the adjoint is cast back; a cast to or
/// from an integer or bool dtype has no derivative (the result is a constant).
val cast: dtype: DType -> x: Tensor -> Tensor

/// The element-wise shortcut: a primitive from its kernel and f'(x, y) (y = f(x), both one level down).
val internal elementwise:
  name: string ->
    kernel: (RawTensor -> RawTensor) ->
    derivative: (Tensor -> Tensor -> Tensor) ->
    UnaryPrim

/// The scalar rules of an element-wise primitive: f and f'(x, y) on one element in each dtype. Each mirrors, operation
/// for operation, what the kernel and the tensor derivative compute on a one-element tensor (the libm function of that
/// dtype, then the derivative's own arithmetic), so rank-0 values agree with shape-[1] ones bit for bit.
type internal ScalarRules =
    {
      F64: (float -> float)
      D64: (float -> float -> float)
      F32: (float32 -> float32)
      D32: (float32 -> float32 -> float32)
    }

/// `elementwise` with scalar rules: plain rank-0 floats, and reverse nodes over them, skip the tensor machinery.
val internal elementwiseScalar:
  name: string ->
    kernel: (RawTensor -> RawTensor) ->
    derivative: (Tensor -> Tensor -> Tensor) ->
    rules: ScalarRules -> UnaryPrim

/// The whole declaration of an element-wise float function, in one place: its name, its kernel over a range of a
/// float32 and of a float64 array (`f32 a r offset length` writes f(a) into r; split over the kernel threads for large
/// tensors), its derivative f'(x, y) written with differentiable ops (so every order follows), and its scalar rules
/// (the same f and f' on one element, for rank-0 values). The result is flagged element-wise.
val inline internal elementwiseFloat:
  name: string ->
    f32: (float32 array -> float32 array -> int -> int -> unit) ->
    f64: (float array -> float array -> int -> int -> unit) ->
    derivative: (Tensor -> Tensor -> Tensor) ->
    rules: ScalarRules -> UnaryPrim

/// e^x. f' = e^x (the result itself).
val exp: x: Tensor -> Tensor

/// Natural logarithm. f' = 1 / x.
val log: x: Tensor -> Tensor

/// Sine. f' = cos x.
val sin: x: Tensor -> Tensor

/// Cosine. f' = -sin x.
val cos: x: Tensor -> Tensor

/// Hyperbolic tangent. f' = 1 - tanh^2 x (from the result).
val tanh: x: Tensor -> Tensor

/// Arctangent, in (-pi/2, pi/2). f' = 1 / (1 + x^2). NaN for NaN (derivative NaN); +-pi/2 at +-inf (derivative 0).
val atan: x: Tensor -> Tensor

/// Square root. f' = 1 / (2 sqrt x) (from the result).
val sqrt: x: Tensor -> Tensor

/// NaN where x is NaN, +0 elsewhere (float dtypes). f' = f (0, or NaN at a NaN), so every derivative of it is NaN at a
/// NaN too: the derivative of a piecewise-constant quantity (a mask, a sign, a selection) that must not hide a NaN.
val internal zeroOrNaN: x: Tensor -> Tensor

/// `r` made to carry NaN derivatives where `s` (of r's shape, or broadcastable to it) is NaN, for the derivative rules
/// whose value already is NaN there but whose own derivative would be 0 (a fused kernel or a constant mask): r +
/// zeroOrNaN s when s is perturbed (a dual number or a reverse node) and holds a NaN; r itself otherwise (at first order
/// this costs nothing, not even the scan).
val internal withNaNDerivatives: s: Tensor -> r: Tensor -> Tensor

/// Element-wise comparison with broadcasting; a Bool tensor with no derivative.
val internal compare: op: string -> c: Kernels.Comparison -> a: Tensor -> b: Tensor -> Tensor

/// a = b element-wise with broadcasting (TensorFlow's `equal`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val equal: a: Tensor -> b: Tensor -> Tensor

/// a <> b (true where either is NaN) element-wise with broadcasting (TensorFlow's `not_equal`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val notEqual: a: Tensor -> b: Tensor -> Tensor

/// a > b element-wise with broadcasting (TensorFlow's `greater`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val greater: a: Tensor -> b: Tensor -> Tensor

/// a >= b element-wise with broadcasting (TensorFlow's `greater_equal`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val greaterEqual: a: Tensor -> b: Tensor -> Tensor

/// a < b element-wise with broadcasting (TensorFlow's `less`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val less: a: Tensor -> b: Tensor -> Tensor

/// a <= b element-wise with broadcasting (TensorFlow's `less_equal`): a Bool tensor, no derivative; NaN compares
/// unequal to everything.
val lessEqual: a: Tensor -> b: Tensor -> Tensor

/// `condition ? x : y` element-wise with broadcasting. d = where(c, dx, dy); the adjoint goes to x
/// where the condition holds and to y elsewhere (summed back over broadcast axes).
val where: condition: Tensor -> x: Tensor -> y: Tensor -> Tensor

/// a^b with broadcasting, IEEE pow: NaN for a < 0 with a non-integer b; pow(NaN, 0) = pow(1, NaN) = 1, any other NaN
/// operand gives NaN. d/da = b a^(b-1); d/db = a^b log a, taken as 0 where a <= 0 (as TensorFlow). Where a or b is NaN
/// both derivatives are NaN, even where the value is 1 (TensorFlow gives d/db = 0 at a NaN a).
val pow: a: Tensor -> b: Tensor -> Tensor

val internal powPrim: unit -> BinaryPrim

/// log a where a > 0 or a is NaN (NaN there), else 0 (differentiable where a > 0).
val internal safeLog: a: Tensor -> Tensor

/// log(1 + x), accurate near 0. f' = 1 / (1 + x). IEEE: NaN for NaN and x < -1 (value and derivative), +inf at +inf.
val log1p: x: Tensor -> Tensor

/// tan x. f' = 1 + tan^2 x (from the result). NaN for NaN and +-inf, derivative and tangent NaN there too.
val tan: x: Tensor -> Tensor

/// 1 / (1 + e^-x). f' = y (1 - y) (from the result). NaN for NaN (derivative NaN); 1 at +inf and 0 at -inf (derivative
/// 0 at both).
val sigmoid: x: Tensor -> Tensor

/// log(1 + e^x), computed without overflow. f' = sigmoid x. NaN for NaN (derivative NaN); +inf at +inf (derivative 1),
/// 0 at -inf (derivative 0).
val softplus: x: Tensor -> Tensor

/// g where x > 0, NaN where x is NaN, else 0 (g of x's shape and dtype): relu's derivative applied to g, as one fused
/// kernel (no mask tensor). Linear in g; x enters only through the sign of its plain value, whose derivative is 0 (NaN at
/// a NaN x, which Relu's rules add with `withNaNDerivatives`), so the JVP and VJP in g are reluGrad itself and x gets no
/// adjoint here.
val internal reluGrad: x: RawTensor -> g: Tensor -> Tensor

/// max(x, 0). f' = 1 where x > 0, else 0 (so relu'(0) = 0, as TensorFlow). NaN propagates: relu(NaN) = NaN, and its
/// gradient and tangent are NaN there (TensorFlow's ReluGrad gives 0), at every order.
val relu: x: Tensor -> Tensor

/// sign x (-1, 0 or 1; a zero keeps its sign). f' = 0 everywhere: the gradient is zeros, never missing (as TensorFlow).
/// NaN propagates: sign(NaN) = NaN (as TensorFlow 2 and NumPy), and the gradient and tangent are NaN there (TensorFlow's
/// are 0), at every order.
val sign: x: Tensor -> Tensor

/// |x|. f' = sign x (so abs'(0) = 0, as TensorFlow). NaN propagates: abs(NaN) = NaN with a NaN gradient and tangent;
/// abs(+-inf) = +inf with derivative +-1.
val abs: x: Tensor -> Tensor

/// Element-wise square for every numeric dtype (float dtypes are differentiable: d = 2 x dx).
val squareAny: x: Tensor -> Tensor

/// max(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow). NaN where either operand is NaN
/// (as TensorFlow 2 and NumPy's maximum), and there both operands' gradients and tangents are NaN (TensorFlow gives the
/// whole gradient to b).
val maximum: a: Tensor -> b: Tensor -> Tensor

/// min(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow). NaN where either operand is NaN,
/// and there both operands' gradients and tangents are NaN.
val minimum: a: Tensor -> b: Tensor -> Tensor

/// min(max(x, lo), hi) with broadcasting: the gradient flows to x where lo <= x <= hi (ties included), to lo below it
/// and to hi above it (as TensorFlow's clip_by_value). NaN where x, lo or hi is NaN, and there all three gradients and
/// tangents are NaN.
val clipByValue: x: Tensor -> lo: Tensor -> hi: Tensor -> Tensor
