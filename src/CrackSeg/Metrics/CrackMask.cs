using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Metrics;

/// <summary>
/// The one rule that turns a model's output into a crack mask, for every path that draws or scores one (the metric
/// accumulator, evaluation's tolerance metrics and overlays, predict on TorchSharp and on ONNX Runtime host arrays):
/// a pixel is crack when its probability is at least the threshold, and a NaN probability counts as 0 (background at
/// any threshold above 0).
/// </summary>
/// <remarks>
/// The accumulator's rule (NaN replaced by 0, then <c>&gt;=</c>) was chosen over the bare comparison predict used, so a
/// NaN pixel is the same class in the metrics, the overlays and the predicted mask; at threshold 0, where every pixel
/// is crack, a NaN pixel is crack too, on the tensor and the host path alike.
/// </remarks>
public static class CrackMask
{
    /// <summary>float32 sigmoid of <paramref name="logits"/> with NaN as 0: the probabilities the mask and the histograms read.</summary>
    public static Tensor Probabilities(Tensor logits) => sigmoid(logits.to(ScalarType.Float32)).nan_to_num(0.0);

    /// <summary>The bool mask of <paramref name="logits"/> at <paramref name="threshold"/>.</summary>
    public static Tensor FromLogits(Tensor logits, double threshold)
    {
        using Scalar t = threshold;
        return Probabilities(logits).ge(t);
    }

    /// <summary>The bool mask of <paramref name="probabilities"/> at <paramref name="threshold"/> (NaN is background).</summary>
    public static Tensor FromProbabilities(Tensor probabilities, double threshold)
    {
        using Scalar t = threshold;
        return probabilities.nan_to_num(0.0).ge(t);
    }

    /// <summary>The same rule for one probability on the host (the ONNX Runtime path).</summary>
    public static bool IsCrack(float probability, float threshold) => (float.IsNaN(probability) ? 0f : probability) >= threshold;
}
