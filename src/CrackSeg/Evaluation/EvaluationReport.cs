using CrackSeg.Metrics;

namespace CrackSeg.Evaluation;

/// <summary>One image's scores at the operating threshold (and its own best threshold, for OIS).</summary>
/// <param name="Stem">File stem of the image/mask pair.</param>
/// <param name="Counts">Pixel counts at the threshold (padding excluded).</param>
/// <param name="Tolerance">Tolerance match counts at the threshold (see <see cref="ThinStructureMetrics.ToleranceCounts"/>).</param>
/// <param name="ClDice">clDice of the thresholded prediction against the mask.</param>
/// <param name="Best">The image's best F over the threshold sweep and where it is reached.</param>
public sealed record ImageScore(string Stem, ConfusionCounts Counts, MatchScores Tolerance, double ClDice, BestF Best)
{
    /// <summary>Crack pixels of the ground truth per pixel.</summary>
    public double CrackRatio => Counts.Pixels == 0 ? 0 : (double)Counts.TargetPositives / Counts.Pixels;
}

/// <summary>Everything `evaluate` measured on one split, before it is written to files.</summary>
public sealed record EvaluationReport
{
    public required string ExperimentDir { get; init; }
    public required string Split { get; init; }
    public required string DataRoot { get; init; }
    /// <summary>The dataset's name for `--split all` (the folder under DIR/evaluation/); null for the recorded splits.</summary>
    public string? DatasetName { get; init; }
    public required CheckpointInfo Checkpoint { get; init; }
    public required string Device { get; init; }
    public required int TolerancePx { get; init; }
    public required DateTimeOffset EvaluatedAt { get; init; }
    /// <summary>Wall time of the metric pass (model, metrics and host copy; not the overlays or files).</summary>
    public required double Seconds { get; init; }
    /// <summary>The test-time augmentation the probabilities were averaged over.</summary>
    public TtaMode Tta { get; init; } = TtaMode.None;
    /// <summary>Forward passes per image (1, 3 or 8): the factor TTA multiplies the model's time by.</summary>
    public int TtaPasses { get; init; } = 1;
    /// <summary>Measured time of all TTA passes over the identity pass (CPU only; see <see cref="TestTimeAugmentation.MeasuredTimeFactor"/>).</summary>
    public double? TtaTimeFactor { get; init; } = 1.0;
    /// <summary>Dataset counts, per-image counts, loss and histograms from the accumulator.</summary>
    public required MetricResult Metrics { get; init; }
    /// <summary>ODS/OIS/AP and the PR curve from the accumulator's histograms (one pass, no re-run per threshold).</summary>
    public required SweepResult Sweep { get; init; }
    /// <summary>Per image, in evaluation (stem) order.</summary>
    public required IReadOnlyList<ImageScore> Images { get; init; }

    public double Threshold => Metrics.Threshold;
    public int ImageCount => Images.Count;

    /// <summary>Tolerance precision/recall/F over the pooled match counts of all images.</summary>
    public MatchScores Tolerance => Images.Aggregate(default(MatchScores), (sum, i) => sum + i.Tolerance);

    /// <summary>Mean of the per-image tolerance F.</summary>
    public double MeanToleranceF => Images.Average(i => i.Tolerance.F);

    /// <summary>Mean per-image clDice (as the clDice paper reports it).</summary>
    public double ClDice => Images.Average(i => i.ClDice);
}
