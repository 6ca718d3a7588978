using CrackSeg.Models.Swin;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// The hybrid segmentation model: SwinV2 encoder → ASPP → CBAM U-Net decoder (optionally fed by a CNN
/// stem at strides 1 and 2) → 1x1 conv → bilinear to the input size. Input N x 3 x H x W (H, W
/// multiples of 32, ImageNet-normalised); output N x 1 x H x W <b>logits</b> (no sigmoid).
/// With the <c>seed</c> preset the state_dict keys equal the Python crackseg model's.
/// </summary>
public sealed class SwinV2CnnAsppUNet : Module<Tensor, Tensor>
{
    // Field order = state_dict order: encoder, (stem), bottleneck, decoder.
    private readonly KeyScope<KeyScope<SwinV2Encoder>> encoder;
    private readonly CnnStem? stem;
    private readonly AsppBottleneck bottleneck;
    private readonly CbamUNetDecoder decoder;

    /// <summary>Key prefix of the encoder's parameters inside this model.</summary>
    public const string EncoderPrefix = "encoder.encoder.swin.";

    public SwinV2CnnAsppUNet(ModelSpec spec) : base(nameof(SwinV2CnnAsppUNet))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        var swin = new SwinV2Encoder(spec);
        encoder = new KeyScope<KeyScope<SwinV2Encoder>>("encoder", new KeyScope<SwinV2Encoder>("swin", swin));
        stem = spec.HasStem ? new CnnStem(spec.InChannels, spec.StemChannels[0], spec.StemChannels[1]) : null;
        bottleneck = new AsppBottleneck(swin.Channels[^1], spec.AsppChannels, spec.AsppDilations, spec.AsppDropout);

        var skips = new List<int> { swin.Channels[2], swin.Channels[1], swin.Channels[0] };
        if (spec.HasStem) skips.AddRange([spec.StemChannels[1], spec.StemChannels[0]]);
        decoder = new CbamUNetDecoder(spec.AsppChannels, skips, spec.DecoderChannels, spec.CbamReduction);
        RegisterComponents();
    }

    /// <summary>The hyperparameters this model was built from.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The ASPP bottleneck (stride-32 map in, <c>AsppChannels</c> out).</summary>
    public AsppBottleneck Bottleneck => bottleneck;

    /// <summary>The CBAM U-Net decoder and the output layer (keys under <c>decoder.</c>).</summary>
    internal CbamUNetDecoder Decoder => decoder;

    /// <summary>The SwinV2 encoder (keys under <see cref="EncoderPrefix"/>).</summary>
    public SwinV2Encoder Encoder => encoder.Child.Child;

    /// <summary>Logits N x 1 x H x W.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var result = ForwardIntermediates(x);
        return result.Logits.MoveToOuterDisposeScope();
    }

    /// <summary>The forward pass with every intermediate result (see <see cref="ModelIntermediates"/>).</summary>
    public ModelIntermediates ForwardIntermediates(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Spec.InChannels)
            throw new ArgumentException($"Expected an N x {Spec.InChannels} x H x W image batch, got [{string.Join(", ", x.shape)}].");
        if (x.shape[2] % 32 != 0 || x.shape[3] % 32 != 0)
            throw new ArgumentException($"Image height and width must be multiples of 32, got {x.shape[2]} x {x.shape[3]}.");

        using var scope = NewDisposeScope();
        var stages = Encoder.call(x);
        Tensor[] stemFeatures = [];
        var skips = new List<Tensor> { stages[2], stages[1], stages[0] };
        if (stem is not null)
        {
            var (full, half) = stem.Forward(x);
            stemFeatures = [full, half];
            skips.AddRange([half, full]);
        }
        var aspp = bottleneck.call(stages[^1]);
        var (blocks, logits) = decoder.Forward(aspp, skips);
        if (logits.shape[2] != x.shape[2] || logits.shape[3] != x.shape[3])
            logits = F.interpolate(logits, size: [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);

        var result = new ModelIntermediates(stages, stemFeatures, aspp, blocks, logits);
        foreach (var t in stages.Concat(stemFeatures).Concat(blocks).Append(aspp).Append(logits)) t.MoveToOuterDisposeScope();
        return result;
    }
}
