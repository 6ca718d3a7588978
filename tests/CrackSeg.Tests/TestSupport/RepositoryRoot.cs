namespace CrackSeg.Tests.TestSupport;

/// <summary>The checkout's root: the folder above the test assembly that holds CrackSeg.sln.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CrackSeg.sln"))) return dir.FullName;
        throw new InvalidOperationException("CrackSeg.sln not found above the test assembly");
    });

    public static string Path => Root.Value;
}
