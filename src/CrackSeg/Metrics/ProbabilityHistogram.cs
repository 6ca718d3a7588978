namespace CrackSeg.Metrics;

/// <summary>
/// Host copy of a probability histogram of target-positive and target-negative pixels (one image or a
/// data set): <c>Positive[c]</c> / <c>Negative[c]</c> count pixels whose probability falls in cell c of
/// <see cref="ProbabilityBins"/>. Gives the exact confusion counts at every threshold t_k = k / Bins.
/// </summary>
public sealed class ProbabilityHistogram
{
    private readonly long[] _positiveAtOrAbove;
    private readonly long[] _negativeAtOrAbove;

    public ProbabilityHistogram(long[] positive, long[] negative)
    {
        if (positive.Length != negative.Length || positive.Length < 2)
            throw new ArgumentException($"histograms need the same length ≥ 2 (got {positive.Length} and {negative.Length})");
        Positive = positive;
        Negative = negative;
        Thresholds = ProbabilityBins.Thresholds(Bins);
        _positiveAtOrAbove = SuffixSums(positive);
        _negativeAtOrAbove = SuffixSums(negative);
    }

    /// <summary>Number of threshold steps B; the histogram has B + 1 cells.</summary>
    public int Bins => Positive.Count - 1;
    public IReadOnlyList<long> Positive { get; }
    public IReadOnlyList<long> Negative { get; }
    /// <summary>t_0..t_B (float32 values, as compared on the device).</summary>
    public IReadOnlyList<float> Thresholds { get; }
    public long TotalPositive => _positiveAtOrAbove[0];
    public long TotalNegative => _negativeAtOrAbove[0];

    /// <summary>Confusion counts when pixels with p ≥ t_k are predicted positive (k = 0..Bins).</summary>
    public ConfusionCounts CountsAt(int k)
    {
        if ((uint)k > (uint)Bins) throw new ArgumentOutOfRangeException(nameof(k), k, $"0..{Bins}");
        long tp = _positiveAtOrAbove[k], fp = _negativeAtOrAbove[k];
        return new ConfusionCounts(tp, fp, TotalPositive - tp, TotalNegative - fp);
    }

    /// <summary>Cell-wise sum (e.g. images into a data set).</summary>
    public static ProbabilityHistogram Sum(IEnumerable<ProbabilityHistogram> parts)
    {
        long[]? pos = null, neg = null;
        foreach (var h in parts)
        {
            pos ??= new long[h.Positive.Count];
            neg ??= new long[h.Negative.Count];
            if (h.Positive.Count != pos.Length) throw new ArgumentException("histograms with different bin counts");
            for (int c = 0; c < pos.Length; c++) { pos[c] += h.Positive[c]; neg[c] += h.Negative[c]; }
        }
        if (pos is null || neg is null) throw new ArgumentException("no histogram to sum");
        return new ProbabilityHistogram(pos, neg);
    }

    private static long[] SuffixSums(long[] cells)
    {
        var s = new long[cells.Length + 1];
        for (int c = cells.Length - 1; c >= 0; c--) s[c] = s[c + 1] + cells[c];
        return s;
    }
}
