module Nabla.Core.Elementwise

open System
open Nabla.Core.Combinators

/// The kernels of the element-wise primitives (SIMD through TensorPrimitives or Simd, split over the kernel threads for
/// large tensors).
module Kernels =
    open System.Numerics.Tensors
    open System.Runtime.InteropServices
    open System.Runtime.Intrinsics
    open Nabla.Core.Storage
    open Nabla.Core.Simd
    open Nabla.Core.Combinators.Kernels

    let neg (t: RawTensor) =
        match t.Data with
        | :? (int[]) as a -> RawTensor(t.DType, t.Shape, Array.map (~-) a)
        | :? (int64[]) as a -> RawTensor(t.DType, t.Shape, Array.map (~-) a)
        | _ -> unaryFloat "Negative" (fun a r o n -> TensorPrimitives.Negate(ReadOnlySpan(a, o, n), Span(r, o, n)))
                                     (fun a r o n -> TensorPrimitives.Negate(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let exp t =
        if simdMath then unaryFloat "Exp" (mapV256 expF32V MathF.Exp) (mapV256 expF64V Math.Exp) t
        else unaryFloat "Exp" (fun a r o n -> TensorPrimitives.Exp(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Exp(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let tanh t =
        // float64 keeps TensorPrimitives' tanh (already ahead of libtorch's here); float32 gets the SIMD one
        if simdMath then unaryFloat "Tanh" (mapV256 tanhF32V MathF.Tanh) (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) t
        else unaryFloat "Tanh" (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Tanh(ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let squareFloat t = unaryFloat "Square" (fun a r o n -> TensorPrimitives.Multiply(ReadOnlySpan(a, o, n), ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Multiply(ReadOnlySpan(a, o, n), ReadOnlySpan(a, o, n), Span(r, o, n))) t
    let sqrt t = unaryFloat "Sqrt" (fun a r o n -> TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), Span(r, o, n))) (fun a r o n -> TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), Span(r, o, n))) t

    let subK =
        { Name = "Subtract"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Subtract(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Subtract(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Subtract(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          I32 = Some(loopRows (-))
          I64 = Some(loopRows (-)) }

    let mulK =
        { Name = "Multiply"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Multiply(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows (*))
          I64 = Some(loopRows (*)) }

    let divK =
        { Name = "Divide"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Divide(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Divide(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Divide(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          I32 = None
          I64 = None }

    let sub x y = binary subK x y
    let mul x y = binary mulK x y
    let div x y = binary divK x y

    // ------------------------------------------------------------------------- element-wise, unary

    let log1pF32 (x: float32) =
        let u = 1.0f + x
        if u = 1.0f then x elif u = Single.PositiveInfinity then u else MathF.Log u * x / (u - 1.0f)
    let log1pF64 (x: float) =
        let u = 1.0 + x
        if u = 1.0 then x elif u = Double.PositiveInfinity then u else Math.Log u * x / (u - 1.0)


    let sigmoidF32 (x: float32) = 1.0f / (1.0f + MathF.Exp(-x))
    let sigmoidF64 (x: float) = 1.0 / (1.0 + Math.Exp(-x))

    let softplusF32 (x: float32) = max x 0.0f + log1pF32 (MathF.Exp(-(abs x)))
    let softplusF64 (x: float) = max x 0.0 + log1pF64 (Math.Exp(-(abs x)))


    /// Applies a numeric map to float and integer tensors alike.
    let inline private numericMap (op: string) ([<InlineIfLambda>] f32: float32 -> float32) ([<InlineIfLambda>] f64: float -> float)
                                  ([<InlineIfLambda>] i32: int -> int) ([<InlineIfLambda>] i64: int64 -> int64) (t: RawTensor) =
        let data: Array =
            match t.Data with
            | :? (float32[]) as a -> Array.map f32 a :> _
            | :? (float[]) as a -> Array.map f64 a :> _
            | :? (int[]) as a -> Array.map i32 a :> _
            | :? (int64[]) as a -> Array.map i64 a :> _
            | _ -> unsupported op t.DType "a float or integer dtype"
        RawTensor(t.DType, t.Shape, data)

    let abs (t: RawTensor) =
        numericMap "Abs" abs abs (fun x -> if x < 0 then -x else x) (fun x -> if x < 0L then -x else x) t
    let signF32 (x: float32) = if x > 0.0f then 1.0f elif x < 0.0f then -1.0f else x
    let signF64 (x: float) = if x > 0.0 then 1.0 elif x < 0.0 then -1.0 else x
    let sign (t: RawTensor) =
        numericMap "Sign" signF32 signF64 (fun x -> int (Math.Sign x)) (fun x -> int64 (Math.Sign x)) t

    let hasNaN (t: RawTensor) =
        if t.IsInlineScalar then Double.IsNaN t.InlineValue
        else
            match t.Data with
            | :? (float32[]) as a -> TensorPrimitives.IsNaNAny(ReadOnlySpan a)
            | :? (float[]) as a -> TensorPrimitives.IsNaNAny(ReadOnlySpan a)
            | _ -> false

    let relu (t: RawTensor) =
        match t.Data with
        | :? (float32[]) | :? (float[]) -> unaryFloat "Relu" reluF32 reluF64 t
        | _ -> numericMap "Relu" id id (fun x -> max x 0) (fun x -> max x 0L) t

    let maskPositive (x: RawTensor) (g: RawTensor) =
        if not (Shape.equal x.Shape g.Shape) then
            invalidArg "g" (sprintf "ReluGrad: x has shape %s and g %s; expected the same shape" (Shape.format x.Shape) (Shape.format g.Shape))
        match x.Data, g.Data with
        | (:? (float32[]) as a), (:? (float32[]) as b) ->
            let r = GC.AllocateUninitializedArray<float32> a.Length
            forChunks a.Length (maskPositiveF32 a b r)
            RawTensor(g.DType, g.Shape, r)
        | (:? (float[]) as a), (:? (float[]) as b) ->
            let r = GC.AllocateUninitializedArray<float> a.Length
            forChunks a.Length (maskPositiveF64 a b r)
            RawTensor(g.DType, g.Shape, r)
        | _ ->
            invalidArg "g" (sprintf "ReluGrad: x has dtype %s and g %s; expected one dtype, Float32 or Float64" (dtypeName x.DType) (dtypeName g.DType))

    let zeroOrNaN (t: RawTensor) = unaryFloat "ZeroOrNaN" zeroOrNaNF32 zeroOrNaNF64 t
    let square (t: RawTensor) = if t.IsFloat then squareFloat t else numericMap "Square" id id (fun x -> x * x) (fun x -> x * x) t

    // ------------------------------------------------------------------------- element-wise, binary

    let powK =
        { Name = "Pow"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Pow(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Pow(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Pow(s, ReadOnlySpan(b, bo, n), Span(r, ro, n))) }
          I32 = Some(loopRows (fun a b -> if b < 0 then 0 else pown a b))
          I64 = Some(loopRows (fun a b -> if b < 0L then 0L else pown a (int b))) }

    let maxK =
        { Name = "Maximum"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Max(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Max(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows max)
          I64 = Some(loopRows max) }

    let minK =
        { Name = "Minimum"
          F32 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          F64 = { VV = (fun a ao b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
                  VS = (fun a ao s r ro n -> TensorPrimitives.Min(ReadOnlySpan(a, ao, n), s, Span(r, ro, n)))
                  SV = (fun s b bo r ro n -> TensorPrimitives.Min(ReadOnlySpan(b, bo, n), s, Span(r, ro, n))) }
          I32 = Some(loopRows min)
          I64 = Some(loopRows min) }

    let pow x y = binary powK x y
    let maximum x y = binary maxK x y
    let minimum x y = binary minK x y

    // ------------------------------------------------------------------------- comparison and selection

    type Comparison =
        | Equal = 0
        | NotEqual = 1
        | Greater = 2
        | GreaterEqual = 3
        | Less = 4
        | LessEqual = 5

    let inline private test (c: Comparison) (d: int) =
        match c with
        | Comparison.Equal -> d = 0
        | Comparison.NotEqual -> d <> 0
        | Comparison.Greater -> d > 0
        | Comparison.GreaterEqual -> d >= 0
        | Comparison.Less -> d < 0
        | _ -> d <= 0

    let compare (op: string) (c: Comparison) (x: RawTensor) (y: RawTensor) =
        if x.DType <> y.DType then
            invalidArg "y" (sprintf "%s: operands have dtypes %s and %s; expected the same dtype (use Cast)" op (dtypeName x.DType) (dtypeName y.DType))
        let shape = Shape.broadcast op x.Shape y.Shape
        let bx = broadcastTo shape x
        let by = broadcastTo shape y
        let n = Shape.size shape
        let r: bool[] = Array.zeroCreate n
        let inline floatCmp (a: ^T[]) (b: ^T[]) =
            for i in 0 .. n - 1 do
                let u = a.[i]
                let v = b.[i]
                r.[i] <-
                    if u <> u || v <> v then c = Comparison.NotEqual
                    else test c (if u < v then -1 elif u > v then 1 else 0)
        match bx.Data, by.Data with
        | (:? (float32[]) as a), (:? (float32[]) as b) -> floatCmp a b
        | (:? (float[]) as a), (:? (float[]) as b) -> floatCmp a b
        | (:? (int[]) as a), (:? (int[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
        | (:? (int64[]) as a), (:? (int64[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
        | (:? (bool[]) as a), (:? (bool[]) as b) -> for i in 0 .. n - 1 do r.[i] <- test c (Operators.compare a.[i] b.[i])
        | _ -> unsupported op x.DType "a numeric or bool dtype"
        RawTensor(DType.Bool, Array.copy shape, r)

    let select (cond: RawTensor) (x: RawTensor) (y: RawTensor) =
        if cond.DType <> DType.Bool then
            invalidArg "condition" (sprintf "Where: condition has dtype %s; expected Bool" (dtypeName cond.DType))
        if x.DType <> y.DType then
            invalidArg "y" (sprintf "Where: x and y have dtypes %s and %s; expected the same dtype" (dtypeName x.DType) (dtypeName y.DType))
        let shape = Shape.broadcast "Where" (Shape.broadcast "Where" cond.Shape x.Shape) y.Shape
        let c = (broadcastTo shape cond).Data :?> bool[]
        let bx = broadcastTo shape x
        let by = broadcastTo shape y
        let n = c.Length
        let data: Array =
            match bx.Data, by.Data with
            | (:? (float32[]) as a), (:? (float32[]) as b) -> Array.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
            | (:? (float[]) as a), (:? (float[]) as b) -> Array.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
            | _ ->
                let r = alloc x.DType n
                for i in 0 .. n - 1 do Array.Copy((if c.[i] then bx.Data else by.Data), i, r, i, 1)
                r
        RawTensor(x.DType, Array.copy shape, data)

    let logicalAnd (x: RawTensor) (y: RawTensor) =
        let shape = Shape.broadcast "LogicalAnd" x.Shape y.Shape
        let a = (broadcastTo shape x).Data :?> bool[]
        let b = (broadcastTo shape y).Data :?> bool[]
        RawTensor(DType.Bool, Array.copy shape, Array.map2 (&&) a b)

    let logicalNot (x: RawTensor) = RawTensor(DType.Bool, x.Shape, Array.map not (x.Data :?> bool[]))

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private subPrimCell = PrimCell<BinaryPrim>()
let private mulPrimCell = PrimCell<BinaryPrim>()
let private divPrimCell = PrimCell<BinaryPrim>()
let private negPrimCell = PrimCell<UnaryPrim>()
let private squarePrimCell = PrimCell<UnaryPrim>()


let rec sub (a: Tensor) (b: Tensor) : Tensor = binary (subPrim ()) a b
and subPrim () : BinaryPrim =
    subPrimCell.Get(fun () ->
        { new BinaryPrim("Subtract") with
            member _.IsElementwise = true
            member _.Kernel(x, y) = Kernels.sub x y
            member _.JvpA(_, _, y, da) = broadcastTo y.Shape da
            member _.JvpB(_, _, y, db) = neg (broadcastTo y.Shape db)
            member _.VjpA(a, _, _, g) = sumTo a.Shape g
            member _.VjpB(_, b, _, g) = neg (sumTo b.Shape g)
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a - b
            member _.ScalarVjpA(_, _, _, g) = g
            member _.ScalarVjpB(_, _, _, g) = -g })

and mul (a: Tensor) (b: Tensor) : Tensor = binary (mulPrim ()) a b
and mulPrim () : BinaryPrim =
    mulPrimCell.Get(fun () ->
        { new BinaryPrim("Multiply") with
            member _.IsElementwise = true
            member _.Kernel(x, y) = Kernels.mul x y
            member _.JvpA(_, b, _, da) = mul da b
            member _.JvpB(a, _, _, db) = mul a db
            member _.VjpA(a, b, _, g) = sumTo a.Shape (mul g b)
            member _.VjpB(a, b, _, g) = sumTo b.Shape (mul g a)
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a * b
            member _.ScalarVjpA(_, b, _, g) = g * b
            member _.ScalarVjpB(a, _, _, g) = g * a })

and div (a: Tensor) (b: Tensor) : Tensor = binary (divPrim ()) a b
and divPrim () : BinaryPrim =
    divPrimCell.Get(fun () ->
        { new BinaryPrim("Divide") with
            member _.IsElementwise = true
            member _.Kernel(x, y) = Kernels.div x y
            member _.JvpA(_, b, _, da) = div da b
            member _.JvpB(_, b, y, db) = neg (div (mul db y) b)
            member _.VjpA(a, b, _, g) = sumTo a.Shape (div g b)
            member _.VjpB(_, b, y, g) = neg (sumTo b.Shape (div (mul g y) b))
            member _.HasScalarRules = true
            member _.ScalarForward(a, b) = a / b
            member _.ScalarVjpA(_, b, _, g) = g / b
            member _.ScalarVjpB(_, b, y, g) = -(g * y / b) })

and neg (x: Tensor) : Tensor = unary (negPrim ()) x
and negPrim () : UnaryPrim =
    negPrimCell.Get(fun () ->
        { new UnaryPrim("Negative") with
            member _.IsElementwise = true
            member _.Kernel r = Kernels.neg r
            member _.Jvp(_, _, dx) = neg dx
            member _.Vjp(_, _, g) = neg g
            member _.HasScalarRules = true
            member _.ScalarForward x = -x
            member _.ScalarVjp(_, _, g) = -g })

and square (x: Tensor) : Tensor = unary (squarePrim ()) x
and squarePrim () : UnaryPrim =
    squarePrimCell.Get(fun () ->
        { new UnaryPrim("Square") with
            member _.IsElementwise = true
            member _.Kernel r = Kernels.squareFloat r
            member _.Jvp(x, _, dx) = mul (mul (scalarLike x 2.0) x) dx
            member _.Vjp(x, _, g) = mul (mul (scalarLike x 2.0) x) g
            member _.HasScalarRules = true
            member _.ScalarForward x = x * x
            member _.ScalarVjp(x, _, g) = 2.0 * x * g })

/// op(a) op(b) over the last two axes (ranks >= 2), op transposing when its flag is set, leading (batch) axes
/// broadcast as NumPy. dC = op(dA) op(B) + op(A) op(dB); the adjoints are products with G whose flags are chosen so

let rec cast (dtype: DType) (x: Tensor) : Tensor =
    if x.DType = dtype then x
    elif x.IsFloat && (dtype = DType.Float32 || dtype = DType.Float64) then
        let from = x.DType
        unary { new UnaryPrim("Cast") with
                  member _.IsElementwise = true
                  member _.Kernel r = Storage.cast dtype r
                  member _.Jvp(_, _, dx) = cast dtype dx
                  member _.Vjp(_, _, g) = cast from g } x
    else Plain(Storage.cast dtype x.Raw)


let elementwise (name: string) (kernel: RawTensor -> RawTensor) (derivative: Tensor -> Tensor -> Tensor) =
    { new UnaryPrim(name) with
        member _.IsElementwise = true
        member _.Kernel r = kernel r
        member _.Jvp(x, y, dx) = mul (derivative x y) dx
        member _.Vjp(x, y, g) = mul (derivative x y) g }

type ScalarRules =
    { F64: float -> float
      D64: float -> float -> float
      F32: float32 -> float32
      D32: float32 -> float32 -> float32 }

let elementwiseScalar (name: string) (kernel: RawTensor -> RawTensor) (derivative: Tensor -> Tensor -> Tensor) (rules: ScalarRules) =
    { new UnaryPrim(name) with
        member _.IsElementwise = true
        member _.Kernel r = kernel r
        member _.Jvp(x, y, dx) = mul (derivative x y) dx
        member _.Vjp(x, y, g) = mul (derivative x y) g
        member _.HasScalarRules = true
        member _.ScalarForward x = rules.F64 x
        member _.ScalarVjp(x, y, gy) = rules.D64 x y * gy
        member _.ScalarForward32 x = rules.F32 x
        member _.ScalarVjp32(x, y, gy) = rules.D32 x y * gy }

let inline elementwiseFloat (name: string) (f32: float32[] -> float32[] -> int -> int -> unit) (f64: float[] -> float[] -> int -> int -> unit)
                            (derivative: Tensor -> Tensor -> Tensor) (rules: ScalarRules) =
    elementwiseScalar name (fun r -> Simd.unaryFloat name f32 f64 r) derivative rules

let private expPrim =
    elementwiseScalar "Exp" Kernels.exp (fun _ y -> y)
        { F64 = System.Math.Exp; D64 = (fun _ y -> y); F32 = System.MathF.Exp; D32 = (fun _ y -> y) }
let exp (x: Tensor) = requireFloat "Exp" x; unary expPrim x

let private logPrim =
    elementwiseFloat "Log"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Log(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Log(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) x)
        { F64 = System.Math.Log; D64 = (fun x _ -> 1.0 / x); F32 = System.MathF.Log; D32 = (fun x _ -> 1.0f / x) }
let log (x: Tensor) = requireFloat "Log" x; unary logPrim x

// sin and cos refer to each other; their primitives are made on first use (see the cells above for why not as values).
let private sinPrimCell = PrimCell<UnaryPrim>()
let private cosPrimCell = PrimCell<UnaryPrim>()

let rec sin (x: Tensor) = requireFloat "Sin" x; unary (sinPrim ()) x
and private sinPrim () =
    sinPrimCell.Get(fun () ->
        elementwiseFloat "Sin"
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sin(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sin(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun x _ -> cos x)
            { F64 = System.Math.Sin; D64 = (fun x _ -> System.Math.Cos x); F32 = System.MathF.Sin; D32 = (fun x _ -> System.MathF.Cos x) })
and cos (x: Tensor) = requireFloat "Cos" x; unary (cosPrim ()) x
and private cosPrim () =
    cosPrimCell.Get(fun () ->
        elementwiseFloat "Cos"
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Cos(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Cos(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun x _ -> neg (sin x))
            { F64 = System.Math.Cos; D64 = (fun x _ -> -(System.Math.Sin x)); F32 = System.MathF.Cos; D32 = (fun x _ -> -(System.MathF.Sin x)) })

let private tanhPrim =
    elementwiseScalar "Tanh" Kernels.tanh (fun _ y -> sub (onesLike y) (square y))
        { F64 = System.Math.Tanh; D64 = (fun _ y -> 1.0 - y * y); F32 = System.MathF.Tanh; D32 = (fun _ y -> 1.0f - y * y) }
let tanh (x: Tensor) = requireFloat "Tanh" x; unary tanhPrim x

let private atanPrim =
    elementwiseFloat "Atan"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Atan(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Atan(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) (add (onesLike x) (square x)))
        { F64 = System.Math.Atan; D64 = (fun x _ -> 1.0 / (1.0 + x * x))
          F32 = System.MathF.Atan; D32 = (fun x _ -> 1.0f / (1.0f + x * x)) }
let atan (x: Tensor) = requireFloat "Atan" x; unary atanPrim x

let private sqrtPrim =
    elementwiseScalar "Sqrt" Kernels.sqrt (fun _ y -> div (scalarLike y 0.5) y)
        { F64 = System.Math.Sqrt; D64 = (fun _ y -> 0.5 / y); F32 = System.MathF.Sqrt; D32 = (fun _ y -> 0.5f / y) }
let sqrt (x: Tensor) = requireFloat "Sqrt" x; unary sqrtPrim x


let private requireNumeric (op: string) (x: Tensor) =
    if x.DType = DType.Bool then
        invalidArg "x" (sprintf "%s: dtype Bool is not supported; expected a float or integer dtype" op)

/// A constant mask (1 where the condition holds, else 0) in x's dtype, computed from plain values.
let private mask (x: Tensor) (c: RawTensor) = constant (Storage.cast x.DType c)

// ------------------------------------------------------------------------- NaN in derivatives

let private zeroOrNaNPrim = elementwise "ZeroOrNaN" Kernels.zeroOrNaN (fun _ y -> y)

let zeroOrNaN (x: Tensor) = unary zeroOrNaNPrim x

let internal withNaNDerivatives (s: Tensor) (r: Tensor) =
    if s.Level = 0L || not (Kernels.hasNaN s.Raw) then r else add r (zeroOrNaN s)

/// zeroOrNaN y when y holds a NaN, else zeros of y's shape (no scan of a NaN-free y's derivative): the derivative of
/// Sign, and what a selection rule gives an operand that does not win (NaN where the result is NaN, so no operand of a
/// NaN result gets a 0 adjoint).
let private zerosUnlessNaN (y: Tensor) = if Kernels.hasNaN y.Raw then zeroOrNaN y else zerosLike y

// ------------------------------------------------------------------------- comparisons (Bool, no derivative)

let compare (op: string) (c: Kernels.Comparison) (a: Tensor) (b: Tensor) =
    constant (Kernels.compare op c a.Raw b.Raw)

let equal a b = compare "Equal" Kernels.Comparison.Equal a b
let notEqual a b = compare "NotEqual" Kernels.Comparison.NotEqual a b
let greater a b = compare "Greater" Kernels.Comparison.Greater a b
let greaterEqual a b = compare "GreaterEqual" Kernels.Comparison.GreaterEqual a b
let less a b = compare "Less" Kernels.Comparison.Less a b
let lessEqual a b = compare "LessEqual" Kernels.Comparison.LessEqual a b

// ------------------------------------------------------------------------- selection

// Primitive singletons, created on first use: recursive *values* in a let-rec group compile to lazies
// that F# 10 mis-inlines across files, so the primitives are functions over these cells instead.
let private powPrimCell = PrimCell<BinaryPrim>()

let rec where (condition: Tensor) (x: Tensor) (y: Tensor) : Tensor =
    if condition.DType <> DType.Bool then
        invalidArg "condition" (sprintf "Where: condition has dtype %s; expected Bool" (string condition.DType))
    let c = condition.Raw
    binary { new BinaryPrim("Where") with
               member _.Kernel(a, b) = Kernels.select c a b
               member _.JvpA(_, b, yv, da) = where condition da (zerosLike yv)
               member _.JvpB(a, _, yv, db) = where condition (zerosLike yv) db
               member _.VjpA(a, _, yv, g) = sumTo a.Shape (where condition g (zerosLike g))
               member _.VjpB(_, b, yv, g) = sumTo b.Shape (where condition (zerosLike g) g) } x y

// ------------------------------------------------------------------------- powers and activations

let rec pow (a: Tensor) (b: Tensor) : Tensor = binary (powPrim ()) a b
and powPrim () : BinaryPrim =
    powPrimCell.Get(fun () ->
        { new BinaryPrim("Pow") with
            member _.IsElementwise = true
            member _.Kernel(x, y) = Kernels.pow x y
            member _.JvpA(a, b, _, da) = mul (powDerivativeA a b) da
            member _.JvpB(a, b, y, db) = mul (powDerivativeB a b y) db
            member _.VjpA(a, b, _, g) = sumTo a.Shape (mul g (powDerivativeA a b))
            member _.VjpB(a, b, y, g) = sumTo b.Shape (mul g (powDerivativeB a b y)) })
/// d(a^b)/da = b a^(b-1), NaN where a or b is NaN (b = 1 would give NaN^0 = 1 at a NaN a).
and private powDerivativeA (a: Tensor) (b: Tensor) =
    let d = mul b (pow a (sub b (onesLike b)))
    if Kernels.hasNaN a.Raw then add d (zeroOrNaN a) else d
/// d(a^b)/db = a^b log a (0 where a <= 0), NaN where a or b is NaN (a = 1 would give 1 * log 1 = 0 at a NaN b).
and private powDerivativeB (a: Tensor) (b: Tensor) (y: Tensor) =
    let d = mul y (safeLog a)
    if Kernels.hasNaN b.Raw then add d (zeroOrNaN b) else d
and safeLog (a: Tensor) =
    let positive = Kernels.logicalNot (Kernels.compare "Pow" Kernels.Comparison.LessEqual a.Raw (Storage.zeros a.DType [||]))
    let m = mask a positive
    mul m (log (where (constant positive) a (onesLike a)))

// The primitives below are made once, not per call (a primitive is an object).
let private log1pPrim =
    elementwiseFloat "Log1p"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- Kernels.log1pF32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- Kernels.log1pF64 a.[i])
        (fun x _ -> div (onesLike x) (add (onesLike x) x))
        { F64 = Kernels.log1pF64; D64 = (fun x _ -> 1.0 / (1.0 + x)); F32 = Kernels.log1pF32; D32 = (fun x _ -> 1.0f / (1.0f + x)) }
let log1p (x: Tensor) =
    requireFloat "Log1p" x
    unary log1pPrim x

let private tanPrim =
    elementwiseFloat "Tan"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Tan(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Tan(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun _ y -> add (onesLike y) (square y))
        { F64 = System.Math.Tan; D64 = (fun _ y -> 1.0 + y * y); F32 = System.MathF.Tan; D32 = (fun _ y -> 1.0f + y * y) }
let tan (x: Tensor) =
    requireFloat "Tan" x
    unary tanPrim x

let private sigmoidPrim =
    elementwiseFloat "Sigmoid"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sigmoid(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sigmoid(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun _ y -> mul y (sub (onesLike y) y))
        { F64 = Kernels.sigmoidF64; D64 = (fun _ y -> y * (1.0 - y)); F32 = Kernels.sigmoidF32; D32 = (fun _ y -> y * (1.0f - y)) }
let sigmoid (x: Tensor) =
    requireFloat "Sigmoid" x
    unary sigmoidPrim x

let private softplusPrim =
    elementwiseFloat "Softplus"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- Kernels.softplusF32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- Kernels.softplusF64 a.[i])
        (fun x _ -> sigmoid x)
        { F64 = Kernels.softplusF64; D64 = (fun x _ -> Kernels.sigmoidF64 x); F32 = Kernels.softplusF32; D32 = (fun x _ -> Kernels.sigmoidF32 x) }
let softplus (x: Tensor) =
    requireFloat "Softplus" x
    unary softplusPrim x

let rec reluGrad (x: RawTensor) (g: Tensor) : Tensor =
    unary { new UnaryPrim("ReluGrad") with
              member _.IsElementwise = true
              member _.Kernel r = Kernels.maskPositive x r
              member _.Jvp(_, _, dg) = reluGrad x dg
              member _.Vjp(_, _, gy) = reluGrad x gy } g

let private reluPrim =
    { new UnaryPrim("Relu") with
        member _.IsElementwise = true
        member _.Kernel r = Kernels.relu r
        member _.Jvp(x, _, dx) = withNaNDerivatives x (reluGrad x.Raw dx)
        member _.Vjp(x, _, g) = withNaNDerivatives x (reluGrad x.Raw g) }

let relu (x: Tensor) =
    requireNumeric "Relu" x
    if not x.IsFloat then constant (Kernels.relu x.Raw)
    else unary reluPrim x

let private signPrim =
    elementwiseScalar "Sign" Kernels.sign (fun x _ -> zerosUnlessNaN x)
        { F64 = Kernels.signF64; D64 = (fun x _ -> if System.Double.IsNaN x then x else 0.0)
          F32 = Kernels.signF32; D32 = (fun x _ -> if System.Single.IsNaN x then x else 0.0f) }
let sign (x: Tensor) =
    requireNumeric "Sign" x
    if not x.IsFloat then constant (Kernels.sign x.Raw)
    else unary signPrim x

let private absPrim =
    // sign x as a constant, unless x is perturbed and holds a NaN: then the differentiable sign, whose derivative is NaN there
    elementwiseScalar "Abs" Kernels.abs (fun x _ -> if x.Level <> 0L && Kernels.hasNaN x.Raw then sign x else constant (Kernels.sign x.Raw))
        { F64 = Operators.abs; D64 = (fun x _ -> Kernels.signF64 x); F32 = Operators.abs; D32 = (fun x _ -> Kernels.signF32 x) }
let abs (x: Tensor) =
    requireNumeric "Abs" x
    if not x.IsFloat then constant (Kernels.abs x.Raw)
    else unary absPrim x

let squareAny (x: Tensor) =
    requireNumeric "Square" x
    if x.IsFloat then square x else constant (Kernels.square x.Raw)

// ------------------------------------------------------------------------- extremes

/// The primitive of an element-wise extreme: the adjoint (and tangent) goes to a where `aWins` holds between a and b
/// (ties included), to b where `bWins` holds (a strict comparison), and where neither holds (a or b is NaN, so the
/// result is) both operands get NaN, with NaN derivatives at every order.
let private extremePrim (name: string) (kernel: RawTensor -> RawTensor -> RawTensor) (aWins: Kernels.Comparison) (bWins: Kernels.Comparison) =
    let first (a: Tensor) (b: Tensor) = constant (Kernels.compare name aWins a.Raw b.Raw)
    let second (a: Tensor) (b: Tensor) = constant (Kernels.compare name bWins a.Raw b.Raw)
    { new BinaryPrim(name) with
        member _.IsElementwise = true
        member _.Kernel(x, y) = kernel x y
        member _.JvpA(a, b, y, da) = where (first a b) (broadcastTo y.Shape da) (zerosUnlessNaN y)
        member _.JvpB(a, b, y, db) = where (second a b) (broadcastTo y.Shape db) (zerosUnlessNaN y)
        member _.VjpA(a, b, y, g) = sumTo a.Shape (where (first a b) g (zerosUnlessNaN y))
        member _.VjpB(a, b, y, g) = sumTo b.Shape (where (second a b) g (zerosUnlessNaN y)) }

let private maxPrim = extremePrim "Maximum" Kernels.maximum Kernels.Comparison.GreaterEqual Kernels.Comparison.Less
let private minPrim = extremePrim "Minimum" Kernels.minimum Kernels.Comparison.LessEqual Kernels.Comparison.Greater

let maximum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Maximum" a
    if not a.IsFloat then constant (Kernels.maximum a.Raw b.Raw) else binary maxPrim a b

let minimum (a: Tensor) (b: Tensor) : Tensor =
    requireNumeric "Minimum" a
    if not a.IsFloat then constant (Kernels.minimum a.Raw b.Raw) else binary minPrim a b

/// ClipByValue's selections on plain values: m = max(x, lo); x wins where x >= lo and m <= hi, lo where x < lo and
/// m <= hi, hi where m > hi. Every comparison with a NaN fails, so at an element where x, lo or hi is NaN none wins.
let private clipWinner (i: int) (xs: Tensor[]) =
    let x, lo, hi = xs.[0].Raw, xs.[1].Raw, xs.[2].Raw
    let cmp c a b = Kernels.compare "ClipByValue" c a b
    let m = Kernels.maximum x lo
    match i with
    | 0 -> Kernels.logicalAnd (cmp Kernels.Comparison.GreaterEqual x lo) (cmp Kernels.Comparison.LessEqual m hi)
    | 1 -> Kernels.logicalAnd (cmp Kernels.Comparison.Less x lo) (cmp Kernels.Comparison.LessEqual m hi)
    | _ -> cmp Kernels.Comparison.Greater m hi

let private clipPrim =
    { new NaryPrim("ClipByValue") with
        member _.Kernel rs = Kernels.minimum (Kernels.maximum rs.[0] rs.[1]) rs.[2]
        member _.Jvp(xs, y, dxs) =
            dxs
            |> Array.mapi (fun i d -> d |> Option.map (fun d -> where (constant (clipWinner i xs)) (broadcastTo y.Shape d) (zerosUnlessNaN y)))
            |> Array.choose id
            |> Array.reduce add
        member _.Vjp(xs, y, g, i) = sumTo xs.[i].Shape (where (constant (clipWinner i xs)) g (zerosUnlessNaN y)) }

let clipByValue (x: Tensor) (lo: Tensor) (hi: Tensor) =
    Shape.broadcast "ClipByValue" (Shape.broadcast "ClipByValue" x.Shape lo.Shape) hi.Shape |> ignore
    requireNumeric "ClipByValue" x
    if lo.DType <> x.DType || hi.DType <> x.DType then
        invalidArg "x" (sprintf "ClipByValue: x, min and max have dtypes %s, %s and %s; expected one dtype" (string x.DType) (string lo.DType) (string hi.DType))
    if not x.IsFloat then constant (clipPrim.Kernel [| x.Raw; lo.Raw; hi.Raw |])
    else nary clipPrim [| x; lo; hi |]

