using System.Reflection;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Models;

/// <summary>
/// The resolved hyperparameters of one <see cref="SwinV2CnnAsppUNet"/>: a preset with every
/// non-null <see cref="ModelConfig"/> field laid over it, plus the image size the encoder's
/// windows are fixed for. Build one with <see cref="Resolve"/>; <see cref="Validate"/> runs there.
/// </summary>
public sealed record ModelSpec
{
    public required string Preset { get; init; }
    /// <summary>The configured input size (`data.image_size`): fixes each stage's window and shift.</summary>
    public required int ImageSize { get; init; }
    public required int EmbedDim { get; init; }
    public required ValueArray<int> Depths { get; init; }
    public required ValueArray<int> NumHeads { get; init; }
    public required int WindowSize { get; init; }
    public required double DropPathRate { get; init; }
    public required int AsppChannels { get; init; }
    public required ValueArray<int> AsppDilations { get; init; }
    public required double AsppDropout { get; init; }
    /// <summary>Decoder block output channels, deep to shallow: 3 blocks, plus 2 when the stem is on.</summary>
    public required ValueArray<int> DecoderChannels { get; init; }
    public required int CbamReduction { get; init; }
    /// <summary>Stem channels at stride 1 and stride 2; empty = no stem.</summary>
    public required ValueArray<int> StemChannels { get; init; }
    public string? PretrainedEncoder { get; init; }
    /// <summary>Initial crack probability the output bias is set to (see <see cref="ModelConfig.OutputPrior"/>); null = PyTorch's init.</summary>
    public double? OutputPrior { get; init; }

    public int PatchSize { get; init; } = 4;
    public int InChannels { get; init; } = 3;
    public double MlpRatio { get; init; } = 4.0;

    public bool HasStem => StemChannels.Count > 0;
    public int StageCount => Depths.Count;
    /// <summary>Channels of encoder stage <paramref name="stage"/> (C·2^s).</summary>
    public int StageChannels(int stage) => EmbedDim << stage;

    /// <summary>
    /// Window and shift of each stage, fixed from <see cref="ImageSize"/> as timm does: a stage whose
    /// resolution is not larger than the window uses the resolution as window and no shift.
    /// </summary>
    public IReadOnlyList<(int Resolution, int Window, int Shift)> StageWindows()
    {
        var result = new List<(int, int, int)>();
        for (int s = 0; s < StageCount; s++)
        {
            int resolution = ImageSize / PatchSize >> s;
            result.Add(resolution <= WindowSize ? (resolution, resolution, 0) : (resolution, WindowSize, WindowSize / 2));
        }
        return result;
    }

    /// <summary>Preset <c>cfg.Preset</c> overlaid with every non-null field of <paramref name="cfg"/>, validated.</summary>
    /// <exception cref="InputException">A value is out of range or inconsistent (the message names the `model.*` key).</exception>
    public static ModelSpec Resolve(ModelConfig cfg, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var spec = ModelPresets.Get(cfg.Preset, imageSize) with { };
        foreach (var (configField, specField) in SharedFields)
            if (configField.GetValue(cfg) is object value) specField.SetValue(spec, value);
        // A stem switched on or off by override keeps a consistent decoder unless the decoder was set too.
        if (cfg.DecoderChannels is null && cfg.StemChannels is not null)
            spec = spec with { DecoderChannels = ModelPresets.DecoderFor(spec.DecoderChannels, spec.HasStem) };
        spec.Validate();
        return spec;
    }

    /// <summary>
    /// This spec as a fully explicit `model` section: saved in an experiment's config.yaml so the folder
    /// keeps describing its model even if a preset's defaults change later.
    /// </summary>
    public ModelConfig ToConfig()
    {
        var config = new ModelConfig();
        foreach (var (configField, specField) in SharedFields) configField.SetValue(config, specField.GetValue(this));
        return config;
    }

    /// <summary>
    /// Every `model.*` field but `name`, paired by name with the spec property it overrides: the one place that
    /// maps <see cref="ModelConfig"/> to the spec and back, so a new field cannot be resolved but not saved.
    /// </summary>
    private static readonly (PropertyInfo Config, PropertyInfo Spec)[] SharedFields = typeof(ModelConfig).GetProperties()
        .Where(p => p.Name != nameof(ModelConfig.Name))
        .Select(p => (p, typeof(ModelSpec).GetProperty(p.Name)
            ?? throw new InvalidOperationException($"ModelSpec has no {p.Name} for ModelConfig.{p.Name}")))
        .ToArray();

    /// <summary>Checks every field; throws one <see cref="InputException"/> naming the first bad key.</summary>
    public void Validate()
    {
        if (ImageSize < 32 || ImageSize % 32 != 0)
            throw Bad("data.image_size", $"a positive multiple of 32 (the encoder downsamples by 32), got {ImageSize}");
        if (Depths.Count != 4)
            throw Bad("model.depths", $"4 stage depths (strides 4, 8, 16, 32 feed the decoder), got {Depths}");
        if (Depths.Any(d => d < 1))
            throw Bad("model.depths", $"depths >= 1, got {Depths}");
        if (NumHeads.Count != Depths.Count)
            throw Bad("model.num_heads", $"one head count per stage ({Depths.Count}, like model.depths), got {NumHeads}");
        if (EmbedDim < 1)
            throw Bad("model.embed_dim", $"a positive channel count, got {EmbedDim}");
        for (int s = 0; s < NumHeads.Count; s++)
        {
            if (NumHeads[s] < 1 || StageChannels(s) % NumHeads[s] != 0)
                throw Bad("model.num_heads", $"stage {s} has {StageChannels(s)} channels (model.embed_dim {EmbedDim} x 2^{s}), which {NumHeads[s]} heads must divide");
        }
        if (WindowSize < 1)
            throw Bad("model.window_size", $"a window >= 1, got {WindowSize}");
        if (DropPathRate is < 0 or >= 1 || double.IsNaN(DropPathRate))
            throw Bad("model.drop_path_rate", $"a rate in [0, 1), got {DropPathRate}");
        if (AsppChannels < 1)
            throw Bad("model.aspp_channels", $"a positive channel count, got {AsppChannels}");
        if (AsppDilations.Count == 0 || AsppDilations.Any(d => d < 1))
            throw Bad("model.aspp_dilations", $"a non-empty list of dilations >= 1, got {AsppDilations}");
        if (AsppDropout is < 0 or >= 1 || double.IsNaN(AsppDropout))
            throw Bad("model.aspp_dropout", $"a rate in [0, 1), got {AsppDropout}");
        if (StemChannels.Count is not (0 or 2) || StemChannels.Any(c => c < 1))
            throw Bad("model.stem_channels", $"[] (no stem) or two positive channel counts [stride 1, stride 2], got {StemChannels}");
        int blocks = HasStem ? 5 : 3;
        if (DecoderChannels.Count != blocks || DecoderChannels.Any(c => c < 1))
            throw Bad("model.decoder_channels",
                $"{blocks} positive channel counts, deep to shallow ({(HasStem ? "3 encoder skips + 2 stem skips, the stem is on" : "one per encoder skip, the stem is off")}), got {DecoderChannels}");
        if (CbamReduction < 1)
            throw Bad("model.cbam_reduction", $"a reduction >= 1, got {CbamReduction}");
        if (OutputPrior is { } prior && !(prior > 0 && prior < 1))
            throw Bad("model.output_prior", $"a probability in (0, 1) or null (PyTorch's default init), got {prior}");
    }

    private static InputException Bad(string key, string expected) => new($"{key}: expected {expected}.");
}
