using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>Where a run stands when the saver is called.</summary>
public enum RunStatus
{
    /// <summary>Saved after an epoch; more epochs follow (a crash leaves the folder in this state).</summary>
    Running,
    /// <summary>All configured epochs finished.</summary>
    Completed,
    /// <summary>Early stopping ended the run.</summary>
    EarlyStopped,
    /// <summary>Stopped by the user (Ctrl+C) after a checkpoint; `--resume` continues it.</summary>
    Interrupted,
    /// <summary>Stopped by an error (e.g. too many non-finite steps).</summary>
    Failed,
}

/// <summary>
/// Everything the experiment saver writes, as the trainer knows it after an epoch (the guide's
/// <c>save_experiment_data</c> arguments, fed from the epoch trackers).
/// </summary>
public sealed record ExperimentSnapshot
{
    public required string ExperimentName { get; init; }
    public required string ProjectName { get; init; }
    /// <summary>The architecture (complete_summary's model_type).</summary>
    public string ModelType { get; init; } = GuideSchema.ModelType;
    /// <summary>model.preset (written as the extra key model_preset).</summary>
    public required string ModelPreset { get; init; }
    /// <summary>Number of model parameters.</summary>
    public required long ParameterCount { get; init; }
    /// <summary>The configured data root (the guide's `dataset`).</summary>
    public required string Dataset { get; init; }
    /// <summary>training.epochs as configured (the guide's `training_epochs`).</summary>
    public required int TrainingEpochs { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>training.learning_rate (the peak/base LR).</summary>
    public required double LearningRate { get; init; }
    /// <summary>Every finished epoch so far, 1..N in order (a resumed run passes the checkpoint's history plus its new epochs).</summary>
    public required IReadOnlyList<EpochRecord> Epochs { get; init; }
    /// <summary>The epoch of the best monitored value so far; null until an epoch has been validated.</summary>
    public required int? BestEpoch { get; init; }
    /// <summary>Training wall time in seconds, summed over every session of a resumed run.</summary>
    public required double TotalTrainingTimeS { get; init; }
    public required HardwareSnapshot Hardware { get; init; }
    public required long Seed { get; init; }
    /// <summary>Framework versions, e.g. crackseg, torchsharp, libtorch, dotnet (written in this order).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Versions { get; init; }
    /// <summary>The resolved configuration as YAML text (written verbatim to config.yaml).</summary>
    public required string ConfigYaml { get; init; }
    public RunStatus Status { get; init; } = RunStatus.Running;
    /// <summary>Why early stopping ended the run (with <see cref="RunStatus.EarlyStopped"/>).</summary>
    public string? EarlyStopReason { get; init; }

    /// <summary>The last epoch that has validation metrics (the "final" metrics), or null.</summary>
    public EpochRecord? LastValidated => Epochs.LastOrDefault(e => e.Validation is not null);

    /// <summary>The record of <see cref="BestEpoch"/>, or null.</summary>
    public EpochRecord? Best => BestEpoch is int b ? Epochs.FirstOrDefault(e => e.Epoch == b) : null;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when the snapshot cannot describe a valid folder: epochs not
    /// 1..N, a non-finite number, or a best epoch that was not validated. Each of these is a trainer bug.
    /// </summary>
    public void Validate()
    {
        for (int i = 0; i < Epochs.Count; i++)
        {
            if (Epochs[i].Epoch != i + 1)
                throw new ArgumentException($"epoch records must be 1..N in order without gaps or duplicates; record {i} has epoch {Epochs[i].Epoch}, expected {i + 1}");
            Epochs[i].EnsureFinite();
        }
        foreach (var (what, v) in new[] { ("learning_rate", LearningRate), ("total_training_time", TotalTrainingTimeS) })
            ArtifactFormat.Float(v, what);
        if (BestEpoch is int best && Best?.Validation is null)
            throw new ArgumentException($"best epoch {best} is not a validated epoch among the {Epochs.Count} records");
        if (BestEpoch is null && LastValidated is not null)
            throw new ArgumentException($"epoch {LastValidated.Epoch} was validated but no best epoch is set");
        if (TrainingEpochs < 1 || BatchSize < 1 || ParameterCount < 0)
            throw new ArgumentException("training_epochs and batch_size must be ≥ 1 and the parameter count ≥ 0");
    }
}
