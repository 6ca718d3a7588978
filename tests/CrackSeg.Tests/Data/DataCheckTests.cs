using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Data;

public class DataCheckTests
{
    [Fact]
    public void CleanSyntheticDatasetReportsCountsSizesAndCrackRatios()
    {
        using var dir = new TempDir();
        SyntheticCracks.Generate(dir.Path, 10, 64, 48, 2);
        var expectedRatios = Enumerable.Range(0, 10).Select(i => SyntheticCracks.Render(64, 48, 2, i).Mask.Count(v => v != 0) / (64.0 * 48)).ToList();

        var report = DataCheck.Run(dir.Path, new DataConfig());
        Assert.Equal(10, report.PairCount);
        Assert.Equal((6, 2, 2), (report.TrainCount, report.ValCount, report.TestCount));
        Assert.Equal([("64x48", 10)], report.Sizes);
        Assert.Equal(expectedRatios.Min(), report.CrackRatioMin, 9);
        Assert.Equal(expectedRatios.Average(), report.CrackRatioMean, 9);
        Assert.Equal(expectedRatios.Max(), report.CrackRatioMax, 9);
        Assert.Empty(report.Problems);
        Assert.False(report.HasFatalProblem);
        string text = report.Format();
        Assert.Contains("10 usable", text);
        Assert.Contains("64x48 (10)", text);
        Assert.Contains("problems    none", text);
        Assert.Contains("Result: OK", text);
    }

    [Fact]
    public void EveryProblemIsListedAndFailModeMakesThemFatal()
    {
        using var dir = new TempDir();
        BadFileCorpusTests.WriteGoodPairs(dir.Path, 4);
        foreach (var c in BadFileCorpusTests.Cases.Values) c.Write(dir.Path);
        File.WriteAllBytes(Path.Combine(dir.Path, "images", "garbled.png"), DataTestFiles.PngWithCorruptPixelData(40, 32));
        DataTestFiles.WriteGray(Path.Combine(dir.Path, "masks", "garbled.png"), DataTestFiles.Pattern(40, 32).Mask, 40, 32);

        var report = DataCheck.Run(dir.Path, new DataConfig { OnError = "fail" });
        Assert.Equal(4, report.PairCount);
        Assert.Equal(BadFileCorpusTests.Cases.Count + 1, report.Problems.Count(p => p.IsFatal));
        Assert.Contains(report.Problems, p => p.Path.EndsWith("garbled.png") && p.Message.Contains("cannot be decoded"));
        Assert.True(report.HasFatalProblem);
        Assert.Contains("data.on_error=fail", report.FatalReason);
        string text = report.Format();
        foreach (var c in BadFileCorpusTests.Cases.Values) Assert.Contains(c.File, text);
        Assert.Contains("Result: FAILED", text);

        var lenient = DataCheck.Run(dir.Path, new DataConfig { OnError = "skip" });
        Assert.False(lenient.HasFatalProblem);
        Assert.Contains("Result: OK with warnings", lenient.Format());
    }

    [Fact]
    public void AnEmptyDatasetIsFatalButStillReported()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "images"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "masks"));
        File.WriteAllText(Path.Combine(dir.Path, "images", "a.jpg"), "nope");
        var report = DataCheck.Run(dir.Path, new DataConfig { OnError = "skip" });
        Assert.Equal(0, report.PairCount);
        Assert.True(report.HasFatalProblem);
        Assert.Single(report.Problems, p => p.Kind == DataProblemKind.MissingMask);
    }

    [Fact]
    public void MissingRootIsAnInputError()
    {
        Assert.Throws<InputException>(() => DataCheck.Run("/definitely/not/here", new DataConfig()));
    }
}
