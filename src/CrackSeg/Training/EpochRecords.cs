using System.Globalization;
using CrackSeg.Artifacts;
using CrackSeg.Metrics;

namespace CrackSeg.Training;

/// <summary>Turns one epoch's measurements into the tracker record the saver and checkpoints take.</summary>
public static class EpochRecords
{
    public static EpochRecord Create(int epoch, TrainEpochResult train, MetricResult? val, double epochSeconds)
    {
        ValidationMetrics? validation = val is null ? null : new ValidationMetrics(
            Loss: val.Loss ?? throw new InvalidOperationException("validation produced no loss"),
            Iou: val.Iou, F1: val.F1, Precision: val.Precision, Recall: val.Recall, Dice: val.Dice, Accuracy: val.Accuracy);
        return new EpochRecord(epoch, train.TrainLoss, validation, DateTimeOffset.Now, train.LearningRate,
            double.IsFinite(train.GradNorm) ? train.GradNorm : 0.0, epochSeconds, train.SamplesPerSecond);
    }

    public static string Summary(EpochRecord r, bool improved, int totalEpochs)
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{totalEpochs}: train_loss {r.TrainLoss:F4}");
        if (r.Validation is { } v)
            s += string.Create(CultureInfo.InvariantCulture,
                $" val_loss {v.Loss:F4} val_iou {v.Iou:F4} val_f1 {v.F1:F4} (P {v.Precision:F3} R {v.Recall:F3})");
        s += string.Create(CultureInfo.InvariantCulture, $" lr {r.LearningRate:G3} {r.SamplesPerS:F1} img/s {r.EpochTimeS:F1}s");
        return improved ? s + " *best*" : s;
    }
}
