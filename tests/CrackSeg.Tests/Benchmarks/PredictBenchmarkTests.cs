using CrackSeg.Benchmarks;
using CrackSeg.Config;
using CrackSeg.Evaluation;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Benchmarks;

public class PredictBenchmarkTests
{
    [Fact]
    public void TimesEveryTileOfTheImage()
    {
        var result = PredictBenchmark.Run(new ModelConfig { Preset = "nano" }, CPU, size: 160, tile: 64, overlap: 16, tileBatch: 3);
        Assert.Equal(TileGrid.Plan(160, 160, 64, 16).Tiles().Count(), result.Tiles);
        Assert.True(result.Tiles > 4);
        Assert.True(result.Seconds > 0);
        Assert.Equal(160.0 * 160 / 1e6 / result.Seconds, result.MegapixelsPerSecond, 9);
    }
}
