using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>
/// Every intermediate result of one forward pass, for parity tests and inspection. All tensors are
/// NCHW; the caller owns them (they live in the caller's dispose scope).
/// </summary>
/// <param name="EncoderStages">Encoder stage outputs, strides 4, 8, 16, 32.</param>
/// <param name="StemFeatures">Stem outputs at strides 1 and 2 (empty without a stem).</param>
/// <param name="Aspp">The ASPP bottleneck output (stride 32).</param>
/// <param name="DecoderBlocks">Each decoder block's output, deep to shallow.</param>
/// <param name="Logits">N x 1 x H x W logits at the input size.</param>
public sealed record ModelIntermediates(
    IReadOnlyList<Tensor> EncoderStages,
    IReadOnlyList<Tensor> StemFeatures,
    Tensor Aspp,
    IReadOnlyList<Tensor> DecoderBlocks,
    Tensor Logits);
