using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Data;

/// <summary>
/// Every kind of broken input: in fail mode one <see cref="InputException"/> (CLI exit code 2)
/// naming the file and the problem; in skip mode the pair is excluded and listed, the rest train.
/// </summary>
public class BadFileCorpusTests
{
    private const int W = 40, H = 32;

    /// <summary>Bad item name → (writes it into a root, file name expected in the message, phrase expected, kind).</summary>
    public static readonly Dictionary<string, (Action<string> Write, string File, string Phrase, DataProblemKind Kind)> Cases = new()
    {
        ["missing_mask"] = (r => DataTestFiles.WriteRgb(Path.Combine(r, "images", "lonely.png"), DataTestFiles.Pattern(W, H).Rgb, W, H),
            "lonely.png", "missing mask", DataProblemKind.MissingMask),
        ["orphan_mask"] = (r => DataTestFiles.WriteGray(Path.Combine(r, "masks", "orphan.png"), DataTestFiles.Pattern(W, H).Mask, W, H),
            "orphan.png", "orphan mask", DataProblemKind.OrphanMask),
        ["size_mismatch"] = (r =>
            {
                DataTestFiles.WriteRgb(Path.Combine(r, "images", "skew.png"), DataTestFiles.Pattern(W, H).Rgb, W, H);
                DataTestFiles.WriteGray(Path.Combine(r, "masks", "skew.png"), DataTestFiles.Pattern(H, W).Mask, H, W);
            }, "skew.png", "size mismatch", DataProblemKind.SizeMismatch),
        ["zero_byte"] = (r => WithMask(r, "empty", ".jpg", []), "empty.jpg", "empty file", DataProblemKind.EmptyFile),
        ["truncated_jpeg"] = (r => WithMask(r, "cutjpg", ".jpg", Cut(DataTestFiles.Encode(".jpg", W, H), 0.8)),
            "cutjpg.jpg", "truncated", DataProblemKind.Truncated),
        ["truncated_png"] = (r => WithMask(r, "cutpng", ".png", Cut(DataTestFiles.Encode(".png", W, H), 0.7)),
            "cutpng.png", "truncated", DataProblemKind.Truncated),
        ["truncated_bmp"] = (r => WithMask(r, "cutbmp", ".bmp", Cut(DataTestFiles.Encode(".bmp", W, H), 0.6)),
            "cutbmp.bmp", "truncated", DataProblemKind.Truncated),
        ["truncated_tiff"] = (r => WithMask(r, "cuttif", ".tif", Cut(DataTestFiles.Encode(".tif", W, H), 0.5)),
            "cuttif.tif", "truncated", DataProblemKind.Truncated),
        ["text_named_jpg"] = (r => WithMask(r, "notes", ".jpg", "this is not an image, just some notes\n"u8.ToArray()),
            "notes.jpg", "wrong signature", DataProblemKind.WrongSignature),
        ["gif_extension"] = (r => WithMask(r, "anim", ".gif", DataTestFiles.Encode(".gif", W, H)),
            "anim.gif", "unsupported format", DataProblemKind.UnsupportedFormat),
        ["gif_named_png"] = (r => WithMask(r, "disguised", ".png", DataTestFiles.Encode(".gif", W, H)),
            "disguised.png", "unsupported format", DataProblemKind.UnsupportedFormat),
        ["decompression_bomb"] = (r => WithMask(r, "bomb", ".png", DataTestFiles.PngDeclaring(30000, 30000)),
            "bomb.png", "max_pixels", DataProblemKind.TooLarge),
        ["bad_header"] = (r => WithMask(r, "badcrc", ".png", DataTestFiles.PngWithBadHeaderCrc(W, H)),
            "badcrc.png", "unreadable", DataProblemKind.Unreadable),
        ["directory_named_png"] = (r =>
            {
                Directory.CreateDirectory(Path.Combine(r, "images", "folder.png"));
                DataTestFiles.WriteGray(Path.Combine(r, "masks", "folder.png"), DataTestFiles.Pattern(W, H).Mask, W, H);
            }, "folder.png", "cannot be read", DataProblemKind.Unreadable),
        ["duplicate_stem"] = (r =>
            {
                DataTestFiles.WritePair(r, "twin", W, H, ".png");
                DataTestFiles.WriteRgb(Path.Combine(r, "images", "twin.jpg"), DataTestFiles.Pattern(W, H).Rgb, W, H);
            }, "twin", "share the stem", DataProblemKind.DuplicateStem),
        ["truncated_mask"] = (r =>
            {
                DataTestFiles.WriteRgb(Path.Combine(r, "images", "cutmask.png"), DataTestFiles.Pattern(W, H).Rgb, W, H);
                var mask = Path.Combine(r, "masks", "cutmask.png");
                DataTestFiles.WriteGray(mask, DataTestFiles.Pattern(W, H).Mask, W, H);
                File.WriteAllBytes(mask, Cut(File.ReadAllBytes(mask), 0.5));
            }, "cutmask.png", "truncated", DataProblemKind.Truncated),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void FailModeStopsWithOneMessageNamingTheFileAndProblem(string name)
    {
        using var dir = new TempDir();
        WriteGoodPairs(dir.Path, 4);
        var c = Cases[name];
        c.Write(dir.Path);

        var e = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(dir.Path, "fail"), 1, RunLog.Silent));
        Assert.Contains(c.File, e.Message);
        Assert.Contains(c.Phrase, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("data.on_error=skip", e.Message);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void SkipModeExcludesThePairAndKeepsTheRest(string name)
    {
        using var dir = new TempDir();
        WriteGoodPairs(dir.Path, 4);
        var c = Cases[name];
        c.Write(dir.Path);
        var (log, text) = DataTestFiles.CapturingLog();

        var index = DatasetIndex.Build(Config(dir.Path, "skip"), 1, log);

        Assert.Equal(4, index.Count);
        Assert.All(index.All, p => Assert.StartsWith("good", p.Stem));
        var excluded = Assert.Single(index.Excluded);
        Assert.Equal(c.Kind, excluded.Kind);
        Assert.Contains(c.File, excluded.File + " " + excluded.Reason);
        Assert.Contains(c.Phrase, excluded.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(index.Problems, p => p.Kind == c.Kind);
        Assert.Contains("skipping", text.ToString());
        Assert.Contains(c.File, text.ToString());
    }

    [Fact]
    public void WholeCorpusInSkipModeExcludesEveryBadFileAndTrains()
    {
        using var dir = new TempDir();
        WriteGoodPairs(dir.Path, 6);
        foreach (var c in Cases.Values) c.Write(dir.Path);
        var data = Config(dir.Path, "skip");

        var index = DatasetIndex.Build(data, 3, RunLog.Silent);
        Assert.Equal(6, index.Count);
        Assert.Equal(Cases.Count, index.Excluded.Count);
        Assert.Equal(Cases.Values.Select(c => c.Kind).Order(), index.Excluded.Select(e => e.Kind).Order());

        using var cache = SampleCache.Build(index, data, RunLog.Silent, Path.Combine(dir.Path, "cache"));
        Assert.Equal(6, cache.Count);
    }

    [Fact]
    public void FailModeReportsTheFirstProblemInPathOrderAndCountsTheOthers()
    {
        using var dir = new TempDir();
        WriteGoodPairs(dir.Path, 2);
        Cases["zero_byte"].Write(dir.Path);
        Cases["text_named_jpg"].Write(dir.Path);

        var e = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(dir.Path, "fail"), 1, RunLog.Silent));
        Assert.Contains("empty.jpg", e.Message);
        Assert.Contains("1 more problem", e.Message);
        Assert.Contains("crackseg data check", e.Message);
    }

    [Fact]
    public void PixelDataThatFailsToDecodeIsCaughtWhenTheCacheIsBuilt()
    {
        using var dir = new TempDir();
        WriteGoodPairs(dir.Path, 3);
        WithMask(dir.Path, "garbled", ".png", DataTestFiles.PngWithCorruptPixelData(W, H));

        var failData = Config(dir.Path, "fail");
        var index = DatasetIndex.Build(failData, 1, RunLog.Silent);
        Assert.Equal(4, index.Count); // header and structure are fine
        var e = Assert.Throws<InputException>(() => SampleCache.Build(index, failData, RunLog.Silent, Path.Combine(dir.Path, "cache")));
        Assert.Contains("garbled.png", e.Message);
        Assert.Contains("cannot be decoded", e.Message);

        var skipData = Config(dir.Path, "skip");
        using var cache = SampleCache.Build(DatasetIndex.Build(skipData, 1, RunLog.Silent), skipData, RunLog.Silent, Path.Combine(dir.Path, "cache"));
        Assert.Equal(3, cache.Count);
        Assert.Equal(3, cache.Index.Count);
        Assert.Contains(cache.Index.Excluded, x => x.File.EndsWith("garbled.png") && x.Kind == DataProblemKind.Unreadable);

        // A loader given the split from before decoding leaves the excluded pair out instead of failing.
        var stale = DatasetIndex.Build(skipData, 1, RunLog.Silent).All.ToList();
        var loader = new BatchLoader(cache, stale, BatchLoaderOptions.ForEvaluation(skipData, 2, TorchSharp.torch.CPU));
        Assert.Equal(3, loader.SampleCount);
        Assert.DoesNotContain(loader.Samples, p => p.Stem == "garbled");
    }

    [Fact]
    public void DecompressionBombIsRefusedFromItsHeaderWithoutDecoding()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bomb.png");
        File.WriteAllBytes(path, DataTestFiles.PngDeclaring(60000, 60000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (header, problem) = ImageFileInspector.Inspect(path, 64L * 1024 * 1024);
        Assert.Null(header);
        Assert.Equal(DataProblemKind.TooLarge, problem!.Kind);
        Assert.Contains("60000x60000", problem.Message);
        Assert.True(watch.Elapsed.TotalSeconds < 2, "identify must not decode the pixels");
    }

    [Fact]
    public void MissingRootAndMissingMasksFolderAreInputErrors()
    {
        using var dir = new TempDir();
        var e1 = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(Path.Combine(dir.Path, "nope"), "fail"), 1, RunLog.Silent));
        Assert.Contains("data.root", e1.Message);
        Directory.CreateDirectory(Path.Combine(dir.Path, "images"));
        var e2 = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(dir.Path, "fail"), 1, RunLog.Silent));
        Assert.Contains("masks", e2.Message);
        var e3 = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(Path.Combine(dir.Path, "images"), "fail"), 1, RunLog.Silent));
        Assert.Contains("holds no dataset", e3.Message);
    }

    [Fact]
    public void AllPairsExcludedIsAnInputErrorNamingTheRoot()
    {
        using var dir = new TempDir();
        Cases["zero_byte"].Write(dir.Path);
        var e = Assert.Throws<InputException>(() => DatasetIndex.Build(Config(dir.Path, "skip"), 1, RunLog.Silent));
        Assert.Contains("no usable image/mask pairs", e.Message);
    }

    internal static DataConfig Config(string root, string onError) => new() { Root = root, OnError = onError };

    internal static void WriteGoodPairs(string root, int count)
    {
        for (int i = 0; i < count; i++) DataTestFiles.WritePair(root, $"good{i:D2}", W, H, i % 2 == 0 ? ".png" : ".jpg", i);
    }

    private static void WithMask(string root, string stem, string ext, byte[] imageBytes)
    {
        Directory.CreateDirectory(Path.Combine(root, "images"));
        File.WriteAllBytes(Path.Combine(root, "images", stem + ext), imageBytes);
        DataTestFiles.WriteGray(Path.Combine(root, "masks", stem + ".png"), DataTestFiles.Pattern(W, H).Mask, W, H);
    }

    private static byte[] Cut(byte[] bytes, double fraction) => bytes[..(int)(bytes.Length * fraction)];
}
