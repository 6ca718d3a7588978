using CrackSeg.Common;
using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Metrics;

/// <summary>
/// Accumulates binary-segmentation metrics over an epoch with all state on the device: int64
/// tp/fp/fn/tn for the data set and per image, a probability histogram of target-positive and
/// target-negative pixels (every threshold at once, see <see cref="ProbabilityBins"/>), optionally one
/// histogram per image (for OIS), and the batch-size-weighted loss sum.
/// </summary>
/// <remarks>
/// <see cref="Update"/> and <see cref="AddLoss"/> only enqueue device work: they read tensor shapes and
/// dtypes (host metadata) but never a tensor's values, so nothing leaves the device and no CUDA sync
/// happens per batch (the ops used — sigmoid, comparisons, sums, stack, bucketize, an int64 scatter-add of
/// known length — have no data-dependent host reads; CUDA's bincount, which reads the maximum back to size its
/// output, is not used, see <see cref="ProbabilityBins.CountValues"/>). <see cref="Compute"/> packs every state tensor into one float64
/// tensor (counts stay exact below 2^53) and copies it to the host once.
/// A pixel is predicted positive when sigmoid(logit) ≥ threshold (compared in float32; NaN logits count as
/// probability 0); a target pixel is positive when it is true (bool) or &gt; 0.5 (numeric).
/// Not thread-safe; use one accumulator per loop.
/// </remarks>
public sealed class SegmentationMetricAccumulator : IDisposable
{
    /// <summary>A numeric target pixel is positive above this; rooted so it outlives every call.</summary>
    private static readonly Scalar TargetCut = 0.5;

    private readonly Tensor _counts;        // [4] int64: tp, fp, fn, tn
    private readonly Tensor _histogram;     // [2, B+1] int64: row 0 target-negative, row 1 target-positive
    private readonly Tensor _lossSum;       // [1] float64: Σ batch mean loss × batch size
    private readonly Tensor _boundaries;    // [B] float32: t_1..t_B
    private readonly List<Tensor> _perImageCounts = new();      // [n, 4] int64 per batch
    private readonly List<Tensor> _perImageHistograms = new();  // [n, 2, B+1] int64 per batch
    private int _images;
    private long _lossSamples;
    private bool _disposed;

    /// <param name="device">Where the state lives; every Update must pass tensors on this device.</param>
    /// <param name="threshold">Probability threshold of the binary metrics (metrics.threshold).</param>
    /// <param name="bins">Threshold steps of the histogram (metrics.histogram_bins); thresholds are k / bins.</param>
    /// <param name="keepPerImageHistograms">Also keep one histogram per image (evaluation: OIS).</param>
    public SegmentationMetricAccumulator(Device device, double threshold = 0.5, int bins = 256, bool keepPerImageHistograms = false)
    {
        if (!(threshold >= 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "a probability in [0, 1]");
        if (bins < 2 || bins > 4096) throw new ArgumentOutOfRangeException(nameof(bins), bins, "2..4096");
        Device = device;
        Threshold = threshold;
        Bins = bins;
        KeepsPerImageHistograms = keepPerImageHistograms;
        // Detached: the caller may be inside a dispose scope that ends long before the epoch does.
        _counts = zeros(4, dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
        _histogram = zeros(2, bins + 1, dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
        _lossSum = zeros(1, dtype: ScalarType.Float64, device: device).DetachFromDisposeScope();
        _boundaries = ProbabilityBins.Boundaries(bins, device).DetachFromDisposeScope();
    }

    /// <summary>Accumulator for the `metrics` config section.</summary>
    public static SegmentationMetricAccumulator FromConfig(MetricsConfig config, Device device, bool keepPerImageHistograms = false) =>
        new(device, config.Threshold, config.HistogramBins, keepPerImageHistograms);

    public Device Device { get; }
    public double Threshold { get; }
    public int Bins { get; }
    public bool KeepsPerImageHistograms { get; }
    /// <summary>Images added since construction or the last Reset (host bookkeeping, no device read).</summary>
    public int ImageCount => _images;

    /// <summary>
    /// Adds a batch: <paramref name="logits"/> and <paramref name="targets"/> of shape N×1×H×W on
    /// <see cref="Device"/> (logits any float dtype; targets bool or numeric 0/1).
    /// </summary>
    public void Update(Tensor logits, Tensor targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateBatch(logits, targets);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        long n = logits.shape[0];
        long pixels = logits.numel() / n;
        var probs = CrackMask.Probabilities(logits.detach()).reshape(n, pixels);
        var target = targets.dtype == ScalarType.Bool ? targets.reshape(n, pixels) : targets.detach().reshape(n, pixels).gt(TargetCut);

        var predicted = CrackMask.FromProbabilities(probs, Threshold);
        var tp = predicted.logical_and(target).sum(1, type: ScalarType.Int64);
        var predictedCount = predicted.sum(1, type: ScalarType.Int64);
        var targetCount = target.sum(1, type: ScalarType.Int64);
        var fp = predictedCount - tp;
        var fn = targetCount - tp;
        var tn = (tp - predictedCount - targetCount).PlusInPlace(pixels);
        var rows = stack(new[] { tp, fp, fn, tn }, 1);
        _counts.PlusInPlace(rows.sum(dim: 0));
        _perImageCounts.Add(rows.DetachFromDisposeScope());

        // One exact count over a combined index (image, target class, cell).
        long cells = Bins + 1;
        var index = ProbabilityBins.CellOf(probs, _boundaries).PlusInPlace(target.to(ScalarType.Int64).TimesInPlace(cells));
        long histBins = 2 * cells;
        if (KeepsPerImageHistograms)
        {
            index.PlusInPlace(ScalarArithmetic.Range(0, n, ScalarType.Int64, logits.device).unsqueeze(1).TimesInPlace(histBins));
            histBins *= n;
        }
        var histogram = ProbabilityBins.CountValues(index, histBins);
        if (KeepsPerImageHistograms)
        {
            var perImage = histogram.reshape(n, 2, cells);
            _histogram.PlusInPlace(perImage.sum(dim: 0));
            _perImageHistograms.Add(perImage.DetachFromDisposeScope());
        }
        else
        {
            _histogram.PlusInPlace(histogram.reshape(2, cells));
        }
        _images += (int)n;
    }

    /// <summary>Adds a batch's mean loss (a one-element tensor on <see cref="Device"/>) weighted by its batch size.</summary>
    public void AddLoss(Tensor batchLossMean, int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "a positive batch size");
        if (batchLossMean.numel() != 1) throw new ArgumentException($"the batch loss must have one element (shape [{string.Join(", ", batchLossMean.shape)}])", nameof(batchLossMean));
        RequireDevice(batchLossMean, nameof(batchLossMean));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using Scalar weight = batchSize;
        _lossSum.add_(batchLossMean.detach().to(ScalarType.Float64).reshape(1), weight);
        _lossSamples += batchSize;
    }

    /// <summary>
    /// Copies the state to the host (one transfer) and derives the metrics. Does not reset; may be called
    /// again. Throws when no image was added.
    /// </summary>
    public MetricResult Compute()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_images == 0) throw new InvalidOperationException("no batch was added to the metric accumulator");
        int cells = Bins + 1;
        double[] host;
        using (var scope = NewDisposeScope())
        {
            var parts = new List<Tensor>
            {
                _counts.to(ScalarType.Float64),
                _histogram.reshape(-1).to(ScalarType.Float64),
                _lossSum,
                cat(_perImageCounts, 0).reshape(-1).to(ScalarType.Float64),
            };
            if (KeepsPerImageHistograms) parts.Add(cat(_perImageHistograms, 0).reshape(-1).to(ScalarType.Float64));
            host = HostSync.ReadArray<double>(cat(parts, 0));
        }

        int at = 0;
        var total = ReadCounts(host, ref at);
        var negative = ReadLongs(host, ref at, cells);
        var positive = ReadLongs(host, ref at, cells);
        double lossSum = host[at++];
        var perImage = new ConfusionCounts[_images];
        for (int i = 0; i < _images; i++) perImage[i] = ReadCounts(host, ref at);
        ProbabilityHistogram[]? perImageHistograms = null;
        if (KeepsPerImageHistograms)
        {
            perImageHistograms = new ProbabilityHistogram[_images];
            for (int i = 0; i < _images; i++)
            {
                var neg = ReadLongs(host, ref at, cells);
                var pos = ReadLongs(host, ref at, cells);
                perImageHistograms[i] = new ProbabilityHistogram(pos, neg);
            }
        }
        return new MetricResult
        {
            Threshold = Threshold,
            Total = total,
            PerImage = perImage,
            Loss = _lossSamples > 0 ? lossSum / _lossSamples : null,
            Histogram = new ProbabilityHistogram(positive, negative),
            PerImageHistograms = perImageHistograms,
        };
    }

    /// <summary>Clears all state (start of an epoch); keeps the device buffers.</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using (no_grad())
        {
            _counts.zero_();
            _histogram.zero_();
            _lossSum.zero_();
        }
        DisposeAll(_perImageCounts);
        DisposeAll(_perImageHistograms);
        _images = 0;
        _lossSamples = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _counts.Dispose();
        _histogram.Dispose();
        _lossSum.Dispose();
        _boundaries.Dispose();
        DisposeAll(_perImageCounts);
        DisposeAll(_perImageHistograms);
    }

    private void ValidateBatch(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 4 || logits.shape[1] != 1)
            throw new ArgumentException($"logits must be N×1×H×W (got [{string.Join(", ", logits.shape)}])", nameof(logits));
        if (!logits.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"targets [{string.Join(", ", targets.shape)}] must have the shape of the logits [{string.Join(", ", logits.shape)}]", nameof(targets));
        if (logits.numel() == 0) throw new ArgumentException("empty batch (an image needs at least one pixel)", nameof(logits));
        RequireDevice(logits, nameof(logits));
        RequireDevice(targets, nameof(targets));
    }

    private void RequireDevice(Tensor t, string name)
    {
        // "cuda" and "cuda:0" name the same device when only the default index is meant.
        static int Index(int i) => i < 0 ? 0 : i;
        if (t.device_type != Device.type || Index(t.device_index) != Index(Device.index))
            throw new ArgumentException($"{name} is on {t.device} but the accumulator lives on {Device}", name);
    }

    private static ConfusionCounts ReadCounts(double[] h, ref int at)
    {
        var c = new ConfusionCounts((long)h[at], (long)h[at + 1], (long)h[at + 2], (long)h[at + 3]);
        at += 4;
        return c;
    }

    private static long[] ReadLongs(double[] h, ref int at, int count)
    {
        var r = new long[count];
        for (int i = 0; i < count; i++) r[i] = (long)h[at + i];
        at += count;
        return r;
    }

    private static void DisposeAll(List<Tensor> tensors)
    {
        foreach (var t in tensors) t.Dispose();
        tensors.Clear();
    }
}
