using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models.Swin;

/// <summary>
/// One encoder stage (timm <c>SwinTransformerV2Stage</c>): optional patch merging at the start,
/// then blocks that alternate unshifted and shifted windows.
/// </summary>
internal sealed class SwinV2Stage : Module<Tensor, Tensor>
{
    private readonly PatchMerging? downsample;
    private readonly ModuleList<SwinV2Block> blocks;

    public SwinV2Stage(int inDim, int outDim, bool downsampleFirst, int depth, int heads, int window, int shift,
        double mlpRatio, IReadOnlyList<double> dropPathRates, WindowGeometry geometry) : base(nameof(SwinV2Stage))
    {
        downsample = downsampleFirst ? new PatchMerging(inDim, outDim) : null;
        blocks = new ModuleList<SwinV2Block>();
        for (int i = 0; i < depth; i++)
            blocks.Add(new SwinV2Block(outDim, heads, window, i % 2 == 0 ? 0 : shift, mlpRatio, dropPathRates[i], geometry));
        RegisterComponents();
    }

    public IReadOnlyList<SwinV2Block> Blocks => blocks.ToList();

    /// <summary>NHWC in, NHWC out.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (downsample is not null) x = downsample.call(x);
        foreach (var block in blocks) x = block.call(x);
        return x.MoveToOuterDisposeScope();
    }
}
