using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;
using SixLabors.ImageSharp.Formats.Png;

namespace CrackSeg.Tests.Data;

/// <summary>Masks in every supported encoding decode to the same 0/1 crack map.</summary>
public class MaskDecodingTests
{
    private const int W = 24, H = 16;

    /// <summary>The crack map as stored in a PNG (0/255).</summary>
    private static byte[] Expected(Func<int, int, bool> crack)
    {
        var m = new byte[W * H];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) m[y * W + x] = crack(x, y) ? (byte)255 : (byte)0;
        return m;
    }

    /// <summary>What the decoder returns: 1 = crack.</summary>
    private static byte[] Binary(IEnumerable<byte> png255) => png255.Select(v => v == 255 ? (byte)1 : (byte)0).ToArray();

    private static bool Crack(int x, int y) => x == y || x == W - 1 - y;

    private static byte[] Decode(string path, int threshold, out MaskStats stats)
    {
        var dest = new byte[W * H];
        stats = SampleDecoder.DecodeMask(File.ReadAllBytes(path), W, H, threshold, dest);
        return dest;
    }

    [Fact]
    public void EightBitOneBitSixteenBitAndRgbMasksAgree()
    {
        using var dir = new TempDir();
        var expected = Expected(Crack);
        string gray8 = Path.Combine(dir.Path, "g8.png"), gray1 = Path.Combine(dir.Path, "g1.png");
        string gray16 = Path.Combine(dir.Path, "g16.png"), rgb = Path.Combine(dir.Path, "rgb.png"), red = Path.Combine(dir.Path, "red.png");
        DataTestFiles.WriteGray(gray8, expected, W, H);
        DataTestFiles.WriteGray(gray1, expected, W, H, PngBitDepth.Bit1);
        DataTestFiles.Write16BitGray(gray16, expected.Select(v => v == 255 ? (ushort)65535 : (ushort)0).ToArray(), W, H);
        DataTestFiles.WriteRgbMask(rgb, expected.SelectMany(v => new[] { v, v, v }).ToArray(), W, H);
        // A coloured annotation (red on black) counts as crack: the brightest channel decides.
        DataTestFiles.WriteRgbMask(red, expected.SelectMany(v => new byte[] { v, 0, 0 }).ToArray(), W, H);

        foreach (string path in new[] { gray8, gray1, gray16, rgb, red })
        {
            var decoded = Decode(path, 127, out var stats);
            Assert.Equal(Binary(expected), decoded);
            Assert.Equal(0, stats.NonBinary);
            Assert.Equal(expected.Count(v => v == 255), stats.Foreground);
        }
    }

    [Fact]
    public void ThresholdIsAppliedOnTheZeroTo255ScaleAndGreyValuesAreCounted()
    {
        using var dir = new TempDir();
        var values = new byte[W * H];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)(i % 4 == 0 ? 0 : i % 4 == 1 ? 100 : i % 4 == 2 ? 128 : 255);
        string path = Path.Combine(dir.Path, "aa.png");
        DataTestFiles.WriteGray(path, values, W, H);

        var at127 = Decode(path, 127, out var stats);
        Assert.Equal(values.Select(v => v > 127 ? (byte)1 : (byte)0), at127);
        Assert.Equal(values.Count(v => v is 100 or 128), stats.NonBinary);
        var at99 = Decode(path, 99, out _);
        Assert.Equal(values.Select(v => v > 99 ? (byte)1 : (byte)0), at99);

        var sixteen = Path.Combine(dir.Path, "aa16.png");
        DataTestFiles.Write16BitGray(sixteen, values.Select(v => (ushort)(v * 257)).ToArray(), W, H);
        Assert.Equal(at127, Decode(sixteen, 127, out var stats16));
        Assert.Equal(stats.NonBinary, stats16.NonBinary);
    }

    [Fact]
    public void NonBinaryMasksAreReportedOnceWithCounts()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 5; i++)
        {
            var (rgb, mask) = DataTestFiles.Pattern(W, H, i);
            if (i < 3) mask[i] = 60; // an anti-aliased pixel in three masks
            DataTestFiles.WriteRgb(Path.Combine(dir.Path, "images", $"s{i}.png"), rgb, W, H);
            DataTestFiles.WriteGray(Path.Combine(dir.Path, "masks", $"s{i}.png"), mask, W, H);
        }
        var data = new DataConfig { Root = dir.Path };
        var (log, text) = DataTestFiles.CapturingLog();
        using var cache = SampleCache.Build(DatasetIndex.Build(data, 0, log), data, log, Path.Combine(dir.Path, "cache"));

        var lines = text.ToString().Split('\n').Where(l => l.Contains("not binary")).ToList();
        var line = Assert.Single(lines);
        Assert.Contains("3 of 5 masks", line);
        Assert.Contains("3 pixels", line);
        Assert.Contains("data.mask_threshold=127", line);
        var problem = Assert.Single(cache.Index.Problems, p => p.Kind == DataProblemKind.NonBinaryMask);
        Assert.False(problem.IsFatal);
        Assert.Equal(5, cache.Count);
    }
}
