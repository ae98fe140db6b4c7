// The API reference: docs/api.md from Nabla.Core's and Nabla's public types and XML docs (build/ApiDocs.fs, which
// the test that keeps the file in step shares). The assemblies are read from tests/Properties' build output, which
// holds both with their XML docs and every dependency.

#load "common.fsx" "ApiDocs.fs"

open System
open System.IO
open System.Reflection
open Common

let apiDocsPath = Path.Combine(root, "docs", "api.md")
let apiDocsProject = "tests/Properties/Nabla.Properties.fsproj"
let apiDocsBin = Path.Combine(root, "tests", "Properties", "bin", "Release", "net10.0")

/// Builds tests/Properties (and so both libraries), then writes docs/api.md; fails when a public member has no
/// summary.
let apidocs () =
    step (sprintf "dotnet build %s" apiDocsProject)
    run "dotnet" [ "build"; apiDocsProject; "-c"; "Release" ]
    step "docs/api.md"
    let packages = ApiDocs.packagesIn apiDocsBin Assembly.LoadFrom
    let missing =
        [ for _, asm, xml in packages do
              yield! ApiDocs.undocumented asm (ApiDocs.readSummaries xml) ]
    if not missing.IsEmpty then
        fail "%d public members have no XML summary:\n  %s" missing.Length (String.Join("\n  ", missing))
    let text = ApiDocs.render packages
    let before = if File.Exists apiDocsPath then File.ReadAllText apiDocsPath else ""
    File.WriteAllText(apiDocsPath, text)
    printfn "%s %s (%d lines)" (if before = text then "unchanged:" else "wrote") apiDocsPath (text.Split('\n').Length - 1)
