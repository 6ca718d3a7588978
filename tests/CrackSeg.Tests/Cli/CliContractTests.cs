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
        // This LibTorch exports autocast, so the CPU line names the modes and whether bf16 is native.
        Assert.Matches(@"autocast_cpu: bf16, fp16 \(bf16 native: [^)]+\)", r.Output);
        Assert.Matches(@"autocast_cuda: ", r.Output);
    }

    [Theory]
    [InlineData(null, null, "GOMP_SPINCOUNT=3000 (crackseg's default)")]
    [InlineData("PASSIVE", null, "OMP_WAIT_POLICY=PASSIVE (from the environment)")]
    [InlineData(null, "200000", "GOMP_SPINCOUNT=200000 (from the environment)")]
    public void OpenMpWaitingIsBoundedUnlessTheUserChose(string? waitPolicy, string? spinCount, string expected)
    {
        using var dir = new TempDir();
        var environment = new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = waitPolicy, ["GOMP_SPINCOUNT"] = spinCount };
        var r = CliProcess.Run(dir.Path, environment, "info", "--no-torch");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"openmp_wait: {expected}", r.Output);
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
