/// The one door to native code: every P/Invoke and every native library Nabla loads goes through
/// this module. `probeMkl` and `probeCblas` look for a BLAS library, record each attempt and why it failed, and
/// hand back a `BlasLibrary` whose entry points are bound by `dlsym` on that very library (so two libraries
/// can be loaded in one process without their symbols mixing).
module internal Nabla.Core.Native

#nowarn "9" // native pointers: arrays are pinned with `fixed` for exactly the duration of one call

open System
open System.IO
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop

// ------------------------------------------------------------------------------------------ libc

[<DllImport("libc.so.6", EntryPoint = "dlopen")>]
extern nativeint private dlopen(string filename, int flags)

[<DllImport("libc.so.6", EntryPoint = "dlerror")>]
extern nativeint private dlerror()

let private RTLD_NOW = 2
let private RTLD_GLOBAL = 0x100

/// dlopen with RTLD_GLOBAL (NativeLibrary.Load opens libraries locally), for a library whose symbols
/// another library resolves without naming it as a dependency (MKL's GNU threading layer and libgomp).
let private dlopenGlobal (name: string) : Result<nativeint, string> =
    try
        let h = dlopen (name, RTLD_NOW ||| RTLD_GLOBAL)
        if h <> 0n then Ok h
        else
            let e = dlerror ()
            Error(if e = 0n then "dlopen failed" else Marshal.PtrToStringUTF8 e)
    with ex -> Error(sprintf "%s: %s" (ex.GetType().Name) ex.Message)

// --------------------------------------------------------------------------------- CBLAS signatures

[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type DGemm = delegate of int * int * int * int * int * int * float * nativeint * int * nativeint * int * float * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type SGemm = delegate of int * int * int * int * int * int * float32 * nativeint * int * nativeint * int * float32 * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type DGemv = delegate of int * int * int * int * float * nativeint * int * nativeint * int * float * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type SGemv = delegate of int * int * int * int * float32 * nativeint * int * nativeint * int * float32 * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type DAxpy = delegate of int * float * nativeint * int * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type SAxpy = delegate of int * float32 * nativeint * int * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type DDot = delegate of int * nativeint * int * nativeint * int -> float
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type SDot = delegate of int * nativeint * int * nativeint * int -> float32
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type DScal = delegate of int * float * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type SScal = delegate of int * float32 * nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type IntToInt = delegate of int -> int
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type IntToUnit = delegate of int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type UnitToInt = delegate of unit -> int
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type VersionString = delegate of nativeint * int -> unit
[<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
type UnitToPtr = delegate of unit -> nativeint

/// CBLAS constants.
[<Literal>]
let ColMajor = 102
[<Literal>]
let NoTrans = 111
[<Literal>]
let Trans = 112

/// The kind of library: Intel MKL through libmkl_rt, or any library exporting CBLAS (OpenBLAS, BLIS).
type LibraryKind =
    | Mkl
    | Cblas

/// A loaded BLAS library with its entry points bound.
type BlasLibrary =
    { Kind: LibraryKind
      Path: string
      Version: string
      /// MKL's threading layer ("gnu", "sequential"), or "" for other libraries.
      ThreadingLayer: string
      Dgemm: DGemm
      Sgemm: SGemm
      Dgemv: DGemv
      Sgemv: SGemv
      Daxpy: DAxpy
      Saxpy: SAxpy
      Ddot: DDot
      Sdot: SDot
      Dscal: DScal
      Sscal: SScal
      /// Sets the library's thread count, if it has a way to.
      SetThreads: (int -> unit) option
      /// The library's own idea of its thread count, if it tells.
      GetThreads: (unit -> int) option
      /// Sets the calling thread's own thread count for the library's calls (MKL's mkl_set_num_threads_local:
      /// 0 reverts to the global count) and returns the previous one, if the library has a way to.
      SetLocalThreads: (int -> int) option }

/// One line of the probe's record: what was tried and what came of it.
type ProbeStep = { What: string; Outcome: string }

/// The outcome of a probe: the library, or the reason it is not there, with every step taken.
type ProbeResult =
    { Library: BlasLibrary option
      Steps: ProbeStep list
      Error: string option }

let private bind<'D when 'D :> Delegate> (handle: nativeint) (name: string) : Result<'D, string> =
    match NativeLibrary.TryGetExport(handle, name) with
    | true, p -> Ok(Marshal.GetDelegateForFunctionPointer<'D> p)
    | _ -> Error(sprintf "does not export %s" name)

let private tryBind<'D when 'D :> Delegate> handle name =
    match bind<'D> handle name with
    | Ok d -> Some d
    | Error _ -> None

/// Loads by path or name and captures the loader's message (NativeLibrary.TryLoad drops it).
let private loadLibrary (pathOrName: string) : Result<nativeint, string> =
    try Ok(NativeLibrary.Load pathOrName)
    with ex -> Error(ex.Message.Replace(Environment.NewLine, " "))

type private Cblas =
    { Dgemm: DGemm; Sgemm: SGemm; Dgemv: DGemv; Sgemv: SGemv; Daxpy: DAxpy; Saxpy: SAxpy
      Ddot: DDot; Sdot: SDot; Dscal: DScal; Sscal: SScal }

let private bindCblas (h: nativeint) : Result<Cblas, string> =
    let names = [ "cblas_dgemm"; "cblas_sgemm"; "cblas_dgemv"; "cblas_sgemv"; "cblas_daxpy"; "cblas_saxpy"
                  "cblas_ddot"; "cblas_sdot"; "cblas_dscal"; "cblas_sscal" ]
    let missing = names |> List.filter (fun n -> not (fst (NativeLibrary.TryGetExport(h, n))))
    let get name = NativeLibrary.GetExport(h, name)
    if missing.IsEmpty then
        Ok { Dgemm = Marshal.GetDelegateForFunctionPointer<DGemm>(get "cblas_dgemm")
             Sgemm = Marshal.GetDelegateForFunctionPointer<SGemm>(get "cblas_sgemm")
             Dgemv = Marshal.GetDelegateForFunctionPointer<DGemv>(get "cblas_dgemv")
             Sgemv = Marshal.GetDelegateForFunctionPointer<SGemv>(get "cblas_sgemv")
             Daxpy = Marshal.GetDelegateForFunctionPointer<DAxpy>(get "cblas_daxpy")
             Saxpy = Marshal.GetDelegateForFunctionPointer<SAxpy>(get "cblas_saxpy")
             Ddot = Marshal.GetDelegateForFunctionPointer<DDot>(get "cblas_ddot")
             Sdot = Marshal.GetDelegateForFunctionPointer<SDot>(get "cblas_sdot")
             Dscal = Marshal.GetDelegateForFunctionPointer<DScal>(get "cblas_dscal")
             Sscal = Marshal.GetDelegateForFunctionPointer<SScal>(get "cblas_sscal") }
    else
        let ilp64 = NativeLibrary.TryGetExport(h, "cblas_dgemm64_") |> fst
        Error(
            sprintf "does not export %s%s" (String.Join(", ", missing))
                (if ilp64 then " (it exports the 64-bit-integer ILP64 interface, cblas_dgemm64_; Nabla needs the LP64 one)" else ""))

/// Binds the CBLAS symbols of a loaded library; a missing symbol is recorded as the probe step's outcome.
let private bindNoted (path: string) (note: string -> string -> unit) (h: nativeint) : Result<Cblas, string> =
    bindCblas h
    |> Result.mapError (fun e ->
        note path (sprintf "loaded, but it %s" e)
        sprintf "%s: loaded, but it %s" path e)

let private library kind path version layer (c: Cblas) setThreads getThreads setLocalThreads =
    { Kind = kind; Path = path; Version = version; ThreadingLayer = layer
      Dgemm = c.Dgemm; Sgemm = c.Sgemm; Dgemv = c.Dgemv; Sgemv = c.Sgemv; Daxpy = c.Daxpy; Saxpy = c.Saxpy
      Ddot = c.Ddot; Sdot = c.Sdot; Dscal = c.Dscal; Sscal = c.Sscal
      SetThreads = setThreads; GetThreads = getThreads; SetLocalThreads = setLocalThreads }

// ------------------------------------------------------------------------------------------ MKL

/// MKL's threading layers (mkl_service.h).
let private MKL_THREADING_SEQUENTIAL = 1
let private MKL_THREADING_GNU = 3
let private MKL_INTERFACE_LP64 = 0

/// Where `build.fsx mkl` unpacks Debian's MKL packages, relative to the repository root.
let private localMklSubdir = Path.Combine(".mkl", "usr", "lib", "x86_64-linux-gnu")

/// Candidate `.mkl` folders: from the application's folder and the current directory up to the root.
let private localMklCandidates () =
    let ups (start: string) =
        [ if not (String.IsNullOrEmpty start) then
              let mutable d = DirectoryInfo(start)
              while not (isNull d) do
                  yield Path.Combine(d.FullName, localMklSubdir, "libmkl_rt.so")
                  d <- d.Parent ]
    (ups AppContext.BaseDirectory @ ups (Directory.GetCurrentDirectory())) |> List.distinct

/// Directories of the system library path that a libmkl_rt.so may be in (its folder must be known:
/// MKL finds its other libraries next to it, and they are checked before MKL is allowed to look).
let private systemLibraryDirs () =
    let fromEnv =
        match Environment.GetEnvironmentVariable "LD_LIBRARY_PATH" with
        | null | "" -> []
        | v -> v.Split(':', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
    fromEnv @ [ "/usr/lib/x86_64-linux-gnu"; "/usr/lib64"; "/usr/lib"; "/usr/local/lib"; "/opt/intel/mkl/lib/intel64" ]
    |> List.distinct

/// Loads libmkl_rt from `path` and selects its threading layer before any other call. MKL itself
/// ends the process (exit 2, uncatchable) when a layer it needs is missing, so every library the
/// chosen layer needs is checked first and the layer is chosen from what is really there.
let private loadMkl (path: string) (layerRequest: string) (steps: ResizeArray<ProbeStep>) : Result<BlasLibrary, string> =
    let note what outcome = steps.Add { What = what; Outcome = outcome }
    if not (File.Exists path) then
        note path "not found"
        Error(sprintf "%s: not found" path)
    else
    let dir = Path.GetDirectoryName path
    let has (name: string) = File.Exists(Path.Combine(dir, name))
    let missingCore = [ "libmkl_core.so"; "libmkl_intel_lp64.so" ] |> List.filter (has >> not)
    if not missingCore.IsEmpty then
        let msg = sprintf "%s: found, but %s missing beside it (MKL would end the process when it looked for them)" path (String.Join(" and ", missingCore))
        note path msg
        Error msg
    else
    let gnuProblem () =
        if not (has "libmkl_gnu_thread.so") then Some "libmkl_gnu_thread.so is not beside libmkl_rt.so"
        else
            match dlopenGlobal "libgomp.so.1" with
            | Ok _ -> None
            | Error e -> Some(sprintf "libgomp.so.1 (GNU OpenMP, which MKL's GNU layer needs) did not load: %s" e)
    let layer =
        match layerRequest with
        | "sequential" ->
            if has "libmkl_sequential.so" then Ok("sequential", "requested by NABLA_MKL_THREADING")
            else Error "NABLA_MKL_THREADING=sequential, but libmkl_sequential.so is not beside libmkl_rt.so"
        | "gnu" ->
            match gnuProblem () with
            | None -> Ok("gnu", "requested by NABLA_MKL_THREADING; libgomp.so.1 preloaded")
            | Some why -> Error(sprintf "NABLA_MKL_THREADING=gnu, but %s" why)
        | "" | "auto" ->
            match gnuProblem () with
            | None -> Ok("gnu", "libgomp.so.1 preloaded")
            | Some why ->
                if has "libmkl_sequential.so" then Ok("sequential", sprintf "GNU layer unavailable: %s" why)
                else Error(sprintf "no usable threading layer: %s, and libmkl_sequential.so is not beside libmkl_rt.so" why)
        | other -> Error(sprintf "NABLA_MKL_THREADING=%s is not one of auto, gnu, sequential" other)
    match layer with
    | Error e ->
        note path e
        Error(sprintf "%s: %s" path e)
    | Ok(layerName, why) ->
    match loadLibrary path with
    | Error e ->
        note path (sprintf "failed to load: %s" e)
        Error(sprintf "%s: failed to load: %s" path e)
    | Ok h ->
    match bind<IntToInt> h "MKL_Set_Threading_Layer", bind<IntToInt> h "MKL_Set_Interface_Layer" with
    | Error e, _
    | _, Error e ->
        note path (sprintf "loaded, but it %s: not MKL's libmkl_rt" e)
        Error(sprintf "%s: loaded, but it %s: not MKL's libmkl_rt" path e)
    | Ok setLayer, Ok setInterface ->
    // The first calls into MKL: nothing else may run before the layers are set.
    let code = if layerName = "gnu" then MKL_THREADING_GNU else MKL_THREADING_SEQUENTIAL
    let gotLayer = setLayer.Invoke code
    setInterface.Invoke MKL_INTERFACE_LP64 |> ignore
    if gotLayer <> code then
        let msg = sprintf "MKL_Set_Threading_Layer(%d) returned %d" code gotLayer
        note path msg
        Error(sprintf "%s: %s" path msg)
    else
    match bindNoted path note h with
    | Error e -> Error e
    | Ok c ->
    let version =
        match tryBind<VersionString> h "MKL_Get_Version_String" with
        | Some f ->
            let buf = Marshal.AllocHGlobal 512
            try
                f.Invoke(buf, 512)
                (Marshal.PtrToStringAnsi buf).Trim()
            finally Marshal.FreeHGlobal buf
        | None -> "unknown MKL version"
    let setThreads = tryBind<IntToUnit> h "MKL_Set_Num_Threads" |> Option.map (fun f -> fun (n: int) -> f.Invoke n)
    let getThreads = tryBind<UnitToInt> h "MKL_Get_Max_Threads" |> Option.map (fun f -> fun () -> f.Invoke())
    let setLocalThreads = tryBind<IntToInt> h "MKL_Set_Num_Threads_Local" |> Option.map (fun f -> fun (n: int) -> f.Invoke n)
    note path (sprintf "loaded; threading layer %s (%s)" layerName why)
    Ok(library Mkl path version layerName c setThreads getThreads setLocalThreads)

/// Loads any library exporting the CBLAS interface (OpenBLAS, BLIS, reference CBLAS).
let private loadCblas (path: string) (steps: ResizeArray<ProbeStep>) : Result<BlasLibrary, string> =
    let note what outcome = steps.Add { What = what; Outcome = outcome }
    match loadLibrary path with
    | Error e ->
        note path (sprintf "failed to load: %s" e)
        Error(sprintf "%s: failed to load: %s" path e)
    | Ok h ->
    match bindNoted path note h with
    | Error e -> Error e
    | Ok c ->
    let version =
        match tryBind<UnitToPtr> h "openblas_get_config" with
        | Some f -> "OpenBLAS " + (Marshal.PtrToStringAnsi(f.Invoke())).Trim()
        | None -> "CBLAS (version not reported)"
    let setThreads =
        match tryBind<IntToUnit> h "openblas_set_num_threads" with
        | Some f -> Some(fun (n: int) -> f.Invoke n)
        | None -> tryBind<IntToUnit> h "bli_thread_set_num_threads" |> Option.map (fun f -> fun (n: int) -> f.Invoke n)
    let getThreads = tryBind<UnitToInt> h "openblas_get_num_threads" |> Option.map (fun f -> fun () -> f.Invoke())
    note path "loaded"
    Ok(library Cblas path version "" c setThreads getThreads None)

/// Probes for MKL: the explicit path (a file, or a folder holding libmkl_rt.so) if given, else the
/// folder filled by `build.fsx mkl`, then the system library path. An explicit path that fails ends the probe.
let probeMkl (explicitPath: string option) (layerRequest: string) : ProbeResult =
    let steps = ResizeArray<ProbeStep>()
    let finish (r: Result<BlasLibrary, string>) extra =
        match r with
        | Ok lib -> { Library = Some lib; Steps = List.ofSeq steps; Error = None }
        | Error e -> { Library = None; Steps = List.ofSeq steps; Error = Some(defaultArg extra e) }
    match explicitPath with
    | Some p ->
        let file = if Directory.Exists p then Path.Combine(p, "libmkl_rt.so") else p
        finish (loadMkl file layerRequest steps) None
    | None ->
        let candidates =
            [ for c in localMklCandidates () -> c, "local folder (build.fsx mkl)"
              for d in systemLibraryDirs () -> Path.Combine(d, "libmkl_rt.so"), "system library path" ]
        let rec go (cs: (string * string) list) =
            match cs with
            | [] ->
                finish (Error "") (Some "libmkl_rt.so was not found: set NABLA_MKL_PATH, or run `dotnet fsi build.fsx mkl` in the repository")
            | (c, _) :: rest when not (File.Exists c) -> go rest
            | (c, origin) :: rest ->
                steps.Add { What = c; Outcome = sprintf "found (%s)" origin }
                match loadMkl c layerRequest steps with
                | Ok lib -> finish (Ok lib) None
                | Error _ when not rest.IsEmpty -> go rest
                | Error e -> finish (Error e) None
        let existing = candidates |> List.filter (fun (c, _) -> File.Exists c)
        if existing.IsEmpty then
            steps.Add { What = "local folders"; Outcome = sprintf "no %s above %s or %s" localMklSubdir AppContext.BaseDirectory (Directory.GetCurrentDirectory()) }
            steps.Add { What = "system library path"; Outcome = sprintf "no libmkl_rt.so in %s" (String.Join(":", systemLibraryDirs ())) }
        go existing

/// Probes the CBLAS library named by NABLA_BLAS_PATH (or given explicitly).
let probeCblas (path: string) : ProbeResult =
    let steps = ResizeArray<ProbeStep>()
    match loadCblas path steps with
    | Ok lib -> { Library = Some lib; Steps = List.ofSeq steps; Error = None }
    | Error e -> { Library = None; Steps = List.ofSeq steps; Error = Some e }

// --------------------------------------------------------------------------- calls, with pinning

let inline private addr (p: nativeptr<'T>) = NativePtr.toNativeInt p

/// C = alpha op(A) op(B) + beta C, column-major, with A and B starting at an element offset of their arrays and C
/// at the address `c` (a block of a larger product, possibly in a scratch buffer; the caller has checked that every
/// block lies inside its array and keeps C pinned).
let dgemmAt (lib: BlasLibrary) transA transB m n k (alpha: float) (a: float[]) aOff lda (b: float[]) bOff ldb (beta: float) (c: nativeint) ldc =
    use pa = fixed a
    use pb = fixed b
    lib.Dgemm.Invoke(ColMajor, transA, transB, m, n, k, alpha, addr (NativePtr.add pa aOff), lda, addr (NativePtr.add pb bOff), ldb,
                     beta, c, ldc)

let sgemmAt (lib: BlasLibrary) transA transB m n k (alpha: float32) (a: float32[]) aOff lda (b: float32[]) bOff ldb (beta: float32) (c: nativeint) ldc =
    use pa = fixed a
    use pb = fixed b
    lib.Sgemm.Invoke(ColMajor, transA, transB, m, n, k, alpha, addr (NativePtr.add pa aOff), lda, addr (NativePtr.add pb bOff), ldb,
                     beta, c, ldc)

/// y = alpha op(A) x + beta y, A column-major rows x cols.
let dgemv (lib: BlasLibrary) trans rows cols (alpha: float) (a: float[]) lda (x: float[]) (beta: float) (y: float[]) =
    use pa = fixed a
    use px = fixed x
    use py = fixed y
    lib.Dgemv.Invoke(ColMajor, trans, rows, cols, alpha, addr pa, lda, addr px, 1, beta, addr py, 1)

let sgemv (lib: BlasLibrary) trans rows cols (alpha: float32) (a: float32[]) lda (x: float32[]) (beta: float32) (y: float32[]) =
    use pa = fixed a
    use px = fixed x
    use py = fixed y
    lib.Sgemv.Invoke(ColMajor, trans, rows, cols, alpha, addr pa, lda, addr px, 1, beta, addr py, 1)

/// y += alpha x over the first n elements.
let daxpy (lib: BlasLibrary) n (alpha: float) (x: float[]) (y: float[]) =
    use px = fixed x
    use py = fixed y
    lib.Daxpy.Invoke(n, alpha, addr px, 1, addr py, 1)

let saxpy (lib: BlasLibrary) n (alpha: float32) (x: float32[]) (y: float32[]) =
    use px = fixed x
    use py = fixed y
    lib.Saxpy.Invoke(n, alpha, addr px, 1, addr py, 1)

let ddot (lib: BlasLibrary) n (x: float[]) (y: float[]) =
    use px = fixed x
    use py = fixed y
    lib.Ddot.Invoke(n, addr px, 1, addr py, 1)

let sdot (lib: BlasLibrary) n (x: float32[]) (y: float32[]) =
    use px = fixed x
    use py = fixed y
    lib.Sdot.Invoke(n, addr px, 1, addr py, 1)

let dscal (lib: BlasLibrary) n (alpha: float) (x: float[]) =
    use px = fixed x
    lib.Dscal.Invoke(n, alpha, addr px, 1)

let sscal (lib: BlasLibrary) n (alpha: float32) (x: float32[]) =
    use px = fixed x
    lib.Sscal.Invoke(n, alpha, addr px, 1)

// --------------------------------------------------------------------------- LAPACKE and ?trsm (MKL only)

/// LAPACKE_?potrf(layout, uplo, n, a, lda): the Cholesky factor in place; info > 0: not positive definite.
type DPotrf = delegate of int * byte * int * nativeint * int -> int
/// See `DPotrf`.
type SPotrf = delegate of int * byte * int * nativeint * int -> int
/// LAPACKE_?getrf(layout, m, n, a, lda, ipiv): LU with partial pivoting in place, 1-based pivots; info > 0: an exact
/// zero pivot U(info, info) (the factorisation is still complete).
type DGetrf = delegate of int * int * int * nativeint * int * nativeint -> int
/// See `DGetrf`.
type SGetrf = delegate of int * int * int * nativeint * int * nativeint -> int
/// LAPACKE_?getrs(layout, trans, n, nrhs, a, lda, ipiv, b, ldb): solves with a factorisation from ?getrf.
type DGetrs = delegate of int * byte * int * int * nativeint * int * nativeint * nativeint * int -> int
/// See `DGetrs`.
type SGetrs = delegate of int * byte * int * int * nativeint * int * nativeint * nativeint * int -> int
/// cblas_?trsm(layout, side, uplo, transA, diag, m, n, alpha, a, lda, b, ldb): B <- alpha op(A)^-1 B in place.
type DTrsm = delegate of int * int * int * int * int * int * int * float * nativeint * int * nativeint * int -> unit
/// See `DTrsm`.
type STrsm = delegate of int * int * int * int * int * int * int * float32 * nativeint * int * nativeint * int -> unit

/// LAPACKE_?geqrf(layout, m, n, a, lda, tau): Householder QR in place (R above the diagonal, reflectors below).
type DGeqrf = delegate of int * int * int * nativeint * int * nativeint -> int
/// See `DGeqrf`.
type SGeqrf = delegate of int * int * int * nativeint * int * nativeint -> int
/// LAPACKE_?orgqr(layout, m, n, k, a, lda, tau): the first n columns of Q from k reflectors of ?geqrf, in place.
type DOrgqr = delegate of int * int * int * int * nativeint * int * nativeint -> int
/// See `DOrgqr`.
type SOrgqr = delegate of int * int * int * int * nativeint * int * nativeint -> int
/// LAPACKE_?syevd(layout, jobz, uplo, n, a, lda, w): eigenvalues (ascending) into w, eigenvectors into a's columns.
type DSyevd = delegate of int * byte * byte * int * nativeint * int * nativeint -> int
/// See `DSyevd`.
type SSyevd = delegate of int * byte * byte * int * nativeint * int * nativeint -> int
/// LAPACKE_?gesdd(layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt): divide-and-conquer SVD (a is destroyed).
type DGesdd = delegate of int * byte * int * int * nativeint * int * nativeint * nativeint * int * nativeint * int -> int
/// See `DGesdd`.
type SGesdd = delegate of int * byte * int * int * nativeint * int * nativeint * nativeint * int * nativeint * int -> int

/// The LAPACK entry points Nabla uses, bound from the loaded MKL (LAPACKE and ?trsm, from the same libmkl_rt).
type Lapack =
    { Dpotrf: DPotrf; Spotrf: SPotrf
      Dgetrf: DGetrf; Sgetrf: SGetrf
      Dgetrs: DGetrs; Sgetrs: SGetrs
      Dtrsm: DTrsm; Strsm: STrsm
      Dgeqrf: DGeqrf; Sgeqrf: SGeqrf
      Dorgqr: DOrgqr; Sorgqr: SOrgqr
      Dsyevd: DSyevd; Ssyevd: SSyevd
      Dgesdd: DGesdd; Sgesdd: SGesdd }

/// CBLAS/LAPACK row-major layout (the column-major one is `ColMajor`).
let RowMajor = 101
let private CblasLeft = 141
let private CblasUpper = 121
let private CblasLower = 122
let private CblasNonUnit = 131

let private lapackCache = System.Collections.Concurrent.ConcurrentDictionary<string, Lapack option>()

/// The LAPACK entry points of `lib` when it is MKL (bound once per library path by `dlsym` on that library), else None
/// (a plain CBLAS library need not export LAPACKE; the managed provider serves then).
let lapackOf (lib: BlasLibrary) : Lapack option =
    if lib.Kind <> Mkl then None
    else
        lapackCache.GetOrAdd(lib.Path, fun path ->
            match loadLibrary path with
            | Error _ -> None
            | Ok h ->
                let get (name: string) = match NativeLibrary.TryGetExport(h, name) with | true, p -> Some p | _ -> None
                let names = [ "LAPACKE_dpotrf"; "LAPACKE_spotrf"; "LAPACKE_dgetrf"; "LAPACKE_sgetrf"; "LAPACKE_dgetrs"; "LAPACKE_sgetrs"; "cblas_dtrsm"; "cblas_strsm"
                              "LAPACKE_dgeqrf"; "LAPACKE_sgeqrf"; "LAPACKE_dorgqr"; "LAPACKE_sorgqr"; "LAPACKE_dsyevd"; "LAPACKE_ssyevd"; "LAPACKE_dgesdd"; "LAPACKE_sgesdd" ]
                let d name : 'D = Marshal.GetDelegateForFunctionPointer<'D>((get name).Value)
                if names |> List.exists (fun n -> (get n).IsNone) then None
                else
                    Some { Dpotrf = d "LAPACKE_dpotrf"; Spotrf = d "LAPACKE_spotrf"
                           Dgetrf = d "LAPACKE_dgetrf"; Sgetrf = d "LAPACKE_sgetrf"
                           Dgetrs = d "LAPACKE_dgetrs"; Sgetrs = d "LAPACKE_sgetrs"
                           Dtrsm = d "cblas_dtrsm"; Strsm = d "cblas_strsm"
                           Dgeqrf = d "LAPACKE_dgeqrf"; Sgeqrf = d "LAPACKE_sgeqrf"
                           Dorgqr = d "LAPACKE_dorgqr"; Sorgqr = d "LAPACKE_sorgqr"
                           Dsyevd = d "LAPACKE_dsyevd"; Ssyevd = d "LAPACKE_ssyevd"
                           Dgesdd = d "LAPACKE_dgesdd"; Sgesdd = d "LAPACKE_sgesdd" })

let private uploByte (lower: bool) = if lower then byte 'L' else byte 'U'

/// Column-major lower Cholesky factor of the n x n array `a` in place; the LAPACK info code.
let dpotrf (l: Lapack) (n: int) (a: float[]) = use p = fixed a in l.Dpotrf.Invoke(ColMajor, uploByte true, n, addr p, max 1 n)
let spotrf (l: Lapack) (n: int) (a: float32[]) = use p = fixed a in l.Spotrf.Invoke(ColMajor, uploByte true, n, addr p, max 1 n)

/// Column-major LU of the n x n array `a` in place, 1-based pivots into `ipiv`; the LAPACK info code.
let dgetrf (l: Lapack) (n: int) (a: float[]) (ipiv: int[]) =
    use p = fixed a
    use q = fixed ipiv
    l.Dgetrf.Invoke(ColMajor, n, n, addr p, max 1 n, addr q)
let sgetrf (l: Lapack) (n: int) (a: float32[]) (ipiv: int[]) =
    use p = fixed a
    use q = fixed ipiv
    l.Sgetrf.Invoke(ColMajor, n, n, addr p, max 1 n, addr q)

/// Solves A X = B (column-major, B n x nrhs in place) from ?getrf's factors and 1-based pivots; the LAPACK info code.
let dgetrs (l: Lapack) (n: int) (nrhs: int) (a: float[]) (ipiv: int[]) (b: float[]) =
    use p = fixed a
    use q = fixed ipiv
    use r = fixed b
    l.Dgetrs.Invoke(ColMajor, byte 'N', n, nrhs, addr p, max 1 n, addr q, addr r, max 1 n)
let sgetrs (l: Lapack) (n: int) (nrhs: int) (a: float32[]) (ipiv: int[]) (b: float32[]) =
    use p = fixed a
    use q = fixed ipiv
    use r = fixed b
    l.Sgetrs.Invoke(ColMajor, byte 'N', n, nrhs, addr p, max 1 n, addr q, addr r, max 1 n)

/// Row-major op(T)^-1 B in place for the n x n triangular block of `a` at `aOff` and the n x k block of `b` at `bOff`.
let dtrsmRowMajor (l: Lapack) (lower: bool) (adjoint: bool) (n: int) (k: int) (a: float[]) (aOff: int) (b: float[]) (bOff: int) =
    use p = fixed a
    use q = fixed b
    l.Dtrsm.Invoke(RowMajor, CblasLeft, (if lower then CblasLower else CblasUpper), (if adjoint then Trans else NoTrans), CblasNonUnit,
                   n, k, 1.0, addr (NativePtr.add p aOff), max 1 n, addr (NativePtr.add q bOff), max 1 k)
let strsmRowMajor (l: Lapack) (lower: bool) (adjoint: bool) (n: int) (k: int) (a: float32[]) (aOff: int) (b: float32[]) (bOff: int) =
    use p = fixed a
    use q = fixed b
    l.Strsm.Invoke(RowMajor, CblasLeft, (if lower then CblasLower else CblasUpper), (if adjoint then Trans else NoTrans), CblasNonUnit,
                   n, k, 1.0f, addr (NativePtr.add p aOff), max 1 n, addr (NativePtr.add q bOff), max 1 k)

/// Column-major Householder QR of the m x n array `a` in place, reflector scalars into `tau` (min(m, n)); info code.
let dgeqrf (l: Lapack) (m: int) (n: int) (a: float[]) (tau: float[]) =
    use p = fixed a
    use t = fixed tau
    l.Dgeqrf.Invoke(ColMajor, m, n, addr p, max 1 m, addr t)
let sgeqrf (l: Lapack) (m: int) (n: int) (a: float32[]) (tau: float32[]) =
    use p = fixed a
    use t = fixed tau
    l.Sgeqrf.Invoke(ColMajor, m, n, addr p, max 1 m, addr t)

/// The m x n column-major Q (n <= m) from k reflectors held in the first k columns of `a` and `tau`, in place; info.
let dorgqr (l: Lapack) (m: int) (n: int) (k: int) (a: float[]) (tau: float[]) =
    use p = fixed a
    use t = fixed tau
    l.Dorgqr.Invoke(ColMajor, m, n, k, addr p, max 1 m, addr t)
let sorgqr (l: Lapack) (m: int) (n: int) (k: int) (a: float32[]) (tau: float32[]) =
    use p = fixed a
    use t = fixed tau
    l.Sorgqr.Invoke(ColMajor, m, n, k, addr p, max 1 m, addr t)

/// Eigenvalues (ascending) into `w` and eigenvectors into the columns of the column-major n x n symmetric `a`
/// (its lower triangle read); info code (> 0: no convergence).
let dsyevd (l: Lapack) (n: int) (a: float[]) (w: float[]) =
    use p = fixed a
    use q = fixed w
    l.Dsyevd.Invoke(ColMajor, byte 'V', byte 'L', n, addr p, max 1 n, addr q)
let ssyevd (l: Lapack) (n: int) (a: float32[]) (w: float32[]) =
    use p = fixed a
    use q = fixed w
    l.Ssyevd.Invoke(ColMajor, byte 'V', byte 'L', n, addr p, max 1 n, addr q)

/// SVD of the column-major m x n `a` (destroyed): singular values (descending) into `s`; with `vectors`, the full
/// m x m U and n x n V^T (column-major), else neither is touched; info code (> 0: no convergence).
let dgesdd (l: Lapack) (vectors: bool) (m: int) (n: int) (a: float[]) (s: float[]) (u: float[]) (vt: float[]) =
    use p = fixed a
    use q = fixed s
    use pu = fixed (if vectors then u else [| 0.0 |])
    use pv = fixed (if vectors then vt else [| 0.0 |])
    l.Dgesdd.Invoke(ColMajor, (if vectors then byte 'A' else byte 'N'), m, n, addr p, max 1 m, addr q, addr pu, max 1 m, addr pv, max 1 n)
let sgesdd (l: Lapack) (vectors: bool) (m: int) (n: int) (a: float32[]) (s: float32[]) (u: float32[]) (vt: float32[]) =
    use p = fixed a
    use q = fixed s
    use pu = fixed (if vectors then u else [| 0.0f |])
    use pv = fixed (if vectors then vt else [| 0.0f |])
    l.Sgesdd.Invoke(ColMajor, (if vectors then byte 'A' else byte 'N'), m, n, addr p, max 1 m, addr q, addr pu, max 1 m, addr pv, max 1 n)

/// Solves op(A) X = B (column-major, B n x nrhs in place) from ?getrf's factors of A and 1-based pivots, op the
/// transpose when `transpose`; the LAPACK info code.
let dgetrsOp (l: Lapack) (transpose: bool) (n: int) (nrhs: int) (a: float[]) (ipiv: int[]) (b: float[]) =
    use p = fixed a
    use q = fixed ipiv
    use r = fixed b
    l.Dgetrs.Invoke(ColMajor, (if transpose then byte 'T' else byte 'N'), n, nrhs, addr p, max 1 n, addr q, addr r, max 1 n)
let sgetrsOp (l: Lapack) (transpose: bool) (n: int) (nrhs: int) (a: float32[]) (ipiv: int[]) (b: float32[]) =
    use p = fixed a
    use q = fixed ipiv
    use r = fixed b
    l.Sgetrs.Invoke(ColMajor, (if transpose then byte 'T' else byte 'N'), n, nrhs, addr p, max 1 n, addr q, addr r, max 1 n)
