using CrackSeg.Common;
using CrackSeg.Models;
using CrackSeg.Models.Swin;
using static TorchSharp.torch;

namespace CrackSeg.Export;

/// <summary>
/// Emits the SwinV2 encoder (<see cref="SwinV2Encoder"/>, eval mode) for a fixed square input size. What
/// depends only on weights and size is folded: each block's position bias 16·sigmoid(cpb_mlp(table))
/// gathered to (heads, w², w²), the shifted-window masks of the padded grid, exp(min(logit_scale, ln 100)),
/// and the zero key bias (q, k and v become three MatMuls). Rolls are Slice + Concat (ONNX has no Roll).
/// The size is a multiple of the window period, so no stage pads its windows and PatchMerging never pads.
/// </summary>
internal static class SwinV2Graph
{
    private const float LayerNormEps = 1e-5f;
    /// <summary>F.normalize's floor on the norm.</summary>
    private const float NormalizeEps = 1e-12f;
    private static readonly double MaxLogitScale = Math.Log(100.0);

    /// <summary>Stage outputs (NCHW tensor names, strides 4..32) of a normalised NCHW input of <paramref name="size"/>².</summary>
    public static string[] Emit(OnnxGraph g, SwinV2CnnAsppUNet model, ExportWeights w, string image, int size)
    {
        var spec = model.Spec;
        string prefix = SwinV2CnnAsppUNet.EncoderPrefix;
        g.Scope = "encoder/patch_embed";
        var x = g.Conv(image, w.Named(g, prefix + "patch_embed.proj.weight"), w.Named(g, prefix + "patch_embed.proj.bias"),
            spec.PatchSize, spec.PatchSize, spec.PatchSize, 0, 0, 1);
        x = LayerNorm(g, w, g.Transpose(x, 0, 2, 3, 1), prefix + "patch_embed.norm.");

        using var geometry = new WindowGeometry();
        var masks = new ShiftMasks(g, geometry);
        var outputs = new string[spec.StageCount];
        for (int s = 0; s < spec.StageCount; s++)
        {
            int resolution = size / spec.PatchSize >> s;
            string stage = $"{prefix}layers_{s}.";
            if (s > 0) x = PatchMerging(g, w, x, resolution, spec.StageChannels(s - 1), stage + "downsample.", s);
            var blocks = model.Encoder.Stages[s].Blocks;
            for (int b = 0; b < blocks.Count; b++)
            {
                g.Scope = $"encoder/layers_{s}/blocks_{b}";
                x = Block(g, w, masks, x, blocks[b], resolution, spec.StageChannels(s), spec.NumHeads[s], $"{stage}blocks.{b}.");
            }
            g.Scope = $"encoder/layers_{s}";
            outputs[s] = g.Transpose(x, 0, 3, 1, 2);
        }
        return outputs;
    }

    private static string PatchMerging(OnnxGraph g, ExportWeights w, string x, int resolution, int inChannels, string key, int stage)
    {
        g.Scope = $"encoder/layers_{stage}/downsample";
        // (r0,c0), (r1,c0), (r0,c1), (r1,c1): the torch reshape/permute order of PatchMerging.forward.
        var gathered = g.Reshape(g.Transpose(g.Reshape(x, -1, resolution, 2, resolution, 2, inChannels), 0, 1, 3, 4, 2, 5),
            -1, resolution, resolution, 4 * inChannels);
        return LayerNorm(g, w, g.MatMul(gathered, w.LinearRight(g, key + "reduction.weight")), key + "norm.");
    }

    private static string Block(OnnxGraph g, ExportWeights w, ShiftMasks masks, string x, SwinV2Block block,
        int resolution, int channels, int heads, string key)
    {
        int window = block.Window, shift = block.Shift;
        if (resolution % window != 0)
            throw new InvalidOperationException($"{key}: a {resolution}² map is not whole {window}² windows (the export size must be a multiple of the window period)");
        var shifted = shift > 0 ? Roll(g, x, -shift, resolution) : x;
        int perSide = resolution / window, tokens = window * window;
        var windows = g.Reshape(g.Transpose(g.Reshape(shifted, -1, perSide, window, perSide, window, channels), 0, 1, 3, 2, 4, 5),
            -1, tokens, channels);

        string? mask = shift > 0 ? masks.Get(window, shift, resolution) : null;
        var attended = Attention(g, w, windows, block, channels, heads, tokens, mask, perSide * perSide, key + "attn.");

        var merged = g.Reshape(g.Transpose(g.Reshape(attended, -1, perSide, perSide, window, window, channels), 0, 1, 3, 2, 4, 5),
            -1, resolution, resolution, channels);
        if (shift > 0) merged = Roll(g, merged, shift, resolution);
        x = g.Add(x, LayerNorm(g, w, merged, key + "norm1."));

        var hidden = g.Add(g.MatMul(x, w.LinearRight(g, key + "mlp.fc1.weight")), w.Named(g, key + "mlp.fc1.bias"));
        var mlp = g.Add(g.MatMul(Gelu(g, hidden), w.LinearRight(g, key + "mlp.fc2.weight")), w.Named(g, key + "mlp.fc2.bias"));
        return g.Add(x, LayerNorm(g, w, mlp, key + "norm2."));
    }

    /// <summary>Cosine window attention over (B·nW, T, C) with the folded bias (and mask) of <paramref name="block"/>.</summary>
    private static string Attention(OnnxGraph g, ExportWeights w, string windows, SwinV2Block block, int channels, int heads,
        int tokens, string? mask, int windowCount, string key)
    {
        int headDim = channels / heads;
        var qkv = w.Get(key + "qkv.weight");                                          // 3C, C
        string Project(int part, string? biasKey, string name)
        {
            var right = ExportWeights.Constant(g, key + name + "_weight.T", qkv.narrow(0, part * channels, channels).t());
            var projected = g.MatMul(windows, right);
            if (biasKey is not null) projected = g.Add(projected, w.Named(g, biasKey));
            return g.Transpose(g.Reshape(projected, -1, tokens, heads, headDim), 0, 2, 1, 3);   // B·nW, heads, T, d
        }
        var q = Project(0, key + "q_bias", "q");
        var k = Project(1, null, "k");                                                // timm's key bias is a constant zero
        var v = Project(2, key + "v_bias", "v");

        var scale = w.Get(key + "logit_scale").Clamped(max: MaxLogitScale).exp();    // heads, 1, 1
        var query = g.Mul(Normalize(g, q), ExportWeights.Constant(g, key + "logit_scale.clamped_exp", scale));
        var logits = g.MatMul(query, g.Transpose(Normalize(g, k), 0, 1, 3, 2));       // B·nW, heads, T, T

        using (no_grad())
        {
            var bias = ExportWeights.Constant(g, key + "position_bias", block.Attention.RelativePositionBias(CPU, ScalarType.Float32));
            if (mask is null)
            {
                logits = g.Add(logits, bias);
            }
            else
            {
                // Windows are image-major: (B, nW) views put the per-window mask on the right windows of every image.
                var perImage = g.Add(g.Reshape(logits, -1, windowCount, heads, tokens, tokens), bias);
                var masked = g.Add(perImage, mask);
                logits = g.Reshape(masked, -1, heads, tokens, tokens);
            }
        }
        var attended = g.MatMul(g.Softmax(logits, -1), v);                            // B·nW, heads, T, d
        var merged = g.Reshape(g.Transpose(attended, 0, 2, 1, 3), -1, tokens, channels);
        return g.Add(g.MatMul(merged, w.LinearRight(g, key + "proj.weight")), w.Named(g, key + "proj.bias"));
    }

    /// <summary>x / max(‖x‖₂, eps) over the last axis (F.normalize).</summary>
    private static string Normalize(OnnxGraph g, string x) =>
        g.Div(x, g.Max(g.Reduce("ReduceL2", x, [-1], keepDims: true), g.Scalar(NormalizeEps)));

    /// <summary>Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu op.</summary>
    private static string Gelu(OnnxGraph g, string x) =>
        g.Mul(g.Mul(x, g.Add(g.Erf(g.Div(x, g.Scalar(MathF.Sqrt(2f)))), g.Scalar(1f))), g.Scalar(0.5f));

    private static string LayerNorm(OnnxGraph g, ExportWeights w, string x, string key) =>
        g.LayerNorm(x, w.Named(g, key + "weight"), w.Named(g, key + "bias"), LayerNormEps);

    /// <summary>torch.roll by <paramref name="shift"/> on the two spatial axes of NHWC: out[i] = x[(i − shift) mod n].</summary>
    private static string Roll(OnnxGraph g, string x, int shift, int length)
    {
        int start = ((-shift) % length + length) % length;
        foreach (long axis in new long[] { 1, 2 })
            x = g.Concat(axis, g.Slice(x, axis, start, length), g.Slice(x, axis, 0, start));
        return x;
    }

    /// <summary>One (nW, 1, T, T) mask initializer per (window, shift, map size), shared by the shifted blocks of a stage.</summary>
    private sealed class ShiftMasks(OnnxGraph g, WindowGeometry geometry)
    {
        private readonly Dictionary<(int, int, int), string> _names = new();

        public string Get(int window, int shift, int resolution)
        {
            if (_names.TryGetValue((window, shift, resolution), out var name)) return name;
            using var scope = NewDisposeScope();
            var mask = geometry.ShiftMask(window, shift, resolution, resolution, CPU, ScalarType.Float32).unsqueeze(1);
            name = ExportWeights.Constant(g, $"shift_mask_w{window}_s{shift}_r{resolution}", mask);
            _names[(window, shift, resolution)] = name;
            return name;
        }
    }
}
