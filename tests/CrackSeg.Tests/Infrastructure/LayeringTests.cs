using System.Text.RegularExpressions;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Infrastructure;

/// <summary>
/// The bottom layers of src/CrackSeg (design: Common and Config at the bottom; Data on them only) name no
/// stage above them, and Evaluation does not reach up into Reporting, in a using or a qualified name. A
/// back-reference added there fails here with its line.
/// </summary>
public class LayeringTests
{
    private const string AboveData = "Artifacts|Models|Metrics|Training|Evaluation|Reporting|Benchmarks|Export";

    [Theory]
    [InlineData("Common", "Config|Data|" + AboveData)]
    [InlineData("Data", AboveData)]
    [InlineData("Evaluation", "Reporting")]   // the PR chart draws in Common/Charts' style, not Reporting's
    public void ALowerLayerUsesNoStageAboveIt(string folder, string above)
    {
        var reference = Reference(above);
        var offences = new List<string>();
        string root = RepositoryRoot.Path;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", "CrackSeg", folder), "*.cs", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].Split("//")[0];
                if (reference.IsMatch(code)) offences.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offences.Count == 0, $"{folder} references a stage above it:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void TheRuleSeesAUsingAndAQualifiedName()
    {
        var reference = Reference("Artifacts|Models");
        Assert.Matches(reference, "using CrackSeg.Artifacts;");
        Assert.Matches(reference, "var v = Artifacts.FrameworkVersions.TorchBackend;");
        Assert.DoesNotMatch(reference, "using CrackSeg.Common; // artifacts folder");
    }

    /// <summary>A using of, or a name qualified by, one of the stages in <paramref name="stages"/> (a|b|c).</summary>
    private static Regex Reference(string stages) => new($@"\bCrackSeg\.({stages})\b|(?<![\w.])({stages})\.[A-Z]");
}
