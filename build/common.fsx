// Helpers for the rest of the build (build.fsx and build/*.fsx): the repository's paths, running a
// command (live or captured), failing the build with a message, a target's `--name value` options.

open System
open System.Diagnostics
open System.IO
open System.Text

/// The repository's root (this file lives in build/).
let root = Path.GetDirectoryName __SOURCE_DIRECTORY__
let artifacts = Path.Combine(root, "artifacts")

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
