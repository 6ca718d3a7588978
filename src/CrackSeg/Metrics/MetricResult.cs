namespace CrackSeg.Metrics;

/// <summary>
/// One epoch's (or one evaluation's) metrics from <see cref="SegmentationMetricAccumulator.Compute"/>.
/// Dataset-level values come from the summed pixel counts (the <c>val_*</c> values of the trainer);
/// the <c>Mean*</c> values average the per-image values (each with the convention of
/// <see cref="ConfusionCounts"/>).
/// </summary>
public sealed record MetricResult
{
    /// <summary>Probability threshold of the binary metrics (pixel positive when p ≥ threshold).</summary>
    public required double Threshold { get; init; }
    public required ConfusionCounts Total { get; init; }
    public required IReadOnlyList<ConfusionCounts> PerImage { get; init; }
    /// <summary>Mean of the losses given to AddLoss, weighted by batch size; null when none was given.</summary>
    public required double? Loss { get; init; }
    /// <summary>Data-set histogram of probabilities (target-positive and -negative pixels).</summary>
    public required ProbabilityHistogram Histogram { get; init; }
    /// <summary>Per-image histograms, when the accumulator was built to keep them (evaluation).</summary>
    public IReadOnlyList<ProbabilityHistogram>? PerImageHistograms { get; init; }

    public int ImageCount => PerImage.Count;

    public double Iou => Total.Iou;
    public double Dice => Total.Dice;
    public double F1 => Total.F1;
    public double Precision => Total.Precision;
    public double Recall => Total.Recall;
    public double Accuracy => Total.Accuracy;

    public double MeanIou => Mean(c => c.Iou);
    public double MeanDice => Mean(c => c.Dice);
    public double MeanF1 => Mean(c => c.F1);
    public double MeanPrecision => Mean(c => c.Precision);
    public double MeanRecall => Mean(c => c.Recall);
    public double MeanAccuracy => Mean(c => c.Accuracy);

    /// <summary>
    /// The scalar metrics named as the trainer's epoch record and early stopping expect them:
    /// <c>{prefix}loss</c> (when a loss was recorded), <c>{prefix}iou</c>, <c>f1</c>, <c>precision</c>,
    /// <c>recall</c>, <c>dice</c>, <c>accuracy</c>, then the per-image means as
    /// <c>{prefix}mean_iou</c>, … . With prefix "val_" the names match early_stopping.monitor.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, double>> Scalars(string prefix = "val_")
    {
        var list = new List<KeyValuePair<string, double>>();
        void Add(string name, double v) => list.Add(new(prefix + name, v));
        if (Loss is double loss) Add("loss", loss);
        Add("iou", Iou); Add("f1", F1); Add("precision", Precision); Add("recall", Recall);
        Add("dice", Dice); Add("accuracy", Accuracy);
        Add("mean_iou", MeanIou); Add("mean_f1", MeanF1); Add("mean_precision", MeanPrecision);
        Add("mean_recall", MeanRecall); Add("mean_dice", MeanDice); Add("mean_accuracy", MeanAccuracy);
        return list;
    }

    private double Mean(Func<ConfusionCounts, double> metric)
    {
        double sum = 0;
        foreach (var c in PerImage) sum += metric(c);
        return sum / PerImage.Count;
    }
}
