// The benchmark (bench/: Nabla against TorchSharp 0.107.0 with libtorch 2.10 CPU, and a direct CBLAS
// call): builds it, makes TorchSharp's native library loadable on Debian 12, and runs it under MKL.
// Its packages are Paket's Bench group, which only the bench target restores.

#load "common.fsx" "mkl.fsx"

open System
open System.Diagnostics
open System.IO
open System.Text
open Common
open Mkl

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
