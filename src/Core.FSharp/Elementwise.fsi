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

// ------------------------------------------------------------------------- more element-wise ops (tf.math)

/// Scalar special functions in float64 (erf, erfc, expm1, lgamma, digamma, polygamma), for the kernels and the tests.
module internal SpecialFunctions =
    /// The error function: an everywhere-convergent series of positive terms for |x| < 3, 1 - erfc beyond (±1 from
    /// |x| >= 6). About 1 ulp; NaN for NaN.
    val erf: x: float -> float
    /// The complementary error function: 1 - erf for x < 1, Laplace's continued fraction for x >= 1 (full relative
    /// accuracy in the tail, 0 beyond 27.5), 2 - erfc(-x) for x < 0.
    val erfc: x: float -> float
    /// e^x - 1, accurate near 0.
    val expm1: x: float -> float
    /// e^x - 1 in float32 (through float64).
    val expm1F32: x: float32 -> float32
    /// log |Gamma(x)|: the Taylor series of lgamma(1 + z) (zeta values) within 0.2 of 1 and 2 (full relative accuracy
    /// near those zeros), Lanczos (g = 7) elsewhere on [0.5, 10), Stirling's series from 10, reflection below 0.5; +inf
    /// at 0, the negative integers and ±inf.
    val lgamma: x: float -> float
    /// psi(x) = Gamma'(x) / Gamma(x): recurrence up to 10 then the asymptotic series; reflection below 0. NaN at 0, the
    /// negative integers and -inf; +inf at +inf.
    val digamma: x: float -> float
    /// psi^(n)(x) for n >= 0 (n = 0 is digamma): (-1)^(n+1) n! zeta(n + 1, x), the Hurwitz zeta summed directly then by
    /// Euler-Maclaurin. At 0 and the negative integers +inf for odd n, NaN for even n; 0 at +inf, NaN at -inf.
    val polygamma: n: int -> x: float -> float

/// Arcsine (TensorFlow's `asin`). f' = 1 / sqrt(1 - x^2). NaN outside [-1, 1] and for NaN (value and derivative); the
/// derivative is +inf at ±1 (as TensorFlow's AsinGrad, which divides by sqrt(1 - x^2)).
val asin: x: Tensor -> Tensor

/// Arccosine (TensorFlow's `acos`). f' = -1 / sqrt(1 - x^2). NaN outside [-1, 1] and for NaN; the derivative is -inf at
/// ±1 (as TensorFlow).
val acos: x: Tensor -> Tensor

/// Hyperbolic sine (`sinh`). f' = cosh x. ±inf beyond overflow; NaN for NaN.
val sinh: x: Tensor -> Tensor

/// Hyperbolic cosine (`cosh`). f' = sinh x. +inf beyond overflow; NaN for NaN.
val cosh: x: Tensor -> Tensor

/// Inverse hyperbolic sine (`asinh`). f' = 1 / sqrt(x^2 + 1). ±inf at ±inf (derivative 0); NaN for NaN.
val asinh: x: Tensor -> Tensor

/// Inverse hyperbolic cosine (`acosh`). f' = 1 / sqrt(x^2 - 1): +inf at x = 1 (as TensorFlow's AcoshGrad, 1 / sinh y);
/// NaN below 1 and for NaN (value and derivative).
val acosh: x: Tensor -> Tensor

/// Inverse hyperbolic tangent (`atanh`). f' = 1 / (1 - x^2): +inf at ±1, where the value is ±inf (as TensorFlow's
/// AtanhGrad); NaN outside [-1, 1] and for NaN.
val atanh: x: Tensor -> Tensor

/// The error function (`erf`), accurate to about an ulp in both dtypes (computed in float64). f' = 2/sqrt(pi) e^(-x^2).
/// ±1 at ±inf (derivative 0); NaN for NaN.
val erf: x: Tensor -> Tensor

/// The complementary error function 1 - erf x (`erfc`), with full relative accuracy in the tail (erfc 10 = 2.09e-45 in
/// float64). f' = -2/sqrt(pi) e^(-x^2). 0 at +inf, 2 at -inf (derivative 0); NaN for NaN.
val erfc: x: Tensor -> Tensor

/// e^x - 1 (`expm1`), accurate near 0. f' = e^x. -1 at -inf (derivative 0), +inf at +inf; NaN for NaN.
val expm1: x: Tensor -> Tensor

/// 1 / x (`reciprocal`), float dtypes. f' = -1/x^2, from the result as TensorFlow's ReciprocalGrad (-y^2): ±inf at ±0
/// with derivative -inf; 0 at ±inf with derivative -0.
val reciprocal: x: Tensor -> Tensor

/// 1 / sqrt x (`rsqrt`). f' = -y^3 / 2 from the result y, as TensorFlow's RsqrtGrad: +inf at 0 with derivative -inf;
/// NaN below 0 and for NaN.
val rsqrt: x: Tensor -> Tensor

/// The largest integer <= x (`floor`), float dtypes. f' = 0 (NaN at a NaN). TensorFlow's gradient is None; here it is
/// zeros, so sums of Floor with other terms and higher orders need no special case.
val floor: x: Tensor -> Tensor

/// The smallest integer >= x (`ceil`), float dtypes. f' = 0 (NaN at a NaN); TensorFlow's gradient is None.
val ceil: x: Tensor -> Tensor

/// The nearest integer, ties to even (`round`, as TensorFlow's banker's rounding: round(0.5) = 0, round(1.5) = 2,
/// round(-2.5) = -2). Integer tensors are returned unchanged. f' = 0 (NaN at a NaN); TensorFlow's gradient is None.
val round: x: Tensor -> Tensor

/// The polygamma function psi^(n)(x) (`polygamma`), n >= 0 an integer order (TensorFlow's takes the order as a
/// tensor; its gradient in the order is undefined there too). f' = psi^(n+1)(x). At 0 and the negative integers +inf for
/// odd n and NaN for even n.
val polygamma: n: int -> x: Tensor -> Tensor

/// The digamma function psi(x) = d/dx log Gamma(x) (`digamma`). f' = psi^(1)(x) (trigamma, `polygamma 1`). NaN at 0,
/// the negative integers and -inf; +inf at +inf.
val digamma: x: Tensor -> Tensor

/// log |Gamma(x)| (`lgamma`), computed in float64. f' = digamma x. +inf at 0, the negative integers and ±inf (with a NaN
/// derivative at the poles, digamma's value there); NaN for NaN.
val lgamma: x: Tensor -> Tensor

/// x > 0 ? x : alpha x (`tf.nn.leaky_relu`, alpha 0.2 in TensorFlow). f' = 1 where x > 0, else alpha: at 0 the
/// derivative is alpha, as TensorFlow's LeakyReluGrad. NaN for NaN (value and derivative at every order).
val leakyRelu: alpha: float -> x: Tensor -> Tensor

/// min(max(x, 0), 6) (`tf.nn.relu6`). f' = 1 where 0 < x < 6, else 0: the derivative is 0 at both kinks, as
/// TensorFlow's Relu6Grad. NaN for NaN (value and derivative).
val relu6: x: Tensor -> Tensor

/// x > 0 ? x : e^x - 1 (`tf.nn.elu`). f' = y + 1 where y < 0, else 1 (from the result, as TensorFlow's EluGrad): 1 at 0.
/// NaN for NaN (value and derivative).
val elu: x: Tensor -> Tensor

/// scale (x > 0 ? x : alpha (e^x - 1)) with TensorFlow's alpha = 1.6732632423543772 and scale = 1.0507009873554805
/// (`tf.nn.selu`). f' = scale (y' + alpha) where the inner value y' < 0, else scale: scale at 0, as TensorFlow's SeluGrad.
val selu: x: Tensor -> Tensor

/// atan(y / x) in the right quadrant (`atan2(y, x)`), broadcasting. d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2):
/// NaN at y = x = 0 (0/0, TensorFlow's Atan2 gradient gives the same). atan2(±0, -0) = ±pi, atan2(±0, +0) = ±0 (IEEE).
val atan2: y: Tensor -> x: Tensor -> Tensor

/// (a - b)^2 with broadcasting (`squared_difference`), float and integer dtypes. d/da = 2 (a - b), d/db = -2 (a - b).
val squaredDifference: a: Tensor -> b: Tensor -> Tensor

/// floor(a / b) with broadcasting (`floordiv`): integers round toward -inf (-7 // 2 = -4); an integer division by zero is
/// an ArgumentException (TensorFlow raises), MinValue // -1 wraps; floats give floor of the IEEE quotient (±inf, NaN at
/// 0/0). No derivative (TensorFlow's gradient is None): the result is a constant.
val floorDiv: a: Tensor -> b: Tensor -> Tensor

/// a - floor(a / b) b with broadcasting (`floormod`): the result takes the divisor's sign (-7 mod 2 = 1, 7 mod -2 = -1);
/// an integer division by zero is an ArgumentException, floats give NaN for a zero divisor. d/da = 1, d/db = -floor(a/b)
/// (as TensorFlow's FloorMod gradient); integers have no derivative.
val floorMod: a: Tensor -> b: Tensor -> Tensor

/// The sum of same-shaped, same-dtype tensors (`add_n`, no broadcasting). d = sum of the tangents; every input gets the
/// whole adjoint. ArgumentException for no inputs or a shape or dtype mismatch (naming the input).
val addN: xs: Tensor array -> Tensor

/// x and y element-wise with broadcasting (`logical_and`), Bool only, no derivative.
val logicalAnd: x: Tensor -> y: Tensor -> Tensor

/// x or y element-wise with broadcasting (`logical_or`), Bool only, no derivative.
val logicalOr: x: Tensor -> y: Tensor -> Tensor

/// not x element-wise (`logical_not`), Bool only, no derivative.
val logicalNot: x: Tensor -> Tensor

/// True where x is NaN (`is_nan`), float dtypes; a Bool tensor, no derivative.
val isNan: x: Tensor -> Tensor

/// True where x is neither infinite nor NaN (`is_finite`), float dtypes; a Bool tensor, no derivative.
val isFinite: x: Tensor -> Tensor

/// Softsign's primitive, x / (1 + |x|) with f' = 1 / (1 + |x|)^2 (Nn.softsign applies it).
val internal softsignPrim: UnaryPrim
