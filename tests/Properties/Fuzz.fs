/// The fuzzer: random programs (FuzzPrograms.fs) run through the C# facade and checked against a naive
/// reference and against each other.
///
/// For a program the reference accepts:
///   - values: every statement's dtype, shape and values equal the reference's (NaN for NaN, infinities exactly;
///     Float64 relative 1e-9 with a floor of 1e-9 x the largest intermediate magnitude; Float32 anywhere in the
///     program: relative 1e-4, floor 1e-4 x that magnitude), and the same under a tape and an accumulator;
///   - first order (all inputs and variables): the ForwardAccumulator's JVP along v = central finite differences of
///     the reference along v (where defined, below); <c, JVP> = sum of <gradient, v> from a GradientTape with output
///     gradients c (variables: the gradient with respect to the values read, summed over their reads, as
///     TensorFlow); a persistent tape's gradients taken inside its block and twice after it agree; Autodiff.Grad and
///     Autodiff.Jvp on one input (the others constant), and Nabla.Core.Derivatives.grad/jvp on the same program run
///     through the core, agree with the tape and with each other; GradientTape.Jacobian and Autodiff.Jacobian have
///     the shape output ++ input and c'J = the tape's gradient;
///   - second order: u'Hv from nested tapes (reverse-over-reverse), forward-over-reverse, reverse-over-forward and
///     (feature pinn) a persistent tape's own gradient differentiated after its block, agree with each other and
///     with central FD of the first-order tape gradient; Autodiff.Hvp and Derivatives.hvp on one input agree with
///     forward-over-reverse restricted to it, and Autodiff.Hessian times v with Autodiff.Hvp;
///   - third order (feature nested3): tapes nested to depth 3 = forward over two nested tapes = FD of the latter;
///   - StopRecording (feature stoprecording): with statements run inside outer.StopRecording() while an inner tape
///     records, the inner gradient is the full one and the outer one treats those statements as constants.
/// For a program the reference rejects, the facade throws an ArgumentException or InvalidOperationException whose
/// message names an op; any exception from a valid program, or of another type, is a finding.
///
/// Derivatives are compared only where every value of the reference is finite and specified and no derivative is
/// infinite (Sqrt at 0, Pow with a zero base); elsewhere only values and the absence of exceptions are checked.
/// Finite differences are "defined" at a point when, at x +- h v, x +- h/2 v and x +- h/4 v (h = 1e-3), every discrete
/// decision of the reference (signs at the kinks of Relu/Abs/Sign/Maximum/Minimum/ClipByValue/Pow's base, the winners
/// and ties of ReduceMax/ReduceMin, comparison results, integer values, gather indices) is the same as at x and every
/// value is finite (the function is smooth on the stencil), and the Richardson estimates (4 D(h/2) - D(h)) / 3 and
/// (4 D(h/4) - D(h/2)) / 3 agree within 1e-3 (relative, floor 1e-3). The latter is compared with AD at relative 1e-6,
/// floor 1e-6 x (1 + the largest FD magnitude), plus the rounding noise 1e-13 x largest intermediate / h, plus twice
/// the distance between the two estimates (a generous bound of its truncation error). AD against AD (same rules,
/// another order): relative 1e-8, floor 1e-9 x (1 + the sum of the magnitudes of the terms); 1e-4 when Float32
/// appears in the program, where no FD is taken.
module Nabla.Properties.Fuzz

open System
open System.Collections.Generic
open System.Text.RegularExpressions
open FsCheck
open FsCheck.FSharp
open Nabla
open Nabla.Properties.FuzzPrograms

type private T = Nabla.Tensor
type private CT = Nabla.Core.Tensor

// ------------------------------------------------------------------ building facade and core tensors

let private elemType (dt: DT) =
    match dt with
    | F64 -> typeof<double>
    | F32 -> typeof<float32>
    | I32 -> typeof<int>
    | I64 -> typeof<int64>
    | B -> typeof<bool>

let private boxed (dt: DT) (v: float) : obj =
    match dt with
    | F64 -> box v
    | F32 -> box (float32 v)
    | I32 -> box (int v)
    | I64 -> box (int64 v)
    | B -> box (v <> 0.0)

/// `TF.Constant(array)` (or `TF.ConvertToTensor`) of a C# array of the dtype's element type and the given shape.
let facadeConst (dt: DT) (shape: int[]) (data: float[]) (convert: bool) : T =
    if shape.Length = 0 then
        if convert then TF.ConvertToTensor(boxed dt data.[0])
        else
            match dt with
            | F64 -> TF.Constant(data.[0])
            | F32 -> TF.Constant(float32 data.[0])
            | I32 -> TF.Constant(int data.[0])
            | I64 -> TF.Constant(int64 data.[0])
            | B -> TF.Constant((data.[0] <> 0.0))
    else
        let a = Array.CreateInstance(elemType dt, shape)
        for k in 0 .. data.Length - 1 do
            a.SetValue(boxed dt data.[k], Reference.unravel shape k)
        if convert then TF.ConvertToTensor(a) else TF.Constant(a)

let private coreDT (dt: DT) =
    match dt with
    | F64 -> Nabla.Core.DType.Float64
    | F32 -> Nabla.Core.DType.Float32
    | I32 -> Nabla.Core.DType.Int32
    | I64 -> Nabla.Core.DType.Int64
    | B -> Nabla.Core.DType.Bool

let private ofFacadeDT (d: DType) =
    match d with
    | DType.Float64 -> F64
    | DType.Float32 -> F32
    | DType.Int32 -> I32
    | DType.Int64 -> I64
    | _ -> B

let private coreConst (dt: DT) (shape: int[]) (data: float[]) : CT = TestData.tensorAs (coreDT dt) shape data

let private lit (v: float) : T = T.op_Implicit v

let private valuesOf (t: T) = t.ToArray<double>()
let private shapeOf (t: T) = t.Shape |> Seq.toArray

// ------------------------------------------------------------------ the facade interpreter

/// A statement failed in the facade: which one, and the exception.
exception FacadeFailure of int * exn

let private customSin =
    lazy
        TF.CustomGradient(
            Func<T, struct (T * Func<T, T>)>(fun x -> struct (TF.Sin x, Func<T, T>(fun dy -> dy * TF.Cos x))))

let private customSquare =
    lazy TF.CustomGradient(Func<T, struct (T * Func<T, T>)>(fun x -> struct (x * x, Func<T, T>(fun dy -> lit 2.0 * dy * x))))

let private customProduct =
    lazy
        TF.CustomGradient(
            Func<T[], struct (T * Func<T, T[]>)>(fun xs ->
                let a, b = xs.[0], xs.[1]
                struct (a * b, Func<T, T[]>(fun dy -> [| dy * b; dy * a |]))))

let private facadeReduce (op: RedOp) (axes: Axes) (keep: bool) (x: T) : T =
    match op, axes with
    | ReduceSum, All -> TF.ReduceSum(x, keep)
    | ReduceSum, One a -> TF.ReduceSum(x, a, keep)
    | ReduceSum, Many xs -> TF.ReduceSum(x, Array.copy xs, keep)
    | ReduceMean, All -> TF.ReduceMean(x, keep)
    | ReduceMean, One a -> TF.ReduceMean(x, a, keep)
    | ReduceMean, Many xs -> TF.ReduceMean(x, Array.copy xs, keep)
    | ReduceMax, All -> TF.ReduceMax(x, keep)
    | ReduceMax, One a -> TF.ReduceMax(x, a, keep)
    | ReduceMax, Many xs -> TF.ReduceMax(x, Array.copy xs, keep)
    | ReduceMin, All -> TF.ReduceMin(x, keep)
    | ReduceMin, One a -> TF.ReduceMin(x, a, keep)
    | ReduceMin, Many xs -> TF.ReduceMin(x, Array.copy xs, keep)
    | ReduceProd, All -> TF.ReduceProd(x, keep)
    | ReduceProd, One a -> TF.ReduceProd(x, a, keep)
    | ReduceProd, Many xs -> TF.ReduceProd(x, Array.copy xs, keep)
    | ReduceLogSumExp, All -> TF.ReduceLogSumExp(x, keep)
    | ReduceLogSumExp, One a -> TF.ReduceLogSumExp(x, a, keep)
    | ReduceLogSumExp, Many xs -> TF.ReduceLogSumExp(x, Array.copy xs, keep)

/// One statement through the facade. `read` gives a variable read's tensor.
let private facadeStmt (vals: T[]) (input: int -> T) (read: int -> Stmt -> T) (i: int) (st: Stmt) : T =
    let arg (a: Arg) = match a with Ref j -> vals.[j] | Lit l -> lit l
    match st with
    | Input k -> input k
    | Read _ -> read i st
    | Const(dt, shape, data, convert) -> facadeConst dt shape data convert
    | Create c ->
        match c with
        | Ones(s, dt) -> TF.Ones(Array.copy s, toFacade dt)
        | Zeros(s, dt) -> TF.Zeros(Array.copy s, toFacade dt)
        | Fill(s, v, dt) -> TF.Fill(Array.copy s, v, toFacade dt)
        | Range(a, b, d, dt) -> TF.Range(a, b, d, toFacade dt)
        | Linspace(a, b, n, dt) -> TF.Linspace(a, b, n, toFacade dt)
        | Eye(n, dt) -> TF.Eye(n, toFacade dt)
        | RandomNormal(s, m, sd, dt, seed) -> TF.RandomNormal(Array.copy s, m, sd, toFacade dt, Nullable seed)
        | RandomUniform(s, lo, hi, dt, seed) -> TF.RandomUniform(Array.copy s, lo, hi, toFacade dt, Nullable seed)
    | Like(true, a) -> TF.OnesLike(vals.[a])
    | Like(false, a) -> TF.ZerosLike(vals.[a])
    | Un(op, a) ->
        let x = vals.[a]
        match op with
        | Negative -> TF.Negative x
        | Square -> TF.Square x
        | Sqrt -> TF.Sqrt x
        | Exp -> TF.Exp x
        | Log -> TF.Log x
        | Log1p -> TF.Log1p x
        | Sin -> TF.Sin x
        | Cos -> TF.Cos x
        | Tan -> TF.Tan x
        | Tanh -> TF.Tanh x
        | Sigmoid -> TF.Sigmoid x
        | Relu -> TF.Relu x
        | Softplus -> TF.Softplus x
        | Abs -> TF.Abs x
        | Sign -> TF.Sign x
        | StopGradient -> TF.StopGradient x
    | Bin(op, a, b, operator) ->
        let x, y = arg a, arg b
        match op, operator with
        | Add, true -> x + y
        | Subtract, true -> x - y
        | Multiply, true -> x * y
        | Divide, true -> x / y
        | Add, _ -> TF.Add(x, y)
        | Subtract, _ -> TF.Subtract(x, y)
        | Multiply, _ -> TF.Multiply(x, y)
        | Divide, _ -> TF.Divide(x, y)
        | Pow, _ -> TF.Pow(x, y)
        | Maximum, _ -> TF.Maximum(x, y)
        | Minimum, _ -> TF.Minimum(x, y)
    | Cmp(op, a, b) ->
        let x, y = arg a, arg b
        match op with
        | Equal -> TF.Equal(x, y)
        | NotEqual -> TF.NotEqual(x, y)
        | Greater -> TF.Greater(x, y)
        | Less -> TF.Less(x, y)
        | GreaterEqual -> TF.GreaterEqual(x, y)
        | LessEqual -> TF.LessEqual(x, y)
    | Clip(x, lo, hi) -> TF.ClipByValue(vals.[x], arg lo, arg hi)
    | Where(c, a, b) -> TF.Where(vals.[c], arg a, arg b)
    | ArgExt(true, ax, a) -> TF.ArgMax(vals.[a], ax)
    | ArgExt(false, ax, a) -> TF.ArgMin(vals.[a], ax)
    | Reduce(op, axes, keep, a) -> facadeReduce op axes keep vals.[a]
    | MatMul(a, b, ta, tb) -> TF.MatMul(vals.[a], vals.[b], ta, tb)
    | MatVec(a, b, ta) -> TF.MatVec(vals.[a], vals.[b], ta)
    | Transpose(None, a) -> TF.Transpose(vals.[a])
    | Transpose(Some p, a) -> TF.Transpose(vals.[a], Array.copy p)
    | Reshape(s, a) -> TF.Reshape(vals.[a], Array.copy s)
    | ExpandDims(ax, a) -> TF.ExpandDims(vals.[a], ax)
    | Squeeze(None, a) -> TF.Squeeze(vals.[a])
    | Squeeze(Some ax, a) -> TF.Squeeze(vals.[a], Nullable ax)
    | Concat(xs, ax) -> TF.Concat(xs |> List.map (fun j -> vals.[j]) |> Array.ofList, ax)
    | Stack(xs, ax) -> TF.Stack(xs |> List.map (fun j -> vals.[j]) |> Array.ofList, ax)
    | Gather(a, idx, ax) -> TF.Gather(vals.[a], vals.[idx], ax)
    | Slice(a, b, s) -> TF.Slice(vals.[a], Array.copy b, Array.copy s)
    | Cast(dt, a) -> TF.Cast(vals.[a], toFacade dt)
    | OneHot(a, d, dt) -> TF.OneHot(vals.[a], d, toFacade dt)
    | Softmax(false, ax, a) -> TF.Softmax(vals.[a], ax)
    | Softmax(true, ax, a) -> TF.LogSoftmax(vals.[a], ax)
    | SoftmaxCE(l, z, ax) -> TF.SoftmaxCrossEntropyWithLogits(vals.[l], vals.[z], ax)
    | SparseCE(l, z) -> TF.SparseSoftmaxCrossEntropyWithLogits(vals.[l], vals.[z])
    | SigmoidCE(l, z) -> TF.SigmoidCrossEntropyWithLogits(vals.[l], vals.[z])
    | BiasAdd(a, b) -> TF.BiasAdd(vals.[a], vals.[b])
    | Custom1(CustomSin, a) -> customSin.Value.Invoke(vals.[a])
    | Custom1(CustomSquare, a) -> customSquare.Value.Invoke(vals.[a])
    | CustomProduct(a, b) -> customProduct.Value.Invoke([| vals.[a]; vals.[b] |])

/// How a run of the program gets its inputs and what it does around the statements.
type Run =
    { /// The flat inputs (slots, then one per variable read).
      Flat: T[]
      /// Real variables: a read is `v.Value`, after `v.Assign(...)` when the program says so.
      Vars: Variable[] option
      /// Called before statement i (and with the statement count after the last).
      Hook: int -> unit
      /// Statements whose result is passed through TF.StopGradient.
      Frozen: Set<int>
      /// Statements replaced by a constant (StopGradient's results held at the base point, for finite differences
      /// of derivatives: every AD mode sees them as constants).
      Consts: Map<int, V> }

let plainRun (flat: T[]) = { Flat = flat; Vars = None; Hook = ignore; Frozen = Set.empty; Consts = Map.empty }

/// Runs statements 0 .. s.Output through the facade.
let runFacade (s: Scenario) (run: Run) : T[] =
    let n = s.Output + 1
    let vals = Array.zeroCreate<T> n
    let ri = readIndexOf s
    let read (i: int) (st: Stmt) =
        match run.Vars, st with
        | Some vars, Read(k, assign) ->
            match assign with
            | Some j -> vars.[k].Assign(facadeConst F64 s.Vars.[k].VShape s.Vars.[k].Values.[j] false)
            | None -> ()
            vars.[k].Value
        | _ -> run.Flat.[ri.[i]]
    for i in 0 .. n - 1 do
        run.Hook i
        let v =
            match run.Consts.TryFind i with
            | Some c -> facadeConst c.DT c.Shape c.Data false
            | None ->
                try facadeStmt vals (fun k -> run.Flat.[k]) read i s.Body.[i]
                with e -> raise (FacadeFailure(i, e))
        vals.[i] <- if run.Frozen.Contains i then TF.StopGradient v else v
    run.Hook n
    vals

// ------------------------------------------------------------------ the core interpreter

module private CoreOps =
    open Nabla.Core

    let lit (dt: DType) (v: float) = Combinators.constant (Storage.scalar dt v)

    let operands (vals: Tensor[]) (a: Arg) (b: Arg) =
        match a, b with
        | Ref i, Ref j -> vals.[i], vals.[j]
        | Ref i, Lit l -> vals.[i], lit vals.[i].DType l
        | Lit l, Ref j -> lit vals.[j].DType l, vals.[j]
        | Lit l, Lit m -> lit DType.Float64 l, lit DType.Float64 m

    let reduce (op: RedOp) (axes: Axes) (keep: bool) (x: Tensor) =
        let ax = match axes with All -> null | One a -> [| a |] | Many xs -> Array.copy xs
        match op with
        | ReduceSum -> Reductions.sum ax keep x
        | ReduceMean -> Reductions.meanAny ax keep x
        | ReduceMax -> Reductions.reduceMax ax keep x
        | ReduceMin -> Reductions.reduceMin ax keep x
        | ReduceProd -> Reductions.reduceProd ax keep x
        | ReduceLogSumExp -> Reductions.reduceLogSumExp ax keep x

    let isInt (t: Tensor) = t.DType = DType.Int32 || t.DType = DType.Int64

    /// One statement through Nabla.Core, mirroring what the facade does (weak literals adopt the other operand's
    /// dtype, integer division in Float64, custom gradients through Control.customGradient).
    let stmt (vals: Tensor[]) (input: int -> Tensor) (i: int) (st: Stmt) : Tensor =
        let dtOf (x: Tensor) = x.DType
        match st with
        | Input _ | Read _ -> input i
        | Const(dt, shape, data, _) -> coreConst dt shape data
        | Create c ->
            match c with
            | Ones(s, dt) -> Combinators.constant (Storage.ones (coreDT dt) (Array.copy s))
            | Zeros(s, dt) -> Combinators.constant (Storage.zeros (coreDT dt) (Array.copy s))
            | Fill(s, v, dt) -> Combinators.constant (Storage.full (coreDT dt) (Array.copy s) v)
            | Range(a, b, d, dt) -> Combinators.constant (Storage.range a b d (coreDT dt))
            | Linspace(a, b, n, dt) -> Combinators.constant (Storage.linspace a b n (coreDT dt))
            | Eye(n, dt) -> Combinators.constant (Storage.eye n (coreDT dt))
            | RandomNormal(s, m, sd, dt, seed) -> Combinators.constant (Storage.randomNormal (Array.copy s) m sd (coreDT dt) (Random seed))
            | RandomUniform(s, lo, hi, dt, seed) -> Combinators.constant (Storage.randomUniform (Array.copy s) lo hi (coreDT dt) (Random seed))
        | Like(true, a) -> Combinators.onesLike vals.[a]
        | Like(false, a) -> Combinators.zerosLike vals.[a]
        | Un(op, a) ->
            let x = vals.[a]
            match op with
            | Negative -> Elementwise.neg x
            | Square -> Elementwise.squareAny x
            | Sqrt -> Elementwise.sqrt x
            | Exp -> Elementwise.exp x
            | Log -> Elementwise.log x
            | Log1p -> Elementwise.log1p x
            | Sin -> Elementwise.sin x
            | Cos -> Elementwise.cos x
            | Tan -> Elementwise.tan x
            | Tanh -> Elementwise.tanh x
            | Sigmoid -> Elementwise.sigmoid x
            | Relu -> Elementwise.relu x
            | Softplus -> Elementwise.softplus x
            | Abs -> Elementwise.abs x
            | Sign -> Elementwise.sign x
            | StopGradient -> Control.stopGradient x
        | Bin(op, a, b, _) ->
            let x, y = operands vals a b
            match op with
            | Add -> Combinators.add x y
            | Subtract -> Elementwise.sub x y
            | Multiply -> Elementwise.mul x y
            | Divide ->
                if isInt x then Elementwise.div (Elementwise.cast DType.Float64 x) (Elementwise.cast DType.Float64 y) else Elementwise.div x y
            | Pow -> Elementwise.pow x y
            | Maximum -> Elementwise.maximum x y
            | Minimum -> Elementwise.minimum x y
        | Cmp(op, a, b) ->
            let x, y = operands vals a b
            match op with
            | Equal -> Elementwise.equal x y
            | NotEqual -> Elementwise.notEqual x y
            | Greater -> Elementwise.greater x y
            | Less -> Elementwise.less x y
            | GreaterEqual -> Elementwise.greaterEqual x y
            | LessEqual -> Elementwise.lessEqual x y
        | Clip(x, lo, hi) ->
            let xv = vals.[x]
            let side (a: Arg) = match a with Ref j -> vals.[j] | Lit l -> lit (dtOf xv) l
            Elementwise.clipByValue xv (side lo) (side hi)
        | Where(c, a, b) ->
            let x, y = operands vals a b
            Elementwise.where vals.[c] x y
        | ArgExt(true, ax, a) -> Reductions.argMax ax vals.[a]
        | ArgExt(false, ax, a) -> Reductions.argMin ax vals.[a]
        | Reduce(op, axes, keep, a) -> reduce op axes keep vals.[a]
        | MatMul(a, b, ta, tb) -> Products.matmul ta tb vals.[a] vals.[b]
        | MatVec(a, b, ta) -> Products.matvec ta vals.[a] vals.[b]
        | Transpose(p, a) -> Layout.transpose (match p with Some p -> Array.copy p | None -> null) vals.[a]
        | Reshape(s, a) -> Layout.reshape (Array.copy s) vals.[a]
        | ExpandDims(ax, a) -> Layout.expandDims ax vals.[a]
        | Squeeze(ax, a) -> Layout.squeeze ax vals.[a]
        | Concat(xs, ax) -> Layout.concat ax (xs |> List.map (fun j -> vals.[j]) |> Array.ofList)
        | Stack(xs, ax) -> Layout.stack ax (xs |> List.map (fun j -> vals.[j]) |> Array.ofList)
        | Gather(a, idx, ax) -> Layout.gather ax vals.[idx] vals.[a]
        | Slice(a, b, s) -> Layout.slice (Array.copy b) (Array.copy s) vals.[a]
        | Cast(dt, a) -> Elementwise.cast (coreDT dt) vals.[a]
        | OneHot(a, d, dt) -> Nn.oneHot d (coreDT dt) vals.[a]
        | Softmax(false, ax, a) -> Nn.softmax ax vals.[a]
        | Softmax(true, ax, a) -> Nn.logSoftmax ax vals.[a]
        | SoftmaxCE(l, z, ax) -> Nn.softmaxCrossEntropyWithLogits ax vals.[l] vals.[z]
        | SparseCE(l, z) -> Nn.sparseSoftmaxCrossEntropyWithLogits vals.[l] vals.[z]
        | SigmoidCE(l, z) -> Nn.sigmoidCrossEntropyWithLogits vals.[l] vals.[z]
        | BiasAdd(a, b) -> Nn.biasAdd vals.[a] vals.[b]
        | Custom1(CustomSin, a) ->
            let x = vals.[a]
            Control.customGradient "CustomGradient" (Elementwise.sin x).Raw (fun gy -> [| Elementwise.mul gy (Elementwise.cos x) |]) [| x |]
        | Custom1(CustomSquare, a) ->
            let x = vals.[a]
            Control.customGradient "CustomGradient" (Elementwise.mul x x).Raw (fun gy -> [| Elementwise.mul (Elementwise.mul (lit gy.DType 2.0) gy) x |]) [| x |]
        | CustomProduct(a, b) ->
            let x, y = vals.[a], vals.[b]
            Control.customGradient "CustomGradient" (Elementwise.mul x y).Raw (fun gy -> [| Elementwise.mul gy y; Elementwise.mul gy x |]) [| x; y |]

/// Runs statements 0 .. s.Output through Nabla.Core on the flat inputs (reads are inputs).
let runCore (s: Scenario) (flat: CT[]) : CT[] =
    let n = s.Output + 1
    let vals = Array.zeroCreate<CT> n
    let ri = readIndexOf s
    for i in 0 .. n - 1 do
        vals.[i] <- CoreOps.stmt vals (fun j -> flat.[ri.[j]]) i s.Body.[i]
    vals

// ------------------------------------------------------------------ exceptions

/// The names an exception message may use for "an op": the TF ops of README's list and the API's methods.
let opNames =
    [ "Constant"; "ConvertToTensor"; "Ones"; "Zeros"; "OnesLike"; "ZerosLike"; "Fill"; "Range"; "Linspace"; "Eye"; "OneHot"
      "RandomNormal"; "RandomUniform"; "Add"; "Subtract"; "Multiply"; "Divide"; "Negative"; "Pow"; "Square"; "Sqrt"; "Exp"
      "Log"; "Log1p"; "Sin"; "Cos"; "Tan"; "Tanh"; "Sigmoid"; "Relu"; "Softplus"; "Abs"; "Sign"; "Maximum"; "Minimum"
      "ClipByValue"; "Where"; "Cast"; "Equal"; "NotEqual"; "Greater"; "Less"; "GreaterEqual"; "LessEqual"; "ArgMax"; "ArgMin"
      "ReduceSum"; "ReduceMean"; "ReduceMax"; "ReduceMin"; "ReduceProd"; "ReduceLogSumExp"; "MatMul"; "MatVec"; "Transpose"
      "Reshape"; "ExpandDims"; "Squeeze"; "Concat"; "Stack"; "Gather"; "Slice"; "Softmax"; "LogSoftmax"
      "SoftmaxCrossEntropyWithLogits"; "SparseSoftmaxCrossEntropyWithLogits"; "SigmoidCrossEntropyWithLogits"; "BiasAdd"
      "StopGradient"; "CustomGradient"; "Gradient"; "Jacobian"; "BatchJacobian"; "Jvp"; "Watch"; "StopRecording"; "Reset"
      "Assign"; "AssignAdd"; "AssignSub"; "ForwardAccumulator"; "Grad"; "Vjp"; "Hessian"; "Hvp"; "ToDouble"; "ToArray" ]

let private opPattern = Regex(@"\b(" + String.Join("|", opNames) + @")\b", RegexOptions.Compiled)

let namesAnOp (message: string) = opPattern.IsMatch message

/// An exception is acceptable (for a program that must throw) when it is an ArgumentException or an
/// InvalidOperationException (or a subclass) whose message names an op.
let acceptable (e: exn) =
    (e :? ArgumentException || e :? InvalidOperationException) && namesAnOp e.Message

let rec private unwrap (e: exn) =
    match e with
    | FacadeFailure(_, inner) -> unwrap inner
    | :? Reflection.TargetInvocationException as t when not (isNull t.InnerException) -> unwrap t.InnerException
    | :? AggregateException as a when a.InnerExceptions.Count = 1 -> unwrap a.InnerExceptions.[0]
    | e -> e

/// The op name of a statement, for messages and finding categories.
let opOf (st: Stmt) =
    match st with
    | Input _ -> "input"
    | Read(_, Some _) -> "Assign+read"
    | Read _ -> "Variable read"
    | Const(_, _, _, c) -> if c then "ConvertToTensor" else "Constant"
    | Create c -> creationName c
    | Like(o, _) -> if o then "OnesLike" else "ZerosLike"
    | Un(op, _) -> unName op
    | Bin(op, _, _, _) -> binName op
    | Cmp(op, _, _) -> cmpName op
    | Clip _ -> "ClipByValue"
    | Where _ -> "Where"
    | ArgExt(m, _, _) -> if m then "ArgMax" else "ArgMin"
    | Reduce(op, _, _, _) -> redName op
    | MatMul _ -> "MatMul"
    | MatVec _ -> "MatVec"
    | Transpose _ -> "Transpose"
    | Reshape _ -> "Reshape"
    | ExpandDims _ -> "ExpandDims"
    | Squeeze _ -> "Squeeze"
    | Concat _ -> "Concat"
    | Stack _ -> "Stack"
    | Gather _ -> "Gather"
    | Slice _ -> "Slice"
    | Cast _ -> "Cast"
    | OneHot _ -> "OneHot"
    | Softmax(l, _, _) -> if l then "LogSoftmax" else "Softmax"
    | SoftmaxCE _ -> "SoftmaxCrossEntropyWithLogits"
    | SparseCE _ -> "SparseSoftmaxCrossEntropyWithLogits"
    | SigmoidCE _ -> "SigmoidCrossEntropyWithLogits"
    | BiasAdd _ -> "BiasAdd"
    | Custom1 _ | CustomProduct _ -> "CustomGradient"

// ------------------------------------------------------------------ comparisons

/// A finding: a category (the behaviour, for grouping and for a regression test's name) and the details.
type Failure = { Category: string; Detail: string }

type private Findings() =
    let items = ResizeArray<Failure>()
    member _.Add(category: string, detail: string) = items.Add { Category = category; Detail = detail }
    member _.Items = List.ofSeq items
    member _.Any = items.Count > 0

let private fmt (v: float) = v.ToString("G9", Globalization.CultureInfo.InvariantCulture)
let private fmtArr (a: float[]) =
    let shown = a |> Array.truncate 12 |> Array.map fmt
    "[" + String.Join("; ", shown) + (if a.Length > 12 then "; ..." else "") + "]"

/// Element-wise agreement: NaN with NaN, infinities exactly, finite values within rtol x max(|a|, |e|) + floor.
let private mismatch (rtol: float) (floor: float) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then Some(sprintf "%d values, expected %d" actual.Length expected.Length)
    else
        let bad i =
            let e, a = expected.[i], actual.[i]
            if Double.IsNaN e then not (Double.IsNaN a)
            elif Double.IsInfinity e then a <> e
            else not (Double.IsFinite a) || abs (a - e) > rtol * max (abs a) (abs e) + floor
        match Array.tryFindIndex bad [| 0 .. expected.Length - 1 |] with
        | None -> None
        | Some i -> Some(sprintf "at %d expected %s, got %s\n    expected %s\n    actual   %s" i (fmt expected.[i]) (fmt actual.[i]) (fmtArr expected) (fmtArr actual))

let private dot (a: float[]) (b: float[]) = Array.fold2 (fun s x y -> s + x * y) 0.0 a b
let private absDot (a: float[]) (b: float[]) = Array.fold2 (fun s x y -> s + abs (x * y)) 0.0 a b

/// Tolerances (see the module's comment).
let private adRtol, adFloor = 1e-8, 1e-9
let private fdRtol, fdFloor = 1e-6, 1e-6
let private fdStep = 1e-3

/// Two scalar results of different AD paths agree: scale = 1 + the sum of the magnitudes of the terms.
let private agreeQWith (rtol: float, floor: float) (f: Findings) (category: string) (what: string) (scale: float) (a: float) (b: float) =
    let ok =
        (Double.IsNaN a && Double.IsNaN b)
        || (Double.IsFinite a && Double.IsFinite b && abs (a - b) <= rtol * max (abs a) (abs b) + floor * (1.0 + scale))
    if not ok then f.Add(category, sprintf "%s: %s vs %s (scale %s)" what (fmt a) (fmt b) (fmt scale))

// ------------------------------------------------------------------ directions and finite differences

/// Per flat input: slot k gets its own direction, every read of variable k the variable's (so the sum over reads
/// is the derivative with respect to the variable).
let private directionsFor (s: Scenario) (stream: int) : float[][] =
    let slots = s.Slots |> Array.mapi (fun k sl -> TestData.directions s.Seed (100 * stream + k) sl.Data.Length)
    let reads = readValues s |> Array.map (fun (k, shape, _) -> TestData.directions s.Seed (100 * stream + 50 + k) (int (size shape)))
    Array.append slots reads

let private varDirection (s: Scenario) (stream: int) (k: int) =
    TestData.directions s.Seed (100 * stream + 50 + k) (int (size s.Vars.[k].VShape))

let private shifted (inputs: V[]) (v: float[][]) (t: float) =
    Array.map2 (fun (x: V) (d: float[]) -> { x with Data = Array.map2 (fun a b -> a + t * b) x.Data d }) inputs v

/// The values of the reference at x + t v, with the statements in `frozen` held at their base values.
let private refAt (s: Scenario) (inputs: V[]) (frozen: int -> V option) =
    let ctx = refCtx s inputs frozen
    match evalUpTo ctx s.Body s.Output with
    | Valid vals -> Some(vals, List.ofSeq ctx.Sig)
    | Rejected _ -> None

let private smoothValues (vals: V[]) = vals |> Array.forall (fun v -> not v.Unspec && (not v.DT.IsFloat || v.Data |> Array.forall Double.IsFinite))

/// Central differences of `g` along v with steps h, h/2 and h/4, when defined (see the module's comment): the
/// Richardson estimate from h/2 and h/4, and its uncertainty (its distance to the estimate from h and h/2, which
/// bounds its truncation error generously); None where a stencil point is not smooth or the estimates disagree by
/// more than 1e-3 (relative, floor 1e-3).
let private centralFd (g: float -> float[] option) (scaleOf: float[] -> float) =
    let h = fdStep
    let points = [| h; -h; h / 2.0; -h / 2.0; h / 4.0; -h / 4.0 |] |> Array.map g
    if points |> Array.exists Option.isNone then None
    else
        let p = points |> Array.map Option.get
        let d (i: int) (step: float) = Array.map2 (fun a b -> (a - b) / (2.0 * step)) p.[2 * i] p.[2 * i + 1]
        let d1, d2, d4 = d 0 h, d 1 (h / 2.0), d 2 (h / 4.0)
        let richardson (a: float[]) (b: float[]) = Array.map2 (fun x y -> (4.0 * y - x) / 3.0) a b
        let r1, r2 = richardson d1 d2, richardson d2 d4
        let uncertainty = Array.map2 (fun a b -> abs (a - b)) r1 r2
        if Array.forall2 (fun u b -> u <= 1e-3 * (1.0 + abs b)) uncertainty r2 then Some(r2, scaleOf p.[0], uncertainty) else None

/// The reference's FD of the output along v (statements in `frozenSet` constant), when defined.
let private referenceFd (s: Scenario) (baseVals: V[]) (baseSig: float list) (v: float[][]) (frozenSet: Set<int>) =
    let inputs = flatInputs s
    let frozen i = if frozenSet.Contains i || (match s.Body.[i] with Un(StopGradient, _) -> true | _ -> false) then Some baseVals.[i] else None
    let at t =
        match refAt s (shifted inputs v t) frozen with
        | Some(vals, sg) when sg = baseSig && smoothValues vals -> Some vals.[s.Output].Data
        | _ -> None
    let magnitude = baseVals |> Array.collect (fun v -> if v.DT.IsFloat then v.Data else [||]) |> Array.fold (fun m x -> max m (abs x)) 0.0
    centralFd at (fun _ -> magnitude)

// ------------------------------------------------------------------ the harnesses

let private nullable (t: T) = not (isNull (box t))

/// Values of a gradient (null: zeros of the source's size).
let private gvals (n: int) (g: T) = if nullable g then valuesOf g else Array.zeroCreate n

let private newFlat (s: Scenario) (shift: (float[][] * float) option) : T[] =
    let inputs = flatInputs s
    let inputs = match shift with Some(v, t) -> shifted inputs v t | None -> inputs
    inputs |> Array.map (fun x -> facadeConst F64 x.Shape x.Data false)

let private tensorsOf (s: Scenario) (dirs: float[][]) = Array.map2 (fun (x: V) d -> facadeConst F64 x.Shape d false) (flatInputs s) dirs

let private asList (xs: T[]) = xs :> IReadOnlyList<T>

let private sumProducts (gs: T[]) (us: T[]) : T option =
    Array.zip gs us
    |> Array.choose (fun (g, u) -> if nullable g then Some(TF.ReduceSum(g * u)) else None)
    |> Array.fold (fun (acc: T option) t -> match acc with None -> Some t | Some a -> Some(a + t)) None

let private dotAll (gs: float[][]) (vs: float[][]) = Array.fold2 (fun acc g v -> acc + dot g v) 0.0 gs vs
let private absDotAll (gs: float[][]) (vs: float[][]) = Array.fold2 (fun acc g v -> acc + absDot g v) 0.0 gs vs

/// A harness step that throws from a valid program is a finding (named by the exception and the op that threw).
let private guarded (f: Findings) (s: Scenario) (harness: string) (body: unit -> 'a) : 'a option =
    try Some(body ())
    with e ->
        let at = match e with FacadeFailure(i, _) -> sprintf " at t%d = %s" i (stmtText s.Body.[i]) | _ -> ""
        let op = match e with FacadeFailure(i, _) -> opOf s.Body.[i] | _ -> harness
        let inner = unwrap e
        f.Add(sprintf "valid program threw %s (%s)" (inner.GetType().Name) op, sprintf "%s%s: %s" harness at inner.Message)
        None

let private anyFloat32 (vals: V[]) = vals |> Array.exists (fun v -> v.DT = F32)

/// How often each check ran (coverage of a run; not thread-safe, the fuzzer runs on one thread).
let stats = Dictionary<string, int>()

let private hit (name: string) = stats.[name] <- (match stats.TryGetValue name with | true, n -> n + 1 | _ -> 1)

/// All the checks of one scenario; the findings (empty: it passes).
let check (features: Features) (s: Scenario) : Failure list =
    let f = Findings()
    hit "programs"
    for st in s.Body.[.. s.Output] do hit ("op " + opOf st)
    let baseRes, baseSigAll = evalScenario { s with Body = s.Body.[.. s.Output] }
    match baseRes with
    | Rejected(i, op, why) ->
        // the program must throw, at statement i, an acceptable exception
        hit "invalid programs (must throw)"
        try
            runFacade s (plainRun (newFlat s None)) |> ignore
            f.Add(sprintf "should throw (%s)" op, sprintf "t%d = %s: expected an ArgumentException naming the op (%s); nothing was thrown" i (stmtText s.Body.[i]) why)
        with e ->
            let at = match e with FacadeFailure(j, _) -> j | _ -> -1
            let inner = unwrap e
            if at <> i then
                f.Add(sprintf "valid program threw %s (%s)" (inner.GetType().Name) (if at >= 0 then opOf s.Body.[at] else "?"),
                      sprintf "t%d threw %s: %s (the reference rejects only t%d: %s)" at (inner.GetType().Name) inner.Message i why)
            elif not (inner :? ArgumentException || inner :? InvalidOperationException) then
                f.Add(sprintf "wrong exception type %s (%s)" (inner.GetType().Name) op, sprintf "t%d = %s: %s" i (stmtText s.Body.[i]) inner.Message)
            elif not (namesAnOp inner.Message) then
                f.Add(sprintf "message names no op (%s)" op, sprintf "t%d = %s: %s" i (stmtText s.Body.[i]) inner.Message)
        f.Items
    | Valid refVals ->
    let baseSig = List.ofSeq baseSigAll
    let out = s.Output
    let f32 = anyFloat32 refVals
    let magnitude = refVals |> Array.collect (fun v -> if v.DT.IsFloat then v.Data |> Array.filter Double.IsFinite else [||]) |> Array.fold (fun m x -> max m (abs x)) 0.0
    let vRtol, vFloor = if f32 then 1e-4, 1e-4 * (1.0 + magnitude) else 1e-9, 1e-9 * (1.0 + magnitude)
    // AD against AD: Float32 anywhere rounds every path differently
    let adRtol, adFloor = if f32 then 1e-4, 1e-4 else adRtol, adFloor
    let agreeQ = agreeQWith (adRtol, adFloor)

    /// The first statement whose dtype, shape or values differ from the reference (later ones follow from it).
    let checkValues (harness: string) (vals: T[]) =
        let problem i =
            let r, t = refVals.[i], vals.[i]
            let op = opOf s.Body.[i]
            let text = stmtText s.Body.[i]
            if ofFacadeDT t.DType <> r.DT then
                Some(sprintf "dtype (%s)" op, sprintf "%s: t%d = %s has dtype %A, expected %A" harness i text t.DType r.DT)
            elif shapeOf t <> r.Shape then
                Some(sprintf "shape (%s)" op, sprintf "%s: t%d = %s has shape %s, expected %s" harness i text (fmtShape (shapeOf t)) (fmtShape r.Shape))
            else
                let got = valuesOf t
                match (if r.Unspec then None else mismatch vRtol vFloor r.Data got), s.Body.[i] with
                | Some m, _ -> Some(sprintf "value (%s)" op, sprintf "%s: t%d = %s: %s" harness i text m)
                | None, Create(RandomUniform(_, lo, hi, _, _)) when got |> Array.exists (fun x -> x < lo || x >= hi) ->
                    Some("value (RandomUniform range)", sprintf "t%d = %s: %s" i text (fmtArr got))
                | _ -> None
        match Seq.init vals.Length id |> Seq.tryPick problem with
        | Some(category, detail) -> f.Add(category, detail)
        | None -> ()

    // values, no scope
    match guarded f s "values" (fun () -> runFacade s (plainRun (newFlat s None))) with
    | None -> f.Items
    | Some plain ->
    checkValues "no tape" plain
    if f.Any then f.Items
    else
    let y0 = refVals.[out]
    let c = TestData.directions s.Seed 7 y0.Data.Length
    let cT () = facadeConst y0.DT y0.Shape c false
    let smooth = smoothValues refVals && y0.DT.IsFloat && not (List.contains singular baseSig)
    let nFlat = (flatInputs s).Length
    let sizes = flatInputs s |> Array.map (fun x -> x.Data.Length)
    let v = directionsFor s 1
    let u = directionsFor s 2
    let w = directionsFor s 3
    let nSlots = s.Slots.Length
    let hasVars = s.Vars.Length > 0
    let programAssigns = s.Body |> Array.exists (function Read(_, Some _) -> true | _ -> false)

    if not smooth then
        hit "non-finite or unspecified values (values and no-throw only)"
        // NaN, infinities, unspecified values: no derivative is compared, but nothing may throw and the values under
        // a tape and an accumulator are the plain ones
        guarded f s "tape (non-finite values)" (fun () ->
            let flat = newFlat s None
            use tape = new GradientTape()
            tape.Watch(asList flat)
            let vals = runFacade s (plainRun flat)
            tape.Dispose()
            if y0.DT.IsFloat then tape.Gradient(vals.[out], asList flat, cT ()) |> ignore
            checkValues "under a tape" vals)
        |> ignore
        guarded f s "accumulator (non-finite values)" (fun () ->
            let flat = newFlat s None
            use acc = new ForwardAccumulator(asList flat, asList (tensorsOf s v))
            let vals = runFacade s (plainRun flat)
            if y0.DT.IsFloat then acc.Jvp(vals.[out]) |> ignore
            checkValues "under an accumulator" vals)
        |> ignore
        f.Items
    else

    // ---- first order
    hit "first order"
    let fd = if f32 then None else referenceFd s refVals baseSig v Set.empty
    if fd.IsSome then hit "first order: FD defined"
    if hasVars then hit "variables"
    if programAssigns then hit "variables assigned between reads"
    if s.Plan.Persistent then hit "persistent tape"

    // forward mode on the flat program (reads are tensors)
    let jAcc =
        guarded f s "ForwardAccumulator" (fun () ->
            let flat = newFlat s None
            use acc = new ForwardAccumulator(asList flat, asList (tensorsOf s v))
            let vals = runFacade s (plainRun flat)
            checkValues "under an accumulator" vals
            gvals y0.Data.Length (acc.Jvp(vals.[out])))

    // reverse mode with real variables
    let tapeGrads =
        guarded f s "GradientTape" (fun () ->
            let flat = newFlat s None
            let vars = s.Vars |> Array.map (fun vs -> Variable(facadeConst F64 vs.VShape vs.Values.[0] false, vs.Trainable))
            let slotT = flat.[.. nSlots - 1]
            let separate = hasVars && (programAssigns || s.Plan.AssignAfter)
            let persistent = s.Plan.Persistent || separate
            let tape = new GradientTape(persistent = persistent)
            tape.Watch(asList slotT)
            for k in 0 .. vars.Length - 1 do if not s.Vars.[k].Trainable then tape.Watch(vars.[k])
            let vals = runFacade s { plainRun flat with Vars = Some vars }
            checkValues "under a tape" vals
            let y = vals.[out]
            let grads () =
                if separate then
                    let gs = tape.Gradient(y, asList slotT, cT ())
                    let gv = tape.Gradient(y, vars :> IReadOnlyList<Variable>, cT ())
                    Array.append gs gv
                else tape.Gradient(y, asList (Array.append slotT (vars |> Array.map (fun x -> x.Value))), cT ())
            let sizesOf = Array.append (s.Slots |> Array.map (fun x -> x.Data.Length)) (s.Vars |> Array.map (fun x -> int (size x.VShape)))
            let asValues (gs: T[]) = Array.map2 gvals sizesOf gs
            let inside = if persistent then Some(asValues (grads ())) else None
            tape.Dispose()
            if s.Plan.AssignAfter then
                for k in 0 .. vars.Length - 1 do
                    vars.[k].Assign(facadeConst F64 s.Vars.[k].VShape (s.Vars.[k].Values |> Array.last |> Array.map (fun x -> x + 1.0)) false)
            let g = asValues (grads ())
            if persistent then
                let again = asValues (grads ())
                for i in 0 .. g.Length - 1 do
                    match mismatch adRtol adFloor g.[i] again.[i] with
                    | Some m -> f.Add("persistent tape: second Gradient differs", sprintf "source %d: %s" i m)
                    | None -> ()
                    match inside with
                    | Some gi ->
                        match mismatch adRtol adFloor g.[i] gi.[i] with
                        | Some m -> f.Add("persistent tape: Gradient inside the block differs from after it", sprintf "source %d: %s" i m)
                        | None -> ()
                    | None -> ()
            g)

    match jAcc, tapeGrads with
    | Some j, Some g ->
        // <c, J v> = sum <g, v>: slots, then variables (one direction per variable, shared by its reads)
        let vSources = Array.append v.[.. nSlots - 1] (Array.init s.Vars.Length (varDirection s 1))
        let lhs, rhs = dot c j, dotAll g vSources
        agreeQ f (if hasVars then "reverse (tape, variables) vs forward (accumulator)" else "reverse (tape) vs forward (accumulator)")
               "<c, jvp> vs sum <gradient, v>" (absDot c j + absDotAll g vSources) lhs rhs
        match fd with
        | Some(fdv, noise, unc) ->
            match mismatch fdRtol (fdFloor * (1.0 + (fdv |> Array.fold (fun m x -> max m (abs x)) 0.0)) + 1e-13 * noise / fdStep + 2.0 * (unc |> Array.fold max 0.0)) fdv j with
            | Some m -> f.Add("forward (accumulator) vs finite differences", m)
            | None -> ()
        | None -> ()
    | _ -> ()

    // variables without assignment: an accumulator over the variables' values
    if hasVars && not programAssigns then
        match jAcc with
        | Some j ->
            guarded f s "ForwardAccumulator over variables" (fun () ->
                let flat = newFlat s None
                let vars = s.Vars |> Array.map (fun vs -> Variable(facadeConst F64 vs.VShape vs.Values.[0] false, vs.Trainable))
                let primals = Array.append flat.[.. nSlots - 1] (vars |> Array.map (fun x -> x.Value))
                let tangents = Array.append (tensorsOf s v).[.. nSlots - 1] (Array.init vars.Length (fun k -> facadeConst F64 s.Vars.[k].VShape (varDirection s 1 k) false))
                use acc = new ForwardAccumulator(asList primals, asList tangents)
                let vals = runFacade s { plainRun flat with Vars = Some vars }
                let jv = gvals y0.Data.Length (acc.Jvp(vals.[out]))
                match mismatch adRtol adFloor j jv with
                | Some m -> f.Add("forward over variables vs forward over the values read", m)
                | None -> ())
            |> ignore
        | None -> ()

    // the functional API and the core, on one slot
    let k = s.Seed % nSlots
    let slotFn (flatOf: unit -> T[]) = Func<T, T>(fun x -> let flat = flatOf () in flat.[k] <- x; (runFacade s (plainRun flat)).[out])
    let flatConsts = newFlat s None
    match tapeGrads with
    | Some g ->
        let gk, vk = g.[k], v.[k]
        guarded f s "Autodiff" (fun () ->
            let fn = slotFn (fun () -> Array.copy flatConsts)
            let gradFn = Autodiff.Grad(Func<T, T>(fun x -> TF.ReduceSum(fn.Invoke(x) * cT ())))
            let gA = valuesOf (gradFn.Invoke(flatConsts.[k]))
            let struct (valA, jvpA) = Autodiff.Jvp(fn, flatConsts.[k], facadeConst F64 s.Slots.[k].Shape vk false)
            let jA = valuesOf jvpA
            match mismatch adRtol adFloor gk gA with
            | Some m -> f.Add("Autodiff.Grad vs GradientTape", sprintf "slot %d: %s" k m)
            | None -> ()
            match mismatch vRtol vFloor y0.Data (valuesOf valA) with
            | Some m -> f.Add("Autodiff.Jvp value", m)
            | None -> ()
            agreeQ f "Autodiff.Jvp vs GradientTape" "<c, Autodiff.Jvp> vs <tape gradient, v>" (absDot c jA + absDot gk vk) (dot c jA) (dot gk vk)
            // the core on the same program
            let coreFlat = flatInputs s |> Array.map (fun x -> coreConst F64 x.Shape x.Data)
            let cC = coreConst y0.DT y0.Shape c
            let fC (x: CT) = let fl = Array.copy coreFlat in fl.[k] <- x; (runCore s fl).[out]
            let gC = TestData.values (Nabla.Core.Derivatives.grad (fun x -> Nabla.Core.Reductions.sum null false (Nabla.Core.Elementwise.mul cC (fC x))) coreFlat.[k])
            let valC, jC = Nabla.Core.Derivatives.jvp fC coreFlat.[k] (coreConst F64 s.Slots.[k].Shape vk)
            match mismatch vRtol vFloor y0.Data (TestData.values valC) with
            | Some m -> f.Add("Nabla.Core value vs reference", m)
            | None -> ()
            match mismatch adRtol adFloor gA gC with
            | Some m -> f.Add("Nabla.Core.Derivatives.grad vs Autodiff.Grad", m)
            | None -> ()
            match mismatch adRtol adFloor jA (TestData.values jC) with
            | Some m -> f.Add("Nabla.Core.Derivatives.jvp vs Autodiff.Jvp", m)
            | None -> ())
        |> ignore
    | None -> ()

    // Jacobians of the output with respect to slot k (a tape's and Autodiff's): c'J is the tape's gradient
    match tapeGrads with
    | Some g ->
        let m, n = y0.Data.Length, sizes.[k]
        let contract (what: string) (jac: T) =
            let expectedShape = Array.append y0.Shape s.Slots.[k].Shape
            if not (nullable jac) then
                if g.[k] |> Array.exists (fun x -> x <> 0.0) then f.Add(sprintf "%s is null for a connected source" what, sprintf "slot %d" k)
            elif shapeOf jac <> expectedShape then
                f.Add(sprintf "%s shape" what, sprintf "slot %d: %s, expected %s" k (fmtShape (shapeOf jac)) (fmtShape expectedShape))
            else
                let jv = valuesOf jac
                let cJ = Array.init n (fun j -> Seq.sum (seq { for i in 0 .. m - 1 -> c.[i] * jv.[i * n + j] }))
                match mismatch adRtol adFloor g.[k] cJ with
                | Some d -> f.Add(sprintf "%s vs GradientTape.Gradient" what, sprintf "slot %d: c'J %s" k d)
                | None -> ()
        hit "Jacobians"
        guarded f s "GradientTape.Jacobian" (fun () ->
            let flat = newFlat s None
            let tape = new GradientTape(persistent = s.Plan.Persistent)
            tape.Watch(flat.[k])
            let y = (runFacade s (plainRun flat)).[out]
            tape.Dispose()
            contract "GradientTape.Jacobian" (tape.Jacobian(y, flat.[k])))
        |> ignore
        guarded f s "Autodiff.Jacobian" (fun () ->
            contract "Autodiff.Jacobian" (Autodiff.Jacobian(slotFn (fun () -> Array.copy flatConsts), flatConsts.[k])))
        |> ignore
    | None -> ()

    // StopRecording on an outer tape while an inner tape records
    match s.Plan.StopRange, jAcc with
    | Some(a, b), Some j ->
        hit "StopRecording on the outer tape"
        let frozen = set [ for i in a .. b - 1 do match s.Body.[i] with Input _ | Read _ -> () | _ -> yield i ]
        guarded f s "StopRecording" (fun () ->
            let flat = newFlat s None
            let outer = new GradientTape(persistent = true)
            outer.Watch(asList flat)
            let inner = new GradientTape(persistent = true)
            inner.Watch(asList flat)
            let mutable pause: IDisposable = null
            let hook i =
                if i = a then pause <- outer.StopRecording()
                if i = b && not (isNull pause) then pause.Dispose()
            let vals = runFacade s { plainRun flat with Hook = hook }
            inner.Dispose()
            outer.Dispose()
            let gi = Array.map2 gvals sizes (inner.Gradient(vals.[out], asList flat, cT ()))
            let go = Array.map2 gvals sizes (outer.Gradient(vals.[out], asList flat, cT ()))
            agreeQ f "StopRecording on the outer tape changes the inner tape's gradient" "<inner gradient, v> vs <c, jvp>"
                   (absDotAll gi v + absDot c j) (dotAll gi v) (dot c j)
            // the outer tape sees the stopped statements as constants: as TF.StopGradient on their results
            let flatF = newFlat s None
            use acc = new ForwardAccumulator(asList flatF, asList (tensorsOf s v))
            let valsF = runFacade s { plainRun flatF with Frozen = frozen }
            let jF = gvals y0.Data.Length (acc.Jvp(valsF.[out]))
            agreeQ f "StopRecording: outer tape's gradient vs the program with those statements stopped" "<outer gradient, v> vs <c, jvp of the stopped program>"
                   (absDotAll go v + absDot c jF) (dotAll go v) (dot c jF)
            match (if f32 then None else referenceFd s refVals baseSig v frozen) with
            | Some(fdv, noise, unc) ->
                match mismatch fdRtol (fdFloor * (1.0 + (fdv |> Array.fold (fun m x -> max m (abs x)) 0.0)) + 1e-13 * noise / fdStep + 2.0 * (unc |> Array.fold max 0.0)) fdv jF with
                | Some m -> f.Add("forward (accumulator, stopped statements) vs finite differences", m)
                | None -> ()
            | None -> ())
        |> ignore
    | _ -> ()

    // ---- second order: u'Hv of f = <c, F> over all flat inputs
    // at a perturbed point, StopGradient's results keep their base values (AD sees them as constants)
    let stopConsts = Map [ for i in 0 .. out do match s.Body.[i] with Un(StopGradient, _) -> yield i, refVals.[i] | _ -> () ]
    let firstGradWith (consts: Map<int, V>) (flat: T[]) (tape: GradientTape) =
        tape.Watch(asList flat)
        (runFacade s { plainRun flat with Consts = consts }).[out]
    let firstGrad = firstGradWith Map.empty
    // ReduceProd of a group holding an exact zero: its higher derivatives miss terms (feature prodzero2)
    let prodZero =
        s.Body.[.. out] |> Array.exists (function Reduce(ReduceProd, _, _, a) -> refVals.[a].Data |> Array.contains 0.0 | _ -> false)
    if prodZero then hit "ReduceProd over an exact zero"
    let higher = features.ProdZero2 || not prodZero
    if s.Plan.Order >= 2 && not f.Any && higher then
        hit "second order"
        let vT () = tensorsOf s v
        let uT () = tensorsOf s u
        let results = ResizeArray<string * float * float>()
        let record name (gs: float[][]) (dirs: float[][]) = results.Add(name, dotAll gs dirs, absDotAll gs dirs)
        guarded f s "reverse-over-reverse (nested tapes)" (fun () ->
            let flat = newFlat s None
            let outer = new GradientTape()
            outer.Watch(asList flat)
            let inner = new GradientTape()
            let y = firstGrad flat inner
            inner.Dispose()
            let g = inner.Gradient(y, asList flat, cT ())
            let s1 = sumProducts g (uT ())
            outer.Dispose()
            match s1 with
            | Some s1 -> record "reverse-over-reverse" (Array.map2 gvals sizes (outer.Gradient(s1, asList flat))) v
            | None -> results.Add("reverse-over-reverse", 0.0, 0.0))
        |> ignore
        guarded f s "forward-over-reverse" (fun () ->
            let flat = newFlat s None
            use acc = new ForwardAccumulator(asList flat, asList (vT ()))
            let tape = new GradientTape()
            let y = firstGrad flat tape
            tape.Dispose()
            let g = tape.Gradient(y, asList flat, cT ())
            record "forward-over-reverse" (Array.map2 (fun n (gi: T) -> if nullable gi then gvals n (acc.Jvp gi) else Array.zeroCreate n) sizes g) u)
        |> ignore
        guarded f s "reverse-over-forward" (fun () ->
            let flat = newFlat s None
            let tape = new GradientTape()
            tape.Watch(asList flat)
            let sj =
                use acc = new ForwardAccumulator(asList flat, asList (vT ()))
                let y = (runFacade s (plainRun flat)).[out]
                let j = acc.Jvp y
                if nullable j then Some(TF.ReduceSum(j * cT ())) else None
            tape.Dispose()
            match sj with
            | Some sj -> record "reverse-over-forward" (Array.map2 gvals sizes (tape.Gradient(sj, asList flat))) u
            | None -> results.Add("reverse-over-forward", 0.0, 0.0))
        |> ignore
        if s.Plan.Pinn then
            hit "PINN"
            guarded f s "persistent tape differentiating its own gradient (PINN)" (fun () ->
                let flat = newFlat s None
                let tape = new GradientTape(persistent = true)
                let y = firstGrad flat tape
                let g = tape.Gradient(y, asList flat, cT ())
                let s1 = sumProducts g (uT ())
                tape.Dispose()
                match s1 with
                | Some s1 -> record "PINN (persistent tape's gradient inside its block)" (Array.map2 gvals sizes (tape.Gradient(s1, asList flat))) v
                | None -> results.Add("PINN (persistent tape's gradient inside its block)", 0.0, 0.0))
            |> ignore
        if results.Count >= 2 then
            let name0, q0, a0 = results.[1] // forward-over-reverse is the reference path
            for name, q, a in results do
                if name <> name0 then agreeQ f (sprintf "second order: %s vs %s" name name0) "u'Hv" (max a a0) q q0
        // FD of the first-order tape gradient
        if not f32 && not f.Any && results.Count >= 2 then
            let _, q0, _ = results.[1]
            let inputs = flatInputs s
            let frozen i = match s.Body.[i] with Un(StopGradient, _) -> Some refVals.[i] | _ -> None
            let gAt t =
                match refAt s (shifted inputs v t) frozen with
                | Some(vals, sg) when sg = baseSig && smoothValues vals ->
                    let flat = newFlat s (Some(v, t))
                    let tape = new GradientTape()
                    let y = firstGradWith stopConsts flat tape
                    tape.Dispose()
                    Some [| dotAll (Array.map2 gvals sizes (tape.Gradient(y, asList flat, cT ()))) u |]
                | _ -> None
            match guarded f s "FD of the gradient" (fun () -> centralFd gAt (fun p -> abs p.[0])) with
            | Some(Some(fdq, noise, unc)) ->
                hit "second order: FD defined"
                let tol = fdRtol * max (abs fdq.[0]) (abs q0) + fdFloor * (1.0 + abs fdq.[0]) + 1e-13 * (noise + magnitude) / fdStep + 2.0 * unc.[0]
                if abs (fdq.[0] - q0) > tol then
                    f.Add("second order (forward-over-reverse) vs finite differences of the gradient", sprintf "u'Hv %s, FD %s" (fmt q0) (fmt fdq.[0]))
            | _ -> ()
        // the functional API and the core on slot k: Hvp against forward-over-reverse restricted to slot k
        let customs = s.Body.[.. s.Output] |> Array.exists (function Custom1 _ | CustomProduct _ -> true | _ -> false)
        if not f.Any then
            guarded f s "Autodiff.Hvp" (fun () ->
                let only (d: float[][]) = d |> Array.mapi (fun i x -> if i = k then x else Array.zeroCreate x.Length)
                let flat = newFlat s None
                use acc = new ForwardAccumulator(asList flat, asList (tensorsOf s (only v)))
                let tape = new GradientTape()
                let y = firstGrad flat tape
                tape.Dispose()
                let g = tape.Gradient(y, asList flat, cT ())
                let gk = g.[k]
                let hk = if nullable gk then gvals sizes.[k] (acc.Jvp gk) else Array.zeroCreate sizes.[k]
                let fn = slotFn (fun () -> Array.copy flatConsts)
                let scalarFn = Func<T, T>(fun x -> TF.ReduceSum(fn.Invoke(x) * cT ()))
                let hA = valuesOf (Autodiff.Hvp(scalarFn, flatConsts.[k], facadeConst F64 s.Slots.[k].Shape v.[k] false))
                // the Hessian (Autodiff.Hessian, the Jacobian of the gradient) times v
                let n = sizes.[k]
                let hess = valuesOf (Autodiff.Hessian(scalarFn, flatConsts.[k]))
                let hv = Array.init n (fun i -> Seq.sum (seq { for j in 0 .. n - 1 -> hess.[i * n + j] * v.[k].[j] }))
                match mismatch adRtol adFloor hA hv with
                | Some m -> f.Add("Autodiff.Hessian v vs Autodiff.Hvp", sprintf "slot %d: %s" k m)
                | None -> ()
                let coreFlat = flatInputs s |> Array.map (fun x -> coreConst F64 x.Shape x.Data)
                let cC = coreConst y0.DT y0.Shape c
                let fC (x: CT) = let fl = Array.copy coreFlat in fl.[k] <- x; Nabla.Core.Reductions.sum null false (Nabla.Core.Elementwise.mul cC (runCore s fl).[out])
                let hC = TestData.values (Nabla.Core.Derivatives.hvp fC coreFlat.[k] (coreConst F64 s.Slots.[k].Shape v.[k]))
                match mismatch adRtol adFloor hk hA with
                | Some m -> f.Add("Autodiff.Hvp vs forward-over-reverse (tape)", sprintf "slot %d: %s" k m)
                | None -> ()
                if features.CoreCustom2 || not customs then
                    match mismatch adRtol adFloor hA hC with
                    | Some m -> f.Add("Nabla.Core.Derivatives.hvp vs Autodiff.Hvp", sprintf "slot %d: %s" k m)
                    | None -> ())
            |> ignore

    // ---- third order: tapes nested to depth 3
    if s.Plan.Order >= 3 && not f.Any && higher then
        hit "third order"
        let uT () = tensorsOf s u
        let wT () = tensorsOf s w
        /// g2 = grad <grad <c, F>, u> from two nested tapes, recorded on whatever records around it.
        let rr (consts: Map<int, V>) (flat: T[]) =
            let t2 = new GradientTape()
            t2.Watch(asList flat)
            let t1 = new GradientTape()
            let y = firstGradWith consts flat t1
            t1.Dispose()
            let s1 = sumProducts (t1.Gradient(y, asList flat, cT ())) (uT ())
            t2.Dispose()
            match s1 with
            | Some s1 -> t2.Gradient(s1, asList flat)
            | None -> Array.create flat.Length (null: T)
        let rrr =
            guarded f s "tapes nested to depth 3" (fun () ->
                let flat = newFlat s None
                let t3 = new GradientTape()
                t3.Watch(asList flat)
                let s2 = sumProducts (rr Map.empty flat) (wT ())
                t3.Dispose()
                match s2 with
                | Some s2 -> let g3 = Array.map2 gvals sizes (t3.Gradient(s2, asList flat)) in dotAll g3 v, absDotAll g3 v
                | None -> 0.0, 0.0)
        let frr =
            guarded f s "forward over two nested tapes" (fun () ->
                let flat = newFlat s None
                use acc = new ForwardAccumulator(asList flat, asList (tensorsOf s v))
                let g2 = rr Map.empty flat
                let h = Array.map2 (fun n (gi: T) -> if nullable gi then gvals n (acc.Jvp gi) else Array.zeroCreate n) sizes g2
                dotAll h w, absDotAll h w)
        match rrr, frr with
        | Some(q3, a3), Some(qf, af) ->
            agreeQ f "third order: tapes nested to depth 3 vs forward over two nested tapes" "D3f(u, w, v)" (max a3 af) q3 qf
            if not f32 then
                let inputs = flatInputs s
                let frozen i = match s.Body.[i] with Un(StopGradient, _) -> Some refVals.[i] | _ -> None
                let at t =
                    match refAt s (shifted inputs v t) frozen with
                    | Some(vals, sg) when sg = baseSig && smoothValues vals ->
                        Some [| dotAll (Array.map2 gvals sizes (rr stopConsts (newFlat s (Some(v, t))))) w |]
                    | _ -> None
                match guarded f s "FD of the second derivative" (fun () -> centralFd at (fun p -> abs p.[0])) with
                | Some(Some(fdq, noise, unc)) ->
                    hit "third order: FD defined"
                    let tol = fdRtol * max (abs fdq.[0]) (abs qf) + fdFloor * (1.0 + abs fdq.[0]) + 1e-13 * (noise + magnitude) / fdStep + 2.0 * unc.[0]
                    if abs (fdq.[0] - qf) > tol then
                        f.Add("third order (forward over nested tapes) vs finite differences", sprintf "D3f %s, FD %s" (fmt qf) (fmt fdq.[0]))
                | _ -> ()
        | _ -> ()
    f.Items

// ------------------------------------------------------------------ running it

/// A scenario for FsCheck: printed as C#.
[<StructuredFormatDisplay("{Display}")>]
type Case =
    { Scenario: Scenario }
    member c.Display = "\n" + scenarioText c.Scenario
    override c.ToString() = c.Display

let private envInt (name: string) (fallback: int) =
    match Environment.GetEnvironmentVariable name with
    | null | "" -> fallback
    | v -> int v

/// The features of this run: NABLA_FUZZ_FEATURES, else the CI default: every feature but the two open findings (corecustom2, prodzero2; FuzzRegressions.fs).
let features () =
    match Environment.GetEnvironmentVariable "NABLA_FUZZ_FEATURES" with
    | null | "" -> defaultFeatures
    | v -> parseFeatures v

let arbitrary (f: Features) =
    let gen = Gen.sized (fun size -> Gen.choose (0, Int32.MaxValue) |> Gen.map (fun seed -> { Scenario = generate f size seed }))
    Arb.fromGenShrink (gen, fun c -> shrink c.Scenario |> Seq.map (fun s -> { Scenario = s }))

/// The property: no finding.
let holds (features: Features) (c: Case) =
    let failures = check features c.Scenario
    let text = String.Join("\n", failures |> List.map (fun x -> sprintf "[%s] %s" x.Category x.Detail))
    Prop.label text (List.isEmpty failures)

/// Shrinks a failing scenario greedily, keeping a finding of the same category.
let minimise (features: Features) (category: string) (s: Scenario) =
    let failsSame (x: Scenario) =
        try check features x |> List.exists (fun r -> r.Category = category) with _ -> false
    let rec go (s: Scenario) (budget: int) =
        if budget <= 0 then s
        else
            match shrink s |> Seq.truncate 400 |> Seq.tryFind failsSame with
            | Some smaller -> go smaller (budget - 1)
            | None -> s
    go s 200

/// Programs per CI run (fixed seed) and the seed; NABLA_FUZZ_COUNT and NABLA_FUZZ_SEED override them.
[<Literal>]
let CiCount = 5000

[<Literal>]
let CiSeed = 110011

/// Report mode (`dotnet fsi build.fsx fuzz`): every program is checked (no stop at the first finding); each
/// category of finding is shrunk once (greedily, keeping the category) and written with its count.
let report (count: int) (seed: int) (f: Features) (path: string) =
    let rng = Random(seed)
    let found = Dictionary<string, Scenario * Failure * int * int>()
    let counts = Dictionary<string, int>()
    let sw = Diagnostics.Stopwatch.StartNew()
    for i in 0 .. count - 1 do
        let programSeed = rng.Next()
        let size = i % 100
        let s = generate f size programSeed
        let failures = try check f s with e -> [ { Category = "harness crashed: " + e.GetType().Name; Detail = string e } ]
        for cat in failures |> List.map (fun x -> x.Category) |> List.distinct do
            counts.[cat] <- (match counts.TryGetValue cat with | true, n -> n + 1 | _ -> 1)
            if not (found.ContainsKey cat) then
                let m = minimise f cat s
                let detail = check f m |> List.tryFind (fun x -> x.Category = cat) |> Option.defaultValue (failures |> List.find (fun x -> x.Category = cat))
                found.[cat] <- (m, detail, programSeed, size)
                eprintfn "fuzz: new finding [%s] at program %d (seed %d, size %d)" cat i programSeed size
        if (i + 1) % 500 = 0 then eprintfn "fuzz: %d programs, %d categories, %.0f s" (i + 1) found.Count sw.Elapsed.TotalSeconds
    let sb = Text.StringBuilder()
    sb.AppendLine(sprintf "fuzz report: %d programs, seed %d, features %A, %.0f s" count seed f sw.Elapsed.TotalSeconds) |> ignore
    sb.AppendLine(sprintf "%d categories of findings" found.Count) |> ignore
    for KeyValue(cat, (m, detail, programSeed, size)) in found |> Seq.sortByDescending (fun kv -> counts.[kv.Key]) do
        sb.AppendLine() |> ignore
        sb.AppendLine(sprintf "=== [%s] in %d programs (first: NABLA_FUZZ_PROGRAM=%d,%d replays it with these features)" cat counts.[cat] programSeed size) |> ignore
        sb.AppendLine(detail.Detail) |> ignore
        sb.AppendLine(scenarioText m) |> ignore
    sb.AppendLine().AppendLine("coverage (checks run):") |> ignore
    for KeyValue(name, n) in stats |> Seq.sortBy (fun kv -> kv.Key) do sb.AppendLine(sprintf "  %-60s %d" name n) |> ignore
    let text = sb.ToString()
    IO.File.WriteAllText(path, text)
    printfn "%s" text
    if found.Count > 0 then failwithf "fuzz: %d categories of findings (report in %s)" found.Count path

/// FsCheck's generator state from one number (the gamma must be odd).
let private rnd (seed: int) = Rnd(uint64 seed, 0x9E3779B97F4A7C15UL)

/// Random programs through the facade: values against the reference, forward = reverse = FD, higher orders through
/// nested tapes and accumulators, the functional API and the core, and the exceptions of invalid programs.
/// CI runs CiCount programs from CiSeed with the default features; NABLA_FUZZ_COUNT / NABLA_FUZZ_SEED /
/// NABLA_FUZZ_FEATURES change them, NABLA_FUZZ_REPORT=<file> collects every finding instead of stopping at the first,
/// and NABLA_FUZZ_PROGRAM=<program seed>[,<size>] checks one program of a report.
[<Xunit.Fact>]
let ``Fuzz: random programs agree with the reference, FD and each other; invalid ones throw ArgumentException naming the op`` () =
    let count = envInt "NABLA_FUZZ_COUNT" CiCount
    let seed = envInt "NABLA_FUZZ_SEED" CiSeed
    let f = features ()
    match Environment.GetEnvironmentVariable "NABLA_FUZZ_PROGRAM", Environment.GetEnvironmentVariable "NABLA_FUZZ_REPORT" with
    | p, _ when not (String.IsNullOrEmpty p) ->
        let parts = p.Split(',')
        let s = generate f (if parts.Length > 1 then int parts.[1] else 50) (int parts.[0])
        let failures = check f s
        printfn "%s" (scenarioText s)
        for x in failures do printfn "[%s] %s" x.Category x.Detail
        if not failures.IsEmpty then
            let m = minimise f failures.Head.Category s
            failwithf "program %s: %d findings; minimal for [%s]:\n%s\n%s" p failures.Length failures.Head.Category
                      (scenarioText m) (check f m |> List.map (fun x -> x.Detail) |> String.concat "\n")
    | _, path when not (String.IsNullOrEmpty path) -> report count seed f path
    | _ ->
        let config =
            Config.QuickThrowOnFailure
                .WithMaxTest(count)
                .WithEndSize(100)
                .WithReplay(Some { Rnd = rnd seed; Size = None })
        try Check.One(config, Prop.forAll (arbitrary f) (holds f))
        with e ->
            raise (Exception(sprintf "fuzz: seed %d, %d programs, features %A (replay: NABLA_FUZZ_SEED=%d NABLA_FUZZ_COUNT=%d)\n%s" seed count f seed count e.Message, e))
