using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Infrastructure;

/// <summary>
/// The library never hands TorchSharp a Scalar that can be finalized during the native call (README, "Scalar
/// lifetime"): see <see cref="ScalarLifetimeRule"/>. The rule is checked on the source of src/, and shown to catch
/// each form of the race on a sample.
/// </summary>
public class ScalarLifetimeRuleTests
{
    [Fact]
    public void TheLibraryHandsTorchSharpOnlyScalarsThatOutliveTheCall()
    {
        string root = RepositoryRoot.Path;
        var sources = new[] { "src/CrackSeg", "src/CrackSeg.Cli" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
        var findings = ScalarLifetimeRule.Check(sources);
        Assert.True(findings.Count == 0, $"{findings.Count} temporary Scalars:\n" + string.Join("\n", findings));
    }
}
