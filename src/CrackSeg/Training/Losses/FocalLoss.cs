using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// Sigmoid focal loss (Lin et al. 2017; torchvision's sigmoid_focal_loss), mean over pixels:
/// ℓ = α_t · (1 − p_t)^γ · BCE(x, y), with α_t = α·y + (1 − α)(1 − y) and
/// 1 − p_t = p·(1 − y) + (1 − p)·y. BCE comes from the logits (stable) and 1 − p is sigmoid(−x), not
/// 1 − sigmoid(x), so confident pixels keep their tiny weights instead of rounding to 0 or 1.
/// </summary>
public sealed class FocalLoss : SegmentationLoss
{
    public FocalLoss(double alpha = 0.25, double gamma = 2.0) : base("focal")
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "in [0, 1]");
        if (!(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "≥ 0");
        Alpha = alpha;
        Gamma = gamma;
    }

    public double Alpha { get; }
    public double Gamma { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets)
    {
        var ce = BceLoss.Elementwise(logits, targets, 1.0);
        var oneMinusPt = (sigmoid(logits) * targets.SubtractedFrom(1)).Plus(sigmoid(-logits) * targets);
        var alphaT = targets.Times(2 * Alpha - 1).Plus(1 - Alpha);
        var weighted = Gamma == 0 ? ce : ce * oneMinusPt.Power(Gamma);
        return (weighted * alphaT).mean();
    }

    public override string Describe() => $"focal(alpha={Alpha:G6}, gamma={Gamma:G6})";
}
