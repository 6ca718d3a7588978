using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// `logging.tensorboard: true`: per-epoch scalars and, per validation, a strip of a few validation
/// images (image | ground truth | prediction) as TensorBoard event files under the experiment folder.
/// </summary>
public sealed class TensorBoardLog : IDisposable
{
    private const int PreviewImages = 3;
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];
    private readonly SummaryWriter _writer;

    public TensorBoardLog(string logDir)
    {
        Directory.CreateDirectory(logDir);
        _writer = torch.utils.tensorboard.SummaryWriter(logDir);
    }

    public void WriteEpoch(EpochRecord record, nn.Module<Tensor, Tensor> model, BatchLoader valLoader, int epoch)
    {
        void Scalar(string tag, double? value)
        {
            if (value is double v && double.IsFinite(v)) _writer.add_scalar(tag, (float)v, epoch);
        }
        Scalar("loss/train", record.TrainLoss);
        Scalar("loss/val", record.Validation?.Loss);
        Scalar("val/iou", record.Validation?.Iou);
        Scalar("val/f1", record.Validation?.F1);
        Scalar("val/dice", record.Validation?.Dice);
        Scalar("val/precision", record.Validation?.Precision);
        Scalar("val/recall", record.Validation?.Recall);
        Scalar("val/accuracy", record.Validation?.Accuracy);
        Scalar("train/lr", record.LearningRate);
        Scalar("train/grad_norm", record.GradNorm);
        Scalar("train/samples_per_s", record.SamplesPerS);
        if (record.Validation is not null) WritePredictions(model, valLoader, epoch);
    }

    private void WritePredictions(nn.Module<Tensor, Tensor> model, BatchLoader valLoader, int epoch)
    {
        using var scope = NewDisposeScope();
        using var batch = valLoader.Epoch(epoch, CancellationToken.None).First();
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            int n = (int)Math.Min(PreviewImages, batch.Images.shape[0]);
            var images = batch.Images[..n];
            var probs = sigmoid(model.forward(images));
            var device = images.device;
            var mean = tensor(Mean, device: device).view(1, 3, 1, 1);
            var std = tensor(Std, device: device).view(1, 3, 1, 1);
            using Scalar black = 0, white = 1;
            var rgb = (images * std).Plus(mean).clamp(black, white);
            var truth = batch.Masks[..n].expand(-1, 3, -1, -1);
            var pred = probs.expand(-1, 3, -1, -1);
            // Rows of [image | truth | prediction], stacked vertically: one CHW picture.
            var rows = cat([rgb, truth, pred], dim: 3);
            var strip = cat(Enumerable.Range(0, n).Select(i => rows[i]).ToArray(), dim: 1);
            _writer.add_img("val/predictions", strip.cpu(), epoch);
        }
        if (wasTraining) model.train();
    }

    public void Dispose() { }
}
