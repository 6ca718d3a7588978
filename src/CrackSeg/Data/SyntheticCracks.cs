using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Data;

/// <summary>What <see cref="SyntheticCracks.Generate"/> wrote.</summary>
public sealed record SyntheticSummary(string OutputDirectory, int Count, int Width, int Height, int Seed, double MeanCrackRatio);

/// <summary>
/// Synthetic crack images with exact masks, so a fresh clone can train and test without a
/// download. Backgrounds are concrete or asphalt textures (<see cref="SyntheticTexture"/>); cracks are
/// branching random-walk polylines 1–6 px wide, darker than the surface, with soft edges
/// (<see cref="CrackRasterizer"/>). Image i depends only on (seed, i, width, height): generating 10 or
/// 1000 images gives the same first 10.
/// </summary>
public static class SyntheticCracks
{
    /// <summary>Bumped whenever the images a seed produces change.</summary>
    public const int GeneratorVersion = 1;

    /// <summary>Writes images/synth_NNNNN.png and masks/synth_NNNNN.png (8-bit, 0/255) under <paramref name="outputDir"/>.</summary>
    public static SyntheticSummary Generate(string outputDir, int count, int width, int height, int seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "count must be at least 1");
        if (width < 32 || height < 32) throw new ArgumentOutOfRangeException(nameof(width), "images must be at least 32x32");
        string images = Path.Combine(outputDir, "images"), masks = Path.Combine(outputDir, "masks");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(masks);
        var ratios = new double[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (rgb, mask) = Render(width, height, seed, i);
            string name = $"synth_{i:D5}.png";
            using (var image = Image.LoadPixelData<Rgb24>(rgb, width, height)) image.SaveAsPng(Path.Combine(images, name));
            using (var maskImage = Image.LoadPixelData<L8>(mask, width, height)) maskImage.SaveAsPng(Path.Combine(masks, name));
            ratios[i] = mask.Count(v => v != 0) / (double)mask.Length;
        });
        return new SyntheticSummary(outputDir, count, width, height, seed, ratios.Average());
    }

    /// <summary>Renders image <paramref name="index"/> of the corpus <paramref name="seed"/>: RGB24 bytes and a 0/255 mask.</summary>
    public static (byte[] Rgb, byte[] Mask) Render(int width, int height, int seed, int index) => Render(width, height, seed, index, cracks: true);

    /// <summary>Without <paramref name="cracks"/>, the same surface bare (tests compare the two to check the mask is exact).</summary>
    internal static (byte[] Rgb, byte[] Mask) Render(int width, int height, int seed, int index, bool cracks)
    {
        var textureRng = new DeterministicRng((ulong)seed, (ulong)index, 0x7E47UL, (ulong)width, (ulong)height);
        var crackRng = new DeterministicRng((ulong)seed, (ulong)index, 0xC4AC5UL, (ulong)width, (ulong)height);
        var noiseRng = new DeterministicRng((ulong)seed, (ulong)index, 0x9015EUL, (ulong)width, (ulong)height);

        var lum = new float[width * height];
        var (surface, tint) = SyntheticTexture.Render(lum, width, height, textureRng);
        double contrast = surface == SyntheticTexture.Surface.Asphalt ? 1.3 : 1.0;

        var mask = new byte[width * height];
        var darkening = new float[width * height];
        if (cracks) CrackRasterizer.Rasterise(CrackRasterizer.Grow(width, height, contrast, crackRng), width, height, mask, darkening);

        var rgb = new byte[width * height * 3];
        for (int p = 0; p < lum.Length; p++)
        {
            // Crack interiors are shadowed: darker, and a little less saturated in tint.
            float value = lum[p] * (1 - darkening[p]);
            float grain = (float)(noiseRng.NextGaussian() * 3.0);
            for (int c = 0; c < 3; c++)
            {
                float tinted = value * (1 + (tint[c] - 1) * (1 - darkening[p])) + grain;
                rgb[p * 3 + c] = (byte)Math.Clamp(MathF.Round(tinted), 0, 255);
            }
        }
        return (rgb, mask);
    }
}
