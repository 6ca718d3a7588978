using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>What `crackseg train` asks for.</summary>
/// <param name="Config">The resolved config (file + environment + overrides).</param>
/// <param name="Resume">null: new experiment; "": newest folder of experiment.name; a folder; or a .pth file.</param>
/// <param name="ConfigWasGiven">False when only --resume DIR was given: the folder's config.yaml is used.</param>
public sealed record TrainingRequest(CrackSegConfig Config, string? Resume = null, bool ConfigWasGiven = true);

/// <summary>How a run ended.</summary>
public sealed record TrainingOutcome(
    string ExperimentDir,
    int EpochsCompleted,
    int BestEpoch,
    bool EarlyStopped,
    bool Interrupted,
    IReadOnlyList<string> SavedFiles);
