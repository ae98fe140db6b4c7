// The test run: every test project, once per provider (managed, MKL, OpenBLAS), each writing a TRX
// file; the counts are summed over them and the last line printed is "N passed, N failed".

#load "common.fsx" "mkl.fsx"

open System
open System.Diagnostics
open System.IO
open System.Xml.Linq
open Common
open Mkl

let testResults = Path.Combine(artifacts, "test-results")

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
