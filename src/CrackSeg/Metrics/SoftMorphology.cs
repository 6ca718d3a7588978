using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Metrics;

/// <summary>
/// Soft (differentiable, grey-level) morphology on N×C×H×W tensors from max-pooling, as in clDice
/// (Shit et al., CVPR 2021, "clDice – a novel topology-preserving loss function for tubular structure
/// segmentation"): erosion is a min-pool over the 4-neighbourhood (a plus-shaped 3×3 cross), dilation a
/// 3×3 max-pool. Pixels outside the image are ignored (max-pool pads with −∞), so borders do not erode.
/// On binary masks these are exact binary erosion/dilation.
/// </summary>
public static class SoftMorphology
{
    public static Tensor Erode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var vertical = F.max_pool2d(x.neg(), new long[] { 3, 1 }, new long[] { 1, 1 }, new long[] { 1, 0 }).neg_();
        var horizontal = F.max_pool2d(x.neg(), new long[] { 1, 3 }, new long[] { 1, 1 }, new long[] { 0, 1 }).neg_();
        return minimum(vertical, horizontal).MoveToOuterDisposeScope();
    }

    public static Tensor Dilate(Tensor x) =>
        F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1 });

    public static Tensor Open(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Dilate(Erode(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Iterative soft skeleton: skel = relu(x − open(x)), then for each of <paramref name="iterations"/>
    /// erosions x ← erode(x), δ = relu(x − open(x)), skel += relu(δ − skel·δ). Structures up to about
    /// 2·iterations + 1 pixels thick are fully skeletonised.
    /// </summary>
    public static Tensor Skeleton(Tensor x, int iterations)
    {
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "≥ 0");
        using var scope = NewDisposeScope();
        var skeleton = F.relu(x - Open(x));
        for (int i = 0; i < iterations; i++)
        {
            x = Erode(x);
            var delta = F.relu(x - Open(x));
            skeleton = skeleton.Plus(F.relu(delta - skeleton * delta));
        }
        return skeleton.MoveToOuterDisposeScope();
    }
}
