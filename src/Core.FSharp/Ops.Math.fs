/// Element-wise transcendental primitives. Each is given by its kernel and its derivative f'(x)
/// (written with differentiable ops); `elementwise` derives both the JVP (f'(x) dx) and the VJP (f'(x) g).
module Nabla.Core.MathOps

open Nabla.Core.Ops

/// The element-wise shortcut: a primitive from its kernel and f'(x, y) (y = f(x), both one level down).
let elementwise (name: string) (kernel: RawTensor -> RawTensor) (derivative: Tensor -> Tensor -> Tensor) =
    { new UnaryPrim(name) with
        member _.Kernel r = kernel r
        member _.Jvp(x, y, dx) = mul (derivative x y) dx
        member _.Vjp(x, y, g) = mul (derivative x y) g }

/// The scalar rules of an element-wise primitive: f and f'(x, y) on one element in each dtype. Each mirrors, operation
/// for operation, what the kernel and the tensor derivative compute on a one-element tensor (the libm function of that
/// dtype, then the derivative's own arithmetic), so rank-0 values agree with shape-[1] ones bit for bit.
type ScalarRules =
    { F64: float -> float
      D64: float -> float -> float
      F32: float32 -> float32
      D32: float32 -> float32 -> float32 }

/// `elementwise` with scalar rules: plain rank-0 floats, and reverse nodes over them, skip the tensor machinery.
let elementwiseScalar (name: string) (kernel: RawTensor -> RawTensor) (derivative: Tensor -> Tensor -> Tensor) (rules: ScalarRules) =
    { new UnaryPrim(name) with
        member _.Kernel r = kernel r
        member _.Jvp(x, y, dx) = mul (derivative x y) dx
        member _.Vjp(x, y, g) = mul (derivative x y) g
        member _.HasScalarRules = true
        member _.ScalarForward x = rules.F64 x
        member _.ScalarVjp(x, y, gy) = rules.D64 x y * gy
        member _.ScalarForward32 x = rules.F32 x
        member _.ScalarVjp32(x, y, gy) = rules.D32 x y * gy }

let private expPrim =
    elementwiseScalar "Exp" Raw.exp (fun _ y -> y)
        { F64 = System.Math.Exp; D64 = (fun _ y -> y); F32 = System.MathF.Exp; D32 = (fun _ y -> y) }
/// e^x. f' = e^x (the result itself).
let exp (x: Tensor) = requireFloat "Exp" x; unary expPrim x

let private logPrim =
    elementwiseScalar "Log" Raw.log (fun x _ -> div (onesLike x) x)
        { F64 = System.Math.Log; D64 = (fun x _ -> 1.0 / x); F32 = System.MathF.Log; D32 = (fun x _ -> 1.0f / x) }
/// Natural logarithm. f' = 1 / x.
let log (x: Tensor) = requireFloat "Log" x; unary logPrim x

// sin and cos refer to each other; their primitives are made on first use (see Ops.Core for why not as values).
let private sinPrimCell = PrimCell<UnaryPrim>()
let private cosPrimCell = PrimCell<UnaryPrim>()

/// Sine. f' = cos x.
let rec sin (x: Tensor) = requireFloat "Sin" x; unary (sinPrim ()) x
and private sinPrim () =
    sinPrimCell.Get(fun () ->
        elementwiseScalar "Sin" Raw.sin (fun x _ -> cos x)
            { F64 = System.Math.Sin; D64 = (fun x _ -> System.Math.Cos x); F32 = System.MathF.Sin; D32 = (fun x _ -> System.MathF.Cos x) })
/// Cosine. f' = -sin x.
and cos (x: Tensor) = requireFloat "Cos" x; unary (cosPrim ()) x
and private cosPrim () =
    cosPrimCell.Get(fun () ->
        elementwiseScalar "Cos" Raw.cos (fun x _ -> neg (sin x))
            { F64 = System.Math.Cos; D64 = (fun x _ -> -(System.Math.Sin x)); F32 = System.MathF.Cos; D32 = (fun x _ -> -(System.MathF.Sin x)) })

let private tanhPrim =
    elementwiseScalar "Tanh" Raw.tanh (fun _ y -> sub (onesLike y) (square y))
        { F64 = System.Math.Tanh; D64 = (fun _ y -> 1.0 - y * y); F32 = System.MathF.Tanh; D32 = (fun _ y -> 1.0f - y * y) }
/// Hyperbolic tangent. f' = 1 - tanh^2 x (from the result).
let tanh (x: Tensor) = requireFloat "Tanh" x; unary tanhPrim x

let private sqrtPrim =
    elementwiseScalar "Sqrt" Raw.sqrt (fun _ y -> div (scalarLike y 0.5) y)
        { F64 = System.Math.Sqrt; D64 = (fun _ y -> 0.5 / y); F32 = System.MathF.Sqrt; D32 = (fun _ y -> 0.5f / y) }
/// Square root. f' = 1 / (2 sqrt x) (from the result).
let sqrt (x: Tensor) = requireFloat "Sqrt" x; unary sqrtPrim x
