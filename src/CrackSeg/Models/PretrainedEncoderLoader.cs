using System.Text.RegularExpressions;
using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>
/// Loads a timm SwinV2 classifier checkpoint (<c>.safetensors</c> or <c>.pth</c>) into the encoder of a
/// <see cref="SwinV2CnnAsppUNet"/>: <c>layers.N.</c> → <c>encoder.encoder.swin.layers_N.</c>, dropping
/// <c>head.*</c>, the final <c>norm.*</c> and old non-persistent buffers (<c>attn_mask</c>,
/// <c>relative_coords_table</c>, <c>relative_position_index</c>). Original Microsoft checkpoints, which
/// keep each downsample at the end of the previous stage (<c>layers.0.downsample</c> exists), are
/// moved to timm's layout first. Shapes are checked; all problems are reported in one error.
/// </summary>
public static partial class PretrainedEncoderLoader
{
    private const string ConfigKey = "model.pretrained_encoder";

    /// <summary>Reads <paramref name="path"/> and loads every encoder parameter of <paramref name="model"/> from it.</summary>
    /// <exception cref="Common.InputException">Unreadable file, or missing, unexpected or mis-shaped keys.</exception>
    public static void Load(SwinV2CnnAsppUNet model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var checkpoint = StateDictLoader.ReadFile(path, $"{ConfigKey} '{path}'");
        try
        {
            var renamed = ToEncoderKeys(checkpoint, SwinV2CnnAsppUNet.EncoderPrefix);
            StateDictLoader.Load(model, renamed, $"{ConfigKey} '{path}'", SwinV2CnnAsppUNet.EncoderPrefix, requireAll: true);
        }
        finally
        {
            foreach (var t in checkpoint.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The classifier checkpoint's encoder entries under features-model names with <paramref name="prefix"/>
    /// (the tensors are shared, not copied).
    /// </summary>
    public static Dictionary<string, Tensor> ToEncoderKeys(IReadOnlyDictionary<string, Tensor> checkpoint, string prefix)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        bool microsoftLayout = checkpoint.Keys.Any(k => k.StartsWith("layers.0.downsample.", StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in checkpoint)
        {
            if (IsDropped(key)) continue;
            var name = microsoftLayout
                ? MicrosoftDownsample().Replace(key, m => $"layers.{int.Parse(m.Groups[1].Value) + 1}.downsample")
                : key;
            name = StageContainer().Replace(name, "layers_$1.");
            result[prefix + name] = value;
        }
        return result;
    }

    private static bool IsDropped(string key) =>
        key.StartsWith("head.", StringComparison.Ordinal)
        || key.StartsWith("norm.", StringComparison.Ordinal)
        || key.Contains("attn_mask", StringComparison.Ordinal)
        || key.Contains("relative_coords_table", StringComparison.Ordinal)
        || key.Contains("relative_position_index", StringComparison.Ordinal);

    [GeneratedRegex(@"^layers\.(\d+)\.downsample")]
    private static partial Regex MicrosoftDownsample();

    [GeneratedRegex(@"^layers\.(\d+)\.")]
    private static partial Regex StageContainer();
}
