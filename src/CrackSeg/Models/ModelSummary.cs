using System.Globalization;
using System.Text;
using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Models;

/// <summary>
/// What <c>crackseg model</c> prints: parameter counts per part, the output shape for the configured
/// input size, and (optionally) every state_dict entry as <c>key\tshape\tdtype</c> in PyTorch order.
/// </summary>
public sealed record ModelSummary(
    string Preset,
    int ImageSize,
    long EncoderParameters,
    long StemParameters,
    long BottleneckParameters,
    long DecoderParameters,
    long TotalParameters,
    long[] InputShape,
    long[] OutputShape,
    IReadOnlyList<string> KeyLines)
{
    /// <summary>
    /// Summarises <paramref name="model"/>. The output shape comes from a real forward pass of one
    /// zero image of <paramref name="imageSize"/> (default <c>Spec.ImageSize</c>; eval mode, no grad;
    /// the model's mode is restored).
    /// </summary>
    public static ModelSummary Create(SwinV2CnnAsppUNet model, int? imageSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = model.Spec;
        int size = imageSize ?? spec.ImageSize;
        var counts = new Dictionary<string, long>();
        foreach (var (name, p) in model.named_parameters())
        {
            var part = name.Split('.')[0];
            counts[part] = counts.GetValueOrDefault(part) + p.numel();
        }

        long[] input = [1, spec.InChannels, size, size];
        long[] output;
        bool wasTraining = model.training;
        var anyParameter = model.parameters().First();
        try
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = zeros(input, dtype: anyParameter.dtype, device: anyParameter.device);
            output = model.call(x).shape;
        }
        finally
        {
            model.train(wasTraining);
        }

        return new ModelSummary(spec.Preset, size,
            counts.GetValueOrDefault("encoder"), counts.GetValueOrDefault("stem"),
            counts.GetValueOrDefault("bottleneck"), counts.GetValueOrDefault("decoder"),
            counts.Values.Sum(), input, output, StateDictKeys.Lines(model));
    }

    /// <summary>Human-readable summary (counts and shapes); <paramref name="withKeys"/> appends the key lines.</summary>
    public string Format(bool withKeys)
    {
        var text = new StringBuilder();
        string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        text.AppendLine(CultureInfo.InvariantCulture, $"model: SwinV2CnnAsppUNet (preset {Preset}, image size {ImageSize})");
        text.AppendLine(CultureInfo.InvariantCulture, $"parameters:");
        text.AppendLine(CultureInfo.InvariantCulture, $"  encoder     {N(EncoderParameters),14}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  stem        {N(StemParameters),14}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  bottleneck  {N(BottleneckParameters),14}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  decoder     {N(DecoderParameters),14}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  total       {N(TotalParameters),14}");
        text.AppendLine(CultureInfo.InvariantCulture, $"input:  {StateDictKeys.FormatShape(InputShape)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"output: {StateDictKeys.FormatShape(OutputShape)} (logits)");
        text.AppendLine(CultureInfo.InvariantCulture, $"state_dict entries: {KeyLines.Count}");
        if (withKeys)
            foreach (var line in KeyLines) text.AppendLine(line);
        return text.ToString();
    }
}
