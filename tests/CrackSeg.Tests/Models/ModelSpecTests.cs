using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Models;

namespace CrackSeg.Tests.Models;

public class ModelSpecTests
{
    [Theory]
    [InlineData("nano")]
    [InlineData("seed")]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("base")]
    public void EveryPresetResolvesAndValidates(string preset)
    {
        var spec = ModelSpec.Resolve(new ModelConfig { Preset = preset }, 256);
        Assert.Equal(preset, spec.Preset);
        Assert.Equal(preset != "seed", spec.HasStem);
        Assert.Equal(spec.HasStem ? 5 : 3, spec.DecoderChannels.Count);
    }

    [Fact]
    public void SeedPresetIsThePythonExperimentModel()
    {
        var spec = ModelSpec.Resolve(new ModelConfig { Preset = "seed" }, 256);
        Assert.Equal(96, spec.EmbedDim);
        Assert.Equal([2, 2, 6, 2], spec.Depths);
        Assert.Equal([3, 6, 12, 24], spec.NumHeads);
        Assert.Equal(8, spec.WindowSize);
        Assert.Equal(256, spec.AsppChannels);
        Assert.Equal([1, 6, 12, 18], spec.AsppDilations);
        Assert.Equal([128, 64, 32], spec.DecoderChannels);
        Assert.Equal(16, spec.CbamReduction);
        Assert.Empty(spec.StemChannels);
    }

    /// <summary>A `model` section that sets every field away from the tiny preset.</summary>
    private static ModelConfig EveryFieldSet() => new ModelConfig
        {
            Preset = "tiny", EmbedDim = 48, Depths = [1, 1, 3, 1], NumHeads = [2, 4, 8, 16], WindowSize = 16,
            DropPathRate = 0.3, AsppChannels = 128, AsppDilations = [1, 3], AsppDropout = 0.2,
            DecoderChannels = [64, 32, 16, 8, 4], CbamReduction = 8, StemChannels = [4, 8], PretrainedEncoder = "w.safetensors",
            OutputPrior = 0.05,
        };

    [Fact]
    public void EveryNonNullFieldOverridesThePreset()
    {
        var cfg = EveryFieldSet();
        var spec = ModelSpec.Resolve(cfg, 512);
        Assert.Equal((48, 16, 0.3, 128, 0.2, 8, "w.safetensors", 512),
            (spec.EmbedDim, spec.WindowSize, spec.DropPathRate, spec.AsppChannels, spec.AsppDropout, spec.CbamReduction, spec.PretrainedEncoder, spec.ImageSize));
        Assert.Equal([1, 1, 3, 1], spec.Depths);
        Assert.Equal([2, 4, 8, 16], spec.NumHeads);
        Assert.Equal([1, 3], spec.AsppDilations);
        Assert.Equal([64, 32, 16, 8, 4], spec.DecoderChannels);
        Assert.Equal([4, 8], spec.StemChannels);
        Assert.Equal(0.05, spec.OutputPrior);
    }

    [Fact]
    public void ToConfigNamesEveryFieldAndResolvesBackToTheSameSpec()
    {
        var cfg = EveryFieldSet();
        Assert.Equal(cfg, ModelSpec.Resolve(cfg, 512).ToConfig());
        foreach (var preset in OptionNames.Presets)
        {
            var spec = ModelSpec.Resolve(new ModelConfig { Preset = preset }, 256);
            var saved = spec.ToConfig();
            // Optional by design: null means "no pretrained file" and "PyTorch's default output init".
            string[] optional = [nameof(ModelConfig.PretrainedEncoder), nameof(ModelConfig.OutputPrior)];
            foreach (var field in typeof(ModelConfig).GetProperties().Where(p => !optional.Contains(p.Name)))
                Assert.True(field.GetValue(saved) is not null, $"{preset}: model.{field.Name} is not saved");
            Assert.Equal(spec, ModelSpec.Resolve(saved, 256));
        }
    }

    [Fact]
    public void SwitchingTheStemAloneAdaptsTheDecoder()
    {
        var off = ModelSpec.Resolve(new ModelConfig { Preset = "tiny", StemChannels = [] }, 256);
        Assert.Equal([128, 64, 32], off.DecoderChannels);
        var on = ModelSpec.Resolve(new ModelConfig { Preset = "seed", StemChannels = [16, 32] }, 256);
        Assert.Equal([128, 64, 32, 16, 16], on.DecoderChannels);
    }

    [Fact]
    public void WindowsAndShiftsAreFixedFromTheImageSizeAsTimmDoes()
    {
        // timm swinv2 window 8 at 256: stages 0-2 shift by 4, stage 3 (8x8) is one unshifted window.
        var seed = ModelSpec.Resolve(new ModelConfig { Preset = "seed" }, 256).StageWindows();
        Assert.Equal([(64, 8, 4), (32, 8, 4), (16, 8, 4), (8, 8, 0)], seed);
        // The Python project's actual window-16 model at 256: stages 2, 3 clamp to the resolution.
        var w16 = ModelSpec.Resolve(new ModelConfig { Preset = "seed", WindowSize = 16 }, 256).StageWindows();
        Assert.Equal([(64, 16, 8), (32, 16, 8), (16, 16, 0), (8, 8, 0)], w16);
        // The golden small model at 64 px, window 4.
        Assert.Equal([(16, 4, 2), (8, 4, 2), (4, 4, 0), (2, 2, 0)], TestModels.GoldenSwinSmall().StageWindows());
    }

    [Theory]
    [InlineData("model.preset", "huge", null, null, null, 256)]
    [InlineData("data.image_size", "nano", null, null, null, 100)]
    [InlineData("model.num_heads", "nano", 24, new[] { 2, 2, 2, 2 }, new[] { 1, 2, 4 }, 256)]
    [InlineData("model.num_heads", "nano", 24, new[] { 2, 2, 2, 2 }, new[] { 5, 2, 4, 8 }, 256)]
    [InlineData("model.depths", "nano", 24, new[] { 2, 2, 2 }, new[] { 1, 2, 4 }, 256)]
    [InlineData("model.depths", "nano", 24, new[] { 2, 0, 2, 2 }, null, 256)]
    public void InvalidValuesNameTheirKey(string key, string preset, int? embed, int[]? depths, int[]? heads, int imageSize)
    {
        var cfg = new ModelConfig
        {
            Preset = preset, EmbedDim = embed,
            Depths = depths is null ? null : new ValueArray<int>(depths),
            NumHeads = heads is null ? null : new ValueArray<int>(heads),
        };
        var e = Assert.Throws<InputException>(() => ModelSpec.Resolve(cfg, imageSize));
        Assert.StartsWith(key + ":", e.Message);
    }

    [Fact]
    public void InconsistentDecoderStemAndAsppValuesNameTheirKey()
    {
        Assert.StartsWith("model.decoder_channels:", Assert.Throws<InputException>(() =>
            ModelSpec.Resolve(new ModelConfig { Preset = "tiny", DecoderChannels = [128, 64, 32] }, 256)).Message);
        Assert.StartsWith("model.stem_channels:", Assert.Throws<InputException>(() =>
            ModelSpec.Resolve(new ModelConfig { Preset = "tiny", StemChannels = [16] }, 256)).Message);
        Assert.StartsWith("model.aspp_dilations:", Assert.Throws<InputException>(() =>
            ModelSpec.Resolve(new ModelConfig { Preset = "seed", AsppDilations = [] }, 256)).Message);
        Assert.StartsWith("model.drop_path_rate:", Assert.Throws<InputException>(() =>
            ModelSpec.Resolve(new ModelConfig { Preset = "seed", DropPathRate = 1.0 }, 256)).Message);
        foreach (double prior in new[] { 0.0, 1.0, double.NaN })
            Assert.StartsWith("model.output_prior:", Assert.Throws<InputException>(() =>
                ModelSpec.Resolve(new ModelConfig { Preset = "nano", OutputPrior = prior }, 256)).Message);
    }
}
