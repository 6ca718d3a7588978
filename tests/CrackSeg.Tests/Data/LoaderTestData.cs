using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;

namespace CrackSeg.Tests.Data;

/// <summary>Small datasets for loader tests: a cache plus the index, disposed together.</summary>
public sealed class LoaderTestData : IDisposable
{
    private readonly CrackSeg.Tests.TestSupport.TempDir _dir = new();

    public LoaderTestData(int count, int width, int height, DataConfig? data = null, Func<int, (byte[] Rgb, byte[] Mask)>? render = null)
    {
        render ??= i => DerivedMaskImage(width, height, i);
        for (int i = 0; i < count; i++)
        {
            var (rgb, mask) = render(i);
            DataTestFiles.WriteRgb(Path.Combine(_dir.Path, "images", $"s{i:D3}.png"), rgb, width, height);
            DataTestFiles.WriteGray(Path.Combine(_dir.Path, "masks", $"s{i:D3}.png"), mask, width, height);
        }
        Data = (data ?? new DataConfig()) with { Root = _dir.Path, Splits = [1.0, 0.0, 0.0] };
        Index = DatasetIndex.Build(Data, 0, RunLog.Silent);
        Cache = SampleCache.Build(Index, Data, RunLog.Silent, Path.Combine(_dir.Path, "cache"));
    }

    public DataConfig Data { get; }
    public DatasetIndex Index { get; }
    public SampleCache Cache { get; }
    public IReadOnlyList<SamplePair> Samples => Index.Train;
    public string Root => _dir.Path;

    /// <summary>
    /// Smooth colour gradients with random blobs; the mask is exactly "red channel > 127", so any
    /// misalignment between image and mask after augmentation is visible pixel by pixel.
    /// </summary>
    public static (byte[] Rgb, byte[] Mask) DerivedMaskImage(int width, int height, int seed)
    {
        var rng = new Random(seed + 100);
        var rgb = new byte[width * height * 3];
        var mask = new byte[width * height];
        var blobs = Enumerable.Range(0, 6).Select(_ => (X: rng.Next(width), Y: rng.Next(height), R: 2 + rng.Next(6))).ToArray();
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int p = y * width + x;
            bool blob = blobs.Any(b => (x - b.X) * (x - b.X) + (y - b.Y) * 2 * (y - b.Y) <= b.R * b.R) || (x == 3 && y > height / 3);
            byte red = (byte)(blob ? 160 + (x + y) % 90 : (x * 7 + y * 3) % 120);
            rgb[p * 3] = red;
            rgb[p * 3 + 1] = (byte)((x * 255) / width);
            rgb[p * 3 + 2] = (byte)((y * 255) / height);
            mask[p] = red > 127 ? (byte)255 : (byte)0;
        }
        return (rgb, mask);
    }

    /// <summary>A binary image (0 or 255 in every channel) that equals its own mask.</summary>
    public static (byte[] Rgb, byte[] Mask) BinaryImage(int width, int height, int seed)
    {
        var (_, mask) = DerivedMaskImage(width, height, seed);
        return (mask.SelectMany(v => new[] { v, v, v }).ToArray(), mask);
    }

    public void Dispose()
    {
        Cache.Dispose();
        _dir.Dispose();
    }
}
