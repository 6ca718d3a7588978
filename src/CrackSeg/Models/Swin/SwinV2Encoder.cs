using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Models.Swin;

/// <summary>
/// SwinV2 feature encoder with timm's features-model key names (<c>patch_embed.*</c>,
/// <c>layers_N.downsample.*</c>, <c>layers_N.blocks.M.*</c>; no final norm, no head). Returns the
/// output of every stage before any final norm, NCHW, at strides 4, 8, 16, 32 (channels C..8C).
/// </summary>
public sealed class SwinV2Encoder : Module<Tensor, Tensor[]>
{
    private readonly PatchEmbed patch_embed;
    private readonly List<SwinV2Stage> _stages = new();
    private readonly WindowGeometry _geometry = new();

    /// <summary>Builds the encoder of <paramref name="spec"/> (windows fixed for <c>spec.ImageSize</c>).</summary>
    public SwinV2Encoder(ModelSpec spec) : base(nameof(SwinV2Encoder))
    {
        ArgumentNullException.ThrowIfNull(spec);
        patch_embed = new PatchEmbed(spec.InChannels, spec.EmbedDim, spec.PatchSize);
        RegisterComponents();

        var windows = spec.StageWindows();
        var rates = DropPathRates(spec.DropPathRate, spec.Depths);
        for (int s = 0; s < spec.StageCount; s++)
        {
            int inDim = spec.StageChannels(Math.Max(s - 1, 0));
            var stage = new SwinV2Stage(inDim, spec.StageChannels(s), downsampleFirst: s > 0, spec.Depths[s], spec.NumHeads[s],
                windows[s].Window, windows[s].Shift, spec.MlpRatio, rates[s], _geometry);
            _stages.Add(stage);
            // timm's features wrapper flattens `layers.N` into `layers_N`.
            register_module($"layers_{s}", stage);
        }
        Channels = Enumerable.Range(0, spec.StageCount).Select(spec.StageChannels).ToArray();
    }

    /// <summary>Output channels of each stage.</summary>
    public IReadOnlyList<int> Channels { get; }

    internal IReadOnlyList<SwinV2Stage> Stages => _stages;

    /// <summary>
    /// timm's SwinV2 initialisation, in place: every Linear trunc-normal(std 0.02, cut at ±2) with zero bias, drawn
    /// from <paramref name="generator"/> (or the global RNG) in <c>named_modules</c> order, then each block's
    /// res-post-norm init (<see cref="SwinV2Block.InitResPostNorm"/>). Convolutions and norms elsewhere keep
    /// PyTorch's defaults, as in the Python project.
    /// </summary>
    public void InitWeights(Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is not TorchSharp.Modules.Linear linear) continue;
            TruncatedNormal.Fill(linear.weight!, mean: 0, std: 0.02, a: -2, b: 2, generator);
            if (linear.bias is not null) init.zeros_(linear.bias);
        }
        foreach (var stage in _stages)
        foreach (var block in stage.Blocks)
            block.InitResPostNorm();
    }

    /// <summary>Stage outputs NCHW (views of NHWC tensors; convolutions accept them as they are).</summary>
    public override Tensor[] forward(Tensor x)
    {
        var nhwc = ForwardNhwc(x);
        var result = new Tensor[nhwc.Length];
        for (int i = 0; i < nhwc.Length; i++)
        {
            result[i] = nhwc[i].permute(0, 3, 1, 2);
            nhwc[i].Dispose();
        }
        return result;
    }

    /// <summary>Stage outputs in the NHWC layout the blocks work in.</summary>
    public Tensor[] ForwardNhwc(Tensor x)
    {
        using var scope = NewDisposeScope();
        var outputs = new Tensor[_stages.Count];
        var tokens = patch_embed.call(x);
        for (int s = 0; s < _stages.Count; s++)
        {
            tokens = _stages[s].call(tokens);
            outputs[s] = tokens;
        }
        foreach (var output in outputs) output.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>timm's stochastic-depth schedule: linspace(0, rate, Σdepths) split per stage.</summary>
    internal static IReadOnlyList<double[]> DropPathRates(double rate, IReadOnlyList<int> depths)
    {
        int total = depths.Sum();
        var flat = Enumerable.Range(0, total).Select(i => total == 1 ? 0.0 : rate * i / (total - 1)).ToArray();
        var perStage = new List<double[]>();
        int start = 0;
        foreach (var depth in depths)
        {
            perStage.Add(flat[start..(start + depth)]);
            start += depth;
        }
        return perStage;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _geometry.Dispose();
        base.Dispose(disposing);
    }
}
