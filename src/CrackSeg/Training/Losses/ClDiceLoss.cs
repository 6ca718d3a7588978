using CrackSeg.Common;
using CrackSeg.Metrics;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// Soft clDice loss (Shit et al., CVPR 2021), per sample like <see cref="DiceLoss"/>: with p = sigmoid(x),
/// S_P and S_L the soft skeletons of p and of the target (<see cref="SoftMorphology.Skeleton"/>, the same
/// operator as the clDice metric), Tprec = (Σ S_P·y + s) / (Σ S_P + s), Tsens = (Σ S_L·p + s) / (Σ S_L + s),
/// loss = 1 − mean_n 2·Tprec·Tsens / (Tprec + Tsens). It rewards predictions whose centre lines lie inside the
/// crack and that cover the crack's centre line, so thin cracks weigh as much as wide ones (Dice is dominated
/// by the wide ones' pixels). Only ever an added term (<c>training.loss.cldice_weight</c>): alone it is minimised by a
/// uniformly high prediction, whose soft skeleton is empty (topology precision 1) while it covers every centre line.
/// </summary>
public sealed class ClDiceLoss : SegmentationLoss
{
    public ClDiceLoss(int iterations = 10, double smooth = 1.0) : base("cldice")
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "≥ 1");
        if (!(smooth >= 0)) throw new ArgumentOutOfRangeException(nameof(smooth), smooth, "≥ 0");
        Iterations = iterations;
        Smooth = smooth;
    }

    /// <summary>Soft-skeleton erosions: structures up to about 2·iterations + 1 pixels wide are thinned to a line.</summary>
    public int Iterations { get; }
    public double Smooth { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets)
    {
        var p = sigmoid(logits);
        var predictedSkeleton = SoftMorphology.Skeleton(p, Iterations);
        Tensor targetSkeleton;
        using (no_grad()) targetSkeleton = SoftMorphology.Skeleton(targets, Iterations);
        var precision = Ratio(PerSampleSum(predictedSkeleton * targets), PerSampleSum(predictedSkeleton));
        var sensitivity = Ratio(PerSampleSum(targetSkeleton * p), PerSampleSum(targetSkeleton));
        var clDice = (precision * sensitivity).Times(2) / precision.Plus(sensitivity);
        return clDice.mean().SubtractedFrom(1);
    }

    private Tensor Ratio(Tensor inside, Tensor total) => inside.Plus(Smooth) / total.Plus(Smooth);

    public override string Describe() => $"cldice(iterations={Iterations}, smooth={Smooth:G6})";
}
