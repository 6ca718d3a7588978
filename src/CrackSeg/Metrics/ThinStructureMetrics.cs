using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Metrics;

/// <summary>Neighbourhood within which a pixel counts as matched by the tolerance F-measure.</summary>
public enum ToleranceShape
{
    /// <summary>Euclidean distance ≤ tolerance (the bwdist-style matching of the crack benchmarks); max-pools over a union of rectangles.</summary>
    Disk,
    /// <summary>Chebyshev distance ≤ tolerance (a (2r+1)² max-pool; also matches diagonal offsets up to r√2).</summary>
    Square,
}

/// <summary>Precision/recall/F from match counts (pooled over the images given).</summary>
/// <remarks>Zero division as <see cref="ConfusionCounts"/>: 0/0 is 1 when prediction and target are both empty, else 0.</remarks>
public readonly record struct MatchScores(long MatchedPredicted, long Predicted, long MatchedTarget, long Target)
{
    private bool BothEmpty => Predicted == 0 && Target == 0;
    public double Precision => Predicted != 0 ? (double)MatchedPredicted / Predicted : (BothEmpty ? 1 : 0);
    public double Recall => Target != 0 ? (double)MatchedTarget / Target : (BothEmpty ? 1 : 0);
    public double F
    {
        get
        {
            double p = Precision, r = Recall;
            return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
        }
    }

    public static MatchScores operator +(MatchScores a, MatchScores b) =>
        new(a.MatchedPredicted + b.MatchedPredicted, a.Predicted + b.Predicted, a.MatchedTarget + b.MatchedTarget, a.Target + b.Target);

    /// <summary>Sums rows of [N, 4] counts as returned by <see cref="ThinStructureMetrics.ToleranceCounts"/> (host copy).</summary>
    public static MatchScores FromRows(long[] rows)
    {
        if (rows.Length % 4 != 0) throw new ArgumentException("rows of 4 counts expected", nameof(rows));
        var s = default(MatchScores);
        for (int i = 0; i < rows.Length; i += 4) s += new MatchScores(rows[i], rows[i + 1], rows[i + 2], rows[i + 3]);
        return s;
    }
}

/// <summary>
/// Metrics for thin structures on binary masks (N×1×H×W, bool or numeric with positive &gt; 0.5), computed on
/// the masks' device: the F-measure with a pixel tolerance that crack papers report, and clDice.
/// </summary>
public static class ThinStructureMetrics
{
    /// <summary>The cut of numeric masks and dilated float masks (positive &gt; 0.5), rooted so it outlives every call.</summary>
    private static readonly Scalar Half = 0.5;

    /// <summary>
    /// Per-image tolerance match counts, int64 [N, 4] on the device: predicted pixels within
    /// <paramref name="tolerancePx"/> of a target pixel, predicted pixels, target pixels within the tolerance of
    /// a predicted pixel, target pixels. Precision = col0/col1, recall = col2/col3 (a one-to-many match, by
    /// dilating each mask; not BSDS's one-to-one assignment). Accumulate these on the device over batches.
    /// </summary>
    public static Tensor ToleranceCounts(Tensor predicted, Tensor target, int tolerancePx = 2, ToleranceShape shape = ToleranceShape.Disk)
    {
        if (tolerancePx < 0) throw new ArgumentOutOfRangeException(nameof(tolerancePx), tolerancePx, "≥ 0");
        Validate(predicted, target);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = Binary(predicted);
        var t = Binary(target);
        var nearTarget = Dilate(t, tolerancePx, shape);
        var nearPredicted = Dilate(p, tolerancePx, shape);
        long n = p.shape[0];
        var rows = stack(new[]
        {
            p.logical_and(nearTarget).reshape(n, -1).sum(1, type: ScalarType.Int64),
            p.reshape(n, -1).sum(1, type: ScalarType.Int64),
            t.logical_and(nearPredicted).reshape(n, -1).sum(1, type: ScalarType.Int64),
            t.reshape(n, -1).sum(1, type: ScalarType.Int64),
        }, 1);
        return rows.MoveToOuterDisposeScope();
    }

    /// <summary>Tolerance precision/recall/F pooled over the batch (copies 4·N numbers to the host).</summary>
    public static MatchScores ToleranceF(Tensor predicted, Tensor target, int tolerancePx = 2, ToleranceShape shape = ToleranceShape.Disk)
    {
        using var rows = ToleranceCounts(predicted, target, tolerancePx, shape);
        return MatchScores.FromRows(HostSync.ReadArray<long>(rows));
    }

    /// <summary>
    /// Per-image clDice terms, float64 [N, 4] on the device: Σ S_P·V_L, Σ S_P, Σ S_L·V_P, Σ S_L, with S the
    /// soft skeleton (<see cref="SoftMorphology.Skeleton"/>) and V the mask. Topology precision = col0/col1,
    /// topology sensitivity = col2/col3. Masks may be binary or soft probabilities in [0, 1].
    /// </summary>
    public static Tensor ClDiceTerms(Tensor predicted, Tensor target, int iterations = 10)
    {
        Validate(predicted, target);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var vp = Soft(predicted);
        var vl = Soft(target);
        var sp = SoftMorphology.Skeleton(vp, iterations);
        var sl = SoftMorphology.Skeleton(vl, iterations);
        long n = vp.shape[0];
        var rows = stack(new[]
        {
            (sp * vl).reshape(n, -1).sum(1),
            sp.reshape(n, -1).sum(1),
            (sl * vp).reshape(n, -1).sum(1),
            sl.reshape(n, -1).sum(1),
        }, 1).to(ScalarType.Float64);
        return rows.MoveToOuterDisposeScope();
    }

    /// <summary>clDice of one image from its four terms (see <see cref="ClDiceTerms"/>).</summary>
    /// <remarks>
    /// clDice = 2·Tprec·Tsens / (Tprec + Tsens). No smoothing (this is the metric, not the loss); an empty
    /// skeleton gives 1 for its ratio when both masks are empty, else 0; clDice is 0 when both ratios are 0.
    /// </remarks>
    public static double ClDiceFromTerms(double skelPredInTarget, double skelPred, double skelTargetInPred, double skelTarget)
    {
        bool bothEmpty = skelPred == 0 && skelTarget == 0;
        double tprec = skelPred > 0 ? skelPredInTarget / skelPred : (bothEmpty ? 1 : 0);
        double tsens = skelTarget > 0 ? skelTargetInPred / skelTarget : (bothEmpty ? 1 : 0);
        return tprec + tsens > 0 ? 2 * tprec * tsens / (tprec + tsens) : 0.0;
    }

    /// <summary>Per-image clDice values of a batch (copies 4·N numbers to the host).</summary>
    public static double[] ClDicePerImage(Tensor predicted, Tensor target, int iterations = 10)
    {
        using var terms = ClDiceTerms(predicted, target, iterations);
        var v = HostSync.ReadArray<double>(terms);
        var result = new double[v.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = ClDiceFromTerms(v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]);
        return result;
    }

    /// <summary>Mean clDice over the images of a batch (the per-image average, as the clDice paper reports it).</summary>
    public static double ClDice(Tensor predicted, Tensor target, int iterations = 10) =>
        ClDicePerImage(predicted, target, iterations).Average();

    private static Tensor Binary(Tensor mask) => mask.dtype == ScalarType.Bool ? mask : mask.gt(Half);

    private static Tensor Soft(Tensor mask) => mask.dtype == ScalarType.Bool ? mask.to(ScalarType.Float32) : mask.detach().to(ScalarType.Float32);

    private static Tensor Dilate(Tensor mask, int radius, ToleranceShape shape)
    {
        if (radius == 0) return mask;
        var x = mask.to(ScalarType.Float32);
        if (shape == ToleranceShape.Square) return MaxPool(x, radius, radius).gt(Half);
        // The disk {dx² + dy² ≤ r²} is the union over k = 0..r of the rectangles |dy| ≤ k, |dx| ≤ ⌊√(r² − k²)⌋
        // (each lies inside the disk, and a disk point (dx, dy) lies in the one with k = |dy|): r + 1 max-pools,
        // no kernel tensor to copy to the device.
        Tensor? dilated = null;
        for (int k = 0; k <= radius; k++)
        {
            int halfWidth = 0;
            while ((halfWidth + 1) * (halfWidth + 1) + k * k <= radius * radius) halfWidth++;
            var part = MaxPool(x, k, halfWidth);
            dilated = dilated is null ? part : maximum(dilated, part);
        }
        return dilated!.gt(Half);
    }

    private static Tensor MaxPool(Tensor x, long halfHeight, long halfWidth) =>
        F.max_pool2d(x, new[] { 2 * halfHeight + 1, 2 * halfWidth + 1 }, new long[] { 1, 1 }, new[] { halfHeight, halfWidth });

    private static void Validate(Tensor predicted, Tensor target)
    {
        if (predicted.dim() != 4 || predicted.shape[1] != 1)
            throw new ArgumentException($"masks must be N×1×H×W (got [{string.Join(", ", predicted.shape)}])", nameof(predicted));
        if (!predicted.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"target [{string.Join(", ", target.shape)}] must have the shape of the prediction [{string.Join(", ", predicted.shape)}]", nameof(target));
        if (predicted.device_type != target.device_type || predicted.device_index != target.device_index)
            throw new ArgumentException($"prediction on {predicted.device}, target on {target.device}", nameof(target));
    }
}
