module Nabla.Core.Products

open System
open MathNet.Numerics.Providers.LinearAlgebra
open Nabla.Core.Combinators
open Nabla.Core.Layout

/// The kernels of the products: one GEMM through the provider, or one per batch matrix.
module Kernels =
    open System.Numerics.Tensors
    open System.Runtime.InteropServices
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage

    let matmul2 (transA: bool) (transB: bool) (a: RawTensor) (b: RawTensor) =
        let m = if transA then a.Shape.[1] else a.Shape.[0]
        let k = if transA then a.Shape.[0] else a.Shape.[1]
        let n = if transB then b.Shape.[0] else b.Shape.[1]
        let provider = Backend.linearAlgebra ()
        let tA = if transA then Transpose.Transpose else Transpose.DontTranspose
        let tB = if transB then Transpose.Transpose else Transpose.DontTranspose
        // Column-major view: B-array is (rows, cols) = (bCols, bRows) as stored.
        let bRowsCM, bColsCM = b.Shape.[1], b.Shape.[0]
        let aRowsCM, aColsCM = a.Shape.[1], a.Shape.[0]
        // A C that the provider's GEMM overwrites need not be cleared first (a fresh large array would otherwise be
        // written twice); any other provider, and an empty or vector product, gets a cleared one.
        // The managed AVX-512 kernel (when Backend routes this product to it) writes every element of C.
        let kernel = m > 0 && n > 0 && k > 0 && Backend.gemmKernelFor provider m n k
        let threads = MathNet.Numerics.Control.MaxDegreeOfParallelism
        let uninitialised = kernel || k > 0 && m > 1 && n > 1 && (Backend.capabilitiesOf provider).GemmOverwritesOutput
        let output (len: int) : 'T[] = if uninitialised then BufferPool.rent<'T> len else BufferPool.rentZeroed<'T> len
        let data: Array =
            match a.Data, b.Data with
            | (:? (float[]) as x), (:? (float[]) as y) ->
                let c = output (m * n)
                if kernel then GemmKernel.gemmD transA transB m n k x 0 a.Shape.[1] y 0 b.Shape.[1] c 0 n false threads
                elif m > 0 && n > 0 && k > 0 then
                    provider.MatrixMultiplyWithUpdate(tB, tA, 1.0, y, bRowsCM, bColsCM, x, aRowsCM, aColsCM, 0.0, c)
                c :> _
            | (:? (float32[]) as x), (:? (float32[]) as y) ->
                let c = output (m * n)
                if kernel then GemmKernel.gemmS transA transB m n k x 0 a.Shape.[1] y 0 b.Shape.[1] c 0 n false threads
                elif m > 0 && n > 0 && k > 0 then
                    provider.MatrixMultiplyWithUpdate(tB, tA, 1.0f, y, bRowsCM, bColsCM, x, aRowsCM, aColsCM, 0.0f, c)
                c :> _
            | _ -> invalidArg "a" (sprintf "MatMul: dtype %s is not supported; expected Float32 or Float64" (dtypeName a.DType))
        RawTensor(a.DType, [| m; n |], data)


    let matmul (transA: bool) (transB: bool) (a: RawTensor) (b: RawTensor) =
        if a.Rank = 2 && b.Rank = 2 then matmul2 transA transB a b
        else
            let ra, rb = a.Rank, b.Rank
            let am, ak = (if transA then a.Shape.[ra - 1] else a.Shape.[ra - 2]), (if transA then a.Shape.[ra - 2] else a.Shape.[ra - 1])
            let bn = if transB then b.Shape.[rb - 2] else b.Shape.[rb - 1]
            let aBatch = a.Shape.[.. ra - 3]
            let bBatch = b.Shape.[.. rb - 3]
            let batch = Shape.broadcast "MatMul" aBatch bBatch
            let outShape = Array.append batch [| am; bn |]
            if rb = 2 && not transA then
                // One GEMM: fold a's batch axes into its rows.
                let flat = reshape [| Shape.size aBatch * am; ak |] a
                reshape outShape (matmul2 false transB flat b)
            else
                let nb = Shape.size batch
                let aMat = a.Shape.[ra - 2] * a.Shape.[ra - 1]
                let bMat = b.Shape.[rb - 2] * b.Shape.[rb - 1]
                let sa = Shape.broadcastStrides aBatch batch
                let sb = Shape.broadcastStrides bBatch batch
                let r = alloc a.DType (Shape.size outShape)
                let cMat = am * bn
                let bs = Shape.strides batch
                for i in 0 .. nb - 1 do
                    let mutable ao = 0
                    let mutable bo = 0
                    let mutable rem = i
                    for ax in 0 .. batch.Length - 1 do
                        let c = rem / bs.[ax]
                        rem <- rem % bs.[ax]
                        ao <- ao + c * sa.[ax]
                        bo <- bo + c * sb.[ax]
                    let sliceOf (t: RawTensor) (off: int) (len: int) =
                        let d = alloc t.DType len
                        Array.Copy(t.Data, off * len, d, 0, len)
                        RawTensor(t.DType, t.Shape.[t.Rank - 2 ..], d)
                    let c = matmul2 transA transB (sliceOf a ao aMat) (sliceOf b bo bMat)
                    Array.Copy(c.Data, 0, r, i * cMat, cMat)
                RawTensor(a.DType, outShape, r)

let private opError (op: string) (msg: string) = invalidArg "x" (op + ": " + msg)

let matmulAdjointA (mm: bool -> bool -> Tensor -> Tensor -> Tensor) (transA: bool) (transB: bool) (b: Tensor) (g: Tensor) =
    match transA, transB with
    | false, false -> mm false true g b
    | true, false -> mm false true b g
    | false, true -> mm false false g b
    | true, true -> mm true true b g

let matmulAdjointB (mm: bool -> bool -> Tensor -> Tensor -> Tensor) (transA: bool) (transB: bool) (a: Tensor) (g: Tensor) =
    match transA, transB with
    | false, false -> mm true false a g
    | true, false -> mm false false a g
    | false, true -> mm true false g a
    | true, true -> mm true true g a


let rec matmul (transA: bool) (transB: bool) (a: Tensor) (b: Tensor) : Tensor =
    let ra, rb = a.Rank, b.Rank
    if ra < 2 || rb < 2 then
        opError "MatMul" (sprintf "expected operands of rank >= 2, got shapes %s and %s" (Shape.format a.Shape) (Shape.format b.Shape))
    let ka = if transA then a.Shape.[ra - 2] else a.Shape.[ra - 1]
    let kb = if transB then b.Shape.[rb - 1] else b.Shape.[rb - 2]
    if ka <> kb then
        opError "MatMul" (sprintf "inner dimensions differ: shapes %s%s and %s%s; expected op(a) columns = op(b) rows"
                                  (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format b.Shape) (if transB then " (transposed)" else ""))
    if a.DType <> b.DType then
        opError "MatMul" (sprintf "operands have dtypes %s and %s; expected the same dtype" (string a.DType) (string b.DType))
    match Shape.tryBroadcast a.Shape.[.. ra - 3] b.Shape.[.. rb - 3] with
    | None ->
        opError "MatMul" (sprintf "batch axes of shapes %s and %s (all but the last two) do not broadcast; expected equal extents or 1, aligned from the right"
                                  (Shape.format a.Shape) (Shape.format b.Shape))
    | Some batch ->
        let m = if transA then a.Shape.[ra - 1] else a.Shape.[ra - 2]
        let n = if transB then b.Shape.[rb - 2] else b.Shape.[rb - 1]
        let out = Array.append batch [| m; n |]
        if Shape.trySize out < 0 then
            opError "MatMul" (sprintf "shapes %s%s and %s%s give a product of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format b.Shape) (if transB then " (transposed)" else "")
                                      (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    binary (matmulPrim transA transB) a b
and matmulPrim (transA: bool) (transB: bool) : BinaryPrim =
    { new BinaryPrim("MatMul") with
        member _.Kernel(x, y) = Kernels.matmul transA transB x y
        member _.JvpA(_, b, _, da) = matmul transA transB da b
        member _.JvpB(a, _, _, db) = matmul transA transB a db
        member _.VjpA(a, b, _, g) = sumTo a.Shape (matmulAdjointA matmul transA transB b g)
        member _.VjpB(a, b, _, g) = sumTo b.Shape (matmulAdjointB matmul transA transB a g) }


let matvec (transA: bool) (a: Tensor) (x: Tensor) =
    if x.Rank < 1 || a.Rank < 2 then
        invalidArg "x" (sprintf "MatVec: expected a matrix of rank >= 2 and a vector of rank >= 1, got shapes %s and %s" (Shape.format a.Shape) (Shape.format x.Shape))
    let cols = if transA then a.Shape.[a.Rank - 2] else a.Shape.[a.Rank - 1]
    if cols <> x.Shape.[x.Rank - 1] then
        invalidArg "x" (sprintf "MatVec: shapes %s%s and %s: the matrix has %d columns but the vector has %d elements; expected equal"
                                (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format x.Shape) cols x.Shape.[x.Rank - 1])
    match Shape.tryBroadcast a.Shape.[.. a.Rank - 3] x.Shape.[.. x.Rank - 2] with
    | None ->
        invalidArg "x" (sprintf "MatVec: batch axes of shapes %s and %s (all but the matrix's last two and the vector's last one) do not broadcast; expected equal extents or 1, aligned from the right"
                                (Shape.format a.Shape) (Shape.format x.Shape))
    | Some batch ->
        let out = Array.append batch [| (if transA then a.Shape.[a.Rank - 1] else a.Shape.[a.Rank - 2]) |]
        if Shape.trySize out < 0 then
            invalidArg "x" (sprintf "MatVec: shapes %s%s and %s give a product of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                    (Shape.format a.Shape) (if transA then " (transposed)" else "") (Shape.format x.Shape) (Shape.format out) (Shape.bigSize out) Shape.maxElements)
    squeeze (Some -1) (matmul transA false a (expandDims -1 x))

