/// Gradient control: stopping gradients and user-defined gradients. Each is one primitive with its rules
/// side by side, as everywhere else in the core.
module Nabla.Core.Control

open Nabla.Core

/// The value of x with every perturbation removed (TensorFlow's `tf.stop_gradient`): no tape and no dual
/// number sees through it. Derivative: zero in forward and reverse mode, at every order.
val stopGradient: x: Tensor -> Tensor

/// An operation whose value was computed elsewhere (`result`, the value of the user's function) and whose
/// vector-Jacobian product is the user's `vjp`: given the adjoint of the result (one perturbation level down),
/// it returns one adjoint per operand, each of the operand's shape. `vjp` is written with differentiable
/// operations, so derivatives of the custom gradient (second order and up) come out of the same sweep.
///
/// Forward mode has no user rule, so the JVP is the transpose of the VJP (the "double-backprop" trick that
/// TensorFlow's forward accumulator uses for such operations): with g a fresh reverse leaf of the result's shape,
/// J dx = d/dg <vjp(g), dx>. This is exact when `vjp` is linear in its argument, as a VJP is.
val customGradient: name: string -> result: RawTensor -> vjp: (Tensor -> Tensor array) -> xs: Tensor array -> Tensor
