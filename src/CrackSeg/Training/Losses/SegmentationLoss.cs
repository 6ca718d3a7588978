using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training.Losses;

/// <summary>
/// A binary segmentation loss on logits: <c>forward(logits, targets)</c> with both N×1×H×W (targets 0/1,
/// soft targets allowed where the formula allows them) returns a scalar mean. Computed in float32 whatever
/// the logits' dtype (bf16 compute stays out of the loss). Parameter-free.
/// </summary>
public abstract class SegmentationLoss : nn.Module<Tensor, Tensor, Tensor>
{
    protected SegmentationLoss(string name) : base(name) { }

    public sealed override Tensor forward(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 4 || logits.shape[1] != 1)
            throw new ArgumentException($"logits must be N×1×H×W (got [{string.Join(", ", logits.shape)}])", nameof(logits));
        if (!logits.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"targets [{string.Join(", ", targets.shape)}] must have the shape of the logits [{string.Join(", ", logits.shape)}]", nameof(targets));
        using var scope = NewDisposeScope();
        var loss = Compute(logits.to(ScalarType.Float32), targets.to(ScalarType.Float32));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The loss on float32 logits and targets of validated shape; returns a scalar.</summary>
    protected internal abstract Tensor Compute(Tensor logits, Tensor targets);

    /// <summary>Human-readable formula with its parameters, for the run log.</summary>
    public abstract string Describe();

    public override string ToString() => Describe();

    /// <summary>Per-sample sums over C×H×W: [N].</summary>
    protected static Tensor PerSampleSum(Tensor t) => t.reshape(t.shape[0], -1).sum(1);
}
