using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// One U-Net decoder step (crackseg <c>DecoderBlock</c> keys): bilinear x2 (align_corners = true) →
/// 1x1 <c>up_conv</c> → concat skip → CBAM → conv3x3+BN+ReLU (to 2·out) → conv3x3+BN+ReLU (to out).
/// </summary>
internal sealed class DecoderBlock : Module<Tensor, Tensor, Tensor>
{
    private readonly Conv2d up_conv;
    private readonly Cbam cbam;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;

    public DecoderBlock(int inChannels, int skipChannels, int outChannels, int cbamReduction) : base(nameof(DecoderBlock))
    {
        up_conv = Conv2d(inChannels, outChannels, kernel_size: 1);
        cbam = new Cbam(outChannels + skipChannels, cbamReduction);
        conv1 = Conv2d(outChannels + skipChannels, 2 * outChannels, kernel_size: 3, padding: 1);
        bn1 = BatchNorm2d(2 * outChannels);
        conv2 = Conv2d(2 * outChannels, outChannels, kernel_size: 3, padding: 1);
        bn2 = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor skip)
    {
        using var scope = NewDisposeScope();
        // Upsample to the skip's size: x2 for inputs that are multiples of 32 (align_corners = true
        // takes its scale from the sizes, so this equals Upsample(scale_factor = 2)).
        var upsampled = F.interpolate(x, size: [skip.shape[2], skip.shape[3]], mode: InterpolationMode.Bilinear, align_corners: true);
        var merged = cat([up_conv.call(upsampled), skip], dim: 1);
        var attended = cbam.call(merged);
        var hidden = F.relu(bn1.call(conv1.call(attended)));
        return F.relu(bn2.call(conv2.call(hidden))).MoveToOuterDisposeScope();
    }
}
