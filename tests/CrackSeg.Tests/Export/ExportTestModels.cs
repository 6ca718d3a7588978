using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Models;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Export;

/// <summary>Models with every weight and BatchNorm statistic randomised, so that no fold or constant hides behind an init value.</summary>
internal static class ExportTestModels
{
    /// <summary>
    /// <paramref name="preset"/> at <paramref name="imageSize"/> in eval mode, the same for a seed: every weight drawn
    /// N(0, 2/fan_in), every vector (norms, biases, q/v biases, logit scales) moved by N(0, 0.3²), BatchNorm means N(0, 0.1²), variances U(0.5, 1.5), and one head's logit_scale
    /// above the ln 100 clamp.
    /// </summary>
    public static SwinV2CnnAsppUNet Randomised(string preset, int imageSize, long seed)
    {
        manual_seed(seed);   // the convolutions' init draws from the global generator
        var generator = new Generator((ulong)seed);
        var model = ModelFactory.Create(ModelSpec.Resolve(new ModelConfig { Preset = preset }, imageSize), generator);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            // Weights: He-scaled, so activations keep their size through the depth as in a trained model
            // (PyTorch's default init shrinks them layer by layer until the output is nearly constant).
            double std = p.dim() >= 2 ? Math.Sqrt(2.0 / (p.numel() / p.shape[0])) : 0.3;
            if (p.dim() >= 2) p.copy_(randn(p.shape, generator: generator).mul_(std));
            else p.add_(randn(p.shape, generator: generator).mul_(std));
        }
        foreach (var (name, b) in model.named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) b.copy_(randn(b.shape, generator: generator).mul_(0.1));
            if (name.EndsWith("running_var", StringComparison.Ordinal)) b.copy_(rand(b.shape, generator: generator).add_(0.5));
        }
        var scale = model.named_parameters().First(p => p.name.EndsWith("attn.logit_scale", StringComparison.Ordinal)).parameter;
        scale[0].fill_(5.0);
        model.eval();
        return model;
    }

    /// <summary>[N, 3, S, S] uniform RGB in [0, 1].</summary>
    public static Tensor Images(int batch, int size, long seed) =>
        rand([batch, 3, size, size], generator: new Generator((ulong)seed));

    /// <summary>What the TorchSharp path feeds the model: ImageNet-normalised RGB.</summary>
    public static Tensor Normalise(Tensor rgb01)
    {
        var mean = tensor(DeviceAugment.Mean, [1, 3, 1, 1]);
        var std = tensor(DeviceAugment.Std, [1, 3, 1, 1]);
        return (rgb01 - mean) / std;
    }
}
