using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Evaluation;
using CrackSeg.Models;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Export;

/// <summary>
/// The ONNX graph of a <see cref="SwinV2CnnAsppUNet"/> in eval mode at a fixed square size: input
/// <see cref="InputName"/> float32 [N, 3, S, S] RGB in [0, 1] (ImageNet normalisation is the graph's first
/// step), outputs <see cref="LogitsName"/> and <see cref="ProbabilityName"/> (sigmoid) [N, 1, S, S], batch N
/// dynamic. The model's forward is the specification; <c>OnnxParityTests</c> holds the two to 1e-4.
/// </summary>
public static class ModelGraph
{
    public const string InputName = "image";
    public const string ProbabilityName = "probability";
    public const string LogitsName = "logits";
    public const string BatchSymbol = "N";

    /// <summary>The model as an ONNX <see cref="ModelProto"/> (weights copied out to host float32).</summary>
    /// <exception cref="ArgumentException"><paramref name="size"/> is not a multiple of the model's window period.</exception>
    public static ModelProto Build(SwinV2CnnAsppUNet model, int size, int opset, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        int period = TileGrid.WindowPeriod(model.Spec);
        if (size < period || size % period != 0)
            throw new ArgumentException($"size {size} is not a positive multiple of the model's window period {period}", nameof(size));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.state_dict();
        var weights = new ExportWeights(state);
        var graph = new OnnxGraph($"crackseg_{model.Spec.Preset}_{size}");
        var spec = model.Spec;

        var image = graph.Input(InputName, [null, spec.InChannels, size, size], BatchSymbol);
        graph.Scope = "normalise";
        var mean = graph.Constant("imagenet_mean", DeviceAugment.Mean, 1, 3, 1, 1);
        var std = graph.Constant("imagenet_std", DeviceAugment.Std, 1, 3, 1, 1);
        var normalised = graph.Div(graph.Sub(image, mean), std);

        var stages = SwinV2Graph.Emit(graph, model, weights, normalised, size);
        var skips = new List<string> { stages[2], stages[1], stages[0] };
        if (spec.HasStem)
        {
            var (full, half) = DecoderGraph.Stem(graph, weights, normalised);
            skips.AddRange([half, full]);
        }
        var bottleneck = DecoderGraph.Aspp(graph, weights, spec, stages[^1], size / 32);
        var logits = DecoderGraph.Decoder(graph, weights, bottleneck, skips);
        int logitStride = spec.HasStem ? 1 : spec.PatchSize;
        graph.Scope = "head";
        // F.interpolate(align_corners = false) is PyTorch's half-pixel mapping with source positions clamped at 0.
        if (logitStride != 1) logits = graph.ResizeBilinear(logits, logitStride, "pytorch_half_pixel");
        var probability = graph.Sigmoid(logits);
        graph.Output(probability, ProbabilityName, [null, 1, size, size], BatchSymbol);
        graph.Output(logits, LogitsName, [null, 1, size, size], BatchSymbol);
        return graph.ToModel(opset, FrameworkVersions.CrackSeg, metadata);
    }
}
