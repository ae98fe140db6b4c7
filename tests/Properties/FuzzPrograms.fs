/// Random programs for the fuzzer (Fuzz.fs), as data: a program is a list of statements, each one op
/// application (of the C# facade's `TF`) over input slots, variable reads and earlier statements, so a value can
/// be used several times (shared subexpressions). This module holds the program model, a naive Float64 reference
/// interpreter (values, validity with the op that must throw, the discrete decisions that tell whether finite
/// differences are defined), a printer that writes a program as C#, the generator and the shrinker. The facade and
/// core interpreters and the checks are in Fuzz.fs.
module Nabla.Properties.FuzzPrograms

open System
open System.Text
open Nabla.Properties.TestData

// ------------------------------------------------------------------ the model

/// The dtypes a program value can have.
type DT =
    | F64
    | F32
    | I32
    | I64
    | B
    member d.IsFloat = (d = F64 || d = F32)
    member d.IsInt = (d = I32 || d = I64)
    member d.CSharp =
        match d with
        | F64 -> "DType.Float64"
        | F32 -> "DType.Float32"
        | I32 -> "DType.Int32"
        | I64 -> "DType.Int64"
        | B -> "DType.Bool"

/// An operand of a broadcasting op: an earlier statement, or a C# double literal (a weak scalar).
type Arg =
    | Ref of int
    | Lit of float

type UnOp =
    | Negative
    | Square
    | Sqrt
    | Exp
    | Log
    | Log1p
    | Sin
    | Cos
    | Tan
    | Tanh
    | Sigmoid
    | Relu
    | Softplus
    | Abs
    | Sign
    | StopGradient

type BinOp =
    | Add
    | Subtract
    | Multiply
    | Divide
    | Pow
    | Maximum
    | Minimum

type CmpOp =
    | Equal
    | NotEqual
    | Greater
    | Less
    | GreaterEqual
    | LessEqual

type RedOp =
    | ReduceSum
    | ReduceMean
    | ReduceMax
    | ReduceMin
    | ReduceProd
    | ReduceLogSumExp

/// The three overloads of a reduction: all axes, one axis, an axes array (null in C# for `AllArray`).
type Axes =
    | All
    | One of int
    | Many of int[]

type Creation =
    | Ones of int[] * DT
    | Zeros of int[] * DT
    | Fill of int[] * float * DT
    | Range of float * float * float * DT
    | Linspace of float * float * int * DT
    | Eye of int * DT
    | RandomNormal of int[] * float * float * DT * int
    | RandomUniform of int[] * float * float * DT * int

/// Custom gradients built from TF ops, all with the true derivative (so every check still applies).
type CustomKind =
    | CustomSin
    | CustomSquare

type Stmt =
    /// The tensor of input slot k.
    | Input of int
    /// Reads variable k (`v.Value`), after `v.Assign(values[j])` when j is given.
    | Read of var: int * assign: int option
    /// `TF.Constant(array)` (or `TF.ConvertToTensor` when the flag is set).
    | Const of DT * int[] * float[] * convert: bool
    | Create of Creation
    | Like of ones: bool * int
    | Un of UnOp * int
    /// The flag prints the C# operator (+, -, *, /) instead of the TF call.
    | Bin of BinOp * Arg * Arg * operator: bool
    | Cmp of CmpOp * Arg * Arg
    | Clip of int * Arg * Arg
    | Where of int * Arg * Arg
    | ArgExt of max: bool * axis: int * int
    | Reduce of RedOp * Axes * keepDims: bool * int
    | MatMul of int * int * bool * bool
    | MatVec of int * int * bool
    | Transpose of int[] option * int
    | Reshape of int[] * int
    | ExpandDims of int * int
    | Squeeze of int option * int
    | Concat of int list * int
    | Stack of int list * int
    | Gather of int * indices: int * axis: int
    | Slice of int * int[] * int[]
    | Cast of DT * int
    | OneHot of int * int * DT
    | Softmax of log: bool * axis: int * int
    | SoftmaxCE of labels: int * logits: int * axis: int
    | SparseCE of labels: int * logits: int
    | SigmoidCE of labels: int * logits: int
    | BiasAdd of int * int
    | Custom1 of CustomKind * int
    | CustomProduct of int * int

/// The statements a statement reads (not literals).
let refsOf (s: Stmt) : int list =
    let arg = function Ref i -> [ i ] | Lit _ -> []
    match s with
    | Input _ | Read _ | Const _ | Create _ -> []
    | Like(_, a) | Un(_, a) | ArgExt(_, _, a) | Reduce(_, _, _, a) | Transpose(_, a) | Reshape(_, a)
    | ExpandDims(_, a) | Squeeze(_, a) | Slice(a, _, _) | Cast(_, a) | OneHot(a, _, _) | Softmax(_, _, a) | Custom1(_, a) -> [ a ]
    | Bin(_, a, b, _) | Cmp(_, a, b) -> arg a @ arg b
    | Clip(x, a, b) | Where(x, a, b) -> x :: arg a @ arg b
    | MatMul(a, b, _, _) | MatVec(a, b, _) | Gather(a, b, _) | SoftmaxCE(a, b, _) | SparseCE(a, b) | SigmoidCE(a, b)
    | BiasAdd(a, b) | CustomProduct(a, b) -> [ a; b ]
    | Concat(xs, _) | Stack(xs, _) -> xs

/// Rewrites the statement references of a statement.
let mapRefs (f: int -> int) (s: Stmt) : Stmt =
    let arg = function Ref i -> Ref(f i) | l -> l
    match s with
    | Input _ | Read _ | Const _ | Create _ -> s
    | Like(o, a) -> Like(o, f a)
    | Un(op, a) -> Un(op, f a)
    | Bin(op, a, b, o) -> Bin(op, arg a, arg b, o)
    | Cmp(op, a, b) -> Cmp(op, arg a, arg b)
    | Clip(x, a, b) -> Clip(f x, arg a, arg b)
    | Where(c, a, b) -> Where(f c, arg a, arg b)
    | ArgExt(m, ax, a) -> ArgExt(m, ax, f a)
    | Reduce(op, ax, k, a) -> Reduce(op, ax, k, f a)
    | MatMul(a, b, ta, tb) -> MatMul(f a, f b, ta, tb)
    | MatVec(a, b, ta) -> MatVec(f a, f b, ta)
    | Transpose(p, a) -> Transpose(p, f a)
    | Reshape(s, a) -> Reshape(s, f a)
    | ExpandDims(ax, a) -> ExpandDims(ax, f a)
    | Squeeze(ax, a) -> Squeeze(ax, f a)
    | Concat(xs, ax) -> Concat(List.map f xs, ax)
    | Stack(xs, ax) -> Stack(List.map f xs, ax)
    | Gather(a, i, ax) -> Gather(f a, f i, ax)
    | Slice(a, b, s) -> Slice(f a, b, s)
    | Cast(d, a) -> Cast(d, f a)
    | OneHot(a, d, dt) -> OneHot(f a, d, dt)
    | Softmax(l, ax, a) -> Softmax(l, ax, f a)
    | SoftmaxCE(a, b, ax) -> SoftmaxCE(f a, f b, ax)
    | SparseCE(a, b) -> SparseCE(f a, f b)
    | SigmoidCE(a, b) -> SigmoidCE(f a, f b)
    | BiasAdd(a, b) -> BiasAdd(f a, f b)
    | Custom1(k, a) -> Custom1(k, f a)
    | CustomProduct(a, b) -> CustomProduct(f a, f b)

/// An input tensor (always Float64, strongly typed).
type Slot = { Shape: int[]; Data: float[] }

/// A variable: its shape, its initial value and the values later assigned (Values.[0] is the initial one).
type VarSlot = { VShape: int[]; Values: float[][]; Trainable: bool }

/// How the derivatives are taken around the program.
type Plan =
    { /// 1: first order only; 2: + second order (nested tapes, forward-over-reverse, reverse-over-forward);
      /// 3: + third order (tapes nested to depth 3).
      Order: int
      /// The first-order tape is persistent (then its gradient is also taken inside its block and again after).
      Persistent: bool
      /// The persistent tape's own Gradient called inside its block, then differentiated (the PINN idiom).
      Pinn: bool
      /// Statements [a, b) run inside `outer.StopRecording()` while an inner tape records.
      StopRange: (int * int) option
      /// After the first gradient of a persistent tape, every variable is assigned a new value (an optimizer
      /// step) and the gradient is taken again: it must not change.
      AssignAfter: bool }

type Scenario =
    { Slots: Slot[]
      Vars: VarSlot[]
      Body: Stmt[]
      /// The statement whose value is the program's result.
      Output: int
      Plan: Plan
      /// Seeds the cotangent and the directions of the checks.
      Seed: int }

// ------------------------------------------------------------------ values of the reference interpreter

/// A value: dtype, shape, elements as doubles (Bool as 0/1), and whether TensorFlow leaves it unspecified
/// (then no check reads it).
type V = { DT: DT; Shape: int[]; Data: float[]; Unspec: bool }

/// A program the reference rejects: the op that must throw and why.
exception Invalid of op: string * reason: string

let private invalid (op: string) (reason: string) = raise (Invalid(op, reason))

let size (shape: int[]) = Array.fold (fun (acc: int64) d -> acc * int64 d) 1L shape

let fmtShape (s: int[]) = "[" + String.Join(", ", s) + "]"

let private roundTo (dt: DT) (v: float) =
    match dt with
    | F32 -> float (float32 v)
    | B -> if v <> 0.0 then 1.0 else 0.0
    | _ -> v

let mkV dt shape (data: float[]) unspec =
    { DT = dt; Shape = shape; Data = Array.map (roundTo dt) data; Unspec = unspec }

/// Non-finite or out of the integer range for an integer dtype: the value is left unspecified.
let private intOverflow (dt: DT) (data: float[]) =
    match dt with
    | I32 -> data |> Array.exists (fun v -> Double.IsNaN v || abs v > 2147483647.0)
    | I64 -> data |> Array.exists (fun v -> Double.IsNaN v || abs v > 9.0e15)
    | _ -> false

let private hasNonFinite (v: V) = v.Data |> Array.exists (fun x -> not (Double.IsFinite x))
let private hasNaN (v: V) = v.Data |> Array.exists Double.IsNaN
let private hasInf (v: V) = v.Data |> Array.exists Double.IsInfinity

let private nan = Double.NaN

/// NumPy broadcasting, invalid when an extent is neither equal nor 1.
let broadcastShape (op: string) (a: int[]) (b: int[]) =
    let n = max a.Length b.Length
    let dim (s: int[]) i = let j = i - (n - s.Length) in if j < 0 then 1 else s.[j]
    Array.init n (fun i ->
        let da, db = dim a i, dim b i
        if da = db then da
        elif da = 1 then db
        elif db = 1 then da
        else invalid op (sprintf "shapes %s and %s do not broadcast" (fmtShape a) (fmtShape b)))

let normAxis (op: string) (rank: int) (axis: int) =
    if axis < -rank || axis >= rank then invalid op (sprintf "axis %d out of range for rank %d" axis rank)
    if axis < 0 then axis + rank else axis

// ------------------------------------------------------------------ the reference interpreter

/// What the reference needs beyond the program: the flat inputs (slots, then one per variable read, in order),
/// the values to hold frozen (StopGradient and StopRecording make constants: at a perturbed point they keep the
/// value of the base point), and the list the discrete decisions are appended to.
type RefCtx =
    { Inputs: V[]
      ReadIndex: int[]
      Frozen: int -> V option
      Sig: ResizeArray<float> }

/// The flat input index of each statement (slots by number, reads after the slots in program order), -1 elsewhere.
let readIndexOf (s: Scenario) =
    let mutable r = 0
    s.Body |> Array.map (fun st ->
        match st with
        | Input k -> k
        | Read _ -> r <- r + 1; s.Slots.Length + r - 1
        | _ -> -1)

/// The value each variable read sees (its current value), in program order.
let readValues (s: Scenario) =
    let current = s.Vars |> Array.map (fun v -> v.Values.[0])
    [| for st in s.Body do
           match st with
           | Read(k, assign) ->
               match assign with
               | Some j -> current.[k] <- s.Vars.[k].Values.[j]
               | None -> ()
               yield k, s.Vars.[k].VShape, current.[k]
           | _ -> () |]

/// The flat inputs of a scenario at its base point.
let flatInputs (s: Scenario) =
    Array.append
        (s.Slots |> Array.map (fun sl -> mkV F64 sl.Shape sl.Data false))
        (readValues s |> Array.map (fun (_, shape, data) -> mkV F64 shape data false))

let private signClass (v: float) = if Double.IsNaN v then 2.0 elif v > 0.0 then 1.0 elif v < 0.0 then -1.0 else 0.0

let private elementwise (dt: DT) (x: V) (f: float -> float) = mkV dt x.Shape (Array.map f x.Data) x.Unspec

/// Applies f over the broadcast of a and b.
let private map2 (op: string) (dt: DT) (a: V) (b: V) (f: float -> float -> float) =
    let shape = broadcastShape op a.Shape b.Shape
    let _, d = Reference.map2 f (a.Shape, a.Data) (b.Shape, b.Data)
    mkV dt shape d (a.Unspec || b.Unspec)

let floatOps = set [ Sqrt; Exp; Log; Log1p; Sin; Cos; Tan; Tanh; Sigmoid; Softplus ]

let unName (op: UnOp) = sprintf "%A" op
let binName (op: BinOp) = sprintf "%A" op
let cmpName (op: CmpOp) = sprintf "%A" op
let redName (op: RedOp) = sprintf "%A" op

let private softplus (x: float) = max x 0.0 + Math.Log(1.0 + Math.Exp(-abs x))

/// Marks, in the signature, a point where a derivative is infinite though every value is finite (Sqrt at 0, Pow with
/// a zero base): there AD gives infinities or NaN (inf x 0), as TensorFlow does, and finite differences mean nothing.
let singular = Double.PositiveInfinity

let private unary (ctx: RefCtx) (op: UnOp) (x: V) : V =
    let name = unName op
    if x.DT = B then invalid name "dtype Bool"
    if x.DT.IsInt && floatOps.Contains op then invalid name (sprintf "dtype %A is not supported" x.DT)
    let f: float -> float =
        match op with
        | Negative -> fun v -> -v
        | Square -> fun v -> v * v
        | Sqrt -> Math.Sqrt
        | Exp -> Math.Exp
        | Log -> Math.Log
        | Log1p -> fun v -> Math.Log(1.0 + v)
        | Sin -> Math.Sin
        | Cos -> Math.Cos
        | Tan -> Math.Tan
        | Tanh -> Math.Tanh
        | Sigmoid -> fun v -> 1.0 / (1.0 + Math.Exp(-v))
        | Relu -> fun v -> if Double.IsNaN v then nan elif v > 0.0 then v else 0.0
        | Softplus -> softplus
        | Abs -> fun v -> if Double.IsNaN v then nan else abs v
        | Sign -> fun v -> if Double.IsNaN v then nan else float (sign v)
        | StopGradient -> id
    match op with
    | Relu | Abs | Sign -> for v in x.Data do ctx.Sig.Add(signClass v)
    | Sqrt when x.Data |> Array.contains 0.0 -> ctx.Sig.Add singular
    | _ -> ()
    let r = elementwise x.DT x f
    // an argument within rounding of a pole or branch point (sqrt or log of about 0) amplifies the last bit of a value
    // the reference and the library may round differently: the result's value is not comparable there
    let edge = (op = Sqrt || op = Log) && x.Data |> Array.exists (fun v -> v <> 0.0 && abs v < 1e-12)
    if (x.DT.IsInt && intOverflow x.DT r.Data) || edge then { r with Unspec = true } else r

/// A literal operand adopts the other operand's dtype (an integer dtype must hold it exactly).
let private literal (op: string) (dt: DT) (v: float) =
    if dt.IsInt && (v <> Math.Round v || not (Double.IsFinite v)) then
        invalid op (sprintf "the weak scalar %g cannot be held exactly by dtype %A" v dt)
    if dt = B then invalid op "a weak scalar with a Bool tensor"
    mkV dt [||] [| v |] false

let private operands (op: string) (vals: V[]) (a: Arg) (b: Arg) =
    match a, b with
    | Ref i, Ref j ->
        let x, y = vals.[i], vals.[j]
        if x.DT <> y.DT then invalid op (sprintf "operands have dtypes %A and %A" x.DT y.DT)
        x, y
    | Ref i, Lit l -> vals.[i], literal op vals.[i].DT l
    | Lit l, Ref j -> literal op vals.[j].DT l, vals.[j]
    | Lit _, Lit _ -> invalid op "two literals (not generated)"

let private binary (ctx: RefCtx) (vals: V[]) (op: BinOp) (a: Arg) (b: Arg) : V =
    let name = binName op
    let x, y = operands name vals a b
    if x.DT = B then invalid name "dtype Bool is not supported"
    let dt = if op = Divide && x.DT.IsInt then F64 else x.DT
    if op = Pow && x.DT.IsInt && y.Data |> Array.exists (fun e -> e < 0.0) then invalid name "negative integer exponent"
    let f: float -> float -> float =
        match op with
        | Add -> (+)
        | Subtract -> (-)
        | Multiply -> (*)
        | Divide -> (/)
        | Pow -> fun p q -> Math.Pow(p, q)
        | Maximum -> fun p q -> if Double.IsNaN p || Double.IsNaN q then nan elif p >= q then p else q
        | Minimum -> fun p q -> if Double.IsNaN p || Double.IsNaN q then nan elif p <= q then p else q
    match op with
    | Maximum | Minimum ->
        let _, cls = Reference.map2 (fun p q -> signClass (p - q)) (x.Shape, x.Data) (y.Shape, y.Data)
        broadcastShape name x.Shape y.Shape |> ignore
        ctx.Sig.AddRange cls
    | Pow ->
        // the base crossing zero changes the branch of the derivative rule
        let _, cls = Reference.map2 (fun p _ -> signClass p) (x.Shape, x.Data) (y.Shape, y.Data)
        broadcastShape name x.Shape y.Shape |> ignore
        ctx.Sig.AddRange cls
        if x.Data |> Array.contains 0.0 then ctx.Sig.Add singular
    | _ -> ()
    let r = map2 name dt x y f
    // a quotient by zero, or a zero base to a negative power, is an infinity whose sign is the zero's sign, which a
    // composite op (a reduction, a cross-entropy) may legitimately give either way: not comparable
    let signedZeroPole =
        match op with
        | Divide -> y.Data |> Array.contains 0.0
        | Pow -> x.Data |> Array.contains 0.0 && y.Data |> Array.exists (fun e -> e < 0.0)
        | _ -> false
    if (dt.IsInt && intOverflow dt r.Data) || signedZeroPole then { r with Unspec = true } else r

let private compare (vals: V[]) (op: CmpOp) (a: Arg) (b: Arg) =
    let name = cmpName op
    let x, y = operands name vals a b
    if x.DT = B then invalid name "dtype Bool (not generated)"
    let f: float -> float -> bool =
        match op with
        | Equal -> (=)
        | NotEqual -> (<>)
        | Greater -> (>)
        | Less -> (<)
        | GreaterEqual -> (>=)
        | LessEqual -> (<=)
    map2 name B x y (fun p q -> if f p q then 1.0 else 0.0)

let private reduceAxes (op: string) (rank: int) (axes: Axes) : int[] =
    let raw =
        match axes with
        | All -> Array.init rank id
        | One a -> [| normAxis op rank a |]
        | Many xs -> xs |> Array.map (normAxis op rank)
    if raw |> Array.distinct |> Array.length <> raw.Length then invalid op (sprintf "duplicate axes %s" (fmtShape raw))
    raw

let private reduce (ctx: RefCtx) (op: RedOp) (axes: Axes) (keepDims: bool) (x: V) : V =
    let name = redName op
    if x.DT = B then invalid name "dtype Bool"
    if op = ReduceLogSumExp && x.DT.IsInt then invalid name "integer dtype"
    let ax = reduceAxes name x.Shape.Length axes
    let mutable unspec = x.Unspec
    let extremeOf (largest: bool) (g: float[]) =
        if g.Length = 0 then
            // TensorFlow 2 fills an empty reduction with the reducer's identity (Eigen's MinMaxBottomValue): -inf (+inf)
            // for float dtypes, the dtype's lowest (highest) value for integer ones
            match x.DT with
            | I32 -> if largest then float Int32.MinValue else float Int32.MaxValue
            | I64 -> if largest then float Int64.MinValue else float Int64.MaxValue
            | _ -> if largest then Double.NegativeInfinity else Double.PositiveInfinity
        elif Array.exists Double.IsNaN g then
            ctx.Sig.Add 2.0
            nan
        else
            let best = if largest then Array.max g else Array.min g
            ctx.Sig.Add(float (Array.findIndex ((=) best) g))
            ctx.Sig.Add(float (g |> Array.filter ((=) best) |> Array.length))
            best
    let finish: float[] -> float =
        match op with
        | ReduceSum -> Array.sum
        | ReduceProd -> Array.fold (*) 1.0
        | ReduceMean ->
            fun g ->
                if g.Length = 0 then
                    if x.DT.IsInt then unspec <- true
                    nan
                elif x.DT.IsInt then truncate (Array.sum g / float g.Length)
                else Array.sum g / float g.Length
        | ReduceMax -> extremeOf true
        | ReduceMin -> extremeOf false
        | ReduceLogSumExp ->
            fun g ->
                if g.Length = 0 then Double.NegativeInfinity
                elif Array.exists Double.IsNaN g then nan
                elif Array.contains Double.PositiveInfinity g then
                    unspec <- true
                    nan
                else
                    let m = Array.max g
                    if Double.IsNegativeInfinity m then m else m + Math.Log(Array.sumBy (fun v -> Math.Exp(v - m)) g)
    let shape, data = Reference.reduceWith finish ax keepDims (x.Shape, x.Data)
    let r = mkV x.DT shape data unspec
    if x.DT.IsInt && intOverflow x.DT r.Data then { r with Unspec = true } else r

let private fiberMax (v: float[]) = v |> Array.fold max Double.NegativeInfinity

let private softmaxFiber (logOf: bool) (v: float[]) =
    if v.Length = 0 then [||]
    elif Array.exists Double.IsNaN v then Array.create v.Length nan
    else
        let m = fiberMax v
        let s = v |> Array.sumBy (fun x -> Math.Exp(x - m))
        if logOf then v |> Array.map (fun x -> x - m - Math.Log s) else v |> Array.map (fun x -> Math.Exp(x - m) / s)

let private requireFloatV (op: string) (x: V) =
    if not x.DT.IsFloat then invalid op (sprintf "dtype %A is not supported; expected Float32 or Float64" x.DT)

let private nnUnspec (vs: V list) = vs |> List.exists (fun v -> v.Unspec || hasInf v)

let creationName (c: Creation) =
    match c with
    | Ones _ -> "Ones"
    | Zeros _ -> "Zeros"
    | Fill _ -> "Fill"
    | Range _ -> "Range"
    | Linspace _ -> "Linspace"
    | Eye _ -> "Eye"
    | RandomNormal _ -> "RandomNormal"
    | RandomUniform _ -> "RandomUniform"

let private checkShape (op: string) (shape: int[]) =
    if shape |> Array.exists (fun d -> d < 0) then invalid op (sprintf "negative extent in %s" (fmtShape shape))
    if size shape > int64 Array.MaxLength then invalid op (sprintf "shape %s has more than Array.MaxLength elements" (fmtShape shape))

let toFacade (dt: DT) =
    match dt with
    | F64 -> Nabla.DType.Float64
    | F32 -> Nabla.DType.Float32
    | I32 -> Nabla.DType.Int32
    | I64 -> Nabla.DType.Int64
    | B -> Nabla.DType.Bool

/// The values of RandomNormal/RandomUniform are the library's own (seeded), taken through the facade: they are
/// constants to every derivative; the value check then compares the library with itself, and the range check in
/// Fuzz.fs reads them.
let randomValues (c: Creation) : float[] =
    match c with
    | RandomNormal(s, m, sd, dt, seed) -> Nabla.TF.RandomNormal(s, m, sd, toFacade dt, Nullable seed).ToArray<double>()
    | RandomUniform(s, lo, hi, dt, seed) -> Nabla.TF.RandomUniform(s, lo, hi, toFacade dt, Nullable seed).ToArray<double>()
    | _ -> [||]

let private create (c: Creation) : V =
    let name = creationName c
    match c with
    | Ones(s, dt) | Zeros(s, dt) | Fill(s, _, dt) ->
        checkShape name s
        let v = match c with Ones _ -> 1.0 | Fill(_, v, _) -> v | _ -> 0.0
        mkV dt s (Array.create (int (size s)) v) false
    | Range(start, limit, delta, dt) ->
        if delta = 0.0 then invalid name "delta is zero"
        if (delta > 0.0 && start > limit) || (delta < 0.0 && start < limit) then invalid name "delta points away from limit"
        let n = int (Math.Ceiling(abs (limit - start) / abs delta))
        mkV dt [| n |] (Array.init n (fun i -> start + float i * delta)) false
    | Linspace(start, stop, num, dt) ->
        if num < 0 then invalid name "negative num"
        mkV dt [| num |] (Array.init num (fun i -> if num = 1 then start else start + (stop - start) * float i / float (num - 1))) false
    | Eye(n, dt) -> mkV dt [| n; n |] (Array.init (n * n) (fun i -> if i / n = i % n then 1.0 else 0.0)) false
    | RandomNormal(s, _, _, dt, _) | RandomUniform(s, _, _, dt, _) ->
        checkShape name s
        if not dt.IsFloat && (match c with RandomNormal _ -> true | _ -> false) then invalid name "integer dtype"
        mkV dt s (randomValues c) false

/// One statement's value.
let evalStmt (ctx: RefCtx) (vals: V[]) (i: int) (st: Stmt) : V =
    match ctx.Frozen i with
    | Some v -> v
    | None ->
    let arg (a: Arg) (like: V) = match a with Ref j -> vals.[j] | Lit l -> mkV like.DT [||] [| l |] false
    match st with
    | Input _ | Read _ -> ctx.Inputs.[ctx.ReadIndex.[i]]
    | Const(dt, shape, data, _) -> mkV dt shape data false
    | Create c -> create c
    | Like(ones, a) -> let x = vals.[a] in mkV x.DT x.Shape (Array.create x.Data.Length (if ones then 1.0 else 0.0)) false
    | Un(op, a) -> unary ctx op vals.[a]
    | Bin(op, a, b, _) -> binary ctx vals op a b
    | Cmp(op, a, b) -> compare vals op a b
    | Clip(x, lo, hi) ->
        let xv = vals.[x]
        if not (xv.DT.IsFloat || xv.DT.IsInt) then invalid "ClipByValue" "dtype Bool"
        let lov, hiv =
            (match lo with Ref j -> vals.[j] | Lit l -> literal "ClipByValue" xv.DT l),
            (match hi with Ref j -> vals.[j] | Lit l -> literal "ClipByValue" xv.DT l)
        if lov.DT <> xv.DT || hiv.DT <> xv.DT then invalid "ClipByValue" "dtypes differ"
        let shape = broadcastShape "ClipByValue" (broadcastShape "ClipByValue" xv.Shape lov.Shape) hiv.Shape
        let at (v: V) k = Reference.at (v.Shape, v.Data) (Reference.unravel shape k)
        let n = int (size shape)
        let mutable unspec = xv.Unspec || lov.Unspec || hiv.Unspec
        let data =
            Array.init n (fun k ->
                let p, l, h = at xv k, at lov k, at hiv k
                if Double.IsNaN l || Double.IsNaN h || l > h then unspec <- true
                ctx.Sig.Add(signClass (p - l))
                ctx.Sig.Add(signClass (p - h))
                if Double.IsNaN p then nan elif p < l then l elif p > h then h else p)
        mkV xv.DT shape data unspec
    | Where(c, a, b) ->
        let cv = vals.[c]
        if cv.DT <> B then invalid "Where" (sprintf "condition has dtype %A; expected Bool" cv.DT)
        let x, y = operands "Where" vals a b
        let shape = broadcastShape "Where" (broadcastShape "Where" cv.Shape x.Shape) y.Shape
        let _, d = Reference.where (cv.Shape, cv.Data) (x.Shape, x.Data) (y.Shape, y.Data)
        mkV x.DT shape d (cv.Unspec || x.Unspec || y.Unspec)
    | ArgExt(largest, axis, a) ->
        let x = vals.[a]
        let name = if largest then "ArgMax" else "ArgMin"
        if x.DT = B then invalid name "dtype Bool"
        let ax = normAxis name x.Shape.Length axis
        if x.Shape.[ax] = 0 then invalid name "reduction over an empty axis"
        let shape, d = Reference.argExtreme largest ax (x.Shape, x.Data)
        // a fiber holding NaN: the index of its first NaN (NumPy's rule, which Nabla follows)
        let n = x.Shape.[ax]
        let inner = x.Shape.[ax + 1 ..] |> Array.fold (*) 1
        let d =
            d |> Array.mapi (fun k i ->
                let o, q = k / inner, k % inner
                match Seq.tryFind (fun j -> Double.IsNaN x.Data.[(o * n + j) * inner + q]) (seq { 0 .. n - 1 }) with
                | Some j -> float j
                | None -> i)
        mkV I64 shape d x.Unspec
    | Reduce(op, axes, keep, a) -> reduce ctx op axes keep vals.[a]
    | MatMul(a, b, ta, tb) ->
        let x, y = vals.[a], vals.[b]
        requireFloatV "MatMul" x
        if x.DT <> y.DT then invalid "MatMul" "dtypes differ"
        let ra, rb = x.Shape.Length, y.Shape.Length
        if ra < 2 || rb < 2 then invalid "MatMul" "rank below 2"
        let k1 = if ta then x.Shape.[ra - 2] else x.Shape.[ra - 1]
        let k2 = if tb then y.Shape.[rb - 1] else y.Shape.[rb - 2]
        if k1 <> k2 then invalid "MatMul" (sprintf "inner dimensions %d and %d differ" k1 k2)
        broadcastShape "MatMul" x.Shape.[.. ra - 3] y.Shape.[.. rb - 3] |> ignore
        let shape, d = Reference.batchedMatmul ta tb (x.Shape, x.Data) (y.Shape, y.Data)
        mkV x.DT shape d (x.Unspec || y.Unspec || hasNonFinite x || hasNonFinite y)
    | MatVec(a, b, ta) ->
        let m, v = vals.[a], vals.[b]
        requireFloatV "MatVec" m
        if m.DT <> v.DT then invalid "MatVec" "dtypes differ"
        let ra, rv = m.Shape.Length, v.Shape.Length
        if ra < 2 || rv < 1 then invalid "MatVec" "rank"
        let n = if ta then m.Shape.[ra - 2] else m.Shape.[ra - 1]
        if v.Shape.[rv - 1] <> n then invalid "MatVec" "inner dimensions differ"
        broadcastShape "MatVec" m.Shape.[.. ra - 3] v.Shape.[.. rv - 2] |> ignore
        let shape, d = Reference.matvec ta (m.Shape, m.Data) (v.Shape, v.Data)
        mkV m.DT shape d (m.Unspec || v.Unspec || hasNonFinite m || hasNonFinite v)
    | Transpose(perm, a) ->
        let x = vals.[a]
        let r = x.Shape.Length
        match perm with
        | Some p when p.Length <> r || (Array.sort p <> Array.init r id) -> invalid "Transpose" (sprintf "perm %s is not a permutation of %d axes" (fmtShape p) r)
        | _ -> ()
        let shape, d = Reference.transpose (match perm with Some p -> p | None -> null) (x.Shape, x.Data)
        mkV x.DT shape d x.Unspec
    | Reshape(target, a) ->
        let x = vals.[a]
        let unknown = target |> Array.filter ((=) -1) |> Array.length
        if unknown > 1 || target |> Array.exists (fun d -> d < -1) then invalid "Reshape" "bad shape"
        let known = target |> Array.filter (fun d -> d <> -1) |> size
        let n = int64 x.Data.Length
        if unknown = 1 then
            if known = 0L || n % known <> 0L then invalid "Reshape" (sprintf "cannot reshape %s to %s" (fmtShape x.Shape) (fmtShape target))
        elif known <> n then invalid "Reshape" (sprintf "cannot reshape %s to %s" (fmtShape x.Shape) (fmtShape target))
        let shape, d = Reference.reshape target (x.Shape, x.Data)
        mkV x.DT shape d x.Unspec
    | ExpandDims(axis, a) ->
        let x = vals.[a]
        let r = x.Shape.Length
        if axis < -r - 1 || axis > r then invalid "ExpandDims" "axis out of range"
        let shape, d = Reference.expandDims axis (x.Shape, x.Data)
        mkV x.DT shape d x.Unspec
    | Squeeze(axis, a) ->
        let x = vals.[a]
        match axis with
        | Some ax ->
            let n = normAxis "Squeeze" x.Shape.Length ax
            if x.Shape.[n] <> 1 then invalid "Squeeze" (sprintf "axis %d has extent %d" ax x.Shape.[n])
        | None -> ()
        let shape, d = Reference.squeeze axis (x.Shape, x.Data)
        mkV x.DT shape d x.Unspec
    | Concat(xs, axis) ->
        let vs = xs |> List.map (fun j -> vals.[j]) |> Array.ofList
        if vs.Length = 0 then invalid "Concat" "no tensors"
        let r = vs.[0].Shape.Length
        if r = 0 then invalid "Concat" "scalars"
        let ax = normAxis "Concat" r axis
        for v in vs do
            if v.DT <> vs.[0].DT then invalid "Concat" "dtypes differ"
            if v.Shape.Length <> r || (Array.init r id |> Array.exists (fun i -> i <> ax && v.Shape.[i] <> vs.[0].Shape.[i])) then
                invalid "Concat" "shapes differ"
        let shape, d = Reference.concat ax (vs |> Array.map (fun v -> v.Shape, v.Data))
        mkV vs.[0].DT shape d (vs |> Array.exists (fun v -> v.Unspec))
    | Stack(xs, axis) ->
        let vs = xs |> List.map (fun j -> vals.[j]) |> Array.ofList
        if vs.Length = 0 then invalid "Stack" "no tensors"
        let r = vs.[0].Shape.Length
        if axis < -r - 1 || axis > r then invalid "Stack" "axis out of range"
        for v in vs do
            if v.DT <> vs.[0].DT then invalid "Stack" "dtypes differ"
            if v.Shape <> vs.[0].Shape then invalid "Stack" "shapes differ"
        let shape, d = Reference.stack axis (vs |> Array.map (fun v -> v.Shape, v.Data))
        mkV vs.[0].DT shape d (vs |> Array.exists (fun v -> v.Unspec))
    | Gather(a, i, axis) ->
        let x, idx = vals.[a], vals.[i]
        if not idx.DT.IsInt then invalid "Gather" (sprintf "indices have dtype %A" idx.DT)
        if x.Shape.Length = 0 then invalid "Gather" "scalar"
        let ax = normAxis "Gather" x.Shape.Length axis
        let n = x.Shape.[ax]
        if idx.Data |> Array.exists (fun j -> j < 0.0 || j >= float n) then invalid "Gather" "index out of range"
        ctx.Sig.AddRange idx.Data
        let shape, d = Reference.gather ax idx.Shape (idx.Data |> Array.map int) (x.Shape, x.Data)
        mkV x.DT shape d (x.Unspec || idx.Unspec)
    | Slice(a, start, extent) ->
        let x = vals.[a]
        let r = x.Shape.Length
        if start.Length <> r || extent.Length <> r then invalid "Slice" "rank"
        for i in 0 .. r - 1 do
            if start.[i] < 0 || start.[i] > x.Shape.[i] then invalid "Slice" "begin out of range"
            if extent.[i] < -1 || (extent.[i] >= 0 && start.[i] + extent.[i] > x.Shape.[i]) then invalid "Slice" "size out of range"
        let shape, d = Reference.slice start extent (x.Shape, x.Data)
        mkV x.DT shape d x.Unspec
    | Cast(dt, a) ->
        let x = vals.[a]
        let conv (v: float) =
            match dt with
            | I32 | I64 when x.DT.IsFloat -> truncate v
            | _ -> v
        let r = mkV dt x.Shape (Array.map conv x.Data) (x.Unspec || (dt.IsInt && intOverflow dt (Array.map conv x.Data)) || (dt = B && hasNaN x))
        if not dt.IsFloat && dt <> x.DT then ctx.Sig.AddRange r.Data
        r
    | OneHot(a, depth, dt) ->
        let idx = vals.[a]
        if not idx.DT.IsInt then invalid "OneHot" (sprintf "indices have dtype %A" idx.DT)
        if depth < 0 then invalid "OneHot" "negative depth"
        let shape = Array.append idx.Shape [| depth |]
        mkV dt shape (Array.init (idx.Data.Length * depth) (fun k -> if int idx.Data.[k / depth] = k % depth then 1.0 else 0.0)) idx.Unspec
    | Softmax(logOf, axis, a) ->
        let x = vals.[a]
        let name = if logOf then "LogSoftmax" else "Softmax"
        requireFloatV name x
        let ax = normAxis name x.Shape.Length axis
        let shape, d = Reference.alongAxis ax (softmaxFiber logOf) (x.Shape, x.Data)
        mkV x.DT shape d (nnUnspec [ x ])
    | SoftmaxCE(l, z, axis) ->
        let lv, zv = vals.[l], vals.[z]
        requireFloatV "SoftmaxCrossEntropyWithLogits" zv
        if lv.DT <> zv.DT then invalid "SoftmaxCrossEntropyWithLogits" "dtypes differ"
        if lv.Shape <> zv.Shape then invalid "SoftmaxCrossEntropyWithLogits" "shapes differ"
        let ax = normAxis "SoftmaxCrossEntropyWithLogits" zv.Shape.Length axis
        let _, ls = Reference.alongAxis ax (softmaxFiber true) (zv.Shape, zv.Data)
        let shape, d = Reference.sum [| ax |] false (zv.Shape, Array.map2 (fun p q -> -(p * q)) lv.Data ls)
        mkV zv.DT shape d (nnUnspec [ lv; zv ] || zv.Shape.[ax] = 0)
    | SparseCE(l, z) ->
        let lv, zv = vals.[l], vals.[z]
        requireFloatV "SparseSoftmaxCrossEntropyWithLogits" zv
        if not lv.DT.IsInt then invalid "SparseSoftmaxCrossEntropyWithLogits" "labels are not integers"
        let r = zv.Shape.Length
        if r = 0 || lv.Shape <> zv.Shape.[.. r - 2] then invalid "SparseSoftmaxCrossEntropyWithLogits" "label shape"
        let classes = zv.Shape.[r - 1]
        if lv.Data |> Array.exists (fun j -> j < 0.0 || j >= float classes) then invalid "SparseSoftmaxCrossEntropyWithLogits" "label out of range"
        ctx.Sig.AddRange lv.Data
        let _, ls = Reference.alongAxis (r - 1) (softmaxFiber true) (zv.Shape, zv.Data)
        mkV zv.DT lv.Shape (lv.Data |> Array.mapi (fun i j -> -ls.[i * classes + int j])) (nnUnspec [ zv ] || lv.Unspec)
    | SigmoidCE(l, z) ->
        let lv, zv = vals.[l], vals.[z]
        requireFloatV "SigmoidCrossEntropyWithLogits" zv
        if lv.DT <> zv.DT then invalid "SigmoidCrossEntropyWithLogits" "dtypes differ"
        if lv.Shape <> zv.Shape then invalid "SigmoidCrossEntropyWithLogits" "shapes differ"
        mkV zv.DT zv.Shape (Array.map2 (fun q x -> softplus x - x * q) lv.Data zv.Data) (nnUnspec [ lv; zv ])
    | BiasAdd(a, b) ->
        let x, bias = vals.[a], vals.[b]
        if x.DT <> bias.DT then invalid "BiasAdd" "dtypes differ"
        if x.DT = B then invalid "BiasAdd" "Bool"
        let r = x.Shape.Length
        if r < 2 || bias.Shape.Length <> 1 || bias.Shape.[0] <> x.Shape.[r - 1] then invalid "BiasAdd" "bias shape"
        map2 "BiasAdd" x.DT x bias (+)
    | Custom1(kind, a) ->
        let x = vals.[a]
        requireFloatV "CustomGradient" x
        elementwise x.DT x (match kind with CustomSin -> Math.Sin | CustomSquare -> fun v -> v * v)
    | CustomProduct(a, b) ->
        let x, y = vals.[a], vals.[b]
        requireFloatV "CustomGradient" x
        if x.DT <> y.DT || x.Shape <> y.Shape then invalid "CustomGradient" "operands differ (not generated)"
        map2 "CustomGradient" x.DT x y (*)

/// The outcome of running a program in the reference.
type RefResult =
    | Valid of V[]
    /// The statement, its op, and why it must throw.
    | Rejected of int * string * string

/// Runs the statements up to and including `upTo`.
let evalUpTo (ctx: RefCtx) (body: Stmt[]) (upTo: int) : RefResult =
    let vals = Array.zeroCreate (upTo + 1)
    let rec go i =
        if i > upTo then Valid vals
        else
            match (try Choice1Of2(evalStmt ctx vals i body.[i]) with Invalid(op, why) -> Choice2Of2(op, why)) with
            | Choice1Of2 v ->
                vals.[i] <- v
                go (i + 1)
            | Choice2Of2(op, why) -> Rejected(i, op, why)
    go 0

let refCtx (s: Scenario) (inputs: V[]) (frozen: int -> V option) =
    { Inputs = inputs; ReadIndex = readIndexOf s; Frozen = frozen; Sig = ResizeArray() }

/// The reference run of a whole scenario at its base point, with its signature.
let evalScenario (s: Scenario) =
    let ctx = refCtx s (flatInputs s) (fun _ -> None)
    evalUpTo ctx s.Body (s.Body.Length - 1), ctx.Sig

// ------------------------------------------------------------------ printing as C#

let private lit (v: float) =
    if Double.IsNaN v then "double.NaN"
    elif Double.IsPositiveInfinity v then "double.PositiveInfinity"
    elif Double.IsNegativeInfinity v then "double.NegativeInfinity"
    else
        let s = v.ToString("R", Globalization.CultureInfo.InvariantCulture)
        if s.Contains "." || s.Contains "E" then s else s + ".0"

let private elem (dt: DT) (v: float) =
    match dt with
    | F64 -> lit v
    | F32 -> (if Double.IsFinite v then lit v + "f" else lit v |> fun s -> s.Replace("double", "float"))
    | I32 -> string (int v)
    | I64 -> string (int64 v) + "L"
    | B -> if v <> 0.0 then "true" else "false"

let private csType (dt: DT) =
    match dt with F64 -> "double" | F32 -> "float" | I32 -> "int" | I64 -> "long" | B -> "bool"

/// `new double[,] { { 1.0, 2.0 } }`, or the scalar itself for rank 0.
let arrayLiteral (dt: DT) (shape: int[]) (data: float[]) =
    if shape.Length = 0 then elem dt data.[0]
    elif Array.contains 0 shape then sprintf "new %s[%s]" (csType dt) (String.Join(", ", shape))
    else
        let rec nested (dim: int) (offset: int) =
            let stride = shape.[dim + 1 ..] |> Array.fold (*) 1
            let items =
                [ for i in 0 .. shape.[dim] - 1 ->
                    if dim = shape.Length - 1 then elem dt data.[offset + i] else nested (dim + 1) (offset + i * stride) ]
            "{ " + String.Join(", ", items) + " }"
        sprintf "new %s[%s] %s" (csType dt) (String.replicate (shape.Length - 1) ",") (nested 0 0)

let private intArray (xs: int[]) = "new[] { " + String.Join(", ", xs) + " }"

let private argText (a: Arg) = match a with Ref i -> sprintf "t%d" i | Lit l -> lit l

/// The C# expression of a statement (its operands named t0, t1, ...; slots x0, x1, ...; variables v0, v1, ...).
let stmtText (st: Stmt) : string =
    let t (i: int) = sprintf "t%d" i
    let keep (k: bool) = if k then ", keepDims: true" else ""
    match st with
    | Input k -> sprintf "x%d" k
    | Read(k, _) -> sprintf "v%d.Value" k
    | Const(dt, shape, data, convert) ->
        let a = arrayLiteral dt shape data
        if convert then sprintf "TF.ConvertToTensor(%s)" a
        elif shape.Length = 0 && dt <> F64 && dt <> F32 && dt <> I32 && dt <> I64 then sprintf "TF.Constant(%s)" a
        else sprintf "TF.Constant(%s)" a
    | Create c ->
        match c with
        | Ones(s, dt) -> sprintf "TF.Ones(%s, %s)" (intArray s) dt.CSharp
        | Zeros(s, dt) -> sprintf "TF.Zeros(%s, %s)" (intArray s) dt.CSharp
        | Fill(s, v, dt) -> sprintf "TF.Fill(%s, %s, %s)" (intArray s) (lit v) dt.CSharp
        | Range(a, b, d, dt) -> sprintf "TF.Range(%s, %s, %s, %s)" (lit a) (lit b) (lit d) dt.CSharp
        | Linspace(a, b, n, dt) -> sprintf "TF.Linspace(%s, %s, %d, %s)" (lit a) (lit b) n dt.CSharp
        | Eye(n, dt) -> sprintf "TF.Eye(%d, %s)" n dt.CSharp
        | RandomNormal(s, m, sd, dt, seed) -> sprintf "TF.RandomNormal(%s, %s, %s, %s, seed: %d)" (intArray s) (lit m) (lit sd) dt.CSharp seed
        | RandomUniform(s, lo, hi, dt, seed) -> sprintf "TF.RandomUniform(%s, %s, %s, %s, seed: %d)" (intArray s) (lit lo) (lit hi) dt.CSharp seed
    | Like(ones, a) -> sprintf "TF.%sLike(%s)" (if ones then "Ones" else "Zeros") (t a)
    | Un(op, a) -> sprintf "TF.%s(%s)" (unName op) (t a)
    | Bin(op, a, b, true) when (op = Add || op = Subtract || op = Multiply || op = Divide) ->
        let sym = match op with Add -> "+" | Subtract -> "-" | Multiply -> "*" | _ -> "/"
        sprintf "%s %s %s" (argText a) sym (argText b)
    | Bin(op, a, b, _) -> sprintf "TF.%s(%s, %s)" (binName op) (argText a) (argText b)
    | Cmp(op, a, b) -> sprintf "TF.%s(%s, %s)" (cmpName op) (argText a) (argText b)
    | Clip(x, lo, hi) -> sprintf "TF.ClipByValue(%s, %s, %s)" (t x) (argText lo) (argText hi)
    | Where(c, a, b) -> sprintf "TF.Where(%s, %s, %s)" (t c) (argText a) (argText b)
    | ArgExt(m, ax, a) -> sprintf "TF.%s(%s, %d)" (if m then "ArgMax" else "ArgMin") (t a) ax
    | Reduce(op, axes, k, a) ->
        match axes with
        | All -> sprintf "TF.%s(%s%s)" (redName op) (t a) (keep k)
        | One ax -> sprintf "TF.%s(%s, %d%s)" (redName op) (t a) ax (keep k)
        | Many xs -> sprintf "TF.%s(%s, %s%s)" (redName op) (t a) (intArray xs) (keep k)
    | MatMul(a, b, ta, tb) ->
        sprintf "TF.MatMul(%s, %s%s%s)" (t a) (t b) (if ta then ", transposeA: true" else "") (if tb then ", transposeB: true" else "")
    | MatVec(a, b, ta) -> sprintf "TF.MatVec(%s, %s%s)" (t a) (t b) (if ta then ", transposeA: true" else "")
    | Transpose(None, a) -> sprintf "TF.Transpose(%s)" (t a)
    | Transpose(Some p, a) -> sprintf "TF.Transpose(%s, %s)" (t a) (intArray p)
    | Reshape(s, a) -> sprintf "TF.Reshape(%s, %s)" (t a) (String.Join(", ", s))
    | ExpandDims(ax, a) -> sprintf "TF.ExpandDims(%s, %d)" (t a) ax
    | Squeeze(None, a) -> sprintf "TF.Squeeze(%s)" (t a)
    | Squeeze(Some ax, a) -> sprintf "TF.Squeeze(%s, %d)" (t a) ax
    | Concat(xs, ax) -> sprintf "TF.Concat(new[] { %s }, %d)" (String.Join(", ", xs |> List.map t)) ax
    | Stack(xs, ax) -> sprintf "TF.Stack(new[] { %s }, %d)" (String.Join(", ", xs |> List.map t)) ax
    | Gather(a, i, ax) -> sprintf "TF.Gather(%s, %s, %d)" (t a) (t i) ax
    | Slice(a, b, s) -> sprintf "TF.Slice(%s, %s, %s)" (t a) (intArray b) (intArray s)
    | Cast(dt, a) -> sprintf "TF.Cast(%s, %s)" (t a) dt.CSharp
    | OneHot(a, d, dt) -> sprintf "TF.OneHot(%s, %d, %s)" (t a) d dt.CSharp
    | Softmax(l, ax, a) -> sprintf "TF.%s(%s, %d)" (if l then "LogSoftmax" else "Softmax") (t a) ax
    | SoftmaxCE(l, z, ax) -> sprintf "TF.SoftmaxCrossEntropyWithLogits(%s, %s, %d)" (t l) (t z) ax
    | SparseCE(l, z) -> sprintf "TF.SparseSoftmaxCrossEntropyWithLogits(%s, %s)" (t l) (t z)
    | SigmoidCE(l, z) -> sprintf "TF.SigmoidCrossEntropyWithLogits(%s, %s)" (t l) (t z)
    | BiasAdd(a, b) -> sprintf "TF.BiasAdd(%s, %s)" (t a) (t b)
    | Custom1(CustomSin, a) -> sprintf "TF.CustomGradient(x => (TF.Sin(x), dy => dy * TF.Cos(x)))(%s)" (t a)
    | Custom1(CustomSquare, a) -> sprintf "TF.CustomGradient(x => (x * x, dy => 2.0 * dy * x))(%s)" (t a)
    | CustomProduct(a, b) ->
        sprintf "TF.CustomGradient(xs => (xs[0] * xs[1], dy => new[] { dy * xs[1], dy * xs[0] }))(new[] { %s, %s })" (t a) (t b)

/// The whole scenario as C#: inputs, variables, the program inside a tape, and the plan of the checks.
let scenarioText (s: Scenario) =
    let sb = StringBuilder()
    let line (x: string) = sb.AppendLine x |> ignore
    line (sprintf "// plan: order %d, persistent %b, PINN %b, StopRecording %A, assign after %b, seed %d"
                  s.Plan.Order s.Plan.Persistent s.Plan.Pinn s.Plan.StopRange s.Plan.AssignAfter s.Seed)
    s.Slots |> Array.iteri (fun k sl -> line (sprintf "var x%d = TF.Constant(%s);" k (arrayLiteral F64 sl.Shape sl.Data)))
    s.Vars |> Array.iteri (fun k v ->
        line (sprintf "var v%d = new Variable(TF.Constant(%s)%s);" k (arrayLiteral F64 v.VShape v.Values.[0]) (if v.Trainable then "" else ", trainable: false")))
    line "using (var tape = new GradientTape()) {"
    s.Slots |> Array.iteri (fun k _ -> line (sprintf "    tape.Watch(x%d);" k))
    s.Vars |> Array.iteri (fun k v -> if not v.Trainable then line (sprintf "    tape.Watch(v%d);" k))
    s.Body |> Array.iteri (fun i st ->
        match s.Plan.StopRange with
        | Some(a, _) when a = i -> line "    using (outer.StopRecording()) {"
        | _ -> ()
        match st with
        | Read(k, Some j) -> line (sprintf "    v%d.Assign(TF.Constant(%s));" k (arrayLiteral F64 s.Vars.[k].VShape s.Vars.[k].Values.[j]))
        | _ -> ()
        line (sprintf "    var t%d = %s;%s" i (stmtText st) (if i = s.Output then "  // the result" else ""))
        match s.Plan.StopRange with
        | Some(_, b) when b = i + 1 -> line "    }"
        | _ -> ())
    line "}"
    sb.ToString()

// ------------------------------------------------------------------ features

/// The generators that can be switched on and off (NABLA_FUZZ_FEATURES, e.g. "default,+nan,-variables" or "all").
type Features =
    { /// NaN and infinities in the inputs (values and exceptions are checked; derivatives only for no exception).
      Nan: bool
      /// Axes of extent 0 in inputs and created tensors.
      Empty: bool
      /// Variables read by the program (auto-watched when trainable).
      Variables: bool
      /// Variables assigned between reads, and after the recording before a persistent tape's second gradient.
      Assign: bool
      /// The PINN idiom: a persistent tape's own Gradient called inside its block, then differentiated.
      Pinn: bool
      /// StopRecording on an outer tape while an inner tape records the same values.
      StopRecording: bool
      /// Tapes nested to depth 3 (third order).
      Nested3: bool
      /// Programs ending in a statement that must throw (shapes, axes, dtypes, indices).
      Invalid: bool
      /// Fractional weak scalars with integer tensors (must throw).
      IntFraction: bool
      /// Shapes whose element count overflows int (must throw).
      Overflow: bool
      /// Float32 values (casts both ways) inside Float64 programs.
      Float32: bool
      /// Second derivatives through Nabla.Core's Control.customGradient (the core run of a program with custom
      /// gradients, compared at second order).
      CoreCustom2: bool
      /// Second and third derivatives through ReduceProd of a group holding an exact zero.
      ProdZero2: bool }

let defaultFeatures =
    { Nan = true
      Empty = true
      Variables = true
      Assign = true
      Pinn = true
      StopRecording = true
      Nested3 = true
      Invalid = true
      IntFraction = true
      Overflow = true
      Float32 = true
      CoreCustom2 = false
      ProdZero2 = false }

let allFeatures =
    { Nan = true
      Empty = true
      Variables = true
      Assign = true
      Pinn = true
      StopRecording = true
      Nested3 = true
      Invalid = true
      IntFraction = true
      Overflow = true
      Float32 = true
      CoreCustom2 = true
      ProdZero2 = true }

let featureNames =
    [ "nan"; "empty"; "variables"; "assign"; "pinn"; "stoprecording"; "nested3"; "invalid"; "intfraction"; "overflow"; "float32"; "corecustom2"; "prodzero2" ]

let private setFeature (f: Features) (name: string) (on: bool) =
    match name with
    | "nan" -> { f with Nan = on }
    | "empty" -> { f with Empty = on }
    | "variables" -> { f with Variables = on }
    | "assign" -> { f with Assign = on }
    | "pinn" -> { f with Pinn = on }
    | "stoprecording" -> { f with StopRecording = on }
    | "nested3" -> { f with Nested3 = on }
    | "invalid" -> { f with Invalid = on }
    | "intfraction" -> { f with IntFraction = on }
    | "overflow" -> { f with Overflow = on }
    | "float32" -> { f with Float32 = on }
    | "corecustom2" -> { f with CoreCustom2 = on }
    | "prodzero2" -> { f with ProdZero2 = on }
    | other -> failwithf "unknown fuzz feature '%s' (known: %s)" other (String.Join(", ", featureNames))

/// "default", "all", "none", then "+name" / "-name" / "name" items, comma-separated.
let parseFeatures (text: string) =
    let none = { allFeatures with Nan = false; Empty = false; Variables = false; Assign = false; Pinn = false; StopRecording = false
                                  Nested3 = false; Invalid = false; IntFraction = false; Overflow = false; Float32 = false
                                  CoreCustom2 = false; ProdZero2 = false }
    text.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
    |> Array.fold
        (fun f item ->
            match item.ToLowerInvariant() with
            | "default" -> defaultFeatures
            | "all" -> allFeatures
            | "none" -> none
            | i when i.StartsWith "-" -> setFeature f (i.Substring 1) false
            | i when i.StartsWith "+" -> setFeature f (i.Substring 1) true
            | i -> setFeature f i true)
        defaultFeatures


// ------------------------------------------------------------------ the generator

let private allUnOps = [ Negative; Square; Sqrt; Exp; Log; Log1p; Sin; Cos; Tan; Tanh; Sigmoid; Relu; Softplus; Abs; Sign; StopGradient ]
let private allBinOps = [ Add; Subtract; Multiply; Divide; Pow; Maximum; Minimum ]
let private allCmpOps = [ Equal; NotEqual; Greater; Less; GreaterEqual; LessEqual ]
let private allRedOps = [ ReduceSum; ReduceMean; ReduceMax; ReduceMin; ReduceProd; ReduceLogSumExp ]

/// A scenario from a seed. Statements are proposed at random and kept only when the reference accepts them (a
/// valid op; values finite, at most 1e4 in magnitude and at most 48 elements; arguments of log, sqrt, pow, division
/// and tan away from their domain edges unless NaN inputs are on), so programs are valid and mostly smooth by
/// construction. `size` (FsCheck's) bounds the number of statements.
let generate (f: Features) (sizeParam: int) (seed: int) : Scenario =
    let rng = Random(seed)
    let chance (p: float) = rng.NextDouble() < p
    let pick (xs: 'a list) = xs.[rng.Next xs.Length]
    let value () = Math.Round(-2.0 + 4.0 * rng.NextDouble(), 2)
    let shapeOf (maxRank: int) =
        let rank = rng.Next(0, maxRank + 1)
        let s = Array.init rank (fun _ -> rng.Next(1, 5))
        let s = if size s > 16L then Array.map (fun d -> min d 2) s else s
        if f.Empty && rank > 0 && chance 0.15 then s.[rng.Next rank] <- 0
        s
    let dataOf (n: int) (specials: bool) =
        let d = Array.init n (fun _ -> value ())
        if specials && f.Nan && n > 0 && chance 0.4 then
            for _ in 1 .. rng.Next(1, 3) do d.[rng.Next n] <- pick [ nan; Double.PositiveInfinity; Double.NegativeInfinity ]
        d
    let slots = Array.init (rng.Next(1, 4)) (fun _ -> let s = shapeOf 3 in { Shape = s; Data = dataOf (int (size s)) true })
    let vars =
        if f.Variables && chance 0.4 then
            Array.init (rng.Next(1, 3)) (fun _ ->
                let s = shapeOf 2
                { VShape = s
                  Values = Array.init (1 + (if f.Assign then rng.Next(1, 3) else 0)) (fun _ -> dataOf (int (size s)) false)
                  Trainable = chance 0.8 })
        else [||]
    let current = vars |> Array.map (fun v -> v.Values.[0])
    let body = ResizeArray<Stmt>()
    let vals = ResizeArray<V>()
    /// Whether a value depends on an input or a variable (a differentiable path), and how often it is used.
    let dep = ResizeArray<bool>()
    let uses = ResizeArray<int>()
    let anySpecial = slots |> Array.exists (fun sl -> sl.Data |> Array.exists (fun x -> not (Double.IsFinite x)))
    let guard = not f.Nan

    /// Values within rounding of a jump of a discontinuous op (a cast to an integer or Bool, a comparison, Sign, an
    /// argmax tie): the library and the reference may round to either side, so such statements are not generated.
    let nearJump (st: Stmt) =
        let near (eps: float) (xs: float[]) (target: float -> float) = xs |> Array.exists (fun x -> Double.IsFinite x && abs (x - target x) < eps * (1.0 + abs x))
        match st with
        | Cast((I32 | I64), a) when vals.[a].DT.IsFloat -> near 1e-6 vals.[a].Data Math.Round
        | Cast(B, a) when vals.[a].DT.IsFloat -> near 1e-6 vals.[a].Data (fun _ -> 0.0)
        | Un(Sign, a) when vals.[a].DT.IsFloat -> near 1e-6 vals.[a].Data (fun _ -> 0.0)
        | Cmp(_, Ref i, Ref j) when i = j -> false
        | Cmp(_, a, b) ->
            let value (x: Arg) = match x with Ref i -> vals.[i].Shape, vals.[i].Data | Lit l -> [||], [| l |]
            let sa, da = value a
            let sb, db = value b
            let _, diff = Reference.map2 (fun p q -> p - q) (sa, da) (sb, db)
            near 1e-6 diff (fun _ -> 0.0)
        | ArgExt(_, axis, a) when vals.[a].Shape.Length > 0 ->
            let x = vals.[a]
            let ax = if axis < 0 then axis + x.Shape.Length else axis
            let gap (fiber: float[]) =
                let sorted = Array.sort fiber
                if sorted.Length < 2 then infinity
                else min (sorted.[1] - sorted.[0]) (sorted.[sorted.Length - 1] - sorted.[sorted.Length - 2])
            let _, gaps = Reference.alongAxis ax (fun fiber -> Array.create fiber.Length (gap fiber)) (x.Shape, x.Data)
            gaps |> Array.exists (fun g -> g < 1e-6)
        | _ -> false

    /// Evaluates `st` as the next statement; keeps it when acceptable.
    let tryAddWith (leafOk: bool) (st: Stmt) : int option =
        let input =
            match st with
            | Input k -> [| mkV F64 slots.[k].Shape slots.[k].Data false |]
            | Read(k, assign) -> [| mkV F64 vars.[k].VShape (match assign with Some j -> vars.[k].Values.[j] | None -> current.[k]) false |]
            | _ -> [||]
        let ctx = { Inputs = input; ReadIndex = Array.zeroCreate (body.Count + 1); Frozen = (fun _ -> None); Sig = ResizeArray() }
        let all = Array.append (vals.ToArray()) [| Unchecked.defaultof<V> |]
        match (try (if nearJump st then None else Some(evalStmt ctx all body.Count st)) with Invalid _ -> None) with
        | None -> None
        | Some v ->
            let finite = v.Data |> Array.forall Double.IsFinite
            // (with empty tensors, TensorFlow's identity of an empty max/min, the largest finite value, is allowed)
            let bounded = v.Data |> Array.forall (fun x -> not (Double.IsFinite x) || abs x <= 1e4 || (f.Empty && abs x >= 3e38))
            let emptyCase = vals |> Seq.exists (fun u -> u.Data.Length = 0)
            let finiteOk = finite || f.Nan || anySpecial || (f.Empty && emptyCase)
            let emptyOk = f.Empty || v.Data.Length > 0 || (vals |> Seq.exists (fun u -> u.Data.Length = 0))
            if (leafOk || v.Data.Length <= 48) && emptyOk && bounded && finiteOk && (f.Nan || not v.Unspec) then
                match st with
                | Read(k, Some j) -> current.[k] <- vars.[k].Values.[j]
                | _ -> ()
                body.Add st
                vals.Add v
                let rs = refsOf st
                dep.Add((match st with Input _ | Read _ -> true | _ -> false) || (rs |> List.exists (fun j -> dep.[j])))
                uses.Add 0
                for j in rs do uses.[j] <- uses.[j] + 1
                Some(body.Count - 1)
            else None
    let tryAdd st = tryAddWith false st
    let add st = tryAddWith true st |> Option.defaultWith (fun () -> failwithf "generator: leaf %A rejected" st)

    let indices (p: V -> bool) = [ for i in 0 .. vals.Count - 1 do if p vals.[i] then yield i ]
    /// Recent values are likelier (long chains), older ones still reachable (sharing).
    let pickRecent (xs: int list) =
        match xs with
        | [] -> None
        | _ when chance 0.6 -> Some(xs.[max 0 (xs.Length - 1 - rng.Next(min 3 xs.Length))])
        | _ -> Some(pick xs)
    let floats () = indices (fun v -> v.DT.IsFloat)
    let ints () = indices (fun v -> v.DT.IsInt)
    let bools () = indices (fun v -> v.DT = B)
    let shapeOfIdx i = vals.[i].Shape
    let dtOf i = vals.[i].DT
    let broadcastable (s: int[]) =
        let drop = rng.Next(0, s.Length + 1)
        let kept = s.[drop..] |> Array.map (fun d -> if chance 0.3 then 1 else d)
        if chance 0.15 && kept.Length < 3 then Array.append [| rng.Next(1, 4) |] (Array.map (fun _ -> 1) s) else kept
    let compatible (i: int) =
        indices (fun v -> v.DT = dtOf i && (try broadcastShape "" v.Shape (shapeOfIdx i) |> ignore; true with Invalid _ -> false))

    /// A constant-valued leaf of the given shape and dtype (one of the creation ops).
    let leafIn (s: int[]) (dt: DT) (lo: float) (hi: float) =
        let n = int (size s)
        let data () = Array.init n (fun _ -> Math.Round(lo + (hi - lo) * rng.NextDouble(), 2))
        let st =
            match rng.Next 12 with
            | 0 -> Create(Fill(s, Math.Round(lo + (hi - lo) * rng.NextDouble(), 2), dt))
            | 1 when lo <= 1.0 && 1.0 <= hi -> Create(Ones(s, dt))
            | 2 when lo <= 0.0 && 0.0 <= hi -> Create(Zeros(s, dt))
            | 3 when lo = -2.0 -> Create(RandomNormal(s, 0.0, 0.5, dt, rng.Next 1000))
            | 4 -> Create(RandomUniform(s, lo, hi, dt, rng.Next 1000))
            | 5 when s.Length = 1 -> Create(Linspace(Math.Round(lo, 1), Math.Round(hi, 1), s.[0], dt))
            | 6 when s.Length = 2 && s.[0] = s.[1] && lo <= 0.0 && hi >= 1.0 -> Create(Eye(s.[0], dt))
            | 7 when s.Length = 1 && s.[0] > 0 && lo = -2.0 ->
                let delta = pick [ 0.5; 0.25; -0.5 ]
                let start = if delta > 0.0 then -1.0 else 1.0
                Create(Range(start, start + delta * (float s.[0] - 0.5), delta, dt))
            | _ -> Const(dt, s, data (), chance 0.2)
        add st
    let leaf (s: int[]) (dt: DT) = leafIn s dt -2.0 2.0
    let intLeaf (s: int[]) (n: int) (dt: DT) = add (Const(dt, s, Array.init (int (size s)) (fun _ -> float (rng.Next n)), false))

    let domainOk (op: UnOp) (x: V) =
        not guard
        || (let d = x.Data
            match op with
            | Sqrt | Log -> d |> Array.forall (fun v -> v > 0.05)
            | Log1p -> d |> Array.forall (fun v -> v > -0.95)
            | Tan -> d |> Array.forall (fun v -> abs (Math.Cos v) > 0.15)
            | Exp -> d |> Array.forall (fun v -> v < 8.0)
            | _ -> true)

    /// The main operand: a float value on a differentiable path, preferably one nothing uses yet (so programs are
    /// chains and DAGs rather than many dead ends), recent ones likelier.
    let pickMain () =
        let onPath = floats () |> List.filter (fun i -> dep.[i])
        let dangling = onPath |> List.filter (fun i -> uses.[i] = 0)
        match dangling, onPath with
        | _ :: _, _ when chance 0.7 -> pickRecent dangling
        | _, _ :: _ -> pickRecent onPath
        | _ -> pickRecent (floats ())

    let propose () : Stmt option =
        match pickMain () with
        | None -> None
        | Some a ->
        let av = vals.[a]
        let r = av.Shape.Length
        let dt = av.DT
        match rng.Next 100 with
        | k when k < 22 ->
            let op = pick allUnOps
            if domainOk op av then Some(Un(op, a)) else None
        | k when k < 44 ->
            let op = pick allBinOps
            let partner =
                match rng.Next 10 with
                | 0 | 1 | 2 -> Lit(if op = Pow then pick [ 2.0; 3.0; 0.5; -1.0; 1.5 ] else value ())
                | 3 | 4 | 5 -> (match pickRecent (compatible a) with Some b -> Ref b | None -> Ref(leaf (broadcastable av.Shape) dt))
                | _ -> Ref(if op = Pow || op = Divide then leafIn (broadcastable av.Shape) dt 0.3 2.0 else leaf (broadcastable av.Shape) dt)
            let left, right = if op <> Pow && chance 0.3 then partner, Ref a else Ref a, partner
            let ok =
                not guard
                || (match op, left, right with
                    | Divide, _, Ref b -> vals.[b].Data |> Array.forall (fun v -> abs v > 0.1)
                    | Divide, _, Lit l -> abs l > 0.1
                    | Pow, Ref b, Lit l when l <> Math.Round l -> vals.[b].Data |> Array.forall (fun v -> v > 0.1)
                    | Pow, Ref b, Lit l -> vals.[b].Data |> Array.forall (fun v -> abs v > 0.1 || l > 0.0)
                    | Pow, Ref b, Ref _ -> vals.[b].Data |> Array.forall (fun v -> v > 0.1)
                    | _ -> true)
            if ok then Some(Bin(op, left, right, chance 0.5)) else None
        | k when k < 56 ->
            let op = pick allRedOps
            let axes =
                if r = 0 then All
                else
                    match rng.Next 10 with
                    | 0 | 1 | 2 -> All
                    | 3 | 4 | 5 | 6 -> One(let ax = rng.Next r in if chance 0.4 then ax - r else ax)
                    | _ ->
                        let chosen = [| for i in 0 .. r - 1 do if chance 0.5 then yield (if chance 0.4 then i - r else i) |]
                        Many chosen
            Some(Reduce(op, axes, chance 0.4, a))
        | k when k < 60 && r >= 1 ->
            let ax = rng.Next r
            Some(Softmax(chance 0.5, (if chance 0.5 then ax - r else ax), a))
        | k when k < 64 ->
            // MatMul: the existing value on either side, a leaf (or a compatible value) on the other
            if r < 2 then
                if r = 1 && av.Shape.[0] > 0 && chance 0.5 then
                    let m = rng.Next(1, 4)
                    let ta = chance 0.5
                    let n = av.Shape.[0]
                    let mat = leaf (if ta then [| n; m |] else [| m; n |]) dt
                    Some(MatVec(mat, a, ta))
                else None
            else
                let ta, tb = chance 0.5, chance 0.5
                let rows, cols = av.Shape.[r - 2], av.Shape.[r - 1]
                let batch = broadcastable av.Shape.[.. r - 3]
                if chance 0.5 then
                    let kdim = if ta then rows else cols
                    let n = rng.Next(1, 4)
                    let b = leaf (Array.append batch (if tb then [| n; kdim |] else [| kdim; n |])) dt
                    Some(MatMul(a, b, ta, tb))
                elif chance 0.5 then
                    let kdim = if tb then cols else rows
                    let m = rng.Next(1, 4)
                    let b = leaf (Array.append batch (if ta then [| kdim; m |] else [| m; kdim |])) dt
                    Some(MatMul(b, a, ta, tb))
                else
                    let n = if ta then rows else cols
                    let v = leaf (Array.append (broadcastable av.Shape.[.. r - 3]) [| n |]) dt
                    Some(MatVec(a, v, ta))
        | k when k < 67 ->
            if r = 0 then None
            else Some(Transpose((if chance 0.3 then None else Some(Array.init r id |> Array.sortBy (fun _ -> rng.Next()))), a))
        | k when k < 70 ->
            let n = av.Data.Length
            let rank = rng.Next(0, 4)
            let dims =
                if n = 0 then Array.init (max rank 1) (fun i -> if i = 0 then 0 else rng.Next(1, 3))
                elif rank = 0 then (if n = 1 then [||] else [| n |])
                else
                    let ds = Array.create rank 1
                    let mutable rest = n
                    for i in 0 .. rank - 2 do
                        let divisors = [ for d in 1 .. rest do if rest % d = 0 then yield d ]
                        ds.[i] <- pick divisors
                        rest <- rest / ds.[i]
                    ds.[rank - 1] <- rest
                    ds
            let dims = if n > 0 && dims.Length > 0 && chance 0.4 then (let j = rng.Next dims.Length in Array.updateAt j -1 dims) else dims
            Some(Reshape(dims, a))
        | k when k < 73 -> Some(ExpandDims(rng.Next(-r - 1, r + 1), a))
        | k when k < 75 ->
            let ones = [ for i in 0 .. r - 1 do if av.Shape.[i] = 1 then yield i ]
            match ones with
            | [] -> Some(Squeeze(None, a))
            | _ -> Some(Squeeze((if chance 0.4 then None else Some(let i = pick ones in if chance 0.5 then i - r else i)), a))
        | k when k < 78 && r >= 1 ->
            let ax = rng.Next r
            let others =
                [ for _ in 1 .. rng.Next(1, 3) ->
                    let s = Array.copy av.Shape
                    s.[ax] <- rng.Next((if f.Empty then 0 else 1), 3)
                    match compatible a |> List.filter (fun j -> vals.[j].Shape = s) with
                    | j :: _ when chance 0.5 -> j
                    | _ -> leaf s dt ]
            let items = if chance 0.5 then a :: others else others @ [ a ]
            Some(Concat(items, (if chance 0.4 then ax - r else ax)))
        | k when k < 80 ->
            let others = [ for _ in 1 .. rng.Next(1, 3) -> leaf av.Shape dt ]
            Some(Stack((if chance 0.5 then a :: others else others @ [ a ]), rng.Next(-r - 1, r + 1)))
        | k when k < 83 && r >= 1 ->
            let ax = rng.Next r
            let n = av.Shape.[ax]
            if n = 0 then None
            else
                let fitting = ints () |> List.filter (fun j -> vals.[j].Data |> Array.forall (fun v -> v >= 0.0 && v < float n))
                let idx =
                    match fitting with
                    | j :: _ when chance 0.4 -> pick fitting
                    | _ -> intLeaf (shapeOf 2) n (pick [ I32; I64 ])
                Some(Gather(a, idx, (if chance 0.4 then ax - r else ax)))
        | k when k < 86 && r >= 1 ->
            let start = av.Shape |> Array.map (fun d -> rng.Next(0, d + 1))
            let extent = Array.map2 (fun d s -> if chance 0.25 then -1 else rng.Next(0, d - s + 1)) av.Shape start
            let extent = if f.Empty then extent else Array.map2 (fun e (d, s) -> if e = 0 && d - s > 0 then 1 else e) extent (Array.zip av.Shape start)
            Some(Slice(a, start, extent))
        | k when k < 89 ->
            match dt with
            | F32 -> Some(Cast(F64, a))
            | _ ->
                match rng.Next 4 with
                | 0 when f.Float32 -> Some(Cast(F32, a))
                | 1 -> Some(Cast(pick [ I32; I64 ], a))
                | 2 -> Some(Cmp(pick allCmpOps, Ref a, (match pickRecent (compatible a) with Some b when chance 0.5 -> Ref b | _ -> Lit(value ()))))
                | _ -> Some(Cast(B, a))
        | k when k < 92 ->
            match bools () |> List.filter (fun c -> (try broadcastShape "" vals.[c].Shape av.Shape |> ignore; true with Invalid _ -> false)) with
            | [] -> Some(Cmp(pick allCmpOps, Ref a, Lit(value ())))
            | cs ->
                let other = match pickRecent (compatible a) with Some b when chance 0.6 -> Ref b | _ -> Lit(value ())
                Some(if chance 0.5 then Where(pick cs, Ref a, other) else Where(pick cs, other, Ref a))
        | k when k < 94 ->
            if chance 0.6 then
                let lo = Math.Round(-1.5 * rng.NextDouble(), 2)
                Some(Clip(a, Lit lo, Lit(lo + Math.Round(0.1 + 2.0 * rng.NextDouble(), 2))))
            else
                let lo = leafIn (broadcastable av.Shape) dt -1.5 0.0
                let hi = leafIn (broadcastable av.Shape) dt 0.05 1.5
                Some(Clip(a, Ref lo, Ref hi))
        | k when k < 95 && r >= 1 ->
            match ints () |> List.filter (fun j -> vals.[j].Data |> Array.forall (fun v -> v >= 0.0 && v < 4.0)) with
            | [] -> Some(ArgExt(chance 0.5, rng.Next(-r, r), a))
            | js -> Some(OneHot(pick js, rng.Next(1, 5), dt))
        | k when k < 97 && r >= 1 ->
            match rng.Next 3 with
            | 0 ->
                let ax = rng.Next(-r, r)
                let labels = match compatible a |> List.filter (fun j -> vals.[j].Shape = av.Shape) with j :: _ when chance 0.3 -> j | _ -> leafIn av.Shape dt 0.0 1.0
                Some(SoftmaxCE(labels, a, ax))
            | 1 when av.Shape.[r - 1] > 0 ->
                Some(SparseCE(intLeaf av.Shape.[.. r - 2] av.Shape.[r - 1] (pick [ I32; I64 ]), a))
            | _ -> Some(SigmoidCE(leafIn av.Shape dt 0.0 1.0, a))
        | k when k < 98 && r >= 2 -> Some(BiasAdd(a, leaf [| av.Shape.[r - 1] |] dt))
        | k when k < 99 ->
            if chance 0.5 then Some(Custom1(pick [ CustomSin; CustomSquare ], a))
            else Some(CustomProduct(a, (match compatible a |> List.filter (fun j -> vals.[j].Shape = av.Shape) with j :: _ when chance 0.5 -> j | _ -> leaf av.Shape dt)))
        | _ ->
            match rng.Next 4 with
            | 0 when vars.Length > 0 ->
                let k = rng.Next vars.Length
                Some(Read(k, (if f.Assign && chance 0.5 then Some(rng.Next(1, vars.[k].Values.Length)) else None)))
            | 1 -> Some(Input(rng.Next slots.Length))
            | 2 -> Some(Like(chance 0.5, a))
            | _ ->
                // integer arithmetic on an integer value
                match pickRecent (ints ()) with
                | Some j ->
                    match rng.Next 3 with
                    | 0 -> Some(Un(pick [ Negative; Square; Abs; Sign; Relu ], j))
                    | 1 -> Some(Bin(pick [ Add; Subtract; Multiply; Maximum; Minimum ], Ref j, Lit(float (rng.Next(-2, 3))), chance 0.5))
                    | _ -> Some(Cast(F64, j))
                | None -> Some(Cast(I32, a))

    // inputs first, so every slot and variable can be reached
    for k in 0 .. slots.Length - 1 do add (Input k) |> ignore
    for k in 0 .. vars.Length - 1 do add (Read(k, None)) |> ignore
    let target = body.Count + 1 + rng.Next(1, 3 + min 14 (sizeParam / 6))
    let mutable attempts = 0
    while body.Count < target && attempts < 200 do
        attempts <- attempts + 1
        match (try propose () with Invalid _ -> None) with
        | Some st -> tryAdd st |> ignore
        | None -> ()
    // int and bool results are cast back, so the result is a float
    let lastFloat () = [ 0 .. vals.Count - 1 ] |> List.filter (fun i -> vals.[i].DT.IsFloat) |> List.last
    let mutable output = vals.Count - 1
    if not vals.[output].DT.IsFloat then
        output <- (match tryAdd (Cast(F64, output)) with Some i -> i | None -> lastFloat ())
    // the values left dangling join the result (as sums), so most statements are live
    if chance 0.7 then
        for d in [ 0 .. vals.Count - 1 ] |> List.filter (fun i -> dep.[i] && uses.[i] = 0 && i <> output && vals.[i].DT = vals.[output].DT) do
            match tryAdd (Reduce(ReduceSum, All, false, d)) with
            | Some r ->
                match tryAdd (Bin(Add, Ref output, Ref r, chance 0.5)) with
                | Some o -> output <- o
                | None -> ()
            | None -> ()
    // deliberately invalid endings: the program must throw an ArgumentException naming the op
    if f.Invalid && chance 0.12 then
        let a = output
        let av = vals.[a]
        let r = av.Shape.Length
        let candidates: (unit -> Stmt) list =
            [ yield fun () -> Bin(pick allBinOps, Ref a, Ref(leaf (Array.init (max r 1) (fun i -> if r > 0 && av.Shape.[i] > 1 then av.Shape.[i] + 1 else 3)) av.DT), false)
              yield fun () -> Reduce(pick allRedOps, One(r + rng.Next(0, 2)), false, a)
              if r >= 1 then yield fun () -> Reduce(pick allRedOps, Many [| 0; -r |], false, a)
              yield fun () -> Reshape([| av.Data.Length + 1 |], a)
              yield fun () -> Reshape([| -1; -1 |], a)
              yield fun () -> ExpandDims(r + 2, a)
              yield fun () -> Softmax(chance 0.5, r + 1, a)
              yield fun () -> ArgExt(chance 0.5, r, a)
              yield fun () -> Transpose(Some(Array.create (r + 1) 0), a)
              yield fun () -> Bin(Add, Ref a, Ref(add (Const(F32, av.Shape, Array.create av.Data.Length 1.0, false))), chance 0.5)
              yield fun () -> MatMul(a, leaf [| 7; 5 |] av.DT, false, false)
              yield fun () -> Un(pick [ Exp; Log; Sqrt; Sin; Tanh ], add (Const(I32, [| 2 |], [| 1.0; 2.0 |], false)))
              if r >= 1 then yield fun () -> Gather(a, add (Const(I32, [| 2 |], [| 0.0; 99.0 |], false)), 0)
              yield fun () -> Where(a, Ref a, Ref a)
              yield fun () -> Concat([ a; leaf (Array.append (Array.create (max r 1) 1) [| 2; 2 |]) av.DT ], 0)
              yield fun () -> Stack([ a; leaf (Array.append av.Shape [| 3 |]) av.DT ], 0)
              yield fun () -> BiasAdd(a, leaf [| 9 |] av.DT)
              yield fun () -> OneHot(a, 3, F64)
              yield fun () -> SparseCE(add (Const(I32, [| 1 |], [| 5.0 |], false)), leaf [| 1; 3 |] av.DT)
              if r >= 1 then yield fun () -> Slice(a, Array.create r 0, Array.map (fun d -> d + 1) av.Shape)
              if r >= 1 && av.Shape |> Array.exists (fun d -> d <> 1) then
                  yield fun () -> Squeeze(Some(av.Shape |> Array.findIndex (fun d -> d <> 1)), a)
              // (an Int32 constant, not a cast of the program's value: a cast near a rounding jump is not generated)
              if f.IntFraction then yield fun () -> Bin(Multiply, Ref(add (Const(I32, [| 3 |], [| -1.0; 0.0; 2.0 |], false))), Lit 0.5, true)
              if f.Overflow then
                  yield fun () -> Create(Ones([| 65536; 65536 |], F64))
                  yield fun () -> Create(Fill([| 100000; 30000 |], 1.0, F32))
                  if av.Data.Length = 0 then yield fun () -> Reshape([| 65536; 65536 |], a) ]
        let st = (pick candidates) ()
        let ctx = { Inputs = [||]; ReadIndex = Array.zeroCreate (body.Count + 1); Frozen = (fun _ -> None); Sig = ResizeArray() }
        let all = Array.append (vals.ToArray()) [| Unchecked.defaultof<V> |]
        let rejected = try evalStmt ctx all body.Count st |> ignore; false with Invalid _ -> true
        if rejected then
            body.Add st
            output <- body.Count - 1
    let order = if f.Nested3 && chance 0.15 then 3 elif chance 0.45 then 2 else 1
    let persistent = chance 0.5
    let n = body.Count
    { Slots = slots
      Vars = vars
      Body = body.ToArray()
      Output = output
      Plan =
        { Order = order
          Persistent = persistent
          Pinn = f.Pinn && order >= 2 && chance 0.5
          StopRange = (if f.StopRecording && chance 0.35 then (let a = rng.Next n in Some(a, rng.Next(a + 1, n + 1))) else None)
          AssignAfter = f.Assign && vars.Length > 0 && chance 0.5 }
      Seed = rng.Next 1_000_000_000 }

// ------------------------------------------------------------------ the shrinker

/// The statements the output depends on.
let live (s: Scenario) =
    let used = Array.create s.Body.Length false
    used.[s.Output] <- true
    for i in s.Output .. -1 .. 0 do
        if used.[i] then for j in refsOf s.Body.[i] do used.[j] <- true
    used

/// Removes statement i, its uses replaced by statement `by` (< i); later indices shift down.
let removeStmt (s: Scenario) (i: int) (by: int) =
    let remap j = if j = i then by elif j > i then j - 1 else j
    { s with
        Body = s.Body |> Array.indexed |> Array.filter (fun (j, _) -> j <> i) |> Array.map (snd >> mapRefs remap)
        Output = remap s.Output
        Plan = { s.Plan with StopRange = s.Plan.StopRange |> Option.bind (fun (a, b) -> let a', b' = remap a, (if b > i then b - 1 else b) in if a' < b' then Some(a', b') else None) } }

/// Drops the statements after the output and those it does not depend on, then the slots and variables no
/// statement uses any more.
let compact (s: Scenario) =
    let s = { s with Body = s.Body.[.. s.Output]; Plan = { s.Plan with StopRange = s.Plan.StopRange |> Option.map (fun (a, b) -> a, min b (s.Output + 1)) |> Option.filter (fun (a, b) -> a < b) } }
    let used = live s
    let mutable r = s
    for i in s.Body.Length - 1 .. -1 .. 0 do
        if not used.[i] then r <- removeStmt r i 0
    for k in r.Vars.Length - 1 .. -1 .. 0 do
        if not (r.Body |> Array.exists (function Read(j, _) -> j = k | _ -> false)) then
            r <- { r with Vars = Array.removeAt k r.Vars; Body = r.Body |> Array.map (function Read(j, a) when j > k -> Read(j - 1, a) | st -> st) }
    for k in r.Slots.Length - 1 .. -1 .. 0 do
        if not (r.Body |> Array.exists (function Input j -> j = k | _ -> false)) && r.Slots.Length > 1 then
            r <- { r with Slots = Array.removeAt k r.Slots; Body = r.Body |> Array.map (function Input j when j > k -> Input(j - 1) | st -> st) }
    r

let private roundData (digits: int) (d: float[]) = d |> Array.map (fun v -> if Double.IsFinite v then Math.Round(v, digits) else v)

/// Smaller scenarios, simplest first: a simpler plan, an earlier output, fewer statements (a statement replaced by
/// one of its operands), unused inputs and variables dropped, rounder data and literals.
let shrink (s: Scenario) : seq<Scenario> =
    seq {
        let p = s.Plan
        if p.Order > 1 then yield { s with Plan = { p with Order = p.Order - 1; Pinn = p.Pinn && p.Order - 1 >= 2 } }
        if p.Pinn then yield { s with Plan = { p with Pinn = false } }
        if p.StopRange.IsSome then yield { s with Plan = { p with StopRange = None } }
        match p.StopRange with
        | Some(a, b) when b - a > 1 ->
            yield { s with Plan = { p with StopRange = Some(a + 1, b) } }
            yield { s with Plan = { p with StopRange = Some(a, b - 1) } }
        | _ -> ()
        if p.AssignAfter then yield { s with Plan = { p with AssignAfter = false } }
        if p.Persistent then yield { s with Plan = { p with Persistent = false } }
        let c = compact s
        if c.Body.Length < s.Body.Length then yield c
        // an earlier result
        for j in 0 .. s.Output - 1 do
            match s.Body.[j] with
            | Input _ | Read _ -> ()
            | _ -> yield compact { s with Output = j }
        // a statement replaced by one of its operands, or by an input
        for i in s.Output .. -1 .. 0 do
            match s.Body.[i] with
            | Input _ | Read _ -> ()
            | st ->
                for j in List.distinct (refsOf st) do
                    if i <> s.Output then yield compact (removeStmt s i j)
                    else yield compact { (removeStmt s i j) with Output = j }
        // unused variables and slots, and reads without their assignment
        for i in 0 .. s.Body.Length - 1 do
            match s.Body.[i] with
            | Read(k, Some _) -> yield { s with Body = Array.updateAt i (Read(k, None)) s.Body }
            | _ -> ()
        for k in s.Vars.Length - 1 .. -1 .. 0 do
            if not (s.Body |> Array.exists (function Read(j, _) -> j = k | _ -> false)) then
                yield { s with Vars = Array.removeAt k s.Vars; Body = s.Body |> Array.map (function Read(j, a) when j > k -> Read(j - 1, a) | st -> st) }
        for k in s.Slots.Length - 1 .. -1 .. 0 do
            if not (s.Body |> Array.exists (function Input j -> j = k | _ -> false)) && s.Slots.Length > 1 then
                yield { s with Slots = Array.removeAt k s.Slots; Body = s.Body |> Array.map (function Input j when j > k -> Input(j - 1) | st -> st) }
        // rounder numbers
        for k in 0 .. s.Slots.Length - 1 do
            for digits in [ 0; 1 ] do
                let d = roundData digits s.Slots.[k].Data
                if d <> s.Slots.[k].Data then yield { s with Slots = Array.updateAt k { s.Slots.[k] with Data = d } s.Slots }
        for i in 0 .. s.Body.Length - 1 do
            let simpler =
                match s.Body.[i] with
                | Const(dt, sh, d, conv) ->
                    [ if conv then yield Const(dt, sh, d, false)
                      let r0 = roundData 0 d
                      if r0 <> d then yield Const(dt, sh, r0, conv) ]
                | Bin(op, a, b, true) -> [ Bin(op, a, b, false) ]
                | Bin(op, Lit l, b, o) when l <> Math.Round l -> [ Bin(op, Lit(Math.Round l), b, o) ]
                | Bin(op, a, Lit l, o) when l <> Math.Round l -> [ Bin(op, a, Lit(Math.Round l), o) ]
                | Reduce(op, (One _ | Many _), k, a) -> [ Reduce(op, All, k, a) ]
                | Reduce(op, ax, true, a) -> [ Reduce(op, ax, false, a) ]
                | Create(RandomNormal(sh, _, _, dt, _)) | Create(RandomUniform(sh, _, _, dt, _)) -> [ Create(Ones(sh, dt)) ]
                | Create(Fill(sh, _, dt)) -> [ Create(Ones(sh, dt)) ]
                | _ -> []
            for st in simpler do yield { s with Body = Array.updateAt i st s.Body }
    }
