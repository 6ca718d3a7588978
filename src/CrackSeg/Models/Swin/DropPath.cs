using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Models.Swin;

/// <summary>Stochastic depth (timm <c>drop_path</c>): drops a residual branch per sample while training.</summary>
internal static class DropPath
{
    /// <summary>
    /// <paramref name="x"/> with whole samples zeroed with probability <paramref name="rate"/> and the
    /// rest scaled by 1/(1-rate); the input itself when not training or the rate is 0.
    /// </summary>
    public static Tensor Apply(Tensor x, double rate, bool training)
    {
        if (!training || rate <= 0) return x;
        double keep = 1.0 - rate;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        using var keepMask = empty(shape, dtype: x.dtype, device: x.device).bernoulli_(keep).OverInPlace(keep);
        return x * keepMask;
    }
}
