using System.Collections;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// One training checkpoint: the dict of ../shared/docs/design.md (the seed's Python convention —
/// epoch, global_step, model_state_dict, optimizer_state_dict, metrics, best_metric, config) plus what an
/// exact resume needs (early-stopping and plateau state, tracker history, seed, training time).
/// <para>
/// Tensor ownership: a checkpoint the trainer builds borrows the module's and optimizer's live tensors
/// (save it before the next step; disposing it frees nothing). A checkpoint returned by
/// <see cref="CheckpointStore.Load"/> owns its tensors: dispose it once restored.
/// </para>
/// </summary>
public sealed class Checkpoint : IDisposable
{
    /// <summary>1-based number of the last finished epoch.</summary>
    public required int Epoch { get; init; }
    /// <summary>Optimizer steps taken so far (the closed-form LR's input).</summary>
    public required long GlobalStep { get; init; }
    /// <summary>The module's state_dict, in its order (written in that order).</summary>
    public required IReadOnlyDictionary<string, Tensor> ModelState { get; init; }
    /// <summary>PyTorch's optimizer state_dict layout {state, param_groups}; see <see cref="OptimizerStateCodec"/>.</summary>
    public required IDictionary OptimizerState { get; init; }
    /// <summary>This epoch's metrics (train_loss, val_*, lr, …), all finite.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>Best monitored value so far (null before the first validation).</summary>
    public double? BestMetric { get; init; }
    /// <summary>Epoch of <see cref="BestMetric"/>.</summary>
    public int? BestEpoch { get; init; }
    /// <summary>The resolved config as YAML text (also written as a nested dict under `config`).</summary>
    public required string ConfigYaml { get; init; }
    public EarlyStoppingState? EarlyStopping { get; init; }
    public PlateauState? Plateau { get; init; }
    /// <summary>Every finished epoch 1..Epoch (the tracker history metrics.jsonl is rebuilt from on resume).</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];
    /// <summary>experiment.seed; every random stream is derived from (seed, epoch).</summary>
    public required long Seed { get; init; }
    /// <summary>Training wall time so far, seconds, over every session of the run.</summary>
    public double TotalTrainingTimeS { get; init; }

    /// <summary>fp16 loss scaling's state (<c>scaler_state_dict</c>, PyTorch GradScaler's keys); null in other precisions.</summary>
    public ScalerState? Scaler { get; init; }

    /// <summary>The EMA of the weights (<c>ema_state_dict</c>, keys as <see cref="ModelState"/>) when training.ema is enabled; else null.</summary>
    public IReadOnlyDictionary<string, Tensor>? EmaState { get; init; }

    /// <summary>The file this checkpoint was loaded from (null for one built in memory).</summary>
    public string? SourcePath { get; init; }

    internal bool OwnsTensors { get; init; }

    /// <summary>The numbers of an epoch record as a checkpoint's `metrics` (unmeasured val_* left out).</summary>
    public static IReadOnlyDictionary<string, double> MetricsOf(EpochRecord record)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var (key, value) in record.Numbers())
            if (value is double v) metrics[key] = v;
        return metrics;
    }

    /// <summary>
    /// The checkpoint written as best_model.pth: with an EMA, its <c>model_state_dict</c> is the averaged weights
    /// (the ones validation scored), so evaluate and the Python loaders use them; otherwise this checkpoint.
    /// Borrows the tensors of this one.
    /// </summary>
    public Checkpoint WithBestWeights() => EmaState is null ? this : new Checkpoint
    {
        Epoch = Epoch, GlobalStep = GlobalStep, ModelState = EmaState, OptimizerState = OptimizerState, Metrics = Metrics,
        BestMetric = BestMetric, BestEpoch = BestEpoch, ConfigYaml = ConfigYaml, EarlyStopping = EarlyStopping,
        Plateau = Plateau, History = History, Seed = Seed, TotalTrainingTimeS = TotalTrainingTimeS, Scaler = Scaler,
        EmaState = EmaState, SourcePath = SourcePath,
    };

    /// <summary>Frees the tensors of a loaded checkpoint; a no-op for one that borrows live tensors.</summary>
    public void Dispose()
    {
        if (!OwnsTensors) return;
        foreach (var t in ModelState.Values) t.Dispose();
        foreach (var t in EmaState?.Values ?? []) t.Dispose();
        foreach (var t in PickleValues.Tensors(OptimizerState)) t.Dispose();
    }
}
