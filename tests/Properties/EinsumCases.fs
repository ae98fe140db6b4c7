/// Random einsum equations and their explicit-loop reference: random labels (a-e and A), operand ranks 0-3 with labels
/// repeated at random (diagonals), random output subsets and orders or the implicit output, optionally an ellipsis of
/// width 0-2 per operand whose axes broadcast (extent 1 or the common extent), random extents 1-3, random whitespace.
/// The reference loops over every assignment of every label and sums the products, knowing nothing of contraction
/// orders, matrix products or diagonals. Each sample is (name, operands, apply, reference, seed) for Cases.fs's `case`.
module Nabla.Properties.EinsumCases

open System
open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Properties.TestData

type Sample = string * (int[] * float[])[] * (Tensor[] -> Tensor) * (Reference.Value[] -> Reference.Value) * int

/// An equation with what the reference needs: each operand's labels after its ellipsis is spelled out (ellipsis axis p
/// of the common ellipsis as the character '0' + p) and its shape, the output's labels, and every label's extent.
type Equation =
    { Text: string
      Operands: (char[] * int[])[]
      Output: char[]
      Extent: Map<char, int> }
    override e.ToString() = e.Text

/// out[output] = sum over all other labels of prod_i operand_i[labels_i], an operand of extent 1 on an ellipsis axis
/// read at index 0 (broadcast).
let reference (e: Equation) (data: float[][]) : Reference.Value =
    let all = Array.append (e.Operands |> Array.collect fst) e.Output |> Array.distinct
    let extents = all |> Array.map (fun l -> e.Extent.[l])
    let outShape = e.Output |> Array.map (fun l -> e.Extent.[l])
    let result = Array.zeroCreate (Reference.size outShape)
    let total = Reference.size extents
    for flat in 0 .. total - 1 do
        let assignment = Reference.unravel extents flat
        let value (l: char) = assignment.[Array.IndexOf(all, l)]
        let mutable p = 1.0
        e.Operands |> Array.iteri (fun i (labels, shape) ->
            let idx = Array.init labels.Length (fun a -> if shape.[a] = 1 then 0 else value labels.[a])
            p <- p * data.[i].[Reference.ravel shape idx])
        let o = Reference.ravel outShape (e.Output |> Array.map value)
        result.[o] <- result.[o] + p
    outShape, result

let private pool = [| 'a'; 'b'; 'c'; 'd'; 'e'; 'A' |]

/// A random equation over 1 to `maxOperands` operands; with `ellipses`, operands may hold "...".
let genEquation (maxOperands: int) (ellipses: bool) : Gen<Equation> =
    gen {
        let! count = Gen.choose (1, maxOperands)
        let! extentList = Gen.arrayOfLength pool.Length (Gen.choose (1, 3))
        let extent = Array.zip pool extentList |> Map.ofArray
        let! terms = Gen.arrayOfLength count (gen {
                         let! rank = Gen.choose (0, 3)
                         // a small pool per operand makes repeated labels (diagonals) and shared labels common
                         return! Gen.arrayOfLength rank (Gen.elements pool) })
        let! width = if ellipses then Gen.choose (0, 2) else Gen.constant 0
        let! common = Gen.arrayOfLength width (Gen.choose (1, 3))
        let! withEllipsis = Gen.arrayOfLength count (if ellipses then genBool else Gen.constant false)
        let anyEllipsis = Array.exists id withEllipsis
        let! ellipsisAt = terms |> Array.map (fun t -> Gen.choose (0, t.Length)) |> Gen.sequenceToArray
        let! widths = withEllipsis |> Array.map (fun has -> if has then Gen.choose (0, width) else Gen.constant 0) |> Gen.sequenceToArray
        let! stretch = Gen.arrayOfLength count (Gen.arrayOfLength 2 genBool)
        let ellipsisLabels w = Array.init w (fun q -> char (int '0' + width - w + q))
        let operands =
            Array.init count (fun i ->
                let t = terms.[i]
                let labels =
                    if withEllipsis.[i] then Array.concat [ t.[.. ellipsisAt.[i] - 1]; ellipsisLabels widths.[i]; t.[ellipsisAt.[i] ..] ]
                    else t
                let shape =
                    labels |> Array.mapi (fun a l ->
                        if Char.IsDigit l then
                            let p = int l - int '0'
                            if stretch.[i].[(p + a) % 2] then 1 else common.[p]
                        else extent.[l])
                labels, shape)
        // an ellipsis axis has the largest extent any operand gives it (1 when every operand stretches it)
        let axisExtent (l: char) =
            operands |> Array.collect (fun (ls, shape) -> Array.zip ls shape |> Array.filter (fun (x, _) -> x = l) |> Array.map snd) |> Array.fold max 1
        let ext = Seq.fold (fun (m: Map<char, int>) p -> let l = char (int '0' + p) in m.Add(l, axisExtent l)) extent (seq { 0 .. width - 1 })
        let used = terms |> Array.collect id |> Array.distinct
        let! implicitOutput = Gen.frequency [ 1, Gen.constant true; 3, Gen.constant false ]
        let! chosen = Gen.subListOf used |> Gen.map Array.ofSeq
        let! outputOrder = Gen.shuffle chosen
        let! outEllipsisAt = Gen.choose (0, outputOrder.Length)
        let implicitLabels =
            terms |> Array.collect id |> Array.countBy id |> Array.filter (fun (_, n) -> n = 1) |> Array.map fst |> Array.sortBy int
        let commonLabels = ellipsisLabels width
        let output =
            if implicitOutput then (if anyEllipsis then Array.append commonLabels implicitLabels else implicitLabels)
            elif anyEllipsis then Array.concat [ outputOrder.[.. outEllipsisAt - 1]; commonLabels; outputOrder.[outEllipsisAt ..] ]
            else outputOrder
        let! spaces = Gen.frequency [ 3, Gen.constant false; 1, Gen.constant true ]
        let term (i: int) =
            let t = String(terms.[i])
            if withEllipsis.[i] then t.Insert(ellipsisAt.[i], "...") else t
        let lhs = String.Join((if spaces then " , " else ","), Array.init count term)
        let rhs =
            if implicitOutput then ""
            else
                let o = String(outputOrder)
                "->" + (if anyEllipsis then o.Insert(outEllipsisAt, "...") else o)
        let text = if spaces then " " + lhs + " " + rhs + " " else lhs + rhs
        // an ellipsis in no operand has width 0, whatever `width` says
        let ext = if anyEllipsis then ext else extent
        let output = if anyEllipsis then output else output |> Array.filter (fun l -> not (Char.IsDigit l))
        return { Text = text; Operands = operands; Output = output; Extent = ext }
    }
    // the ellipsis must cover the same axes in every operand that holds one: right-aligned widths agree by construction,
    // and an equation whose operands hold no ellipsis drops the common axes
    |> Gen.map (fun e -> if e.Operands |> Array.exists (fun (ls, _) -> ls |> Array.exists Char.IsDigit) then e
                         else { e with Output = e.Output |> Array.filter (fun l -> not (Char.IsDigit l)) })

/// The widest ellipsis among the operands must be the common one (the output spells out `width` axes).
let consistent (e: Equation) =
    let widest = e.Operands |> Array.map (fun (ls, _) -> ls |> Array.filter Char.IsDigit |> Array.length) |> Array.fold max 0
    let outWidth = e.Output |> Array.filter Char.IsDigit |> Array.length
    widest = outWidth

/// A sample of Einsum on a random equation (values in [-2, 2]).
let einsumSample (maxOperands: int) (ellipses: bool) : Gen<Sample> =
    gen {
        let! e = genEquation maxOperands ellipses |> Gen.where consistent
        let! data = e.Operands |> Array.map (fun (_, shape) -> genData anywhere shape) |> Gen.sequenceToArray
        let! seed = genSeed
        let operands = Array.map2 (fun (_, shape) d -> shape, d) e.Operands data
        return (sprintf "Einsum \"%s\"" e.Text), operands, (fun xs -> Einsum.einsum e.Text xs),
               (fun (vs: Reference.Value[]) -> reference e (vs |> Array.map snd)), seed
    }

/// A sample of Tensordot: random shapes of a and b sharing 0-2 contracted axes in random positions, given as axis lists
/// (negative at random) or as an integer.
let tensordotSample : Gen<Sample> =
    gen {
        let! k = Gen.choose (0, 2)
        let! shared = Gen.arrayOfLength k (Gen.choose (1, 3))
        let! freeA = Gen.choose (0, 2) >>= (fun n -> Gen.arrayOfLength n (Gen.choose (1, 3)))
        let! freeB = Gen.choose (0, 2) >>= (fun n -> Gen.arrayOfLength n (Gen.choose (1, 3)))
        let! asInt = genBool
        // positions: a's axes and b's axes as shuffles of free and shared ones
        let aAxes = Array.append (Array.init freeA.Length (fun i -> Choice1Of2 i)) (Array.init k (fun q -> Choice2Of2 q))
        let bAxes = Array.append (Array.init k (fun q -> Choice2Of2 q)) (Array.init freeB.Length (fun j -> Choice1Of2 j))
        let! aOrder = if asInt then Gen.constant aAxes else Gen.shuffle aAxes
        let! bOrder = if asInt then Gen.constant bAxes else Gen.shuffle bAxes
        let! negA = Gen.arrayOfLength k genBool
        let! negB = Gen.arrayOfLength k genBool
        let shapeOf (order: Choice<int, int>[]) (free: int[]) = order |> Array.map (function Choice1Of2 i -> free.[i] | Choice2Of2 q -> shared.[q])
        let sa, sb = shapeOf aOrder freeA, shapeOf bOrder freeB
        let pos (order: Choice<int, int>[]) q = Array.IndexOf(order, Choice2Of2 q)
        let axesA = Array.init k (fun q -> let p = pos aOrder q in if negA.[q] then p - sa.Length else p)
        let axesB = Array.init k (fun q -> let p = pos bOrder q in if negB.[q] then p - sb.Length else p)
        let! da = genData anywhere sa
        let! db = genData anywhere sb
        let! seed = genSeed
        // the same contraction as an equation for the reference: a's axes get letters, b's shared axes a's letters
        let letters = "abcdefgh"
        let la = aOrder |> Array.mapi (fun i _ -> letters.[i])
        let lb = bOrder |> Array.mapi (fun j c -> match c with Choice2Of2 q -> la.[pos aOrder q] | Choice1Of2 _ -> letters.[sa.Length + j])
        let sharedLetters = Array.init k (fun q -> la.[pos aOrder q])
        let output = Array.append (la |> Array.filter (fun l -> not (Array.contains l sharedLetters))) (lb |> Array.filter (fun l -> not (Array.contains l sharedLetters)))
        let extent = Array.append (Array.zip la sa) (Array.zip lb sb) |> Map.ofArray
        let e = { Text = ""; Operands = [| la, sa; lb, sb |]; Output = output; Extent = extent }
        let name = if asInt then sprintf "Tensordot axes=%d" k else sprintf "Tensordot axes=%s,%s" (Shape.format axesA) (Shape.format axesB)
        let apply (xs: Tensor[]) = if asInt then Einsum.tensordotN k xs.[0] xs.[1] else Einsum.tensordot axesA axesB xs.[0] xs.[1]
        return name, [| sa, da; sb, db |], apply, (fun (vs: Reference.Value[]) -> reference e (vs |> Array.map snd)), seed
    }
