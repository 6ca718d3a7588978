using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>
/// The `model` section. `preset` fills every field; a field set here (non-null) overrides the preset.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>
    /// The model class (the Python project's name for it; its reporting module reads `model.name`). One
    /// architecture today, so one allowed value.
    /// </summary>
    [AllowedValues("SwinV2CnnAsppUNet")]
    public string Name { get; init; } = "SwinV2CnnAsppUNet";
    [OneOf(OptionList.Presets)]
    public string Preset { get; init; } = "nano";
    [Range(1, 4096)] public int? EmbedDim { get; init; }
    public ValueArray<int>? Depths { get; init; }
    public ValueArray<int>? NumHeads { get; init; }
    [Range(1, 64)] public int? WindowSize { get; init; }
    [Range(0.0, 1.0)] public double? DropPathRate { get; init; }
    [Range(1, 4096)] public int? AsppChannels { get; init; }
    public ValueArray<int>? AsppDilations { get; init; }
    [Range(0.0, 1.0)] public double? AsppDropout { get; init; }
    /// <summary>Decoder block output channels, deep to shallow (stem blocks included when the stem is on).</summary>
    public ValueArray<int>? DecoderChannels { get; init; }
    [Range(1, 1024)] public int? CbamReduction { get; init; }
    /// <summary>CNN stem channels at stride 1 and 2; an empty list turns the stem off.</summary>
    public ValueArray<int>? StemChannels { get; init; }
    /// <summary>timm SwinV2 classifier checkpoint (.safetensors or .pth) for the encoder.</summary>
    public string? PretrainedEncoder { get; init; }
    /// <summary>
    /// Initial crack probability of every pixel: the output layer's bias starts at logit(p) instead of PyTorch's
    /// near-zero default (p ≈ 0.5), the prior init of RetinaNet (Lin et al. 2017). Null keeps the default.
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)] public double? OutputPrior { get; init; }
}
