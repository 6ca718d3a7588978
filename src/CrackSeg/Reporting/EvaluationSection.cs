using System.Text.Json;

namespace CrackSeg.Reporting;

/// <summary>
/// The "Evaluation" parts of a report: the test split's (evaluation/ and metrics/test_metrics.json), then one
/// per dataset evaluated whole (evaluation/&lt;dataset&gt;/).
/// metrics.json is shown generically (scalars, metric groups side by side, arrays of rows as
/// tables), so the report keeps up with whatever keys `evaluate` adds.
/// </summary>
internal static class EvaluationSection
{
    public const int ExtremeImages = 5;
    public const int MaxSweepRows = 21;

    public static IEnumerable<ReportBlock> Build(ExperimentRecord run)
    {
        var eval = run.Evaluation;
        if (eval is not null || run.TestMetrics is not null)
        {
            yield return new HeadingBlock(2, "Evaluation");
            if (eval is not null)
                foreach (var block in Body(eval)) yield return block;
            if (run.TestMetrics is JsonElement test)
            {
                yield return new HeadingBlock(3, "Test metrics");
                yield return TableBlock.KeyValue(JsonFields.Flatten("", test).Select(kv => (kv.Key, kv.Value)), ExperimentFiles.TestMetrics);
            }
        }
        foreach (var dataset in run.DatasetEvaluations)
        {
            yield return new HeadingBlock(2, $"Evaluation on {dataset.DatasetName}");
            yield return new ParagraphBlock(DatasetLine(dataset), Muted: true);
            foreach (var block in Body(dataset)) yield return block;
        }
    }

    /// <summary>"All 237 images of /data/x (evaluate --split all), TTA d4 (8 passes per image); evaluation/x/."</summary>
    private static string DatasetLine(EvaluationRecord eval)
    {
        string images = eval.Integer("image_count") is long n ? $"All {n} images" : "All images";
        string root = eval.Text("data_root") is { } r ? $" of {r}" : "";
        string tta = eval.Text("tta") is { } t && t != "none" ? $", test-time augmentation {t} ({eval.Integer("tta_passes")} passes per image)" : "";
        return $"{images}{root} (evaluate --split all){tta}; files in {eval.Folder}/.";
    }

    private static IEnumerable<ReportBlock> Body(EvaluationRecord eval)
    {
        // Asset names stay unique in the Markdown twin when several evaluations are shown.
        string prefix = eval.DatasetName is { } name ? name + "_" : "";
        var cards = Headline(eval).ToList();
        if (cards.Count > 0) yield return new CardsBlock(cards);
        var metricTables = eval.Metrics is JsonElement metrics ? MetricsTables(metrics, eval.MetricsFile) : ([], []);
        var upper = new List<IReadOnlyList<ReportBlock>>();
        if (metricTables.Summary.Count > 0) upper.Add(metricTables.Summary);
        if (eval.PrCurve is { } pr)
            upper.Add([new FigureGridBlock([Figure.Of(pr, prefix + "pr_curve" + Ext(pr), $"Precision-recall curve over the threshold sweep ({eval.Folder}/pr_curve.png).")], 1)]);
        if (upper.Count > 0) yield return new ColumnsBlock(upper);
        var lower = new List<IReadOnlyList<ReportBlock>>();
        if (metricTables.Sweeps.Count > 0) lower.Add(metricTables.Sweeps);
        if (eval.PerImage is { } table) lower.Add(PerImage(table, eval.PerImageFile).ToList());
        if (lower.Count > 0) yield return new ColumnsBlock(lower);
        if (eval.Overlays.Count > 0)
        {
            yield return new HeadingBlock(3, "Overlays");
            yield return new ParagraphBlock("Predictions drawn over the input images by evaluate (true positives, false positives and false negatives coloured).", Muted: true);
            yield return new FigureGridBlock(eval.Overlays.Select(o => Figure.Of(o, prefix + "overlay_" + o.FileName, o.FileName)).ToList(), 4);
            if (eval.OverlaysLeftOut > 0)
                yield return new ParagraphBlock($"{eval.OverlaysLeftOut} more overlay images are in {eval.OverlaysFolder}/ (not embedded).", Muted: true);
        }
    }

    private static string Ext(ReportImage image) => image.MimeType == "image/jpeg" ? ".jpg" : ".png";

    private static IEnumerable<Card> Headline(EvaluationRecord eval)
    {
        if (eval.Ods is { } ods) yield return new Card("ODS F-measure", Format.Metric(ods.Value), ods.Threshold is double t ? $"at threshold {Format.Number(t)}" : "best dataset-wide threshold");
        if (eval.Ois is { } ois) yield return new Card("OIS F-measure", Format.Metric(ois.Value), "best threshold per image");
        if (eval.Ap is { } ap) yield return new Card("Average precision", Format.Metric(ap.Value), "area under the PR curve");
    }

    /// <summary>
    /// Summary tables (scalars, flat metric groups) and sweep tables (arrays of flat rows), found at
    /// any depth: {"sweep": {"thresholds": [...]}} gives a "sweep.thresholds" table.
    /// </summary>
    private static (List<ReportBlock> Summary, List<ReportBlock> Sweeps) MetricsTables(JsonElement metrics, string file)
    {
        var summary = new List<ReportBlock>();
        var sweeps = new List<ReportBlock>();
        var scalars = new List<(string, string)>();
        var groups = new List<(string Name, JsonElement Value)>();
        void Walk(string prefix, JsonElement obj)
        {
            foreach (var p in obj.EnumerateObject())
            {
                string name = prefix + p.Name;
                if (JsonFields.IsScalar(p.Value)) scalars.Add((name, JsonFields.ScalarText(p.Value)));
                else if (p.Value.ValueKind == JsonValueKind.Object && p.Value.EnumerateObject().All(q => JsonFields.IsScalar(q.Value))) groups.Add((name, p.Value));
                else if (IsRowArray(p.Value)) sweeps.Add(RowTable(name, p.Value));
                else if (p.Value.ValueKind == JsonValueKind.Object) Walk(name + ".", p.Value);
                else scalars.AddRange(JsonFields.Flatten(name, p.Value).Select(kv => (kv.Key, kv.Value)));
            }
        }
        if (metrics.ValueKind == JsonValueKind.Object) Walk("", metrics);
        if (sweeps.Count > 0) sweeps.Insert(0, new HeadingBlock(3, "Threshold sweep"));
        if (scalars.Count > 0) summary.Add(TableBlock.KeyValue(scalars, file));
        if (groups.Count > 0) summary.Add(GroupTable(groups, file));
        return (summary, sweeps);
    }

    private static bool IsRowArray(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 &&
        v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object && e.EnumerateObject().All(q => JsonFields.IsScalar(q.Value)));

    /// <summary>Metric groups ("dataset", "per_image_mean", "ods"...) as columns of one table, metrics as rows.</summary>
    private static TableBlock GroupTable(List<(string Name, JsonElement Value)> groups, string file)
    {
        var keys = groups.SelectMany(g => g.Value.EnumerateObject().Select(q => q.Name)).Distinct().ToList();
        var rows = keys.Select(k => new TableRow(
            new[] { new TableCell(k) }.Concat(groups.Select(g => new TableCell(
                g.Value.TryGetProperty(k, out var v) ? CellText(k, v) : Format.Missing))).ToList())).ToList();
        return new TableBlock(["Metric", .. groups.Select(g => g.Name)], rows, "Metric groups in " + file, RightAlignFrom: 1);
    }

    /// <summary>An array of flat objects (the per-threshold sweep); long sweeps are thinned evenly, keeping the best-F1 row.</summary>
    private static TableBlock RowTable(string name, JsonElement array)
    {
        var items = array.EnumerateArray().ToList();
        var columns = items.SelectMany(e => e.EnumerateObject().Select(q => q.Name)).Distinct().ToList();
        var keep = Enumerable.Range(0, items.Count).ToHashSet();
        string caption = $"{name} ({items.Count} rows)";
        if (items.Count > MaxSweepRows)
        {
            keep = Enumerable.Range(0, MaxSweepRows).Select(i => (int)Math.Round(i * (items.Count - 1) / (double)(MaxSweepRows - 1))).ToHashSet();
            string? f1 = columns.FirstOrDefault(c => c is "f1" or "f" or "f_measure");
            int bestRow = -1;
            if (f1 is not null)
            {
                double best = double.NegativeInfinity;
                for (int i = 0; i < items.Count; i++)
                    if (items[i].TryGetProperty(f1, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDouble() > best) { best = v.GetDouble(); bestRow = i; }
                if (bestRow >= 0) keep.Add(bestRow);
            }
            caption = $"{name}: {keep.Count} of {items.Count} rows shown, evenly spaced" + (bestRow >= 0 ? "; highlighted: best F1" : "");
            var thinned = keep.Order().Select(i => Row(items[i], columns, i == bestRow)).ToList();
            return new TableBlock(columns, thinned, caption, RightAlignFrom: 0);
        }
        return new TableBlock(columns, items.Select(e => Row(e, columns, false)).ToList(), caption, RightAlignFrom: 0);
    }

    private static TableRow Row(JsonElement item, List<string> columns, bool highlight) =>
        new(columns.Select(c => new TableCell(item.TryGetProperty(c, out var v) ? CellText(c, v) : Format.Missing)).ToList(), highlight);

    private static string CellText(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number || v.TryGetInt64(out _)) return JsonFields.ScalarText(v);
        return key.Contains("threshold", StringComparison.OrdinalIgnoreCase) ? Format.Number(v.GetDouble()) : Format.Metric(v.GetDouble());
    }

    private static IEnumerable<ReportBlock> PerImage(PerImageTable table, string file)
    {
        yield return new HeadingBlock(3, "Per-image results");
        var numeric = Enumerable.Range(1, table.Columns.Count - 1).ToList();
        var means = numeric.Select(c => table.Rows.Select(r => r.Values[c]).OfType<double>().DefaultIfEmpty(double.NaN).Average()).ToList();
        yield return new ParagraphBlock(
            $"{table.Rows.Count} images in {file}; mean " +
            string.Join(", ", numeric.Select((c, i) => $"{table.Columns[c]} {(double.IsNaN(means[i]) ? Format.Missing : Format.Metric(means[i]))}")) + ".");
        var (best, worst) = table.Extremes(ExtremeImages);
        if (best.Count > 0)
            yield return new TableBlock(table.Columns, best.Select(r => RowOf(table, r)).ToList(), $"Best {best.Count} images by {table.RankColumn}", RightAlignFrom: 1);
        if (worst.Count > 0)
            yield return new TableBlock(table.Columns, worst.Select(r => RowOf(table, r)).ToList(), $"Worst {worst.Count} images by {table.RankColumn}", RightAlignFrom: 1);
    }

    private static TableRow RowOf(PerImageTable table, PerImageRow row) =>
        new(new[] { new TableCell(row.Key) }.Concat(Enumerable.Range(1, table.Columns.Count - 1).Select(c => new TableCell(Format.Metric(row.Values[c])))).ToList());
}
