/// The API reference: every public type and member of Nabla.Core and Nabla has an XML summary (F# has no warning for
/// a missing one, as C#'s CS1591 is for the facade), and docs/api.md is what `dotnet fsi build.fsx apidocs` makes of
/// the assemblies today. The index is built by build/ApiDocs.fs, the same file the target runs.
module Nabla.Properties.ApiDocsTests

open System
open System.IO
open System.Reflection
open Xunit

let private withDocs (package: string) (asm: Assembly) = package, asm, Path.ChangeExtension(asm.Location, ".xml")

let private core () = withDocs "Nabla.Core" typeof<Nabla.Core.Tensor>.Assembly
let private facade () = withDocs "Nabla" typeof<Nabla.TF>.Assembly

let private repositoryRoot () =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then failwithf "no Nabla.slnx above %s" AppContext.BaseDirectory
        elif File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")) then dir.FullName
        else up dir.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let private assertDocumented (package: string, asm: Assembly, xml: string) =
    Assert.True(File.Exists xml, sprintf "%s: no XML docs at %s" package xml)
    let missing = ApiDocs.undocumented asm (ApiDocs.readSummaries xml)
    Assert.True(missing.IsEmpty, sprintf "%s: %d public members without an XML summary:\n  %s" package missing.Length (String.Join("\n  ", missing)))

[<Fact>]
let ``every public type and member of Nabla.Core has a summary`` () = assertDocumented (core ())

[<Fact>]
let ``every public type and member of Nabla has a summary`` () = assertDocumented (facade ())

[<Fact>]
let ``the check finds a member whose summary is missing`` () =
    let _, asm, xml = core ()
    let summaries = ApiDocs.readSummaries xml
    let atan = typeof<Nabla.Core.Tensor>.Assembly.GetType("Nabla.Core.Elementwise").GetMethod("atan")
    let id = ApiDocs.docId atan
    Assert.Equal("M:Nabla.Core.Elementwise.atan(Nabla.Core.Tensor)", id)
    Assert.True(summaries.ContainsKey(ApiDocs.key id), sprintf "%s not in %s" id xml)
    Assert.Equal<string list>([ id ], ApiDocs.undocumented asm (summaries.Remove(ApiDocs.key id)))

[<Fact>]
let ``docs/api.md is in step with the XML docs`` () =
    let path = Path.Combine(repositoryRoot (), "docs", "api.md")
    Assert.True(File.Exists path, sprintf "%s is missing: run `dotnet fsi build.fsx apidocs`" path)
    let expected = ApiDocs.render [ core (); facade () ]
    let actual = File.ReadAllText(path).Replace("\r\n", "\n")
    if actual <> expected then
        let a = actual.Split '\n'
        let e = expected.Split '\n'
        let i = Seq.zip a e |> Seq.tryFindIndex (fun (x, y) -> x <> y) |> Option.defaultValue (min a.Length e.Length)
        let at (lines: string[]) = if i < lines.Length then lines.[i] else "(end of file)"
        Assert.Fail(sprintf "docs/api.md is out of step with the XML docs (run `dotnet fsi build.fsx apidocs`); first difference at line %d:\n  file:      %s\n  generated: %s" (i + 1) (at a) (at e))
