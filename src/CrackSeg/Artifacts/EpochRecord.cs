namespace CrackSeg.Artifacts;

/// <summary>
/// Dataset-level validation metrics of one epoch, as the guide names them with a `val_` prefix.
/// All values are finite; an epoch that was not validated has no <see cref="ValidationMetrics"/> at all.
/// </summary>
public sealed record ValidationMetrics(
    double Loss, double Iou, double F1, double Precision, double Recall, double Dice, double Accuracy)
{
    /// <summary>The value for a guide key (`val_iou`, `val_loss`, …); throws for an unknown key.</summary>
    public double this[string key] => key switch
    {
        "val_loss" => Loss,
        "val_iou" => Iou,
        "val_f1" => F1,
        "val_precision" => Precision,
        "val_recall" => Recall,
        "val_dice" => Dice,
        "val_accuracy" => Accuracy,
        _ => throw new ArgumentException($"unknown validation metric '{key}' (expected one of {string.Join(", ", GuideSchema.FinalMetricKeys)})", nameof(key)),
    };
}

/// <summary>
/// One finished epoch as the trainer's tracker hands it to the saver: one line of metrics.jsonl and one
/// entry of a checkpoint's history.
/// <para>
/// An epoch without validation (<c>training.val_every</c> &gt; 1) has <see cref="Validation"/> = null and is
/// written with every `val_*` key present and set to JSON <c>null</c> (Python <c>None</c>, pandas NaN):
/// the keys of a line never change, and no placeholder number is ever written for a value that was not
/// measured.
/// </para>
/// </summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's optimizer steps.</param>
/// <param name="Validation">Validation metrics, or null when this epoch was not validated.</param>
/// <param name="Timestamp">When the epoch finished.</param>
/// <param name="LearningRate">Learning rate at the epoch's last step.</param>
/// <param name="GradNorm">Mean global gradient norm (before clipping) over the epoch's steps.</param>
/// <param name="EpochTimeS">Wall time of the epoch (training + validation), seconds.</param>
/// <param name="SamplesPerS">Training samples per second.</param>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    ValidationMetrics? Validation,
    DateTimeOffset Timestamp,
    double LearningRate,
    double GradNorm,
    double EpochTimeS,
    double SamplesPerS)
{
    /// <summary>The named numbers of this record (guide keys and extras), for validation and checkpoints.</summary>
    internal IEnumerable<(string Key, double? Value)> Numbers()
    {
        yield return ("train_loss", TrainLoss);
        foreach (var key in GuideSchema.EpochValidationKeys) yield return (key, Validation?[key]);
        yield return ("lr", LearningRate);
        yield return ("grad_norm", GradNorm);
        yield return ("epoch_time_s", EpochTimeS);
        yield return ("samples_per_s", SamplesPerS);
    }

    /// <summary>Throws when a number is NaN/Infinity: the saver never writes them, a trainer must not produce them.</summary>
    internal void EnsureFinite()
    {
        foreach (var (key, value) in Numbers())
        {
            if (value is double v && !double.IsFinite(v))
                throw new ArgumentException($"epoch {Epoch}: {key} is {v}; non-finite values are a trainer error and are never written to the experiment folder");
        }
    }
}
