using System.Globalization;

namespace CrackSeg.Reporting;

/// <summary>Composes the comparison document of several experiments.</summary>
internal static class ComparisonReport
{
    private const int MaxConfigDiffRows = 60;

    private static readonly (string Head, Func<ExperimentRecord, double?> Value)[] MetricColumns =
    [
        ("Best IoU", r => r.Validation.Best.Iou),
        ("Best F1", r => r.Validation.Best.F1),
        ("Best Dice", r => r.Validation.Best.Dice),
        ("Best P", r => r.Validation.Best.Precision),
        ("Best R", r => r.Validation.Best.Recall),
        ("Final IoU", r => r.Validation.Final.Iou),
        ("Final F1", r => r.Validation.Final.F1),
        ("Final Dice", r => r.Validation.Final.Dice),
        ("Final P", r => r.Validation.Final.Precision),
        ("Final R", r => r.Validation.Final.Recall),
    ];

    /// <summary>Threshold-free scores of the test split's evaluation (evaluation/metrics.json), shown when any run has one.</summary>
    private static readonly (string Head, Func<ExperimentRecord, double?> Value)[] EvaluationColumns =
    [
        ("Test ODS", r => r.Evaluation?.Ods?.Value),
        ("Test OIS", r => r.Evaluation?.Ois?.Value),
        ("Test AP", r => r.Evaluation?.Ap?.Value),
    ];

    /// <summary>Display names: experiment names, or folder names where experiment names repeat.</summary>
    public static IReadOnlyList<string> Labels(IReadOnlyList<ExperimentRecord> runs)
    {
        var labels = runs.Select(r => r.Summary.ExperimentName).ToList();
        var dupes = labels.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        labels = runs.Select((r, i) => dupes.Contains(labels[i]) ? r.FolderName : labels[i]).ToList();
        // The same folder given twice still needs two distinct legend entries.
        var seen = new Dictionary<string, int>();
        var unique = new List<string>();
        foreach (string l in labels)
        {
            seen[l] = seen.GetValueOrDefault(l) + 1;
            unique.Add(seen[l] == 1 ? l : $"{l} #{seen[l]}");
        }
        return unique;
    }

    public static ReportDocument Compose(IReadOnlyList<ExperimentRecord> runs, IReadOnlyList<string> labels, IReadOnlyList<ChartImage> charts)
    {
        var blocks = new List<ReportBlock>();
        int leader = Enumerable.Range(0, runs.Count).OrderByDescending(i => runs[i].Validation.Best.Iou ?? double.NegativeInfinity).First();
        blocks.Add(new CardsBlock(
        [
            new Card("Experiments", runs.Count.ToString(CultureInfo.InvariantCulture)),
            new Card("Top best val IoU", Format.Metric(runs[leader].Validation.Best.Iou), labels[leader]),
            new Card("Total training time", Format.Duration(runs.Sum(r => r.Summary.TotalTrainingTimeSeconds)), "all experiments"),
        ]));
        var warnings = runs.SelectMany((r, i) => r.Warnings.Select(w => $"{labels[i]}: {w}")).ToList();
        if (warnings.Count > 0) blocks.Add(new NoticeBlock("Notes on these folders", warnings));

        blocks.Add(new HeadingBlock(2, "Summary"));
        blocks.Add(SummaryTable(runs, labels));
        blocks.Add(new ParagraphBlock("Best: the epoch each run selected (validation_metrics.json best_validation); final: its last epoch. The highest value of each metric is bold.", Muted: true));

        blocks.Add(new HeadingBlock(2, "Curves"));
        blocks.Add(new FigureGridBlock(charts.Select(Figure.Of).ToList(), 2));

        if (runs.Any(r => r.AllEvaluations.Any(HasScores)))
        {
            blocks.Add(new HeadingBlock(2, "Evaluation"));
            blocks.Add(EvaluationTable(runs, labels));
        }

        var diffs = ConfigDifferences(runs);
        if (diffs.Count > 0)
        {
            blocks.Add(new HeadingBlock(2, "Configuration differences"));
            blocks.Add(new TableBlock(["Key", .. labels],
                diffs.Take(MaxConfigDiffRows).Select(d => TableRow.Of([d.Key, .. d.Values])).ToList(),
                diffs.Count > MaxConfigDiffRows ? $"config.yaml keys whose values differ ({MaxConfigDiffRows} of {diffs.Count} shown)" : "config.yaml keys whose values differ"));
        }

        blocks.Add(new HeadingBlock(2, "Experiments"));
        blocks.Add(new TableBlock(["Experiment", "Folder", "Timestamp", "Dataset"],
            runs.Select((r, i) => TableRow.Of(labels[i], r.Directory, Format.Text(r.Summary.Timestamp), Format.Text(r.Summary.Dataset))).ToList()));

        return new ReportDocument("Experiment comparison", string.Join(" · ", labels), blocks,
            ExperimentReport.Footer(string.Join(", ", runs.Select(r => r.FolderName))));
    }

    /// <summary>Up to this many experiments the summary table has one column per experiment (it fits the page).</summary>
    public const int MaxTransposed = 5;

    private static TableBlock SummaryTable(IReadOnlyList<ExperimentRecord> runs, IReadOnlyList<string> labels)
    {
        var setup = new (string Head, Func<ExperimentRecord, string> Text)[]
        {
            ("Preset", r => Format.Text(r.Preset)),
            ("Params", r => Format.ParametersShort(r.Summary.ParameterCount)),
            ("Epochs", r => r.Summary.TrainingEpochs is int p ? $"{r.EpochsCompleted}/{p}" : r.EpochsCompleted.ToString(CultureInfo.InvariantCulture)),
            ("Best epoch", r => Format.Integer(r.BestEpoch)),
        };
        var tail = new (string Head, Func<ExperimentRecord, string> Text)[]
        {
            ("Time", r => Format.Duration(r.Summary.TotalTrainingTimeSeconds)),
            ("Device / GPU", r => r.Summary.Hardware.Describe()),
        };
        var metricColumns = runs.Any(r => r.Evaluation is not null && HasScores(r.Evaluation)) ? [.. MetricColumns, .. EvaluationColumns] : MetricColumns;
        var best = metricColumns.Select(c => runs.Select(c.Value).OfType<double>().DefaultIfEmpty(double.NaN).Max()).ToList();
        TableCell MetricCell(ExperimentRecord r, int k) =>
            new(Format.Metric(metricColumns[k].Value(r)), Strong: runs.Count > 1 && metricColumns[k].Value(r) is double v && v == best[k]);

        if (runs.Count <= MaxTransposed)
        {
            var rows = new List<TableRow>();
            rows.AddRange(setup.Select(f => new TableRow([new TableCell(f.Head), .. runs.Select(r => new TableCell(f.Text(r)))])));
            rows.AddRange(metricColumns.Select((c, k) => new TableRow([new TableCell(c.Head), .. runs.Select(r => MetricCell(r, k))])));
            rows.AddRange(tail.Select(f => new TableRow([new TableCell(f.Head), .. runs.Select(r => new TableCell(f.Text(r)))])));
            return new TableBlock(["", .. labels], rows, "One column per experiment; P = precision, R = recall", RightAlignFrom: 1);
        }
        var wide = runs.Select((r, i) => new TableRow(
            [new TableCell(labels[i]), .. setup.Select(f => new TableCell(f.Text(r))),
             .. metricColumns.Select((_, k) => MetricCell(r, k)), .. tail.Select(f => new TableCell(f.Text(r)))])).ToList();
        return new TableBlock(["Experiment", .. setup.Select(f => f.Head), .. metricColumns.Select(c => c.Head), .. tail.Select(f => f.Head)],
            wide, "One row per experiment; P = precision, R = recall", RightAlignFrom: 2);
    }

    private static bool HasScores(EvaluationRecord e) => e.Ods is not null || e.Ois is not null || e.Ap is not null;

    /// <summary>One row per evaluation folder of each experiment: the test split, then each dataset evaluated whole.</summary>
    private static TableBlock EvaluationTable(IReadOnlyList<ExperimentRecord> runs, IReadOnlyList<string> labels)
    {
        var rows = runs.SelectMany((r, i) => r.AllEvaluations.Where(HasScores).Select(e => TableRow.Of(
            labels[i],
            e.Label,
            Format.Integer(e.Integer("image_count")),
            e.Text("tta") ?? Format.Missing,
            Format.Metric(e.Ods?.Value),
            Format.Number(e.Ods?.Threshold),
            Format.Metric(e.Ois?.Value),
            Format.Metric(e.Ap?.Value)))).ToList();
        return new TableBlock(["Experiment", "Evaluated on", "Images", "TTA", "ODS", "ODS threshold", "OIS", "AP"], rows,
            "evaluation/metrics.json (test split) and evaluation/<dataset>/metrics.json (evaluate --split all) of each experiment", RightAlignFrom: 2);
    }

    /// <summary>Dotted config keys whose values are not the same in every experiment (missing counts as different).</summary>
    private static List<(string Key, string[] Values)> ConfigDifferences(IReadOnlyList<ExperimentRecord> runs)
    {
        if (runs.Count < 2 || runs.All(r => r.ConfigText is null)) return [];
        var keys = runs.SelectMany(r => r.Config.Select(kv => kv.Key)).Distinct().ToList();
        return keys
            .Select(k => (Key: k, Values: runs.Select(r => r.ConfigText is null ? "(no config.yaml)" : r.ConfigValue(k) ?? Format.Missing).ToArray()))
            .Where(d => d.Values.Distinct().Count() > 1)
            .ToList();
    }
}
