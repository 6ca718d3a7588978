using CrackSeg.Common;
using CrackSeg.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// An exported model in ONNX Runtime behind the module interface that <see cref="TiledInference"/> and the
/// evaluator call: ImageNet-normalised [B, 3, h, w] tiles in (h, w ≤ the export size S), N×1×h×w logits out
/// on the input's device. The graph normalises itself, so tiles are mapped back to RGB in [0, 1] first; tiles
/// smaller than S are padded with the mean colour (0 after normalisation, as the tiler pads) and the logits cropped.
/// Larger inputs (whole evaluation images) are tiled at S with <see cref="TiledInference"/>; their logits are
/// the logit of the blended probability.
/// </summary>
public sealed class OnnxTileNetwork : nn.Module<Tensor, Tensor>
{
    private readonly OnnxRuntimeModel _onnx;

    public OnnxTileNetwork(OnnxRuntimeModel onnx) : base(nameof(OnnxTileNetwork)) => _onnx = onnx;

    public int Size => _onnx.Size;

    public override Tensor forward(Tensor normalised)
    {
        if (normalised.dim() != 4 || normalised.shape[1] != 3)
            throw new ArgumentException($"expected normalised images [B, 3, H, W], got [{string.Join(", ", normalised.shape)}]");
        if (normalised.shape[2] > Size || normalised.shape[3] > Size) return Tiled(normalised);
        long batch = normalised.shape[0], height = normalised.shape[2], width = normalised.shape[3];
        using var scope = NewDisposeScope();
        var padded = height == Size && width == Size
            ? normalised
            : nn.functional.pad(normalised, [0, Size - width, 0, Size - height]);
        var mean = tensor(DeviceAugment.Mean, [1, 3, 1, 1], device: normalised.device);
        var std = tensor(DeviceAugment.Std, [1, 3, 1, 1], device: normalised.device);
        var rgb01 = (padded.to(ScalarType.Float32) * std).Plus(mean).cpu().contiguous();
        var (logits, _) = _onnx.Run(rgb01.data<float>().ToArray(), (int)batch);
        var result = tensor(logits, [batch, 1, Size, Size]).to(normalised.device);
        if (height != Size || width != Size) result = result.narrow(2, 0, height).narrow(3, 0, width).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    private Tensor Tiled(Tensor normalised)
    {
        using var scope = NewDisposeScope();
        var tiler = new TiledInference(this, Size, Math.Min(64, Size / 2));
        var logits = new Tensor[normalised.shape[0]];
        for (int i = 0; i < logits.Length; i++)
        {
            var probability = tiler.Probabilities(normalised[i]).Clamped(1e-7, 1 - 1e-7);
            logits[i] = probability.logit().unsqueeze(0).unsqueeze(0);
        }
        return cat(logits, 0).MoveToOuterDisposeScope();
    }
}
