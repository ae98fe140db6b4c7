/// Element-wise primitives beyond the basic arithmetic: powers, activations, kinks, extremes,
/// selection and comparisons. Derivatives at kinks and ties follow TensorFlow and are stated per op.
module Nabla.Core.ElementwiseOps

open Nabla.Core.Ops
open Nabla.Core.MathOps

let private requireNumeric (op: string) (x: Tensor) =
    if x.DType = DType.Bool then
        invalidArg "x" (sprintf "%s: dtype Bool is not supported; expected a float or integer dtype" op)

/// A constant mask (1 where the condition holds, else 0) in x's dtype, computed from plain values.
let private mask (x: Tensor) (c: RawTensor) = constant (Raw.cast x.DType c)

// ------------------------------------------------------------------------- NaN in derivatives

let private zeroOrNaNPrim = elementwise "ZeroOrNaN" Kernels.zeroOrNaN (fun _ y -> y)

/// NaN where x is NaN, +0 elsewhere (float dtypes). f' = f (0, or NaN at a NaN), so every derivative of it is NaN at a
/// NaN too: the derivative of a piecewise-constant quantity (a mask, a sign, a selection) that must not hide a NaN.
let zeroOrNaN (x: Tensor) = unary zeroOrNaNPrim x

/// `r` made to carry NaN derivatives where `s` (of r's shape, or broadcastable to it) is NaN, for the derivative rules
/// whose value already is NaN there but whose own derivative would be 0 (a fused kernel or a constant mask): r +
/// zeroOrNaN s when s is perturbed (a dual number or a reverse node) and holds a NaN; r itself otherwise (at first order
/// this costs nothing, not even the scan).
let internal withNaNDerivatives (s: Tensor) (r: Tensor) =
    if s.Level = 0L || not (Kernels.hasNaN s.Raw) then r else add r (zeroOrNaN s)

/// zeroOrNaN y when y holds a NaN, else zeros of y's shape (no scan of a NaN-free y's derivative): the derivative of
/// Sign, and what a selection rule gives an operand that does not win (NaN where the result is NaN, so no operand of a
/// NaN result gets a 0 adjoint).
let private zerosUnlessNaN (y: Tensor) = if Kernels.hasNaN y.Raw then zeroOrNaN y else zerosLike y

// ------------------------------------------------------------------------- comparisons (Bool, no derivative)

/// Element-wise comparison with broadcasting; a Bool tensor with no derivative.
let compare (op: string) (c: Kernels.Comparison) (a: Tensor) (b: Tensor) =
    constant (Kernels.compare op c a.Raw b.Raw)

let equal a b = compare "Equal" Kernels.Comparison.Equal a b
let notEqual a b = compare "NotEqual" Kernels.Comparison.NotEqual a b
let greater a b = compare "Greater" Kernels.Comparison.Greater a b
let greaterEqual a b = compare "GreaterEqual" Kernels.Comparison.GreaterEqual a b
let less a b = compare "Less" Kernels.Comparison.Less a b
let lessEqual a b = compare "LessEqual" Kernels.Comparison.LessEqual a b

// ------------------------------------------------------------------------- selection

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private powPrimCell = PrimCell<BinaryPrim>()

/// `condition ? x : y` element-wise with broadcasting. d = where(c, dx, dy); the adjoint goes to x
/// where the condition holds and to y elsewhere (summed back over broadcast axes).
let rec where (condition: Tensor) (x: Tensor) (y: Tensor) : Tensor =
    if condition.DType <> DType.Bool then
        invalidArg "condition" (sprintf "Where: condition has dtype %s; expected Bool" (string condition.DType))
    let c = condition.Raw
    binary { new BinaryPrim("Where") with
               member _.Kernel(a, b) = Kernels.select c a b
               member _.JvpA(_, b, yv, da) = where condition da (zerosLike yv)
               member _.JvpB(a, _, yv, db) = where condition (zerosLike yv) db
               member _.VjpA(a, _, yv, g) = sumTo a.Shape (where condition g (zerosLike g))
               member _.VjpB(_, b, yv, g) = sumTo b.Shape (where condition (zerosLike g) g) } x y

// ------------------------------------------------------------------------- powers and activations

/// a^b with broadcasting, IEEE pow: NaN for a < 0 with a non-integer b; pow(NaN, 0) = pow(1, NaN) = 1, any other NaN
/// operand gives NaN. d/da = b a^(b-1); d/db = a^b log a, taken as 0 where a <= 0 (as TensorFlow). Where a or b is NaN
/// both derivatives are NaN, even where the value is 1 (TensorFlow gives d/db = 0 at a NaN a).
let rec pow (a: Tensor) (b: Tensor) : Tensor = binary (powPrim ()) a b
and powPrim () : BinaryPrim =
    powPrimCell.Get(fun () ->
        { new BinaryPrim("Pow") with
            member _.Kernel(x, y) = Kernels.pow x y
            member _.JvpA(a, b, _, da) = mul (powDerivativeA a b) da
            member _.JvpB(a, b, y, db) = mul (powDerivativeB a b y) db
            member _.VjpA(a, b, _, g) = sumTo a.Shape (mul g (powDerivativeA a b))
            member _.VjpB(a, b, y, g) = sumTo b.Shape (mul g (powDerivativeB a b y)) })
/// d(a^b)/da = b a^(b-1), NaN where a or b is NaN (b = 1 would give NaN^0 = 1 at a NaN a).
and private powDerivativeA (a: Tensor) (b: Tensor) =
    let d = mul b (pow a (sub b (onesLike b)))
    if Kernels.hasNaN a.Raw then add d (zeroOrNaN a) else d
/// d(a^b)/db = a^b log a (0 where a <= 0), NaN where a or b is NaN (a = 1 would give 1 * log 1 = 0 at a NaN b).
and private powDerivativeB (a: Tensor) (b: Tensor) (y: Tensor) =
    let d = mul y (safeLog a)
    if Kernels.hasNaN b.Raw then add d (zeroOrNaN b) else d
/// log a where a > 0 or a is NaN (NaN there), else 0 (differentiable where a > 0).
and safeLog (a: Tensor) =
    let positive = Kernels.logicalNot (Kernels.compare "Pow" Kernels.Comparison.LessEqual a.Raw (Raw.zeros a.DType [||]))
    let m = mask a positive
    mul m (log (where (constant positive) a (onesLike a)))

// The primitives below are made once, not per call (a primitive is an object).
let private log1pPrim =
    elementwiseScalar "Log1p" Kernels.log1p (fun x _ -> div (onesLike x) (add (onesLike x) x))
        { F64 = Kernels.log1pF64; D64 = (fun x _ -> 1.0 / (1.0 + x)); F32 = Kernels.log1pF32; D32 = (fun x _ -> 1.0f / (1.0f + x)) }
/// log(1 + x), accurate near 0. f' = 1 / (1 + x). IEEE: NaN for NaN and x < -1 (value and derivative), +inf at +inf.
let log1p (x: Tensor) =
    requireFloat "Log1p" x
    unary log1pPrim x

let private tanPrim =
    elementwiseScalar "Tan" Kernels.tan (fun _ y -> add (onesLike y) (square y))
        { F64 = System.Math.Tan; D64 = (fun _ y -> 1.0 + y * y); F32 = System.MathF.Tan; D32 = (fun _ y -> 1.0f + y * y) }
/// tan x. f' = 1 + tan^2 x (from the result). NaN for NaN and +-inf, derivative and tangent NaN there too.
let tan (x: Tensor) =
    requireFloat "Tan" x
    unary tanPrim x

let private sigmoidPrim =
    elementwiseScalar "Sigmoid" Kernels.sigmoid (fun _ y -> mul y (sub (onesLike y) y))
        { F64 = Kernels.sigmoidF64; D64 = (fun _ y -> y * (1.0 - y)); F32 = Kernels.sigmoidF32; D32 = (fun _ y -> y * (1.0f - y)) }
/// 1 / (1 + e^-x). f' = y (1 - y) (from the result). NaN for NaN (derivative NaN); 1 at +inf and 0 at -inf (derivative
/// 0 at both).
let sigmoid (x: Tensor) =
    requireFloat "Sigmoid" x
    unary sigmoidPrim x

let private softplusPrim =
    elementwiseScalar "Softplus" Kernels.softplus (fun x _ -> sigmoid x)
        { F64 = Kernels.softplusF64; D64 = (fun x _ -> Kernels.sigmoidF64 x); F32 = Kernels.softplusF32; D32 = (fun x _ -> Kernels.sigmoidF32 x) }
/// log(1 + e^x), computed without overflow. f' = sigmoid x. NaN for NaN (derivative NaN); +inf at +inf (derivative 1),
/// 0 at -inf (derivative 0).
let softplus (x: Tensor) =
    requireFloat "Softplus" x
    unary softplusPrim x

/// g where x > 0, NaN where x is NaN, else 0 (g of x's shape and dtype): relu's derivative applied to g, as one fused
/// kernel (no mask tensor). Linear in g; x enters only through the sign of its plain value, whose derivative is 0 (NaN at
/// a NaN x, which Relu's rules add with `withNaNDerivatives`), so the JVP and VJP in g are reluGrad itself and x gets no
/// adjoint here.
let rec reluGrad (x: RawTensor) (g: Tensor) : Tensor =
    unary { new UnaryPrim("ReluGrad") with
              member _.Kernel r = Kernels.maskPositive x r
              member _.Jvp(_, _, dg) = reluGrad x dg
              member _.Vjp(_, _, gy) = reluGrad x gy } g

let private reluPrim =
    { new UnaryPrim("Relu") with
        member _.Kernel r = Kernels.relu r
        member _.Jvp(x, _, dx) = withNaNDerivatives x (reluGrad x.Raw dx)
        member _.Vjp(x, _, g) = withNaNDerivatives x (reluGrad x.Raw g) }

/// max(x, 0). f' = 1 where x > 0, else 0 (so relu'(0) = 0, as TensorFlow). NaN propagates: relu(NaN) = NaN, and its
/// gradient and tangent are NaN there (TensorFlow's ReluGrad gives 0), at every order.
let relu (x: Tensor) =
    requireNumeric "Relu" x
    if not x.IsFloat then constant (Kernels.relu x.Raw)
    else unary reluPrim x

let private signPrim =
    elementwiseScalar "Sign" Kernels.sign (fun x _ -> zerosUnlessNaN x)
        { F64 = Kernels.signF64; D64 = (fun x _ -> if System.Double.IsNaN x then x else 0.0)
          F32 = Kernels.signF32; D32 = (fun x _ -> if System.Single.IsNaN x then x else 0.0f) }
/// sign x (-1, 0 or 1; a zero keeps its sign). f' = 0 everywhere: the gradient is zeros, never missing (as TensorFlow).
/// NaN propagates: sign(NaN) = NaN (as TensorFlow 2 and NumPy), and the gradient and tangent are NaN there (TensorFlow's
/// are 0), at every order.
let sign (x: Tensor) =
    requireNumeric "Sign" x
    if not x.IsFloat then constant (Kernels.sign x.Raw)
    else unary signPrim x

let private absPrim =
    // sign x as a constant, unless x is perturbed and holds a NaN: then the differentiable sign, whose derivative is NaN there
    elementwiseScalar "Abs" Kernels.abs (fun x _ -> if x.Level <> 0L && Kernels.hasNaN x.Raw then sign x else constant (Kernels.sign x.Raw))
        { F64 = Operators.abs; D64 = (fun x _ -> Kernels.signF64 x); F32 = Operators.abs; D32 = (fun x _ -> Kernels.signF32 x) }
/// |x|. f' = sign x (so abs'(0) = 0, as TensorFlow). NaN propagates: abs(NaN) = NaN with a NaN gradient and tangent;
/// abs(+-inf) = +inf with derivative +-1.
let abs (x: Tensor) =
    requireNumeric "Abs" x
    if not x.IsFloat then constant (Kernels.abs x.Raw)
    else unary absPrim x

/// Element-wise square for every numeric dtype (float dtypes are differentiable: d = 2 x dx).
let squareAny (x: Tensor) =
    requireNumeric "Square" x
    if x.IsFloat then square x else constant (Kernels.square x.Raw)

// ------------------------------------------------------------------------- extremes

/// The primitive of an element-wise extreme: the adjoint (and tangent) goes to a where `aWins` holds between a and b
/// (ties included), to b where `bWins` holds (a strict comparison), and where neither holds (a or b is NaN, so the
/// result is) both operands get NaN, with NaN derivatives at every order.
let private extremePrim (name: string) (kernel: RawTensor -> RawTensor -> RawTensor) (aWins: Kernels.Comparison) (bWins: Kernels.Comparison) =
    let first (a: Tensor) (b: Tensor) = constant (Kernels.compare name aWins a.Raw b.Raw)
    let second (a: Tensor) (b: Tensor) = constant (Kernels.compare name bWins a.Raw b.Raw)
    { new BinaryPrim(name) with
        member _.Kernel(x, y) = kernel x y
        member _.JvpA(a, b, y, da) = where (first a b) (broadcastTo y.Shape da) (zerosUnlessNaN y)
        member _.JvpB(a, b, y, db) = where (second a b) (broadcastTo y.Shape db) (zerosUnlessNaN y)
        member _.VjpA(a, b, y, g) = sumTo a.Shape (where (first a b) g (zerosUnlessNaN y))
        member _.VjpB(a, b, y, g) = sumTo b.Shape (where (second a b) g (zerosUnlessNaN y)) }

let private maxPrim = extremePrim "Maximum" Kernels.maximum Kernels.Comparison.GreaterEqual Kernels.Comparison.Less
let private minPrim = extremePrim "Minimum" Kernels.minimum Kernels.Comparison.LessEqual Kernels.Comparison.Greater

/// max(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow). NaN where either operand is NaN
/// (as TensorFlow 2 and NumPy's maximum), and there both operands' gradients and tangents are NaN (TensorFlow gives the
/// whole gradient to b).
let maximum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Maximum" a
    if not a.IsFloat then constant (Kernels.maximum a.Raw b.Raw) else binary maxPrim a b

/// min(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow). NaN where either operand is NaN,
/// and there both operands' gradients and tangents are NaN.
let minimum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Minimum" a
    if not a.IsFloat then constant (Kernels.minimum a.Raw b.Raw) else binary minPrim a b

/// ClipByValue's selections on plain values: m = max(x, lo); x wins where x >= lo and m <= hi, lo where x < lo and
/// m <= hi, hi where m > hi. Every comparison with a NaN fails, so at an element where x, lo or hi is NaN none wins.
let private clipWinner (i: int) (xs: Tensor[]) =
    let x, lo, hi = xs.[0].Raw, xs.[1].Raw, xs.[2].Raw
    let cmp c a b = Kernels.compare "ClipByValue" c a b
    let m = Kernels.maximum x lo
    match i with
    | 0 -> Kernels.logicalAnd (cmp Kernels.Comparison.GreaterEqual x lo) (cmp Kernels.Comparison.LessEqual m hi)
    | 1 -> Kernels.logicalAnd (cmp Kernels.Comparison.Less x lo) (cmp Kernels.Comparison.LessEqual m hi)
    | _ -> cmp Kernels.Comparison.Greater m hi

let private clipPrim =
    { new NaryPrim("ClipByValue") with
        member _.Kernel rs = Kernels.minimum (Kernels.maximum rs.[0] rs.[1]) rs.[2]
        member _.Jvp(xs, y, dxs) =
            dxs
            |> Array.mapi (fun i d -> d |> Option.map (fun d -> where (constant (clipWinner i xs)) (broadcastTo y.Shape d) (zerosUnlessNaN y)))
            |> Array.choose id
            |> Array.reduce add
        member _.Vjp(xs, y, g, i) = sumTo xs.[i].Shape (where (constant (clipWinner i xs)) g (zerosUnlessNaN y)) }

/// min(max(x, lo), hi) with broadcasting: the gradient flows to x where lo <= x <= hi (ties included), to lo below it
/// and to hi above it (as TensorFlow's clip_by_value). NaN where x, lo or hi is NaN, and there all three gradients and
/// tangents are NaN.
let clipByValue (x: Tensor) (lo: Tensor) (hi: Tensor) =
    Shape.broadcast "ClipByValue" (Shape.broadcast "ClipByValue" x.Shape lo.Shape) hi.Shape |> ignore
    requireNumeric "ClipByValue" x
    if lo.DType <> x.DType || hi.DType <> x.DType then
        invalidArg "x" (sprintf "ClipByValue: x, min and max have dtypes %s, %s and %s; expected one dtype" (string x.DType) (string lo.DType) (string hi.DType))
    if not x.IsFloat then constant (clipPrim.Kernel [| x.Raw; lo.Raw; hi.Raw |])
    else nary clipPrim [| x; lo; hi |]
