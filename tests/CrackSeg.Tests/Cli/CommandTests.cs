using CrackSeg.Tests.Models;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Cli;

/// <summary>The thin commands over the library: their output and exit codes.</summary>
public class CommandTests
{
    [SkippableFact]
    public void ModelKeysOfTheSeedPresetEqualTheGoldenPythonKeyList()
    {
        string golden = GoldenFixtures.Require();
        var r = CliRunner.Run("model", "model.preset=seed", "--keys");
        Assert.Equal(0, r.ExitCode);
        var expected = File.ReadAllLines(Path.Combine(golden, "crackseg_swinv2_cnn_aspp_unet.keys.txt")).Where(l => l.Length > 0).ToList();
        var printed = r.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Count(c => c == '\t') == 2).ToList();
        Assert.Equal(expected, printed);
        Assert.Contains("37,468,465", r.Output);
    }

    [Fact]
    public void DataSynthThenCheckReportsTheCorpus()
    {
        using var dir = new TempDir();
        var synth = CliRunner.Run("data", "synth", "--output", dir.Path, "--count", "6", "--size", "96x64", "--seed", "3");
        Assert.Equal(0, synth.ExitCode);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(dir.Path, "masks")).Length);
        var check = CliRunner.Run("data", "check", "--data", dir.Path);
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("6 usable", check.Output);
        Assert.Contains("96x64", check.Output);
    }

    [Fact]
    public void DataCheckOnABrokenCorpusExitsWithTwoNamingTheFile()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliRunner.Run("data", "synth", "--output", dir.Path, "--count", "4", "--size", "64x64").ExitCode);
        string fake = dir.File("images/fake.jpg", "this is not a jpeg");
        dir.File("masks/fake.png", "nor a png");
        var check = CliRunner.Run("data", "check", "--data", dir.Path);
        Assert.Equal(2, check.ExitCode);
        Assert.Contains("fake.jpg", check.Output + check.Error);
    }

    [Fact]
    public void BadSynthSizeIsAUsageError()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("data", "synth", "--output", dir.Path, "--size", "big");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--size", r.Error);
    }

    [Fact]
    public void VerifyRejectsAFolderThatIsNotAnExperiment()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("artifacts", "verify", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("invalid", r.Output);
    }
}
