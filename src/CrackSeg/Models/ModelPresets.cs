using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Models;

/// <summary>
/// The named presets of `model.preset`. All share one architecture; they differ in width, depth and
/// whether the CNN stem (full-resolution skips) is on.
/// </summary>
public static class ModelPresets
{
    private static readonly ValueArray<int> StemDefault = [16, 32];
    private static readonly ValueArray<int> SeedDecoder = [128, 64, 32];
    private static readonly ValueArray<int> StemDecoder = [128, 64, 32, 16, 16];

    /// <summary>The preset's spec for <paramref name="imageSize"/> (not yet validated).</summary>
    public static ModelSpec Get(string preset, int imageSize) => preset switch
    {
        // CPU tests and the quickstart: the same architecture at head dim 16, a thin stem and thin
        // full-resolution blocks (0.96 M parameters; a training step at 2 x 256² is ~1.7x cheaper than
        // with embed 24 / stem 8,16, whose full-resolution layers dominate on a CPU).
        "nano" => new ModelSpec
        {
            Preset = "nano", ImageSize = imageSize, EmbedDim = 16, Depths = [2, 2, 2, 2], NumHeads = [1, 2, 4, 8],
            WindowSize = 8, DropPathRate = 0.05, AsppChannels = 48, AsppDilations = [1, 6, 12, 18], AsppDropout = 0.1,
            DecoderChannels = [32, 16, 8, 8, 4], CbamReduction = 4, StemChannels = [4, 8],
        },
        // The crackseg 256 experiment: SwinV2-T window 8, ASPP 256, CBAM decoder, no stem; key-identical.
        "seed" => new ModelSpec
        {
            Preset = "seed", ImageSize = imageSize, EmbedDim = 96, Depths = [2, 2, 6, 2], NumHeads = [3, 6, 12, 24],
            WindowSize = 8, DropPathRate = 0.1, AsppChannels = 256, AsppDilations = [1, 6, 12, 18], AsppDropout = 0.1,
            DecoderChannels = SeedDecoder, CbamReduction = 16, StemChannels = [],
        },
        "tiny" => Get("seed", imageSize) with { Preset = "tiny", DecoderChannels = StemDecoder, StemChannels = StemDefault },
        "small" => Get("tiny", imageSize) with { Preset = "small", Depths = [2, 2, 18, 2], DropPathRate = 0.2 },
        "base" => Get("small", imageSize) with { Preset = "base", EmbedDim = 128, NumHeads = [4, 8, 16, 32] },
        _ => throw new InputException($"model.preset: {OptionNames.Expected(OptionList.Presets)}, got '{preset}'."),
    };

    /// <summary>
    /// Adapts a decoder list when `model.stem_channels` alone switched the stem: adds two blocks at the
    /// last width (stem on) or drops the last two (stem off).
    /// </summary>
    internal static ValueArray<int> DecoderFor(ValueArray<int> decoder, bool hasStem)
    {
        var list = decoder.ToList();
        if (hasStem && list.Count == 3) list.AddRange([Math.Max(1, list[^1] / 2), Math.Max(1, list[^1] / 2)]);
        if (!hasStem && list.Count == 5) list.RemoveRange(3, 2);
        return [.. list];
    }
}
