namespace CrackSeg.Metrics;

/// <summary>One operating point of the sweep: pixels with p ≥ <see cref="Threshold"/> predicted positive.</summary>
public readonly record struct SweepPoint(float Threshold, ConfusionCounts Counts)
{
    public double Precision => Counts.Precision;
    public double Recall => Counts.Recall;
    public double F1 => Counts.F1;
}

/// <summary>Best F-measure operating point (ODS).</summary>
public readonly record struct BestF(double F, double Precision, double Recall, float Threshold);

/// <summary>Results of <see cref="ThresholdSweep.Run"/>.</summary>
public sealed record SweepResult
{
    /// <summary>Every threshold t_k = k / B, k = 0..B (ascending), with the data-set counts.</summary>
    public required IReadOnlyList<SweepPoint> Points { get; init; }
    /// <summary>ODS: the single threshold that maximises the data-set F (from pooled counts).</summary>
    public required BestF Ods { get; init; }
    /// <summary>
    /// OIS as the crack-detection papers compute it (DeepCrack's cal_OIS_metrics and its descendants):
    /// the mean over images of each image's best F over the thresholds. Null without per-image histograms.
    /// </summary>
    public double? Ois { get; init; }
    /// <summary>
    /// OIS as the BSDS boundary benchmark computes it (collect_eval_bdry.m): each image's counts at its own
    /// best threshold are summed, and F is taken from the pooled counts. Null without per-image histograms.
    /// </summary>
    public double? OisPooled { get; init; }
    /// <summary>Per-image best F and its threshold (image order of the accumulator); null without per-image histograms.</summary>
    public IReadOnlyList<BestF>? PerImageBest { get; init; }
    /// <summary>
    /// Average precision, step-wise as sklearn's average_precision_score: Σ_k (R_k − R_{k+1}) · P_k over
    /// the thresholds in ascending order with R_{B+1} = 0. Equals sklearn on probabilities quantised to their
    /// cell's lower threshold. 0 when the data set has no positive pixel (sklearn's value too).
    /// </summary>
    public required double AveragePrecision { get; init; }

    /// <summary>
    /// The PR curve for plotting, sklearn-style: the points that predict at least one pixel, in ascending
    /// threshold order, duplicates (empty cells) dropped, then the terminal point (recall 0, precision 1).
    /// </summary>
    public IReadOnlyList<(double Recall, double Precision, float Threshold)> PrecisionRecallCurve()
    {
        var curve = new List<(double, double, float)>();
        ConfusionCounts? previous = null;
        foreach (var p in Points)
        {
            if (p.Counts.PredictedPositives == 0) break;
            if (previous == p.Counts) continue;
            curve.Add((p.Recall, p.Precision, p.Threshold));
            previous = p.Counts;
        }
        curve.Add((0.0, 1.0, 1.0f));
        return curve;
    }
}

/// <summary>
/// Threshold sweep from the accumulator's histograms: PR curve, ODS, OIS and AP in one pass over the cells,
/// with no further pass over the images. Ties between thresholds go to the lowest threshold (first maximum,
/// as numpy's argmax and the BSDS code); F at a threshold follows <see cref="ConfusionCounts"/>'s conventions
/// (an image with no crack scores F = 1 at thresholds where nothing is predicted).
/// </summary>
public static class ThresholdSweep
{
    /// <summary>Sweep of an evaluation result; OIS needs an accumulator built with per-image histograms.</summary>
    public static SweepResult Run(MetricResult result) => Run(result.Histogram, result.PerImageHistograms);

    public static SweepResult Run(ProbabilityHistogram total, IReadOnlyList<ProbabilityHistogram>? perImage = null)
    {
        int bins = total.Bins;
        var points = new SweepPoint[bins + 1];
        for (int k = 0; k <= bins; k++) points[k] = new SweepPoint(total.Thresholds[k], total.CountsAt(k));

        var result = new SweepResult
        {
            Points = points,
            Ods = Best(points),
            AveragePrecision = AveragePrecision(points, total.TotalPositive),
        };
        if (perImage is null || perImage.Count == 0) return result;

        var best = new BestF[perImage.Count];
        var pooled = default(ConfusionCounts);
        double sumF = 0;
        for (int i = 0; i < perImage.Count; i++)
        {
            var h = perImage[i];
            if (h.Bins != bins) throw new ArgumentException($"image {i} has {h.Bins} bins, the data set {bins}");
            int k = BestIndex(h);
            var counts = h.CountsAt(k);
            best[i] = new BestF(counts.F1, counts.Precision, counts.Recall, h.Thresholds[k]);
            sumF += counts.F1;
            pooled += counts;
        }
        return result with { PerImageBest = best, Ois = sumF / perImage.Count, OisPooled = pooled.F1 };
    }

    private static BestF Best(SweepPoint[] points)
    {
        int best = 0;
        for (int k = 1; k < points.Length; k++)
            if (points[k].F1 > points[best].F1) best = k;
        var p = points[best];
        return new BestF(p.F1, p.Precision, p.Recall, p.Threshold);
    }

    private static int BestIndex(ProbabilityHistogram h)
    {
        int best = 0;
        double bestF = h.CountsAt(0).F1;
        for (int k = 1; k <= h.Bins; k++)
        {
            double f = h.CountsAt(k).F1;
            if (f > bestF) { bestF = f; best = k; }
        }
        return best;
    }

    private static double AveragePrecision(SweepPoint[] points, long positives)
    {
        if (positives == 0) return 0.0;
        double ap = 0;
        for (int k = 0; k < points.Length; k++)
        {
            long tp = points[k].Counts.Tp;
            long nextTp = k + 1 < points.Length ? points[k + 1].Counts.Tp : 0;
            if (tp == nextTp) continue; // no recall gained: weight 0 (also skips thresholds predicting nothing)
            double precision = (double)tp / points[k].Counts.PredictedPositives;
            ap += (double)(tp - nextTp) / positives * precision;
        }
        return ap;
    }
}
