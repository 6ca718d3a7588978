using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// Tversky loss per sample (Salehi et al. 2017): p = sigmoid(x), TP = Σ p·y, FP = Σ p·(1 − y),
/// FN = Σ (1 − p)·y, TI_n = (TP + s) / (TP + α·FP + β·FN + s), loss = 1 − mean_n TI_n. α weighs false
/// positives and β false negatives (smp's convention); β &gt; α favours recall of thin cracks.
/// α = β = 0.5 is the Dice loss with twice the smoothing.
/// </summary>
public sealed class TverskyLoss : SegmentationLoss
{
    public TverskyLoss(double alpha = 0.3, double beta = 0.7, double smooth = 1.0) : base("tversky")
    {
        if (!(alpha >= 0)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "≥ 0");
        if (!(beta >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "≥ 0");
        if (!(smooth >= 0)) throw new ArgumentOutOfRangeException(nameof(smooth), smooth, "≥ 0");
        Alpha = alpha;
        Beta = beta;
        Smooth = smooth;
    }

    public double Alpha { get; }
    public double Beta { get; }
    public double Smooth { get; }

    protected internal override Tensor Compute(Tensor logits, Tensor targets)
    {
        var p = sigmoid(logits);
        var tp = PerSampleSum(p * targets);
        var fp = PerSampleSum(p * targets.SubtractedFrom(1));
        var fn = PerSampleSum(p.SubtractedFrom(1) * targets);
        var index = tp.Plus(Smooth) / tp.Plus(fp.Times(Alpha)).Plus(fn.Times(Beta)).Plus(Smooth);
        return index.mean().SubtractedFrom(1);
    }

    public override string Describe() => $"tversky(alpha={Alpha:G6}, beta={Beta:G6}, smooth={Smooth:G6})";
}
