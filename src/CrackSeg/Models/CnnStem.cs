using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// CNN stem on the raw image giving full-resolution and half-resolution skips, so the decoder can end
/// at stride 1 instead of upsampling x4 from stride 4 (cracks are 1–5 px wide). Keys
/// <c>stem.full_res.{0,1}.{0,1}</c> and <c>stem.half_res.{0,1}.{0,1}</c> (conv, BatchNorm).
/// </summary>
internal sealed class CnnStem : Module
{
    private readonly Sequential full_res;
    private readonly Sequential half_res;

    public CnnStem(int inChannels, int fullChannels, int halfChannels) : base(nameof(CnnStem))
    {
        full_res = Sequential(
            new ConvBnRelu(inChannels, fullChannels, kernel: 3),
            new ConvBnRelu(fullChannels, fullChannels, kernel: 3));
        half_res = Sequential(
            new ConvBnRelu(fullChannels, halfChannels, kernel: 3, stride: 2),
            new ConvBnRelu(halfChannels, halfChannels, kernel: 3));
        RegisterComponents();
    }

    /// <summary>(stride-1 features, stride-2 features) of an NCHW image.</summary>
    public (Tensor Full, Tensor Half) Forward(Tensor x)
    {
        var full = full_res.call(x);
        return (full, half_res.call(full));
    }
}
