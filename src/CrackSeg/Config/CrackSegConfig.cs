namespace CrackSeg.Config;

/// <summary>The whole resolved configuration of one run. Immutable; produce variants with `with`.</summary>
public sealed record CrackSegConfig
{
    public ExperimentConfig Experiment { get; init; } = new();
    public DataConfig Data { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public TrainingConfig Training { get; init; } = new();
    public MetricsConfig Metrics { get; init; } = new();
    public LoggingConfig Logging { get; init; } = new();
}
