using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

public class ModelKeyListTests
{
    [SkippableFact]
    public void SeedPresetStateDictEqualsThePythonModelKeyList()
    {
        string dir = GoldenFixtures.Require();
        var golden = File.ReadAllLines(Path.Combine(dir, "crackseg_swinv2_cnn_aspp_unet.keys.txt"));

        using var model = new SwinV2CnnAsppUNet(ModelSpec.Resolve(new ModelConfig { Preset = "seed" }, 256));
        var lines = StateDictKeys.Lines(model);
        Assert.Equal(318, golden.Length);
        Assert.Equal(golden, lines);
        Assert.Equal(37_468_465L, model.parameters().Sum(p => p.numel()));

        // Moving the model must neither add non-persistent tables/masks nor lose entries.
        model.to(CPU);
        Assert.Equal(golden, StateDictKeys.Lines(model));
        model.to(ScalarType.Float64);
        var expected64 = golden.Select(l => l.EndsWith("\tfloat32", StringComparison.Ordinal) ? l[..^"float32".Length] + "float64" : l);
        Assert.Equal(expected64, StateDictKeys.Lines(model));
    }

    [SkippableFact]
    public void EncoderKeysEqualTimmFeaturesModelUnderThePrefix()
    {
        string dir = GoldenFixtures.Require();
        var golden = File.ReadAllLines(Path.Combine(dir, "timm_swinv2_tiny_window8_256_features.keys.txt"));
        using var model = new SwinV2CnnAsppUNet(ModelSpec.Resolve(new ModelConfig { Preset = "seed" }, 256));

        Assert.Equal(golden, StateDictKeys.Lines(model.Encoder));
        var prefixed = StateDictKeys.Lines(model).Where(l => l.StartsWith(SwinV2CnnAsppUNet.EncoderPrefix, StringComparison.Ordinal))
            .Select(l => l[SwinV2CnnAsppUNet.EncoderPrefix.Length..]);
        Assert.Equal(golden, prefixed);
    }
}
