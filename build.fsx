// Nabla's one build script: dotnet fsi build.fsx <target>
//
// Needs nothing but the .NET SDK. The package feed is never written in a file: NUGET_FEED is
// taken from the machine's own NuGet configuration (`dotnet nuget list source`) and handed to
// Paket through the environment (paket.dependencies reads `source %NUGET_FEED%`), and paket.lock
// keeps `remote: %NUGET_FEED%`, which this script puts back whenever Paket expands it.

open System
open System.Diagnostics
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.RegularExpressions
open System.Xml.Linq

let root = __SOURCE_DIRECTORY__
let solution = "Nabla.slnx"
let artifacts = Path.Combine(root, "artifacts")
let testResults = Path.Combine(artifacts, "test-results")
let packages = Path.Combine(artifacts, "packages")
let lockFile = Path.Combine(root, "paket.lock")
let depsFile = Path.Combine(root, "paket.dependencies")
let feedVariable = "%NUGET_FEED%"

exception BuildFailed of string

let fail fmt = Printf.kprintf (fun msg -> raise (BuildFailed msg)) fmt

let step (title: string) = printfn "\n==> %s" title

let startInfo (exe: string) (args: string list) =
    let psi = ProcessStartInfo(exe)
    for a in args do psi.ArgumentList.Add a
    psi.UseShellExecute <- false
    psi.WorkingDirectory <- root
    psi

/// Runs a command with the console inherited (output streams live); returns its exit code.
let exec (exe: string) (args: string list) =
    printfn "> %s %s" exe (String.Join(" ", args))
    use p = Process.Start(startInfo exe args)
    p.WaitForExit()
    p.ExitCode

/// Runs a command, failing the build on a non-zero exit code.
let run exe args =
    let code = exec exe args
    if code <> 0 then fail "'%s %s' failed with exit code %d" exe (String.Join(" ", args)) code

/// Runs a command, echoing its output as it comes, and returns (exit code, output).
let runCapture (echo: bool) (exe: string) (args: string list) =
    if echo then printfn "> %s %s" exe (String.Join(" ", args))
    let psi = startInfo exe args
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    let out = StringBuilder()
    use p = new Process(StartInfo = psi)
    let onLine (toErr: bool) (e: DataReceivedEventArgs) =
        if not (isNull e.Data) then
            lock out (fun () -> out.AppendLine e.Data |> ignore)
            if echo then (if toErr then eprintfn "%s" e.Data else printfn "%s" e.Data)
    p.OutputDataReceived.Add(onLine false)
    p.ErrorDataReceived.Add(onLine true)
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode, out.ToString()

// ---------------------------------------------------------------------------------------------
// The feed

/// The first enabled source of the machine's NuGet configuration.
let machineFeed () =
    let code, out = runCapture false "dotnet" [ "nuget"; "list"; "source"; "--format"; "short" ]
    if code <> 0 then fail "'dotnet nuget list source' failed (exit code %d):\n%s" code out
    out.Split('\n')
    |> Array.map (fun l -> l.Trim())
    |> Array.tryPick (fun l ->
        let m = Regex.Match(l, @"^E\S*\s+(\S+)$")
        if m.Success then Some m.Groups.[1].Value else None)
    |> function
        | Some feed -> feed
        | None -> fail "no enabled package source in the machine's NuGet configuration:\n%s" out

/// Sets NUGET_FEED for Paket (and every child process) unless it is already set.
let setFeed () =
    match Environment.GetEnvironmentVariable "NUGET_FEED" with
    | null
    | "" -> Environment.SetEnvironmentVariable("NUGET_FEED", machineFeed ())
    | _ -> ()

// ---------------------------------------------------------------------------------------------
// Restore

/// paket install/update write the expanded feed into paket.lock: put the variable back.
let unexpandLock () =
    if File.Exists lockFile then
        let feed = Environment.GetEnvironmentVariable "NUGET_FEED"
        let text = File.ReadAllText lockFile
        let fixedText =
            Regex.Replace(
                text,
                @"^(\s*remote:\s*)(\S+)\s*$",
                (fun (m: Match) ->
                    let value = m.Groups.[2].Value
                    if value = feed || value.TrimEnd('/') = feed.TrimEnd('/') then
                        m.Groups.[1].Value + feedVariable
                    else
                        m.Value),
                RegexOptions.Multiline)
        if fixedText <> text then File.WriteAllText(lockFile, fixedText)

let paket (args: string list) =
    try
        run "dotnet" ("paket" :: args)
    finally
        unexpandLock ()

/// (Re)computes paket.lock. Paket reads a package's dependencies from the feed's registration
/// pages unless the package's nuspec is already in the local cache; when those pages carry no
/// dependency lists (as on this machine's feed), a resolution on a cold cache records packages
/// without their dependencies. Each resolution downloads what it found, so resolving again until
/// the lock stops changing reaches the complete graph.
let installLock () =
    step "paket install (paket.lock missing or out of date)"
    paket [ "install" ]
    let rec settle n previous =
        if n = 0 then fail "paket.lock did not settle after repeated resolutions"
        step "paket update (until paket.lock is stable)"
        paket [ "update" ]
        let current = File.ReadAllText lockFile
        if current <> previous then settle (n - 1) current
    settle 8 (File.ReadAllText lockFile)

let stampFile = Path.Combine(root, "paket-files", "nabla.deps.sha256")
let restoreCache = Path.Combine(root, "paket-files", "paket.restore.cached")

let depsStamp () =
    let bytes = Encoding.UTF8.GetBytes(File.ReadAllText depsFile + "\n--\n" + File.ReadAllText lockFile)
    Convert.ToHexString(SHA256.HashData bytes)

let restore () =
    step "dotnet tool restore"
    run "dotnet" [ "tool"; "restore" ]
    setFeed ()
    if not (File.Exists lockFile) then installLock ()
    // `paket restore` only compares paket.dependencies with paket.lock on a full restore, so
    // force one whenever either file changed since the last restore done here.
    let stamp = depsStamp ()
    let stale = not (File.Exists stampFile) || File.ReadAllText stampFile <> stamp
    if stale && File.Exists restoreCache then File.Delete restoreCache
    step "paket restore"
    let code, out = runCapture true "dotnet" [ "paket"; "restore" ]
    unexpandLock ()
    if code <> 0 then fail "'dotnet paket restore' failed with exit code %d" code
    if out.Contains "out of sync" then
        installLock ()
        step "paket restore"
        paket [ "restore" ]
    Directory.CreateDirectory(Path.GetDirectoryName stampFile) |> ignore
    File.WriteAllText(stampFile, depsStamp ())

// ---------------------------------------------------------------------------------------------
// Intel MKL (and OpenBLAS, to test the CBLAS path) from Debian, into the ignored folder .mkl/
//
// The system's apt configuration is left alone: a private sources list names the machine's own
// Debian mirror (read from /etc/apt/sources.list*), with the non-free component, and apt keeps its
// lists and cache under .mkl/apt. `apt-get download` fetches the packages, `dpkg -x` unpacks them.

let mklDir = Path.Combine(root, ".mkl")
let mklLibDir = Path.Combine(mklDir, "usr", "lib", "x86_64-linux-gnu")
let mklRt = Path.Combine(mklLibDir, "libmkl_rt.so")
let openblasLib = Path.Combine(mklLibDir, "openblas-pthread", "libopenblas.so.0")

/// MKL's minimal set for libmkl_rt with GEMM (both threading layers), and OpenBLAS (pthread build).
let mklPackages =
    [ "libmkl-rt"; "libmkl-core"; "libmkl-intel-lp64"; "libmkl-def"; "libmkl-vml-def"
      "libmkl-sequential"; "libmkl-gnu-thread"; "libopenblas0-pthread" ]

/// The release codename (VERSION_CODENAME in /etc/os-release).
let debianCodename () =
    let osRelease = "/etc/os-release"
    if not (File.Exists osRelease) then fail "mkl: %s not found: this target needs a Debian machine" osRelease
    File.ReadAllLines osRelease
    |> Array.tryPick (fun l -> if l.StartsWith "VERSION_CODENAME=" then Some(l.Substring(17).Trim('"')) else None)
    |> function
        | Some c when c <> "" -> c
        | _ -> fail "mkl: no VERSION_CODENAME in %s" osRelease

/// (URI, keyring option) of the machine's Debian archive for `codename`, from /etc/apt/sources.list
/// and /etc/apt/sources.list.d/*.list|*.sources (one-line and deb822 formats).
let debianMirror (codename: string) =
    let files =
        [ if File.Exists "/etc/apt/sources.list" then yield "/etc/apt/sources.list"
          if Directory.Exists "/etc/apt/sources.list.d" then
              yield! Directory.GetFiles("/etc/apt/sources.list.d")
                     |> Array.filter (fun f -> f.EndsWith ".list" || f.EndsWith ".sources") |> Array.sort ]
    let found =
        [ for f in files do
              let text = File.ReadAllText f
              if f.EndsWith ".sources" then
                  // deb822: blank-line separated stanzas of "Key: value"
                  for stanza in Regex.Split(text, @"\n\s*\n") do
                      let field (k: string) =
                          stanza.Split('\n')
                          |> Array.tryPick (fun l ->
                              let l = l.Trim()
                              if l.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase) then Some(l.Substring(k.Length + 1).Trim()) else None)
                      match field "Types", field "URIs", field "Suites" with
                      | Some types, Some uris, Some suites when (types.Split(' ') |> Array.contains "deb")
                                                             && (suites.Split(' ') |> Array.contains codename) ->
                          let enabled = match field "Enabled" with Some "no" -> false | _ -> true
                          if enabled then
                              yield uris.Split(' ').[0], field "Signed-By"
                      | _ -> ()
              else
                  for line in text.Split('\n') do
                      let m = Regex.Match(line.Trim(), @"^deb\s+(\[(?<opts>[^\]]*)\]\s+)?(?<uri>\S+)\s+(?<suite>\S+)")
                      if m.Success && m.Groups.["suite"].Value = codename then
                          let signed =
                              Regex.Match(m.Groups.["opts"].Value, @"signed-by=(\S+)")
                              |> fun s -> if s.Success then Some s.Groups.[1].Value else None
                          yield m.Groups.["uri"].Value, signed ]
    match found with
    | (uri, signed) :: _ -> uri.TrimEnd('/'), signed
    | [] -> fail "mkl: no Debian archive for '%s' in /etc/apt/sources.list*; cannot fetch MKL" codename

let mkl () =
    step "mkl: Intel MKL and OpenBLAS from Debian into .mkl/"
    let stamp = Path.Combine(mklDir, "packages.txt")
    let wanted = String.Join("\n", mklPackages)
    if File.Exists mklRt && File.Exists openblasLib && File.Exists stamp && File.ReadAllText stamp = wanted then
        printfn "already fetched: %s" mklRt
    else
        let codename = debianCodename ()
        let uri, signedBy = debianMirror codename
        let apt = Path.Combine(mklDir, "apt")
        if Directory.Exists apt then Directory.Delete(apt, true)
        for d in [ "state/lists/partial"; "cache/archives/partial"; "etc/sources.list.d"; "debs" ] do
            Directory.CreateDirectory(Path.Combine(apt, d)) |> ignore
        let sourcesList = Path.Combine(apt, "etc", "sources.list")
        let keyring = defaultArg signedBy "/usr/share/keyrings/debian-archive-keyring.gpg"
        File.WriteAllText(sourcesList, sprintf "deb [signed-by=%s] %s %s main non-free\n" keyring uri codename)
        File.WriteAllText(Path.Combine(apt, "state", "status"), "")
        let aptOptions =
            [ "-o"; "Dir::State=" + Path.Combine(apt, "state")
              "-o"; "Dir::State::status=" + Path.Combine(apt, "state", "status")
              "-o"; "Dir::Cache=" + Path.Combine(apt, "cache")
              "-o"; "Dir::Etc::SourceList=" + sourcesList
              "-o"; "Dir::Etc::SourceParts=" + Path.Combine(apt, "etc", "sources.list.d")
              "-o"; "APT::Sandbox::User=root"
              "-o"; "Acquire::Retries=3" ]
        printfn "mirror: the machine's own (%s, suite %s, components main non-free)" "/etc/apt/sources.list*" codename
        let code, out = runCapture true "apt-get" (aptOptions @ [ "update" ])
        if code <> 0 || out.Contains "Err:" || out.Contains "W: Failed" then
            fail "mkl: 'apt-get update' with the private sources list failed (exit code %d); is the Debian mirror reachable?" code
        let debs = Path.Combine(apt, "debs")
        let psi = startInfo "apt-get" (aptOptions @ [ "download" ] @ mklPackages)
        psi.WorkingDirectory <- debs
        printfn "> apt-get download %s" (String.Join(" ", mklPackages))
        use p = Process.Start psi
        p.WaitForExit()
        if p.ExitCode <> 0 then fail "mkl: 'apt-get download' failed with exit code %d" p.ExitCode
        let files = Directory.GetFiles(debs, "*.deb") |> Array.sort
        if files.Length <> mklPackages.Length then
            fail "mkl: expected %d packages, got %d: %s" mklPackages.Length files.Length (String.Join(", ", files |> Array.map Path.GetFileName))
        for deb in files do run "dpkg" [ "-x"; deb; mklDir ]
        for lib in [ mklRt; openblasLib ] do
            if not (File.Exists lib) then fail "mkl: %s is missing after unpacking" lib
        Directory.Delete(Path.Combine(apt, "cache"), true)
        Directory.Delete(debs, true)
        File.WriteAllText(stamp, wanted)
        printfn "fetched: %s" mklRt

// ---------------------------------------------------------------------------------------------
// Build, test, run, pack

let build () =
    step "dotnet build"
    run "dotnet" [ "build"; solution; "-c"; "Release" ]

let testProjects () =
    Directory.GetFiles(Path.Combine(root, "tests"), "*.*proj", SearchOption.AllDirectories)
    |> Array.filter (fun p -> p.EndsWith ".fsproj" || p.EndsWith ".csproj")
    |> Array.sort

type Counts = { Passed: int; Failed: int; Skipped: int }

let readTrx (path: string) =
    let doc = XDocument.Load path
    let results = doc.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "UnitTestResult")
    results
    |> Seq.fold
        (fun c r ->
            match (r.Attribute(XName.Get "outcome") |> Option.ofObj |> Option.map _.Value) with
            | Some "Passed" -> { c with Passed = c.Passed + 1 }
            | Some ("Failed" | "Error" | "Timeout" | "Aborted") -> { c with Failed = c.Failed + 1 }
            | _ -> { c with Skipped = c.Skipped + 1 })
        { Passed = 0; Failed = 0; Skipped = 0 }

/// One run of test projects under one provider: the environment it sets and an optional test filter.
type TestPass =
    { Name: string
      Env: (string * string) list
      Filter: string option
      Projects: string[] }

/// The passes: the whole suite under MathNet's managed provider and under MKL, and the backend's own
/// tests under OpenBLAS (the CBLAS path). NABLA_TEST_PROVIDERS (comma-separated: managed, mkl, cblas)
/// restricts them, e.g. on a machine without a Debian mirror.
let testPasses () =
    let all = testProjects ()
    let examples = all |> Array.filter (fun p -> p.EndsWith "Nabla.Examples.csproj")
    let selected =
        match Environment.GetEnvironmentVariable "NABLA_TEST_PROVIDERS" with
        | null | "" -> [ "managed"; "mkl"; "cblas" ]
        | v -> v.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> List.ofArray
    [ for name in selected do
          match name with
          | "managed" -> yield { Name = "managed"; Env = [ ("NABLA_PROVIDER", "managed") ]; Filter = None; Projects = all }
          | "mkl" ->
              yield { Name = "mkl"; Env = [ "NABLA_PROVIDER", "mkl"; "NABLA_MKL_PATH", mklLibDir ]; Filter = None; Projects = all }
          | "cblas" ->
              yield { Name = "cblas"; Env = [ "NABLA_PROVIDER", "cblas"; "NABLA_BLAS_PATH", openblasLib ]
                      Filter = Some "FullyQualifiedName~Nabla.Examples.BackendTests"; Projects = examples }
          | other -> fail "NABLA_TEST_PROVIDERS: unknown provider '%s' (expected managed, mkl, cblas)" other ]

let needsMkl () = testPasses () |> List.exists (fun p -> p.Name <> "managed")

/// Runs every pass; returns the exit code. The summary, summed over passes, is the last line printed.
let test () =
    if Directory.Exists testResults then Directory.Delete(testResults, true)
    Directory.CreateDirectory testResults |> ignore
    let outcomes =
        [ for pass in testPasses () do
              let dir = Path.Combine(testResults, pass.Name)
              for proj in pass.Projects do
                  let name = Path.GetFileNameWithoutExtension proj
                  let trx = Path.Combine(dir, name + ".trx")
                  step (sprintf "dotnet test %s (provider %s)" name pass.Name)
                  let psi =
                      startInfo
                          "dotnet"
                          ([ "test"; proj; "-c"; "Release"; "--no-build"
                             "--logger"; sprintf "trx;LogFileName=%s.trx" name
                             "--results-directory"; dir ]
                           @ (match pass.Filter with Some f -> [ "--filter"; f ] | None -> []))
                  for k, v in pass.Env do psi.Environment.[k] <- v
                  printfn "> %s %s %s" (String.Join(" ", pass.Env |> List.map (fun (k, v) -> k + "=" + v))) psi.FileName (String.Join(" ", psi.ArgumentList))
                  use p = Process.Start psi
                  p.WaitForExit()
                  let counts = if File.Exists trx then Some(readTrx trx) else None
                  yield sprintf "%s [%s]" name pass.Name, p.ExitCode, counts ]
    let total =
        outcomes
        |> List.choose (fun (_, _, c) -> c)
        |> List.fold
            (fun a c ->
                { Passed = a.Passed + c.Passed
                  Failed = a.Failed + c.Failed
                  Skipped = a.Skipped + c.Skipped })
            { Passed = 0; Failed = 0; Skipped = 0 }
    printfn ""
    let mutable broken = false
    for name, code, counts in outcomes do
        match counts with
        | None ->
            broken <- true
            eprintfn "error: %s produced no test results (dotnet test exit code %d)" name code
        | Some c ->
            printfn "%-40s passed %d, failed %d, skipped %d" name c.Passed c.Failed c.Skipped
            if code <> 0 && c.Failed = 0 then
                broken <- true
                eprintfn "error: %s: dotnet test exited with code %d" name code
            if c.Passed + c.Failed = 0 then
                broken <- true
                eprintfn "error: %s ran no test" name
    if total.Passed + total.Failed + total.Skipped = 0 then
        broken <- true
        eprintfn "error: no test was run"
    let summary =
        if total.Skipped > 0 then
            sprintf "%d passed, %d failed, %d skipped" total.Passed total.Failed total.Skipped
        else
            sprintf "%d passed, %d failed" total.Passed total.Failed
    Console.Error.Flush()
    printfn "%s" summary
    if broken || total.Failed > 0 then 1 else 0

// ---------------------------------------------------------------------------------------------
// Benchmark (bench/): Nabla vs TorchSharp-cpu 0.107.0 vs a direct CBLAS call

/// Marks the version need `version` (e.g. GLIBCXX_3.4.32) of an ELF64 little-endian file weak, in
/// place: the dynamic loader then accepts the file where that version is absent. For TorchSharp
/// 0.107.0's libLibTorchSharp.so, which needs GLIBCXX_3.4.32 (GCC 13) only for a marker symbol it
/// never calls, on Debian 12 (GCC 12's libstdc++ ends at GLIBCXX_3.4.30). Returns whether it changed.
let weakenVersionNeed (path: string) (version: string) =
    let bytes = File.ReadAllBytes path
    let u16 (o: int64) = int64 (BitConverter.ToUInt16(bytes, int o))
    let u32 (o: int64) = int64 (BitConverter.ToUInt32(bytes, int o))
    let u64 (o: int64) = BitConverter.ToInt64(bytes, int o)
    if bytes.Length < 64 || bytes.[0] <> 0x7Fuy || bytes.[1] <> byte 'E' || bytes.[4] <> 2uy || bytes.[5] <> 1uy then
        fail "%s is not a little-endian ELF64 file" path
    let shoff = u64 0x28L
    let shentsize = u16 0x3AL
    let shnum = u16 0x3CL
    let section i = shoff + int64 i * shentsize
    let SHT_GNU_verneed = 0x6ffffffeL
    let verneed = [ 0 .. int shnum - 1 ] |> List.tryFind (fun i -> u32 (section i + 4L) = SHT_GNU_verneed)
    match verneed with
    | None -> fail "%s has no .gnu.version_r section" path
    | Some i ->
        let sh = section i
        let offset = u64 (sh + 0x18L)
        let strtab = u64 (section (int (u32 (sh + 0x28L))) + 0x18L)
        let count = u32 (sh + 0x2CL)
        let cstring (o: int64) =
            let e = Array.IndexOf(bytes, 0uy, int o)
            Encoding.ASCII.GetString(bytes, int o, e - int o)
        let mutable changed = false
        let mutable found = false
        let mutable need = offset
        for _ in 1L .. count do
            let cnt = u16 (need + 2L)
            let mutable aux = need + u32 (need + 8L)
            for _ in 1L .. cnt do
                if cstring (strtab + u32 (aux + 8L)) = version then
                    found <- true
                    let flags = u16 (aux + 4L)
                    if flags &&& 0x2L = 0L then
                        let nf = BitConverter.GetBytes(uint16 (flags ||| 0x2L)) // VER_FLG_WEAK
                        bytes.[int aux + 4] <- nf.[0]
                        bytes.[int aux + 5] <- nf.[1]
                        changed <- true
                aux <- aux + u32 (aux + 12L)
            need <- need + u32 (need + 12L)
        if not found then fail "%s does not need %s" path version
        if changed then File.WriteAllBytes(path, bytes)
        changed

let benchDir = Path.Combine(root, "bench")
let benchOut = Path.Combine(benchDir, "bin", "Release", "net10.0")

let bench (args: string list) =
    step "dotnet build bench"
    run "dotnet" [ "build"; Path.Combine(benchDir, "Nabla.Bench.csproj"); "-c"; "Release" ]
    let lib = Path.Combine(benchOut, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")
    if not (File.Exists lib) then fail "bench: %s not found after the build" lib
    // The copy in bench's output folder, never the package in the NuGet cache.
    if weakenVersionNeed lib "GLIBCXX_3.4.32" then printfn "bench: marked GLIBCXX_3.4.32 weak in %s" lib
    step (sprintf "bench %s" (String.Join(" ", args)))
    let psi = startInfo "dotnet" ([ Path.Combine(benchOut, "Nabla.Bench.dll") ] @ args)
    psi.WorkingDirectory <- benchOut
    psi.Environment.["NABLA_PROVIDER"] <- "mkl"
    psi.Environment.["NABLA_MKL_PATH"] <- mklLibDir
    printfn "> NABLA_PROVIDER=mkl NABLA_MKL_PATH=%s dotnet %s" mklLibDir (String.Join(" ", psi.ArgumentList))
    use p = Process.Start psi
    p.WaitForExit()
    if p.ExitCode <> 0 then fail "bench exited with code %d" p.ExitCode

let tutorial () =
    step "dotnet run docs/tutorial"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/tutorial" ]

let guide2 () =
    step "dotnet run docs/guide2"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/guide2" ]

// ---------------------------------------------------------------------------------------------
// Fuzz and soak (issue 11)

/// `--name value` from a target's arguments, else the environment variable, else the fallback.
let option (args: string list) (name: string) (variable: string) (fallback: unit -> string) =
    let rec find = function
        | n :: v :: _ when n = "--" + name -> Some v
        | _ :: rest -> find rest
        | [] -> None
    match find args with
    | Some v -> v
    | None ->
        match Environment.GetEnvironmentVariable variable with
        | null | "" -> fallback ()
        | v -> v

/// The long fuzz: the fuzz test of tests/Properties (Fuzz.fs) in report mode, which checks every program (no stop at
/// the first finding), shrinks one counterexample per category of finding and writes them to artifacts/fuzz-report.txt.
/// `--count N` (NABLA_FUZZ_COUNT, default 20000), `--seed S` (NABLA_FUZZ_SEED, default a fresh one, printed so that
/// the run can be replayed), `--features F` (NABLA_FUZZ_FEATURES: "default", "all", or e.g. "default,+nan,+empty").
let fuzz (args: string list) =
    let count = option args "count" "NABLA_FUZZ_COUNT" (fun () -> "20000")
    let seed = option args "seed" "NABLA_FUZZ_SEED" (fun () -> string (Random.Shared.Next(1, Int32.MaxValue)))
    let features = option args "features" "NABLA_FUZZ_FEATURES" (fun () -> "default")
    let report = Path.Combine(artifacts, "fuzz-report.txt")
    Directory.CreateDirectory artifacts |> ignore
    if File.Exists report then File.Delete report
    step (sprintf "fuzz: %s programs, seed %s, features %s" count seed features)
    printfn "replay: dotnet fsi build.fsx fuzz --count %s --seed %s --features %s" count seed features
    let psi =
        startInfo "dotnet" [ "test"; "tests/Properties/Nabla.Properties.fsproj"; "-c"; "Release"; "--no-build"
                             "--filter"; "FullyQualifiedName~Nabla.Properties.Fuzz.Fuzz"
                             "--logger"; "console;verbosity=normal" ]
    for k, v in [ "NABLA_FUZZ_COUNT", count; "NABLA_FUZZ_SEED", seed; "NABLA_FUZZ_FEATURES", features; "NABLA_FUZZ_REPORT", report ] do
        psi.Environment.[k] <- v
    printfn "> NABLA_FUZZ_COUNT=%s NABLA_FUZZ_SEED=%s NABLA_FUZZ_FEATURES=%s NABLA_FUZZ_REPORT=%s %s %s" count seed features report psi.FileName (String.Join(" ", psi.ArgumentList))
    use p = Process.Start psi
    p.WaitForExit()
    if File.Exists report then printfn "\n%s" (File.ReadAllText report)
    printfn "fuzz: seed %s (replay: dotnet fsi build.fsx fuzz --count %s --seed %s --features %s); report in %s" seed count seed features report
    if p.ExitCode <> 0 then fail "fuzz: findings or errors (exit code %d); see %s" p.ExitCode report

/// The soak (soak/): a training loop of `--steps N` steps (default 10^5) that fails when memory grows; its other
/// arguments are passed on (`--every K`, `--leak-every L`, `--no-history`, `--no-check`).
let soak (args: string list) =
    step (sprintf "dotnet run soak %s" (String.Join(" ", args)))
    run "dotnet" ([ "run"; "-c"; "Release"; "--no-build"; "--project"; "soak"; "--" ] @ args)

let pack () =
    step "dotnet pack"
    for proj in [ "src/Core.FSharp/Nabla.Core.fsproj"; "src/Facade.CSharp/Nabla.csproj" ] do
        run "dotnet" [ "pack"; proj; "-c"; "Release"; "-o"; packages ]
    printfn "packages in %s" packages

// ---------------------------------------------------------------------------------------------
// Targets

let targets: (string * string * (unit -> int)) list =
    [ "restore", "restore tools and packages", (fun () -> restore (); 0)
      "build", "restore, then build everything (Release)", (fun () -> restore (); build (); 0)
      "test", "build, fetch MKL (mkl), run every test project under the managed provider and MKL; prints 'N passed, N failed'",
      (fun () -> restore (); (if needsMkl () then mkl ()); build (); test ())
      "bench", "fetch MKL, build bench/ and run it (BenchmarkDotNet); `bench --quick` runs every workload once, untimed",
      (fun () -> restore (); mkl (); bench (List.ofArray fsi.CommandLineArgs |> List.skip 2); 0)
      "mkl", "fetch Intel MKL (and OpenBLAS) from Debian into .mkl/ without touching the system's apt configuration",
      (fun () -> mkl (); 0)
      "tutorial", "build, then run docs/tutorial", (fun () -> restore (); build (); tutorial (); 0)
      "guide2", "build, then run docs/guide2 (Jacobians, Hessians, custom gradients, Adam)",
      (fun () -> restore (); build (); guide2 (); 0)
      "pack", "restore, then pack Nabla.Core and Nabla into artifacts/packages",
      (fun () -> restore (); pack (); 0)
      "fuzz", "build, then the long fuzz (report mode): `fuzz --count N --seed S --features F`; writes artifacts/fuzz-report.txt",
      (fun () -> restore (); build (); fuzz (List.ofArray fsi.CommandLineArgs |> List.skip 2); 0)
      "soak", "build, then the soak: `soak --steps N` (default 10^5) training steps; fails if memory grows",
      (fun () -> restore (); build (); soak (List.ofArray fsi.CommandLineArgs |> List.skip 2); 0) ]

let usage () =
    eprintfn "usage: dotnet fsi build.fsx <target>\n\ntargets:"
    for name, doc, _ in targets do eprintfn "  %-10s %s" name doc

let main (argv: string list) =
    match argv with
    | name :: rest when name = "bench" || name = "fuzz" || name = "soak" || rest.IsEmpty ->
        match targets |> List.tryFind (fun (n, _, _) -> n = name) with
        | Some(_, _, f) ->
            try
                f ()
            with BuildFailed msg ->
                eprintfn "\nbuild failed: %s" msg
                1
        | None ->
            eprintfn "unknown target '%s'" name
            usage ()
            1
    | _ ->
        usage ()
        1

exit (main (List.ofArray fsi.CommandLineArgs |> List.tail))
