using System.Text;

namespace CrackSeg.Data;

/// <summary>Container formats recognised by their signature (magic bytes).</summary>
public enum ImageFileFormat { Unknown, Jpeg, Png, Bmp, Tiff, Gif, Webp }

/// <summary>Extension and signature rules for dataset files.</summary>
public static class ImageFileFormats
{
    /// <summary>Extensions accepted for images and masks (case-insensitive).</summary>
    public static readonly IReadOnlyList<string> SupportedExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"];

    public static string SupportedList => string.Join(", ", SupportedExtensions);

    public static bool IsSupportedExtension(string path) =>
        SupportedExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Files nobody means as data (OS metadata, hidden files); ignored silently.</summary>
    public static bool IsIgnorable(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith('.') || name.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
            || name.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The format a file's extension promises (Unknown for anything else).</summary>
    public static ImageFileFormat FromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => ImageFileFormat.Jpeg,
        ".png" => ImageFileFormat.Png,
        ".bmp" => ImageFileFormat.Bmp,
        ".tif" or ".tiff" => ImageFileFormat.Tiff,
        ".gif" => ImageFileFormat.Gif,
        ".webp" => ImageFileFormat.Webp,
        _ => ImageFileFormat.Unknown,
    };

    public static bool IsSupported(ImageFileFormat format) =>
        format is ImageFileFormat.Jpeg or ImageFileFormat.Png or ImageFileFormat.Bmp or ImageFileFormat.Tiff;

    /// <summary>The format the content's first bytes announce.</summary>
    public static ImageFileFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return ImageFileFormat.Jpeg;
        if (head.Length >= 8 && head[..8].SequenceEqual(PngSignature))
            return ImageFileFormat.Png;
        if (head.Length >= 14 && head[0] == (byte)'B' && head[1] == (byte)'M') return ImageFileFormat.Bmp;
        if (head.Length >= 4 && ((head[0] == (byte)'I' && head[1] == (byte)'I' && head[2] == 42 && head[3] == 0)
                              || (head[0] == (byte)'M' && head[1] == (byte)'M' && head[2] == 0 && head[3] == 42)))
            return ImageFileFormat.Tiff;
        if (head.Length >= 4 && head[..4].SequenceEqual("GIF8"u8)) return ImageFileFormat.Gif;
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return ImageFileFormat.Webp;
        return ImageFileFormat.Unknown;
    }

    /// <summary>A short human description of unrecognised content (for the error message).</summary>
    public static string DescribeUnknown(ReadOnlySpan<byte> head)
    {
        var sample = head[..Math.Min(head.Length, 16)];
        bool text = true;
        foreach (byte b in head[..Math.Min(head.Length, 256)])
            if (b < 9 || (b > 13 && b < 32) || b == 127) { text = false; break; }
        if (text)
        {
            string preview = Encoding.ASCII.GetString(sample).ReplaceLineEndings(" ");
            return $"it looks like a text file (starts with \"{preview}\")";
        }
        return $"it starts with bytes {Convert.ToHexString(sample[..Math.Min(sample.Length, 8)])}";
    }

    public static string Name(ImageFileFormat format) => format switch
    {
        ImageFileFormat.Jpeg => "JPEG",
        ImageFileFormat.Png => "PNG",
        ImageFileFormat.Bmp => "BMP",
        ImageFileFormat.Tiff => "TIFF",
        ImageFileFormat.Gif => "GIF",
        ImageFileFormat.Webp => "WebP",
        _ => "unknown",
    };

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
}
