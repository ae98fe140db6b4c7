/// The statistics and sorting kernels against naive ones where the op table cannot reach: the sorting permutation with
/// many ties, NaN, infinities and signed zeros (against a stable sort of the indices, NaN ranked above +inf), integer
/// scans and segment sums (against Float64 ones), and CumProd's derivatives continuous across a zero (its rules never
/// divide by x).
module Nabla.Properties.StatisticsKernelTests

open System
open FsCheck
open FsCheck.FSharp
open global.Xunit
open Nabla.Core
open Nabla.Properties.TestData

/// NaN above every number; -0 equal to +0.
let private rank (x: float) (y: float) =
    if Double.IsNaN x then (if Double.IsNaN y then 0 else 1) elif Double.IsNaN y then -1 else compare x y

/// A stable sort of the indices of each row (List.sortWith is stable).
let private naivePermutation (descending: bool) (n: int) (data: float[]) =
    [| for o in 0 .. (if n = 0 then 0 else data.Length / n) - 1 do
         yield! [ 0 .. n - 1 ] |> List.sortWith (fun i j -> let c = rank data.[o * n + i] data.[o * n + j] in if descending then -c else c) |]

let private tiesAndSpecials =
    Gen.elements [ 0.0; -0.0; 1.0; 1.0; -1.0; 2.5; nan; infinity; -infinity; 1e-30 ]

[<Fact>]
let ``sortPermutation is the stable sort with NaN above +inf, in both directions and every dtype`` () =
    let property =
        Prop.forAll (Arb.fromGen (Gen.zip (genShapeOf 1 3 5 40) genBool)) (fun (shape, descending) ->
            Prop.forAll (Arb.fromGen (genData tiesAndSpecials shape)) (fun data ->
                let n = shape.[shape.Length - 1]
                let expected = naivePermutation descending n data
                let f64 = Sorting.Kernels.sortPermutation descending (tensor shape data).Raw
                let f32 = Sorting.Kernels.sortPermutation descending (tensorAs DType.Float32 shape data).Raw
                let ints = data |> Array.map (fun v -> if Double.IsNaN v || Double.IsInfinity v then 7.0 else Math.Round v)
                let expectedInts = naivePermutation descending n ints
                let i32 = Sorting.Kernels.sortPermutation descending (Storage.ofArray shape (ints |> Array.map int :> Array))
                let i64 = Sorting.Kernels.sortPermutation descending (Storage.ofArray shape (ints |> Array.map int64 :> Array))
                holds "Float64" (f64 = expected) .&. holds "Float32" (f32 = expected)
                .&. holds "Int32" (i32 = expectedInts) .&. holds "Int64" (i64 = expectedInts)))
    Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property)

[<Fact>]
let ``topKIndices is the first k of the descending sort, heap or not`` () =
    let property =
        Prop.forAll (Arb.fromGen (genShapeOf 1 3 40 120)) (fun shape ->
            let n = shape.[shape.Length - 1]
            Prop.forAll (Arb.fromGen (Gen.zip (genData tiesAndSpecials shape) (Gen.choose (0, n)))) (fun (data, k) ->
                let perm = Sorting.Kernels.sortPermutation true (tensor shape data).Raw
                let expected = Array.init (perm.Length / max n 1 * k) (fun q -> perm.[(q / k) * n + q % k])
                let ints = data |> Array.map (fun v -> if Double.IsNaN v || Double.IsInfinity v then 7 else int (Math.Round v))
                let permInts = Sorting.Kernels.sortPermutation true (Storage.ofArray shape (ints :> Array))
                let expectedInts = Array.init (permInts.Length / max n 1 * k) (fun q -> permInts.[(q / k) * n + q % k])
                holds "Float64" (Sorting.Kernels.topKIndices k (tensor shape data).Raw = expected)
                .&. holds "Float32" (Sorting.Kernels.topKIndices k (tensorAs DType.Float32 shape data).Raw = expected)
                .&. holds "Int32" (Sorting.Kernels.topKIndices k (Storage.ofArray shape (ints :> Array)) = expectedInts)))
    Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property)

[<Fact>]
let ``integer CumSum, CumProd and segment sums agree with Float64 ones`` () =
    let rng = Random(5)
    for _ in 1 .. 200 do
        let shape = Array.init (rng.Next(1, 4)) (fun _ -> rng.Next(1, 5))
        let data = Array.init (Shape.size shape) (fun _ -> float (rng.Next(-3, 4)))
        let axis = rng.Next(-shape.Length, shape.Length)
        let exclusive, reverse = rng.Next 2 = 0, rng.Next 2 = 0
        let asF = tensor shape data
        for dtype in [ DType.Int32; DType.Int64 ] do
            let asI = Elementwise.cast dtype asF
            let same (name: string) (i: Tensor) (f: Tensor) =
                Assert.True(i.DType = dtype, sprintf "%s keeps %A" name dtype)
                Assert.True(values i = values f, sprintf "%s %A of %A axis %d: %A vs %A" name dtype data axis (values i) (values f))
            same "CumSum" (Statistics.cumsum axis exclusive reverse asI) (Statistics.cumsum axis exclusive reverse asF)
            same "CumProd" (Statistics.cumprod axis exclusive reverse asI) (Statistics.cumprod axis exclusive reverse asF)
            let count = rng.Next(1, 4)
            let ids = Array.init shape.[0] (fun _ -> rng.Next(-1, count))
            let idT = Combinators.constant (Storage.ofArray [| ids.Length |] (ids :> Array))
            same "UnsortedSegmentSum" (Sorting.unsortedSegmentSum idT count asI) (Sorting.unsortedSegmentSum idT count asF)
            let sorted = Array.sort (ids |> Array.map abs)
            let sortedT = Combinators.constant (Storage.ofArray [| sorted.Length |] (sorted :> Array))
            same "SegmentSum" (Sorting.segmentSum sortedT asI) (Sorting.segmentSum sortedT asF)

[<Fact>]
let ``CumProd's derivatives are continuous across a zero`` () =
    // the rules never divide by x: at a zero entry and at a tiny one the gradients and Hessian-vector products
    // differ by O(tiny) only (a rule dividing by x would lose about eps / tiny of the second derivative)
    let rng = Random(9)
    for _ in 1 .. 50 do
        let n = rng.Next(2, 9)
        let data = Array.init n (fun _ -> 0.5 + rng.NextDouble())
        let k = rng.Next n
        let exclusive, reverse = rng.Next 2 = 0, rng.Next 2 = 0
        let f (x: Tensor) = Reductions.sum null false (Elementwise.mul (Statistics.cumprod 0 exclusive reverse x) (tensor [| n |] (Array.init n (fun i -> float (i + 1)))))
        let at (v: float) = tensor [| n |] (Array.mapi (fun i d -> if i = k then v else d) data)
        let g0 = values (Derivatives.grad f (at 0.0))
        let gt = values (Derivatives.grad f (at 1e-12))
        let dir = tensor [| n |] (Array.init n (fun _ -> rng.NextDouble() - 0.5))
        let h0 = values (Derivatives.hvp f (at 0.0) dir)
        let ht = values (Derivatives.hvp f (at 1e-12) dir)
        for i in 0 .. n - 1 do
            Assert.True(abs (g0.[i] - gt.[i]) < 1e-9, sprintf "gradient %d: %g vs %g" i g0.[i] gt.[i])
            Assert.True(abs (h0.[i] - ht.[i]) < 1e-9, sprintf "hvp %d: %g vs %g" i h0.[i] ht.[i])
