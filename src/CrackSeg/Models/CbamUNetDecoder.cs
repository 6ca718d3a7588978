using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// The decoder (crackseg <c>CNNDecoder</c> keys <c>decoder_blocks.K.*</c>, <c>final_conv</c>): one
/// <see cref="DecoderBlock"/> per skip, deep to shallow, then a 1x1 conv to one logit channel.
/// </summary>
internal sealed class CbamUNetDecoder : Module
{
    private readonly ModuleList<DecoderBlock> decoder_blocks;
    private readonly Conv2d final_conv;

    /// <param name="inChannels">Bottleneck (ASPP) channels.</param>
    /// <param name="skipChannels">Skip channels, deep to shallow.</param>
    /// <param name="outChannels">Block output channels, deep to shallow (one per skip).</param>
    public CbamUNetDecoder(int inChannels, IReadOnlyList<int> skipChannels, IReadOnlyList<int> outChannels, int cbamReduction)
        : base(nameof(CbamUNetDecoder))
    {
        decoder_blocks = new ModuleList<DecoderBlock>();
        int channels = inChannels;
        for (int i = 0; i < skipChannels.Count; i++)
        {
            decoder_blocks.Add(new DecoderBlock(channels, skipChannels[i], outChannels[i], cbamReduction));
            channels = outChannels[i];
        }
        final_conv = Conv2d(channels, 1, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>
    /// Sets the output bias to logit(<paramref name="prior"/>), so every pixel starts at crack probability
    /// <paramref name="prior"/>. Why: cracks are a few percent of the pixels, and from PyTorch's default (p ≈ 0.5)
    /// Adam moves this bias by about the learning rate per step, so the first epochs are spent learning
    /// "background" instead of crack shapes (RetinaNet's prior init, Lin et al. 2017).
    /// </summary>
    public void InitOutputBias(double prior)
    {
        using var _ = no_grad();
        using Scalar logit = Math.Log(prior / (1 - prior));
        final_conv.bias!.fill_(logit);
    }

    /// <summary>Runs every block; returns each block's output (deep to shallow) and the 1-channel logits.</summary>
    public (Tensor[] Blocks, Tensor Logits) Forward(Tensor bottleneck, IReadOnlyList<Tensor> skips)
    {
        using var scope = NewDisposeScope();
        var outputs = new Tensor[decoder_blocks.Count];
        var x = bottleneck;
        for (int i = 0; i < decoder_blocks.Count; i++)
        {
            x = decoder_blocks[i].call(x, skips[i]);
            outputs[i] = x;
        }
        var logits = final_conv.call(x);
        foreach (var o in outputs) o.MoveToOuterDisposeScope();
        return (outputs, logits.MoveToOuterDisposeScope());
    }
}
