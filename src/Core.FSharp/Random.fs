module Nabla.Core.Randomness

open System
open System.Collections.Generic
open Nabla.Core
open Nabla.Core.Combinators

module Kernels =

    // Philox-4x32 constants from the published algorithm: the two round multipliers and the Weyl key increments
    // (the golden ratio and sqrt(3) - 1 in 32-bit fixed point).
    [<Literal>]
    let private M0 = 0xD2511F53u
    [<Literal>]
    let private M1 = 0xCD9E8D57u
    [<Literal>]
    let private W0 = 0x9E3779B9u
    [<Literal>]
    let private W1 = 0xBB67AE85u

    let philox4x32 (c0: uint32) (c1: uint32) (c2: uint32) (c3: uint32) (k0: uint32) (k1: uint32) =
        let mutable x0 = c0
        let mutable x1 = c1
        let mutable x2 = c2
        let mutable x3 = c3
        let mutable a = k0
        let mutable b = k1
        for round in 0 .. 9 do
            if round > 0 then
                a <- a + W0
                b <- b + W1
            let p0 = uint64 M0 * uint64 x0
            let p1 = uint64 M1 * uint64 x2
            let hi0 = uint32 (p0 >>> 32)
            let lo0 = uint32 p0
            let hi1 = uint32 (p1 >>> 32)
            let lo1 = uint32 p1
            let y0 = hi1 ^^^ x1 ^^^ a
            let y2 = hi0 ^^^ x3 ^^^ b
            x0 <- y0
            x1 <- lo1
            x2 <- y2
            x3 <- lo0
        struct (x0, x1, x2, x3)

    [<Struct>]
    type Stream = { K0: uint32; K1: uint32; Call: uint64 }

    let block (s: Stream) (i: int) (draw: uint32) =
        philox4x32 (uint32 i) draw (uint32 s.Call) (uint32 (s.Call >>> 32)) s.K0 s.K1

    let unit53 (hi: uint32) (lo: uint32) =
        float (((uint64 hi <<< 32) ||| uint64 lo) >>> 11) * (1.0 / 9007199254740992.0)

    let unit24 (w: uint32) = float32 (w >>> 8) * (1.0f / 16777216.0f)

    let uniformFloat (s: Stream) (shape: int[]) (minval: float) (maxval: float) (dtype: DType) =
        let n = Shape.size shape
        match dtype with
        | DType.Float32 ->
            let lo = float32 minval
            let hi = float32 maxval
            let span = hi - lo
            let values =
                Array.init n (fun i ->
                    let struct (w, _, _, _) = block s i 0u
                    let v = lo + span * unit24 w
                    // Float32 rounding can reach maxval: keep the interval half-open.
                    if hi > lo && v >= hi then MathF.BitDecrement hi else v)
            RawTensor(dtype, Array.copy shape, values)
        | DType.Float64 ->
            let span = maxval - minval
            let values =
                Array.init n (fun i ->
                    let struct (w0, w1, _, _) = block s i 0u
                    let v = minval + span * unit53 w0 w1
                    if maxval > minval && v >= maxval then Math.BitDecrement maxval else v)
            RawTensor(dtype, Array.copy shape, values)
        | _ -> Storage.unsupported "RandomUniform" dtype "Float32 or Float64"

    let uniformInt (s: Stream) (shape: int[]) (minval: int64) (maxval: int64) (dtype: DType) =
        let n = Shape.size shape
        // maxval > minval: the span fits in 64 unsigned bits even when the difference overflows int64.
        let span = uint64 maxval - uint64 minval
        match dtype with
        | DType.Int32 ->
            let span32 = uint32 span
            let values =
                Array.init n (fun i ->
                    let struct (w, _, _, _) = block s i 0u
                    int (uint32 (int32 minval) + w % span32))
            RawTensor(dtype, Array.copy shape, values)
        | DType.Int64 ->
            let values =
                Array.init n (fun i ->
                    let struct (w0, w1, _, _) = block s i 0u
                    int64 (uint64 minval + ((uint64 w0 <<< 32) ||| uint64 w1) % span))
            RawTensor(dtype, Array.copy shape, values)
        | _ -> Storage.unsupported "RandomUniform" dtype "Int32 or Int64"

    /// One standard normal from element i's draw `draw` (Box-Muller, the cosine branch); u1 in (0, 1] keeps the log finite.
    let private standardNormal (s: Stream) (i: int) (draw: uint32) =
        let struct (w0, w1, w2, w3) = block s i draw
        let u1 = 1.0 - unit53 w0 w1
        let u2 = unit53 w2 w3
        Math.Sqrt(-2.0 * Math.Log u1) * Math.Cos(2.0 * Math.PI * u2)

    let private ofDoubles (op: string) (shape: int[]) (dtype: DType) (values: float[]) =
        match dtype with
        | DType.Float64 -> RawTensor(dtype, Array.copy shape, values)
        | DType.Float32 -> RawTensor(dtype, Array.copy shape, Array.map float32 values)
        | _ -> Storage.unsupported op dtype "Float32 or Float64"

    let normal (s: Stream) (shape: int[]) (mean: float) (stddev: float) (dtype: DType) =
        let n = Shape.size shape
        Array.init n (fun i -> mean + stddev * standardNormal s i 0u) |> ofDoubles "RandomNormal" shape dtype

    let truncatedNormal (s: Stream) (shape: int[]) (mean: float) (stddev: float) (dtype: DType) =
        let n = Shape.size shape
        let sample i =
            // Each redraw takes the element's next block, so an element's value does not depend on the others'.
            let mutable draw = 0u
            let mutable z = standardNormal s i draw
            while not (Math.Abs z < 2.0) do
                draw <- draw + 1u
                z <- standardNormal s i draw
            mean + stddev * z
        // A Float32 value may round onto mean +- 2 stddev (the bound is then met with equality).
        Array.init n sample |> ofDoubles "TruncatedNormal" shape dtype

    let categorical (s: Stream) (logits: RawTensor) (numSamples: int) (dtype: DType) =
        let batch = logits.Shape.[0]
        let classes = logits.Shape.[1]
        let l = Storage.toDoubles logits
        let out = Array.zeroCreate<int64> (batch * numSamples)
        let cumulative = Array.zeroCreate<float> classes
        for b in 0 .. batch - 1 do
            let row = b * classes
            let mutable m = Double.NegativeInfinity
            for c in 0 .. classes - 1 do m <- max m l.[row + c]
            let mutable total = 0.0
            let mutable last = 0
            for c in 0 .. classes - 1 do
                let p = Math.Exp(l.[row + c] - m)
                if p > 0.0 then last <- c
                total <- total + p
                cumulative.[c] <- total
            for k in 0 .. numSamples - 1 do
                let struct (w0, w1, _, _) = block s (b * numSamples + k) 0u
                let target = unit53 w0 w1 * total
                // The first class whose cumulative mass exceeds the target (a class of mass 0 never does).
                let mutable lo = 0
                let mutable hi = classes - 1
                while lo < hi do
                    let mid = (lo + hi) >>> 1
                    if cumulative.[mid] > target then hi <- mid else lo <- mid + 1
                out.[b * numSamples + k] <- int64 (if cumulative.[lo] > target then lo else last)
        let shape = [| batch; numSamples |]
        match dtype with
        | DType.Int64 -> RawTensor(dtype, shape, out)
        | _ -> RawTensor(DType.Int32, shape, Array.map int out)

    let permutation (s: Stream) (n: int) =
        let perm = Array.init n id
        for i in n - 1 .. -1 .. 1 do
            let struct (w0, w1, _, _) = block s i 0u
            // 64 bits modulo i + 1 <= 2^31: a bias below 2^-32.
            let j = int ((((uint64 w0) <<< 32) ||| uint64 w1) % uint64 (i + 1))
            let t = perm.[i]
            perm.[i] <- perm.[j]
            perm.[j] <- t
        perm

    let shuffle (s: Stream) (value: RawTensor) =
        if value.Rank = 0 || value.Shape.[0] <= 1 then value
        else
            let n = value.Shape.[0]
            let row = value.Size / n
            let perm = permutation s n
            let src = value.Data
            let dst = Storage.alloc value.DType value.Size
            for i in 0 .. n - 1 do
                Array.Copy(src, perm.[i] * row, dst, i * row, row)
            RawTensor(value.DType, Array.copy value.Shape, dst)

    let dropoutMask (s: Stream) (noiseShape: int[]) (rate: float) (dtype: DType) =
        let n = Shape.size noiseShape
        match dtype with
        | DType.Float32 ->
            let r = float32 rate
            let scale = 1.0f / (1.0f - r)
            let values = Array.init n (fun i -> let struct (w, _, _, _) = block s i 0u in if unit24 w >= r then scale else 0.0f)
            RawTensor(dtype, Array.copy noiseShape, values)
        | DType.Float64 ->
            let scale = 1.0 / (1.0 - rate)
            let values = Array.init n (fun i -> let struct (w0, w1, _, _) = block s i 0u in if unit53 w0 w1 >= rate then scale else 0.0)
            RawTensor(dtype, Array.copy noiseShape, values)
        | _ -> Storage.unsupported "Dropout" dtype "Float32 or Float64"

    // The seed state: one process-wide object behind a lock (see the module's doc).

    /// TensorFlow's DEFAULT_GRAPH_SEED, the global seed of rule 3.
    [<Literal>]
    let private DefaultGlobalSeed = 87654321

    /// Call indices of derived streams (rules 1 and 2) carry this bit, so they never meet an explicit pair's calls.
    [<Literal>]
    let private Derived = 0x8000000000000000UL

    let private gate = obj ()
    let mutable private globalSeed: int option = None
    let mutable private derivedSeeds = 0L
    let private calls = Dictionary<struct (string * DType * int * int), uint64>()

    let internal setGlobal (seed: int option) =
        lock gate (fun () ->
            globalSeed <- seed
            derivedSeeds <- 0L
            calls.Clear())

    let internal getGlobal () = lock gate (fun () -> globalSeed)

    let nextStream (op: string) (dtype: DType) (seed: int option) =
        match seed with
        | None ->
            lock gate (fun () ->
                match globalSeed with
                | None ->
                    let bytes = Security.Cryptography.RandomNumberGenerator.GetBytes 12
                    { K0 = BitConverter.ToUInt32(bytes, 0)
                      K1 = BitConverter.ToUInt32(bytes, 4)
                      Call = Derived ||| (uint64 (BitConverter.ToUInt32(bytes, 8)) <<< 32) }
                | Some g ->
                    let k = derivedSeeds
                    derivedSeeds <- k + 1L
                    { K0 = uint32 g; K1 = uint32 k; Call = Derived ||| (uint64 k >>> 32) })
        | Some opSeed ->
            lock gate (fun () ->
                let g = defaultArg globalSeed DefaultGlobalSeed
                let key = struct (op, dtype, g, opSeed)
                let mutable n = 0UL
                calls.TryGetValue(key, &n) |> ignore
                calls.[key] <- n + 1UL
                { K0 = uint32 g; K1 = uint32 opSeed; Call = n })

let setSeed (seed: int option) = Kernels.setGlobal seed

let globalSeed () = Kernels.getGlobal ()

let private checkShape (op: string) (shape: int[]) = Shape.checkedSize op shape |> ignore

let private requireFloatDType (op: string) (dtype: DType) =
    Storage.checkDType op dtype
    if dtype <> DType.Float32 && dtype <> DType.Float64 then
        invalidArg "dtype" (sprintf "%s: dtype %s is not supported; expected Float32 or Float64" op (Storage.dtypeName dtype))

let normal (shape: int[]) (mean: float) (stddev: float) (dtype: DType) (seed: int option) =
    checkShape "RandomNormal" shape
    requireFloatDType "RandomNormal" dtype
    let s = Kernels.nextStream "RandomNormal" dtype seed
    constant (Kernels.normal s shape mean stddev dtype)

let truncatedNormal (shape: int[]) (mean: float) (stddev: float) (dtype: DType) (seed: int option) =
    checkShape "TruncatedNormal" shape
    requireFloatDType "TruncatedNormal" dtype
    let s = Kernels.nextStream "TruncatedNormal" dtype seed
    constant (Kernels.truncatedNormal s shape mean stddev dtype)

/// An integer bound of RandomUniform: a whole number the dtype holds.
let private intBound (name: string) (dtype: DType) (v: float) =
    let lo, hi =
        if dtype = DType.Int32 then float Int32.MinValue, float Int32.MaxValue + 1.0
        else -9223372036854775808.0, 9223372036854775808.0
    if Double.IsNaN v || Math.Floor v <> v || v < lo || v >= hi then
        invalidArg name (sprintf "RandomUniform: %s %s is not an integer that dtype %s holds; expected a whole number in [%.0f, %.0f)"
                                 name (v.ToString("R", Globalization.CultureInfo.InvariantCulture)) (Storage.dtypeName dtype) lo hi)
    int64 v

let uniform (shape: int[]) (minval: float) (maxval: float option) (dtype: DType) (seed: int option) =
    checkShape "RandomUniform" shape
    Storage.checkDType "RandomUniform" dtype
    match dtype with
    | DType.Float32 | DType.Float64 ->
        let hi = defaultArg maxval 1.0
        let s = Kernels.nextStream "RandomUniform" dtype seed
        constant (Kernels.uniformFloat s shape minval hi dtype)
    | DType.Int32 | DType.Int64 ->
        let hi =
            match maxval with
            | Some v -> v
            | None -> invalidArg "maxval" (sprintf "RandomUniform: maxval is required for dtype %s (TensorFlow's rule for integer dtypes)" (Storage.dtypeName dtype))
        let lo = intBound "minval" dtype minval
        let hi = intBound "maxval" dtype hi
        if not (lo < hi) then
            invalidArg "maxval" (sprintf "RandomUniform: minval %d and maxval %d for dtype %s; expected minval < maxval" lo hi (Storage.dtypeName dtype))
        let s = Kernels.nextStream "RandomUniform" dtype seed
        constant (Kernels.uniformInt s shape lo hi dtype)
    | _ -> Storage.unsupported "RandomUniform" dtype "Float32, Float64, Int32 or Int64"

let categorical (logits: Tensor) (numSamples: int) (dtype: DType) (seed: int option) =
    let raw = logits.Raw
    if raw.Rank <> 2 then
        invalidArg "logits" (sprintf "Categorical: logits have shape %s; expected a matrix [batch, classes]" (Shape.format raw.Shape))
    if not raw.IsFloat then
        invalidArg "logits" (sprintf "Categorical: logits have dtype %s; expected Float32 or Float64" (Storage.dtypeName raw.DType))
    if raw.Shape.[1] = 0 then
        invalidArg "logits" (sprintf "Categorical: logits have shape %s, no classes; expected at least one class" (Shape.format raw.Shape))
    if numSamples < 0 then
        invalidArg "numSamples" (sprintf "Categorical: numSamples %d is negative; expected numSamples >= 0" numSamples)
    Storage.checkDType "Categorical" dtype
    if dtype <> DType.Int32 && dtype <> DType.Int64 then
        invalidArg "dtype" (sprintf "Categorical: dtype %s is not supported; expected Int32 or Int64" (Storage.dtypeName dtype))
    Shape.checkedSize "Categorical" [| raw.Shape.[0]; numSamples |] |> ignore
    let l = Storage.toDoubles raw
    let classes = raw.Shape.[1]
    for b in 0 .. raw.Shape.[0] - 1 do
        let mutable anyFinite = false
        for c in 0 .. classes - 1 do
            let v = l.[b * classes + c]
            if Double.IsNaN v || Double.IsPositiveInfinity v then
                invalidArg "logits" (sprintf "Categorical: row %d of logits %s holds %g; expected finite logits or -inf" b (Shape.format raw.Shape) v)
            if not (Double.IsNegativeInfinity v) then anyFinite <- true
        if not anyFinite then
            invalidArg "logits" (sprintf "Categorical: row %d of logits %s is all -inf; expected at least one finite logit" b (Shape.format raw.Shape))
    let s = Kernels.nextStream "Categorical" raw.DType seed
    constant (Kernels.categorical s raw numSamples dtype)

let shuffle (seed: int option) (value: Tensor) =
    let raw = value.Raw
    let s = Kernels.nextStream "Shuffle" raw.DType seed
    constant (Kernels.shuffle s raw)

let dropout (rate: float) (noiseShape: int[] option) (seed: int option) (x: Tensor) =
    if not x.IsFloat then
        invalidArg "x" (sprintf "Dropout: x has dtype %s; expected Float32 or Float64 (x is scaled by 1 / (1 - rate))" (Storage.dtypeName x.DType))
    if not (rate >= 0.0 && rate < 1.0) then
        invalidArg "rate" (sprintf "Dropout: rate %s is outside [0, 1); expected 0 <= rate < 1"
                                   (rate.ToString("R", Globalization.CultureInfo.InvariantCulture)))
    let noise =
        match noiseShape with
        | None -> x.Shape
        | Some ns ->
            Shape.check "Dropout" ns
            match Shape.tryBroadcast x.Shape ns with
            | Some b when Shape.equal b x.Shape -> ns
            | _ ->
                invalidArg "noiseShape" (sprintf "Dropout: noise shape %s does not broadcast to x's shape %s; expected each dimension (aligned from the right) to equal x's or be 1, with rank <= x's rank"
                                                 (Shape.format ns) (Shape.format x.Shape))
    if rate = 0.0 then x
    else
        let s = Kernels.nextStream "Dropout" x.DType seed
        Elementwise.mul x (constant (Kernels.dropoutMask s noise rate x.DType))
