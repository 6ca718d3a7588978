using CrackSeg.Benchmarks;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Benchmarks;

/// <summary>`crackseg bench checkpoint` on the nano preset: what it measures is a real checkpoint, and it leaves nothing behind.</summary>
[Collection(nameof(GlobalRandomStateCollection))] // the benchmark seeds torch's process-wide generator
public class CheckpointBenchmarkTests
{
    [Fact]
    public void MeasuresAFullCheckpointOfThePresetAndRemovesIt()
    {
        using var tmp = new TempDir();
        var result = CheckpointBenchmark.Run("nano", tmp.Path, repeats: 2);

        using var model = ModelFactory.Create(new ModelConfig { Preset = "nano" }, 256);
        long parameters = model.parameters().Sum(p => p.numel());
        Assert.Equal("nano", result.Preset);
        Assert.Equal(parameters, result.Parameters);
        // float32 weights plus AdamW's exp_avg and exp_avg_sq: at least three copies of the parameters.
        Assert.True(result.Bytes >= 3 * 4 * parameters, $"{result.Bytes} bytes for {parameters} parameters");
        Assert.True(result.SaveSeconds > 0 && result.LoadSeconds > 0);
        Assert.True(result.SaveCpuSeconds >= 0 && result.LoadCpuSeconds >= 0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }
}
