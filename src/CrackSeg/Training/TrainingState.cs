using CrackSeg.Artifacts;
using CrackSeg.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// A run's progress besides the model and optimizer, everything an exact resume needs: position,
/// the epoch trackers' history and the elapsed training time.
/// </summary>
public sealed class TrainingState
{
    /// <summary>Last fully finished epoch (0 before the first).</summary>
    public int Epoch { get; set; }
    /// <summary>Optimizer steps so far; the LR is a closed-form function of it.</summary>
    public long GlobalStep { get; set; }
    public List<EpochRecord> History { get; } = [];
    public double TrainingSeconds { get; set; }
    public bool EarlyStopped { get; set; }
    public string? StopReason { get; set; }

    public void Restore(Checkpoint checkpoint)
    {
        Epoch = checkpoint.Epoch;
        GlobalStep = checkpoint.GlobalStep;
        TrainingSeconds = checkpoint.TotalTrainingTimeS;
        History.Clear();
        History.AddRange(checkpoint.History.Where(r => r.Epoch <= checkpoint.Epoch));
    }

    /// <summary>A checkpoint that borrows the live model and optimizer tensors: save it before the next step.</summary>
    public Checkpoint ToCheckpoint(nn.Module model, OptimizerHelper optimizer, EarlyStopping early, LearningRatePlateau? plateau,
        LossScaler? scaler, ModelEma? ema, string configYaml, long seed, EpochRecord last) => new()
    {
        Epoch = Epoch,
        GlobalStep = GlobalStep,
        // PyTorch order (TorchSharp lists all parameters before all buffers), so the keys read like the Python model's.
        ModelState = StateDictKeys.Entries(model).ToDictionary(e => e.Key, e => e.Value),
        OptimizerState = OptimizerStateCodec.Capture(optimizer),
        Metrics = Checkpoint.MetricsOf(last),
        BestMetric = early.Best,
        BestEpoch = early.Best is null ? null : early.BestEpoch,
        ConfigYaml = configYaml,
        EarlyStopping = early.ToState(),
        Plateau = plateau?.ToState(),
        Scaler = scaler?.Capture(),
        EmaState = ema is null ? null : StateDictKeys.Entries(ema.Model).ToDictionary(e => e.Key, e => e.Value),
        History = History.ToList(),
        Seed = seed,
        TotalTrainingTimeS = TrainingSeconds,
    };
}
