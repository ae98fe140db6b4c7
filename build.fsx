// Nabla's one build script: dotnet fsi build.fsx <target>
//
// Needs nothing but the .NET SDK. This file is the table of targets; each part of the work has its own
// file in build/: common.fsx (running commands), paket.fsx (the feed, restoring tools and Paket
// groups, paket.lock), mkl.fsx (Intel MKL and OpenBLAS from Debian into .mkl/), test.fsx (the test
// passes and their summary), fuzz.fsx (the long fuzz), bench.fsx (the benchmark). The package feed is
// never written in a file: build/paket.fsx takes it from the machine's NuGet configuration.

#load "build/common.fsx" "build/paket.fsx" "build/mkl.fsx" "build/test.fsx" "build/fuzz.fsx" "build/bench.fsx"

open System
open System.IO
open Common
open Paket
open Mkl
open Test
open Fuzz
open Bench

let solution = "Nabla.slnx"
let packages = Path.Combine(artifacts, "packages")

let build () =
    step "dotnet build"
    run "dotnet" [ "build"; solution; "-c"; "Release" ]

let tutorial () =
    step "dotnet run docs/tutorial"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/tutorial" ]

let guide2 () =
    step "dotnet run docs/guide2"
    run "dotnet" [ "run"; "-c"; "Release"; "--no-build"; "--project"; "docs/guide2" ]

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

/// The target's own arguments (after `dotnet fsi build.fsx <target>`).
let targetArgs () = List.ofArray fsi.CommandLineArgs |> List.skip 2

let targets: (string * string * (unit -> int)) list =
    [ "restore", "restore tools and packages", (fun () -> restore (); 0)
      "build", "restore, then build everything (Release)", (fun () -> restore (); build (); 0)
      "test", "build, fetch MKL (mkl), run every test project under the managed provider and MKL; prints 'N passed, N failed'",
      (fun () -> restore (); (if needsMkl () then mkl ()); build (); test ())
      "bench", "fetch MKL, build bench/ and run it (BenchmarkDotNet); `bench --quick` runs every workload once, untimed",
      (fun () -> restore (); mkl (); bench (targetArgs ()); 0)
      "mkl", "fetch Intel MKL (and OpenBLAS) from Debian into .mkl/ without touching the system's apt configuration",
      (fun () -> mkl (); 0)
      "tutorial", "build, then run docs/tutorial", (fun () -> restore (); build (); tutorial (); 0)
      "guide2", "build, then run docs/guide2 (Jacobians, Hessians, custom gradients, Adam)",
      (fun () -> restore (); build (); guide2 (); 0)
      "pack", "restore, then pack Nabla.Core and Nabla into artifacts/packages",
      (fun () -> restore (); pack (); 0)
      "fuzz", "build, then the long fuzz (report mode): `fuzz --count N --seed S --features F`; writes artifacts/fuzz-report.txt",
      (fun () -> restore (); build (); fuzz (targetArgs ()); 0)
      "soak", "build, then the soak: `soak --steps N` (default 10^5) training steps; fails if memory grows",
      (fun () -> restore (); build (); soak (targetArgs ()); 0) ]

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
