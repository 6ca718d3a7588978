using CrackSeg.Config;

namespace CrackSeg.Artifacts;

/// <summary>
/// The key names of the experiment-data-saving guide (../shared/seed/experiment-data-saving-guide.md), in
/// the guide's order. One list for the saver, the verifier and the tests; the guide's keys never change,
/// extras are added after them.
/// </summary>
public static class GuideSchema
{
    /// <summary>final_metrics, final_validation and final_results.yaml.</summary>
    public static readonly IReadOnlyList<string> FinalMetricKeys =
        ["val_precision", "val_recall", "val_f1", "val_iou", "val_dice", "val_accuracy", "val_loss"];

    /// <summary>validation_metrics.json's best_validation, after `epoch`.</summary>
    public static readonly IReadOnlyList<string> BestValidationKeys =
        ["precision", "recall", "f1", "iou", "dice", "accuracy", "loss"];

    /// <summary>The `val_*` keys of a metrics.jsonl line, in the guide's order.</summary>
    public static IReadOnlyList<string> EpochValidationKeys => OptionNames.Monitors;

    /// <summary>A metrics.jsonl line: the guide's keys, then the guide's "future enhancements".</summary>
    public static readonly IReadOnlyList<string> EpochKeys =
        ["epoch", "train_loss", .. EpochValidationKeys, "timestamp", "lr", "grad_norm", "epoch_time_s", "samples_per_s"];

    /// <summary>complete_summary.json's keys as in the guide.</summary>
    public static readonly IReadOnlyList<string> SummaryKeys =
        ["experiment_name", "project_name", "model_type", "dataset", "training_epochs", "batch_size", "learning_rate",
         "final_metrics", "best_epoch", "total_training_time", "timestamp", "hardware_info"];

    /// <summary>complete_summary.json's hardware_info keys as in the guide.</summary>
    public static readonly IReadOnlyList<string> HardwareKeys = ["device", "cuda_available", "gpu_name"];

    /// <summary>The architecture name written as model_type.</summary>
    public const string ModelType = "crackseg.model.SwinV2CnnAsppUNet";

    /// <summary>The unprefixed best_validation name of a `val_*` key.</summary>
    public static string Unprefixed(string valKey) => valKey["val_".Length..];
}
