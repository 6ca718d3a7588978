using CrackSeg.Artifacts;
using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// Where a report's two files and the Markdown twin's images go, and the atomic writing of them.
/// <c>--output</c> may name the HTML file, the Markdown file (.md) or an existing folder.
/// </summary>
internal sealed record ReportOutput(string HtmlPath, string MarkdownPath)
{
    /// <summary>The Markdown twin's image folder name, next to it: "report_files" for report.md.</summary>
    public string AssetFolderName => Path.GetFileNameWithoutExtension(MarkdownPath) + "_files";
    public string AssetDirectory => Path.Combine(Path.GetDirectoryName(MarkdownPath)!, AssetFolderName);

    public static ReportOutput Resolve(string? outputFile, string defaultHtml)
    {
        string target = string.IsNullOrWhiteSpace(outputFile) ? defaultHtml : outputFile;
        bool isFolder = Directory.Exists(target) || target.EndsWith(Path.DirectorySeparatorChar) || target.EndsWith(Path.AltDirectorySeparatorChar);
        string full = Path.GetFullPath(isFolder ? Path.Combine(target, Path.GetFileName(defaultHtml)) : target);
        string ext = Path.GetExtension(full);
        if (ext.Equals(".md", StringComparison.OrdinalIgnoreCase))
            return new ReportOutput(Path.ChangeExtension(full, ".html"), full);
        if (ext.Length == 0) full += ".html";
        return new ReportOutput(full, Path.ChangeExtension(full, ".md"));
    }

    /// <summary>Writes the Markdown images, the Markdown file, then the HTML file; each write is atomic.</summary>
    public (string HtmlPath, string MarkdownPath) Write(ReportDocument doc)
    {
        var (markdown, assets) = MarkdownReportWriter.Render(doc, AssetFolderName);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, bytes) in assets)
        {
            string path = Path.Combine(AssetDirectory, name);
            AtomicFile.WriteAllBytes(path, bytes);
            written.Add(Path.GetFullPath(path));
        }
        RemoveStaleImages(written);
        AtomicFile.WriteAllText(MarkdownPath, markdown);
        AtomicFile.WriteAllText(HtmlPath, HtmlReportWriter.Render(doc));
        return (HtmlPath, MarkdownPath);
    }

    // A re-run with fewer overlays must not leave the old ones beside the new Markdown file.
    private void RemoveStaleImages(HashSet<string> keep)
    {
        if (!Directory.Exists(AssetDirectory)) return;
        foreach (string file in Directory.EnumerateFiles(AssetDirectory))
        {
            string ext = Path.GetExtension(file).ToLowerInvariant();
            if (ext is ".png" or ".jpg" && !keep.Contains(Path.GetFullPath(file))) File.Delete(file);
        }
    }
}
