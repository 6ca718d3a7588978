using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Models.Swin;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CrackSeg.Tests.Evaluation;

/// <summary>Small models for the tiling tests (random weights, eval mode, seeded).</summary>
internal static class TilingTestModels
{
    /// <summary>
    /// The nano encoder shape at 64 px (windows 8 shifted, 8, 4, 2 at strides 4–32: window period 64 px), but
    /// narrow: the encoder of the local model below.
    /// </summary>
    public static ModelSpec EncoderSpec() => ModelSpec.Resolve(new ModelConfig
    {
        Preset = "nano", EmbedDim = 8, Depths = [2, 2, 2, 2], NumHeads = [1, 1, 2, 2], DropPathRate = 0,
    }, 64);

    /// <summary>
    /// The real architecture (ASPP image pooling, CBAM channel attention, align_corners decoder) made as small as
    /// it goes, for the seam test at 2048².
    /// </summary>
    public static SwinV2CnnAsppUNet TinyHybrid()
    {
        manual_seed(11);
        var spec = ModelSpec.Resolve(new ModelConfig
        {
            Preset = "nano", EmbedDim = 8, Depths = [1, 1, 1, 1], NumHeads = [1, 1, 2, 2], DropPathRate = 0,
            AsppChannels = 8, AsppDilations = [1, 2], DecoderChannels = [8, 8, 4, 4, 4], StemChannels = [4, 4], CbamReduction = 2,
        }, 64);
        var model = ModelFactory.Create(spec);
        Randomise(model, 11);
        model.eval();
        return model;
    }

    /// <param name="globalContext">Add a term from the whole input's mean (image-level context, as ASPP image pooling gives the real model), so tiles disagree.</param>
    public static LocalWindowedModel Local(bool globalContext = false)
    {
        manual_seed(12);
        var model = new LocalWindowedModel(EncoderSpec(), globalContext);
        Randomise(model, 12);
        model.eval();
        return model;
    }

    /// <summary>
    /// Random weights everywhere (timm's init zeroes the post-norm gains, which would make every attention
    /// block an identity and the window partition irrelevant); logit scales keep their init. A generator of
    /// its own: the process-wide one is shared with tests running in parallel.
    /// </summary>
    private static void Randomise(Module model, ulong seed)
    {
        using var _ = no_grad();
        using var generator = new Generator(seed);
        foreach (var (name, p) in model.named_parameters())
            if (!name.EndsWith("logit_scale", StringComparison.Ordinal)) p.normal_(0, 0.3, generator); // not nn.init.normal_: TorchSharp 0.107 ignores its generator
    }
}

/// <summary>
/// The SwinV2 encoder (shifted windows, patch merging) with a purely local head: a 1×1 conv per stage and
/// nearest-neighbour upsampling by the stage's stride. Without global pooling or align_corners resampling, its
/// output at a pixel depends only on a bounded neighbourhood (here ≤ about 100 px) and on where the windows
/// fall, so tiles aligned to the window period must reproduce the whole-image output exactly. With
/// <c>globalContext</c> it adds a term from the mean of its whole input, image-level context as the real model's
/// ASPP image pooling has: then every tile sees a different context and the tiles disagree.
/// </summary>
internal sealed class LocalWindowedModel : Module<Tensor, Tensor>
{
    private readonly SwinV2Encoder encoder;
    private readonly ModuleList<Conv2d> heads;
    private readonly bool _globalContext;

    public LocalWindowedModel(ModelSpec spec, bool globalContext) : base(nameof(LocalWindowedModel))
    {
        Spec = spec;
        _globalContext = globalContext;
        encoder = new SwinV2Encoder(spec);
        heads = new ModuleList<Conv2d>();
        foreach (int channels in encoder.Channels) heads.Add(Conv2d(channels, 1, 1));
        RegisterComponents();
    }

    public ModelSpec Spec { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var stages = encoder.call(x);
        Tensor? sum = null;
        for (int s = 0; s < stages.Length; s++)
        {
            var map = heads[s].call(stages[s]);
            int factor = 1 << s;
            if (factor > 1) map = map.repeat_interleave(factor, 2).repeat_interleave(factor, 3);
            sum = sum is null ? map : sum + map;
        }
        // Context: the input's mean (brightness), which differs from tile to tile of the synthetic image (its
        // shading gradient) by up to ±0.7 logits here; a quieter local map lets that disagreement dominate.
        if (_globalContext) sum = sum!.mul(0.25) + x.mean([1, 2, 3]).mul(4).view(-1, 1, 1, 1);
        return sum!.repeat_interleave(4, 2).repeat_interleave(4, 3).MoveToOuterDisposeScope();
    }
}
