// Packages: the feed, restoring the tools and one or more Paket groups, and keeping paket.lock in
// sync with paket.dependencies (with the feed's variable, never its address, in the lock).
//
// The package feed is never written in a file: NUGET_FEED is taken from the machine's own NuGet
// configuration (`dotnet nuget list source`) and handed to Paket through the environment
// (paket.dependencies reads `source %NUGET_FEED%`), and paket.lock keeps `remote: %NUGET_FEED%`,
// which is put back here whenever Paket expands it.
//
// paket.dependencies has two groups: Main (library, tests, docs, soak) and Bench (bench/ only:
// BenchmarkDotNet, TorchSharp and libtorch, hundreds of MB). A target restores only the groups it
// builds, so that the tutorial and the tests never download libtorch. MSBuild's Paket integration
// (.paket/Paket.Restore.targets) would run a restore of every group on a project's first build (when
// paket-files/paket.restore.cached, which only a full restore writes, is missing or stale); `restore`
// sets PaketDisableGlobalRestore=true for every later command, and each project's own restore
// (`paket restore --project`, run by those targets) still fetches what that project references.

#load "common.fsx"

open System
open System.IO
open System.Text.RegularExpressions
open Common

let lockFile = Path.Combine(root, "paket.lock")
let feedVariable = "%NUGET_FEED%"

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
/// the lock stops changing reaches the complete graph. (This downloads every group's packages.)
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

/// Restores the tools of .config/dotnet-tools.json (paket) and the packages of the given Paket
/// groups ("Main", "Bench"). A restore of one group never takes Paket's shortcut "the last full
/// restore is still up to date", so it always compares paket.dependencies with paket.lock, and
/// recomputes the lock when they are out of sync.
let restore (groups: string list) =
    step "dotnet tool restore"
    run "dotnet" [ "tool"; "restore" ]
    setFeed ()
    Environment.SetEnvironmentVariable("PaketDisableGlobalRestore", "true")
    if not (File.Exists lockFile) then installLock ()
    for group in groups do
        step (sprintf "paket restore --group %s" group)
        let code, out = runCapture true "dotnet" [ "paket"; "restore"; "--group"; group ]
        unexpandLock ()
        if code <> 0 then fail "'dotnet paket restore --group %s' failed with exit code %d" group code
        if out.Contains "out of sync" then
            installLock ()
            step (sprintf "paket restore --group %s" group)
            paket [ "restore"; "--group"; group ]
