using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// Binary cross-entropy on logits with a positive-class weight, as PyTorch's
/// <c>binary_cross_entropy_with_logits(pos_weight=w)</c>, mean over all pixels:
/// ℓ = (1 − y)·x + (1 + (w − 1)·y)·softplus(−x), with softplus(−x) = log1p(e^−|x|) + max(−x, 0) (no overflow).
/// </summary>
public sealed class BceLoss : SegmentationLoss
{
    public BceLoss(double posWeight = 1.0) : base("bce")
    {
        if (!(posWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(posWeight), posWeight, "≥ 0");
        PosWeight = posWeight;
    }

    public double PosWeight { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets) => Elementwise(logits, targets, PosWeight).mean();

    /// <summary>Per-pixel BCE (no reduction); also the cross-entropy term of the focal loss.</summary>
    internal static Tensor Elementwise(Tensor x, Tensor y, double posWeight)
    {
        // Out-of-place throughout: autograd keeps some of these intermediates (exp's result, for one).
        var softplusNegX = log1p(exp(-x.abs())).Plus((-x).relu());
        var negativePart = y.SubtractedFrom(1) * x;
        return posWeight == 1.0
            ? negativePart.Plus(softplusNegX)
            : negativePart.Plus(y.Times(posWeight - 1).Plus(1) * softplusNegX);
    }

    public override string Describe() => PosWeight == 1.0 ? "bce" : $"bce(pos_weight={PosWeight:G6})";
}
