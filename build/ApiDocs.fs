/// The API reference (docs/api.md): every public type and member of the given assemblies with the first sentence of
/// its XML summary, and the check that each of them has one. One source file shared by the `apidocs` target
/// (build/apidocs.fsx loads it) and the test that keeps docs/api.md in step (tests/Properties/ApiDocsTests.fs links
/// it), so that both produce the same text.
module ApiDocs

open System
open System.IO
open System.Reflection
open System.Runtime.CompilerServices
open System.Text
open System.Text.RegularExpressions
open System.Xml.Linq

// ---------------------------------------------------------------------------------------------------------------
// XML documentation IDs (the C# specification's "ID string format", which the F# compiler follows too)

let private stripArity (name: string) =
    let i = name.IndexOf '`'
    if i < 0 then name else name.Substring(0, i)

/// The ID of a type in a parameter position: generic arguments in braces, `0 for a type's and ``0 for a method's
/// generic parameters, [] for arrays, @ for by-reference.
let rec private paramTypeId (t: Type) : string =
    if t.IsGenericParameter then
        if isNull t.DeclaringMethod then "`" + string t.GenericParameterPosition
        else "``" + string t.GenericParameterPosition
    elif t.IsByRef then paramTypeId (t.GetElementType()) + "@"
    elif t.IsPointer then paramTypeId (t.GetElementType()) + "*"
    elif t.IsArray then
        let element = paramTypeId (t.GetElementType())
        if t.IsSZArray then element + "[]"
        else element + "[" + String.Join(",", Array.create (t.GetArrayRank()) "0:") + "]"
    elif t.IsGenericType then
        let args = t.GetGenericArguments()
        // The chain of declaring types, outermost first; each takes its own share of the generic arguments.
        let rec chain (x: Type) = if isNull x.DeclaringType then [ x ] else chain x.DeclaringType @ [ x ]
        let mutable used = 0
        let parts =
            chain (t.GetGenericTypeDefinition())
            |> List.map (fun level ->
                let own = level.GetGenericArguments().Length - used
                let name = stripArity level.Name
                let part =
                    if own > 0 then name + "{" + String.Join(",", args.[used .. used + own - 1] |> Array.map paramTypeId) + "}"
                    else name
                used <- used + max own 0
                part)
        let ns = t.Namespace
        (if String.IsNullOrEmpty ns then "" else ns + ".") + String.Join(".", parts)
    else
        t.FullName.Replace('+', '.')

/// The ID of a declaring type: its full name with nested types joined by dots (arity suffixes kept).
let private declaringTypeId (t: Type) = t.FullName.Replace('+', '.')

let private parameterList (ps: ParameterInfo[]) =
    if ps.Length = 0 then "" else "(" + String.Join(",", ps |> Array.map (fun p -> paramTypeId p.ParameterType)) + ")"

/// The XML documentation ID of a type or member ("T:...", "M:...", "P:...", "F:...", "E:...").
let docId (m: MemberInfo) : string =
    match m with
    | :? Type as t -> "T:" + declaringTypeId t
    | :? ConstructorInfo as c ->
        "M:" + declaringTypeId c.DeclaringType + "." + (if c.IsStatic then "#cctor" else "#ctor") + parameterList (c.GetParameters())
    | :? MethodInfo as mi ->
        let arity = if mi.IsGenericMethodDefinition then "``" + string (mi.GetGenericArguments().Length) else ""
        let conversion =
            if mi.Name = "op_Implicit" || mi.Name = "op_Explicit" then "~" + paramTypeId mi.ReturnType else ""
        "M:" + declaringTypeId mi.DeclaringType + "." + mi.Name.Replace('.', '#') + arity
        + parameterList (mi.GetParameters()) + conversion
    | :? PropertyInfo as p -> "P:" + declaringTypeId p.DeclaringType + "." + p.Name + parameterList (p.GetIndexParameters())
    | :? FieldInfo as f -> "F:" + declaringTypeId f.DeclaringType + "." + f.Name
    | :? EventInfo as e -> "E:" + declaringTypeId e.DeclaringType + "." + e.Name
    | _ -> failwithf "docId: unexpected member %O" m

// ---------------------------------------------------------------------------------------------------------------
// The public surface

let private generated (m: MemberInfo) = m.IsDefined(typeof<CompilerGeneratedAttribute>, false)

let private visibleMethod (owner: Type) (m: MethodBase) =
    not (isNull m) && (m.IsPublic || (not owner.IsSealed && (m.IsFamily || m.IsFamilyOrAssembly)))

/// Whether a member is part of the public API: public (or protected in an unsealed type), written by hand (not
/// compiler-generated), and not an accessor of a property or event (those are listed under their property).
let isPublicMember (owner: Type) (m: MemberInfo) =
    not (generated m)
    && match m with
       | :? MethodBase as mb ->
           visibleMethod owner mb && (not mb.IsSpecialName || mb.Name.StartsWith "op_" || mb :? ConstructorInfo)
           && not (mb :? ConstructorInfo && mb.IsStatic)
       | :? PropertyInfo as p ->
           visibleMethod owner (p.GetGetMethod true) || visibleMethod owner (p.GetSetMethod true)
       | :? FieldInfo as f ->
           not f.IsSpecialName && (f.IsPublic || (not owner.IsSealed && (f.IsFamily || f.IsFamilyOrAssembly)))
       | :? EventInfo as e -> visibleMethod owner (e.GetAddMethod true)
       | _ -> false

let private bindings =
    BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Instance ||| BindingFlags.Static
    ||| BindingFlags.DeclaredOnly

/// The public types of an assembly (nested ones included), ordered by full name.
let publicTypes (asm: Assembly) =
    asm.GetTypes()
    |> Array.filter (fun t -> t.IsVisible && not (generated t))
    |> Array.sortBy (fun t -> t.FullName.Replace('+', '.'), t.FullName)

/// The public members a type declares (see isPublicMember), in a fixed order: constructors, properties, methods,
/// fields, events, each by name and ID.
let publicMembers (t: Type) =
    let kindOrder (m: MemberInfo) =
        match m with
        | :? ConstructorInfo -> 0
        | :? PropertyInfo -> 1
        | :? MethodInfo -> 2
        | :? FieldInfo -> 3
        | _ -> 4
    t.GetMembers bindings
    |> Array.filter (fun m -> not (m :? Type) && isPublicMember t m)
    |> Array.sortBy (fun m -> kindOrder m, m.Name, docId m)

// ---------------------------------------------------------------------------------------------------------------
// XML docs

/// An ID as a lookup key: multi-dimensional arrays written as [,] whatever their rank (C# writes int[,] as
/// System.Int32[0:,0:], F# as System.Int32[0:]).
let key (id: string) = Regex.Replace(id, @"\[0:(,0:)*\]", "[,]")

/// The <summary> of every member in an XML documentation file, by key (see key).
let readSummaries (xmlPath: string) : Map<string, XElement> =
    let doc = XDocument.Load xmlPath
    doc.Descendants(XName.Get "member")
    |> Seq.choose (fun m ->
        let summary = m.Element(XName.Get "summary")
        match m.Attribute(XName.Get "name") with
        | null -> None
        | _ when isNull summary -> None
        | name -> Some(key name.Value, summary))
    |> Map.ofSeq

/// The member an override overrides, if it is declared in the same assembly (its docs then serve the override too).
let private overridden (m: MemberInfo) : MemberInfo option =
    let baseOf (mi: MethodInfo) =
        if isNull mi then None
        else
            let b = mi.GetBaseDefinition()
            if b.DeclaringType <> mi.DeclaringType && b.DeclaringType.Assembly = mi.DeclaringType.Assembly then Some b
            else None
    match m with
    | :? MethodInfo as mi -> baseOf mi |> Option.map (fun b -> b :> MemberInfo)
    | :? PropertyInfo as p ->
        baseOf (p.GetGetMethod true |> Option.ofObj |> Option.defaultWith (fun () -> p.GetSetMethod true))
        |> Option.bind (fun b ->
            b.DeclaringType.GetProperty(p.Name, bindings, null, p.PropertyType, p.GetIndexParameters() |> Array.map (fun x -> x.ParameterType), null)
            |> Option.ofObj |> Option.map (fun x -> x :> MemberInfo))
    | _ -> None

/// A parameterless instance constructor: C#'s implicit default constructor has no source to document.
let private defaultConstructor (m: MemberInfo) =
    match m with
    | :? ConstructorInfo as c -> not c.IsStatic && c.GetParameters().Length = 0
    | _ -> false

/// A member's summary: its own, else (for an override) the summary of the member it overrides, recursively.
let rec summaryOf (summaries: Map<string, XElement>) (m: MemberInfo) : XElement option =
    match summaries.TryFind(key (docId m)) with
    | Some s -> Some s
    | None -> overridden m |> Option.bind (summaryOf summaries)

/// The short name a cref points at: "M:Nabla.TF.Exp(Nabla.Tensor)" -> "TF.Exp".
let private crefName (cref: string) =
    let body = if cref.Length > 2 && cref.[1] = ':' then cref.Substring 2 else cref
    let body = match body.IndexOf '(' with -1 -> body | i -> body.Substring(0, i)
    let parts = body.Split '.'
    let n = parts.Length
    if n >= 2 && (cref.StartsWith "M:" || cref.StartsWith "P:" || cref.StartsWith "F:" || cref.StartsWith "E:") then
        parts.[n - 2] + "." + parts.[n - 1]
    else parts.[n - 1]
    |> stripArity

/// Markdown for a summary's XML: <c> and cref/paramref as code, text with < escaped, whitespace collapsed.
let summaryMarkdown (summary: XElement) =
    let sb = StringBuilder()
    let rec walk (node: XNode) =
        match node with
        | :? XText as t -> sb.Append(t.Value.Replace("<", "&lt;")) |> ignore
        | :? XElement as e ->
            match e.Name.LocalName with
            | "c" | "code" -> sb.Append('`').Append(e.Value).Append('`') |> ignore
            | "see" | "seealso" ->
                match e.Attribute(XName.Get "cref"), e.Attribute(XName.Get "langword") with
                | null, null -> for n in e.Nodes() do walk n
                | null, lw -> sb.Append('`').Append(lw.Value).Append('`') |> ignore
                | cref, _ ->
                    if e.IsEmpty || e.Value.Length = 0 then sb.Append('`').Append(crefName cref.Value).Append('`') |> ignore
                    else for n in e.Nodes() do walk n
            | "paramref" | "typeparamref" ->
                match e.Attribute(XName.Get "name") with
                | null -> ()
                | n -> sb.Append('`').Append(n.Value).Append('`') |> ignore
            | _ ->
                sb.Append(' ') |> ignore
                for n in e.Nodes() do walk n
                sb.Append(' ') |> ignore
        | _ -> ()
    for n in summary.Nodes() do walk n
    Regex.Replace(sb.ToString(), @"\s+", " ").Trim()

/// The first sentence of a summary (up to a period, question or exclamation mark followed by a space, outside code
/// spans and not in "e.g.", "i.e.", "etc.", "vs.").
let firstSentence (text: string) =
    let mutable inCode = false
    let mutable cut = -1
    let mutable i = 0
    while cut < 0 && i < text.Length do
        let c = text.[i]
        if c = '`' then inCode <- not inCode
        elif not inCode && (c = '.' || c = '?' || c = '!') && i + 1 < text.Length && text.[i + 1] = ' ' then
            let before = text.Substring(0, i + 1)
            let abbreviation =
                [ "e.g."; "i.e."; "etc."; "vs."; "cf." ] |> List.exists (fun a -> before.EndsWith(a, StringComparison.OrdinalIgnoreCase))
            if not abbreviation then cut <- i + 1
        i <- i + 1
    if cut < 0 then text else text.Substring(0, cut)

// ---------------------------------------------------------------------------------------------------------------
// The check: every public type and member has a non-empty summary

/// The IDs of the public types and members of an assembly that have no summary (or an empty one) in its XML docs.
/// An override without docs of its own counts as documented when the member it overrides (in the same assembly) is; a
/// parameterless constructor without docs is taken for C#'s implicit one (CS1591 flags an explicit one in C#).
let undocumented (asm: Assembly) (summaries: Map<string, XElement>) =
    [ for t in publicTypes asm do
          for m in Seq.append [ t :> MemberInfo ] (publicMembers t) do
              match summaryOf summaries m with
              | Some s when summaryMarkdown s <> "" -> ()
              | None when defaultConstructor m -> ()
              | _ -> yield docId m ]

// ---------------------------------------------------------------------------------------------------------------
// The index

let private keywords =
    dict [ typeof<Void>, "void"; typeof<bool>, "bool"; typeof<int>, "int"; typeof<int64>, "long"; typeof<float>, "double"
           typeof<float32>, "float"; typeof<string>, "string"; typeof<obj>, "object"; typeof<byte>, "byte"
           typeof<uint32>, "uint"; typeof<uint64>, "ulong"; typeof<int16>, "short"; typeof<char>, "char" ]

/// A type as C# would write it, without namespaces: IReadOnlyList<int>, Tensor[], double?.
let rec typeName (t: Type) : string =
    if t.IsByRef then typeName (t.GetElementType())
    elif t.IsArray then typeName (t.GetElementType()) + "[" + String(',', t.GetArrayRank() - 1) + "]"
    elif t.IsPointer then typeName (t.GetElementType()) + "*"
    elif keywords.ContainsKey t then keywords.[t]
    elif t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<Nullable<_>> then typeName (t.GetGenericArguments().[0]) + "?"
    elif t.IsGenericType then
        let args = t.GetGenericArguments()
        let own = args.Length - (if isNull t.DeclaringType then 0 else t.DeclaringType.GetGenericArguments().Length)
        stripArity t.Name + "<" + String.Join(", ", args |> Array.skip (args.Length - own) |> Array.map typeName) + ">"
    else t.Name

/// An optional parameter's default as C# writes it: null, false, 0.001, "valid", DType.Float32.
let private defaultValue (p: ParameterInfo) =
    let t = match Nullable.GetUnderlyingType p.ParameterType with null -> p.ParameterType | u -> u
    let value =
        match p.DefaultValue with
        | null -> null
        | v when t.IsEnum && not (v.GetType().IsEnum) -> Enum.ToObject(t, v)
        | v -> v
    match value with
    | null -> "null"
    | :? bool as b -> if b then "true" else "false"
    | :? string as s -> "\"" + s + "\""
    | :? float as d -> d.ToString("R", Globalization.CultureInfo.InvariantCulture)
    | :? float32 as f -> f.ToString("R", Globalization.CultureInfo.InvariantCulture) + "f"
    | v when v.GetType().IsEnum -> v.GetType().Name + "." + string v
    | v -> Convert.ToString(v, Globalization.CultureInfo.InvariantCulture)

let private parameters (ps: ParameterInfo[]) =
    String.Join(", ", ps |> Array.map (fun p ->
        let prefix =
            if p.ParameterType.IsByRef then (if p.IsOut then "out " elif p.IsIn then "in " else "ref ")
            elif p.IsDefined(typeof<ParamArrayAttribute>, false) then "params "
            else ""
        let optional = if p.HasDefaultValue && p.IsOptional then " = " + defaultValue p else ""
        prefix + typeName p.ParameterType + " " + p.Name + optional))

/// How a member reads in the index: `Name(Type a, Type b): Result`, `Name: Type`.
let signature (m: MemberInfo) =
    let generics (mi: MethodInfo) =
        if mi.IsGenericMethodDefinition then "<" + String.Join(", ", mi.GetGenericArguments() |> Array.map (fun a -> a.Name)) + ">" else ""
    match m with
    | :? ConstructorInfo as c -> "new " + stripArity c.DeclaringType.Name + "(" + parameters (c.GetParameters()) + ")"
    | :? MethodInfo as mi -> mi.Name + generics mi + "(" + parameters (mi.GetParameters()) + "): " + typeName mi.ReturnType
    | :? PropertyInfo as p ->
        let ix = p.GetIndexParameters()
        (if ix.Length > 0 then "this[" + parameters ix + "]" else p.Name) + ": " + typeName p.PropertyType
    | :? FieldInfo as f -> f.Name + ": " + typeName f.FieldType
    | :? EventInfo as e -> e.Name + ": " + typeName e.EventHandlerType
    | _ -> m.Name

/// What kind of type it is, as F# and C# programmers say: module, record, union, class, struct, enum, interface,
/// delegate.
let typeKind (t: Type) =
    let mapping =
        t.GetCustomAttributesData()
        |> Seq.tryFind (fun a -> a.AttributeType.FullName = "Microsoft.FSharp.Core.CompilationMappingAttribute")
        |> Option.bind (fun a -> a.ConstructorArguments |> Seq.tryHead)
        |> Option.map (fun a -> Convert.ToInt32 a.Value &&& 31)
    match mapping with
    | Some 7 -> "module"
    | Some 2 -> "record"
    | Some 1 -> "union"
    | _ ->
        if t.IsEnum then "enum"
        elif t.IsInterface then "interface"
        elif typeof<Delegate>.IsAssignableFrom t then "delegate"
        elif t.IsValueType then "struct"
        elif t.IsAbstract && t.IsSealed then "static class"
        else "class"

/// docs/api.md for the given (package name, assembly, XML docs path) triples.
let render (packages: (string * Assembly * string) list) =
    let sb = StringBuilder()
    let line (s: string) = sb.Append(s).Append('\n') |> ignore
    line "# API reference"
    line ""
    line "Every public type and member of the packages, with the first sentence of its documentation; the full text is in"
    line "the XML documentation inside the packages (editors show it). Generated by `dotnet fsi build.fsx apidocs` from the"
    line "assemblies and their XML docs; a test (tests/Properties, `ApiDocsTests`) fails when this file is out of step."
    line ""
    for package, asm, xml in packages do
        let summaries = readSummaries xml
        let summaryOf (m: MemberInfo) =
            match summaryOf summaries m with
            | Some s -> firstSentence (summaryMarkdown s)
            | None when defaultConstructor m -> "(the default constructor)"
            | None -> "(undocumented)"
        let types = publicTypes asm
        line (sprintf "## Package %s (assembly %s)" package (asm.GetName().Name))
        line ""
        for ns, inNs in types |> Array.groupBy (fun t -> t.Namespace) do
            line (sprintf "### Namespace %s" ns)
            line ""
            for t in inNs do
                let name = t.FullName.Substring(ns.Length + 1).Replace('+', '.')
                line (sprintf "#### %s `%s`" (typeKind t) (stripArity name + (if t.IsGenericTypeDefinition then "<" + String.Join(", ", t.GetGenericArguments() |> Array.map (fun a -> a.Name)) + ">" else "")))
                line ""
                line (summaryOf t)
                let members = publicMembers t
                if members.Length > 0 then
                    line ""
                    for m in members do
                        line (sprintf "- `%s`: %s" (signature m) (summaryOf m))
                line ""
    sb.ToString()

/// The packages and their assemblies (Nabla.Core, then Nabla) as found in a build output folder holding both, with
/// their XML docs beside them.
let packagesIn (dir: string) (load: string -> Assembly) =
    [ for package in [ "Nabla.Core"; "Nabla" ] ->
          package, load (Path.Combine(dir, package + ".dll")), Path.Combine(dir, package + ".xml") ]
