/// The random kernels over explicit streams (no global seed): Philox-4x32-10's published known-answer vectors, samples
/// that depend only on (stream, element index), and integer ranges up to the dtype's full width.
module Nabla.Properties.RandomKernelTests

open System
open Xunit
open Nabla.Core
open Nabla.Core.Randomness.Kernels

/// Random123's known-answer vectors for philox4x32 with 10 rounds (counter words, key words, expected output).
[<Theory>]
[<InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)>]
[<InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)>]
[<InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)>]
let ``Philox4x32-10 gives the published known answers`` (c0, c1, c2, c3, k0, k1, r0: uint32, r1: uint32, r2: uint32, r3: uint32) =
    let struct (a, b, c, d) = philox4x32 c0 c1 c2 c3 k0 k1
    Assert.Equal<uint32[]>([| r0; r1; r2; r3 |], [| a; b; c; d |])

let private stream = { K0 = 17u; K1 = 42u; Call = 3UL }

let private floats (r: RawTensor) = Storage.toDoubles r

[<Fact>]
let ``Samples depend only on the stream and the element index, not on the shape`` () =
    let prefix (f: int[] -> RawTensor) = (floats (f [| 7 |])).[0 .. 4], floats (f [| 5 |])
    for name, f in
        [ "normal", (fun s -> normal stream s 0.0 1.0 DType.Float64)
          "truncated", (fun s -> truncatedNormal stream s 0.0 1.0 DType.Float64)
          "uniform", (fun s -> uniformFloat stream s 0.0 1.0 DType.Float32)
          "int", (fun s -> uniformInt stream s -5L 5L DType.Int64) ] do
        let a, b = prefix f
        Assert.True((a = b), name)
    // another call index or key gives other numbers
    let other = normal { stream with Call = 4UL } [| 5 |] 0.0 1.0 DType.Float64
    Assert.NotEqual<float[]>(floats (normal stream [| 5 |] 0.0 1.0 DType.Float64), floats other)

[<Fact>]
let ``Integer uniforms span the full Int64 range and stay within tight ranges`` () =
    let wide = uniformInt stream [| 2000 |] Int64.MinValue Int64.MaxValue DType.Int64
    let w = wide.Data :?> int64[]
    Assert.Contains(w, fun v -> v < -(1L <<< 62))
    Assert.Contains(w, fun v -> v > (1L <<< 62))
    let narrow = uniformInt stream [| 2000 |] (Int64.MaxValue - 2L) Int64.MaxValue DType.Int64
    Assert.All(narrow.Data :?> int64[], fun v -> Assert.InRange(v, Int64.MaxValue - 2L, Int64.MaxValue - 1L))

[<Fact>]
let ``Permutations are permutations and Fisher-Yates reaches every order of 3`` () =
    for n in [ 0; 1; 2; 10; 1000 ] do
        Assert.Equal<int[]>(Array.init n id, Array.sort (permutation stream n))
    let orders =
        [ for c in 0UL .. 599UL -> permutation { stream with Call = c } 3 |> Array.map string |> String.concat "" ]
        |> List.countBy id
    Assert.Equal(6, orders.Length)
    // each of the 6 orders about 100 times in 600 (5 binomial standard deviations)
    for _, k in orders do Assert.InRange(k, 100 - 46, 100 + 46)

[<Fact>]
let ``The dropout mask holds 0 or the Float32 scale`` () =
    let m = dropoutMask stream [| 1000 |] 0.25 DType.Float32
    let scale = 1.0f / (1.0f - 0.25f)
    Assert.All(m.Data :?> float32[], fun v -> Assert.True((v = 0.0f || v = scale)))
