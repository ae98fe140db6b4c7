/// Tolerances: how close two results must be for a check to pass. `Tol` is one relative/absolute pair, `Tolerances`
/// the set one op case is checked with (finite differences against AD, AD against AD, Float32 against Float64), the
/// defaults and the casts' wider set, and the labelled comparisons (`agree`, `agreeScaled`, `agreeDot`) that apply
/// them and say where and by how much two vectors differ.
module Nabla.Properties.Tolerances

open FsCheck
open FsCheck.FSharp
open Nabla.Properties.TestData

/// |actual - expected| <= RTol * max(|actual|, |expected|) + ATol * scale, where scale is
/// 1 + the largest magnitude in the expected vector (so a small entry of a large vector is
/// judged against the vector's size, and values near zero against an absolute floor).
type Tol = { RTol: float; ATol: float }

/// The tolerances of one op: central finite differences with step `Step` against AD (`Fd`),
/// one AD mode against another (`Ad`: the same rules in another order, so only rounding), and
/// Float32 results against Float64 results from the same (rounded) inputs (`Float32`).
type Tolerances = { Step: float; Fd: Tol; Ad: Tol; Float32: Tol }

/// Float64 defaults: FD step 1e-6. Its truncation error h^2 f'''/6 (at most ~1e-8 here: the
/// domains keep x >= 0.3 for log and sqrt, |b| >= 0.5 for denominators) and its rounding error
/// eps |f| / h (~1e-10 |f|) are far below relative 1e-6 with an absolute floor of 1e-6, so FD
/// checks fail only on a wrong derivative. Forward against reverse: relative 1e-9, floor 1e-11.
/// Float32 against Float64: relative 1e-4, floor 1e-5 (the largest deviation seen over 2,000
/// runs per op was 3.5e-5 relative, in the hvp of Divide with respect to the denominator; most
/// are a few Float32 ulps).
let defaultTolerances =
    { Step = 1e-6
      Fd = { RTol = 1e-6; ATol = 1e-6 }
      Ad = { RTol = 1e-9; ATol = 1e-11 }
      Float32 = { RTol = 1e-4; ATol = 1e-5 } }

/// For casts through Float32: the function is piecewise constant at the scale of a Float32 ulp,
/// so FD takes a large step (exact for the linear and quadratic functions the harness builds)
/// and everything compares at Float32 precision.
let float32RoundTripTolerances =
    { Step = 0.5
      Fd = { RTol = 1e-5; ATol = 1e-5 }
      Ad = { RTol = 1e-5; ATol = 1e-6 }
      Float32 = { RTol = 1e-4; ATol = 1e-5 } }

// ------------------------------------------------------------------ labelled comparisons

let private formatValues (a: float[]) =
    "[" + System.String.Join("; ", a |> Array.map (fun v -> v.ToString "G6")) + "]"

/// Element-wise agreement with an explicit scale for the absolute floor (see `Tol`).
let agreeScaled (label: string) (tol: Tol) (scale: float) (expected: float[]) (actual: float[]) : Property =
    let ok (e: float) (a: float) = abs (a - e) <= tol.RTol * max (abs a) (abs e) + tol.ATol * scale
    if expected.Length <> actual.Length then
        Prop.label (sprintf "%s: expected %d values, got %d" label expected.Length actual.Length) false
    else
        match Array.tryFindIndex id (Array.map2 (fun e a -> not (ok e a)) expected actual) with
        | None -> Prop.label label true
        | Some i ->
            Prop.label (sprintf "%s: first mismatch at flat index %d: expected %.17g, got %.17g (diff %.3g)\n  expected %s\n  actual   %s"
                                label i expected.[i] actual.[i] (actual.[i] - expected.[i]) (formatValues expected) (formatValues actual)) false

/// Element-wise agreement, absolute floor scaled by 1 + the largest expected magnitude.
let agree (label: string) (tol: Tol) (expected: float[]) (actual: float[]) : Property =
    let scale = 1.0 + (expected |> Array.fold (fun m v -> max m (abs v)) 0.0)
    agreeScaled label tol scale expected actual

/// <a, b> = <c, d>, the absolute floor scaled by the magnitudes of the terms (inner products cancel).
let agreeDot (label: string) (tol: Tol) (a: float[], b: float[]) (c: float[], d: float[]) : Property =
    let terms (x: float[]) (y: float[]) = Array.fold2 (fun s p q -> s + abs (p * q)) 0.0 x y
    agreeScaled label tol (1.0 + terms a b + terms c d) [| dot a b |] [| dot c d |]
