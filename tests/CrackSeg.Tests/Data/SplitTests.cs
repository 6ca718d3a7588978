using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Data;

public class SplitTests
{
    private const int W = 8, H = 8;

    private static void WriteDataset(string root, IEnumerable<int> order)
    {
        foreach (int i in order) DataTestFiles.WritePair(root, $"img_{i:D3}", W, H);
    }

    private static string[] Stems(IReadOnlyList<SamplePair> pairs) => pairs.Select(p => p.Stem).ToArray();

    [Fact]
    public void SameSeedGivesTheSameSplitWhateverTheFileCreationOrder()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        WriteDataset(a.Path, Enumerable.Range(0, 40));
        WriteDataset(b.Path, Enumerable.Range(0, 40).Reverse().OrderBy(i => (i * 7919) % 40));

        var ia = DatasetIndex.Build(new DataConfig { Root = a.Path }, 42, RunLog.Silent);
        var ib = DatasetIndex.Build(new DataConfig { Root = b.Path }, 42, RunLog.Silent);
        Assert.Equal(Stems(ia.Train), Stems(ib.Train));
        Assert.Equal(Stems(ia.Val), Stems(ib.Val));
        Assert.Equal(Stems(ia.Test), Stems(ib.Test));
    }

    [Fact]
    public void DifferentSeedGivesADifferentSplitOfTheSameSizes()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, Enumerable.Range(0, 40));
        var data = new DataConfig { Root = dir.Path };
        var s1 = DatasetIndex.Build(data, 1, RunLog.Silent);
        var s2 = DatasetIndex.Build(data, 2, RunLog.Silent);
        Assert.NotEqual(Stems(s1.Test), Stems(s2.Test));
        Assert.Equal(s1.Test.Count, s2.Test.Count);
        Assert.Equal(s1.All.Select(p => p.Stem).Order(), s2.All.Select(p => p.Stem).Order());
    }

    [Theory]
    [InlineData(40, 0.7, 0.15, 0.15, 28, 6, 6)]
    [InlineData(118, 0.7, 0.15, 0.15, 82, 18, 18)]
    [InlineData(10, 0.8, 0.2, 0.0, 8, 2, 0)]
    [InlineData(3, 0.34, 0.33, 0.33, 1, 1, 1)]
    [InlineData(2, 0.1, 0.45, 0.45, 1, 1, 0)]
    [InlineData(1, 0.7, 0.15, 0.15, 1, 0, 0)]
    public void RatiosAreRespectedAndTrainIsNeverEmpty(int n, double tr, double va, double te, int eTrain, int eVal, int eTest)
    {
        Assert.Equal((eTrain, eVal, eTest), DatasetSplitter.Counts(n, [tr, va, te]));
    }

    [Fact]
    public void SplitsAreDisjointAndCoverEveryPair()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, Enumerable.Range(0, 25));
        var index = DatasetIndex.Build(new DataConfig { Root = dir.Path, Splits = [0.6, 0.2, 0.2] }, 9, RunLog.Silent);
        Assert.Equal((15, 5, 5), (index.Train.Count, index.Val.Count, index.Test.Count));
        var all = index.All.Select(p => p.Stem).ToList();
        Assert.Equal(25, all.Distinct().Count());
        Assert.Equal(Stems(index.Test).Order(StringComparer.Ordinal), Stems(index.Test)); // each split sorted by stem
    }

    [Theory]
    [InlineData(new[] { 0.8, 0.2 }, null)]
    [InlineData(new[] { 0.5, 0.5, 0.5 }, "sum to 1")]
    [InlineData(new[] { 1.2, -0.1, -0.1 }, "negative")]
    [InlineData(new[] { 0.0, 0.5, 0.5 }, "train ratio")]
    [InlineData(new[] { 1.0 }, "3 ratios")]
    public void BadRatiosAreInputErrorsNamingTheKey(double[] ratios, string? phrase)
    {
        if (phrase is null)
        {
            Assert.Equal([0.8, 0.2, 0.0], DatasetSplitter.ValidateRatios(ratios).Select(r => Math.Round(r, 6)).ToArray());
            return;
        }
        var e = Assert.Throws<InputException>(() => DatasetSplitter.ValidateRatios(ratios));
        Assert.Contains("data.splits", e.Message);
        Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void SplitsFileRoundTripsAndRebuildsTheSameIndex()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, Enumerable.Range(0, 20));
        var data = new DataConfig { Root = dir.Path };
        var index = DatasetIndex.Build(data, 5, RunLog.Silent);
        string path = Path.Combine(dir.Path, "exp", "splits.json");
        SplitsFile.Write(path, index);

        var read = SplitsFile.Read(path);
        Assert.Equal(Path.GetFullPath(dir.Path), read.Root);
        Assert.Equal(DatasetLayout.Flat, read.Layout);
        Assert.Equal(5, read.Seed);
        Assert.Equal([0.7, 0.15, 0.15], read.Ratios!);
        Assert.Equal(Stems(index.Test), read.Test);

        // A new image added later must not leak into the recorded test split.
        DataTestFiles.WritePair(dir.Path, "img_999", W, H);
        var rebuilt = DatasetIndex.FromSplits(read, new DataConfig { Root = "/elsewhere" }, RunLog.Silent);
        Assert.Equal(index.Test, rebuilt.Test);
        Assert.Equal(index.Val, rebuilt.Val);
        Assert.Equal(index.Train, rebuilt.Train);

        string text = File.ReadAllText(path);
        Assert.Contains("\"format\": \"crackseg-splits/1\"", text);
        Assert.Contains("\"counts\"", text);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "exp"), "*.tmp"));
    }

    [Fact]
    public void FromSplitsReportsListedImagesThatDisappeared()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, Enumerable.Range(0, 10));
        var index = DatasetIndex.Build(new DataConfig { Root = dir.Path }, 5, RunLog.Silent);
        var splits = SplitsFile.FromIndex(index);
        var gone = index.Test[0];
        File.Delete(gone.ImagePath);

        var e = Assert.Throws<InputException>(() => DatasetIndex.FromSplits(splits, new DataConfig(), RunLog.Silent));
        Assert.Contains(gone.Stem, e.Message);
        Assert.Contains("missing image", e.Message);
        var skipped = DatasetIndex.FromSplits(splits, new DataConfig { OnError = "skip" }, RunLog.Silent);
        Assert.DoesNotContain(skipped.Test, p => p.Stem == gone.Stem);
        Assert.Contains(skipped.Excluded, x => x.Kind == DataProblemKind.MissingImage && x.Stem == gone.Stem);
    }

    [Fact]
    public void SplitFolderLayoutUsesTheFolders()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 5; i++) DataTestFiles.WritePair(Path.Combine(dir.Path, "train"), $"t{i}", W, H);
        for (int i = 0; i < 2; i++) DataTestFiles.WritePair(Path.Combine(dir.Path, "val"), $"v{i}", W, H);
        DataTestFiles.WritePair(Path.Combine(dir.Path, "test"), "t0", W, H); // same stem as a training image: allowed here

        var index = DatasetIndex.Build(new DataConfig { Root = dir.Path }, 1, RunLog.Silent);
        Assert.Equal(DatasetLayout.SplitFolders, index.Layout);
        Assert.Equal(["t0", "t1", "t2", "t3", "t4"], Stems(index.Train));
        Assert.Equal(["v0", "v1"], Stems(index.Val));
        Assert.Equal(["t0"], Stems(index.Test));
        Assert.Contains(Path.Combine("test", "images"), index.Test[0].ImagePath);

        string path = Path.Combine(dir.Path, "splits.json");
        SplitsFile.Write(path, index);
        var rebuilt = DatasetIndex.FromSplits(SplitsFile.Read(path), new DataConfig(), RunLog.Silent);
        Assert.Equal(index.Test, rebuilt.Test);
        Assert.Equal(index.Train, rebuilt.Train);
    }

    [Fact]
    public void ExplicitStemListsChooseTheSplitAndIgnoreUnlistedFiles()
    {
        using var dir = new TempDir();
        WriteDataset(dir.Path, Enumerable.Range(0, 8));
        string list = Path.Combine(dir.Path, "my_split.json");
        File.WriteAllText(list, """{ "train": ["img_000", "img_001", "img_002"], "val": ["img_003"], "test": ["img_007"] }""");

        var index = DatasetIndex.Build(new DataConfig { Root = dir.Path, SplitFile = list }, 1, RunLog.Silent);
        Assert.Equal(DatasetLayout.SplitFile, index.Layout);
        Assert.Equal(["img_000", "img_001", "img_002"], Stems(index.Train));
        Assert.Equal(["img_003"], Stems(index.Val));
        Assert.Equal(["img_007"], Stems(index.Test));
        Assert.Equal(Path.GetFullPath(list), index.SplitFile);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("""{ "val": [] }""", "missing the \"train\"")]
    [InlineData("""{ "train": "a" }""", "array of file stems")]
    [InlineData("""{ "train": ["a", "a"] }""", "appears twice")]
    [InlineData("""{ "train": ["a"], "test": ["a"] }""", "both train and test")]
    [InlineData("""{ "train": [3] }""", "non-empty strings")]
    [InlineData("""{ "format": "other/2", "train": [] }""", "unknown format")]
    public void MalformedSplitFilesAreInputErrorsNamingTheFile(string content, string phrase)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<InputException>(() => SplitsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(phrase, e.Message);
    }
}
