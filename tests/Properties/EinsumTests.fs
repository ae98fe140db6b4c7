/// Einsum and Tensordot beyond the op table's rows: many random equations (1 to 4 operands, ellipses) against the
/// explicit-loop reference in Float64 and exactly in Int32 and Int64; the MatMul fast path gives MatMul's bits;
/// TensorFlow's documented examples; and the error messages.
module Nabla.Properties.EinsumTests

open System
open FsCheck
open FsCheck.FSharp
open global.Xunit
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances
open Nabla.Properties.EinsumCases

let private config n = Config.QuickThrowOnFailure.WithMaxTest(n).WithQuietOnSuccess(true)

[<Fact>]
let ``Einsum equals explicit loops on random subscripts (1 to 4 operands, ellipses, Float64)`` () =
    let property (name: string, operands: (int[] * float[])[], apply: Tensor[] -> Tensor, reference: Reference.Value[] -> Reference.Value, _: int) =
        let y = apply (operands |> Array.map (fun (s, d) -> tensor s d))
        let shape, expected = reference operands
        (holds (sprintf "%s: shape %s, expected %s" name (Shape.format y.Shape) (Shape.format shape)) (Shape.equal y.Shape shape)
         .&. agree (name + ": value = explicit loops") defaultTolerances.Ad expected (values y))
    Check.One(config 1000, Prop.forAll (Arb.fromGen (einsumSample 4 true)) property)

[<Fact>]
let ``Einsum of Int32 and Int64 operands equals explicit loops exactly`` () =
    let sample =
        gen {
            let! e = genEquation 3 true |> Gen.where consistent
            let! data = e.Operands |> Array.map (fun (_, shape) -> Gen.arrayOfLength (Shape.size shape) (Gen.choose (-5, 5) |> Gen.map float)) |> Gen.sequenceToArray
            let! wide = genBool
            return e, data, wide
        }
    let property (e: Equation, data: float[][], wide: bool) =
        let dtype = if wide then DType.Int64 else DType.Int32
        let operands = Array.map2 (fun (_, shape) d -> Combinators.constant (Storage.cast dtype (Storage.ofArray shape d))) e.Operands data
        let y = Einsum.einsum e.Text operands
        let shape, expected = reference e data
        holds (sprintf "\"%s\" %A: dtype %A, shape %s, values %A; expected %s, %A" e.Text dtype y.DType (Shape.format y.Shape) (values y) (Shape.format shape) expected)
              (y.DType = dtype && Shape.equal y.Shape shape && values y = expected)
    Check.One(config 300, Prop.forAll (Arb.fromGen sample) property)

let private random (seed: int) (shape: int[]) =
    let rng = Random(seed)
    tensor shape (Array.init (Shape.size shape) (fun _ -> rng.NextDouble() - 0.5))

let private bits (t: Tensor) = values t |> Array.map BitConverter.DoubleToInt64Bits

[<Fact>]
let ``matrix-product equations give MatMul's bits`` () =
    let a, b = random 1 [| 4; 5; 6 |], random 2 [| 4; 6; 3 |]
    Assert.Equal<int64[]>(bits (Products.matmul false false a b), bits (Einsum.einsum "bij,bjk->bik" [| a; b |]))
    Assert.Equal<int64[]>(bits (Products.matmul true false a (random 3 [| 4; 5; 2 |])), bits (Einsum.einsum "bji,bjk->bik" [| a; random 3 [| 4; 5; 2 |] |]))
    let m, n = random 4 [| 5; 6 |], random 5 [| 7; 6 |]
    Assert.Equal<int64[]>(bits (Products.matmul false true m n), bits (Einsum.einsum "ij,kj->ik" [| m; n |]))
    Assert.Equal<int64[]>(bits (Products.matmul false true n m), bits (Einsum.einsum "ij,kj->ki" [| m; n |]))
    let c, d = random 6 [| 2; 1; 5; 6 |], random 7 [| 3; 6; 4 |]
    Assert.Equal<int64[]>(bits (Products.matmul false false c d), bits (Einsum.einsum "...ij,...jk->...ik" [| c; d |]))

[<Fact>]
let ``TensorFlow's documented examples`` () =
    let m = tensor [| 3; 3 |] [| 1.0 .. 9.0 |]
    Assert.Equal<float[]>([| 15.0 |], values (Einsum.einsum "ii" [| m |]))
    Assert.Equal<float[]>([| 1.0; 5.0; 9.0 |], values (Einsum.einsum "ii->i" [| m |]))
    Assert.Equal<float[]>([| 1.0; 4.0; 7.0; 2.0; 5.0; 8.0; 3.0; 6.0; 9.0 |], values (Einsum.einsum "ij->ji" [| m |]))
    let u, v = tensor [| 2 |] [| 1.0; 2.0 |], tensor [| 3 |] [| 3.0; 4.0; 5.0 |]
    Assert.Equal<float[]>([| 3.0; 4.0; 5.0; 6.0; 8.0; 10.0 |], values (Einsum.einsum "i,j->ij" [| u; v |]))
    Assert.Equal<float[]>([| 5.0 |], values (Einsum.einsum "i,i->" [| u; u |]))
    let a, b = random 8 [| 2; 3 |], random 9 [| 3; 5 |]
    // implicit output: "ij,jk" is "ij,jk->ik"
    Assert.Equal<int64[]>(bits (Einsum.einsum "ij,jk->ik" [| a; b |]), bits (Einsum.einsum "ij,jk" [| a; b |]))
    Assert.Equal<int[]>([| 2; 5 |], (Einsum.einsum " i j , j k " [| a; b |]).Shape)
    // generalised diagonal of a [3, 3, 3] tensor
    let t = tensor [| 3; 3; 3 |] [| 0.0 .. 26.0 |]
    Assert.Equal<float[]>([| 0.0; 13.0; 26.0 |], values (Einsum.einsum "iii->i" [| t |]))
    // tf.tensordot: a [3, 4, 5] with b [4, 5, 2] over 2 axes is [3, 2]; axes 0 is the outer product
    Assert.Equal<int[]>([| 3; 2 |], (Einsum.tensordotN 2 (random 10 [| 3; 4; 5 |]) (random 11 [| 4; 5; 2 |])).Shape)
    Assert.Equal<int[]>([| 2; 3; 4 |], (Einsum.tensordotN 0 (random 12 [| 2; 3 |]) (random 13 [| 4 |])).Shape)

let private message (f: unit -> Tensor) =
    let e = Assert.ThrowsAny<ArgumentException>(fun () -> f () |> ignore)
    e.Message

[<Fact>]
let ``errors name the op, the equation and the operand or label`` () =
    let a, b = random 1 [| 2; 3 |], random 2 [| 4; 5 |]
    let has (parts: string list) (msg: string) = for p in parts do Assert.Contains(p, msg)
    message (fun () -> Einsum.einsum "ij,jk->ik" [| a; b |]) |> has [ "Einsum"; "\"ij,jk->ik\""; "label 'j'"; "extent 3"; "extent 4"; "operand 1" ]
    message (fun () -> Einsum.einsum "ij,jk->ik" [| a |]) |> has [ "Einsum"; "\"ij,jk->ik\""; "2 input subscripts"; "1 operand" ]
    message (fun () -> Einsum.einsum "i1,jk->ik" [| a; b |]) |> has [ "Einsum"; "character '1'"; "\"i1\"" ]
    message (fun () -> Einsum.einsum "ij->ii" [| a |]) |> has [ "Einsum"; "label 'i'"; "more than once" ]
    message (fun () -> Einsum.einsum "ij->k" [| a |]) |> has [ "Einsum"; "label 'k'"; "no input" ]
    message (fun () -> Einsum.einsum "ijk->i" [| a |]) |> has [ "Einsum"; "operand 0"; "rank 2"; "expected rank 3" ]
    message (fun () -> Einsum.einsum "ii->i" [| a |]) |> has [ "Einsum"; "label 'i'"; "extent 2"; "extent 3" ]
    message (fun () -> Einsum.einsum "...i->i" [| random 3 [| 2; 3 |] |]) |> has [ "Einsum"; "ellipsis"; "no \"...\"" ]
    message (fun () -> Einsum.einsum "...i,...i->...i" [| random 4 [| 2; 3 |]; random 5 [| 4; 3 |] |]) |> has [ "Einsum"; "do not broadcast" ]
    message (fun () -> Einsum.einsum "i.j->ij" [| a |]) |> has [ "Einsum"; "'.'" ]
    message (fun () -> Einsum.einsum "ij,jk->ik" [| a; tensorAs DType.Float32 [| 3; 4 |] (Array.zeroCreate 12) |]) |> has [ "Einsum"; "Float64"; "Float32" ]
    message (fun () -> Einsum.tensordotN 3 a b) |> has [ "Tensordot"; "axes = 3" ]
    message (fun () -> Einsum.tensordot [| 1 |] [| 0 |] a b) |> has [ "Tensordot"; "extent 3"; "extent 4" ]
    message (fun () -> Einsum.tensordot [| 0; 0 |] [| 0; 1 |] a b) |> has [ "Tensordot"; "repeat" ]

[<Fact>]
let ``three operands: the greedy order contracts the small pair first and agrees with pairwise left to right`` () =
    let a, b, c = random 1 [| 20; 2 |], random 2 [| 2; 20 |], random 3 [| 20; 3 |]
    let all = Einsum.einsum "ij,jk,kl->il" [| a; b; c |]
    let stepwise = Einsum.einsum "ik,kl->il" [| Einsum.einsum "ij,jk->ik" [| a; b |]; c |]
    Assert.Equal<int[]>([| 20; 3 |], all.Shape)
    Assert.True(Array.forall2 (fun x y -> abs (x - y) <= 1e-12 * (1.0 + abs y)) (values all) (values stepwise))

[<Fact>]
let ``empty extents give zeros and empty results`` () =
    let a, b = tensor [| 2; 0 |] [||], tensor [| 0; 3 |] [||]
    Assert.Equal<float[]>(Array.zeroCreate 6, values (Einsum.einsum "ij,jk->ik" [| a; b |]))
    Assert.Equal<int[]>([| 0 |], (Einsum.einsum "ii->i" [| tensor [| 0; 0 |] [||] |]).Shape)
