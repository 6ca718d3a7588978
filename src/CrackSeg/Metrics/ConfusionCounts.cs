namespace CrackSeg.Metrics;

/// <summary>
/// Pixel counts of a binary segmentation against its target (one image, or summed over a data set)
/// and the ratios derived from them.
/// </summary>
/// <remarks>
/// Zero-division convention, the same for every ratio and for one image or a whole data set:
/// a ratio whose denominator is 0 is <b>1.0 when the prediction and the target are both empty</b>
/// (nothing to find and nothing found: a perfect answer) and <b>0.0 otherwise</b>. Concretely:
/// <list type="bullet">
/// <item>IoU, Dice/F1: the denominator is 0 only when both are empty, so they are 1.0 there.</item>
/// <item>Precision with no predicted positives: 1.0 if the target is empty too, else 0.0
/// (predicting nothing on a crack image is not rewarded).</item>
/// <item>Recall with no target positives: 1.0 if nothing is predicted either, else 0.0
/// (consistent with F1 = 0 for an image that has only false positives).</item>
/// <item>Accuracy is (tp + tn) / pixels; images have at least one pixel.</item>
/// </list>
/// Dice and F1 are the same number for binary masks (2tp / (2tp + fp + fn)); both are reported because
/// the segmentation and the crack-detection literature each use one name.
/// </remarks>
public readonly record struct ConfusionCounts(long Tp, long Fp, long Fn, long Tn)
{
    public long Pixels => Tp + Fp + Fn + Tn;
    public long PredictedPositives => Tp + Fp;
    public long TargetPositives => Tp + Fn;
    /// <summary>Prediction and target have no positive pixel: the case that scores 1.0 on 0/0.</summary>
    public bool BothEmpty => Tp == 0 && Fp == 0 && Fn == 0;

    public double Iou => Ratio(Tp, Tp + Fp + Fn);
    public double Dice => Ratio(2 * Tp, 2 * Tp + Fp + Fn);
    public double F1 => Dice;
    public double Precision => Ratio(Tp, Tp + Fp);
    public double Recall => Ratio(Tp, Tp + Fn);
    public double Accuracy => Ratio(Tp + Tn, Pixels);

    public static ConfusionCounts operator +(ConfusionCounts a, ConfusionCounts b) =>
        new(a.Tp + b.Tp, a.Fp + b.Fp, a.Fn + b.Fn, a.Tn + b.Tn);

    private double Ratio(long numerator, long denominator) =>
        denominator != 0 ? (double)numerator / denominator : (BothEmpty ? 1.0 : 0.0);
}
