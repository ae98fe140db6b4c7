/// Naive references for the convolution and pooling ops: direct loops over output pixels and filter taps on Float64
/// values (no im2col, no GEMM), with TF's output extents and SAME padding split written out afresh here.
module Nabla.Properties.ConvReference

open Nabla.Properties.Reference

/// TF's output extent and pad before along one axis: VALID (n - e + s) / s, SAME ceil(n / s) with the padding
/// max((o - 1) s + e - n, 0), the smaller half before.
let window (padding: string) (n: int) (k: int) (s: int) (d: int) =
    let e = (k - 1) * d + 1
    if padding = "VALID" then (n - e + s) / s, 0
    else
        let o = (n + s - 1) / s
        let total = max 0 ((o - 1) * s + e - n)
        o, total / 2

let nchwToNhwc (x: Value) = transpose [| 0; 2; 3; 1 |] x
let nhwcToNchw (x: Value) = transpose [| 0; 3; 1; 2 |] x

/// y[n, i, j, o] = sum over a, b and the group's channels of x[n, i sh + a dh - pt, j sw + b dw - pl, c] w[a, b, c', o]
/// (NHWC; filter [KH, KW, C / G, OC], G = C / filter in-depth).
let conv2d (sh: int, sw: int) (dh: int, dw: int) (padding: string) ((xs, x): Value) ((fs, w): Value) : Value =
    let n, h, wd, c = xs.[0], xs.[1], xs.[2], xs.[3]
    let kh, kw, cin, oc = fs.[0], fs.[1], fs.[2], fs.[3]
    let groups = c / cin
    let coutG = oc / groups
    let oh, pt = window padding h kh sh dh
    let ow, pl = window padding wd kw sw dw
    let out = [| n; oh; ow; oc |]
    let y = Array.zeroCreate (size out)
    for b in 0 .. n - 1 do
        for i in 0 .. oh - 1 do
            for j in 0 .. ow - 1 do
                for o in 0 .. oc - 1 do
                    let grp = o / coutG
                    let mutable s = 0.0
                    for a in 0 .. kh - 1 do
                        for e in 0 .. kw - 1 do
                            let ih = i * sh + a * dh - pt
                            let iw = j * sw + e * dw - pl
                            if ih >= 0 && ih < h && iw >= 0 && iw < wd then
                                for ci in 0 .. cin - 1 do
                                    s <- s + x.[ravel xs [| b; ih; iw; grp * cin + ci |]] * w.[ravel fs [| a; e; ci; o |]]
                    y.[ravel out [| b; i; j; o |]] <- s
    out, y

/// The transposed convolution: every input pixel scattered through the filter (filter [KH, KW, OC, IC], output of
/// `outShape` NHWC), written as the scatter it is rather than as a convolution.
let conv2dTranspose (outShape: int[]) (sh: int, sw: int) (dh: int, dw: int) (padding: string) ((xs, x): Value) ((fs, w): Value) : Value =
    let n, h, wd, c = outShape.[0], outShape.[1], outShape.[2], outShape.[3]
    let kh, kw = fs.[0], fs.[1]
    let ic = fs.[3]
    let _, pt = window padding h kh sh dh
    let _, pl = window padding wd kw sw dw
    let y = Array.zeroCreate (size outShape)
    for b in 0 .. n - 1 do
        for i in 0 .. xs.[1] - 1 do
            for j in 0 .. xs.[2] - 1 do
                for q in 0 .. ic - 1 do
                    let v = x.[ravel xs [| b; i; j; q |]]
                    for a in 0 .. kh - 1 do
                        for e in 0 .. kw - 1 do
                            let ih = i * sh + a * dh - pt
                            let iw = j * sw + e * dw - pl
                            if ih >= 0 && ih < h && iw >= 0 && iw < wd then
                                for o in 0 .. c - 1 do
                                    let k = ravel outShape [| b; ih; iw; o |]
                                    y.[k] <- y.[k] + v * w.[ravel fs [| a; e; o; q |]]
    outShape, y

/// Depthwise: output channel c M + m is channel c convolved with filter[.., c, m].
let depthwise (strides: int * int) (dil: int * int) (padding: string) ((xs, x): Value) ((fs, w): Value) : Value =
    let c, m = fs.[2], fs.[3]
    let outs =
        [| for ch in 0 .. c - 1 do
             for mm in 0 .. m - 1 do
                 let xc = slice [| 0; 0; 0; ch |] [| xs.[0]; xs.[1]; xs.[2]; 1 |] (xs, x)
                 let wc = slice [| 0; 0; ch; mm |] [| fs.[0]; fs.[1]; 1; 1 |] (fs, w)
                 yield conv2d strides dil padding xc wc |]
    concat 3 outs

/// A pool over each window's valid elements: `f` of the window's values (row-major window order).
let pool (f: float list -> float) (kh: int, kw: int) (sh: int, sw: int) (padding: string) ((xs, x): Value) : Value =
    let n, h, wd, c = xs.[0], xs.[1], xs.[2], xs.[3]
    let oh, pt = window padding h kh sh 1
    let ow, pl = window padding wd kw sw 1
    let out = [| n; oh; ow; c |]
    out, Array.init (size out) (fun k ->
        let o = unravel out k
        f [ for a in 0 .. kh - 1 do
              for e in 0 .. kw - 1 do
                  let ih = o.[1] * sh + a - pt
                  let iw = o.[2] * sw + e - pl
                  if ih >= 0 && ih < h && iw >= 0 && iw < wd then yield x.[ravel xs [| o.[0]; ih; iw; o.[3] |]] ])

let maxPool k s padding x = pool List.max k s padding x
let avgPool k s padding x = pool List.average k s padding x
