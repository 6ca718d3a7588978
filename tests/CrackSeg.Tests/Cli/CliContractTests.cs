using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Cli;

public class CliContractTests
{
    [Fact]
    public void InfoPrintsVersionsAndCudaAvailability()
    {
        var r = CliRunner.Run("info");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("torchsharp: 0.107.0", r.Output);
        Assert.Contains("libtorch: 2.10.0", r.Output);
        Assert.Matches(@"cuda_available: (true|false)", r.Output);
        Assert.Contains("cpu_cores:", r.Output);
    }

    [Fact]
    public void MisspelledConfigKeyExitsWithTwoAndASuggestion()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "training:\n  epoch: 3\n");
        var r = CliRunner.Run("config", "show", "--config", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("did you mean 'training.epochs'", r.Error);
        Assert.DoesNotContain("   at ", r.Error); // no stack trace
    }

    [Fact]
    public void NegativeEpochsExitsWithTwoNamingTheRange()
    {
        var r = CliRunner.Run("config", "show", "training.epochs=-1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("training.epochs", r.Error);
        Assert.Contains("1 to 100000", r.Error);
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("frobnicate", r.Error);
    }

    [Fact]
    public void ConfigShowAppliesOverrides()
    {
        var r = CliRunner.Run("config", "show", "training.epochs=3", "model.preset=seed");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("epochs: 3", r.Output);
        Assert.Contains("preset: seed", r.Output);
    }
}
