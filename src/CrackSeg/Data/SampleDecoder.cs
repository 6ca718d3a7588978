using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Data;

/// <summary>Foreground and non-binary pixel counts of one decoded mask.</summary>
public readonly record struct MaskStats(long Foreground, long NonBinary, long Total)
{
    public double ForegroundRatio => Total == 0 ? 0 : (double)Foreground / Total;
}

/// <summary>
/// Decodes pixels with ImageSharp 2.1: images to RGB24 (grey, palette, 16-bit and alpha sources
/// are converted; alpha is dropped), masks to one byte per pixel, 1 = crack, 0 = background.
/// A mask pixel is crack when its value is above <c>data.mask_threshold</c> (0–255 scale):
/// grey masks (1, 8 or 16 bit) use the grey value, colour and palette masks the brightest of
/// R, G, B (so a red-on-black annotation counts), fully transparent pixels are background.
/// </summary>
public static class SampleDecoder
{
    /// <summary>Decodes an image into <paramref name="rgb"/> (width·height·3 bytes, row-major HWC).</summary>
    public static void DecodeImage(byte[] bytes, int width, int height, Span<byte> rgb)
    {
        using var image = Image.Load<Rgb24>(bytes);
        RequireSize(image, width, height);
        image.CopyPixelDataTo(rgb[..(width * height * 3)]);
    }

    /// <summary>Decodes and binarises a mask into <paramref name="mask"/> (width·height bytes, 0 or 1).</summary>
    public static MaskStats DecodeMask(byte[] bytes, int width, int height, int threshold, Span<byte> mask)
    {
        using var decoded = Image.Load(bytes);
        RequireSize(decoded, width, height);
        var dest = mask[..(width * height)];
        if (decoded is Image<L8> or Image<L16> or Image<La16> or Image<La32>)
        {
            if (decoded is Image<L8> l8) l8.CopyPixelDataTo(dest);
            else
            {
                using var gray = ((Image)decoded).CloneAs<L8>();
                gray.CopyPixelDataTo(dest);
            }
            return Binarise(dest, threshold);
        }

        using var rgba = decoded.CloneAs<Rgba32>();
        var pixels = new byte[width * height * 4];
        rgba.CopyPixelDataTo(pixels);
        for (int i = 0, p = 0; i < dest.Length; i++, p += 4)
        {
            byte value = Math.Max(pixels[p], Math.Max(pixels[p + 1], pixels[p + 2]));
            dest[i] = pixels[p + 3] == 0 ? (byte)0 : value;
        }
        return Binarise(dest, threshold);
    }

    /// <summary>Maps values above the threshold to 1 and the rest to 0, counting values that were neither 0 nor 255.</summary>
    public static MaskStats Binarise(Span<byte> mask, int threshold)
    {
        // Vectorised: this runs on every mask pixel of the dataset once per run.
        long nonBinary = mask.Length - mask.Count((byte)0) - mask.Count((byte)255);
        var limit = new Vector<byte>((byte)threshold);
        var one = new Vector<byte>(1);
        int i = 0;
        for (; i <= mask.Length - Vector<byte>.Count; i += Vector<byte>.Count)
        {
            var v = new Vector<byte>(mask[i..]);
            (Vector.GreaterThan(v, limit) & one).CopyTo(mask[i..]);
        }
        for (; i < mask.Length; i++) mask[i] = mask[i] > threshold ? (byte)1 : (byte)0;
        return new MaskStats(mask.Count((byte)1), nonBinary, mask.Length);
    }

    /// <summary>Interleaved RGB (HWC) to planes (CHW): done once per image when it enters the cache, so batches copy planes row by row.</summary>
    public static unsafe void ToPlanar(ReadOnlySpan<byte> rgb, Span<byte> planar, int pixels)
    {
        if (rgb.Length < pixels * 3 || planar.Length < pixels * 3) throw new ArgumentException("buffers too small for the pixel count");
        fixed (byte* src = rgb, dst = planar)
        {
            byte* r = dst, g = dst + pixels, b = dst + 2 * pixels, p = src;
            for (int i = 0; i < pixels; i++, p += 3)
            {
                r[i] = p[0];
                g[i] = p[1];
                b[i] = p[2];
            }
        }
    }

    /// <summary>
    /// Reads and decodes both files of <paramref name="pair"/> into <paramref name="dest"/>
    /// (interleaved RGB rows, then mask bytes). A failure comes back as an <see cref="DataProblemKind.Unreadable"/>
    /// problem naming the file, never as an exception.
    /// </summary>
    public static (MaskStats Stats, DataProblem? Problem) TryDecodePair(SamplePair pair, int threshold, Span<byte> dest)
    {
        int pixels = checked((int)pair.PixelCount);
        string path = pair.ImagePath;
        try
        {
            DecodeImage(File.ReadAllBytes(path), pair.Width, pair.Height, dest[..(pixels * 3)]);
            path = pair.MaskPath;
            return (DecodeMask(File.ReadAllBytes(path), pair.Width, pair.Height, threshold, dest.Slice(pixels * 3, pixels)), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (default, new DataProblem(DataProblemKind.Unreadable, path, $"unreadable: cannot be decoded ({e.Message})"));
        }
    }

    private static void RequireSize(Image image, int width, int height)
    {
        if (image.Width != width || image.Height != height)
            throw new InvalidDataException($"decoded size {image.Width}x{image.Height} differs from the {width}x{height} its header declared when the dataset was indexed (file changed?)");
    }
}
