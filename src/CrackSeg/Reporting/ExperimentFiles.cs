namespace CrackSeg.Reporting;

/// <summary>
/// Paths inside an experiment folder, relative to its root, as the experiment-data-saving guide
/// and the saver lay them out. The reporting side reads only these.
/// </summary>
public static class ExperimentFiles
{
    public const string CompleteSummary = "metrics/complete_summary.json";
    public const string EpochMetrics = "metrics/metrics.jsonl";
    public const string ValidationMetrics = "metrics/validation_metrics.json";
    public const string TestMetrics = "metrics/test_metrics.json";
    public const string FinalResults = "final_results.yaml";
    public const string Config = "config.yaml";
    public const string TrainingLog = "logs/training.log";
    public const string EvaluationFolder = "evaluation";
    public const string EvaluationMetrics = "evaluation/metrics.json";
    public const string PrCurve = "evaluation/pr_curve.png";
    public const string PerImage = "evaluation/per_image.csv";
    public const string Overlays = "evaluation/overlays";
}

/// <summary>The files of one evaluation folder (evaluation/, or evaluation/&lt;dataset&gt;/ for `evaluate --split all`).</summary>
public static class EvaluationFileNames
{
    public const string Metrics = "metrics.json";
    public const string PrCurve = "pr_curve.png";
    public const string PerImage = "per_image.csv";
    public const string Overlays = "overlays";
}
