/// The tf.math additions on the scalar path: rank-0 values (scalar rules, inline nodes) agree with shape-[1] ones
/// (kernels, tensor rules) bit for bit at finite points, in the value, the gradient and the gradient of the gradient;
/// and the kernels split over the kernel threads give the element-wise results of one-element calls (to the last bit).
module Nabla.Properties.ElementwiseAdditionsTests

open System
open Xunit
open Nabla.Core
open Nabla.Properties.TestData

let private bits (t: Tensor) = values t |> Array.map BitConverter.DoubleToInt64Bits

/// Each op with a range of points inside its domain.
let private ops : (string * (Tensor -> Tensor) * float * float) list =
    [ "Asin", Elementwise.asin, -0.9, 0.9
      "Acos", Elementwise.acos, -0.9, 0.9
      "Sinh", Elementwise.sinh, -3.0, 3.0
      "Cosh", Elementwise.cosh, -3.0, 3.0
      "Asinh", Elementwise.asinh, -3.0, 3.0
      "Acosh", Elementwise.acosh, 1.1, 4.0
      "Atanh", Elementwise.atanh, -0.9, 0.9
      "Erf", Elementwise.erf, -4.0, 4.0
      "Erfc", Elementwise.erfc, -4.0, 6.0
      "Expm1", Elementwise.expm1, -3.0, 3.0
      "Reciprocal", Elementwise.reciprocal, 0.2, 3.0
      "Rsqrt", Elementwise.rsqrt, 0.2, 3.0
      "Floor", Elementwise.floor, -3.0, 3.0
      "Round", Elementwise.round, -3.0, 3.0
      "Lgamma", Elementwise.lgamma, 0.1, 12.0
      "Digamma", Elementwise.digamma, 0.1, 12.0
      "Polygamma(1)", Elementwise.polygamma 1, 0.1, 12.0
      "LeakyRelu", Elementwise.leakyRelu 0.2, -3.0, 3.0
      "Relu6", Elementwise.relu6, -2.0, 8.0
      "Elu", Elementwise.elu, -3.0, 3.0
      "Selu", Elementwise.selu, -3.0, 3.0
      "Softsign", Nn.softsign, -3.0, 3.0 ]

[<Fact>]
let ``rank-0 values, gradients and second derivatives agree with shape [1] ones bit for bit`` () =
    let rng = Random(23)
    for name, op, lo, hi in ops do
        for dtype in [ DType.Float32; DType.Float64 ] do
            for _ in 1 .. 40 do
                let x0 = lo + (hi - lo) * rng.NextDouble()
                let at (shape: int[]) = tensorAs dtype shape (Array.create (Shape.size shape) x0)
                let f (x: Tensor) = Elementwise.mul (op x) (tensorAs dtype x.Shape (Array.create x.Size 1.5))
                for what, g in [ "value", f; "gradient", Derivatives.grad f ] do
                    let s, v = g (at [||]), g (at [| 1 |])
                    Assert.True((bits s = bits v), sprintf "%s %A %s at %.17g: rank 0 %A, shape [1] %A" name dtype what x0 (values s) (values v))
                // the second derivative runs the derivative rule's own ops on the scalar path, whose Float32 inline nodes
                // may round a product once where two kernels round twice: bit for bit in Float64, to an ulp or two in Float32
                let g2 = Derivatives.grad (Derivatives.grad f)
                let s, v = (values (g2 (at [||]))).[0], (values (g2 (at [| 1 |]))).[0]
                if dtype = DType.Float64 then
                    Assert.True((BitConverter.DoubleToInt64Bits s = BitConverter.DoubleToInt64Bits v), sprintf "%s second derivative at %.17g: rank 0 %.17g, shape [1] %.17g" name x0 s v)
                else
                    Assert.True(abs (s - v) <= 5e-7 * max 1.0 (abs v), sprintf "%s Float32 second derivative at %.9g: rank 0 %.9g, shape [1] %.9g" name x0 s v)

[<Fact>]
let ``large tensors split over the kernel threads give the values of one-element calls`` () =
    let n = (1 <<< 17) + 3
    let rng = Random(5)
    for name, op, lo, hi in ops do
        for dtype in [ DType.Float32; DType.Float64 ] do
            let data = Array.init n (fun _ -> lo + (hi - lo) * rng.NextDouble())
            let whole = values (op (tensorAs dtype [| n |] data))
            // TensorPrimitives' vector bodies (Sinh, Asin, ...) may differ from its scalar tail in the last bit
            let tol = if dtype = DType.Float32 then 2.5e-7 else 5e-16
            for i in [ 0; 1; n / 2; n - 1 ] do
                let one = values (op (tensorAs dtype [| 1 |] [| data.[i] |]))
                Assert.True(abs (whole.[i] - one.[0]) <= tol * abs one.[0],
                            sprintf "%s %A at %d: %.17g vs %.17g" name dtype i whole.[i] one.[0])
