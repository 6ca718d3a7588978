using CrackSeg.Config;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>What `crackseg train` asks for.</summary>
/// <param name="Config">The resolved config (file + environment + overrides).</param>
/// <param name="Resume">null: new experiment; "": newest folder of experiment.name; a folder; or a .pth file.</param>
/// <param name="ConfigWasGiven">False when only --resume DIR was given: the folder's config.yaml is used.</param>
public sealed record TrainingRequest(CrackSegConfig Config, string? Resume = null, bool ConfigWasGiven = true)
{
    /// <summary>Crash drills (<c>--stop-after</c>) and tests: stop (as if interrupted) once this many epochs are done.</summary>
    public int? StopAfterEpoch { get; init; }

    /// <summary>Tests: runs before each batch's backward (e.g. to inject a NaN loss).</summary>
    public Func<Tensor, Tensor>? LossHook { get; init; }
}

/// <summary>How a run ended.</summary>
public sealed record TrainingOutcome(
    string ExperimentDir,
    int EpochsCompleted,
    int BestEpoch,
    bool EarlyStopped,
    bool Interrupted,
    IReadOnlyList<string> SavedFiles);
