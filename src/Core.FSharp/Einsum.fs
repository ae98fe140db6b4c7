module Nabla.Core.Einsum

open System
open System.Collections.Generic
open Nabla.Core.Combinators
open Nabla.Core.Layout

/// The kernel of the integer contractions (floats go through Products.matmul and the provider's GEMM).
module Kernels =
    open Nabla.Core.Storage

    /// op(a) op(b) for rank-2 operands or rank-3 operands with one (equal) batch axis, integer elements: the plain
    /// triple loop, wrapping on overflow as TensorFlow's integer einsum does.
    let inline private loop (x: ^T[]) (y: ^T[]) (c: ^T[]) (bt: int) (m: int) (k: int) (n: int)
                            (ai: int) (al: int) (bl: int) (bj: int) =
        for p in 0 .. bt - 1 do
            let ao, bo, co = p * m * k, p * k * n, p * m * n
            for i in 0 .. m - 1 do
                for j in 0 .. n - 1 do
                    let mutable s = LanguagePrimitives.GenericZero< ^T>
                    for l in 0 .. k - 1 do
                        s <- s + x.[ao + i * ai + l * al] * y.[bo + l * bl + j * bj]
                    c.[co + i * n + j] <- s

    let intMatmul (transA: bool) (transB: bool) (a: RawTensor) (b: RawTensor) =
        let r = a.Rank
        let bt = if r = 3 then a.Shape.[0] else 1
        let m = if transA then a.Shape.[r - 1] else a.Shape.[r - 2]
        let k = if transA then a.Shape.[r - 2] else a.Shape.[r - 1]
        let n = if transB then b.Shape.[r - 2] else b.Shape.[r - 1]
        // element (i, l) of op(A) sits at i * ai + l * al of its matrix, element (l, j) of op(B) at l * bl + j * bj
        let ai, al = if transA then 1, m else k, 1
        let bl, bj = if transB then 1, k else n, 1
        let outShape = if r = 3 then [| bt; m; n |] else [| m; n |]
        let data: Array =
            match a.Data, b.Data with
            | (:? (int[]) as x), (:? (int[]) as y) ->
                let c: int[] = Array.zeroCreate (bt * m * n)
                loop x y c bt m k n ai al bl bj
                c :> _
            | (:? (int64[]) as x), (:? (int64[]) as y) ->
                let c: int64[] = Array.zeroCreate (bt * m * n)
                loop x y c bt m k n ai al bl bj
                c :> _
            | _ -> unsupported "Einsum" a.DType "Int32 or Int64 (floats go through MatMul)"
        RawTensor(a.DType, outShape, data)

// ------------------------------------------------------------------ labels
//
// A label is an int: a named label is its character's code (letters only), the ellipsis' dimension p (counted from the
// left of the broadcast ellipsis shape) is ellipsisBase + p, and Tensordot numbers its axes from tensordotBase.

let private ellipsisMark = -1
let private ellipsisBase = 256
let private tensordotBase = 1 <<< 20

let private labelName (l: int) =
    if l >= 0 && l < ellipsisBase then sprintf "'%c'" (char l)
    elif l >= ellipsisBase && l < tensordotBase then sprintf "ellipsis dimension %d" (l - ellipsisBase)
    else sprintf "axis %d" (l - tensordotBase)

let private fail (op: string) (equation: string) (msg: string) : 'T =
    if isNull equation then invalidArg "equation" (sprintf "%s: %s" op msg)
    else invalidArg "equation" (sprintf "%s: equation \"%s\": %s" op equation msg)

let private termText (labels: int[]) =
    String.Join("", labels |> Array.map (fun l -> if l = ellipsisMark then "..." else string (char l)))

/// The labels of one subscript string (whitespace already removed): letters, at most one "...".
let private parseTerm (op: string) (equation: string) (text: string) =
    let labels = ResizeArray<int>()
    let mutable i = 0
    while i < text.Length do
        let c = text.[i]
        if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') then
            labels.Add(int c)
            i <- i + 1
        elif c = '.' then
            if i + 3 > text.Length || text.Substring(i, 3) <> "..." then
                fail op equation (sprintf "subscripts \"%s\" hold a '.' outside an ellipsis; expected \"...\"" text)
            if labels.Contains ellipsisMark then
                fail op equation (sprintf "subscripts \"%s\" hold more than one ellipsis; expected at most one \"...\" per operand and in the output" text)
            labels.Add ellipsisMark
            i <- i + 3
        else
            fail op equation (sprintf "character '%c' in subscripts \"%s\" is not an axis label; expected letters a-z and A-Z, \"...\", ',' between operands and \"->\" before the output" c text)
    labels.ToArray()

/// Input and output subscripts of an equation for `count` operands; the output is the implicit one (labels that occur
/// exactly once, in code order: A-Z before a-z; the ellipsis first when an operand has one) when there is no "->".
let private parse (op: string) (equation: string) (count: int) =
    if isNull equation then fail op null "the equation is null; expected subscripts such as \"ij,jk->ik\""
    let eq = String(equation |> Seq.filter (fun c -> not (Char.IsWhiteSpace c)) |> Seq.toArray)
    let arrow = eq.IndexOf("->", StringComparison.Ordinal)
    if arrow >= 0 && eq.IndexOf("->", arrow + 2, StringComparison.Ordinal) >= 0 then
        fail op equation "holds more than one \"->\"; expected input subscripts, then at most one \"->\" and the output subscripts"
    let lhs = if arrow >= 0 then eq.Substring(0, arrow) else eq
    let terms = lhs.Split(',')
    if terms.Length <> count then
        fail op equation (sprintf "has %d input subscript%s but %d operand%s %s given; expected one subscript string per operand"
                                  terms.Length (if terms.Length = 1 then "" else "s") count (if count = 1 then "" else "s") (if count = 1 then "was" else "were"))
    let inputs = terms |> Array.map (parseTerm op equation)
    let output =
        if arrow >= 0 then
            let rhs = eq.Substring(arrow + 2)
            if rhs.Contains ',' then fail op equation (sprintf "the output subscripts \"%s\" hold ','; expected one output" rhs)
            let out = parseTerm op equation rhs
            let named = out |> Array.filter (fun l -> l <> ellipsisMark)
            match named |> Array.countBy id |> Array.tryFind (fun (_, n) -> n > 1) with
            | Some(l, _) -> fail op equation (sprintf "label %s appears more than once in the output subscripts \"%s\"; expected each output label once" (labelName l) rhs)
            | None -> ()
            for l in named do
                if not (inputs |> Array.exists (Array.contains l)) then
                    fail op equation (sprintf "output label %s appears in no input subscripts; expected every output label among the inputs'" (labelName l))
            out
        else
            let counts = inputs |> Array.collect id |> Array.filter (fun l -> l <> ellipsisMark) |> Array.countBy id
            let once = counts |> Array.filter (fun (_, n) -> n = 1) |> Array.map fst |> Array.sort
            if inputs |> Array.exists (Array.contains ellipsisMark) then Array.append [| ellipsisMark |] once else once
    inputs, output

// ------------------------------------------------------------------ resolving labels against shapes

/// Replaces each ellipsis by the labels of its dimensions (right-aligned against the widest ellipsis), checks ranks
/// and extents, and gives each label its extent (broadcast over the ellipsis dimensions).
let private resolve (op: string) (equation: string) (inputs: int[][]) (output: int[]) (shapes: int[][]) =
    let describe i = sprintf "operand %d (subscripts \"%s\", shape %s)" i (termText inputs.[i]) (Shape.format shapes.[i])
    let widths =
        inputs |> Array.mapi (fun i ls ->
            let named = ls |> Array.filter (fun l -> l <> ellipsisMark) |> Array.length
            let rank = shapes.[i].Length
            if Array.contains ellipsisMark ls then
                if rank < named then
                    fail op equation (sprintf "%s has rank %d; expected rank at least %d (one axis per label, any number for \"...\")" (describe i) rank named)
                rank - named
            else
                if rank <> named then
                    fail op equation (sprintf "%s has rank %d; expected rank %d (one axis per label)" (describe i) rank named)
                0)
    let width = if widths.Length = 0 then 0 else Array.max widths
    let expand (ls: int[]) (w: int) =
        ls |> Array.collect (fun l -> if l = ellipsisMark then Array.init w (fun q -> ellipsisBase + width - w + q) else [| l |])
    let labels = Array.map2 expand inputs widths
    let outLabels =
        if Array.contains ellipsisMark output then expand output width
        elif width > 0 then
            fail op equation (sprintf "the operands' ellipsis covers %d dimension%s but the output subscripts have no \"...\"; expected \"...\" in the output"
                                      width (if width = 1 then "" else "s"))
        else output
    let extent = Dictionary<int, int>()
    let from = Dictionary<int, int * int>()
    for i in 0 .. labels.Length - 1 do
        labels.[i] |> Array.iteri (fun axis l ->
            let d = shapes.[i].[axis]
            match extent.TryGetValue l with
            | false, _ ->
                extent.[l] <- d
                from.[l] <- (i, axis)
            | true, e when e = d -> ()
            | true, e ->
                let j, axisJ = from.[l]
                if l >= ellipsisBase && l < tensordotBase then
                    if e = 1 then
                        extent.[l] <- d
                        from.[l] <- (i, axis)
                    elif d <> 1 then
                        fail op equation (sprintf "the ellipsis dimensions of %s and %s do not broadcast (extents %d and %d); expected equal extents or 1, aligned from the right"
                                                  (describe j) (describe i) e d)
                else
                    fail op equation (sprintf "label %s has extent %d at axis %d of %s but extent %d at axis %d of %s; expected equal extents"
                                              (labelName l) e axisJ (describe j) d axis (describe i)))
    labels, outLabels, (fun l -> extent.[l])

// ------------------------------------------------------------------ the contraction

/// The tensor with its labels moved into `order` (a permutation of its labels).
let private arrange (t: Tensor) (ls: int[]) (order: int[]) = transpose (order |> Array.map (fun l -> Array.IndexOf(ls, l))) t

/// Sums the axes whose labels `drop` picks.
let private sumLabels (drop: int -> bool) (t: Tensor, ls: int[]) =
    let axes = [| for i in 0 .. ls.Length - 1 do if drop ls.[i] then yield i |]
    if axes.Length = 0 then t, ls
    else Reductions.sum axes false t, ls |> Array.filter (fun l -> not (drop l))

/// Generalised diagonals: each label repeated k times becomes one axis holding the elements whose k indices agree.
/// The repeated axes are moved together and merged into one of extent n^k, from which Gather picks the n entries at
/// multiples of 1 + n + ... + n^(k-1); Gather's rules (and ScatterAdd's) give every derivative.
let private diagonal (t: Tensor, ls: int[]) =
    let distinct = Array.distinct ls
    if distinct.Length = ls.Length then t, ls
    else
        let positions = distinct |> Array.map (fun l -> [| for i in 0 .. ls.Length - 1 do if ls.[i] = l then yield i |])
        let moved = transpose (Array.concat positions) t
        let extents = positions |> Array.map (fun ps -> t.Shape.[ps.[0]])
        let merged = Array.map2 (fun (ps: int[]) n -> pown n ps.Length) positions extents
        let mutable r = reshape merged moved
        for a in 0 .. distinct.Length - 1 do
            let k = positions.[a].Length
            if k > 1 then
                let n = extents.[a]
                let step = Seq.sum (seq { for j in 0 .. k - 1 -> pown n j })
                let idx = constant (RawTensor(DType.Int32, [| n |], Array.init n (fun i -> i * step)))
                r <- gather a idx r
        r, distinct

/// A product of two operands with its shapes, dtype-agnostic: transposes, reshapes and one matrix product (`mm`,
/// given transpose flags), or a broadcast product when nothing is contracted. `keep` tells the labels the result
/// must hold (those of the output and of the other operands still to come).
let private contractPair (mm: bool -> bool -> Tensor -> Tensor -> Tensor) (ext: int -> int) (keep: int -> bool)
                         (a: Tensor, la: int[]) (b: Tensor, lb: int[]) =
    let a, la = sumLabels (fun l -> not (keep l) && not (Array.contains l lb)) (a, la)
    let b, lb = sumLabels (fun l -> not (keep l) && not (Array.contains l la)) (b, lb)
    let inA l = Array.contains l la
    let inB l = Array.contains l lb
    let batch = la |> Array.filter (fun l -> inB l && keep l)
    let contracted = la |> Array.filter (fun l -> inB l && not (keep l))
    let freeA = la |> Array.filter (inB >> not)
    let freeB = lb |> Array.filter (inA >> not)
    let extents (ls: int[]) = ls |> Array.map ext
    let size (ls: int[]) = Shape.size (extents ls)
    let ones (ls: int[]) = Array.create ls.Length 1
    let labels = Array.concat [ batch; freeA; freeB ]
    if contracted.Length = 0 then
        // Nothing summed: a broadcast product (outer products, Hadamard products, scaling by a scalar).
        let a' = arrange a la (Array.append batch freeA) |> reshape (Array.concat [ extents batch; extents freeA; ones freeB ])
        let b' = arrange b lb (Array.append batch freeB) |> reshape (Array.concat [ extents batch; ones freeA; extents freeB ])
        Elementwise.mul a' b', labels
    elif size freeA = 1 && size freeB = 1 && size batch > 1 then
        // Batched dot products: one product and one sum beat many 1 x k by k x 1 matrix products.
        let a' = arrange a la (Array.concat [ batch; freeA; contracted ]) |> reshape (Array.concat [ extents batch; extents freeA; ones freeB; extents contracted ])
        let b' = arrange b lb (Array.concat [ batch; freeB; contracted ]) |> reshape (Array.concat [ extents batch; ones freeA; extents freeB; extents contracted ])
        let p = Elementwise.mul a' b'
        let n = batch.Length + freeA.Length + freeB.Length
        Reductions.sum (Array.init contracted.Length (fun i -> n + i)) false p, labels
    else
        // [batch, M, K] x [batch, K, N], each side stored in whichever order needs no transpose of its matrix part.
        let firstOther (ls: int[]) = ls |> Array.tryFind (fun l -> not (Array.contains l batch))
        let transA = match firstOther la with Some l -> Array.contains l contracted | None -> false
        let transB = match firstOther lb with Some l -> not (Array.contains l contracted) | None -> false
        let m, k, n, nb = size freeA, size contracted, size freeB, size batch
        let matrix rows cols = if batch.Length = 0 then [| rows; cols |] else [| nb; rows; cols |]
        let a' =
            if transA then arrange a la (Array.concat [ batch; contracted; freeA ]) |> reshape (matrix k m)
            else arrange a la (Array.concat [ batch; freeA; contracted ]) |> reshape (matrix m k)
        let b' =
            if transB then arrange b lb (Array.concat [ batch; freeB; contracted ]) |> reshape (matrix n k)
            else arrange b lb (Array.concat [ batch; contracted; freeB ]) |> reshape (matrix k n)
        reshape (Array.concat [ extents batch; extents freeA; extents freeB ]) (mm transA transB a' b'), labels

/// The labels an operand keeps after its diagonals and the sums over labels no other operand and not the output has.
let private ownReduced (all: int[][]) (output: int[]) (i: int) =
    let mine = Array.distinct all.[i]
    let elsewhere l = Array.contains l output || all |> Array.indexed |> Array.exists (fun (j, ls) -> j <> i && Array.contains l ls)
    mine |> Array.filter elsewhere

/// The pairs to contract, in order, for operands with these (unique) labels: greedy, as opt_einsum's default (what
/// tf.einsum uses): at each step the pair whose result is smallest against its operands (size(result) - size(a) -
/// size(b), first pair on ties), whose result joins the end of the list. Each result's size is checked here, before
/// anything is computed.
let private plan (op: string) (equation: string) (ext: int -> int) (operands: int[][]) (output: int[]) =
    let live = ResizeArray<int[]>(operands)
    let steps = ResizeArray<int * int>()
    let sizeOf (ls: int[]) = ls |> Array.fold (fun acc l -> acc * float (ext l)) 1.0
    while live.Count > 1 do
        let mutable best = (0, 1)
        let mutable bestCost = infinity
        let mutable bestLabels = [||]
        for i in 0 .. live.Count - 2 do
            for j in i + 1 .. live.Count - 1 do
                let keep l = Array.contains l output || (live |> Seq.indexed |> Seq.exists (fun (q, ls) -> q <> i && q <> j && Array.contains l ls))
                let result = Array.append live.[i] (live.[j] |> Array.filter (fun l -> not (Array.contains l live.[i]))) |> Array.filter keep
                let cost = sizeOf result - sizeOf live.[i] - sizeOf live.[j]
                if cost < bestCost then
                    bestCost <- cost
                    best <- (i, j)
                    bestLabels <- result
        let i, j = best
        let shape = bestLabels |> Array.map ext
        if Shape.trySize shape < 0 then
            fail op equation (sprintf "contracting the operands gives an intermediate result of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                      (Shape.format shape) (Shape.bigSize shape) Shape.maxElements)
        steps.Add best
        live.RemoveAt j
        live.RemoveAt i
        live.Add bestLabels
    steps.ToArray()

/// The fast path: a (batched, broadcast) matrix product written as an equation, [..., x, y] and [..., u, v] sharing
/// one matrix label into [..., p, q] with the batch labels of both operands right-aligned with the output's, goes to
/// MatMul with its transpose flags (no transpose, reshape or copy).
let private asMatmul (la: int[]) (lb: int[]) (out: int[]) =
    if la.Length < 2 || lb.Length < 2 || out.Length < 2 then None
    elif Array.distinct la |> Array.length <> la.Length || Array.distinct lb |> Array.length <> lb.Length then None
    else
        let pa, pb, po = la.[.. la.Length - 3], lb.[.. lb.Length - 3], out.[.. out.Length - 3]
        let suffix (p: int[]) = p.Length <= po.Length && Array.forall2 (=) p po.[po.Length - p.Length ..]
        if not (suffix pa && suffix pb && po.Length = max pa.Length pb.Length) then None
        else
            let x, y = la.[la.Length - 2], la.[la.Length - 1]
            let u, v = lb.[lb.Length - 2], lb.[lb.Length - 1]
            let p, q = out.[out.Length - 2], out.[out.Length - 1]
            let shared = [ x; y ] |> List.filter (fun l -> l = u || l = v)
            match shared with
            | [ c ] ->
                let m = if x = c then y else x
                let n = if u = c then v else u
                let transA, transB = (x = c), (v = c)
                if m = n then None
                elif p = m && q = n then Some(false, transA, transB)
                elif p = n && q = m then Some(true, not transB, not transA)
                else None
            | _ -> None

/// Contracts labelled operands (labels resolved, extents checked) into `output`.
let private contract (op: string) (equation: string) (ext: int -> int) (operands: Tensor[]) (labels: int[][]) (output: int[]) =
    let dtype = operands.[0].DType
    let isFloat = dtype = DType.Float32 || dtype = DType.Float64
    let mm (ta: bool) (tb: bool) (a: Tensor) (b: Tensor) =
        if isFloat then Products.matmul ta tb a b else constant (Kernels.intMatmul ta tb a.Raw b.Raw)
    let fast = if isFloat && operands.Length = 2 then asMatmul labels.[0] labels.[1] output else None
    match fast with
    | Some(swap, ta, tb) ->
        if swap then Products.matmul ta tb operands.[1] operands.[0] else Products.matmul ta tb operands.[0] operands.[1]
    | None ->
        // Ellipsis axes of extent 1 that broadcast against a larger extent are dropped: the operand is constant along them.
        let squeezed =
            Array.map2 (fun (t: Tensor) (ls: int[]) ->
                let drop = ls |> Array.mapi (fun a l -> l >= ellipsisBase && l < tensordotBase && t.Shape.[a] = 1 && ext l <> 1)
                if Array.exists id drop then
                    let keepAxes = [| for a in 0 .. ls.Length - 1 do if not drop.[a] then yield a |]
                    reshape (keepAxes |> Array.map (fun a -> t.Shape.[a])) t, keepAxes |> Array.map (fun a -> ls.[a])
                else t, ls) operands labels
        let squeezedLabels = squeezed |> Array.map snd
        let own = Array.init squeezed.Length (ownReduced squeezedLabels output)
        let steps = plan op equation ext own output
        let live = ResizeArray<Tensor * int[]>()
        for i in 0 .. squeezed.Length - 1 do
            let keepSet = own.[i]
            live.Add(diagonal squeezed.[i] |> sumLabels (fun l -> not (Array.contains l keepSet)))
        for (i, j) in steps do
            let keep l = Array.contains l output || (live |> Seq.indexed |> Seq.exists (fun (q, (_, ls)) -> q <> i && q <> j && Array.contains l ls))
            let r = contractPair mm ext keep live.[i] live.[j]
            live.RemoveAt j
            live.RemoveAt i
            live.Add r
        let t, ls = live.[0] |> sumLabels (fun l -> not (Array.contains l output))
        arrange t ls output

let private checkDTypes (op: string) (equation: string) (operands: Tensor[]) =
    let d = operands.[0].DType
    for i in 1 .. operands.Length - 1 do
        if operands.[i].DType <> d then
            fail op equation (sprintf "operand 0 has dtype %O and operand %d has dtype %O; expected one dtype (TensorFlow does not promote)" d i operands.[i].DType)
    if not (d = DType.Float32 || d = DType.Float64 || d = DType.Int32 || d = DType.Int64) then
        fail op equation (sprintf "dtype %O is not supported; expected Float32, Float64, Int32 or Int64" d)

let private checkOutput (op: string) (equation: string) (ext: int -> int) (output: int[]) =
    let shape = output |> Array.map ext
    if Shape.trySize shape < 0 then
        fail op equation (sprintf "the result has shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                                  (Shape.format shape) (Shape.bigSize shape) Shape.maxElements)

let einsum (equation: string) (operands: Tensor[]) : Tensor =
    let op = "Einsum"
    if isNull operands || operands.Length = 0 then fail op equation "no operands were given; expected at least one tensor"
    if operands |> Array.exists (fun t -> obj.ReferenceEquals(t, null)) then fail op equation "an operand is null"
    let inputs, output = parse op equation operands.Length
    checkDTypes op equation operands
    let labels, outLabels, ext = resolve op equation inputs output (operands |> Array.map (fun t -> t.Shape))
    checkOutput op equation ext outLabels
    contract op equation ext operands labels outLabels

let tensordot (axesA: int[]) (axesB: int[]) (a: Tensor) (b: Tensor) : Tensor =
    let op = "Tensordot"
    let err (msg: string) : 'T = invalidArg "axes" (sprintf "%s: %s" op msg)
    if isNull axesA || isNull axesB then err "the axes are null; expected an int N or two lists of axes of equal length"
    let ra, rb = a.Rank, b.Rank
    if axesA.Length <> axesB.Length then
        err (sprintf "axes %s of a (shape %s) and %s of b (shape %s) differ in number; expected pairs of axes to contract"
                     (Shape.format axesA) (Shape.format a.Shape) (Shape.format axesB) (Shape.format b.Shape))
    let norm (name: string) (rank: int) (shape: int[]) (axes: int[]) =
        let r = axes |> Array.map (fun x ->
                    let y = if x < 0 then x + rank else x
                    if y < 0 || y >= rank then
                        err (sprintf "axis %d of %s is out of range for shape %s; expected an axis in [%d, %d)" x name (Shape.format shape) (-rank) rank)
                    y)
        if Array.distinct r |> Array.length <> r.Length then
            err (sprintf "axes %s of %s (shape %s) repeat an axis; expected distinct axes" (Shape.format axes) name (Shape.format shape))
        r
    let xa = norm "a" ra a.Shape axesA
    let xb = norm "b" rb b.Shape axesB
    for q in 0 .. xa.Length - 1 do
        if a.Shape.[xa.[q]] <> b.Shape.[xb.[q]] then
            err (sprintf "axis %d of a (shape %s) has extent %d but axis %d of b (shape %s) has extent %d; expected equal extents for contracted axes"
                         axesA.[q] (Shape.format a.Shape) a.Shape.[xa.[q]] axesB.[q] (Shape.format b.Shape) b.Shape.[xb.[q]])
    if a.DType <> b.DType then
        err (sprintf "a has dtype %O and b has dtype %O; expected one dtype (TensorFlow does not promote)" a.DType b.DType)
    let d = a.DType
    if not (d = DType.Float32 || d = DType.Float64 || d = DType.Int32 || d = DType.Int64) then
        err (sprintf "dtype %O is not supported; expected Float32, Float64, Int32 or Int64" d)
    let la = Array.init ra (fun i -> tensordotBase + i)
    let lb = Array.init rb (fun j -> match Array.tryFindIndex ((=) j) xb with Some q -> la.[xa.[q]] | None -> tensordotBase + ra + j)
    let output = Array.append (la |> Array.filter (fun l -> not (Array.contains (l - tensordotBase) xa))) (lb |> Array.filter (fun l -> l >= tensordotBase + ra))
    let extent = Dictionary<int, int>()
    Array.iteri (fun i l -> extent.[l] <- a.Shape.[i]) la
    Array.iteri (fun j l -> extent.[l] <- b.Shape.[j]) lb
    let ext l = extent.[l]
    let shape = output |> Array.map ext
    if Shape.trySize shape < 0 then
        err (sprintf "shapes %s and %s give a result of shape %s, %O elements, more than Array.MaxLength (%d); tensors above Array.MaxLength elements are out of scope"
                     (Shape.format a.Shape) (Shape.format b.Shape) (Shape.format shape) (Shape.bigSize shape) Shape.maxElements)
    contract op null ext [| a; b |] [| la; lb |] output

let tensordotN (n: int) (a: Tensor) (b: Tensor) : Tensor =
    if n < 0 || n > a.Rank || n > b.Rank then
        invalidArg "axes" (sprintf "Tensordot: axes = %d with shapes %s and %s; expected 0 <= axes <= min(rank a, rank b) = %d (the last axes of a against the first of b)"
                                   n (Shape.format a.Shape) (Shape.format b.Shape) (min a.Rank b.Rank))
    tensordot (Array.init n (fun i -> a.Rank - n + i)) (Array.init n id) a b
