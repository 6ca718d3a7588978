using CrackSeg.Config;
using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>Builds the configured model, initialised as the spec says, optionally with pretrained encoder weights.</summary>
public static class ModelFactory
{
    /// <summary>
    /// Resolves <paramref name="cfg"/> for <paramref name="imageSize"/> (`data.image_size`), builds the
    /// model on the CPU in float32, applies timm's encoder init from <paramref name="generator"/> (or the
    /// global RNG: seed it with <c>torch.manual_seed</c> first for reproducible weights) and loads
    /// <c>model.pretrained_encoder</c> when set.
    /// </summary>
    /// <exception cref="Common.InputException">Invalid `model.*` values or an unusable pretrained checkpoint.</exception>
    public static SwinV2CnnAsppUNet Create(ModelConfig cfg, int imageSize, Generator? generator = null) =>
        Create(ModelSpec.Resolve(cfg, imageSize), generator);

    /// <summary>Builds and initialises the model of an already resolved <paramref name="spec"/>.</summary>
    public static SwinV2CnnAsppUNet Create(ModelSpec spec, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var model = new SwinV2CnnAsppUNet(spec);
        try
        {
            model.Encoder.InitWeights(generator);
            if (!string.IsNullOrEmpty(spec.PretrainedEncoder)) PretrainedEncoderLoader.Load(model, spec.PretrainedEncoder);
            if (spec.OutputPrior is { } prior) model.Decoder.InitOutputBias(prior);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
