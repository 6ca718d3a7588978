using CrackSeg.Benchmarks;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Benchmarks;

public class DataBenchTests
{
    [Fact]
    public void BenchMeasuresDecodeAndAugmentedThroughput()
    {
        using var dir = new TempDir();
        SyntheticCracks.Generate(dir.Path, 6, 80, 64, 1);
        var result = DataBench.Run(new DataConfig { Root = dir.Path },
            new DataBenchOptions { BatchSize = 4, ImageSize = 32, Seconds = 0.3, Threads = 1, CacheDirectory = Path.Combine(dir.Path, "cache") },
            RunLog.Silent);
        Assert.Equal(6, result.Pairs);
        Assert.True(result.DecodeFilesPerSecond > 0);
        Assert.True(result.Samples >= 4 && result.SamplesPerSecond > 0);
        if (OperatingSystem.IsLinux()) Assert.True(result.SamplesPerCpuSecond > 0);
        Assert.Equal(1, result.Threads);
        Assert.Contains("samples/s of 32x32 crops", result.Format());
    }
}
