using System.Buffers.Binary;
using System.IO.Compression;
using CrackSeg.Common;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CrackSeg.Tests.Data;

/// <summary>Writes small real image files (and deliberately broken ones) for the data tests.</summary>
public static class DataTestFiles
{
    /// <summary>A deterministic RGB test pattern with a diagonal "crack" and its exact 0/255 mask.</summary>
    public static (byte[] Rgb, byte[] Mask) Pattern(int width, int height, int seed = 0)
    {
        var rgb = new byte[width * height * 3];
        var mask = new byte[width * height];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int p = y * width + x;
            bool crack = Math.Abs(x - y - seed % 7) <= 1;
            mask[p] = crack ? (byte)255 : (byte)0;
            rgb[p * 3] = (byte)(crack ? 20 : 100 + (x * 3 + seed) % 100);
            rgb[p * 3 + 1] = (byte)(crack ? 20 : 100 + (y * 5) % 100);
            rgb[p * 3 + 2] = (byte)(crack ? 20 : 150);
        }
        return (rgb, mask);
    }

    public static void WritePair(string root, string stem, int width, int height, string imageExt = ".png", int seed = 0)
    {
        var (rgb, mask) = Pattern(width, height, seed);
        WriteRgb(Path.Combine(root, "images", stem + imageExt), rgb, width, height);
        WriteGray(Path.Combine(root, "masks", stem + ".png"), mask, width, height);
    }

    public static void WriteRgb(string path, byte[] rgb, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".jpg" or ".jpeg": image.SaveAsJpeg(path); break;
            case ".bmp": image.SaveAsBmp(path); break;
            case ".tif" or ".tiff": image.SaveAsTiff(path); break;
            case ".gif": image.SaveAsGif(path); break;
            default: image.SaveAsPng(path); break;
        }
    }

    public static void WriteGray(string path, byte[] values, int width, int height, PngBitDepth depth = PngBitDepth.Bit8)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Image.LoadPixelData<L8>(values, width, height);
        image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = depth });
    }

    public static void Write16BitGray(string path, ushort[] values, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Image.LoadPixelData(values.Select(v => new L16(v)).ToArray(), width, height);
        image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });
    }

    public static void WriteRgbMask(string path, byte[] rgb, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.Rgb });
    }

    public static byte[] Encode(string ext, int width, int height)
    {
        string tmp = Path.Combine(Path.GetTempPath(), $"crackseg-enc-{Guid.NewGuid():N}{ext}");
        try
        {
            WriteRgb(tmp, Pattern(width, height).Rgb, width, height);
            return File.ReadAllBytes(tmp);
        }
        finally { File.Delete(tmp); }
    }

    /// <summary>A structurally valid PNG whose header declares <paramref name="width"/>x<paramref name="height"/> with a tiny IDAT.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // greyscale
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(ms, "IHDR", ihdr);
        WriteChunk(ms, "IDAT", Deflate(new byte[64]));
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A real PNG whose IDAT holds garbage with a valid CRC: header and structure pass, decoding fails.</summary>
    public static byte[] PngWithCorruptPixelData(int width, int height)
    {
        var png = Encode(".png", width, height);
        using var ms = new MemoryStream();
        ms.Write(png.AsSpan(0, 8));
        int pos = 8;
        var rng = new Random(5);
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length).ToArray();
            if (type == "IDAT")
            {
                // Keep a valid zlib header, then noise: inflating fails mid-stream.
                for (int i = 2; i < data.Length; i++) data[i] = (byte)rng.Next(256);
            }
            WriteChunk(ms, type, data);
            pos += 12 + length;
        }
        return ms.ToArray();
    }

    /// <summary>A PNG whose IHDR CRC is wrong: the decoder refuses the header.</summary>
    public static byte[] PngWithBadHeaderCrc(int width, int height)
    {
        var png = Encode(".png", width, height);
        png[8 + 8 + 13] ^= 0xFF; // first CRC byte of IHDR
        return png;
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> buf = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buf, data.Length);
        s.Write(buf);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(buf, Crc32(typeBytes, data));
        s.Write(buf);
    }

    private static byte[] Deflate(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    private static uint Crc32(byte[] a, byte[] b)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var part in new[] { a, b })
            foreach (byte x in part)
            {
                crc ^= x;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        return ~crc;
    }

    /// <summary>A log that keeps its lines for assertions.</summary>
    public static (RunLog Log, StringWriter Text) CapturingLog()
    {
        var text = new StringWriter();
        return (new RunLog(LogLevel.Debug, text), text);
    }
}
