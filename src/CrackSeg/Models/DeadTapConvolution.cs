using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// A stride-1, "same"-padded dilated convolution that skips the kernel taps which only ever read the zero
/// padding. ASPP runs 3x3 convs with dilations 12 and 18 on the stride-32 map (8x8 at 256²): every tap but
/// the centre lands outside the map for every output pixel, so LibTorch multiplies 8/9 of the weights by
/// zeros. A tap at offset o = (i − c)·d (c = the kernel centre) is dead when |o| ≥ the map size; the live
/// taps are a centred block, so the conv equals one over the narrowed weight with padding r·d. Output and
/// gradients are the same sums without the zero terms (dead taps get exactly zero gradient, as before);
/// only the GEMM's summation order can differ, within float rounding.
/// </summary>
internal static class DeadTapConvolution
{
    /// <summary>The convolution of <paramref name="x"/> (N x C x H x W) by <paramref name="conv"/>, whose kernel is square and odd, stride 1, padding dilation·(k−1)/2.</summary>
    public static Tensor Apply(Conv2d conv, Tensor x, int kernel, int dilation)
    {
        int centre = (kernel - 1) / 2;
        int rows = LiveRadius(centre, dilation, x.shape[2]);
        int cols = LiveRadius(centre, dilation, x.shape[3]);
        if (rows == centre && cols == centre) return conv.call(x);

        using var liveRows = conv.weight!.narrow(2, centre - rows, 2 * rows + 1);
        using var weight = liveRows.narrow(3, centre - cols, 2 * cols + 1);
        return F.conv2d(x, weight, conv.bias, strides: [1, 1], padding: [rows * dilation, cols * dilation], dilation: [dilation, dilation]);
    }

    /// <summary>How many taps on each side of the centre can reach inside a map of <paramref name="size"/> pixels.</summary>
    internal static int LiveRadius(int centre, int dilation, long size) =>
        (int)Math.Min(centre, (size - 1) / dilation);
}
