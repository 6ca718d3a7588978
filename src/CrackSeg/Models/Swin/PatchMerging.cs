using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models.Swin;

/// <summary>
/// SwinV2 patch merging: pad H, W to even, concatenate each 2x2 neighbourhood in the order
/// (r0,c0), (r1,c0), (r0,c1), (r1,c1), reduce 4C→2C without bias, then LayerNorm (V2: norm last).
/// </summary>
internal sealed class PatchMerging : Module<Tensor, Tensor>
{
    private readonly Linear reduction;
    private readonly LayerNorm norm;

    public PatchMerging(int dim, int outDim) : base(nameof(PatchMerging))
    {
        reduction = Linear(4 * dim, outDim, hasBias: false);
        norm = LayerNorm(outDim, eps: 1e-5);
        RegisterComponents();
    }

    /// <summary>NHWC in, NHWC out at half the resolution (rounded up).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], height = x.shape[1], width = x.shape[2], channels = x.shape[3];
        if (height % 2 == 1 || width % 2 == 1)
        {
            x = F.pad(x, [0, 0, 0, width % 2, 0, height % 2]);
            height += height % 2;
            width += width % 2;
        }
        var gathered = x.reshape(batch, height / 2, 2, width / 2, 2, channels)
            .permute(0, 1, 3, 4, 2, 5)
            .flatten(3);
        return norm.call(Float32Math.AtLeastFloat32(reduction.call(gathered))).MoveToOuterDisposeScope();
    }
}
