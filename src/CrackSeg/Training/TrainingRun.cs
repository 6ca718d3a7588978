using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Metrics;
using CrackSeg.Models;
using CrackSeg.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// One `crackseg train`: builds (or resumes) the experiment folder, data, model and optimizer, runs
/// the epochs, and after every epoch writes the checkpoint and hands the trackers to the saver, so a
/// crash leaves a valid folder up to the last finished epoch.
/// </summary>
public sealed class TrainingRun
{
    private readonly RunLog _log;
    private readonly ITrainingProgress _progress;

    public TrainingRun(RunLog log, ITrainingProgress progress)
    {
        _log = log;
        _progress = progress;
    }

    /// <summary>Tests: runs before each batch's backward (e.g. to inject a NaN loss).</summary>
    public Func<Tensor, Tensor>? LossHook { get; init; }

    /// <summary>Tests and crash drills: stop (as if interrupted) once this many epochs are done.</summary>
    public int? StopAfterEpoch { get; init; }

    public TrainingOutcome Run(TrainingRequest request, CancellationToken cancellation)
    {
        var plan = ResumePlan.Resolve(request, _log);
        var config = plan.Config;
        // The saved config names every model field, not just the preset.
        config = config with { Model = ModelSpec.Resolve(config.Model, config.Data.ImageSize).ToConfig() };
        var precision = PrecisionMode.Parse(config.Training.Precision, "training.precision");

        var device = DeviceSelector.Resolve(config.Training.Device);
        precision.EnsureAvailable(device, "training.precision");
        if (config.Training.Threads > 0) torch.set_num_threads(config.Training.Threads);
        precision.ApplyBackendFlags(device);

        // Everything that can fail on bad input is checked before the folder exists.
        SyntheticData.EnsureExists(config.Data, _log);
        DatasetIndex index = plan.Folder is not null && File.Exists(plan.Folder.SplitsJson)
            ? DatasetIndex.FromSplits(SplitsFile.Read(plan.Folder.SplitsJson), config.Data, _log)
            : DatasetIndex.Build(config.Data, config.Experiment.Seed, _log);
        using var parts = TrainingComponents.Build(config, index, device, _log);
        index = parts.Index;
        var (model, optimizer, loss, schedule, parameters) = (parts.Model, parts.Optimizer, parts.Loss, parts.Schedule, parts.Parameters);
        long parameterCount = parts.ParameterCount;

        var folder = plan.Folder ?? ExperimentFolder.Create(config.Experiment.OutputDir, config.Experiment.Name, DateTimeOffset.Now);
        _log.AttachFile(folder.TrainingLog);
        _log.Info(plan.Folder is null ? $"experiment folder: {folder.Root}" : $"resuming experiment folder: {folder.Root}");
        string configYaml = ConfigYaml.Serialize(config);
        AtomicFile.WriteAllText(folder.ConfigYaml, configYaml);
        if (!File.Exists(folder.SplitsJson)) SplitsFile.Write(folder.SplitsJson, index);
        foreach (var excluded in index.Excluded) _log.Warning($"data: excluded {excluded}");

        var hardwareInfo = HardwareInfo.Detect(DeviceSelector.Describe(device), cuda.is_available(),
            cuda.is_available() ? cuda.device_count() : 0, get_num_threads());
        var hardware = HardwareSnapshot.From(hardwareInfo);
        _log.Info($"device: {hardware.Device} ({hardware.GpuName}), torch threads {hardwareInfo.TorchThreads}");

        var early = new EarlyStopping(config.Training.EarlyStopping);
        var state = new TrainingState();
        var checkpoints = new CheckpointStore(folder, config.Training.Checkpoint, _log);
        using var scaler = precision.LossScaling ? new LossScaler(device) : null;
        if (plan.Folder is not null) CrashRecovery.RemoveStaleTempFiles(folder, _log);

        if (plan.Checkpoint is not null)
        {
            using var restored = CheckpointStore.Load(plan.Checkpoint);
            ModelStateCodec.Restore(model, restored.ModelState, plan.Checkpoint);
            OptimizerStateCodec.Restore(optimizer, restored.OptimizerState);
            state.Restore(restored);
            if (restored.EarlyStopping is not null) early.Restore(restored.EarlyStopping);
            if (restored.Plateau is not null) schedule.Plateau?.Restore(restored.Plateau);
            if (scaler is not null && restored.Scaler is not null) scaler.Restore(restored.Scaler);
            if (parts.Ema is not null) RestoreEma(parts.Ema, restored);
            if (early.ShouldStop) StopEarly(state, early, config); // killed after the final checkpoint of an early stop
            _log.Info($"resumed from {plan.Checkpoint}: epoch {state.Epoch}, step {state.GlobalStep}");
            CrashRecovery.RestoreBestModel(folder, restored, _log);
        }
        _log.Info($"model {config.Model.Preset}: {parameterCount:N0} parameters; loss {loss.Describe()}; " +
                  $"train {index.Train.Count}, val {index.Val.Count}, test {index.Test.Count} pairs; {parts.TrainLoader.BatchesPerEpoch} batches/epoch");

        using var tensorboard = config.Logging.Tensorboard ? new TensorBoardLog(Path.Combine(folder.Root, "tensorboard")) : null;
        var saver = new ExperimentSaver(_log);
        var snapshots = new SnapshotFactory(config, configYaml, hardware, parameterCount);
        IReadOnlyList<string> saved = [];
        var clock = Stopwatch.StartNew();
        double secondsBefore = state.TrainingSeconds;
        bool interrupted = false;
        // A kill between an epoch's checkpoint and its folder files leaves these an epoch behind (or half
        // written): bring them level with the checkpoint now, not only after the next epoch.
        if (plan.Checkpoint is not null && state.History.Count > 0 && state.Epoch >= SavedEpochs(folder))
            saved = saver.Save(folder, snapshots.Create(state, early, Status(state, finished: state.Epoch >= config.Training.Epochs || state.EarlyStopped)));

        using var resumePoint = new ResumePoint();
        using var epochRunner = new TrainEpoch(model, optimizer, loss, parameters, schedule, config, _progress, _log, scaler, parts.Ema) { LossHook = LossHook };
        for (int epoch = state.Epoch + 1; epoch <= config.Training.Epochs && !state.EarlyStopped; epoch++)
        {
            if (StopAfterEpoch is int stop && state.Epoch >= stop) { interrupted = true; break; }
            if (state.Epoch > 0 && !File.Exists(folder.EpochCheckpoint(state.Epoch)))
                resumePoint.Hold(state.ToCheckpoint(model, optimizer, early, schedule.Plateau, scaler, parts.Ema, configYaml, config.Experiment.Seed, state.History[^1]));
            EpochSeed.Apply(config.Experiment.Seed, epoch);
            var epochClock = Stopwatch.StartNew();
            var train = epochRunner.Run(parts.TrainLoader, epoch, state.GlobalStep, cancellation);
            state.GlobalStep = train.GlobalStep;
            if (train.Interrupted) { interrupted = true; break; }

            MetricResult? val = null;
            if (epoch % config.Training.ValEvery == 0 || epoch == config.Training.Epochs)
                val = Validation.Run(parts.ValidatedModel, parts.ValLoader, loss, config.Metrics, device, precision, epoch, _progress);
            var record = EpochRecords.Create(epoch, train, val, epochClock.Elapsed.TotalSeconds);
            state.History.Add(record);
            state.Epoch = epoch;
            state.TrainingSeconds = secondsBefore + clock.Elapsed.TotalSeconds;

            bool improved = false;
            if (record.Validation is not null)
            {
                double monitored = record.Validation[early.Monitor];
                improved = early.Update(monitored, epoch);
                schedule.Plateau?.Step(monitored);
                if (early.ShouldStop) StopEarly(state, early, config);
            }
            if (improved && !WeightsAreFinite(parts.ValidatedModel.parameters().ToList()))
            {
                improved = false;
                _log.Warning($"epoch {epoch}: weights are not finite; they are not saved as best");
            }

            var checkpoint = state.ToCheckpoint(model, optimizer, early, schedule.Plateau, scaler, parts.Ema, configYaml, config.Experiment.Seed, record);
            bool lastEpoch = epoch == config.Training.Epochs || state.EarlyStopped;
            try
            {
                checkpoints.SaveEpoch(checkpoint, isBest: improved, forceEpochFile: lastEpoch || epoch == StopAfterEpoch);
                saved = saver.Save(folder, snapshots.Create(state, early, Status(state, lastEpoch)));
            }
            catch (ArtifactWriteException e)
            {
                _log.Error($"epoch {epoch} could not be saved: {e.Message}. The folder keeps its state after epoch {epoch - 1}; " +
                           $"fix the cause (disk space, permissions) and continue with: crackseg train --resume {folder.Root}");
                throw;
            }
            tensorboard?.WriteEpoch(record, model, parts.ValLoader, epoch);
            string summary = EpochRecords.Summary(record, improved, config.Training.Epochs);
            _log.Info(summary);
            _progress.EpochFinished(epoch, summary);
            if (state.EarlyStopped) _log.Info(state.StopReason!);
        }

        if (interrupted)
        {
            if (resumePoint.Write(folder) is string written) _log.Info($"saved {written} (the epoch-boundary checkpoint to resume from)");
            if (state.History.Count > 0) saved = saver.Save(folder, snapshots.Create(state, early, RunStatus.Interrupted));
            _log.Warning($"interrupted: the folder is complete up to epoch {state.Epoch}; continue with: crackseg train --resume {folder.Root}");
        }
        return new TrainingOutcome(folder.Root, state.Epoch, early.BestEpoch, state.EarlyStopped, interrupted, saved);
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

    private static RunStatus Status(TrainingState state, bool finished) =>
        !finished ? RunStatus.Running : state.EarlyStopped ? RunStatus.EarlyStopped : RunStatus.Completed;

    private static void StopEarly(TrainingState state, EarlyStopping early, CrackSegConfig config)
    {
        state.EarlyStopped = true;
        state.StopReason = $"early stopping: {early.Monitor} did not improve by more than {config.Training.EarlyStopping.MinDelta} for {config.Training.EarlyStopping.Patience} validations (best {early.Best:F4} at epoch {early.BestEpoch})";
    }

    /// <summary>Epoch lines in metrics.jsonl (0 when it does not exist yet).</summary>
    private static int SavedEpochs(ExperimentFolder folder) =>
        File.Exists(folder.MetricsJsonl) ? File.ReadLines(folder.MetricsJsonl).Count(line => !string.IsNullOrWhiteSpace(line)) : 0;

    private static bool WeightsAreFinite(IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        return HostSync.ReadBool(stack(parameters.Select(p => isfinite(p).all()).ToArray()).all());
    }
}
