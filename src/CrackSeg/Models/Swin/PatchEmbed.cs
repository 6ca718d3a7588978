using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models.Swin;

/// <summary>timm <c>PatchEmbed</c> with NHWC output: Conv2d(k = s = patch) then LayerNorm.</summary>
internal sealed class PatchEmbed : Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly LayerNorm norm;

    public PatchEmbed(int inChannels, int embedDim, int patchSize) : base(nameof(PatchEmbed))
    {
        proj = Conv2d(inChannels, embedDim, kernel_size: patchSize, stride: patchSize);
        norm = LayerNorm(embedDim, eps: 1e-5);
        RegisterComponents();
    }

    /// <summary>NCHW image in, NHWC tokens out.</summary>
    public override Tensor forward(Tensor x)
    {
        using var projected = proj.call(x);
        using var nhwc = projected.permute(0, 2, 3, 1);
        return norm.call(Float32Math.AtLeastFloat32(nhwc));
    }
}
