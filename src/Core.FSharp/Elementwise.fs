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
            | :? (float32[]) as a -> BufferPool.map f32 a :> _
            | :? (float[]) as a -> BufferPool.map f64 a :> _
            | :? (int[]) as a -> BufferPool.map i32 a :> _
            | :? (int64[]) as a -> BufferPool.map i64 a :> _
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
            let r = BufferPool.rent<float32> a.Length
            forChunks a.Length (maskPositiveF32 a b r)
            RawTensor(g.DType, g.Shape, r)
        | (:? (float[]) as a), (:? (float[]) as b) ->
            let r = BufferPool.rent<float> a.Length
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
        let r: bool[] = BufferPool.rentZeroed n
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
            | (:? (float32[]) as a), (:? (float32[]) as b) -> BufferPool.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
            | (:? (float[]) as a), (:? (float[]) as b) -> BufferPool.init n (fun i -> if c.[i] then a.[i] else b.[i]) :> _
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


// =========================================================================================================================
// More element-wise ops (TensorFlow's tf.math set): inverse trigonometric and hyperbolic functions, erf/erfc, expm1,
// reciprocal and rsqrt, rounding, the gamma family, floor division and modulo, Atan2, SquaredDifference, AddN, logical
// ops and NaN/finiteness tests, and the activations that need their own kinks (LeakyRelu, Relu6, Elu, Selu).

/// Scalar special functions in float64 (the float32 kernels evaluate them in float64 and round once, so both dtypes are
/// correctly rounded to within an ulp or two).
module SpecialFunctions =
    let private sqrtPi = 1.7724538509055160273
    let private halfLog2Pi = 0.91893853320467274178

    /// erf by its everywhere-convergent series of positive terms, 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!
    /// (no cancellation; at most ~45 terms for |x| < 3).
    let private erfSeries (x: float) =
        let x2 = x * x
        let mutable term = x
        let mutable sum = x
        let mutable n = 0
        while Math.Abs term > Math.Abs sum * 1e-17 do
            n <- n + 1
            term <- term * 2.0 * x2 / float (2 * n + 1)
            sum <- sum + term
        2.0 / sqrtPi * Math.Exp(-x2) * sum

    /// erfc for x >= 1 by Laplace's continued fraction x + (1/2)/(x + 1/(x + (3/2)/(x + ...))) (modified Lentz; under 200
    /// terms at x = 1, a handful for large x).
    let private erfcContinuedFraction (x: float) =
        let tiny = 1e-300
        let mutable f = x
        let mutable c = x
        let mutable d = 0.0
        let mutable k = 0
        let mutable fin = false
        while not fin do
            k <- k + 1
            let a = float k * 0.5
            d <- x + a * d
            if d = 0.0 then d <- tiny
            d <- 1.0 / d
            c <- x + a / c
            if c = 0.0 then c <- tiny
            let delta = c * d
            f <- f * delta
            if Math.Abs(delta - 1.0) < 1e-16 || k > 5000 then fin <- true
        Math.Exp(-x * x) / (sqrtPi * f)

    let rec erfc (x: float) : float =
        if Double.IsNaN x then x
        elif x < 0.0 then 2.0 - erfc (-x)
        elif x < 1.0 then 1.0 - erfSeries x
        elif x > 27.5 then 0.0
        else erfcContinuedFraction x

    let erf (x: float) =
        if Double.IsNaN x then x
        elif Math.Abs x < 3.0 then erfSeries x
        elif Math.Abs x >= 6.0 then float (Math.Sign x)
        else float (Math.Sign x) * (1.0 - erfc (Math.Abs x))

    /// e^x - 1, accurate near 0 (Kahan: (u - 1) x / log u with u = e^x corrects u's rounding).
    let expm1 (x: float) =
        let u = Math.Exp x
        if u = 1.0 then x
        elif Double.IsPositiveInfinity u then u
        else
            let um1 = u - 1.0
            if um1 = -1.0 then -1.0 else um1 * x / Math.Log u

    let expm1F32 (x: float32) = float32 (expm1 (float x))

    /// sin(pi x) with the argument reduced first (exact zeros at the integers, no loss for large |x|).
    let private sinPi (x: float) =
        let r = x - 2.0 * Math.Floor(x * 0.5)          // [0, 2)
        if r = 0.0 || r = 1.0 then 0.0 else Math.Sin(Math.PI * r)

    /// tan(pi x) with the argument reduced to [0, 1) first (period 1).
    let private tanPi (x: float) = Math.Tan(Math.PI * (x - Math.Floor x))

    // B_2j / (2j)! for j = 1..8, Euler-Maclaurin's coefficients
    let private bernoulliOverFactorial =
        [| 1.0 / 6.0 / 2.0; -1.0 / 30.0 / 24.0; 1.0 / 42.0 / 720.0; -1.0 / 30.0 / 40320.0; 5.0 / 66.0 / 3628800.0
           -691.0 / 2730.0 / 479001600.0; 7.0 / 6.0 / 87178291200.0; -3617.0 / 510.0 / 20922789888000.0 |]

    /// The Hurwitz zeta function zeta(s, q) = sum_k (q + k)^-s for an integer s >= 2: the terms summed directly until
    /// q + k >= 20, then Euler-Maclaurin's tail. Works for a negative non-integer q (its terms are then of either sign).
    let private hurwitzZeta (s: int) (q: float) =
        let mutable a = q
        let mutable sum = 0.0
        let sf = float s
        while a < 20.0 do
            sum <- sum + Math.Pow(a, -sf)
            a <- a + 1.0
        let mutable tail = Math.Pow(a, 1.0 - sf) / (sf - 1.0) + 0.5 * Math.Pow(a, -sf)
        // j-th term: B_2j/(2j)! s (s+1) ... (s+2j-2) a^-(s+2j-1)
        let mutable rising = sf
        let mutable power = Math.Pow(a, -sf - 1.0)
        let a2 = 1.0 / (a * a)
        for j in 0 .. bernoulliOverFactorial.Length - 1 do
            tail <- tail + bernoulliOverFactorial.[j] * rising * power
            rising <- rising * (sf + float (2 * j + 1)) * (sf + float (2 * j + 2))
            power <- power * a2
        sum + tail

    // Lanczos (g = 7, n = 9) for 0.5 <= x < 10: ~1e-15 relative in Gamma.
    let private lanczos =
        [| 0.99999999999980993; 676.5203681218851; -1259.1392167224028; 771.32342877765313; -176.61502916214059
           12.507343278686905; -0.13857109526572012; 9.9843695780195716e-6; 1.5056327351493116e-7 |]

    /// lgamma(1 + z) = -gamma z + sum_(k>=2) (-1)^k zeta(k) z^k / k for |z| <= 0.2 (full relative accuracy near the zero
    /// at 1, where Lanczos' absolute error would dominate); zeta(k) from the Hurwitz zeta at q = 1.
    let private lgamma1p =
        let zetas = lazy (Array.init 30 (fun i -> let k = i + 2 in (if k % 2 = 0 then 1.0 else -1.0) * hurwitzZeta k 1.0 / float k))
        fun (z: float) ->
            let c = zetas.Force()
            let mutable sum = 0.0
            let mutable power = z * z
            for i in 0 .. c.Length - 1 do
                sum <- sum + c.[i] * power
                power <- power * z
            -0.57721566490153286061 * z + sum

    let rec lgamma (x: float) : float =
        if Double.IsNaN x then x
        elif Math.Abs(x - 1.0) <= 0.2 then lgamma1p (x - 1.0)
        elif Math.Abs(x - 2.0) <= 0.2 then
            // lgamma(x) = log(x - 1) + lgamma(x - 1), both accurate near the zero at 2
            let z = x - 2.0
            Kernels.log1pF64 z + lgamma1p z
        elif Double.IsInfinity x then Double.PositiveInfinity
        elif x <= 0.0 && x = Math.Floor x then Double.PositiveInfinity
        elif x < 0.5 then
            // reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
            Math.Log(Math.PI / Math.Abs(sinPi x)) - lgamma (1.0 - x)
        elif x >= 10.0 then
            // Stirling's series to the x^-11 term (error below 1e-15 relative from x = 10)
            let z = 1.0 / x
            let z2 = z * z
            let series = z * (1.0 / 12.0 + z2 * (-1.0 / 360.0 + z2 * (1.0 / 1260.0 + z2 * (-1.0 / 1680.0 + z2 * (1.0 / 1188.0 + z2 * (-691.0 / 360360.0))))))
            (x - 0.5) * Math.Log x - x + halfLog2Pi + series
        else
            let xm = x - 1.0
            let mutable a = lanczos.[0]
            for i in 1 .. 8 do a <- a + lanczos.[i] / (xm + float i)
            let t = xm + 7.5
            halfLog2Pi + (xm + 0.5) * Math.Log t - t + Math.Log a

    let rec digamma (x: float) : float =
        if Double.IsNaN x || Double.IsNegativeInfinity x then Double.NaN
        elif Double.IsPositiveInfinity x then x
        elif x <= 0.0 && x = Math.Floor x then Double.NaN
        elif x < 0.0 then
            // reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
            digamma (1.0 - x) - Math.PI / tanPi x
        else
            let mutable v = x
            let mutable acc = 0.0
            while v < 10.0 do
                acc <- acc - 1.0 / v
                v <- v + 1.0
            let z2 = 1.0 / (v * v)
            let tail = z2 * (1.0 / 12.0 - z2 * (1.0 / 120.0 - z2 * (1.0 / 252.0 - z2 * (1.0 / 240.0 - z2 * (1.0 / 132.0 - z2 * (691.0 / 32760.0 - z2 / 12.0))))))
            acc + Math.Log v - 0.5 / v - tail

    /// The polygamma function psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1 (n = 0 is digamma). At 0 and the
    /// negative integers: +inf for odd n (a pole of even order), NaN for even n (the sign depends on the side).
    let polygamma (n: int) (x: float) =
        if n = 0 then digamma x
        elif Double.IsNaN x || Double.IsNegativeInfinity x then Double.NaN
        elif Double.IsPositiveInfinity x then 0.0
        elif x <= 0.0 && x = Math.Floor x then (if n % 2 = 1 then Double.PositiveInfinity else Double.NaN)
        else
            let mutable factorial = 1.0
            for i in 2 .. n do factorial <- factorial * float i
            (if n % 2 = 1 then 1.0 else -1.0) * factorial * hurwitzZeta (n + 1) x

/// An element-wise float function evaluated in float64 by a scalar function (float32 rounds the float64 value once), in a
/// scalar loop split over the kernel threads.
/// `d32` mirrors in float32 what `derivative` computes on one float32 element.
let private elementwiseVia64With (name: string) (f: float -> float) (derivative: Tensor -> Tensor -> Tensor) (d64: float -> float -> float)
                                 (d32: float32 -> float32 -> float32) =
    elementwiseFloat name
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- float32 (f (float a.[i])))
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- f a.[i])
        derivative
        { F64 = f; D64 = d64; F32 = (fun x -> float32 (f (float x))); D32 = d32 }

/// As `elementwiseVia64With` for a derivative that is itself such a function (its float32 value the float64 one rounded).
let private elementwiseVia64 (name: string) (f: float -> float) (derivative: Tensor -> Tensor -> Tensor) (d64: float -> float -> float) =
    elementwiseVia64With name f derivative d64 (fun x y -> float32 (d64 (float x) (float y)))

/// 1 - x^2 with differentiable ops.
let private oneMinusSquare (x: Tensor) = sub (onesLike x) (square x)

let private asinPrim =
    elementwiseFloat "Asin"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Asin(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Asin(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) (sqrt (oneMinusSquare x)))
        { F64 = Math.Asin; D64 = (fun x _ -> 1.0 / Math.Sqrt(1.0 - x * x))
          F32 = MathF.Asin; D32 = (fun x _ -> 1.0f / MathF.Sqrt(1.0f - x * x)) }
let asin (x: Tensor) = requireFloat "Asin" x; unary asinPrim x

let private acosPrim =
    elementwiseFloat "Acos"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Acos(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Acos(ReadOnlySpan(a, o, n), Span(r, o, n)))
        // -1 / sqrt(1 - x^2) with the sign in the constant, in both forms: a negated quotient would let the JIT fold the
        // sign into the constant at tier 1 and change a NaN's sign bit between the scalar rule and the kernel
        (fun x _ -> div (neg (onesLike x)) (sqrt (oneMinusSquare x)))
        { F64 = Math.Acos; D64 = (fun x _ -> -1.0 / Math.Sqrt(1.0 - x * x))
          F32 = MathF.Acos; D32 = (fun x _ -> -1.0f / MathF.Sqrt(1.0f - x * x)) }
let acos (x: Tensor) = requireFloat "Acos" x; unary acosPrim x

// sinh and cosh refer to each other, as sin and cos do.
let private sinhPrimCell = PrimCell<UnaryPrim>()
let private coshPrimCell = PrimCell<UnaryPrim>()

let rec sinh (x: Tensor) = requireFloat "Sinh" x; unary (sinhPrim ()) x
and private sinhPrim () =
    sinhPrimCell.Get(fun () ->
        elementwiseFloat "Sinh"
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sinh(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Sinh(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun x _ -> cosh x)
            { F64 = Math.Sinh; D64 = (fun x _ -> Math.Cosh x); F32 = MathF.Sinh; D32 = (fun x _ -> MathF.Cosh x) })
and cosh (x: Tensor) = requireFloat "Cosh" x; unary (coshPrim ()) x
and private coshPrim () =
    coshPrimCell.Get(fun () ->
        elementwiseFloat "Cosh"
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Cosh(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Cosh(ReadOnlySpan(a, o, n), Span(r, o, n)))
            (fun x _ -> sinh x)
            { F64 = Math.Cosh; D64 = (fun x _ -> Math.Sinh x); F32 = MathF.Cosh; D32 = (fun x _ -> MathF.Sinh x) })

let private asinhPrim =
    elementwiseFloat "Asinh"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Asinh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Asinh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) (sqrt (add (square x) (onesLike x))))
        { F64 = Math.Asinh; D64 = (fun x _ -> 1.0 / Math.Sqrt(x * x + 1.0))
          F32 = MathF.Asinh; D32 = (fun x _ -> 1.0f / MathF.Sqrt(x * x + 1.0f)) }
let asinh (x: Tensor) = requireFloat "Asinh" x; unary asinhPrim x

let private acoshPrim =
    elementwiseFloat "Acosh"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Acosh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Acosh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) (sqrt (sub (square x) (onesLike x))))
        { F64 = Math.Acosh; D64 = (fun x _ -> 1.0 / Math.Sqrt(x * x - 1.0))
          F32 = MathF.Acosh; D32 = (fun x _ -> 1.0f / MathF.Sqrt(x * x - 1.0f)) }
let acosh (x: Tensor) = requireFloat "Acosh" x; unary acoshPrim x

let private atanhPrim =
    elementwiseFloat "Atanh"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Atanh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Atanh(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun x _ -> div (onesLike x) (oneMinusSquare x))
        { F64 = Math.Atanh; D64 = (fun x _ -> 1.0 / (1.0 - x * x))
          F32 = MathF.Atanh; D32 = (fun x _ -> 1.0f / (1.0f - x * x)) }
let atanh (x: Tensor) = requireFloat "Atanh" x; unary atanhPrim x

/// 2 / sqrt(pi)
let private twoOverSqrtPi = 1.1283791670955126

/// c e^(-x^2) with the constant c first (erf: 2/sqrt(pi), erfc: -2/sqrt(pi)). The scalar rules compute it in the same
/// order and give a NaN x's NaN explicitly as this rule does (x with its sign flipped by the negation): the JIT may
/// reassociate -(x * x) at tier 1 and change a NaN's sign bit, so a NaN is not left to the arithmetic there.
let private gaussianDerivative (c: float) (x: Tensor) = mul (scalarLike x c) (exp (neg (square x)))

let private erfPrim =
    elementwiseVia64With "Erf" SpecialFunctions.erf (fun x _ -> gaussianDerivative twoOverSqrtPi x)
        (fun x _ -> if Double.IsNaN x then -x else twoOverSqrtPi * Math.Exp(-(x * x)))
        (fun x _ -> if Single.IsNaN x then -x else float32 twoOverSqrtPi * MathF.Exp(-(x * x)))
let erf (x: Tensor) = requireFloat "Erf" x; unary erfPrim x

let private erfcPrim =
    elementwiseVia64With "Erfc" SpecialFunctions.erfc (fun x _ -> gaussianDerivative (-twoOverSqrtPi) x)
        (fun x _ -> if Double.IsNaN x then -x else -twoOverSqrtPi * Math.Exp(-(x * x)))
        (fun x _ -> if Single.IsNaN x then -x else float32 (-twoOverSqrtPi) * MathF.Exp(-(x * x)))
let erfc (x: Tensor) = requireFloat "Erfc" x; unary erfcPrim x

let private expm1Prim =
    elementwiseFloat "Expm1"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- SpecialFunctions.expm1F32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- SpecialFunctions.expm1 a.[i])
        (fun x _ -> exp x)
        { F64 = SpecialFunctions.expm1; D64 = (fun x _ -> Math.Exp x); F32 = SpecialFunctions.expm1F32; D32 = (fun x _ -> MathF.Exp x) }
let expm1 (x: Tensor) = requireFloat "Expm1" x; unary expm1Prim x

let private reciprocalPrim =
    elementwiseFloat "Reciprocal"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Divide(1.0f, ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Divide(1.0, ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun _ y -> neg (square y))
        // a NaN y is given as neg (square y) gives it (sign flipped), not left to how the JIT orders -(y * y)
        { F64 = (fun x -> 1.0 / x); D64 = (fun _ y -> if Double.IsNaN y then -y else -(y * y))
          F32 = (fun x -> 1.0f / x); D32 = (fun _ y -> if Single.IsNaN y then -y else -(y * y)) }
let reciprocal (x: Tensor) = requireFloat "Reciprocal" x; unary reciprocalPrim x

let private rsqrtPrim =
    elementwiseFloat "Rsqrt"
        (fun a r o n ->
            let dst = Span(r, o, n)
            System.Numerics.Tensors.TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), dst)
            System.Numerics.Tensors.TensorPrimitives.Divide(1.0f, ReadOnlySpan(r, o, n), dst))
        (fun a r o n ->
            let dst = Span(r, o, n)
            System.Numerics.Tensors.TensorPrimitives.Sqrt(ReadOnlySpan(a, o, n), dst)
            System.Numerics.Tensors.TensorPrimitives.Divide(1.0, ReadOnlySpan(r, o, n), dst))
        (fun _ y -> mul (scalarLike y -0.5) (mul y (square y)))
        { F64 = (fun x -> 1.0 / Math.Sqrt x); D64 = (fun _ y -> -0.5 * (y * (y * y)))
          F32 = (fun x -> 1.0f / MathF.Sqrt x); D32 = (fun _ y -> -0.5f * (y * (y * y))) }
let rsqrt (x: Tensor) = requireFloat "Rsqrt" x; unary rsqrtPrim x

/// A piecewise-constant float map (derivative 0, NaN at a NaN).
let private stepPrim (name: string) f32 f64 (s64: float -> float) (s32: float32 -> float32) =
    elementwiseFloat name f32 f64 (fun x _ -> zerosUnlessNaN x)
        { F64 = s64; D64 = (fun x _ -> if Double.IsNaN x then x else 0.0)
          F32 = s32; D32 = (fun x _ -> if Single.IsNaN x then x else 0.0f) }

let private floorPrim =
    stepPrim "Floor"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Floor(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Floor(ReadOnlySpan(a, o, n), Span(r, o, n)))
        Math.Floor MathF.Floor
let floor (x: Tensor) = requireFloat "Floor" x; unary floorPrim x

let private ceilPrim =
    stepPrim "Ceil"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Ceiling(ReadOnlySpan(a, o, n), Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Ceiling(ReadOnlySpan(a, o, n), Span(r, o, n)))
        Math.Ceiling MathF.Ceiling
let ceil (x: Tensor) = requireFloat "Ceil" x; unary ceilPrim x

let private roundPrim =
    stepPrim "Round"
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Round(ReadOnlySpan(a, o, n), MidpointRounding.ToEven, Span(r, o, n)))
        (fun a r o n -> System.Numerics.Tensors.TensorPrimitives.Round(ReadOnlySpan(a, o, n), MidpointRounding.ToEven, Span(r, o, n)))
        (fun x -> Math.Round(x, MidpointRounding.ToEven)) (fun x -> MathF.Round(x, MidpointRounding.ToEven))
let round (x: Tensor) =
    requireNumeric "Round" x
    if not x.IsFloat then x else unary roundPrim x

// ------------------------------------------------------------------------- the gamma family

/// Polygamma primitives by order, made on first use (each one's derivative is the next order's).
let private polygammaPrims = System.Collections.Concurrent.ConcurrentDictionary<int, UnaryPrim>()

let rec polygamma (n: int) (x: Tensor) : Tensor =
    if n < 0 then invalidArg "n" (sprintf "Polygamma: order %d is negative; expected an order >= 0" n)
    requireFloat "Polygamma" x
    unary (polygammaPrims.GetOrAdd(n, fun n -> polygammaPrim n)) x
and private polygammaPrim (n: int) : UnaryPrim =
    let name = if n = 0 then "Digamma" else sprintf "Polygamma(%d)" n
    elementwiseVia64 name (SpecialFunctions.polygamma n) (fun x _ -> polygamma (n + 1) x)
        (fun x _ -> SpecialFunctions.polygamma (n + 1) x)

let digamma (x: Tensor) = requireFloat "Digamma" x; polygamma 0 x

let private lgammaPrim =
    elementwiseVia64 "Lgamma" SpecialFunctions.lgamma (fun x _ -> digamma x) (fun x _ -> SpecialFunctions.digamma x)
let lgamma (x: Tensor) = requireFloat "Lgamma" x; unary lgammaPrim x

// ------------------------------------------------------------------------- activations with kinks of their own

/// A float map whose derivative is a piecewise-constant slope (given per element; NaN at a NaN x, where it carries NaN
/// derivatives to every order).
let private kinkedPrim (name: string) (f: float -> float) (slope: float -> float) =
    let slopeRaw (x: RawTensor) =
        Simd.unaryFloat name (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- float32 (slope (float a.[i])))
                             (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- slope a.[i]) x
    elementwiseFloat name
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- float32 (f (float a.[i])))
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- f a.[i])
        (fun x _ -> withNaNDerivatives x (constant (slopeRaw x.Raw)))
        { F64 = f; D64 = (fun x _ -> slope x); F32 = (fun x -> float32 (f (float x))); D32 = (fun x _ -> float32 (slope (float x))) }

let private nanOr (x: float) (v: float) = if Double.IsNaN x then x else v

let leakyRelu (alpha: float) (x: Tensor) =
    requireFloat "LeakyRelu" x
    if Double.IsNaN alpha || Double.IsInfinity alpha then
        invalidArg "alpha" (sprintf "LeakyRelu: alpha is %g; expected a finite number" alpha)
    // computed in float64 and rounded once: x > 0 ? x : alpha x
    let a32 = float (float32 alpha)
    let prim (alpha: float) =
        kinkedPrim "LeakyRelu" (fun v -> if v > 0.0 then v else alpha * v) (fun v -> nanOr v (if v > 0.0 then 1.0 else alpha))
    unary (prim (if x.DType = DType.Float32 then a32 else alpha)) x

let private relu6Prim =
    kinkedPrim "Relu6" (fun v -> if Double.IsNaN v then v else Math.Min(Math.Max(v, 0.0), 6.0))
        (fun v -> nanOr v (if v > 0.0 && v < 6.0 then 1.0 else 0.0))
let relu6 (x: Tensor) = requireFloat "Relu6" x; unary relu6Prim x

/// x > 0 ? x : alpha (e^x - 1), its derivative from the result as TensorFlow's EluGrad: y < 0 ? y + alpha : 1.
let private eluPrim (name: string) (alpha: float) =
    elementwiseFloat name
        (fun a r o n -> for i in o .. o + n - 1 do let v = a.[i] in r.[i] <- if v > 0.0f then v else float32 alpha * SpecialFunctions.expm1F32 v)
        (fun a r o n -> for i in o .. o + n - 1 do let v = a.[i] in r.[i] <- if v > 0.0 then v else alpha * SpecialFunctions.expm1 v)
        (fun x y ->
            let negative = constant (Kernels.compare name Kernels.Comparison.Less y.Raw (Storage.zeros y.DType [||]))
            add (where negative (add y (scalarLike y alpha)) (onesLike y)) (zerosUnlessNaN x))
        { F64 = (fun v -> if v > 0.0 then v else alpha * SpecialFunctions.expm1 v)
          D64 = (fun x y -> if Double.IsNaN x then x elif y < 0.0 then y + alpha else 1.0)
          F32 = (fun v -> if v > 0.0f then v else float32 alpha * SpecialFunctions.expm1F32 v)
          D32 = (fun x y -> if Single.IsNaN x then x elif y < 0.0f then y + float32 alpha else 1.0f) }

let private elu1Prim = eluPrim "Elu" 1.0
let elu (x: Tensor) = requireFloat "Elu" x; unary elu1Prim x

let private seluAlpha = 1.6732632423543772848170429916717
let private seluScale = 1.0507009873554804934193349852946
let private seluInnerPrim = eluPrim "Selu" seluAlpha
let selu (x: Tensor) = requireFloat "Selu" x; mul (scalarLike x seluScale) (unary seluInnerPrim x)

// ------------------------------------------------------------------------- binary: Atan2, SquaredDifference, floor division

let private atan2K : Combinators.Kernels.BinKernel =
    { Name = "Atan2"
      F32 = { VV = (fun a ao b bo r ro n -> System.Numerics.Tensors.TensorPrimitives.Atan2(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- MathF.Atan2(a.[ao + i], s))
              SV = (fun s b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- MathF.Atan2(s, b.[bo + i])) }
      F64 = { VV = (fun a ao b bo r ro n -> System.Numerics.Tensors.TensorPrimitives.Atan2(ReadOnlySpan(a, ao, n), ReadOnlySpan(b, bo, n), Span(r, ro, n)))
              VS = (fun a ao s r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- Math.Atan2(a.[ao + i], s))
              SV = (fun s b bo r ro n -> for i in 0 .. n - 1 do r.[ro + i] <- Math.Atan2(s, b.[bo + i])) }
      I32 = None
      I64 = None }

let private atan2Prim =
    // d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
    let denominator (y: Tensor) (x: Tensor) = add (square y) (square x)
    { new BinaryPrim("Atan2") with
        member _.IsElementwise = true
        member _.Kernel(y, x) = Combinators.Kernels.binary atan2K y x
        member _.JvpA(y, x, r, dy) = broadcastTo r.Shape (mul dy (div x (denominator y x)))
        member _.JvpB(y, x, r, dx) = broadcastTo r.Shape (mul dx (neg (div y (denominator y x))))
        member _.VjpA(y, x, _, g) = sumTo y.Shape (mul g (div x (denominator y x)))
        member _.VjpB(y, x, _, g) = sumTo x.Shape (mul g (neg (div y (denominator y x)))) }

let atan2 (y: Tensor) (x: Tensor) =
    requireFloat "Atan2" y
    if y.DType <> x.DType then
        invalidArg "x" (sprintf "Atan2: y has dtype %s and x %s; expected the same float dtype" (string y.DType) (string x.DType))
    Shape.broadcast "Atan2" y.Shape x.Shape |> ignore
    binary atan2Prim y x

let squaredDifference (a: Tensor) (b: Tensor) =
    requireNumeric "SquaredDifference" a
    if a.DType <> b.DType then
        invalidArg "b" (sprintf "SquaredDifference: operands have dtypes %s and %s; expected the same dtype" (string a.DType) (string b.DType))
    Shape.broadcast "SquaredDifference" a.Shape b.Shape |> ignore
    squareAny (sub a b)

let private floorDivInt32 (a: int) (b: int) =
    if b = -1 then -a   // wraps at Int32.MinValue, as two's complement
    else
        let q = a / b
        if (a % b <> 0) && ((a < 0) <> (b < 0)) then q - 1 else q
let private floorDivInt64 (a: int64) (b: int64) =
    if b = -1L then -a
    else
        let q = a / b
        if (a % b <> 0L) && ((a < 0L) <> (b < 0L)) then q - 1L else q
let private floorModInt32 (a: int) (b: int) =
    if b = -1 then 0
    else
        let m = a % b
        if m <> 0 && ((m < 0) <> (b < 0)) then m + b else m
let private floorModInt64 (a: int64) (b: int64) =
    if b = -1L then 0L
    else
        let m = a % b
        if m <> 0L && ((m < 0L) <> (b < 0L)) then m + b else m
let private floorModF64 (a: float) (b: float) =
    let m = a % b
    if m <> 0.0 && ((m < 0.0) <> (b < 0.0)) then m + b else m
let private floorModF32 (a: float32) (b: float32) =
    let m = a % b
    if m <> 0.0f && ((m < 0.0f) <> (b < 0.0f)) then m + b else m

let private floorDivK : Combinators.Kernels.BinKernel =
    { Name = "FloorDiv"
      F32 = Combinators.Kernels.loopRows (fun a b -> MathF.Floor(a / b))
      F64 = Combinators.Kernels.loopRows (fun a b -> Math.Floor(a / b))
      I32 = Some(Combinators.Kernels.loopRows floorDivInt32)
      I64 = Some(Combinators.Kernels.loopRows floorDivInt64) }

let private floorModK : Combinators.Kernels.BinKernel =
    { Name = "FloorMod"
      F32 = Combinators.Kernels.loopRows floorModF32
      F64 = Combinators.Kernels.loopRows floorModF64
      I32 = Some(Combinators.Kernels.loopRows floorModInt32)
      I64 = Some(Combinators.Kernels.loopRows floorModInt64) }

/// Checks two operands of an integer floor division: one numeric dtype, broadcastable shapes, no zero divisor for
/// integers (TensorFlow raises "Integer division by zero").
let private checkFloorOperands (op: string) (a: Tensor) (b: Tensor) =
    requireNumeric op a
    if a.DType <> b.DType then
        invalidArg "b" (sprintf "%s: operands have dtypes %s and %s; expected the same dtype" op (string a.DType) (string b.DType))
    Shape.broadcast op a.Shape b.Shape |> ignore
    let hasZero =
        match b.Raw.Data with
        | :? (int[]) as d -> Array.contains 0 d
        | :? (int64[]) as d -> Array.contains 0L d
        | _ -> false
    if hasZero then
        invalidArg "b" (sprintf "%s: integer division by zero (the divisor of dtype %s and shape %s holds a 0)" op (string b.DType) (Shape.format b.Shape))

let floorDiv (a: Tensor) (b: Tensor) =
    checkFloorOperands "FloorDiv" a b
    constant (Combinators.Kernels.binary floorDivK a.Raw b.Raw)

let private floorModPrim =
    // d/da = 1, d/db = -floor(a / b) (as TensorFlow's FloorMod gradient); floor(a / b) enters as a constant
    let quotient (a: Tensor) (b: Tensor) = constant (Combinators.Kernels.binary floorDivK a.Raw b.Raw)
    { new BinaryPrim("FloorMod") with
        member _.IsElementwise = true
        member _.Kernel(a, b) = Combinators.Kernels.binary floorModK a b
        member _.JvpA(_, _, y, da) = broadcastTo y.Shape da
        member _.JvpB(a, b, y, db) = broadcastTo y.Shape (mul db (neg (quotient a b)))
        member _.VjpA(a, _, _, g) = sumTo a.Shape g
        member _.VjpB(a, b, _, g) = sumTo b.Shape (mul g (neg (quotient a b))) }

let floorMod (a: Tensor) (b: Tensor) =
    checkFloorOperands "FloorMod" a b
    if not a.IsFloat then constant (Combinators.Kernels.binary floorModK a.Raw b.Raw)
    else binary floorModPrim a b

// ------------------------------------------------------------------------- AddN

let private addNPrim =
    { new NaryPrim("AddN") with
        member _.Kernel rs = rs |> Array.reduce Combinators.Kernels.add
        member _.Jvp(_, _, dxs) = dxs |> Array.choose id |> Array.reduce add
        member _.Vjp(_, _, g, _) = g }

let addN (xs: Tensor[]) =
    if isNull xs || xs.Length = 0 then invalidArg "inputs" "AddN: no inputs; expected at least one tensor"
    let first = xs.[0]
    requireNumeric "AddN" first
    for i in 1 .. xs.Length - 1 do
        let x = xs.[i]
        if x.DType <> first.DType || not (Shape.equal x.Shape first.Shape) then
            invalidArg "inputs"
                (sprintf "AddN: input %d has dtype %s and shape %s, input 0 %s and %s; expected one dtype and one shape (AddN does not broadcast)"
                    i (string x.DType) (Shape.format x.Shape) (string first.DType) (Shape.format first.Shape))
    if xs.Length = 1 then first
    elif not first.IsFloat then constant (addNPrim.Kernel(xs |> Array.map (fun x -> x.Raw)))
    else nary addNPrim xs

// ------------------------------------------------------------------------- logical ops and tests (Bool, no derivative)

let private requireBool (op: string) (name: string) (x: Tensor) =
    if x.DType <> DType.Bool then
        invalidArg name (sprintf "%s: %s has dtype %s; expected Bool" op name (string x.DType))

let private logicalBinary (op: string) (f: bool -> bool -> bool) (x: Tensor) (y: Tensor) =
    requireBool op "x" x
    requireBool op "y" y
    let shape = Shape.broadcast op x.Shape y.Shape
    let a = (Combinators.Kernels.broadcastTo shape x.Raw).Data :?> bool[]
    let b = (Combinators.Kernels.broadcastTo shape y.Raw).Data :?> bool[]
    constant (RawTensor(DType.Bool, Array.copy shape, Array.map2 f a b))

let logicalAnd (x: Tensor) (y: Tensor) = logicalBinary "LogicalAnd" (&&) x y
let logicalOr (x: Tensor) (y: Tensor) = logicalBinary "LogicalOr" (||) x y
let logicalNot (x: Tensor) = requireBool "LogicalNot" "x" x; constant (Kernels.logicalNot x.Raw)

let private floatTest (op: string) (f32: float32 -> bool) (f64: float -> bool) (x: Tensor) =
    requireFloat op x
    let data: bool[] =
        match x.Raw.Data with
        | :? (float32[]) as a -> Array.map f32 a
        | :? (float[]) as a -> Array.map f64 a
        | _ -> invalidArg "x" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (string x.DType))
    constant (RawTensor(DType.Bool, Array.copy x.Shape, data))

let isNan (x: Tensor) = floatTest "IsNan" Single.IsNaN Double.IsNaN x
let isFinite (x: Tensor) = floatTest "IsFinite" Single.IsFinite Double.IsFinite x

// ------------------------------------------------------------------------- Softsign (a primitive, for its scalar rules)

let private softsignF64 (x: float) = x / (1.0 + Math.Abs x)
let private softsignF32 (x: float32) = x / (1.0f + MathF.Abs x)

/// x / (1 + |x|), f' = 1 / (1 + |x|)^2 (as TensorFlow's SoftsignGrad); the kernel and the scalar rules share one scalar
/// function, so rank-0 values and shape-[1] ones agree bit for bit (NaN payloads included).
let softsignPrim =
    elementwiseFloat "Softsign"
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- softsignF32 a.[i])
        (fun a r o n -> for i in o .. o + n - 1 do r.[i] <- softsignF64 a.[i])
        (fun x _ -> div (onesLike x) (square (add (onesLike x) (abs x))))
        { F64 = softsignF64; D64 = (fun x _ -> let d = 1.0 + Math.Abs x in 1.0 / (d * d))
          F32 = softsignF32; D32 = (fun x _ -> let d = 1.0f + MathF.Abs x in 1.0f / (d * d)) }
