using CrackSeg.Models.Swin;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models;

/// <summary>
/// timm's SwinV2 initialisation of the encoder: every Linear trunc-normal(std 0.02, cut at ±2) with
/// zero bias, <c>logit_scale</c> = ln 10, q/v biases 0, and every block's <c>norm1</c>/<c>norm2</c>
/// weight and bias 0 (res-post-norm starts each residual branch switched off). Convolutions and
/// BatchNorm elsewhere keep PyTorch's defaults, as in the Python project.
/// </summary>
public static class ModelInit
{
    /// <summary>Re-initialises <paramref name="encoder"/> in place from <paramref name="generator"/> (or the global RNG).</summary>
    public static void InitEncoder(SwinV2Encoder encoder, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        using var _ = no_grad();
        foreach (var (_, module) in encoder.named_modules())
        {
            if (module is Linear linear)
            {
                TruncatedNormal.Fill(linear.weight!, mean: 0, std: 0.02, a: -2, b: 2, generator);
                if (linear.bias is not null) init.zeros_(linear.bias);
            }
        }
        foreach (var stage in encoder.Stages)
        foreach (var block in stage.Blocks)
        {
            block.Attention.ResetScalars();
            foreach (var norm in new[] { block.Norm1, block.Norm2 })
            {
                init.zeros_(norm.weight!);
                init.zeros_(norm.bias!);
            }
        }
    }
}
