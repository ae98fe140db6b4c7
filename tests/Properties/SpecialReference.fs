/// Naive Float64 references for the special functions of the op table, by methods other than the kernels' (Simpson's
/// rule for erf, a long upward recurrence and a short asymptotic tail for lgamma, digamma and trigamma), to about 1e-12.
module Nabla.Properties.SpecialReference

open System

/// erf x by Simpson's rule on 2/sqrt(pi) e^(-t^2) over [0, x] with 4,000 panels (error ~1e-15 for |x| <= 3).
let erf (x: float) =
    let n = 4000
    let h = x / float n
    let f t = Math.Exp(-t * t)
    let mutable s = f 0.0 + f x
    for i in 1 .. n - 1 do s <- s + (if i % 2 = 1 then 4.0 else 2.0) * f (float i * h)
    2.0 / Math.Sqrt Math.PI * s * h / 3.0

let erfc (x: float) = 1.0 - erf x

/// Shift x up by 40 (z = x + 40) so the asymptotic tails need only a few terms.
let private shift = 40

let lgamma (x: float) =
    let z = x + float shift
    let mutable s = 0.0
    for k in 0 .. shift - 1 do s <- s + Math.Log(x + float k)
    (z - 0.5) * Math.Log z - z + 0.5 * Math.Log(2.0 * Math.PI) + 1.0 / (12.0 * z) - 1.0 / (360.0 * z ** 3.0) + 1.0 / (1260.0 * z ** 5.0) - s

let digamma (x: float) =
    let z = x + float shift
    let mutable s = 0.0
    for k in 0 .. shift - 1 do s <- s + 1.0 / (x + float k)
    Math.Log z - 0.5 / z - 1.0 / (12.0 * z * z) + 1.0 / (120.0 * z ** 4.0) - 1.0 / (252.0 * z ** 6.0) - s

let trigamma (x: float) =
    let z = x + float shift
    let mutable s = 0.0
    for k in 0 .. shift - 1 do s <- s + 1.0 / ((x + float k) * (x + float k))
    1.0 / z + 0.5 / (z * z) + 1.0 / (6.0 * z ** 3.0) - 1.0 / (30.0 * z ** 5.0) + 1.0 / (42.0 * z ** 7.0) + s

/// x Phi(x), the exact GELU.
let gelu (x: float) = 0.5 * x * (1.0 + erf (x / Math.Sqrt 2.0))
