// Nabla's one build script: dotnet fsi build.fsx <target>
//
// Needs nothing but the .NET SDK. This file is the table of targets; each part of the work has its own
// file in build/: common.fsx (running commands), paket.fsx (the feed, restoring tools and Paket
// groups, paket.lock), mkl.fsx (Intel MKL and OpenBLAS from Debian into .mkl/), test.fsx (the test
// passes and their summary), fuzz.fsx (the long fuzz), bench.fsx (the benchmark), pack.fsx (the packages and
// the samples that consume them), apidocs.fsx (docs/api.md, with ApiDocs.fs). The package feed is
// never written in a file: build/paket.fsx takes it from the machine's NuGet configuration.

#load "build/common.fsx" "build/paket.fsx" "build/mkl.fsx" "build/test.fsx" "build/fuzz.fsx" "build/bench.fsx"
#load "build/pack.fsx" "build/apidocs.fsx"

open System
open System.IO
open Common
open Paket
open Mkl
open Test
open Fuzz
open Bench
open Pack
open Apidocs

let solution = "Nabla.slnx"

/// Paket's groups: Main (library, tests, docs, soak) and Bench (bench/ only; TorchSharp and libtorch).
let mainGroup = [ "Main" ]
let withBench = [ "Main"; "Bench" ]
/// The Docs group (ScottPlot and SkiaSharp) is restored by the `docs` target alone.
let withDocs = [ "Main"; "Docs" ]

let build () =
    step "dotnet build"
    run "dotnet" [ "build"; solution; "-c"; "Release" ]

/// Builds one project (and the projects it references, not the solution) and runs it.
let buildAndRun (project: string) =
    step (sprintf "dotnet build %s" project)
    run "dotnet" [ "build"; project; "-c"; "Release" ]
    step (sprintf "dotnet run %s" project)
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; project ]

/// The soak (soak/): a training loop of `--steps N` steps (default 10^5) that fails when memory grows; its other
/// arguments are passed on (`--every K`, `--leak-every L`, `--no-history`, `--no-check`).
let soak (args: string list) =
    step (sprintf "dotnet run soak %s" (String.Join(" ", args)))
    run "dotnet" ([ "run"; "-c"; "Release"; "--no-build"; "--project"; "soak"; "--" ] @ args)

/// Every guide under docs/, in reading order. The last three draw figures (Docs group) and are not in the solution, so
/// that `build` and `test` never restore the Docs group.
let guides =
    [ "docs/tutorial"; "docs/guide2"; "docs/keras"; "docs/derivatives"; "docs/classifier"; "docs/physics" ]

/// Builds every guide, then runs each (all of them, even after a failure); fails if any exits non-zero.
let docs () =
    for guide in guides do
        step (sprintf "dotnet build %s" guide)
        run "dotnet" [ "build"; guide; "-c"; "Release" ]
    let results =
        [ for guide in guides do
              step (sprintf "dotnet run %s" guide)
              let clock = Diagnostics.Stopwatch.StartNew()
              let code = exec "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; guide ]
              yield guide, code, clock.Elapsed.TotalSeconds ]
    step "guides"
    for guide, code, seconds in results do
        printfn "  %-18s %s (%.1f s)" guide (if code = 0 then "ok" else sprintf "FAILED (exit code %d)" code) seconds
    let failed = results |> List.filter (fun (_, code, _) -> code <> 0)
    if not failed.IsEmpty then fail "%d guide(s) failed: %s" failed.Length (String.Join(", ", failed |> List.map (fun (g, _, _) -> g)))

/// The target's own arguments (after `dotnet fsi build.fsx <target>`).
let targetArgs () = List.ofArray fsi.CommandLineArgs |> List.skip 2

let targets: (string * string * (unit -> int)) list =
    [ "restore", "restore the paket tool and the Main group's packages (library, tests, docs; not the benchmark's)",
      (fun () -> restore mainGroup; 0)
      "build", "restore, then build everything but bench/ (Release)", (fun () -> restore mainGroup; build (); 0)
      "test", "build, fetch MKL (mkl), run every test project under the managed provider and MKL; prints 'N passed, N failed'",
      (fun () -> restore mainGroup; (if needsMkl () then mkl ()); build (); test ())
      "bench", "restore the Bench group too, fetch MKL, build bench/ and run it (BenchmarkDotNet); `bench --quick` runs every workload once, untimed",
      (fun () -> restore withBench; mkl (); bench (targetArgs ()); 0)
      "mkl", "fetch Intel MKL (and OpenBLAS) from Debian into .mkl/ without touching the system's apt configuration",
      (fun () -> mkl (); 0)
      "tutorial", "build docs/tutorial (and the library) only, then run it", (fun () -> restore mainGroup; buildAndRun "docs/tutorial"; 0)
      "guide2", "build docs/guide2 (and the library) only, then run it (Jacobians, Hessians, custom gradients, Adam)",
      (fun () -> restore mainGroup; buildAndRun "docs/guide2"; 0)
      "keras", "build docs/keras (and the library) only, then run it (a CNN on drawn shapes with Keras layers, MAML)",
      (fun () -> restore mainGroup; buildAndRun "docs/keras"; 0)
      "docs", "restore the Main and Docs groups, build and run every guide (docs/*; figures into docs/figures); fails if one is off",
      (fun () -> restore withDocs; docs (); 0)
      "pack", "restore, then pack Nabla.Core and Nabla (.nupkg and .snupkg) into artifacts/packages",
      (fun () -> restore mainGroup; pack (); 0)
      "sample", "pack, then restore samples/ (Hello, NewerDeps) from artifacts/packages alone, build and run them",
      (fun () -> restore mainGroup; sample (); 0)
      "apidocs", "build tests/Properties (and the libraries), then write docs/api.md from the public API and its XML docs",
      (fun () -> restore mainGroup; apidocs (); 0)
      "fuzz", "build, then the long fuzz (report mode): `fuzz --count N --seed S --features F`; writes artifacts/fuzz-report.txt",
      (fun () -> restore mainGroup; build (); fuzz (targetArgs ()); 0)
      "soak", "build, then the soak: `soak --steps N` (default 10^5) training steps; fails if memory grows",
      (fun () -> restore mainGroup; build (); soak (targetArgs ()); 0) ]

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
