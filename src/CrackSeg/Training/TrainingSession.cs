using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Metrics;
using CrackSeg.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// One training run's live state, opened phase by phase in the order the data flows: settings and device,
/// data and model (everything that can fail on bad input, before the folder exists), the experiment folder,
/// the restored checkpoint, the recorders, the epochs, and the interrupted or finished end.
/// </summary>
internal sealed class TrainingSession : IDisposable
{
    private readonly RunLog _log;
    private readonly ITrainingProgress _progress;
    private readonly TrainingRequest _request;
    private readonly ResumePlan _plan;
    private readonly CrackSegConfig _config;
    private readonly PrecisionMode _precision;
    private readonly Device _device;
    private readonly TrainingComponents _parts;
    private readonly ExperimentFolder _folder;
    private readonly string _configYaml;
    private readonly HardwareSnapshot _hardware;
    private readonly EarlyStopping _early;
    private readonly TrainingState _state = new();
    private readonly CheckpointStore _checkpoints;
    private readonly LossScaler? _scaler;
    private readonly ExperimentSaver _saver;
    private TensorBoardLog? _tensorboard;
    private SnapshotFactory? _snapshots;
    private ResumePoint? _resumePoint;
    private TrainEpoch? _epochRunner;
    private IReadOnlyList<string> _saved = [];
    private Stopwatch _clock = new();
    private double _secondsBefore;
    private bool _interrupted;

    /// <summary>Resolves the settings, builds data and model, then opens the folder; nothing is written before the inputs are checked.</summary>
    public TrainingSession(TrainingRequest request, RunLog log, ITrainingProgress progress)
    {
        (_request, _log, _progress) = (request, log, progress);
        _plan = ResumePlan.Resolve(request, log);
        // The saved config names every model field, not just the preset.
        _config = _plan.Config with { Model = ModelSpec.Resolve(_plan.Config.Model, _plan.Config.Data.ImageSize).ToConfig() };
        _precision = PrecisionMode.Parse(_config.Training.Precision, "training.precision");
        _device = PrepareDevice();
        _parts = BuildComponents();
        try
        {
            (_folder, _configYaml) = OpenFolder();
            _hardware = DetectHardware();
            _early = new EarlyStopping(_config.Training.EarlyStopping);
            _checkpoints = new CheckpointStore(_folder, _config.Training.Checkpoint, _log);
            _scaler = _precision.LossScaling ? new LossScaler(_device) : null;
            _saver = new ExperimentSaver(_log);
            if (_plan.Folder is not null) CrashRecovery.RemoveStaleTempFiles(_folder, _log);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private int Epochs => _config.Training.Epochs;

    private Device PrepareDevice()
    {
        var device = DeviceSelector.Resolve(_config.Training.Device);
        _precision.EnsureAvailable(device, "training.precision");
        if (_config.Training.Threads > 0) torch.set_num_threads(_config.Training.Threads);
        _precision.ApplyBackendFlags(device);
        return device;
    }

    /// <summary>Everything that can fail on bad input is checked here, before the folder exists.</summary>
    private TrainingComponents BuildComponents()
    {
        SyntheticData.EnsureExists(_config.Data, _log);
        DatasetIndex index = _plan.Folder is not null && File.Exists(_plan.Folder.SplitsJson)
            ? DatasetIndex.FromSplits(SplitsFile.Read(_plan.Folder.SplitsJson), _config.Data, _log)
            : DatasetIndex.Build(_config.Data, _config.Experiment.Seed, _log);
        return TrainingComponents.Build(_config, index, _device, _log);
    }

    private (ExperimentFolder Folder, string ConfigYaml) OpenFolder()
    {
        var folder = _plan.Folder ?? ExperimentFolder.Create(_config.Experiment.OutputDir, _config.Experiment.Name, DateTimeOffset.Now);
        _log.AttachFile(folder.TrainingLog);
        _log.Info(_plan.Folder is null ? $"experiment folder: {folder.Root}" : $"resuming experiment folder: {folder.Root}");
        string configYaml = ConfigYaml.Serialize(_config);
        AtomicFile.WriteAllText(folder.ConfigYaml, configYaml);
        if (!File.Exists(folder.SplitsJson)) SplitsFile.Write(folder.SplitsJson, _parts.Index);
        foreach (var excluded in _parts.Index.Excluded) _log.Warning($"data: excluded {excluded}");
        return (folder, configYaml);
    }

    private HardwareSnapshot DetectHardware()
    {
        var hardwareInfo = HardwareInfo.Detect(DeviceSelector.Describe(_device), cuda.is_available(),
            cuda.is_available() ? cuda.device_count() : 0, get_num_threads());
        var hardware = HardwareSnapshot.From(hardwareInfo);
        _log.Info($"device: {hardware.Device} ({hardware.GpuName}), torch threads {hardwareInfo.TorchThreads}");
        return hardware;
    }

    /// <summary>Weights, optimizer, trackers, loss scale and weight average as the resumed checkpoint left them.</summary>
    public void Restore()
    {
        if (_plan.Checkpoint is not null)
        {
            using var restored = CheckpointStore.Load(_plan.Checkpoint);
            ModelStateCodec.Restore(_parts.Model, restored.ModelState, _plan.Checkpoint);
            OptimizerStateCodec.Restore(_parts.Optimizer, restored.OptimizerState);
            _state.Restore(restored);
            if (restored.EarlyStopping is not null) _early.Restore(restored.EarlyStopping);
            if (restored.Plateau is not null) _parts.Schedule.Plateau?.Restore(restored.Plateau);
            if (_scaler is not null && restored.Scaler is not null) _scaler.Restore(restored.Scaler);
            if (_parts.Ema is not null) RestoreEma(_parts.Ema, restored);
            if (_early.ShouldStop) StopEarly(); // killed after the final checkpoint of an early stop
            _log.Info($"resumed from {_plan.Checkpoint}: epoch {_state.Epoch}, step {_state.GlobalStep}");
            CrashRecovery.RestoreBestModel(_folder, restored, _log);
        }
        var index = _parts.Index;
        _log.Info($"model {_config.Model.Preset}: {_parts.ParameterCount:N0} parameters; loss {_parts.Loss.Describe()}; " +
                  $"train {index.Train.Count}, val {index.Val.Count}, test {index.Test.Count} pairs; {_parts.TrainLoader.BatchesPerEpoch} batches/epoch");
    }

    /// <summary>The checkpoint's average; one written without it (EMA switched on later) starts from the restored weights.</summary>
    private void RestoreEma(ModelEma ema, Checkpoint restored)
    {
        if (restored.EmaState is not null) ema.Restore(restored.EmaState, restored.SourcePath ?? "checkpoint");
        else
        {
            ema.Reset();
            _log.Warning("the checkpoint has no ema_state_dict: the weight average starts from the restored weights");
        }
    }

    /// <summary>
    /// Starts the recorders and the clock. A kill between an epoch's checkpoint and its folder files leaves these an
    /// epoch behind (or half written): they are brought level with the checkpoint now, not only after the next epoch.
    /// </summary>
    public void StartRecording()
    {
        _tensorboard = _config.Logging.Tensorboard ? new TensorBoardLog(Path.Combine(_folder.Root, "tensorboard")) : null;
        _snapshots = new SnapshotFactory(_config, _configYaml, _hardware, _parts.ParameterCount);
        _clock = Stopwatch.StartNew();
        _secondsBefore = _state.TrainingSeconds;
        if (_plan.Checkpoint is not null && _state.History.Count > 0 && _state.Epoch >= SavedEpochs(_folder))
            _saved = _saver.Save(_folder, _snapshots.Create(_state, _early, Status(finished: _state.Epoch >= Epochs || _state.EarlyStopped)));
    }

    /// <summary>Train, validate, judge, save, report: one epoch at a time until done, stopped early or interrupted.</summary>
    public void RunEpochs(CancellationToken cancellation)
    {
        _resumePoint = new ResumePoint();
        _epochRunner = new TrainEpoch(_parts.Model, _parts.Optimizer, _parts.Loss, _parts.Parameters, _parts.Schedule, _config,
            _progress, _log, _scaler, _parts.Ema) { LossHook = _request.LossHook };
        for (int epoch = _state.Epoch + 1; epoch <= Epochs && !_state.EarlyStopped; epoch++)
        {
            if (_request.StopAfterEpoch is int stop && _state.Epoch >= stop) { _interrupted = true; break; }
            HoldResumePoint();
            var record = TrainAndValidate(epoch, cancellation);
            if (record is null) { _interrupted = true; break; }
            bool improved = Judge(record, epoch);
            Save(record, epoch, improved);
            Report(record, epoch, improved);
        }
    }

    /// <summary>Keeps the last epoch boundary in memory when no epoch file holds it, for an interruption to write.</summary>
    private void HoldResumePoint()
    {
        if (_state.Epoch > 0 && !File.Exists(_folder.EpochCheckpoint(_state.Epoch)))
            _resumePoint!.Hold(CheckpointOf(_state.History[^1]));
    }

    /// <returns>The finished epoch's record, or null when training was interrupted mid-epoch.</returns>
    private EpochRecord? TrainAndValidate(int epoch, CancellationToken cancellation)
    {
        EpochSeed.Apply(_config.Experiment.Seed, epoch);
        var epochClock = Stopwatch.StartNew();
        var train = _epochRunner!.Run(_parts.TrainLoader, epoch, _state.GlobalStep, cancellation);
        _state.GlobalStep = train.GlobalStep;
        if (train.Interrupted) return null;

        MetricResult? val = null;
        if (epoch % _config.Training.ValEvery == 0 || epoch == Epochs)
            val = Validation.Run(_parts.ValidatedModel, _parts.ValLoader, _parts.Loss, _config.Metrics, _device, _precision, epoch, _progress);
        var record = EpochRecords.Create(epoch, train, val, epochClock.Elapsed.TotalSeconds);
        _state.History.Add(record);
        _state.Epoch = epoch;
        _state.TrainingSeconds = _secondsBefore + _clock.Elapsed.TotalSeconds;
        return record;
    }

    /// <summary>Early stopping and the plateau schedule see the monitored metric; true when the weights are the new best.</summary>
    private bool Judge(EpochRecord record, int epoch)
    {
        if (record.Validation is null) return false;
        double monitored = record.Validation[_early.Monitor];
        bool improved = _early.Update(monitored, epoch);
        _parts.Schedule.Plateau?.Step(monitored);
        if (_early.ShouldStop) StopEarly();
        if (improved && !WeightsAreFinite(_parts.ValidatedModel.parameters().ToList()))
        {
            _log.Warning($"epoch {epoch}: weights are not finite; they are not saved as best");
            return false;
        }
        return improved;
    }

    private void Save(EpochRecord record, int epoch, bool improved)
    {
        bool lastEpoch = epoch == Epochs || _state.EarlyStopped;
        try
        {
            _checkpoints.SaveEpoch(CheckpointOf(record), isBest: improved, forceEpochFile: lastEpoch || epoch == _request.StopAfterEpoch);
            _saved = _saver.Save(_folder, _snapshots!.Create(_state, _early, Status(lastEpoch)));
        }
        catch (ArtifactWriteException e)
        {
            _log.Error($"epoch {epoch} could not be saved: {e.Message}. The folder keeps its state after epoch {epoch - 1}; " +
                       $"fix the cause (disk space, permissions) and continue with: crackseg train --resume {_folder.Root}");
            throw;
        }
    }

    private void Report(EpochRecord record, int epoch, bool improved)
    {
        _tensorboard?.WriteEpoch(record, _parts.Model, _parts.ValLoader, epoch);
        string summary = EpochRecords.Summary(record, improved, Epochs);
        _log.Info(summary);
        _progress.EpochFinished(epoch, summary);
        if (_state.EarlyStopped) _log.Info(_state.StopReason!);
    }

    /// <summary>An interrupted run writes its resume point and an Interrupted folder; either way the outcome is returned.</summary>
    public TrainingOutcome Finish()
    {
        if (_interrupted)
        {
            if (_resumePoint!.Write(_folder) is string written) _log.Info($"saved {written} (the epoch-boundary checkpoint to resume from)");
            if (_state.History.Count > 0) _saved = _saver.Save(_folder, _snapshots!.Create(_state, _early, RunStatus.Interrupted));
            _log.Warning($"interrupted: the folder is complete up to epoch {_state.Epoch}; continue with: crackseg train --resume {_folder.Root}");
        }
        return new TrainingOutcome(_folder.Root, _state.Epoch, _early.BestEpoch, _state.EarlyStopped, _interrupted, _saved);
    }

    private Checkpoint CheckpointOf(EpochRecord record) =>
        _state.ToCheckpoint(_parts.Model, _parts.Optimizer, _early, _parts.Schedule.Plateau, _scaler, _parts.Ema, _configYaml, _config.Experiment.Seed, record);

    private RunStatus Status(bool finished) =>
        !finished ? RunStatus.Running : _state.EarlyStopped ? RunStatus.EarlyStopped : RunStatus.Completed;

    private void StopEarly()
    {
        var settings = _config.Training.EarlyStopping;
        _state.EarlyStopped = true;
        _state.StopReason = $"early stopping: {_early.Monitor} did not improve by more than {settings.MinDelta} for {settings.Patience} validations (best {_early.Best:F4} at epoch {_early.BestEpoch})";
    }

    /// <summary>Epoch lines in metrics.jsonl (0 when it does not exist yet).</summary>
    private static int SavedEpochs(ExperimentFolder folder) =>
        File.Exists(folder.MetricsJsonl) ? File.ReadLines(folder.MetricsJsonl).Count(line => !string.IsNullOrWhiteSpace(line)) : 0;

    private static bool WeightsAreFinite(IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        return HostSync.ReadBool(stack(parameters.Select(p => isfinite(p).all()).ToArray()).all());
    }

    /// <summary>In the reverse order of opening, as the single method's <c>using</c>s did.</summary>
    public void Dispose()
    {
        _epochRunner?.Dispose();
        _resumePoint?.Dispose();
        _tensorboard?.Dispose();
        _scaler?.Dispose();
        _parts.Dispose();
    }
}
