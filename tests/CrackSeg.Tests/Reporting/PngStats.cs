using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Tests.Reporting;

/// <summary>Decodes an image with ImageSharp and measures how "non-blank" it is.</summary>
internal sealed record PngStats(int Width, int Height, int DistinctColours, double NonWhiteShare, Rgba32 TopLeft)
{
    public static PngStats Of(string path) => Of(File.ReadAllBytes(path));

    public static PngStats Of(byte[] bytes)
    {
        using var img = Image.Load<Rgba32>(bytes);
        var colours = new HashSet<uint>();
        long nonWhite = 0, total = 0;
        img.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (var p in rows.GetRowSpan(y))
                {
                    colours.Add(p.PackedValue);
                    total++;
                    if (p.R < 250 || p.G < 250 || p.B < 250) nonWhite++;
                }
        });
        return new PngStats(img.Width, img.Height, colours.Count, nonWhite / (double)total, img[2, 2]);
    }

    public void AssertNotBlank(int minColours = 50, double minNonWhite = 0.02)
    {
        Assert.True(DistinctColours >= minColours, $"only {DistinctColours} distinct colours");
        Assert.True(NonWhiteShare >= minNonWhite, $"only {NonWhiteShare:P1} non-white pixels");
    }
}
