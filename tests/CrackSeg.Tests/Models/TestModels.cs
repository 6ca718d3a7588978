using CrackSeg.Config;
using CrackSeg.Models;

namespace CrackSeg.Tests.Models;

/// <summary>Specs of the golden fixtures and small models for fast tests.</summary>
internal static class TestModels
{
    /// <summary>golden swinv2_small: embed 12, depths 2,2,2,2, heads 1,2,4,8, window 4, built at 64 px.</summary>
    public static ModelSpec GoldenSwinSmall() => ModelPresets.Get("seed", 64) with
    {
        Preset = "golden-small", EmbedDim = 12, Depths = [2, 2, 2, 2], NumHeads = [1, 2, 4, 8], WindowSize = 4,
        DropPathRate = 0, AsppChannels = 32, AsppDropout = 0.1, DecoderChannels = [16, 8, 4], CbamReduction = 4,
        StemChannels = [],
    };

    /// <summary>The nano preset at a small image size (fast on CPU).</summary>
    public static ModelSpec Nano(int imageSize = 64, double? dropPath = null, double? asppDropout = null) =>
        ModelSpec.Resolve(new ModelConfig { Preset = "nano", DropPathRate = dropPath, AsppDropout = asppDropout }, imageSize);
}
