using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>
/// PyTorch's <c>nn.init.trunc_normal_</c> (inverse-CDF method). TorchSharp 0.107's
/// <c>init.trunc_normal_</c> is unusable: it fills the tensor with the constant <c>std</c>
/// (verified: mean 0.02, standard deviation 0 for std = 0.02), which collapses every LayerNorm
/// after a Linear to zero.
/// </summary>
public static class TruncatedNormal
{
    /// <summary>
    /// Fills <paramref name="tensor"/> in place with N(<paramref name="mean"/>, <paramref name="std"/>²)
    /// truncated to [<paramref name="a"/>, <paramref name="b"/>] (absolute bounds, as PyTorch's).
    /// </summary>
    public static Tensor Fill(Tensor tensor, double mean, double std, double a, double b, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        double lower = NormalCdf((a - mean) / std), upper = NormalCdf((b - mean) / std);
        using var _ = no_grad();
        tensor.uniform_(2 * lower - 1, 2 * upper - 1, generator);
        tensor.erfinv_();
        tensor.TimesInPlace(std * Math.Sqrt(2.0));
        tensor.PlusInPlace(mean);
        tensor.ClampedInPlace(a, b);
        return tensor;
    }

    private static double NormalCdf(double x)
    {
        using var t = torch.tensor(x / Math.Sqrt(2.0), dtype: ScalarType.Float64);
        using var erf = t.erf();
        return (1.0 + erf.item<double>()) / 2.0;
    }
}
