namespace CrackSeg.Reporting;

/// <summary>
/// One line of metrics/metrics.jsonl: the guide's per-epoch keys plus the saver's extras (lr,
/// grad_norm, epoch_time_s, samples_per_s). Validation values are null on epochs without validation.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double? TrainLoss,
    MetricSet Validation,
    double? LearningRate,
    double? GradNorm,
    double? EpochTimeSeconds,
    double? SamplesPerSecond,
    string? Timestamp)
{
    internal static EpochMetrics Read(JsonFields o)
    {
        int epoch = o.RequiredInt("epoch");
        if (epoch < 0) throw new Common.InputException($"{o.File}: key 'epoch' must be >= 0, found {epoch}");
        return new EpochMetrics(
            epoch,
            o.OptionalNumber("train_loss"),
            new MetricSet(
                o.OptionalNumber("val_precision"), o.OptionalNumber("val_recall"), o.OptionalNumber("val_f1"),
                o.OptionalNumber("val_iou"), o.OptionalNumber("val_dice"), o.OptionalNumber("val_accuracy"),
                o.OptionalNumber("val_loss")),
            o.OptionalNumber("lr") ?? o.OptionalNumber("learning_rate"),
            o.OptionalNumber("grad_norm"),
            o.OptionalNumber("epoch_time_s"),
            o.OptionalNumber("samples_per_s"),
            o.OptionalString("timestamp"));
    }
}
