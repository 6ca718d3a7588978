using SixLabors.ImageSharp;

namespace CrackSeg.Reporting;

/// <summary>A PNG or JPEG to embed in a report: its bytes, MIME type and pixel size.</summary>
public sealed record ReportImage(string FileName, byte[] Bytes, string MimeType, int Width, int Height)
{
    /// <summary>
    /// Loads an image from the folder; an unreadable or non-PNG/JPEG file yields null and a
    /// warning, because a broken overlay should not cost the user the whole report.
    /// </summary>
    public static ReportImage? TryLoad(string path, ICollection<string> warnings)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            return FromBytes(Path.GetFileName(path), bytes)
                ?? Warn(warnings, $"{path}: not a PNG or JPEG image; left out of the report");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or UnknownImageFormatException or InvalidImageContentException)
        {
            return Warn(warnings, $"{path}: cannot be read as an image ({e.Message}); left out of the report");
        }
    }

    public static ReportImage? FromBytes(string fileName, byte[] bytes)
    {
        var info = Image.Identify(bytes, out var format);
        if (info is null || format is null) return null;
        string? mime = format.DefaultMimeType switch
        {
            "image/png" => "image/png",
            "image/jpeg" => "image/jpeg",
            _ => null,
        };
        return mime is null ? null : new ReportImage(fileName, bytes, mime, info.Width, info.Height);
    }

    public string DataUri() => $"data:{MimeType};base64,{Convert.ToBase64String(Bytes)}";

    private static ReportImage? Warn(ICollection<string> warnings, string message)
    {
        warnings.Add(message);
        return null;
    }
}
