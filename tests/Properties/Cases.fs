/// The op table: every op the property tests differentiate, one row each (`all`, at the bottom of this file), with
/// the OpCase type (one sample: the op applied to generated Float64 operands, its naive reference and a seed) and the
/// constructors of samples and rows. OpCaseProperties.fs runs every row through the checks of Checks.fs; NaNProperties.fs
/// runs the element-wise maps (`unary` rows) at NaN and the infinities.
///
/// How to add an op: add one row to `all`. An element-wise op of one tensor is one line (Atan, for example, is the row after Tanh):
///     unary "Atan" anywhere Elementwise.atan Math.Atan
/// its name, its domain from TestData.fs, the op, its Float64 reference; `binary` and `reduction` rows are alike. An op
/// with parameters or shapes of its own is a `special` row over a Gen<OpCase> written above the table. Modifiers after a
/// row (`note`, `costly`, `where`, `withTolerances`, `firstOrderOnly`, ...) describe, narrow or retune it.
module Nabla.Properties.Cases

open System
open FsCheck
open FsCheck.FSharp
open Nabla.Core
open Nabla.Properties.TestData
open Nabla.Properties.Tolerances

// ------------------------------------------------------------------ one sample

/// One sample of an op: the op applied to generated operands (Float64 values), the naive reference of its value,
/// the tolerances it is checked with and a seed for the random weights and directions the checks draw.
[<NoEquality; NoComparison; StructuredFormatDisplay("{Display}")>]
type OpCase =
    { Op: string
      Operands: (int[] * float[])[]
      Apply: Tensor[] -> Tensor
      /// The expected value, computed naively from the operands.
      Reference: Reference.Value[] -> Reference.Value
      Seed: int
      Tol: Tolerances }
    member c.Display =
        let operand (shape: int[], data: float[]) =
            sprintf "%s [%s]" (Shape.format shape) (String.Join("; ", data |> Array.map (fun v -> v.ToString "R")))
        sprintf "%s of %s (seed %d)" c.Op (c.Operands |> Array.map operand |> String.concat " and ") c.Seed
    override c.ToString() = c.Display

/// A sample with the default tolerances.
let case op operands apply reference seed =
    { Op = op; Operands = operands; Apply = apply; Reference = reference; Seed = seed; Tol = defaultTolerances }

// ------------------------------------------------------------------ samples of element-wise ops and reductions

/// An element-wise unary op on values from `domain`; `f` is its naive Float64 counterpart.
let unaryCase (name: string) (domain: Gen<float>) (op: Tensor -> Tensor) (f: float -> float) =
    gen {
        let! shape = genShape
        let! data = genData domain shape
        let! seed = genSeed
        return case name [| shape, data |] (fun xs -> op xs.[0]) (fun xs -> Reference.map f xs.[0]) seed
    }

/// A broadcasting binary op, operands from their domains.
let binaryCase (name: string) (domainA: Gen<float>) (domainB: Gen<float>) (op: Tensor -> Tensor -> Tensor) (f: float -> float -> float) =
    gen {
        let! sa, sb = genBroadcastPair
        let! a = genData domainA sa
        let! b = genData domainB sb
        let! seed = genSeed
        return case name [| sa, a; sb, b |] (fun xs -> op xs.[0] xs.[1]) (fun xs -> Reference.map2 f xs.[0] xs.[1]) seed
    }

/// A reduction over random axes (null, subsets, negative indices), keepDims either way, on `genValues` of the shape.
let reductionCaseOn (genValues: int[] -> Gen<float[]>) (name: string) (op: int[] -> bool -> Tensor -> Tensor)
                    (reference: int[] -> bool -> Reference.Value -> Reference.Value) =
    gen {
        let! shape = genShape
        let! axes = genAxes shape.Length
        let! keepDims = genBool
        let! data = genValues shape
        let! seed = genSeed
        // The axes array is copied per call: the op must not depend on the caller keeping it intact.
        return case (sprintf "%s axes=%s keepDims=%b" name (formatAxes axes) keepDims) [| shape, data |]
                    (fun xs -> op (if isNull axes then null else Array.copy axes) keepDims xs.[0])
                    (fun xs -> reference axes keepDims xs.[0]) seed
    }

/// The smallest distance between broadcast-paired elements of two operands.
let minGap (a: Reference.Value) (b: Reference.Value) =
    snd (Reference.map2 (fun x y -> abs (x - y)) a b) |> Array.fold min infinity

// ------------------------------------------------------------------ samples of ops with parameters or shapes of their own

let broadcastToCase =
    gen {
        let! target = genShape
        let! shape = genBroadcastable target
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "BroadcastTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Combinators.broadcastTo target xs.[0]) (fun xs -> Reference.broadcastTo target xs.[0]) seed
    }

let sumToCase =
    gen {
        let! shape = genShape
        let! target = genBroadcastable shape
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "SumTo %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Combinators.sumTo target xs.[0]) (fun xs -> Reference.sumTo target xs.[0]) seed
    }

let reshapeCase =
    gen {
        let! shape = genShape
        let n = Shape.size shape
        let! rank = if n = 1 then Gen.choose (0, 3) else Gen.choose (1, 3)
        let! factors = if rank = 0 then Gen.constant [] else genFactors n rank
        let target = Array.ofList factors
        let! unknown = if rank = 0 then Gen.constant -1 else Gen.frequency [ 2, Gen.constant -1; 1, Gen.choose (0, rank - 1) ]
        let target = target |> Array.mapi (fun i d -> if i = unknown then -1 else d)
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Reshape %s" (Shape.format target)) [| shape, data |]
                    (fun xs -> Layout.reshape target xs.[0]) (fun xs -> Reference.reshape target xs.[0]) seed
    }

let transposeCase =
    gen {
        let! shape = genShapeOf 0 4 3 24
        let rank = shape.Length
        let! perm =
            Gen.frequency
                [ 1, Gen.constant null
                  5, gen {
                         let! p = Gen.shuffle [| 0 .. rank - 1 |]
                         let! negative = Gen.arrayOfLength rank genBool
                         return Array.map2 (fun a neg -> if neg then a - rank else a) p negative
                     } ]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Transpose perm=%s" (formatAxes perm)) [| shape, data |]
                    (fun xs -> Layout.transpose perm xs.[0]) (fun xs -> Reference.transpose perm xs.[0]) seed
    }

let sliceCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! start = shape |> Array.map (fun d -> Gen.choose (0, d - 1)) |> Gen.sequenceToArray
        let! size =
            Array.map2 (fun d s -> Gen.frequency [ 3, Gen.choose (1, d - s); 1, Gen.constant -1 ]) shape start
            |> Gen.sequenceToArray
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Slice start=%s size=%s" (Shape.format start) (Shape.format size)) [| shape, data |]
                    (fun xs -> Layout.slice start size xs.[0]) (fun xs -> Reference.slice start size xs.[0]) seed
    }

let padCase =
    gen {
        let! shape = genShapeOf 0 3 3 12
        let! extra = Gen.arrayOfLength shape.Length (Gen.choose (0, 2))
        let! start = extra |> Array.map (fun e -> Gen.choose (0, e)) |> Gen.sequenceToArray
        let target = Array.map2 (+) shape extra
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Pad to %s at %s" (Shape.format target) (Shape.format start)) [| shape, data |]
                    (fun xs -> Layout.pad target start xs.[0]) (fun xs -> Reference.pad target start xs.[0]) seed
    }

let concatCase =
    gen {
        let! k = Gen.choose (2, 3)
        let! baseShape = genShapeOf 1 3 3 9
        let rank = baseShape.Length
        let! axis = Gen.choose (0, rank - 1)
        let! negative = genBool
        let given = if negative then axis - rank else axis
        let! extents = Gen.arrayOfLength k (Gen.choose (1, 3))
        let shapes = extents |> Array.map (fun e -> let s = Array.copy baseShape in s.[axis] <- e; s)
        let! data = shapes |> Array.map (genData anywhere) |> Gen.sequenceToArray
        let! seed = genSeed
        return case (sprintf "Concat axis=%d" given) (Array.zip shapes data) (fun xs -> Layout.concat given xs) (Reference.concat given) seed
    }

let matmulCase =
    gen {
        let! transA = genBool
        let! transB = genBool
        let! m = Gen.choose (1, 4)
        let! k = Gen.choose (1, 4)
        let! n = Gen.choose (1, 4)
        let sa = if transA then [| k; m |] else [| m; k |]
        let sb = if transB then [| n; k |] else [| k; n |]
        let! a = genData (genIn -1.0 1.0) sa
        let! b = genData (genIn -1.0 1.0) sb
        let! seed = genSeed
        return case (sprintf "MatMul transA=%b transB=%b (m=%d k=%d n=%d)" transA transB m k n) [| sa, a; sb, b |]
                    (fun xs -> Products.matmul transA transB xs.[0] xs.[1]) (fun xs -> Reference.matmul transA transB xs.[0] xs.[1]) seed
    }


/// Where with a random Bool condition; condition, x and y each broadcast to a common target.
let whereCase =
    gen {
        let! target = genShape
        let! sc = genBroadcastable target
        let! sx = genBroadcastable target
        let! sy = genBroadcastable target
        let! cond = Gen.arrayOfLength (Shape.size sc) genBool
        let! x = genData anywhere sx
        let! y = genData anywhere sy
        let! seed = genSeed
        let condition = Combinators.constant (Storage.ofArray (Array.copy sc) (Array.copy cond :> Array))
        let cv = sc, cond |> Array.map (fun b -> if b then 1.0 else 0.0)
        return case (sprintf "Where condition %s %A" (Shape.format sc) cond) [| sx, x; sy, y |]
                    (fun xs -> Elementwise.where condition xs.[0] xs.[1]) (fun xs -> Reference.where cv xs.[0] xs.[1]) seed
    }

/// clipByValue x lo hi, all three differentiable and broadcast, lo < 0 < hi, x at least 0.05 from both bounds.
let clipCase =
    gen {
        let! target = genShape
        let! sx = genBroadcastable target
        let! slo = genBroadcastable target
        let! shi = genBroadcastable target
        let! x = genData anywhere sx
        let! lo = genData (genIn -1.0 -0.05) slo
        let! hi = genData (genIn 0.05 1.0) shi
        let! seed = genSeed
        return case "ClipByValue" [| sx, x; slo, lo; shi, hi |]
                    (fun xs -> Elementwise.clipByValue xs.[0] xs.[1] xs.[2]) (fun xs -> Reference.clip xs.[0] xs.[1] xs.[2]) seed
    }
    |> Gen.where (fun c -> minGap c.Operands.[0] c.Operands.[1] >= 0.05 && minGap c.Operands.[0] c.Operands.[2] >= 0.05)

/// One to three of the factors set to exactly zero (the product is multilinear, so central FD stays exact).
let reduceProdWithZerosCase =
    let withZeros (shape: int[]) =
        gen {
            let! data = genData (genAwayFromZero 0.5 1.5) shape
            let n = data.Length
            let! zeros = Gen.arrayOfLength (min n 3) (Gen.choose (0, n - 1))
            let! count = Gen.choose (1, zeros.Length)
            return data |> Array.mapi (fun i v -> if Array.contains i zeros.[.. count - 1] then 0.0 else v)
        }
    reductionCaseOn withZeros "ReduceProd with zeros" Reductions.reduceProd Reference.reduceProd

let expandDimsCase =
    gen {
        let! shape = genShape
        let! axis = Gen.choose (-shape.Length - 1, shape.Length)
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "ExpandDims axis=%d" axis) [| shape, data |] (fun xs -> Layout.expandDims axis xs.[0]) (fun xs -> Reference.expandDims axis xs.[0]) seed
    }

let squeezeCase =
    gen {
        // extents 1, 2, 3 (4 becomes 1), so a squeeze that reorders or keeps axes changes the shape
        let! shape = genShapeOf 0 4 4 24 |> Gen.map (Array.map (fun d -> if d = 4 then 1 else d))
        let ones = [| for i in 0 .. shape.Length - 1 do if shape.[i] = 1 then yield i |]
        let! axis =
            if ones.Length = 0 then Gen.constant None
            else Gen.frequency [ 1, Gen.constant None
                                 2, gen { let! a = Gen.elements ones
                                          let! negative = genBool
                                          return Some(if negative then a - shape.Length else a) } ]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Squeeze axis=%A" axis) [| shape, data |] (fun xs -> Layout.squeeze axis xs.[0]) (fun xs -> Reference.squeeze axis xs.[0]) seed
    }

let stackCase =
    gen {
        let! k = Gen.choose (1, 3)
        let! shape = genShapeOf 0 3 3 8
        let! axis = Gen.choose (-shape.Length - 1, shape.Length)
        let! data = Gen.arrayOfLength k (genData anywhere shape)
        let! seed = genSeed
        return case (sprintf "Stack axis=%d" axis) (data |> Array.map (fun d -> shape, d)) (fun xs -> Layout.stack axis xs) (Reference.stack axis) seed
    }

let gatherCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let a = Reference.normAxis shape.Length axis
        let! ishape, idx, indices = genIndices shape.[a]
        let! data = genData anywhere shape
        let! seed = genSeed
        return case (sprintf "Gather axis=%d indices %s %A (%A)" axis (Shape.format ishape) idx indices.DType) [| shape, data |]
                    (fun xs -> Layout.gather axis indices xs.[0]) (fun xs -> Reference.gather axis ishape idx xs.[0]) seed
    }

let scatterAddCase =
    gen {
        let! xShape = genShapeOf 1 3 4 16
        let! axis = Gen.choose (0, xShape.Length - 1)
        let n = xShape.[axis]
        let! ishape, idx, indices = genIndices n
        let gShape = Array.concat [ xShape.[.. axis - 1]; ishape; xShape.[axis + 1 ..] ]
        let! data = genData anywhere gShape
        let! seed = genSeed
        return case (sprintf "ScatterAdd axis=%d n=%d indices %s %A (%A)" axis n (Shape.format ishape) idx indices.DType) [| gShape, data |]
                    (fun xs -> Layout.scatterAdd axis indices n xs.[0]) (fun xs -> Reference.scatterAdd axis ishape idx n xs.[0]) seed
    }

/// Batched MatMul: batch axes (rank 0 to 2) broadcast between the operands, every transpose flag.
let batchedMatmulCase =
    gen {
        let! transA = genBool
        let! transB = genBool
        let! m = Gen.choose (1, 3)
        let! k = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let! ba = genBroadcastable batch
        let! bb = genBroadcastable batch
        let sa = Array.append ba (if transA then [| k; m |] else [| m; k |])
        let sb = Array.append bb (if transB then [| n; k |] else [| k; n |])
        let! a = genData (genIn -1.0 1.0) sa
        let! b = genData (genIn -1.0 1.0) sb
        let! seed = genSeed
        return case (sprintf "Batched MatMul transA=%b transB=%b (m=%d k=%d n=%d)" transA transB m k n) [| sa, a; sb, b |]
                    (fun xs -> Products.matmul transA transB xs.[0] xs.[1]) (fun xs -> Reference.batchedMatmul transA transB xs.[0] xs.[1]) seed
    }

let matvecCase =
    gen {
        let! transA = genBool
        let! m = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! batch = genShapeOf 0 2 3 6
        let! ba = genBroadcastable batch
        let! bx = genBroadcastable batch
        let sa = Array.append ba (if transA then [| n; m |] else [| m; n |])
        let sx = Array.append bx [| n |]
        let! a = genData (genIn -1.0 1.0) sa
        let! x = genData (genIn -1.0 1.0) sx
        let! seed = genSeed
        return case (sprintf "MatVec transA=%b (m=%d n=%d)" transA m n) [| sa, a; sx, x |]
                    (fun xs -> Products.matvec transA xs.[0] xs.[1]) (fun xs -> Reference.matvec transA xs.[0] xs.[1]) seed
    }

/// An op along one random (possibly negative) axis, on logits.
let alongAxisCase (name: string) (op: int -> Tensor -> Tensor) (reference: int -> Reference.Value -> Reference.Value) =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! data = genData logits shape
        let! seed = genSeed
        return case (sprintf "%s axis=%d" name axis) [| shape, data |] (fun xs -> op axis xs.[0]) (fun xs -> reference axis xs.[0]) seed
    }

/// Labels (not normalised, any values in [0, 1]) and logits both differentiable.
let softmaxCrossEntropyCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let! axis = genAxis shape.Length
        let! labels = genData probabilities shape
        let! x = genData logits shape
        let! seed = genSeed
        return case (sprintf "SoftmaxCrossEntropyWithLogits axis=%d" axis) [| shape, labels; shape, x |]
                    (fun xs -> Nn.softmaxCrossEntropyWithLogits axis xs.[0] xs.[1]) (fun xs -> Reference.softmaxCrossEntropy axis xs.[0] xs.[1]) seed
    }

/// Integer class labels (Int32 or Int64), logits differentiable.
let sparseSoftmaxCrossEntropyCase =
    gen {
        let! shape = genShapeOf 1 3 4 16
        let classes = shape.[shape.Length - 1]
        let lshape = shape.[.. shape.Length - 2]
        let! labels = Gen.arrayOfLength (Shape.size lshape) (Gen.choose (0, classes - 1))
        let! int64s = genBool
        let labelTensor =
            Combinators.constant (if int64s then Storage.ofArray (Array.copy lshape) (Array.map int64 labels :> Array) else Storage.ofArray (Array.copy lshape) (Array.copy labels :> Array))
        let! x = genData logits shape
        let! seed = genSeed
        return case (sprintf "SparseSoftmaxCrossEntropyWithLogits labels %A (%A)" labels labelTensor.DType) [| shape, x |]
                    (fun xs -> Nn.sparseSoftmaxCrossEntropyWithLogits labelTensor xs.[0]) (fun xs -> Reference.sparseSoftmaxCrossEntropy labels xs.[0]) seed
    }

let sigmoidCrossEntropyCase =
    gen {
        let! shape = genShape
        let! labels = genData probabilities shape
        let! x = genData logits shape
        let! seed = genSeed
        return case "SigmoidCrossEntropyWithLogits" [| shape, labels; shape, x |]
                    (fun xs -> Nn.sigmoidCrossEntropyWithLogits xs.[0] xs.[1]) (fun xs -> Reference.sigmoidCrossEntropy xs.[0] xs.[1]) seed
    }

let biasAddCase =
    gen {
        let! shape = genShapeOf 2 4 3 24
        let bshape = [| shape.[shape.Length - 1] |]
        let! value = genData anywhere shape
        let! bias = genData anywhere bshape
        let! seed = genSeed
        return case "BiasAdd" [| shape, value; bshape, bias |] (fun xs -> Nn.biasAdd xs.[0] xs.[1]) (fun xs -> Reference.map2 (+) xs.[0] xs.[1]) seed
    }

/// Exactly zero factors: d/dx_i sum(c * prod) is c[group of i] times the product of the other elements of i's group,
/// worked out from the reference (the vjp must give it exactly, not only to FD's precision).
let exactProductGradient (c: OpCase) : Property =
    let x = tensor (fst c.Operands.[0]) (snd c.Operands.[0])
    let y = c.Apply [| x |]
    let cot = like y (directions c.Seed 13 y.Size)
    let data = snd c.Operands.[0]
    let expected =
        Array.init data.Length (fun i ->
            let others = Array.mapi (fun j v -> if j = i then 1.0 else v) data
            let ys = snd (c.Reference [| fst c.Operands.[0], others |])
            // the group of i is the one whose product changes when x_i does
            let probe = snd (c.Reference [| fst c.Operands.[0], Array.mapi (fun j v -> if j = i then 2.0 else v) others |])
            Array.map3 (fun a b w -> if a <> b then a * w else 0.0) ys probe (values cot) |> Array.sum)
    let gradient = (snd (Derivatives.vjp (fun x -> c.Apply [| x |]) x)) cot
    agree "vjp = naive product of the other elements" defaultTolerances.Ad expected (values gradient)


// ------------------------------------------------------------------ samples of the tf.math additions

/// Values at least 0.1 from every integer and half-integer (where Floor, Ceil and Round jump).
let awayFromSteps = Gen.zip (Gen.choose (-3, 2)) (Gen.elements [ 0.1; 0.2; 0.3; 0.4; 0.6; 0.7; 0.8; 0.9 ]) |> Gen.map (fun (k, u) -> float k + u + 0.0001 * float (k + 3))

/// Away from Relu6's kinks at 0 and 6.
let awayFromRelu6Kinks = Gen.oneof [ genAwayFromZero 0.05 2.0; genIn 4.0 5.95; genIn 6.05 8.0 ]

/// AddN over 1 to 4 operands of one random shape.
let addNCase =
    gen {
        let! shape = genShape
        let! n = Gen.choose (1, 4)
        let! operands = Gen.arrayOfLength n (genData anywhere shape)
        let! seed = genSeed
        return case (sprintf "AddN of %d" n) (operands |> Array.map (fun d -> shape, d)) (fun xs -> Elementwise.addN xs)
                    (fun xs -> fst xs.[0], Array.init (snd xs.[0]).Length (fun i -> xs |> Array.sumBy (fun v -> (snd v).[i])))
                    seed
    }

/// FloorMod's operands with a / b at least 0.05 from an integer everywhere (where it jumps).
let private awayFromModJumps (c: OpCase) =
    snd (Reference.map2 (fun a b -> let q = a / b in q - Math.Floor q) c.Operands.[0] c.Operands.[1])
    |> Array.forall (fun f -> f > 0.05 && f < 0.95)

let private floorMod (a: float) (b: float) = a - Math.Floor(a / b) * b
// ------------------------------------------------------------------ convolution and pooling samples

/// Geometry of one sample: window, stride and dilation per spatial axis, padding; VALID only where the dilated window
/// fits (an empty output has nothing to differentiate; empty outputs have their own tests).
let private genWindow2 (maxK: int) (maxDilation: int) (h: int) (w: int) =
    gen {
        let! kh = Gen.choose (1, maxK)
        let! kw = Gen.choose (1, maxK)
        let! sh = Gen.choose (1, 3)
        let! sw = Gen.choose (1, 3)
        let! dh = Gen.choose (1, maxDilation)
        let! dw = Gen.choose (1, maxDilation)
        let! padding = Gen.elements [ "SAME"; "VALID" ]
        let fits = h >= (kh - 1) * dh + 1 && w >= (kw - 1) * dw + 1
        return (kh, kw), (sh, sw), (dh, dw), (if fits then padding else "SAME")
    }

let private toLayout (nchw: bool) (x: Reference.Value) = if nchw then ConvReference.nhwcToNchw x else x
let private fromLayout (nchw: bool) (x: Reference.Value) = if nchw then ConvReference.nchwToNhwc x else x
let private nchwShape (s: int[]) = [| s.[0]; s.[3]; s.[1]; s.[2] |]
let private small = genIn -1.0 1.0

/// Conv2D: batch 1-2, spatial 1-5, groups 1-2, strides 1-3, dilations 1-2, SAME/VALID, NHWC/NCHW; the reference is
/// a direct loop.
let conv2dCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! h = Gen.choose (1, 5)
        let! w = Gen.choose (1, 5)
        let! groups = Gen.choose (1, 2)
        let! cin = Gen.choose (1, 2)
        let! coutG = Gen.choose (1, 2)
        let! (kh, kw), (sh, sw), (dh, dw), padding = genWindow2 3 2 h w
        let! nchw = genBool
        let xs = [| n; h; w; groups * cin |]
        let fs = [| kh; kw; cin; groups * coutG |]
        let given = if nchw then nchwShape xs else xs
        let! x = genData small given
        let! f = genData small fs
        let! seed = genSeed
        let fmt = if nchw then "NCHW" else "NHWC"
        return case (sprintf "Conv2D %s %s strides=[%d, %d] dilations=[%d, %d] groups=%d" fmt padding sh sw dh dw groups) [| given, x; fs, f |]
                    (fun ts -> Conv.conv2d [| sh; sw |] [| dh; dw |] padding fmt ts.[0] ts.[1])
                    (fun vs -> toLayout nchw (ConvReference.conv2d (sh, sw) (dh, dw) padding (fromLayout nchw vs.[0]) vs.[1])) seed
    }

/// Conv2DTranspose: a random output shape, the input shape the forward convolution of it gives.
let conv2dTransposeCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! h = Gen.choose (1, 5)
        let! w = Gen.choose (1, 5)
        let! c = Gen.choose (1, 2)
        let! ic = Gen.choose (1, 2)
        let! (kh, kw), (sh, sw), (dh, dw), padding = genWindow2 3 2 h w
        let! nchw = genBool
        let oh, _ = ConvReference.window padding h kh sh dh
        let ow, _ = ConvReference.window padding w kw sw dw
        let outShape = [| n; h; w; c |]
        let xs = [| n; oh; ow; ic |]
        let fs = [| kh; kw; c; ic |]
        let given = if nchw then nchwShape xs else xs
        let givenOut = if nchw then nchwShape outShape else outShape
        let! x = genData small given
        let! f = genData small fs
        let! seed = genSeed
        let fmt = if nchw then "NCHW" else "NHWC"
        return case (sprintf "Conv2DTranspose %s %s output=%s strides=[%d, %d] dilations=[%d, %d]" fmt padding (Shape.format givenOut) sh sw dh dw) [| given, x; fs, f |]
                    (fun ts -> Conv.conv2dTranspose (Array.copy givenOut) [| sh; sw |] [| dh; dw |] padding fmt ts.[0] ts.[1])
                    (fun vs -> toLayout nchw (ConvReference.conv2dTranspose outShape (sh, sw) (dh, dw) padding (fromLayout nchw vs.[0]) vs.[1])) seed
    }

/// DepthwiseConv2D: channels 1-3, multiplier 1-2.
let depthwiseConv2dCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! h = Gen.choose (1, 5)
        let! w = Gen.choose (1, 5)
        let! c = Gen.choose (1, 3)
        let! m = Gen.choose (1, 2)
        let! (kh, kw), (sh, sw), (dh, dw), padding = genWindow2 3 2 h w
        let! nchw = genBool
        let xs = [| n; h; w; c |]
        let fs = [| kh; kw; c; m |]
        let given = if nchw then nchwShape xs else xs
        let! x = genData small given
        let! f = genData small fs
        let! seed = genSeed
        let fmt = if nchw then "NCHW" else "NHWC"
        return case (sprintf "DepthwiseConv2D %s %s strides=[%d, %d] dilations=[%d, %d]" fmt padding sh sw dh dw) [| given, x; fs, f |]
                    (fun ts -> Conv.depthwiseConv2d [| sh; sw |] [| dh; dw |] padding fmt ts.[0] ts.[1])
                    (fun vs -> toLayout nchw (ConvReference.depthwise (sh, sw) (dh, dw) padding (fromLayout nchw vs.[0]) vs.[1])) seed
    }

/// Conv1D: NWC/NCW, the reference a direct 2-D loop over a height of 1.
let conv1dCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! w = Gen.choose (1, 7)
        let! c = Gen.choose (1, 3)
        let! oc = Gen.choose (1, 3)
        let! (_, k), (_, s), (_, d), padding = genWindow2 3 3 1 w
        let! ncw = genBool
        let xs = if ncw then [| n; c; w |] else [| n; w; c |]
        let fs = [| k; c; oc |]
        let! x = genData small xs
        let! f = genData small fs
        let! seed = genSeed
        let fmt = if ncw then "NCW" else "NWC"
        let reference (vs: Reference.Value[]) =
            let nwc = if ncw then Reference.transpose [| 0; 2; 1 |] vs.[0] else vs.[0]
            let y = ConvReference.conv2d (1, s) (1, d) padding (Reference.expandDims 1 nwc) (Reference.expandDims 0 vs.[1])
            let y = Reference.squeeze (Some 1) y
            if ncw then Reference.transpose [| 0; 2; 1 |] y else y
        return case (sprintf "Conv1D %s %s stride=%d dilation=%d" fmt padding s d) [| xs, x; fs, f |]
                    (fun ts -> Conv.conv1d [| s |] [| d |] padding fmt ts.[0] ts.[1]) reference seed
    }

/// A pool: window 1-3, strides 1-3, SAME/VALID, NHWC/NCHW, on `values` (distinct for the max pool: no ties).
let private poolCase (name: string) (values: int[] -> Gen<float[]>) (op: int[] -> int[] -> string -> string -> Tensor -> Tensor)
                     (reference: int * int -> int * int -> string -> Reference.Value -> Reference.Value) =
    gen {
        let! n = Gen.choose (1, 2)
        let! h = Gen.choose (1, 5)
        let! w = Gen.choose (1, 5)
        let! c = Gen.choose (1, 2)
        let! (kh, kw), (sh, sw), _, padding = genWindow2 3 1 h w
        let! nchw = genBool
        let xs = [| n; h; w; c |]
        let given = if nchw then nchwShape xs else xs
        let! x = values given
        let! seed = genSeed
        let fmt = if nchw then "NCHW" else "NHWC"
        return case (sprintf "%s %s %s ksize=[%d, %d] strides=[%d, %d]" name fmt padding kh kw sh sw) [| given, x |]
                    (fun ts -> op [| kh; kw |] [| sh; sw |] padding fmt ts.[0])
                    (fun vs -> toLayout nchw (reference (kh, kw) (sh, sw) padding (fromLayout nchw vs.[0]))) seed
    }

let maxPool2dCase = poolCase "MaxPool2D" genDistinct Conv.maxPool2d ConvReference.maxPool
let avgPool2dCase = poolCase "AvgPool2D" (genData anywhere) Conv.avgPool2d ConvReference.avgPool

// ------------------------------------------------------------------ rows

/// Samples per check: enough to cover the shape and parameter space of one op, small enough for all rows to run in
/// a few seconds (they also passed at 2,000 samples each).
[<Literal>]
let Runs = 200

/// Samples per check for the costlier ops (several operands, products, compositions).
[<Literal>]
let CostlyRuns = 100

/// One row of the table: an op, how its samples are drawn, and which checks run on them. Every row is checked for
/// its value against the reference and for first derivatives.
[<NoEquality; NoComparison>]
type OpRow =
    { /// Unique in the table: the op, then what its samples cover in parentheses. The tests name the row by it.
      Name: string
      /// One sample: operands, parameters, reference, tolerances and seed.
      Cases: Gen<OpCase>
      /// FsCheck samples per check (MaxTest).
      Runs: int
      /// Second derivatives: every mode mix against the others and against FD of first derivatives.
      SecondOrder: bool
      /// Float32 value, jvp, vjp and hvp against Float64 from the same rounded inputs.
      Float32: bool
      /// A further check on each first-order sample.
      AlsoFirstOrder: (OpCase -> Property) option
      /// An element-wise map of a float tensor to one of its dtype: its scalar (rank-0) rule is checked against its
      /// kernel, bit for bit, at NaN and +-inf (NaNProperties.fs).
      Elementwise: (Tensor -> Tensor) option
      /// A NaN input gives a NaN gradient (not so where the derivative is a constant, as Negative's).
      NaNGradient: bool }

/// A row with every check, its samples drawn by `cases`.
let special (name: string) (cases: Gen<OpCase>) =
    { Name = name; Cases = cases; Runs = Runs; SecondOrder = true; Float32 = true; AlsoFirstOrder = None; Elementwise = None; NaNGradient = true }

/// An element-wise op of one tensor on values from `domain`; `f` is its Float64 reference.
let unary (name: string) (domain: Gen<float>) (op: Tensor -> Tensor) (f: float -> float) =
    { special name (unaryCase name domain op f) with Elementwise = Some op }

/// A broadcasting element-wise op of two tensors, each operand from its domain; `f` is its Float64 reference.
let binary (name: string) (domainA: Gen<float>) (domainB: Gen<float>) (op: Tensor -> Tensor -> Tensor) (f: float -> float -> float) =
    special name (binaryCase name domainA domainB op f)

/// A reduction over random axes (null, subsets, negative indices), keepDims either way, on `values` of each shape.
let reduction (name: string) (values: int[] -> Gen<float[]>) (op: int[] -> bool -> Tensor -> Tensor) (reference: int[] -> bool -> Reference.Value -> Reference.Value) =
    special name (reductionCaseOn values name op reference)

/// An op along one random axis, on logits.
let alongAxis (name: string) (op: int -> Tensor -> Tensor) (reference: int -> Reference.Value -> Reference.Value) =
    special name (alongAxisCase name op reference)

/// A cast of Float64 values; the result is compared at Float32 precision (`float32RoundTripTolerances`).
let cast (name: string) (op: Tensor -> Tensor) =
    special name (unaryCase name anywhere op (fun v -> float (float32 v)) |> Gen.map (fun c -> { c with Tol = float32RoundTripTolerances }))

/// What the row's samples cover, appended to its name.
let note (what: string) (row: OpRow) = { row with Name = sprintf "%s (%s)" row.Name what }
/// CostlyRuns samples per check.
let costly (row: OpRow) = { row with Runs = CostlyRuns }
/// Only the samples that `keep` accepts.
let where (keep: OpCase -> bool) (row: OpRow) = { row with Cases = row.Cases |> Gen.where keep }
/// Value and first derivatives only.
let firstOrderOnly (row: OpRow) = { row with SecondOrder = false; Float32 = false }
/// No Float32 check (for an op that is the identity on a Float32 operand).
let noFloat32 (row: OpRow) = { row with Float32 = false }
/// `check` runs on every first-order sample too.
let alsoFirstOrder (check: OpCase -> Property) (row: OpRow) = { row with AlsoFirstOrder = Some check }
/// The derivative is a constant, so a NaN input leaves the gradient a number.
let constantDerivative (row: OpRow) = { row with NaNGradient = false }

/// The two operands at least 0.05 apart everywhere (no ties for Maximum and Minimum).
let private noTies (c: OpCase) = minGap c.Operands.[0] c.Operands.[1] >= 0.05

/// A row of linear-algebra samples (LinalgCases.fs), every check.
let private linalg (name: string) (samples: Gen<LinalgCases.Sample>) =
    special name (samples |> Gen.map (fun (op, operands, apply, reference, seed) -> case op operands apply reference seed)) |> costly
/// A row of array-op samples (ArrayCases.fs), every check.
let private arrays (name: string) (samples: Gen<ArrayCases.Sample>) =
    special name (samples |> Gen.map (fun (op, operands, apply, reference, seed) -> case op operands apply reference seed))
/// A row of statistics, scan, sorting or segment samples (StatisticsCases.fs), every check.
let private statistics (name: string) (samples: Gen<StatisticsCases.Sample>) =
    special name (samples |> Gen.map (fun (op, operands, apply, reference, seed) -> case op operands apply reference seed)) |> costly

// ------------------------------------------------------------------ the table

/// Every op the property tests differentiate.
let all : OpRow list =
    [ // element-wise, one operand
      unary "Exp" anywhere Elementwise.exp Math.Exp
      unary "Log" positive Elementwise.log Math.Log
      unary "Sin" anywhere Elementwise.sin Math.Sin
      unary "Cos" anywhere Elementwise.cos Math.Cos
      unary "Tanh" anywhere Elementwise.tanh Math.Tanh
      unary "Atan" anywhere Elementwise.atan Math.Atan
      unary "Sqrt" positive Elementwise.sqrt Math.Sqrt
      unary "Negative" anywhere Elementwise.neg (fun v -> -v) |> constantDerivative
      unary "Square" anywhere Elementwise.square (fun v -> v * v)
      unary "Log1p" (genIn -0.5 2.0) Elementwise.log1p (fun v -> Math.Log(1.0 + v))
      unary "Tan" (genIn -1.2 1.2) Elementwise.tan Math.Tan
      unary "Sigmoid" (genIn -4.0 4.0) Elementwise.sigmoid (fun v -> 1.0 / (1.0 + Math.Exp -v))
      unary "Softplus" (genIn -4.0 4.0) Elementwise.softplus (fun v -> Math.Log(1.0 + Math.Exp v))
      unary "Relu" awayFromKink Elementwise.relu (fun v -> max v 0.0) |> note "away from 0"
      unary "Abs" awayFromKink Elementwise.abs Math.Abs |> note "away from 0"
      unary "Sign" awayFromKink Elementwise.sign (fun v -> float (Math.Sign v)) |> note "derivative 0"
      // element-wise, two or three operands, broadcasting
      binary "Add" anywhere anywhere Combinators.add (+) |> note "broadcasting"
      binary "Subtract" anywhere anywhere Elementwise.sub (-) |> note "broadcasting"
      binary "Multiply" anywhere anywhere Elementwise.mul (*) |> note "broadcasting"
      binary "Divide" anywhere nonZero Elementwise.div (/) |> note "broadcasting"
      binary "Pow" positive anywhere Elementwise.pow (fun a b -> Math.Pow(a, b)) |> note "broadcasting, base > 0"
      binary "Maximum" anywhere anywhere Elementwise.maximum max |> where noTies |> note "broadcasting, no ties"
      binary "Minimum" anywhere anywhere Elementwise.minimum min |> where noTies |> note "broadcasting, no ties"
      special "Where" whereCase |> note "random condition, broadcasting" |> costly
      special "ClipByValue" clipCase |> note "broadcasting, away from the bounds" |> costly
      // tf.math additions
      unary "Asin" (genIn -0.9 0.9) Elementwise.asin Math.Asin
      unary "Acos" (genIn -0.9 0.9) Elementwise.acos Math.Acos
      unary "Sinh" anywhere Elementwise.sinh Math.Sinh
      unary "Cosh" anywhere Elementwise.cosh Math.Cosh
      unary "Asinh" anywhere Elementwise.asinh Math.Asinh
      unary "Acosh" (genIn 1.2 3.0) Elementwise.acosh Math.Acosh
      unary "Atanh" (genIn -0.9 0.9) Elementwise.atanh Math.Atanh
      unary "Erf" anywhere Elementwise.erf SpecialReference.erf
      unary "Erfc" anywhere Elementwise.erfc SpecialReference.erfc
      unary "Expm1" anywhere Elementwise.expm1 (fun v -> Math.Exp v - 1.0)
      unary "Reciprocal" nonZero Elementwise.reciprocal (fun v -> 1.0 / v)
      unary "Rsqrt" positive Elementwise.rsqrt (fun v -> 1.0 / Math.Sqrt v)
      unary "Floor" awayFromSteps Elementwise.floor Math.Floor |> note "derivative 0"
      unary "Ceil" awayFromSteps Elementwise.ceil Math.Ceiling |> note "derivative 0"
      unary "Round" awayFromSteps Elementwise.round (fun v -> Math.Round(v, MidpointRounding.ToEven)) |> note "derivative 0"
      unary "Lgamma" positive Elementwise.lgamma SpecialReference.lgamma
      unary "Digamma" positive Elementwise.digamma SpecialReference.digamma
      unary "Polygamma" positive (Elementwise.polygamma 1) SpecialReference.trigamma |> note "order 1"
      unary "LeakyRelu" awayFromKink (Elementwise.leakyRelu 0.2) (fun v -> if v > 0.0 then v else 0.2 * v) |> note "alpha 0.2, away from 0"
      unary "Relu6" awayFromRelu6Kinks Elementwise.relu6 (fun v -> min (max v 0.0) 6.0) |> note "away from 0 and 6"
      unary "Elu" awayFromKink Elementwise.elu (fun v -> if v > 0.0 then v else Math.Exp v - 1.0) |> note "away from 0"
      // Selu, Gelu, Silu and LogSigmoid are composites (no scalar rules of their own), so `special` rows: the NaN
      // bit-for-bit check of scalar rules against kernels is for primitives
      special "Selu" (unaryCase "Selu" awayFromKink Elementwise.selu (fun v -> 1.0507009873554805 * (if v > 0.0 then v else 1.6732632423543772 * (Math.Exp v - 1.0)))) |> note "away from 0"
      special "Gelu" (unaryCase "Gelu" anywhere (Nn.gelu false) SpecialReference.gelu) |> note "exact"
      special "Gelu" (unaryCase "Gelu" anywhere (Nn.gelu true) (fun v -> 0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v))))) |> note "tanh approximation"
      unary "Softsign" awayFromKink Nn.softsign (fun v -> v / (1.0 + abs v)) |> note "away from 0"
      special "Silu" (unaryCase "Silu" anywhere (Nn.silu 1.0) (fun v -> v / (1.0 + Math.Exp -v)))
      special "LogSigmoid" (unaryCase "LogSigmoid" anywhere Nn.logSigmoid (fun v -> -Math.Log(1.0 + Math.Exp -v)))
      binary "Atan2" nonZero anywhere Elementwise.atan2 (fun y x -> Math.Atan2(y, x)) |> note "broadcasting, y away from 0"
      binary "SquaredDifference" anywhere anywhere Elementwise.squaredDifference (fun a b -> (a - b) * (a - b)) |> note "broadcasting"
      binary "FloorMod" anywhere nonZero Elementwise.floorMod floorMod |> where awayFromModJumps |> note "broadcasting, away from the jumps"
      special "AddN" addNCase |> note "1 to 4 operands"
      // casts
      cast "Cast Float64 -> Float32 -> Float64" (Elementwise.cast DType.Float32 >> Elementwise.cast DType.Float64)
      cast "Cast to Float32" (Elementwise.cast DType.Float32) |> noFloat32
      // reductions
      reduction "Sum" (genData anywhere) Reductions.sum Reference.sum |> note "axes, keepDims"
      reduction "Mean" (genData anywhere) Reductions.mean Reference.mean |> note "axes, keepDims"
      reduction "ReduceMax" genDistinct Reductions.reduceMax Reference.reduceMax |> note "axes, keepDims, no ties"
      reduction "ReduceMin" genDistinct Reductions.reduceMin Reference.reduceMin |> note "axes, keepDims, no ties"
      // nonzero factors of moderate size (a product of 16 stays within [0.5^16, 1.5^16])
      reduction "ReduceProd" (genData (genAwayFromZero 0.5 1.5)) Reductions.reduceProd Reference.reduceProd |> note "axes, keepDims, nonzero"
      // with zeros the first derivative is still exact (the product of the other elements); the second is documented
      // to miss the cross terms at zeros, so only the first order is checked
      special "ReduceProd" reduceProdWithZerosCase |> note "axes, keepDims, with zeros" |> firstOrderOnly |> alsoFirstOrder exactProductGradient
      reduction "ReduceLogSumExp" (genData (genIn -3.0 3.0)) Reductions.reduceLogSumExp Reference.reduceLogSumExp |> note "axes, keepDims"
      // shapes
      special "BroadcastTo" broadcastToCase
      special "SumTo" sumToCase
      special "Reshape" reshapeCase
      special "Transpose" transposeCase |> note "random perms"
      special "Slice" sliceCase
      special "Pad" padCase
      special "Concat" concatCase
      special "ExpandDims" expandDimsCase |> note "random axis"
      special "Squeeze" squeezeCase |> note "all or one axis"
      special "Stack" stackCase |> note "random axis" |> costly
      special "Gather" gatherCase |> note "random axis, random indices with repeats"
      special "ScatterAdd" scatterAddCase |> note "random axis, random indices with repeats"
      // products
      special "MatMul" matmulCase |> note "all transpose flags"
      special "Batched MatMul" batchedMatmulCase |> note "broadcast batch axes, all transpose flags" |> costly
      special "MatVec" matvecCase |> note "broadcast batch axes, transA" |> costly
      // NN helpers
      alongAxis "Softmax" Nn.softmax Reference.softmax |> note "random axis"
      alongAxis "LogSoftmax" Nn.logSoftmax Reference.logSoftmax |> note "random axis"
      special "SoftmaxCrossEntropyWithLogits" softmaxCrossEntropyCase |> note "random axis, labels and logits" |> costly
      special "SparseSoftmaxCrossEntropyWithLogits" sparseSoftmaxCrossEntropyCase |> note "Int32 and Int64 labels" |> costly
      special "SigmoidCrossEntropyWithLogits" sigmoidCrossEntropyCase |> note "labels and logits" |> costly
      special "BiasAdd" biasAddCase |> note "value and bias" |> costly
      // convolution and pooling
      special "Conv2D" conv2dCase |> note "strides, dilations, SAME/VALID, NHWC/NCHW, groups" |> costly
      special "Conv2DTranspose" conv2dTransposeCase |> note "strides, dilations, SAME/VALID, NHWC/NCHW" |> costly
      special "DepthwiseConv2D" depthwiseConv2dCase |> note "strides, dilations, SAME/VALID, NHWC/NCHW, multiplier" |> costly
      special "Conv1D" conv1dCase |> note "stride, dilation, SAME/VALID, NWC/NCW" |> costly
      special "MaxPool2D" maxPool2dCase |> note "ksize, strides, SAME/VALID, NHWC/NCHW, no ties" |> costly
      special "AvgPool2D" avgPool2dCase |> note "ksize, strides, SAME/VALID, NHWC/NCHW" |> costly
      // linear algebra
      linalg "Cholesky" LinalgCases.cholesky |> note "SPD X X^T + nI, batched"
      linalg "TriangularSolve" LinalgCases.triangularSolve |> note "lower and upper, adjoint, broadcast batch axes"
      linalg "CholeskySolve" LinalgCases.choleskySolve |> note "broadcast batch axes"
      linalg "Solve" LinalgCases.solve |> note "adjoint, broadcast batch axes"
      linalg "Inv" LinalgCases.inv |> note "adjoint, batched"
      linalg "Det" LinalgCases.det |> note "batched"
      linalg "Slogdet" LinalgCases.logAbsDet |> note "log|det|, both signs, batched"
      linalg "LogDet" LinalgCases.logdet |> note "SPD, batched"
      linalg "Trace" LinalgCases.trace |> note "non-square, batched"
      linalg "DiagPart" LinalgCases.diagPart |> note "non-square, batched"
      linalg "Diag" LinalgCases.diag |> note "batched"
      linalg "BandPart" LinalgCases.bandPart |> note "negative counts, non-square, batched"
      linalg "Norm" LinalgCases.norm |> note "vector and matrix norms, every ord, axes, keepDims"
      linalg "Qr" LinalgCases.qr |> note "tall, square and wide, batched"
      linalg "Eigh" LinalgCases.eigh |> note "eigenvalues and a sign-free function of V; Eigvalsh; batched"
      linalg "Svd" LinalgCases.svd |> note "tall and wide, sign-free functions of U and V, s alone, matrix 2-norm; batched"
      linalg "Lstsq" LinalgCases.lstsq |> note "tall and wide, fast and SVD paths, l2 regulariser"
      // arrays and indexing (ArrayCases.fs)
      arrays "StridedSlice" ArrayCases.stridedSlice |> note "negative steps, clamped bounds, shrink, new axis, ellipsis"
      arrays "Reverse" ArrayCases.reverse |> note "random axes"
      arrays "Tile" ArrayCases.tile |> note "multiples 0 to 3"
      arrays "Pad" ArrayCases.pad |> note "CONSTANT, REFLECT, SYMMETRIC"
      arrays "Roll" ArrayCases.roll |> note "several, repeated and negative axes"
      arrays "Split" ArrayCases.split |> note "sizes with -1, all parts rejoined"
      arrays "Unstack" ArrayCases.unstack |> note "random axis, all parts restacked"
      arrays "GatherNd" ArrayCases.gatherNd |> note "tuple depth 0 to rank, repeats"
      arrays "ScatterNd" ArrayCases.scatterNd |> note "duplicates summed"
      arrays "TensorScatterNdUpdate" ArrayCases.tensorScatterNdUpdate |> note "tensor and updates, duplicates" |> costly
      arrays "BooleanMask" ArrayCases.booleanMask |> note "mask rank 1 to 3, random axis"
      // einsum (EinsumCases.fs: random equations against explicit loops)
      special "Einsum" (EinsumCases.einsumSample 3 true |> Gen.map (fun (op, operands, apply, reference, seed) -> case op operands apply reference seed))
      |> note "random subscripts, diagonals, sums, ellipses, 1 to 3 operands" |> costly
      special "Tensordot" (EinsumCases.tensordotSample |> Gen.map (fun (op, operands, apply, reference, seed) -> case op operands apply reference seed))
      |> note "random axis pairs or an int" |> costly
      // statistics, scans, sorting and segments (StatisticsCases.fs)
      statistics "ReduceVariance" StatisticsCases.varianceSamples |> note "axes, keepDims"
      statistics "ReduceStd" StatisticsCases.stdSamples |> note "axes, keepDims, groups of distinct values"
      statistics "Moments" StatisticsCases.momentsSamples |> note "axes, keepDims; mean and variance"
      statistics "CumSum" StatisticsCases.cumsumSamples |> note "random axis, exclusive, reverse"
      statistics "CumProd" StatisticsCases.cumprodSamples |> note "random axis, exclusive, reverse"
      statistics "CumProd" StatisticsCases.cumprodWithZerosSamples |> note "with zeros, every order exact"
      statistics "L2Normalize" StatisticsCases.l2NormalizeSamples |> note "axes"
      statistics "ClipByNorm" StatisticsCases.clipByNormSamples |> note "axes, t and clipNorm, away from the kink"
      statistics "ClipByGlobalNorm" StatisticsCases.clipByGlobalNormSamples |> note "1 to 3 tensors and clipNorm, with the norm"
      statistics "TopK" StatisticsCases.topKSamples |> note "k from 0 to n, no ties"
      statistics "Sort" StatisticsCases.sortSamples |> note "random axis, both directions, no ties"
      statistics "SegmentSum" StatisticsCases.segmentSumSamples |> note "sorted Int32 and Int64 ids"
      statistics "UnsortedSegmentSum" StatisticsCases.unsortedSegmentSumSamples |> note "ids of a prefix shape, negative ids dropped" ]

/// The row of that name.
let find (name: string) =
    match all |> List.tryFind (fun r -> r.Name = name) with
    | Some r -> r
    | None -> failwithf "no row %s in Cases.all" name
