using CrackSeg.Common.Precision;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// A trained model's forward under a precision mode's autocast, returning float32 logits (so thresholds, sigmoid
/// and metrics see the same dtype in every mode). A thin wrapper: the model is borrowed, not owned or registered.
/// </summary>
internal sealed class AutocastInference : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly PrecisionMode _precision;
    private readonly Device _device;

    public AutocastInference(nn.Module<Tensor, Tensor> model, PrecisionMode precision, Device device) : base("autocast_inference")
    {
        _model = model;
        _precision = precision;
        _device = device;
    }

    public override Tensor forward(Tensor images) => _precision.Logits(_model, images, _device);
}
