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

/// a^b with broadcasting. d/da = b a^(b-1); d/db = a^b log a, taken as 0 where a <= 0 (as TensorFlow).
let rec pow (a: Tensor) (b: Tensor) : Tensor = binary (powPrim ()) a b
and powPrim () : BinaryPrim =
    powPrimCell.Get(fun () ->
        { new BinaryPrim("Pow") with
            member _.Kernel(x, y) = Kernels.pow x y
            member _.JvpA(a, b, _, da) = mul (mul b (pow a (sub b (onesLike b)))) da
            member _.JvpB(a, _, y, db) = mul (mul y (safeLog a)) db
            member _.VjpA(a, b, _, g) = sumTo a.Shape (mul g (mul b (pow a (sub b (onesLike b)))))
            member _.VjpB(a, b, y, g) = sumTo b.Shape (mul g (mul y (safeLog a))) })
/// log a where a > 0, else 0 (differentiable where a > 0).
and safeLog (a: Tensor) =
    let positive = Kernels.compare "Pow" Kernels.Comparison.Greater a.Raw (Raw.zeros a.DType [||])
    let m = mask a positive
    mul m (log (where (constant positive) a (onesLike a)))

// The primitives below are made once, not per call (a primitive is an object).
let private log1pPrim =
    elementwiseScalar "Log1p" Kernels.log1p (fun x _ -> div (onesLike x) (add (onesLike x) x))
        { F64 = Kernels.log1pF64; D64 = (fun x _ -> 1.0 / (1.0 + x)); F32 = Kernels.log1pF32; D32 = (fun x _ -> 1.0f / (1.0f + x)) }
/// log(1 + x), accurate near 0. f' = 1 / (1 + x).
let log1p (x: Tensor) =
    requireFloat "Log1p" x
    unary log1pPrim x

let private tanPrim =
    elementwiseScalar "Tan" Kernels.tan (fun _ y -> add (onesLike y) (square y))
        { F64 = System.Math.Tan; D64 = (fun _ y -> 1.0 + y * y); F32 = System.MathF.Tan; D32 = (fun _ y -> 1.0f + y * y) }
/// tan x. f' = 1 + tan^2 x (from the result).
let tan (x: Tensor) =
    requireFloat "Tan" x
    unary tanPrim x

let private sigmoidPrim =
    elementwiseScalar "Sigmoid" Kernels.sigmoid (fun _ y -> mul y (sub (onesLike y) y))
        { F64 = Kernels.sigmoidF64; D64 = (fun _ y -> y * (1.0 - y)); F32 = Kernels.sigmoidF32; D32 = (fun _ y -> y * (1.0f - y)) }
/// 1 / (1 + e^-x). f' = y (1 - y) (from the result).
let sigmoid (x: Tensor) =
    requireFloat "Sigmoid" x
    unary sigmoidPrim x

let private softplusPrim =
    elementwiseScalar "Softplus" Kernels.softplus (fun x _ -> sigmoid x)
        { F64 = Kernels.softplusF64; D64 = (fun x _ -> Kernels.sigmoidF64 x); F32 = Kernels.softplusF32; D32 = (fun x _ -> Kernels.sigmoidF32 x) }
/// log(1 + e^x), computed without overflow. f' = sigmoid x.
let softplus (x: Tensor) =
    requireFloat "Softplus" x
    unary softplusPrim x

/// g where x > 0, else 0 (g of x's shape and dtype): relu's derivative applied to g, as one fused kernel (no mask
/// tensor). Linear in g; x enters only through the sign of its plain value, whose derivative is 0, so the JVP and
/// VJP in g are reluGrad itself and x gets no adjoint (as the constant mask it replaces).
let rec reluGrad (x: RawTensor) (g: Tensor) : Tensor =
    unary { new UnaryPrim("ReluGrad") with
              member _.Kernel r = Kernels.maskPositive x r
              member _.Jvp(_, _, dg) = reluGrad x dg
              member _.Vjp(_, _, gy) = reluGrad x gy } g

let private reluPrim =
    { new UnaryPrim("Relu") with
        member _.Kernel r = Kernels.relu r
        member _.Jvp(x, _, dx) = reluGrad x.Raw dx
        member _.Vjp(x, _, g) = reluGrad x.Raw g }

/// max(x, 0). f' = 1 where x > 0, else 0 (so relu'(0) = 0, as TensorFlow).
let relu (x: Tensor) =
    requireNumeric "Relu" x
    if not x.IsFloat then constant (Kernels.relu x.Raw)
    else unary reluPrim x

let private absPrim =
    elementwiseScalar "Abs" Kernels.abs (fun x _ -> constant (Kernels.sign x.Raw))
        { F64 = Operators.abs; D64 = (fun x _ -> Kernels.signF64 x); F32 = Operators.abs; D32 = (fun x _ -> Kernels.signF32 x) }
/// |x|. f' = sign x (so abs'(0) = 0, as TensorFlow).
let abs (x: Tensor) =
    requireNumeric "Abs" x
    if not x.IsFloat then constant (Kernels.abs x.Raw)
    else unary absPrim x

let private signPrim =
    elementwiseScalar "Sign" Kernels.sign (fun x _ -> zerosLike x)
        { F64 = Kernels.signF64; D64 = (fun _ _ -> 0.0); F32 = Kernels.signF32; D32 = (fun _ _ -> 0.0f) }
/// sign x (-1, 0 or 1). f' = 0 everywhere: the gradient is zeros, never missing (as TensorFlow).
let sign (x: Tensor) =
    requireNumeric "Sign" x
    if not x.IsFloat then constant (Kernels.sign x.Raw)
    else unary signPrim x

/// Element-wise square for every numeric dtype (float dtypes are differentiable: d = 2 x dx).
let squareAny (x: Tensor) =
    requireNumeric "Square" x
    if x.IsFloat then square x else constant (Kernels.square x.Raw)

// ------------------------------------------------------------------------- extremes

/// The primitive of an element-wise extreme: the adjoint (and tangent) goes to a where `aWins` holds between a
/// and b, ties included, and to b elsewhere.
let private extremePrim (name: string) (kernel: RawTensor -> RawTensor -> RawTensor) (aWins: Kernels.Comparison) =
    let first (a: Tensor) (b: Tensor) = constant (Kernels.compare name aWins a.Raw b.Raw)
    { new BinaryPrim(name) with
        member _.Kernel(x, y) = kernel x y
        member _.JvpA(a, b, y, da) = where (first a b) (broadcastTo y.Shape da) (zerosLike y)
        member _.JvpB(a, b, y, db) = where (first a b) (zerosLike y) (broadcastTo y.Shape db)
        member _.VjpA(a, b, _, g) = sumTo a.Shape (where (first a b) g (zerosLike g))
        member _.VjpB(a, b, _, g) = sumTo b.Shape (where (first a b) (zerosLike g) g) }

let private maxPrim = extremePrim "Maximum" Kernels.maximum Kernels.Comparison.GreaterEqual
let private minPrim = extremePrim "Minimum" Kernels.minimum Kernels.Comparison.LessEqual

/// max(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow).
let maximum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Maximum" a
    if not a.IsFloat then constant (Kernels.maximum a.Raw b.Raw) else binary maxPrim a b

/// min(a, b) with broadcasting. On ties the whole gradient goes to a (as TensorFlow).
let minimum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Minimum" a
    if not a.IsFloat then constant (Kernels.minimum a.Raw b.Raw) else binary minPrim a b

/// min(max(x, lo), hi): the gradient flows to x where lo <= x <= hi (ties included), to lo below it and to hi above it.
let clipByValue (x: Tensor) (lo: Tensor) (hi: Tensor) =
    Shape.broadcast "ClipByValue" (Shape.broadcast "ClipByValue" x.Shape lo.Shape) hi.Shape |> ignore
    minimum (maximum x lo) hi
