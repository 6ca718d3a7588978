using SixLabors.ImageSharp;

namespace CrackSeg.Data;

/// <summary>What an image file's header says, read without decoding its pixels.</summary>
public sealed record ImageHeader(int Width, int Height, ImageFileFormat Format, int BitsPerPixel)
{
    public long PixelCount => (long)Width * Height;
}

/// <summary>
/// Checks one file before anything decodes it: readable, not empty, a supported extension, a
/// signature that is an image, complete (no truncation), a header the decoder can identify, and
/// no more than <c>data.max_pixels</c> pixels (a decompression bomb is refused from its header).
/// </summary>
public static class ImageFileInspector
{
    /// <summary>Files larger than this are refused before reading them into memory.</summary>
    private const long MaxFileBytes = int.MaxValue - 64;

    public static (ImageHeader? Header, DataProblem? Problem) Inspect(string path, long maxPixels)
    {
        if (!ImageFileFormats.IsSupportedExtension(path))
            return Fail(DataProblemKind.UnsupportedFormat, path,
                $"unsupported format '{Path.GetExtension(path)}' (expected one of {ImageFileFormats.SupportedList})");

        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                return Fail(DataProblemKind.Unreadable, path, "cannot be read: it is not a regular file");
            if (info.Length == 0) return Fail(DataProblemKind.EmptyFile, path, "empty file (0 bytes)");
            if (info.Length > MaxFileBytes)
                return Fail(DataProblemKind.TooLarge, path, $"file of {info.Length} bytes is larger than the 2 GiB a single image may have");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(DataProblemKind.Unreadable, path, $"cannot be read: {e.Message}");
        }
        return Inspect(path, bytes, maxPixels);
    }

    /// <summary>The same checks on bytes already read (used by the decoder so a file is read once).</summary>
    public static (ImageHeader? Header, DataProblem? Problem) Inspect(string path, byte[] bytes, long maxPixels)
    {
        if (bytes.Length == 0) return Fail(DataProblemKind.EmptyFile, path, "empty file (0 bytes)");

        var expected = ImageFileFormats.FromExtension(path);
        var actual = ImageFileFormats.Detect(bytes);
        if (actual == ImageFileFormat.Unknown)
            return Fail(DataProblemKind.WrongSignature, path,
                $"wrong signature: the content is not {ImageFileFormats.Name(expected)} or any supported image ({ImageFileFormats.DescribeUnknown(bytes)})");
        if (!ImageFileFormats.IsSupported(actual))
            return Fail(DataProblemKind.UnsupportedFormat, path,
                $"unsupported format: the content is {ImageFileFormats.Name(actual)} (expected {ImageFileFormats.Name(expected)}; supported: JPEG, PNG, BMP, TIFF)");

        string? truncation;
        try { truncation = ImageIntegrity.FindTruncation(actual, bytes); }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            truncation = $"the {ImageFileFormats.Name(actual)} structure is cut off ({e.GetType().Name})";
        }
        if (truncation is not null)
            return Fail(DataProblemKind.Truncated, path, $"truncated file: {truncation}");

        IImageInfo? header;
        try { header = Image.Identify(bytes); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(DataProblemKind.Unreadable, path, $"unreadable {ImageFileFormats.Name(actual)} header: {e.Message}");
        }
        if (header is null || header.Width <= 0 || header.Height <= 0)
            return Fail(DataProblemKind.Unreadable, path, $"unreadable: the decoder cannot identify this {ImageFileFormats.Name(actual)} file");

        long pixels = (long)header.Width * header.Height;
        if (pixels > maxPixels)
            return Fail(DataProblemKind.TooLarge, path,
                $"the header declares {header.Width}x{header.Height} = {pixels:N0} pixels, more than data.max_pixels ({maxPixels:N0}); not decoded (possible decompression bomb)");

        return (new ImageHeader(header.Width, header.Height, actual, header.PixelType.BitsPerPixel), null);
    }

    private static (ImageHeader?, DataProblem?) Fail(DataProblemKind kind, string path, string message) =>
        (null, new DataProblem(kind, path, message));
}
