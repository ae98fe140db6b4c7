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

/// Runs every test project; returns the exit code. The summary is the last line printed.
let test () =
    if Directory.Exists testResults then Directory.Delete(testResults, true)
    Directory.CreateDirectory testResults |> ignore
    let outcomes =
        [ for proj in testProjects () do
              let name = Path.GetFileNameWithoutExtension proj
              let trx = Path.Combine(testResults, name + ".trx")
              step (sprintf "dotnet test %s" name)
              let code =
                  exec
                      "dotnet"
                      [ "test"; proj; "-c"; "Release"; "--no-build"
                        "--logger"; sprintf "trx;LogFileName=%s.trx" name
                        "--results-directory"; testResults ]
              let counts = if File.Exists trx then Some(readTrx trx) else None
              yield name, code, counts ]
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
        | Some c when code <> 0 && c.Failed = 0 ->
            broken <- true
            eprintfn "error: %s: dotnet test exited with code %d" name code
        | Some _ -> ()
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

let tutorial () =
    step "dotnet run docs/tutorial"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/tutorial" ]

let guide2 () =
    step "dotnet run docs/guide2"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/guide2" ]

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
      "test", "build, then run every test project; prints 'N passed, N failed'",
      (fun () -> restore (); build (); test ())
      "tutorial", "build, then run docs/tutorial", (fun () -> restore (); build (); tutorial (); 0)
      "guide2", "build, then run docs/guide2 (Jacobians, Hessians, custom gradients, Adam)",
      (fun () -> restore (); build (); guide2 (); 0)
      "pack", "restore, then pack Nabla.Core and Nabla into artifacts/packages",
      (fun () -> restore (); pack (); 0) ]

let usage () =
    eprintfn "usage: dotnet fsi build.fsx <target>\n\ntargets:"
    for name, doc, _ in targets do eprintfn "  %-10s %s" name doc

let main (argv: string list) =
    match argv with
    | [ name ] ->
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
