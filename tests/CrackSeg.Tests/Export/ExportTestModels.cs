using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Models;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Export;

/// <summary>Models with every weight and BatchNorm statistic randomised, so that no fold or constant hides behind an init value.</summary>
internal static class ExportTestModels
{
    /// <summary>
    /// <paramref name="preset"/> at <paramref name="imageSize"/> in eval mode, every value drawn from
    /// <paramref name="seed"/> alone (the global generator is neither seeded nor needed): weights N(0, 2/fan_in),
    /// so activations keep their size through the depth as in a trained model (PyTorch's default init shrinks
    /// them until the output is nearly constant); norm scales 1 + N(0, 0.3²); biases, q/v biases N(0, 0.3²);
    /// logit scales ln 10 + N(0, 0.5²) with one head above the ln 100 clamp; BatchNorm means N(0, 0.1²),
    /// variances U(0.5, 1.5).
    /// </summary>
    public static SwinV2CnnAsppUNet Randomised(string preset, int imageSize, long seed) =>
        Randomised(new ModelConfig { Preset = preset }, imageSize, seed);

    /// <summary>As <see cref="Randomised(string, int, long)"/> for a whole `model` section.</summary>
    public static SwinV2CnnAsppUNet Randomised(ModelConfig config, int imageSize, long seed)
    {
        var generator = new Generator((ulong)seed);
        var model = ModelFactory.Create(ModelSpec.Resolve(config, imageSize), generator);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            var noise = randn(p.shape, generator: generator);
            if (name.EndsWith("logit_scale", StringComparison.Ordinal)) p.copy_(noise.mul_(0.5).add_(Math.Log(10)));
            else if (p.dim() >= 2) p.copy_(noise.mul_(Math.Sqrt(2.0 / (p.numel() / p.shape[0]))));
            else if (name.EndsWith(".weight", StringComparison.Ordinal)) p.copy_(noise.mul_(0.3).add_(1.0));
            else p.copy_(noise.mul_(0.3));
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
