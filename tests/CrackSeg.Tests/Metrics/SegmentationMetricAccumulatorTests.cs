using CrackSeg.Config;
using CrackSeg.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Metrics;

public class SegmentationMetricAccumulatorTests
{
    [Theory]
    [InlineData(0.5, 256)]
    [InlineData(0.37, 100)]  // neither threshold nor bin count a power of two
    public void CountsAndMetricsMatchBruteForceOverSeveralBatches(double threshold, int bins)
    {
        using var scope = NewDisposeScope();
        var batches = new[] { MetricBatch.Random(1, 6, 12, 10, bins), MetricBatch.Random(7, 5, 12, 10, bins), MetricBatch.Random(20, 1, 12, 10, bins) };
        using var acc = new SegmentationMetricAccumulator(CPU, threshold, bins);
        var expected = new List<BruteForce.Counts>();
        foreach (var b in batches)
        {
            acc.Update(b.LogitsTensor(), b.TargetTensor());
            var probs = b.Probabilities();
            for (int i = 0; i < b.N; i++) expected.Add(BruteForce.CountImage(probs, b.Target, i, b.Pixels, (float)threshold));
        }
        var r = acc.Compute();

        Assert.Equal(12, r.ImageCount);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            Assert.Equal(new ConfusionCounts(e.Tp, e.Fp, e.Fn, e.Tn), r.PerImage[i]);
        }
        // The generator must really produce the corner cases this test claims to cover.
        Assert.Contains(expected, c => c.Tp + c.Fp == 0 && c.Fn > 0);   // empty prediction
        Assert.Contains(expected, c => c.Tp + c.Fn == 0 && c.Fp > 0);   // empty target
        Assert.Contains(expected, c => c.Tp + c.Fp + c.Fn == 0);        // both empty

        var total = BruteForce.Sum(expected);
        Assert.Equal(new ConfusionCounts(total.Tp, total.Fp, total.Fn, total.Tn), r.Total);
        Assert.Equal(BruteForce.Iou(total), r.Iou, 12);
        Assert.Equal(BruteForce.F1(total), r.F1, 12);
        Assert.Equal(BruteForce.F1(total), r.Dice, 12);
        Assert.Equal(BruteForce.Precision(total), r.Precision, 12);
        Assert.Equal(BruteForce.Recall(total), r.Recall, 12);
        Assert.Equal(BruteForce.Accuracy(total), r.Accuracy, 12);
        Assert.Equal(expected.Average(BruteForce.Iou), r.MeanIou, 12);
        Assert.Equal(expected.Average(BruteForce.F1), r.MeanF1, 12);
        Assert.Equal(expected.Average(BruteForce.F1), r.MeanDice, 12);
        Assert.Equal(expected.Average(BruteForce.Precision), r.MeanPrecision, 12);
        Assert.Equal(expected.Average(BruteForce.Recall), r.MeanRecall, 12);
        Assert.Equal(expected.Average(BruteForce.Accuracy), r.MeanAccuracy, 12);
    }

    [Theory]
    [InlineData(256, false)]
    [InlineData(100, true)]
    public void HistogramGivesExactCountsAtEveryThreshold(int bins, bool perImage)
    {
        using var scope = NewDisposeScope();
        var batches = new[] { MetricBatch.Random(3, 6, 9, 11, bins), MetricBatch.Random(11, 6, 9, 11, bins) };
        using var acc = new SegmentationMetricAccumulator(CPU, 0.5, bins, keepPerImageHistograms: perImage);
        var probs = new List<float>();
        var target = new List<bool>();
        foreach (var b in batches)
        {
            acc.Update(b.LogitsTensor(), b.TargetBoolTensor());
            probs.AddRange(b.Probabilities());
            target.AddRange(b.Target);
        }
        var r = acc.Compute();
        var thresholds = ProbabilityBins.Thresholds(bins);
        int pixels = 9 * 11;
        int onEdge = 0;
        for (int k = 0; k <= bins; k++)
        {
            var expected = BruteForce.CountImage(probs.ToArray(), target.ToArray(), 0, probs.Count, thresholds[k]);
            Assert.Equal(new ConfusionCounts(expected.Tp, expected.Fp, expected.Fn, expected.Tn), r.Histogram.CountsAt(k));
            onEdge += probs.Count(p => p == thresholds[k]);
            if (!perImage) continue;
            for (int i = 0; i < 12; i++)
            {
                var e = BruteForce.CountImage(probs.ToArray(), target.ToArray(), i, pixels, thresholds[k]);
                Assert.Equal(new ConfusionCounts(e.Tp, e.Fp, e.Fn, e.Tn), r.PerImageHistograms![i].CountsAt(k));
            }
        }
        Assert.True(onEdge > 0, "some probabilities must sit exactly on a threshold for the test to mean anything");
        Assert.Equal(perImage, r.PerImageHistograms is not null);
    }

    [Fact]
    public void CellOfIsExactAtAndAroundEveryThreshold()
    {
        using var scope = NewDisposeScope();
        foreach (int bins in new[] { 256, 100, 7 })
        {
            var t = ProbabilityBins.Thresholds(bins);
            var probes = t.SelectMany(v => new[] { v, MathF.BitDecrement(v), MathF.BitIncrement(v) })
                .Where(v => v >= 0 && v <= 1).ToArray();
            var cells = ProbabilityBins.CellOf(tensor(probes), ProbabilityBins.Boundaries(bins, CPU)).data<long>().ToArray();
            for (int i = 0; i < probes.Length; i++)
                for (int k = 0; k <= bins; k++)
                    Assert.Equal(probes[i] >= t[k], cells[i] >= k);
        }
    }

    [Theory]
    [InlineData(256, 1)]
    [InlineData(100, 1)]
    [InlineData(256, 6)]   // per-image histograms: the combined index of a batch
    public void IntegerCountsEqualTheFloat64HistcTheyReplace(int bins, int images)
    {
        using var scope = NewDisposeScope();
        // Random probabilities plus the edges 0 and 1 and every threshold with its float32 neighbours,
        // combined into (image, target class, cell) as the accumulator does.
        var g = new Generator(17);
        var t = ProbabilityBins.Thresholds(bins);
        var edges = t.SelectMany(v => new[] { v, MathF.BitDecrement(v), MathF.BitIncrement(v) }).Where(v => v >= 0 && v <= 1);
        long perImage = 40_000 + edges.Count();
        var probs = cat(new[] { rand(new long[] { images, 40_000 }, generator: g), tensor(edges.ToArray()).expand(images, -1) }, 1);
        var target = rand(new long[] { images, perImage }, generator: g).lt(0.3f);
        long cells = bins + 1, length = 2 * cells * images;
        var index = ProbabilityBins.CellOf(probs, ProbabilityBins.Boundaries(bins, CPU)).add_(target.to(ScalarType.Int64).mul_(cells))
            .add_(arange(images, dtype: ScalarType.Int64).unsqueeze(1).mul_(2 * cells));

        var counts = ProbabilityBins.CountValues(index, length);
        Assert.Equal(ScalarType.Int64, counts.dtype);
        var expected = Float64Histc(index, length).data<long>().ToArray();
        Assert.Equal(expected, counts.data<long>().ToArray());
        Assert.Equal(expected, index.reshape(-1).bincount(null, length).data<long>().ToArray());
        Assert.Equal(images * perImage, expected.Sum());
        // p = 0 and p = 1 land in cells 0 and B of the first image's target-negative or target-positive row.
        Assert.True(expected[0] + expected[cells] > 0 && expected[cells - 1] + expected[2 * cells - 1] > 0, "cells 0 and B must be filled");
    }

    [Fact]
    public void IntegerCountsStayExactWhereFloat32BinningWouldRound()
    {
        using var scope = NewDisposeScope();
        // Large index values (a per-image histogram of a big batch), the first and last value included.
        var g = new Generator(9);
        long length = 3_000_000;
        var values = cat(new[] { randint(0, length, new long[] { 200_000 }, generator: g), tensor(new long[] { 0, length - 1, length - 1 }) }, 0);
        var expected = new long[length];
        foreach (var v in values.data<long>().ToArray()) expected[v]++;
        Assert.Equal(expected, ProbabilityBins.CountValues(values, length).data<long>().ToArray());
        Assert.Equal(expected, Float64Histc(values, length).data<long>().ToArray());
    }

    [Fact]
    public void CountValuesRejectsAValueOutsideTheRange()
    {
        using var scope = NewDisposeScope();
        Assert.ThrowsAny<Exception>(() => ProbabilityBins.CountValues(tensor(new long[] { 0, 5 }), 5));
        Assert.ThrowsAny<Exception>(() => ProbabilityBins.CountValues(tensor(new long[] { -1, 2 }), 5));
    }

    /// <summary>The device path CountValues replaced: each value binned by histc at the centre of its unit-wide float64 bin.</summary>
    private static Tensor Float64Histc(Tensor values, long length) =>
        values.reshape(-1).to(ScalarType.Float64).add_(0.5).histc(length, 0, length).to(ScalarType.Int64);

    [Fact]
    public void ZeroDivisionConventions()
    {
        using var scope = NewDisposeScope();
        // Four 1×2 images: both empty; empty prediction; empty target; one hit and one miss.
        var logits = tensor(new float[] { -9, -9, -9, -9, 9, -9, 9, -9 }, new long[] { 4, 1, 1, 2 });
        var target = tensor(new float[] { 0, 0, 1, 0, 0, 0, 1, 1 }, new long[] { 4, 1, 1, 2 });
        using var acc = new SegmentationMetricAccumulator(CPU);
        acc.Update(logits, target);
        var r = acc.Compute();

        var both = r.PerImage[0];
        Assert.Equal((1.0, 1.0, 1.0, 1.0, 1.0, 1.0), (both.Iou, both.F1, both.Dice, both.Precision, both.Recall, both.Accuracy));
        var noPrediction = r.PerImage[1];
        Assert.Equal((0.0, 0.0, 0.0, 0.0, 0.5), (noPrediction.Iou, noPrediction.F1, noPrediction.Precision, noPrediction.Recall, noPrediction.Accuracy));
        var noTarget = r.PerImage[2];
        Assert.Equal((0.0, 0.0, 0.0, 0.0, 0.5), (noTarget.Iou, noTarget.F1, noTarget.Precision, noTarget.Recall, noTarget.Accuracy));
        var half = r.PerImage[3];
        Assert.Equal((0.5, 2.0 / 3, 1.0, 0.5), (half.Iou, half.F1, half.Precision, half.Recall));
        Assert.Equal((1.0 + 0 + 0 + 0.5) / 4, r.MeanIou, 12);

        // Data set with no positive anywhere (targets and predictions): a perfect 1.0, not 0 and not NaN.
        using var empty = new SegmentationMetricAccumulator(CPU);
        empty.Update(full(2, 1, 3, 3, -5f), zeros(2, 1, 3, 3));
        var e = empty.Compute();
        Assert.Equal(new ConfusionCounts(0, 0, 0, 18), e.Total);
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0, 1.0 }, new[] { e.Iou, e.F1, e.Precision, e.Recall, e.Accuracy });
        // Target positives but no prediction at all, data-set level.
        using var blind = new SegmentationMetricAccumulator(CPU);
        blind.Update(full(1, 1, 2, 2, -5f), ones(1, 1, 2, 2));
        Assert.Equal(new[] { 0.0, 0.0, 0.0, 0.0 }, new[] { blind.Compute().Iou, blind.Compute().F1, blind.Compute().Precision, blind.Compute().Recall });
    }

    [Fact]
    public void ThresholdIsInclusiveAndNaNLogitsCountAsNegative()
    {
        using var scope = NewDisposeScope();
        // sigmoid(0) = 0.5 exactly: predicted positive at threshold 0.5 (p ≥ t).
        var logits = tensor(new float[] { 0f, float.NaN, -0.001f }, new long[] { 1, 1, 1, 3 });
        using var acc = new SegmentationMetricAccumulator(CPU, 0.5, 256);
        acc.Update(logits, ones(1, 1, 1, 3));
        var r = acc.Compute();
        Assert.Equal(new ConfusionCounts(1, 0, 2, 0), r.Total);
        Assert.Equal(3, r.Histogram.TotalPositive);
        Assert.Equal(1, r.Histogram.CountsAt(128).Tp); // t_128 = 0.5
    }

    [Fact]
    public void LossIsTheBatchSizeWeightedMeanAndResetClearsEverything()
    {
        using var scope = NewDisposeScope();
        var b = MetricBatch.Random(5, 4, 6, 6);
        using var acc = new SegmentationMetricAccumulator(CPU);
        acc.Update(b.LogitsTensor(), b.TargetTensor());
        Assert.Null(acc.Compute().Loss);
        acc.AddLoss(tensor(0.5f), 4);
        acc.AddLoss(tensor(new[] { 2.0 }), 1);   // float64 one-element tensor
        acc.AddLoss(tensor(1.0f, dtype: ScalarType.BFloat16), 3);
        Assert.Equal((0.5 * 4 + 2.0 + 1.0 * 3) / 8, acc.Compute().Loss!.Value, 12);

        acc.Reset();
        Assert.Equal(0, acc.ImageCount);
        Assert.Throws<InvalidOperationException>(() => acc.Compute());
        var b2 = MetricBatch.Random(6, 2, 6, 6);
        acc.Update(b2.LogitsTensor(), b2.TargetTensor());
        var r = acc.Compute();
        Assert.Equal(2, r.ImageCount);
        Assert.Null(r.Loss);
        Assert.Equal(72, r.Total.Pixels);
        Assert.Equal(72, r.Histogram.TotalPositive + r.Histogram.TotalNegative);
    }

    [Fact]
    public void StateSurvivesTheCallersDisposeScopes()
    {
        using var acc = new SegmentationMetricAccumulator(CPU, keepPerImageHistograms: true);
        for (int step = 0; step < 3; step++)
        {
            using var stepScope = NewDisposeScope();  // the trainer's per-step scope
            var b = MetricBatch.Random(step, 2, 5, 5);
            acc.Update(b.LogitsTensor(), b.TargetTensor());
            acc.AddLoss(tensor(1.0f), 2);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var r = acc.Compute();
        Assert.Equal(6, r.ImageCount);
        Assert.Equal(150, r.Total.Pixels);
        Assert.Equal(1.0, r.Loss);
    }

    [Fact]
    public void ScalarsUseTheTrainerNames()
    {
        using var scope = NewDisposeScope();
        var b = MetricBatch.Random(2, 3, 4, 4);
        using var acc = SegmentationMetricAccumulator.FromConfig(new MetricsConfig { Threshold = 0.4, HistogramBins = 64 }, CPU);
        acc.Update(b.LogitsTensor(), b.TargetTensor());
        acc.AddLoss(tensor(0.25f), 3);
        var r = acc.Compute();
        Assert.Equal(0.4, r.Threshold);
        Assert.Equal(64, r.Histogram.Bins);
        var s = r.Scalars("val_").ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var monitor in new[] { "val_loss", "val_iou", "val_f1", "val_dice", "val_precision", "val_recall", "val_accuracy", "val_mean_iou" })
            Assert.True(s.ContainsKey(monitor), monitor);
        Assert.Equal(r.Iou, s["val_iou"]);
        Assert.Equal(0.25, s["val_loss"]);
    }

    [Fact]
    public void RejectsBadShapesAndDevices()
    {
        using var scope = NewDisposeScope();
        using var acc = new SegmentationMetricAccumulator(CPU);
        Assert.Throws<ArgumentException>(() => acc.Update(zeros(2, 1, 4, 4), zeros(2, 1, 4, 5)));
        Assert.Throws<ArgumentException>(() => acc.Update(zeros(2, 3, 4, 4), zeros(2, 3, 4, 4)));
        Assert.Throws<ArgumentException>(() => acc.Update(zeros(4, 4), zeros(4, 4)));
        Assert.Throws<ArgumentException>(() => acc.AddLoss(zeros(2), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => acc.AddLoss(zeros(1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentationMetricAccumulator(CPU, threshold: 1.5));
        using var meta = new SegmentationMetricAccumulator(new Device(DeviceType.META));
        var ex = Assert.Throws<ArgumentException>(() => meta.Update(zeros(1, 1, 2, 2), zeros(1, 1, 2, 2)));
        Assert.Contains("accumulator lives on", ex.Message);
    }
}
