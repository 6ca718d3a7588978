using CrackSeg.Metrics;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Metrics;

public class ThresholdSweepTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(50)]
    public void OdsOisApMatchABruteForceSweepOverRandomData(int bins)
    {
        using var scope = NewDisposeScope();
        var batches = new[] { MetricBatch.Random(4, 6, 10, 8, bins), MetricBatch.Random(9, 4, 10, 8, bins) };
        using var acc = new SegmentationMetricAccumulator(CPU, 0.5, bins, keepPerImageHistograms: true);
        var probs = new List<float>();
        var target = new List<bool>();
        foreach (var b in batches)
        {
            acc.Update(b.LogitsTensor(), b.TargetTensor());
            probs.AddRange(b.Probabilities());
            target.AddRange(b.Target);
        }
        var sweep = ThresholdSweep.Run(acc.Compute());
        float[] p = probs.ToArray();
        bool[] y = target.ToArray();
        var thresholds = ProbabilityBins.Thresholds(bins);
        int images = 10, pixels = 80;

        // Loop over thresholds, counting directly (no histogram).
        var perImage = new BruteForce.Counts[images, bins + 1];
        for (int k = 0; k <= bins; k++)
            for (int i = 0; i < images; i++)
                perImage[i, k] = BruteForce.CountImage(p, y, i, pixels, thresholds[k]);

        int odsK = 0;
        double odsF = -1;
        for (int k = 0; k <= bins; k++)
        {
            var pooled = BruteForce.Sum(Enumerable.Range(0, images).Select(i => perImage[i, k]));
            Assert.Equal(BruteForce.F1(pooled), sweep.Points[k].F1, 12);
            Assert.Equal(BruteForce.Precision(pooled), sweep.Points[k].Precision, 12);
            Assert.Equal(BruteForce.Recall(pooled), sweep.Points[k].Recall, 12);
            Assert.Equal(thresholds[k], sweep.Points[k].Threshold);
            if (BruteForce.F1(pooled) > odsF) { odsF = BruteForce.F1(pooled); odsK = k; }
        }
        Assert.Equal(odsF, sweep.Ods.F, 12);
        Assert.Equal(thresholds[odsK], sweep.Ods.Threshold);

        double sumBest = 0;
        var atBest = new List<BruteForce.Counts>();
        for (int i = 0; i < images; i++)
        {
            int bestK = 0;
            for (int k = 1; k <= bins; k++)
                if (BruteForce.F1(perImage[i, k]) > BruteForce.F1(perImage[i, bestK])) bestK = k;
            sumBest += BruteForce.F1(perImage[i, bestK]);
            atBest.Add(perImage[i, bestK]);
            Assert.Equal(thresholds[bestK], sweep.PerImageBest![i].Threshold);
        }
        Assert.Equal(sumBest / images, sweep.Ois!.Value, 12);
        Assert.Equal(BruteForce.F1(BruteForce.Sum(atBest)), sweep.OisPooled!.Value, 12);
        Assert.True(sweep.Ois >= sweep.Ods.F - 1e-12, "each image at its best threshold cannot do worse on average");

        // AP = sklearn's average_precision_score on the probabilities quantised to their cell's threshold.
        var quantised = p.Select(v => (double)thresholds[Enumerable.Range(0, bins + 1).Last(k => thresholds[k] <= v)]).ToArray();
        Assert.Equal(BruteForce.SklearnAveragePrecision(quantised, y), sweep.AveragePrecision, 12);
    }

    [Fact]
    public void AveragePrecisionOfTheSklearnDocExample()
    {
        // sklearn docs: y_true = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] → AP = 0.8333…
        // With 20 bins the scores keep their order (cells 2, 8, 7, 16), so the histogram AP is exact.
        var pos = new long[21];
        var neg = new long[21];
        neg[2]++; neg[8]++; pos[7]++; pos[16]++;
        var sweep = ThresholdSweep.Run(new ProbabilityHistogram(pos, neg));
        Assert.Equal(5.0 / 6.0, sweep.AveragePrecision, 12);
        // Best F = 0.8 (P = 2/3, R = 1) for every threshold in (0.1, 0.35]: the tie goes to the lowest, t_3 = 0.15.
        Assert.Equal(0.8, sweep.Ods.F, 12);
        Assert.Equal(0.15f, sweep.Ods.Threshold);

        // sklearn's precision_recall_curve for the same data: P = [.5, 2/3, .5, 1, 1], R = [1, 1, .5, .5, 0].
        var curve = sweep.PrecisionRecallCurve();
        var expected = new[] { (1.0, 0.5), (1.0, 2.0 / 3), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0) };
        Assert.Equal(expected.Length, curve.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Item1, curve[i].Recall, 12);
            Assert.Equal(expected[i].Item2, curve[i].Precision, 12);
        }
    }

    [Fact]
    public void NoPositivePixelsAnywhere()
    {
        var pos = new long[5];
        var neg = new long[] { 3, 1, 0, 2, 0 };
        var sweep = ThresholdSweep.Run(new ProbabilityHistogram(pos, neg), new[] { new ProbabilityHistogram(pos, neg) });
        Assert.Equal(0.0, sweep.AveragePrecision);
        // Threshold 1.0 predicts nothing on an image with no crack: the convention's perfect score.
        Assert.Equal(1.0, sweep.Ods.F);
        Assert.Equal(1.0f, sweep.Ods.Threshold);
        Assert.Equal(1.0, sweep.Ois);
        Assert.Equal(1.0, sweep.OisPooled);
    }

    [Fact]
    public void WithoutPerImageHistogramsOisIsAbsent()
    {
        var sweep = ThresholdSweep.Run(new ProbabilityHistogram(new long[] { 1, 2, 3 }, new long[] { 3, 2, 1 }));
        Assert.Null(sweep.Ois);
        Assert.Null(sweep.OisPooled);
        Assert.Null(sweep.PerImageBest);
        Assert.Equal(3, sweep.Points.Count);
    }
}
