/// The op table (Cases.all) under the checks of Checks.fs: one xunit theory per kind of check, one theory row per
/// table row, each an FsCheck property over the row's samples with the row's number of samples. A failure names the
/// row, the check that failed and the sample (operands, parameters and seed).
module Nabla.Properties.OpCaseProperties

open FsCheck
open FsCheck.FSharp
open global.Xunit
open Nabla.Properties.Cases
open Nabla.Properties.Checks

/// Runs `check` on `row.Runs` samples of the row, throwing on a counterexample.
let private run (row: OpRow) (check: OpCase -> Property) =
    let config = Config.QuickThrowOnFailure.WithMaxTest(row.Runs).WithQuietOnSuccess(true)
    Check.One(config, Prop.forAll (Arb.fromGen row.Cases) check)

let private rowsWhere (pick: OpRow -> bool) : seq<obj[]> =
    Cases.all |> Seq.filter pick |> Seq.map (fun r -> [| box r.Name |]) |> Seq.toArray :> _

/// Every row.
let everyRow = rowsWhere (fun _ -> true)
/// The rows checked for second derivatives.
let secondOrderRows = rowsWhere (fun r -> r.SecondOrder)
/// The rows checked in Float32.
let float32Rows = rowsWhere (fun r -> r.Float32)

/// Value against the reference; forward = reverse = central FD Jacobians; the inner-product identity.
[<Theory; MemberData(nameof everyRow)>]
let ``first order`` (op: string) =
    let row = Cases.find op
    run row (fun c ->
        match row.AlsoFirstOrder with
        | None -> firstOrderOfCase c
        | Some also -> firstOrderOfCase c .&. also c)

/// Every mode mix of second derivatives against the others and against central FD of first derivatives.
[<Theory; MemberData(nameof secondOrderRows)>]
let ``second order`` (op: string) = run (Cases.find op) secondOrderOfCase

/// Value, jvp, vjp and hvp in Float32 against Float64 from the same rounded inputs.
[<Theory; MemberData(nameof float32Rows)>]
let ``Float32`` (op: string) = run (Cases.find op) float32OfCase

/// The theories find rows by name.
[<Fact>]
let ``row names are unique`` () =
    let duplicates = Cases.all |> List.countBy (fun r -> r.Name) |> List.filter (fun (_, n) -> n > 1)
    Assert.True(List.isEmpty duplicates, sprintf "rows named alike: %A" duplicates)
