using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// Soft Dice loss per sample: p = sigmoid(x), D_n = (2·Σ p·y + s) / (Σ p + Σ y + s) over each image,
/// loss = 1 − mean_n D_n. The smoothing s (default 1) keeps empty-target images defined (D = 1 when p ≈ 0).
/// </summary>
public sealed class DiceLoss : SegmentationLoss
{
    public DiceLoss(double smooth = 1.0) : base("dice")
    {
        if (!(smooth >= 0)) throw new ArgumentOutOfRangeException(nameof(smooth), smooth, "≥ 0");
        Smooth = smooth;
    }

    public double Smooth { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets)
    {
        var p = sigmoid(logits);
        var intersection = PerSampleSum(p * targets);
        var sizes = PerSampleSum(p).Plus(PerSampleSum(targets));
        var dice = intersection.Times(2).Plus(Smooth) / sizes.Plus(Smooth);
        return dice.mean().SubtractedFrom(1);
    }

    public override string Describe() => $"dice(smooth={Smooth:G6})";
}
