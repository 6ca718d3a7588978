using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// `crackseg compare`: several experiment folders → one HTML page and its Markdown twin with a
/// table across experiments (best and final validation metrics, time, params, device), overlaid
/// curves, evaluation scores and the config keys that differ.
/// </summary>
public static class CompareBuilder
{
    public const string DefaultFolder = "comparison";
    public const string DefaultFileName = "comparison.html";

    /// <summary>
    /// Compares <paramref name="dirs"/> (at least one). <paramref name="outputFile"/>: an HTML path,
    /// a .md path or a folder; null → ./comparison/comparison.html. Throws
    /// <see cref="InputException"/> naming the folder or file that is missing or malformed.
    /// </summary>
    public static (string HtmlPath, string MarkdownPath) Build(IReadOnlyList<string> dirs, string? outputFile = null)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        if (dirs.Count == 0) throw new InputException("compare: give at least one experiment folder");
        var runs = dirs.Select(ExperimentRecord.Load).ToList();
        var labels = ComparisonReport.Labels(runs);
        var charts = TrainingCharts.ForComparison(labels.Zip(runs).ToList());
        var doc = ComparisonReport.Compose(runs, labels, charts);
        var output = ReportOutput.Resolve(outputFile, Path.Combine(Directory.GetCurrentDirectory(), DefaultFolder, DefaultFileName));
        return output.Write(doc);
    }
}
