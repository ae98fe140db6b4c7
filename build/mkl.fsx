// Intel MKL (and OpenBLAS, to test the CBLAS path) from Debian, into the ignored folder .mkl/, and the
// paths of the libraries there.
//
// The system's apt configuration is left alone: a private sources list names the machine's own
// Debian mirror (read from /etc/apt/sources.list*), with the non-free component, and apt keeps its
// lists and cache under .mkl/apt. `apt-get download` fetches the packages, `dpkg -x` unpacks them.

#load "common.fsx"

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open Common

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
