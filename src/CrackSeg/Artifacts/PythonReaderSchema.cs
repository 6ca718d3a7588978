namespace CrackSeg.Artifacts;

/// <summary>
/// What the Python crackseg project's own readers take from an experiment folder beyond the guide
/// (`reporting/data_loader.py`, `reporting/performance/`, `evaluation/visualization/experiment/`,
/// `evaluation/core/model_loader.py` at commit 094ff84). Those readers turn a missing key into 0 or
/// "unknown", so every name here is written by the saver and checked by the verifier and the tests.
/// </summary>
public static class PythonReaderSchema
{
    /// <summary>complete_summary.json's best_&lt;key&gt; values (the best epoch's validation metrics).</summary>
    public static readonly IReadOnlyList<string> BestKeys = ["iou", "f1", "precision", "recall", "dice", "accuracy"];

    /// <summary>complete_summary.json's best_metrics.&lt;key&gt;.{value, epoch}.</summary>
    public static readonly IReadOnlyList<string> BestMetricsKeys = ["loss", "iou", "f1", "precision", "recall", "dice", "accuracy"];

    /// <summary>complete_summary.json's keys for those readers, in the order written (after the guide's keys and the other extras).</summary>
    public static readonly IReadOnlyList<string> SummaryKeys =
        [.. BestKeys.Select(k => "best_" + k), "final_loss", "training_time", "best_metrics", "experiment_info"];

    /// <summary>complete_summary.json's experiment_info keys.</summary>
    public static readonly IReadOnlyList<string> ExperimentInfoKeys = ["total_epochs", "best_epoch", "epochs_completed"];

    /// <summary>
    /// The checkpoints the reporting loader looks up by name (<c>checkpoints/model_best.pth</c>,
    /// <c>checkpoints/model_latest.pth</c>): hard links to <c>checkpoints/best_model.pth</c> and the newest
    /// <c>checkpoints/epoch_&lt;N&gt;.pth</c>.
    /// </summary>
    public const string ModelBestFile = "model_best.pth", ModelLatestFile = "model_latest.pth";

    /// <summary>config.yaml's model.name: the Python model class.</summary>
    public const string ModelClassName = "SwinV2CnnAsppUNet";
}
