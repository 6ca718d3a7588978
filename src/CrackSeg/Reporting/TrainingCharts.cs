namespace CrackSeg.Reporting;

/// <summary>A rendered chart: a file name for the Markdown twin, a caption and the PNG bytes.</summary>
public sealed record ChartImage(string FileName, string Caption, byte[] Png);

/// <summary>The charts of one experiment (losses, validation metrics, learning rate, gradient norm) and of a comparison.</summary>
internal static class TrainingCharts
{
    public static IReadOnlyList<ChartImage> ForExperiment(ExperimentRecord run)
    {
        var epochs = run.Epochs;
        int? best = run.BestEpoch;
        string? bestLabel = best is int b ? $"best epoch ({b})" : null;
        var charts = new List<ChartImage>
        {
            Render("loss.png", "Training and validation loss per epoch.", new ChartSpec(
                "Loss", "Loss",
                [Series("train loss", epochs, e => e.TrainLoss), Series("val loss", epochs, e => e.Validation.Loss)],
                best, bestLabel)),
            Render("val_metrics.png", "Validation IoU, F1 and Dice per epoch (precision and recall dashed)." +
                (F1EqualsDice(epochs) ? " F1 equals Dice on binary masks, so their lines coincide." : ""), new ChartSpec(
                "Validation metrics", "Score",
                [
                    Series("IoU", epochs, e => e.Validation.Iou),
                    Series("F1", epochs, e => e.Validation.F1),
                    Series("Dice", epochs, e => e.Validation.Dice),
                    Series("precision", epochs, e => e.Validation.Precision, dashed: true),
                    Series("recall", epochs, e => e.Validation.Recall, dashed: true),
                ],
                best, bestLabel, LegendAtBottom: true)),
        };
        if (TimeSeries("F1", epochs, e => e.Validation.F1) is { X.Count: > 0 } f1OverTime)
            charts.Add(Render("learning_curve.png", "Validation F1 (and IoU) against training time: cumulative epoch_time_s of metrics.jsonl, in minutes.", new ChartSpec(
                "Learning curve", "Score", [f1OverTime, TimeSeries("IoU", epochs, e => e.Validation.Iou, dashed: true)],
                LegendAtBottom: true, XLabel: "Training time (minutes)", IntegerX: false)));
        if (epochs.Any(e => e.LearningRate is not null))
            charts.Add(Render("learning_rate.png", "Learning rate per epoch (lr in metrics.jsonl).", new ChartSpec(
                "Learning rate", "Learning rate", [Series("lr", epochs, e => e.LearningRate)], YFormat: ChartYFormat.Scientific)));
        if (epochs.Any(e => e.GradNorm is not null))
            charts.Add(Render("grad_norm.png", "Global gradient norm per epoch (grad_norm in metrics.jsonl).", new ChartSpec(
                "Gradient norm", "Gradient norm", [Series("grad norm", epochs, e => e.GradNorm)])));
        return charts;
    }

    /// <summary>Overlaid per-experiment curves; labels are the experiments' display names.</summary>
    public static IReadOnlyList<ChartImage> ForComparison(IReadOnlyList<(string Label, ExperimentRecord Run)> runs)
    {
        ChartSpec Overlay(string title, string yLabel, Func<EpochMetrics, double?> value, bool legendAtBottom) =>
            new(title, yLabel, runs.Select(r => Series(r.Label, r.Run.Epochs, value)).ToList(), LegendAtBottom: legendAtBottom);
        return
        [
            Render("compare_val_iou.png", "Validation IoU per epoch, one line per experiment.", Overlay("Validation IoU", "IoU", e => e.Validation.Iou, true)),
            Render("compare_val_f1.png", "Validation F1 per epoch, one line per experiment.", Overlay("Validation F1", "F1", e => e.Validation.F1, true)),
            Render("compare_val_loss.png", "Validation loss per epoch, one line per experiment.", Overlay("Validation loss", "Loss", e => e.Validation.Loss, false)),
            Render("compare_train_loss.png", "Training loss per epoch, one line per experiment.", Overlay("Training loss", "Loss", e => e.TrainLoss, false)),
            Render("compare_learning_curve.png", "Validation F1 against training time (cumulative epoch_time_s, minutes), one line per experiment.",
                new ChartSpec("Learning curve", "F1", runs.Select(r => TimeSeries(r.Label, r.Run.Epochs, e => e.Validation.F1)).ToList(),
                    LegendAtBottom: true, XLabel: "Training time (minutes)", IntegerX: false)),
        ];
    }

    /// <summary>A series against training minutes (<see cref="LearningCurve"/>); epochs without a time or a value are left out.</summary>
    private static ChartSeries TimeSeries(string label, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double?> value, bool dashed = false)
    {
        var minutes = LearningCurve.Minutes(epochs);
        var points = epochs.Select((e, i) => (Minutes: minutes[i], Value: value(e)))
            .Where(p => p.Minutes is not null && p.Value is double v && double.IsFinite(v)).ToList();
        return new ChartSeries(label, points.Select(p => p.Minutes!.Value).ToList(), points.Select(p => p.Value!.Value).ToList(), dashed);
    }

    private static bool F1EqualsDice(IReadOnlyList<EpochMetrics> epochs) =>
        epochs.All(e => e.Validation.F1 is not double f || e.Validation.Dice is not double d || Math.Abs(f - d) < 1e-9);

    private static ChartImage Render(string file, string caption, ChartSpec spec) =>
        new(file, caption, ChartRenderer.RenderPng(spec));

    /// <summary>Epochs without a value (no validation that epoch) are left out, not drawn as zero.</summary>
    private static ChartSeries Series(string label, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double?> value, bool dashed = false)
    {
        var points = epochs.Where(e => value(e) is double v && double.IsFinite(v)).ToList();
        return new ChartSeries(label, points.Select(e => (double)e.Epoch).ToList(), points.Select(e => value(e)!.Value).ToList(), dashed);
    }
}
