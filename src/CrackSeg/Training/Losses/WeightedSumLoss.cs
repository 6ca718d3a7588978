using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>A composite loss w₁·L₁ + w₂·L₂ (focal_dice, bce_dice).</summary>
public sealed class WeightedSumLoss : SegmentationLoss
{
    private readonly SegmentationLoss primary;
    private readonly SegmentationLoss secondary;

    public WeightedSumLoss(string name, SegmentationLoss primary, double primaryWeight, SegmentationLoss secondary, double secondaryWeight)
        : base(name)
    {
        if (!(primaryWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(primaryWeight), primaryWeight, "≥ 0");
        if (!(secondaryWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(secondaryWeight), secondaryWeight, "≥ 0");
        this.primary = primary;
        this.secondary = secondary;
        PrimaryWeight = primaryWeight;
        SecondaryWeight = secondaryWeight;
        RegisterComponents();
    }

    public SegmentationLoss Primary => primary;
    public SegmentationLoss Secondary => secondary;
    public double PrimaryWeight { get; }
    public double SecondaryWeight { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets) =>
        primary.Compute(logits, targets).Times(PrimaryWeight).Plus(secondary.Compute(logits, targets).Times(SecondaryWeight));

    public override string Describe() =>
        $"{GetName()} = {PrimaryWeight:G6}·{primary.Describe()} + {SecondaryWeight:G6}·{secondary.Describe()}";
}
