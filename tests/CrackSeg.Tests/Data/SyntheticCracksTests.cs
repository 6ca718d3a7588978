using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Tests.Data;

public class SyntheticCracksTests
{
    [Fact]
    public void SameSeedSameBytesOtherSeedOtherImages()
    {
        var a = SyntheticCracks.Render(96, 80, 7, 3);
        var b = SyntheticCracks.Render(96, 80, 7, 3);
        var c = SyntheticCracks.Render(96, 80, 8, 3);
        var d = SyntheticCracks.Render(96, 80, 7, 4);
        Assert.Equal(a.Rgb, b.Rgb);
        Assert.Equal(a.Mask, b.Mask);
        Assert.NotEqual(a.Rgb, c.Rgb);
        Assert.NotEqual(a.Rgb, d.Rgb);
    }

    [Fact]
    public void MasksAreExactTheCrackRegionIsDarkAndNothingElseChanged()
    {
        int withCracks = 0;
        for (int index = 0; index < 12; index++)
        {
            var (rgb, mask) = SyntheticCracks.Render(128, 96, 21, index);
            var (bare, empty) = SyntheticCracks.Render(128, 96, 21, index, cracks: false);
            Assert.All(mask, v => Assert.True(v is 0 or 255));
            Assert.All(empty, v => Assert.Equal(0, v));
            if (mask.Any(v => v == 255)) withCracks++;

            for (int p = 0; p < mask.Length; p++)
            {
                int darker = Grey(bare, p) - Grey(rgb, p);
                if (mask[p] == 255)
                {
                    // Every mask pixel is visibly darker than the same surface without the crack.
                    Assert.True(darker >= 0.15 * Grey(bare, p) - 2, $"image {index} pixel {p} is in the mask but barely darker ({darker})");
                }
                else if (darker != 0)
                {
                    // Outside the mask only the soft edge changes: within 2 px of a mask pixel.
                    Assert.True(NearMask(mask, 128, 96, p, 2), $"image {index} pixel {p} changed away from any crack");
                }
            }
        }
        Assert.True(withCracks >= 9, "most images must contain cracks");
    }

    [Fact]
    public void CracksAreThinBranchingAndCoverARealisticShare()
    {
        double total = 0;
        int n = 20;
        for (int i = 0; i < n; i++) total += SyntheticCracks.Render(192, 192, 5, i).Mask.Count(v => v != 0) / (192.0 * 192.0);
        double mean = total / n;
        Assert.InRange(mean, 0.005, 0.06); // real crack datasets: ~1-4 % crack pixels
    }

    [Fact]
    public void GlobalDarknessAloneDoesNotSegmentTheCracks()
    {
        // Learnable but not trivial: the best single grey threshold per image finds cracks only partly,
        // because stains, shadows and dark aggregate are as dark as cracks.
        double sumIou = 0;
        int counted = 0;
        for (int i = 0; i < 16; i++)
        {
            var (rgb, mask) = SyntheticCracks.Render(128, 128, 3, i);
            if (!mask.Any(v => v != 0)) continue;
            double best = 0;
            for (int t = 10; t < 250; t += 5)
            {
                long inter = 0, union = 0;
                for (int p = 0; p < mask.Length; p++)
                {
                    bool pred = Grey(rgb, p) < t, truth = mask[p] != 0;
                    inter += pred && truth ? 1 : 0;
                    union += pred || truth ? 1 : 0;
                }
                best = Math.Max(best, union == 0 ? 0 : (double)inter / union);
            }
            sumIou += best;
            counted++;
        }
        double meanBest = sumIou / counted;
        Assert.True(meanBest > 0.05 && meanBest < 0.5, $"best global-threshold IoU {meanBest:0.000}");
    }

    [Fact]
    public void GenerateWritesPairedPngsThatIndexCleanly()
    {
        using var dir = new TempDir();
        var summary = SyntheticCracks.Generate(dir.Path, 6, 64, 48, 11);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(dir.Path, "images")).Length);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(dir.Path, "masks")).Length);
        var (rgb, mask) = SyntheticCracks.Render(64, 48, 11, 2);
        using (var image = Image.Load<Rgb24>(Path.Combine(dir.Path, "images", "synth_00002.png")))
        {
            var bytes = new byte[64 * 48 * 3];
            image.CopyPixelDataTo(bytes);
            Assert.Equal(rgb, bytes);
        }
        using (var maskImage = Image.Load<L8>(Path.Combine(dir.Path, "masks", "synth_00002.png")))
        {
            var bytes = new byte[64 * 48];
            maskImage.CopyPixelDataTo(bytes);
            Assert.Equal(mask, bytes);
        }
        Assert.InRange(summary.MeanCrackRatio, 0.001, 0.2);
        var index = DatasetIndex.Build(new DataConfig { Root = dir.Path }, 0, RunLog.Silent);
        Assert.Equal(6, index.Count);
        Assert.Empty(index.Problems);
    }

    [Fact]
    public void EnsureExistsGeneratesOnceAndNeverTouchesExistingData()
    {
        using var dir = new TempDir();
        string root = Path.Combine(dir.Path, "synthetic");
        var data = new DataConfig { Root = root, Synthetic = new SyntheticConfig { Enabled = true, Count = 4, Width = 48, Height = 40, Seed = 3 } };

        Assert.False(SyntheticData.EnsureExists(data with { Synthetic = data.Synthetic with { Enabled = false } }, RunLog.Silent));
        Assert.False(Directory.Exists(root));

        Assert.True(SyntheticData.EnsureExists(data, RunLog.Silent));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(root, "images")).Length);
        Assert.True(File.Exists(Path.Combine(root, SyntheticData.MarkerFile)));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path)); // no staging folder left behind

        var (log, text) = DataTestFiles.CapturingLog();
        Assert.False(SyntheticData.EnsureExists(data with { Synthetic = data.Synthetic with { Count = 9 } }, log));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(root, "images")).Length);
        Assert.Contains("other settings", text.ToString());
    }

    [Fact]
    public void EnsureExistsFillsAnEmptyRootFolder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "images"));
        var data = new DataConfig { Root = dir.Path, Synthetic = new SyntheticConfig { Enabled = true, Count = 2, Width = 32, Height = 32 } };
        Assert.True(SyntheticData.EnsureExists(data, RunLog.Silent));
        Assert.Equal(2, DatasetIndex.Build(data with { Splits = [1.0, 0.0, 0.0] }, 0, RunLog.Silent).Count);
    }

    private static int Grey(byte[] rgb, int p) => (rgb[p * 3] + rgb[p * 3 + 1] + rgb[p * 3 + 2]) / 3;

    private static bool NearMask(byte[] mask, int width, int height, int p, int radius)
    {
        int x = p % width, y = p / width;
        for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
        {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < width && yy < height && mask[yy * width + xx] != 0) return true;
        }
        return false;
    }
}
