using System.Collections;
using System.Collections.Specialized;
using CrackSeg.Config;
using CrackSeg.Models;

namespace CrackSeg.Artifacts;

/// <summary>
/// A checkpoint's `config` entry: the Python view of the run's config (our own reader uses `config_yaml`).
/// The Python project's <c>evaluation/core/model_loader.py</c> instantiates <c>config["model"]</c> when it is
/// there, so `model` holds that project's <c>SwinV2CnnAsppUNet</c> block for the one preset it can build
/// (`seed`, key-identical with it) and is left out otherwise, so that its loader falls back to detecting the
/// architecture from the state_dict keys. Every other section is the config as saved.
/// </summary>
internal static class PythonModelConfig
{
    /// <summary>Fields that leave the state_dict's shapes unchanged (dropout rates, where the initial weights came from, the name).</summary>
    private static readonly HashSet<string> NotArchitecture = ["name", "drop_path_rate", "aspp_dropout", "pretrained_encoder", "output_prior"];

    public static OrderedDictionary ConfigDict(string configYaml)
    {
        var config = PickleValues.FromYaml(configYaml) as OrderedDictionary ?? new OrderedDictionary();
        if (config["model"] is not IDictionary model) return config;
        int imageSize = (config["data"] as IDictionary)?["image_size"] is int size ? size : new DataConfig().ImageSize;
        var seed = ModelPresets.Get("seed", imageSize);
        if (IsPreset(model, seed, imageSize))
            config["model"] = SeedBlock(seed, model["aspp_dropout"] is double dropout ? dropout : seed.AsppDropout);
        else
            config.Remove("model");
        return config;
    }

    /// <summary>True when the saved model section builds exactly <paramref name="spec"/>'s architecture.</summary>
    private static bool IsPreset(IDictionary model, ModelSpec spec, int imageSize)
    {
        if (model["preset"] as string != spec.Preset) return false;
        var canonical = (IDictionary)((IDictionary)PickleValues.FromYaml(
            ConfigYaml.Serialize(new CrackSegConfig { Model = spec.ToConfig(), Data = new DataConfig { ImageSize = imageSize } }))!)["model"]!;
        foreach (DictionaryEntry field in canonical)
        {
            string key = (string)field.Key;
            if (!NotArchitecture.Contains(key) && model.Contains(key) && !SameValue(model[key], field.Value)) return false;
        }
        return true;
    }

    private static bool SameValue(object? a, object? b) => (a, b) switch
    {
        (IList x, IList y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => SameValue(x[i], y[i])),
        (int x, double y) => x == y,
        (double x, int y) => x == y,
        _ => Equals(a, b),
    };

    /// <summary>
    /// The Python <c>SwinV2CnnAsppUNet</c> block, as that project's ModelLoader writes it for a SwinV2 hybrid
    /// (<c>_create_swinv2_hybrid_config</c>): encoder adapter, ASPP bottleneck, CBAM CNN decoder.
    /// </summary>
    private static OrderedDictionary SeedBlock(ModelSpec seed, double asppDropout)
    {
        int deepest = seed.StageCount - 1;
        return new OrderedDictionary
        {
            ["_target_"] = "crackseg.model.architectures.swinv2_cnn_aspp_unet.SwinV2CnnAsppUNet",
            ["encoder"] = new OrderedDictionary
            {
                ["_target_"] = "crackseg.model.encoder.swin_v2_adapter.SwinV2EncoderAdapter",
                ["model_name"] = $"swinv2_tiny_window{seed.WindowSize}_256",
                ["img_size"] = seed.ImageSize,
                ["target_img_size"] = seed.ImageSize,
                ["in_channels"] = 3,
            },
            ["bottleneck"] = new OrderedDictionary
            {
                ["_target_"] = "crackseg.model.components.aspp.ASPPModule",
                ["in_channels"] = seed.StageChannels(deepest),
                ["output_channels"] = seed.AsppChannels,
                ["dilation_rates"] = new ArrayList(seed.AsppDilations.ToList()),
                ["dropout_rate"] = PickleValues.Float(asppDropout, "model.aspp_dropout"),
            },
            ["decoder"] = new OrderedDictionary
            {
                ["_target_"] = "crackseg.model.decoder.cnn_decoder.CNNDecoder",
                ["in_channels"] = seed.AsppChannels,
                ["skip_channels_list"] = new ArrayList(Enumerable.Range(0, deepest).Reverse().Select(seed.StageChannels).ToList()),
                ["config"] = new OrderedDictionary
                {
                    ["use_cbam"] = true,
                    ["cbam_reduction"] = seed.CbamReduction,
                    ["upsample_mode"] = "bilinear",
                    ["kernel_size"] = 3,
                    ["padding"] = 1,
                    ["upsample_scale_factor"] = 2,
                },
            },
            ["num_classes"] = 1,
            ["final_activation"] = "sigmoid",
        };
    }
}
