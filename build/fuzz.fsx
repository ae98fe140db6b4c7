// The long fuzz: the random-program fuzz test of tests/Properties in report mode, with its count,
// seed and feature set from the target's options; its findings go to artifacts/fuzz-report.txt.

#load "common.fsx"

open System
open System.Diagnostics
open System.IO
open Common

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
