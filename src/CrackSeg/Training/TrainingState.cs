using CrackSeg.Artifacts;

namespace CrackSeg.Training;

/// <summary>
/// Everything about a run's progress that a checkpoint must carry for an exact resume, besides
/// the model and optimizer: position, history, early stopping, plateau and elapsed time.
/// </summary>
public sealed class TrainingState
{
    /// <summary>Last fully finished epoch (0 before the first).</summary>
    public int Epoch { get; set; }
    /// <summary>Optimizer steps taken so far; the LR is a closed-form function of it.</summary>
    public long GlobalStep { get; set; }
    public List<EpochRecord> History { get; } = [];
    public double TrainingSeconds { get; set; }
    public bool EarlyStopped { get; set; }
    public string? StopReason { get; set; }
}
