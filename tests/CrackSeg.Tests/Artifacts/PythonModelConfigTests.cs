using System.Collections;
using CrackSeg.Artifacts;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Tests.TestSupport;
using TorchSharp.PyBridge;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// A checkpoint's `config` entry is the Python view: for the seed preset its `model` is the block that the
/// Python project's ModelLoader instantiates; for other presets there is no `model`, so that loader detects
/// the architecture from the keys. Our own reader keeps using `config_yaml`.
/// </summary>
public class PythonModelConfigTests
{
    /// <summary>The config.yaml a run saves: the model section resolved to every field, as TrainingRun writes it.</summary>
    private static string SavedYaml(params string[] overrides)
    {
        var config = ConfigLoader.Load(null, overrides, new Dictionary<string, string>());
        config = config with { Model = ModelSpec.Resolve(config.Model, config.Data.ImageSize).ToConfig() };
        return ConfigYaml.Serialize(config);
    }

    private static Hashtable RawCheckpoint(string configYaml, TempDir tmp)
    {
        string path = Path.Combine(tmp.Path, "c.pth");
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        TrainStep(net, opt, 1);
        var checkpoint = CheckpointOf(net, opt, Records(1), 1);
        CheckpointStore.Save(path, new Checkpoint
        {
            Epoch = checkpoint.Epoch, GlobalStep = checkpoint.GlobalStep, ModelState = checkpoint.ModelState,
            OptimizerState = checkpoint.OptimizerState, ConfigYaml = configYaml, Seed = 7, History = checkpoint.History,
        });
        using (var ours = CheckpointStore.Load(path)) Assert.Equal(configYaml, ours.ConfigYaml);
        using var stream = File.OpenRead(path);
        return PyTorchUnpickler.UnpickleStateDict(stream);
    }

    private static IDictionary Dict(object? o) => Assert.IsAssignableFrom<IDictionary>(o);
    private static List<int> Ints(object? o) => Assert.IsAssignableFrom<IList>(o).Cast<int>().ToList();

    [Fact]
    public void TheSeedPresetCarriesThePythonModelBlock()
    {
        using var tmp = new TempDir();
        var raw = RawCheckpoint(SavedYaml("model.preset=seed", "data.image_size=384", "model.aspp_dropout=0.2"), tmp);
        var config = Dict(raw["config"]);
        var model = Dict(config["model"]);

        Assert.Equal("crackseg.model.architectures.swinv2_cnn_aspp_unet.SwinV2CnnAsppUNet", model["_target_"]);
        string[] keys = ["_target_", "encoder", "bottleneck", "decoder", "num_classes", "final_activation"];
        Assert.Equal(keys.Order(), model.Keys.Cast<string>().Order()); // the unpickler's dicts are unordered
        Assert.Equal(1, model["num_classes"]);
        Assert.Equal("sigmoid", model["final_activation"]);

        var encoder = Dict(model["encoder"]);
        Assert.Equal("crackseg.model.encoder.swin_v2_adapter.SwinV2EncoderAdapter", encoder["_target_"]);
        Assert.Equal("swinv2_tiny_window8_256", encoder["model_name"]);
        Assert.Equal(384, encoder["img_size"]);
        Assert.Equal(384, encoder["target_img_size"]);
        Assert.Equal(3, encoder["in_channels"]);
        Assert.Equal(5, encoder.Count);

        var bottleneck = Dict(model["bottleneck"]);
        Assert.Equal("crackseg.model.components.aspp.ASPPModule", bottleneck["_target_"]);
        Assert.Equal(768, bottleneck["in_channels"]);
        Assert.Equal(256, bottleneck["output_channels"]);
        Assert.Equal([1, 6, 12, 18], Ints(bottleneck["dilation_rates"]));
        Assert.Equal(0.2, bottleneck["dropout_rate"]);
        Assert.Equal(5, bottleneck.Count);

        var decoder = Dict(model["decoder"]);
        Assert.Equal("crackseg.model.decoder.cnn_decoder.CNNDecoder", decoder["_target_"]);
        Assert.Equal(256, decoder["in_channels"]);
        Assert.Equal([384, 192, 96], Ints(decoder["skip_channels_list"]));
        var block = Dict(decoder["config"]);
        Assert.Equal(true, block["use_cbam"]);
        Assert.Equal(16, block["cbam_reduction"]);
        Assert.Equal("bilinear", block["upsample_mode"]);
        Assert.Equal(3, block["kernel_size"]);
        Assert.Equal(1, block["padding"]);
        Assert.Equal(2, block["upsample_scale_factor"]);
        Assert.Equal(4, decoder.Count);

        // The other sections stay as saved.
        Assert.Equal(384, Dict(config["data"])["image_size"]);
        Assert.Equal("experiment", Dict(config["experiment"])["name"]);
    }

    [Theory]
    [InlineData("model.preset=nano")]
    [InlineData("model.preset=tiny")]
    [InlineData("model.preset=seed", "model.aspp_channels=128")]
    [InlineData("model.preset=seed", "model.window_size=16")]
    [InlineData("model.preset=seed", "model.stem_channels=[8,16]")]
    public void OtherArchitecturesLeaveModelOutForKeyDetection(params string[] overrides)
    {
        using var tmp = new TempDir();
        var config = Dict(RawCheckpoint(SavedYaml(overrides), tmp)["config"]);
        Assert.False(config.Contains("model"));
        Assert.True(config.Contains("training"));
    }

    [Fact]
    public void AnUnresolvedSeedSectionCountsAsTheSeed()
    {
        var config = PythonModelConfig.ConfigDict("model:\n  preset: seed\n");
        Assert.Equal(256, Dict(Dict(Dict(config["model"])["encoder"]))["img_size"]);
    }
}
