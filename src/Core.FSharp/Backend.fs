// Choosing the linear-algebra provider Nabla's kernels call (from the environment, or switched by a call), what
// the kernels may rely on from it (`capabilitiesOf`), the threads they may take, and the diagnostic of the choice.
namespace Nabla.Core

open System
open MathNet.Numerics
open MathNet.Numerics.Providers.LinearAlgebra

/// Which linear-algebra provider Nabla's kernels use, what they may rely on from it, how many threads they may
/// take, and a diagnostic of how the choice was made. Chosen at first use from NABLA_PROVIDER (auto | mkl | cblas |
/// managed | managed-avx512; auto: the library NABLA_BLAS_PATH names when it is set, else MKL when it loads, else
/// managed; managed-avx512: managed with every product on the AVX-512 GEMM kernel), NABLA_GEMM (auto |
/// managed-avx512 | provider: which GEMM runs matrix products, `gemmKernelFor`),
/// NABLA_MKL_PATH, NABLA_BLAS_PATH, NABLA_MKL_THREADING (auto | gnu | sequential) and NABLA_THREADS; switchable
/// between computations. An explicitly requested provider that fails throws InvalidOperationException
/// with the diagnostic; only `auto` falls back, and says so in the diagnostic.
module Backend =

    type private Selection =
        { Name: string
          Provider: ILinearAlgebraProvider
          Library: Native.BlasLibrary option }

    let private gate = obj ()
    let mutable private selection: Selection option = None
    /// Set when an explicit request failed: every use throws it until another provider is chosen.
    let mutable private failure: string option = None
    let mutable private current: ILinearAlgebraProvider = null
    let private log = ResizeArray<string>()
    let private loaded = Collections.Generic.Dictionary<string, Native.BlasLibrary>()
    let mutable private threads = 0

    /// How matrix products are routed: "auto" (`gemmKernelFor`'s rule), "managed-avx512" (every Float32/Float64
    /// product with k > 0 on the managed AVX-512 kernel, `GemmKernel`) or "provider" (every product on the provider).
    let mutable private gemmMode = "auto"
    /// Why `gemmMode` has its value (environment or call).
    let mutable private gemmWhy = "NABLA_GEMM unset"

    /// The CPU vendor from CPUID leaf 0 ("AuthenticAMD", "GenuineIntel", ...), or "unknown" off x86.
    let private cpuVendor =
        lazy (if Runtime.Intrinsics.X86.X86Base.IsSupported then
                  let struct (_, b, c, d) = Runtime.Intrinsics.X86.X86Base.CpuId(0, 0)
                  Text.Encoding.ASCII.GetString(Array.concat [ BitConverter.GetBytes b; BitConverter.GetBytes d; BitConverter.GetBytes c ])
              else "unknown")

    /// Under "auto", products with at least this many multiply-adds (m n k), and m and n at least `gemmKernelMinExtent`,
    /// run on the managed kernel (smaller ones cost more to pack than they gain; vector products go to ?gemv).
    let gemmKernelMinWork = 1L <<< 15
    /// Under "auto", the smallest m and n of a product that runs on the managed kernel (with `gemmKernelMinWork`).
    let gemmKernelMinExtent = 4

    /// The reason the managed kernel is not used under "auto" with this library (None: it is used).
    let private autoBlocker (lib: Native.BlasLibrary option) =
        if not GemmKernel.isSupported then
            Some "Vector512 is not hardware-accelerated here (or AVX-512F is missing): the provider's GEMM runs"
        else
            match lib with
            | Some l when l.Kind = Native.Mkl && cpuVendor.Value = "GenuineIntel" ->
                Some "Intel CPU with MKL: MKL takes its AVX-512 path here, so MKL's GEMM runs"
            | _ -> None

    let private describeGemm (lib: Native.BlasLibrary option) =
        let kernel = sprintf "the managed AVX-512 kernel (8 x 2-vector micro-kernel, packed panels)"
        let rule = sprintf "Float32/Float64 products with m, n >= %d and m n k >= %d on %s, the rest on the provider" gemmKernelMinExtent gemmKernelMinWork kernel
        match gemmMode with
        | "managed-avx512" -> sprintf "GEMM: every Float32/Float64 product on %s (%s)" kernel gemmWhy
        | "provider" -> sprintf "GEMM: the provider's (%s)" gemmWhy
        | _ ->
            match autoBlocker lib with
            | Some why -> sprintf "GEMM: auto (%s): %s" gemmWhy why
            | None ->
                let vs = match lib with
                         | Some l when l.Kind = Native.Mkl -> sprintf "CPU %s: MKL takes its AVX2 path on non-Intel CPUs, the kernel its AVX-512 one" cpuVendor.Value
                         | Some _ -> "a CBLAS library of unknown AVX-512 use; set NABLA_GEMM=provider to use it"
                         | None -> "MathNet's managed provider has no SIMD GEMM"
                sprintf "GEMM: auto (%s): %s; why: Vector512 is accelerated, %s" gemmWhy rule vs

    let private managed () : ILinearAlgebraProvider = ManagedLinearAlgebraProvider.Instance :> _

    let private env (name: string) =
        match Environment.GetEnvironmentVariable name with
        | null -> None
        | v when String.IsNullOrWhiteSpace v -> None
        | v -> Some(v.Trim())

    let private defaultThreads () =
        match env "NABLA_THREADS" with
        | Some v ->
            match Int32.TryParse v with
            | true, n when n >= 1 -> n, sprintf "NABLA_THREADS=%d" n
            | _ -> Environment.ProcessorCount, sprintf "NABLA_THREADS=%s is not a positive integer; using the processor count %d" v Environment.ProcessorCount
        | None -> Environment.ProcessorCount, sprintf "processor count %d (NABLA_THREADS unset)" Environment.ProcessorCount

    let private applyThreads () =
        Control.MaxDegreeOfParallelism <- threads
        match selection with
        | Some { Library = Some lib } -> lib.SetThreads |> Option.iter (fun f -> f threads)
        | _ -> ()

    let private select (s: Selection) =
        selection <- Some s
        failure <- None
        current <- s.Provider
        applyThreads ()

    let private describeUnlocked () =
        let sb = Text.StringBuilder()
        let line (s: string) = sb.AppendLine s |> ignore
        match selection, failure with
        | _, Some err -> line (sprintf "Nabla backend: no provider (the requested one failed: %s)" err)
        | Some s, None -> line (sprintf "Nabla backend: provider %s" s.Name)
        | None, None -> line "Nabla backend: not chosen yet"
        match selection with
        | Some { Library = Some lib } ->
            line (sprintf "  library: %s" lib.Path)
            line (sprintf "  version: %s" lib.Version)
            if lib.ThreadingLayer <> "" then line (sprintf "  MKL threading layer: %s" lib.ThreadingLayer)
            let native = match lib.GetThreads with Some f -> sprintf ", library reports %d" (f ()) | None -> ""
            line (sprintf "  threads: %d%s" threads native)
        | Some _ -> line (sprintf "  threads: %d (MathNet managed provider)" threads)
        | None -> line (sprintf "  threads: %d" threads)
        line ("  " + describeGemm (match selection with Some { Library = l } -> l | None -> None))
        line "  how it was chosen:"
        for l in log do line ("    " + l)
        sb.ToString().TrimEnd()

    let private note (s: string) = log.Add s

    let private noteProbe (r: Native.ProbeResult) =
        for s in r.Steps do note (sprintf "probe %s: %s" s.What s.Outcome)
        match r.Error with Some e -> note (sprintf "failed: %s" e) | None -> ()

    let private cached (path: string) = match loaded.TryGetValue path with | true, l -> Some l | _ -> None

    let private selectLibrary (lib: Native.BlasLibrary) =
        loaded.[lib.Path] <- lib
        let p = NativeLinearAlgebraProvider(lib, managed ())
        select { Name = p.Name; Provider = p; Library = Some lib }

    let private tryMkl (path: string option) : bool =
        let layer = defaultArg (env "NABLA_MKL_THREADING") "auto"
        let already = path |> Option.bind (fun p -> cached (if IO.Directory.Exists p then IO.Path.Combine(p, "libmkl_rt.so") else p))
        let already = match already, path with
                      | None, None -> loaded.Values |> Seq.tryFind (fun l -> l.Kind = Native.Mkl)
                      | a, _ -> a
        match already with
        | Some lib when lib.Kind = Native.Mkl ->
            note (sprintf "MKL at %s is already loaded (threading layer %s); reused" lib.Path lib.ThreadingLayer)
            selectLibrary lib
            true
        | _ ->
            let r = Native.probeMkl path layer
            noteProbe r
            match r.Library with
            | Some lib -> selectLibrary lib; true
            | None -> false

    let private tryCblas (path: string) : bool =
        match cached path with
        | Some lib when lib.Kind = Native.Cblas ->
            note (sprintf "CBLAS at %s is already loaded; reused" path)
            selectLibrary lib
            true
        | _ ->
            let r = Native.probeCblas path
            noteProbe r
            match r.Library with
            | Some lib -> selectLibrary lib; true
            | None -> false

    /// A failed request made through the environment: no provider until another is chosen.
    let private fail (what: string) =
        selection <- None
        current <- null
        failure <- Some what
        InvalidOperationException(describeUnlocked ())

    /// A failed UseMkl/UseCblas call: it throws, and the provider in use stays.
    let private failCall (what: string) =
        note what
        InvalidOperationException(describeUnlocked ())

    let private selectManaged (why: string) =
        note why
        select { Name = "managed"; Provider = managed (); Library = None }

    let private initFromEnvironment () =
        let t, why = defaultThreads ()
        threads <- t
        note (sprintf "threads: %s" why)
        match (defaultArg (env "NABLA_GEMM") "auto").ToLowerInvariant() with
        | "auto" | "managed-avx512" | "provider" as g when g <> "managed-avx512" || GemmKernel.isSupported ->
            gemmMode <- g
            gemmWhy <- (if env "NABLA_GEMM" = None then "NABLA_GEMM unset" else sprintf "NABLA_GEMM=%s" g)
        | g -> raise (fail (sprintf "NABLA_GEMM=%s is not one of auto, managed-avx512, provider (managed-avx512 needs an accelerated Vector512)" g))
        let request = (defaultArg (env "NABLA_PROVIDER") "auto").ToLowerInvariant()
        note (sprintf "NABLA_PROVIDER=%s%s" request (if env "NABLA_PROVIDER" = None then " (unset)" else ""))
        match request with
        | "managed" -> selectManaged "managed provider selected"
        | "managed-avx512" ->
            if not GemmKernel.isSupported then
                raise (fail "NABLA_PROVIDER=managed-avx512, but Vector512 is not hardware-accelerated here (or AVX-512F is missing)")
            gemmMode <- "managed-avx512"
            gemmWhy <- "NABLA_PROVIDER=managed-avx512"
            selectManaged "managed-avx512: MathNet's managed provider, with every product on the managed AVX-512 GEMM kernel"
        | "mkl" ->
            if not (tryMkl (env "NABLA_MKL_PATH")) then raise (fail "NABLA_PROVIDER=mkl, but MKL did not load")
        | "cblas" ->
            match env "NABLA_BLAS_PATH" with
            | None -> raise (fail "NABLA_PROVIDER=cblas, but NABLA_BLAS_PATH is not set")
            | Some p -> if not (tryCblas p) then raise (fail (sprintf "NABLA_BLAS_PATH=%s did not load" p))
        | "auto" ->
            match env "NABLA_BLAS_PATH" with
            | Some p ->
                // Naming a library is an explicit request: no fallback.
                if not (tryCblas p) then raise (fail (sprintf "NABLA_BLAS_PATH=%s did not load" p))
            | None ->
                if not (tryMkl (env "NABLA_MKL_PATH")) then
                    selectManaged "auto: MKL did not load (see above); using MathNet's managed provider"
        | other ->
            raise (fail (sprintf "NABLA_PROVIDER=%s is not one of auto, mkl, cblas, managed, managed-avx512" other))

    let private ensure () =
        match failure with
        | Some _ -> raise (InvalidOperationException(describeUnlocked ()))
        | None -> if selection.IsNone then initFromEnvironment ()

    /// The provider Nabla's kernels call (chosen from the environment at the first call).
    let linearAlgebra () : ILinearAlgebraProvider =
        let p = current
        if not (isNull p) then p
        else
            lock gate (fun () ->
                ensure ()
                current)

    /// What Nabla's kernels may rely on from a provider beyond ILinearAlgebraProvider's contract.
    type internal Capabilities =
        { /// MatrixMultiplyWithUpdate with beta = 0, k > 0 and both extents of C above 1 writes every element of C
          /// without reading it, so C may be left uninitialised (NaN or infinity in it does not reach the product).
          /// True for MKL's ?gemm only: some other BLAS builds have let 0 * NaN from an uncleared C (or ?gemv's y,
          /// which a product with an extent of 1 goes to) through, and MathNet's managed provider is not relied on.
          GemmOverwritesOutput: bool }

    let private mklCapabilities = { GemmOverwritesOutput = true }
    let private baseCapabilities = { GemmOverwritesOutput = false }

    /// The capabilities of `provider`: pass the very provider the kernel calls (from `linearAlgebra`), as another
    /// thread may switch the provider in use in between.
    let internal capabilitiesOf (provider: ILinearAlgebraProvider) : Capabilities =
        match provider with
        | :? NativeLinearAlgebraProvider as p when p.Library.Kind = Native.Mkl -> mklCapabilities
        | _ -> baseCapabilities

    /// "managed", "mkl" or "cblas".
    let providerName () = lock gate (fun () -> ensure (); selection.Value.Name)

    /// Threads the kernels may use.
    let getThreads () = lock gate (fun () -> ensure (); threads)

    /// Sets the threads the kernels may use (MathNet's managed provider and the native library alike).
    let setThreads (n: int) =
        if n < 1 then invalidArg "value" (sprintf "Threads: %d is not a positive thread count" n)
        lock gate (fun () ->
            ensure ()
            threads <- n
            note (sprintf "threads set to %d" n)
            applyThreads ())

    /// What was probed, what loaded (path, version), the threads, and why anything failed.
    let describe () =
        lock gate (fun () ->
            if selection.IsNone && failure.IsNone then
                try initFromEnvironment () with :? InvalidOperationException -> ()
            describeUnlocked ())

    let private withThreads () =
        if threads = 0 then
            let t, why = defaultThreads ()
            threads <- t
            note (sprintf "threads: %s" why)

    /// Uses MathNet's managed provider.
    let useManaged () =
        lock gate (fun () ->
            withThreads ()
            selectManaged "UseManaged(): managed provider selected")

    /// Uses Intel MKL: from `path` (libmkl_rt.so or its folder) if given, else probed as at start-up.
    /// Throws InvalidOperationException carrying the diagnostic when it does not load.
    let useMkl (path: string option) =
        lock gate (fun () ->
            withThreads ()
            note (sprintf "UseMkl(%s)" (defaultArg path "") )
            let path = match path with Some p -> Some p | None -> env "NABLA_MKL_PATH"
            if not (tryMkl path) then raise (failCall "UseMkl: MKL did not load; the provider in use is unchanged"))

    /// Uses the CBLAS library at `path` (OpenBLAS, BLIS...). Throws InvalidOperationException with the diagnostic on failure.
    let useCblas (path: string) =
        if String.IsNullOrWhiteSpace path then invalidArg "libraryPath" "UseCblas: expected the path of a library exporting CBLAS"
        lock gate (fun () ->
            withThreads ()
            note (sprintf "UseCblas(%s)" path)
            if not (tryCblas path) then raise (failCall (sprintf "UseCblas: %s did not load; the provider in use is unchanged" path)))

    /// The path of the native library in use (None under the managed provider).
    let libraryPath () : string option =
        lock gate (fun () ->
            ensure ()
            match selection with
            | Some { Library = Some lib } -> Some lib.Path
            | _ -> None)

    /// True when a product of op(A) (m x k) and op(B) (k x n) runs on the managed AVX-512 kernel (`GemmKernel`) rather
    /// than on `provider` (pass the very provider the kernel would otherwise call, from `linearAlgebra`). "auto":
    /// when the kernel can run (`GemmKernel.isSupported`), the library is not MKL on an Intel CPU (where MKL takes its
    /// AVX-512 path), m, n >= `gemmKernelMinExtent` and m n k >= `gemmKernelMinWork` (bench/README.md, "GEMM").
    let internal gemmKernelFor (provider: ILinearAlgebraProvider) (m: int) (n: int) (k: int) =
        match gemmMode with
        | "managed-avx512" -> k > 0
        | "provider" -> false
        | _ ->
            k > 0 && m >= gemmKernelMinExtent && n >= gemmKernelMinExtent
            && int64 m * int64 n * int64 k >= gemmKernelMinWork
            && (autoBlocker (match provider with :? NativeLinearAlgebraProvider as p -> Some p.Library | _ -> None)).IsNone

    /// The GEMM route: "auto", "managed-avx512" or "provider".
    let gemm () = lock gate (fun () -> ensure (); gemmMode)

    /// Sets the GEMM route ("auto", "managed-avx512" or "provider"); ArgumentException for any other value, or for
    /// "managed-avx512" where Vector512 is not accelerated.
    let setGemm (mode: string) =
        let m = if isNull mode then "" else mode.Trim().ToLowerInvariant()
        match m with
        | "auto" | "provider" -> ()
        | "managed-avx512" when GemmKernel.isSupported -> ()
        | "managed-avx512" ->
            invalidArg "value" "Gemm: managed-avx512 needs an accelerated Vector512 (AVX-512F), which this CPU or runtime lacks"
        | _ -> invalidArg "value" (sprintf "Gemm: '%s' is not one of auto, managed-avx512, provider" mode)
        lock gate (fun () ->
            ensure ()
            if m <> gemmMode then
                gemmMode <- m
                gemmWhy <- sprintf "set to %s by a call" m
                note (sprintf "GEMM route set to %s" m))
