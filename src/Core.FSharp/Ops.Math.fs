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

let private expPrim = elementwise "Exp" Raw.exp (fun _ y -> y)
/// e^x. f' = e^x (the result itself).
let exp (x: Tensor) = requireFloat "Exp" x; unary expPrim x

let private logPrim = elementwise "Log" Raw.log (fun x _ -> div (onesLike x) x)
/// Natural logarithm. f' = 1 / x.
let log (x: Tensor) = requireFloat "Log" x; unary logPrim x

// sin and cos refer to each other; their primitives are made on first use (see Ops.Core for why not as values).
let private sinPrimCell = PrimCell<UnaryPrim>()
let private cosPrimCell = PrimCell<UnaryPrim>()

/// Sine. f' = cos x.
let rec sin (x: Tensor) = requireFloat "Sin" x; unary (sinPrim ()) x
and private sinPrim () = sinPrimCell.Get(fun () -> elementwise "Sin" Raw.sin (fun x _ -> cos x))
/// Cosine. f' = -sin x.
and cos (x: Tensor) = requireFloat "Cos" x; unary (cosPrim ()) x
and private cosPrim () = cosPrimCell.Get(fun () -> elementwise "Cos" Raw.cos (fun x _ -> neg (sin x)))

let private tanhPrim = elementwise "Tanh" Raw.tanh (fun _ y -> sub (onesLike y) (square y))
/// Hyperbolic tangent. f' = 1 - tanh^2 x (from the result).
let tanh (x: Tensor) = requireFloat "Tanh" x; unary tanhPrim x

let private sqrtPrim = elementwise "Sqrt" Raw.sqrt (fun _ y -> div (scalarLike y 0.5) y)
/// Square root. f' = 1 / (2 sqrt x) (from the result).
let sqrt (x: Tensor) = requireFloat "Sqrt" x; unary sqrtPrim x
