using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>One pass over the validation loader in eval mode; metrics accumulate on the device.</summary>
public static class Validation
{
    private static readonly Scalar ValidThreshold = 0.5f, CertainBackground = -30f;

    public static MetricResult Run(nn.Module<Tensor, Tensor> model, BatchLoader loader, nn.Module<Tensor, Tensor, Tensor> loss,
        MetricsConfig metrics, Device device, PrecisionMode precision, int epoch, ITrainingProgress progress)
    {
        model.eval();
        progress.ValidationStarted(epoch, loader.BatchesPerEpoch);
        using var accumulator = SegmentationMetricAccumulator.FromConfig(metrics, device);
        using (no_grad())
        {
            foreach (var b in loader.Epoch(epoch, CancellationToken.None))
            {
                using var scope = NewDisposeScope();
                using var _ = b;
                var logits = precision.Logits(model, b.Images, device);
                // Padding (evaluation sizes rounded up to 32) is predicted as certain background, so it
                // never counts as a false positive.
                if (b.Valid is not null) logits = where(b.Valid > ValidThreshold, logits, full_like(logits, CertainBackground));
                accumulator.Update(logits, b.Masks);
                accumulator.AddLoss(loss.forward(logits, b.Masks), (int)b.Images.shape[0]);
            }
        }
        model.train();
        return accumulator.Compute();
    }
}
