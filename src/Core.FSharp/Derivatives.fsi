/// The F# derivative API: plain functions over `Tensor -> Tensor`. Every transform draws a fresh tag,
/// so transforms nest to any order and in any mix of modes without perturbation confusion.
module Nabla.Core.Derivatives

open Nabla.Core

/// Makes x a fresh reverse-mode leaf at `tag`.
val internal watch: tag: int64 -> x: Tensor -> Tensor

/// Makes x a dual number at `tag` with tangent v.
val internal dual: tag: int64 -> x: Tensor -> v: Tensor -> Tensor

/// The value of f at x and a function from an output cotangent (same shape as f x) to the input cotangent.
val vjp: f: (Tensor -> Tensor) -> x: Tensor -> Tensor * (Tensor -> Tensor)

/// f(x) and the gradient of the sum of f's elements at x.
val valueAndGrad: f: (Tensor -> Tensor) -> x: Tensor -> Tensor * Tensor

/// The gradient of the sum of f's elements at x (reverse mode).
val grad: f: (Tensor -> Tensor) -> x: Tensor -> Tensor

/// f(x) and the directional derivative of f at x along v (forward mode).
val jvp: f: (Tensor -> Tensor) -> x: Tensor -> v: Tensor -> Tensor * Tensor

/// The derivative of f at x along all-ones (for a scalar x, df/dx), forward mode.
val diff: f: (Tensor -> Tensor) -> x: Tensor -> Tensor

/// The n-th derivative of a scalar function (forward mode nested n times).
val diffn: n: int -> f: (Tensor -> Tensor) -> x: Tensor -> Tensor

/// The Jacobian of f at x, shaped f(x).Shape ++ x.Shape. Reverse mode (one sweep per output element)
/// when the output is smaller than the input, forward mode (one pass per input element) otherwise.
val jacobian: f: (Tensor -> Tensor) -> x: Tensor -> Tensor

/// The Hessian of a scalar f at x (forward-over-reverse: the Jacobian of the gradient), shaped x.Shape ++ x.Shape.
val hessian: f: (Tensor -> Tensor) -> x: Tensor -> Tensor

/// The Hessian-vector product H v of a scalar f at x, forward-over-reverse.
val hvp: f: (Tensor -> Tensor) -> x: Tensor -> v: Tensor -> Tensor
