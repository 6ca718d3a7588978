namespace CrackSeg.Reporting;

/// <summary>
/// A report as a list of format-neutral blocks; <see cref="HtmlReportWriter"/> and
/// <see cref="MarkdownReportWriter"/> render the same content, so the two twins cannot drift apart.
/// All text is raw (unescaped); the writers escape it for their format.
/// </summary>
internal sealed record ReportDocument(string Title, string Subtitle, IReadOnlyList<ReportBlock> Blocks, string Footer);

internal abstract record ReportBlock;

internal sealed record HeadingBlock(int Level, string Text) : ReportBlock
{
    /// <summary>Anchor id for the HTML table of contents ("Training curves" → "training-curves").</summary>
    public string Id => new string(Text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
}

internal sealed record ParagraphBlock(string Text, bool Muted = false) : ReportBlock;

internal sealed record NoticeBlock(string Title, IReadOnlyList<string> Lines) : ReportBlock;

/// <summary>Headline numbers shown as tiles (best IoU, total time, ODS...).</summary>
internal sealed record CardsBlock(IReadOnlyList<Card> Cards) : ReportBlock;

internal sealed record Card(string Label, string Value, string? Detail = null);

/// <summary>A table; columns at index >= <paramref name="RightAlignFrom"/> hold numbers and are right-aligned.</summary>
/// <summary>A key/value table (<see cref="KeyValue"/>) shows its keys as row labels and no header in HTML.</summary>
internal sealed record TableBlock(
    IReadOnlyList<string> Header, IReadOnlyList<TableRow> Rows, string? Caption = null, int RightAlignFrom = int.MaxValue) : ReportBlock
{
    public bool IsKeyValue { get; init; }

    public static TableBlock KeyValue(IEnumerable<(string Key, string Value)> rows, string? caption = null) =>
        new(["Field", "Value"], rows.Select(r => new TableRow([new TableCell(r.Key), new TableCell(r.Value)])).ToList(), caption) { IsKeyValue = true };
}

internal sealed record TableRow(IReadOnlyList<TableCell> Cells, bool Highlight = false)
{
    public static TableRow Of(params string[] cells) => new(cells.Select(c => new TableCell(c)).ToList());
}

internal sealed record TableCell(string Text, bool Strong = false);

/// <summary>Images laid out in a grid (<paramref name="Columns"/> per row in HTML).</summary>
internal sealed record FigureGridBlock(IReadOnlyList<Figure> Figures, int Columns) : ReportBlock;

/// <summary>An image: <paramref name="FileName"/> is its name in the Markdown twin's asset folder.</summary>
internal sealed record Figure(string FileName, string MimeType, byte[] Bytes, string Caption)
{
    public static Figure Of(ChartImage chart) => new(chart.FileName, "image/png", chart.Png, chart.Caption);
    public static Figure Of(ReportImage image, string assetName, string caption) => new(assetName, image.MimeType, image.Bytes, caption);
}

/// <summary>Blocks side by side in HTML (stacked on narrow screens); one after the other in Markdown.</summary>
internal sealed record ColumnsBlock(IReadOnlyList<IReadOnlyList<ReportBlock>> Columns) : ReportBlock;

/// <summary>Preformatted text (config.yaml, log tail) shown collapsed.</summary>
internal sealed record CodeBlock(string Summary, string Text, string Language) : ReportBlock;
