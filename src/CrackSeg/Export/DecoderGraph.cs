using CrackSeg.Models;
using static TorchSharp.torch;

namespace CrackSeg.Export;

/// <summary>
/// Emits the convolutional parts of <see cref="SwinV2CnnAsppUNet"/> (eval mode): the CNN stem, the ASPP
/// bottleneck and the CBAM U-Net decoder with its head. BatchNorm is folded into the preceding convolution;
/// ASPP's dilated taps that only ever read zero padding at the export size are dropped, as
/// <see cref="DeadTapConvolution"/> does at run time; dropout is the identity.
/// </summary>
internal static class DecoderGraph
{
    /// <summary>(stride-1, stride-2) stem features of the normalised image.</summary>
    public static (string Full, string Half) Stem(OnnxGraph g, ExportWeights w, string image)
    {
        g.Scope = "stem";
        var full = ConvBnRelu(g, w, ConvBnRelu(g, w, image, "stem.full_res.0.", 3), "stem.full_res.1.", 3);
        var half = ConvBnRelu(g, w, ConvBnRelu(g, w, full, "stem.half_res.0.", 3, stride: 2), "stem.half_res.1.", 3);
        return (full, half);
    }

    /// <summary>ASPP over the stride-32 map of <paramref name="mapSize"/>² pixels.</summary>
    public static string Aspp(OnnxGraph g, ExportWeights w, ModelSpec spec, string x, int mapSize)
    {
        g.Scope = "bottleneck";
        var parts = new List<string>();
        for (int i = 0; i < spec.AsppDilations.Count; i++)
            parts.Add(ConvBnRelu(g, w, x, $"bottleneck.branches.{i}.", 3, dilation: spec.AsppDilations[i], mapSize: mapSize));
        parts.Add(ConvBnRelu(g, w, x, "bottleneck.conv_1x1.", 1));

        // Image pooling: a 1x1 map, so bilinear resizing back is a broadcast (Expand), as in the model.
        var pooled = g.Reduce("ReduceMean", x, [2, 3], keepDims: true);
        var (poolWeight, poolBias) = w.FoldBatchNorm("bottleneck.global_pool.1.", "bottleneck.global_pool.2.");
        var activated = g.Relu(g.Conv(pooled, Constant(g, "bottleneck.global_pool.folded_weight", poolWeight),
            Constant(g, "bottleneck.global_pool.folded_bias", poolBias), 1, 1, 1, 0, 0, 1));
        parts.Add(g.Expand(activated, 1, spec.AsppChannels, mapSize, mapSize));
        return ConvBnRelu(g, w, g.Concat(1, [.. parts]), "bottleneck.project.", 1);
    }

    /// <summary>Every decoder block (skips deep to shallow) and <c>final_conv</c>: the logits at the last skip's stride.</summary>
    public static string Decoder(OnnxGraph g, ExportWeights w, string x, IReadOnlyList<string> skips)
    {
        for (int i = 0; i < skips.Count; i++)
        {
            g.Scope = $"decoder/decoder_blocks_{i}";
            x = Block(g, w, x, skips[i], $"decoder.decoder_blocks.{i}.");
        }
        g.Scope = "decoder/final_conv";
        return g.Conv(x, w.Named(g, "decoder.final_conv.weight"), w.Named(g, "decoder.final_conv.bias"), 1, 1, 1, 0, 0, 1);
    }

    private static string Block(OnnxGraph g, ExportWeights w, string x, string skip, string key)
    {
        // x2 with align_corners = true: the model resizes to the skip's size, which is exactly twice x's here.
        var upsampled = g.ResizeBilinear(x, 2f, "align_corners");
        var merged = g.Concat(1, g.Conv(upsampled, w.Named(g, key + "up_conv.weight"), w.Named(g, key + "up_conv.bias"), 1, 1, 1, 0, 0, 1), skip);
        var attended = SpatialAttention(g, w, ChannelAttention(g, w, merged, key + "cbam.channel_attn.mlp."), key + "cbam.spatial_attn.conv.weight");
        var hidden = FoldedConvRelu(g, w, attended, key + "conv1.", key + "bn1.", 3, 1, 1, 1);
        return FoldedConvRelu(g, w, hidden, key + "conv2.", key + "bn2.", 3, 1, 1, 1);
    }

    /// <summary>The shared bias-free MLP as 1x1 convolutions over the pooled [N, C, 1, 1] vectors.</summary>
    private static string ChannelAttention(OnnxGraph g, ExportWeights w, string x, string key)
    {
        string first = AsPointwise(g, w, key + "0.weight"), second = AsPointwise(g, w, key + "2.weight");
        string Mlp(string pooled) => g.Conv(g.Relu(g.Conv(pooled, first, null, 1, 1, 1, 0, 0, 1)), second, null, 1, 1, 1, 0, 0, 1);
        var weights = g.Sigmoid(g.Add(
            Mlp(g.Reduce("ReduceMean", x, [2, 3], keepDims: true)),
            Mlp(g.Reduce("ReduceMax", x, [2, 3], keepDims: true))));
        return g.Mul(x, weights);
    }

    private static string SpatialAttention(OnnxGraph g, ExportWeights w, string x, string key)
    {
        var pooled = g.Concat(1, g.Reduce("ReduceMean", x, [1], keepDims: true), g.Reduce("ReduceMax", x, [1], keepDims: true));
        return g.Mul(x, g.Sigmoid(g.Conv(pooled, w.Named(g, key), null, 7, 7, 1, 3, 3, 1)));
    }

    private static string AsPointwise(OnnxGraph g, ExportWeights w, string key)
    {
        var weight = w.Get(key);
        return Constant(g, key + ".pointwise", weight.view(weight.shape[0], weight.shape[1], 1, 1));
    }

    /// <summary>
    /// <see cref="ConvBnRelu"/> (keys <c>0</c> conv, <c>1</c> BatchNorm) with BatchNorm folded; a stride-1 dilated
    /// conv on a known <paramref name="mapSize"/> keeps only its live taps.
    /// </summary>
    private static string ConvBnRelu(OnnxGraph g, ExportWeights w, string x, string key, int kernel, int stride = 1, int dilation = 1, int mapSize = 0)
    {
        using var scope = NewDisposeScope();
        var (weight, bias) = w.FoldBatchNorm(key + "0.", key + "1.");
        int centre = (kernel - 1) / 2, radius = centre;
        if (stride == 1 && dilation > 1 && mapSize > 0)
        {
            radius = DeadTapConvolution.LiveRadius(centre, dilation, mapSize);
            weight = weight.narrow(2, centre - radius, 2 * radius + 1).narrow(3, centre - radius, 2 * radius + 1);
        }
        int size = 2 * radius + 1;
        var conv = g.Conv(x, Constant(g, key + "folded_weight", weight), Constant(g, key + "folded_bias", bias),
            size, size, stride, radius * dilation, radius * dilation, radius == 0 ? 1 : dilation);
        return g.Relu(conv);
    }

    private static string FoldedConvRelu(OnnxGraph g, ExportWeights w, string x, string convKey, string bnKey, int kernel, int stride, int pad, int dilation)
    {
        using var scope = NewDisposeScope();
        var (weight, bias) = w.FoldBatchNorm(convKey, bnKey);
        return g.Relu(g.Conv(x, Constant(g, convKey + "folded_weight", weight), Constant(g, convKey + "folded_bias", bias), kernel, kernel, stride, pad, pad, dilation));
    }

    private static string Constant(OnnxGraph g, string name, Tensor t) => ExportWeights.Constant(g, name, t);
}
