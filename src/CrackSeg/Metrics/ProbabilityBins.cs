using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Metrics;

/// <summary>
/// The quantisation shared by the histogram accumulator and the threshold sweep, chosen so that the
/// sweep at every threshold t_k equals thresholding the probabilities directly (p ≥ t_k, in float32).
/// </summary>
/// <remarks>
/// With B bins the thresholds are t_k = (float)(k / B) for k = 0..B. A probability p falls in cell
/// c(p) = #{k ≥ 1 : t_k ≤ p} ∈ [0, B] (computed with <c>bucketize(right: true)</c> against the float32
/// thresholds themselves, never by multiplying p by B, which rounds for B that is not a power of two).
/// Hence p ≥ t_k ⇔ c(p) ≥ k exactly, and the number of pixels predicted positive at t_k is the
/// suffix sum of the cells k..B. Cell B holds probabilities that saturated to exactly 1.0, so the
/// histogram has B + 1 cells.
/// Positive = "p ≥ threshold", the convention of sklearn's precision_recall_curve.
/// </remarks>
public static class ProbabilityBins
{
    /// <summary>The B + 1 thresholds t_0 = 0 … t_B = 1 as the float32 values the device compares with.</summary>
    public static float[] Thresholds(int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        var t = new float[bins + 1];
        for (int k = 0; k <= bins; k++) t[k] = (float)((double)k / bins);
        return t;
    }

    /// <summary>
    /// The boundaries t_1..t_B as a float32 tensor on <paramref name="device"/>, made there (no upload): k / B in
    /// float64 is correctly rounded on every device and then rounded to float32, exactly as <see cref="Thresholds"/>.
    /// </summary>
    public static Tensor Boundaries(int bins, Device device)
    {
        using var scope = NewDisposeScope();
        using Scalar divisor = bins;
        return ScalarArithmetic.Range(1, bins + 1, ScalarType.Float64, device).div_(divisor).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Cell index c(p) ∈ [0, B] (int64) of each float32 probability in [0, 1], against <see cref="Boundaries"/>.</summary>
    /// <remarks>
    /// For B a power of two, p·B is exact in float32 (a change of exponent) and t_k = k / B is exact, so
    /// ⌊p·B⌋ ≥ k ⇔ p ≥ t_k and the cheap elementwise form is used; other B use a binary search (bucketize).
    /// </remarks>
    public static Tensor CellOf(Tensor probabilities, Tensor boundaries)
    {
        long bins = boundaries.shape[0];
        if (probabilities.dtype == ScalarType.Float32 && (bins & (bins - 1)) == 0)
            return probabilities.Times(bins).floor_().to(ScalarType.Int64);
        return probabilities.bucketize(boundaries, outInt32: false, right: true);
    }

    /// <summary>
    /// Exact counts of the values 0..length−1 of an int64 tensor, as int64, on its device and without a
    /// device-to-host read: one integer scatter-add of 1 per value, the same op on every device. (CUDA's
    /// bincount reads the maximum back to size its output; a float64 histc runs at 1/32–1/64 of the float32
    /// rate on consumer GPUs.) Values must lie in [0, length): the CPU rejects others, CUDA asserts.
    /// </summary>
    public static Tensor CountValues(Tensor values, long length)
    {
        var flat = values.reshape(-1);
        var one = ones(1, dtype: ScalarType.Int64, device: values.device);
        return zeros(length, dtype: ScalarType.Int64, device: values.device).scatter_add_(0, flat, one.expand_as(flat));
    }
}
