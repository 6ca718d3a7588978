namespace CrackSeg.Reporting;

/// <summary>
/// `crackseg report`: one experiment folder → a self-contained HTML report and its Markdown twin
/// (summary, hardware, config, training curves, validation tables, evaluation results, log digest).
/// </summary>
public static class ReportBuilder
{
    public const string DefaultFolder = "report";
    public const string DefaultFileName = "report.html";

    /// <summary>
    /// Builds the report of <paramref name="experimentDir"/>. <paramref name="outputFile"/>: the
    /// HTML path (the Markdown twin goes next to it with the .md extension, its images in
    /// "&lt;name&gt;_files/"), a .md path, or a folder; null → &lt;dir&gt;/report/report.html.
    /// Throws <see cref="Common.InputException"/> when a required file is missing or malformed.
    /// </summary>
    public static (string HtmlPath, string MarkdownPath) Build(string experimentDir, string? outputFile = null)
    {
        var run = ExperimentRecord.Load(experimentDir);
        var charts = TrainingCharts.ForExperiment(run);
        var doc = ExperimentReport.Compose(run, charts);
        var output = ReportOutput.Resolve(outputFile, Path.Combine(run.Directory, DefaultFolder, DefaultFileName));
        return output.Write(doc);
    }
}
