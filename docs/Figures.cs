/// <summary>Where the guides write their figures.</summary>
static class Figures
{
    /// <summary>docs/figures of the repository this program is built in (found from the program's own directory),
    /// else <paramref name="name"/> in the working directory.</summary>
    public static string PathOf(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Nabla.slnx")))
                return Path.Combine(Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "figures")).FullName, name);
        return Path.GetFullPath(name);
    }
}
