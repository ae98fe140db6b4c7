using System.Reflection;
using System.Text.RegularExpressions;
using Nabla;
using Xunit;

namespace Nabla.Examples;

/// <summary>Keeps README.md's list of operations and dtypes equal to what the code offers.</summary>
public class ReadmeTests
{
    private static string Readme()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Nabla.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return File.ReadAllText(Path.Combine(dir!.FullName, "README.md"));
    }

    [Fact]
    public void OperationList_MatchesTheTFClass()
    {
        var text = Readme();
        var block = Regex.Match(text, "<!-- ops:begin -->(.*?)<!-- ops:end -->", RegexOptions.Singleline);
        Assert.True(block.Success, "README.md has no ops:begin/ops:end block");
        var listed = Regex.Matches(block.Groups[1].Value, @"\b[A-Z][A-Za-z0-9]+\b").Select(m => m.Value).ToHashSet();
        listed.Remove("Bool"); // "comparisons (Bool, ...)" names the result dtype, not an op
        // TF's own methods and those of its public nested classes (TF.Linalg, TF.Random, TF.Nn, as tf.linalg, tf.random,
        // tf.nn); ops returning several tensors count (Slogdet's tuple, Split's array).
        var code = typeof(TF).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Concat(typeof(TF).GetNestedTypes(BindingFlags.Public).SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static)))
            .Where(m => m.ReturnType == typeof(Tensor) || m.ReturnType == typeof(Tensor[]) || m.ReturnType.Name.StartsWith("Func") || m.ReturnType.Name.StartsWith("ValueTuple"))
            .Select(m => m.Name).ToHashSet();
        Assert.Empty(code.Except(listed));   // every op is listed
        Assert.Empty(listed.Except(code));   // nothing listed that does not exist
    }

    [Fact]
    public void DTypeList_MatchesTheEnum()
    {
        var text = Readme();
        foreach (var name in Enum.GetNames<DType>())
            Assert.Contains($"`{name}`", text);
    }
}
