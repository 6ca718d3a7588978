using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Metrics;

/// <summary>Random logits/masks with the corner cases the metrics must handle, plus host copies for loops.</summary>
internal sealed class MetricBatch
{
    public required float[] Logits { get; init; }
    public required bool[] Target { get; init; }
    public required int N { get; init; }
    public required int H { get; init; }
    public required int W { get; init; }
    public int Pixels => H * W;

    public Tensor LogitsTensor() => tensor(Logits, new long[] { N, 1, H, W }, dtype: ScalarType.Float32);
    public Tensor TargetTensor() => tensor(Target.Select(b => b ? 1f : 0f).ToArray(), new long[] { N, 1, H, W }, dtype: ScalarType.Float32);
    public Tensor TargetBoolTensor() => tensor(Target, new long[] { N, 1, H, W });

    /// <summary>sigmoid as the device computes it (the reference thresholds these exact float32 values).</summary>
    public float[] Probabilities()
    {
        using var scope = NewDisposeScope();
        return sigmoid(LogitsTensor()).data<float>().ToArray();
    }

    /// <summary>
    /// Image kinds cycle through: normal, empty prediction, empty target, both empty, logits sitting on
    /// histogram thresholds (probabilities at or next to bin edges), all predicted.
    /// </summary>
    public static MetricBatch Random(int seed, int n, int h, int w, int bins = 256)
    {
        var rng = new Random(seed);
        var logits = new float[n * h * w];
        var target = new bool[n * h * w];
        var thresholds = CrackSeg.Metrics.ProbabilityBins.Thresholds(bins);
        for (int i = 0; i < n; i++)
        {
            int kind = (seed + i) % 6;
            double crackRate = rng.NextDouble() * 0.3 + 0.02;
            for (int p = 0; p < h * w; p++)
            {
                int at = i * h * w + p;
                bool positive = kind is 2 or 3 ? false : rng.NextDouble() < crackRate;
                target[at] = positive;
                logits[at] = kind switch
                {
                    1 or 3 => -30f - (float)rng.NextDouble(),                 // nothing predicted
                    5 => 30f,                                                  // everything predicted
                    4 => Logit(thresholds[rng.Next(1, bins)]) + (float)(rng.NextDouble() - 0.5) * 1e-6f,
                    _ => (float)(Normal(rng) * 2.5 + (positive ? 1.5 : -1.5)),
                };
            }
        }
        return new MetricBatch { Logits = logits, Target = target, N = n, H = h, W = w };
    }

    private static float Logit(float p) => (float)Math.Log(p / (1.0 - p));

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>Loop-based references, written independently of the library's formulas.</summary>
internal static class BruteForce
{
    public record struct Counts(long Tp, long Fp, long Fn, long Tn);

    public static Counts CountImage(float[] probs, bool[] target, int image, int pixels, float threshold)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int p = image * pixels; p < (image + 1) * pixels; p++)
        {
            bool pred = probs[p] >= threshold;
            if (pred && target[p]) tp++;
            else if (pred) fp++;
            else if (target[p]) fn++;
            else tn++;
        }
        return new Counts(tp, fp, fn, tn);
    }

    // The conventions spelled out case by case (empty prediction and empty target → 1; one side empty → 0).
    public static double Iou(Counts c) => c.Tp + c.Fp + c.Fn == 0 ? 1.0 : c.Tp / (double)(c.Tp + c.Fp + c.Fn);
    public static double F1(Counts c) => c.Tp + c.Fp + c.Fn == 0 ? 1.0 : 2.0 * c.Tp / (2.0 * c.Tp + c.Fp + c.Fn);
    public static double Precision(Counts c) => c.Tp + c.Fp > 0 ? c.Tp / (double)(c.Tp + c.Fp) : (c.Fn == 0 ? 1.0 : 0.0);
    public static double Recall(Counts c) => c.Tp + c.Fn > 0 ? c.Tp / (double)(c.Tp + c.Fn) : (c.Fp == 0 ? 1.0 : 0.0);
    public static double Accuracy(Counts c) => (c.Tp + c.Tn) / (double)(c.Tp + c.Fp + c.Fn + c.Tn);

    public static Counts Sum(IEnumerable<Counts> all)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var c in all) { tp += c.Tp; fp += c.Fp; fn += c.Fn; tn += c.Tn; }
        return new Counts(tp, fp, fn, tn);
    }

    /// <summary>sklearn's average_precision_score: Σ_n (R_n − R_{n−1}) P_n over distinct scores, descending.</summary>
    public static double SklearnAveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        long positives = labels.Count(l => l);
        if (positives == 0) return 0;
        double ap = 0, previousRecall = 0;
        long tp = 0, fp = 0;
        for (int j = 0; j < order.Length; j++)
        {
            if (labels[order[j]]) tp++; else fp++;
            bool lastOfScore = j == order.Length - 1 || scores[order[j + 1]] != scores[order[j]];
            if (!lastOfScore) continue;
            double recall = tp / (double)positives, precision = tp / (double)(tp + fp);
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }
        return ap;
    }
}
