using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using CrackSeg.Metrics;
using CrackSeg.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// One `crackseg train`: builds (or resumes) the experiment folder, data, model and optimizer, runs
/// the epochs, and after every epoch hands the trackers to the saver and writes checkpoints, so a
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

    public TrainingOutcome Run(TrainingRequest request, CancellationToken cancellation)
    {
        var plan = ResumePlan.Resolve(request, _log);
        var config = plan.Config;
        RejectUnsupported(config);

        var device = DeviceSelector.Resolve(config.Training.Device);
        if (config.Training.Threads > 0) torch.set_num_threads(config.Training.Threads);
        ConfigureMatmulPrecision(config.Training.Precision, device);

        var folder = plan.Folder ?? ExperimentFolder.Create(config.Experiment.OutputDir, config.Experiment.Name, DateTimeOffset.Now);
        _log.AttachFile(folder.TrainingLogPath);
        _log.Info(plan.Folder is null ? $"experiment folder: {folder.Root}" : $"resuming experiment folder: {folder.Root}");
        AtomicFile.WriteAllText(folder.ConfigPath, ConfigYaml.Serialize(config));

        var hardware = HardwareInfo.Detect(DeviceSelector.Describe(device), torch.cuda.is_available(),
            torch.cuda.is_available() ? torch.cuda.device_count() : 0, torch.get_num_threads());
        _log.Info($"device: {hardware.Device} ({hardware.GpuName}), torch threads {hardware.TorchThreads}");

        // Data: the split is fixed once per experiment and replayed from splits.json on resume.
        SyntheticData.EnsureExists(config.Data, _log);
        var index = File.Exists(folder.SplitsPath)
            ? DatasetIndex.FromSplits(folder.SplitsPath, config.Data, _log)
            : DatasetIndex.Build(config.Data, config.Experiment.Seed, _log);
        if (!File.Exists(folder.SplitsPath)) SplitsFile.Write(folder.SplitsPath, index);
        if (index.Train.Count < config.Training.BatchSize)
            throw new InputException($"data.root '{config.Data.Root}': the training split has {index.Train.Count} pairs, fewer than training.batch_size={config.Training.BatchSize}");
        if (index.Val.Count == 0)
            throw new InputException($"data.root '{config.Data.Root}': the validation split is empty; adjust data.splits or add data");

        using var cache = new SampleCache(config.Data, _log);
        using var trainLoader = new BatchLoader(cache, index.Train, BatchLoaderOptions.ForTraining(config, device));
        using var valLoader = new BatchLoader(cache, index.Val, BatchLoaderOptions.ForEvaluation(config, device));

        // Model and optimizer. Initialisation is seeded so two fresh runs start from the same weights.
        torch.manual_seed(config.Experiment.Seed);
        using var model = ModelFactory.Create(config.Model, config.Data.ImageSize);
        model.to(device);
        var groups = ParameterGroups.Split(model);
        using var optimizer = OptimizerFactory.Create(config.Training, groups.Decay, groups.NoDecay);
        var parameters = model.parameters().ToList();
        using var loss = LossFactory.Create(config.Training.Loss);
        int stepsPerEpoch = Math.Max(1, trainLoader.BatchesPerEpoch / config.Training.GradAccumSteps);
        var schedule = new LearningRateSchedule(config.Training, stepsPerEpoch);
        var plateau = new PlateauState(config.Training.Scheduler, config.Training.EarlyStopping);
        var early = new EarlyStopping(config.Training.EarlyStopping);
        var state = new TrainingState();
        var checkpoints = new CheckpointStore(folder, config.Training.Checkpoint, _log);

        if (plan.Checkpoint is not null)
        {
            var restored = checkpoints.Load(plan.Checkpoint, model, optimizer);
            restored.ApplyTo(state, early, plateau);
            _log.Info($"resumed from {plan.Checkpoint}: epoch {state.Epoch}, step {state.GlobalStep}");
        }
        long parameterCount = parameters.Sum(p => p.numel());
        _log.Info($"model {config.Model.Preset}: {parameterCount:N0} parameters; train {index.Train.Count}, val {index.Val.Count}, test {index.Test.Count} pairs");

        using var tensorboard = config.Logging.Tensorboard ? new TensorBoardLog(folder.TensorBoardDir) : null;
        var saver = new ExperimentSaver(_log);
        IReadOnlyList<string> saved = [];
        var clock = Stopwatch.StartNew();
        double secondsBefore = state.TrainingSeconds;
        bool interrupted = false;

        var epochRunner = new TrainEpoch(model, optimizer, loss, parameters, schedule, plateau, config, _progress, _log);
        for (int epoch = state.Epoch + 1; epoch <= config.Training.Epochs && !state.EarlyStopped; epoch++)
        {
            EpochSeed.Apply(config.Experiment.Seed, epoch);
            var epochClock = Stopwatch.StartNew();
            var train = epochRunner.Run(trainLoader, epoch, state, cancellation);
            if (train.Interrupted)
            {
                interrupted = true;
                break;
            }

            MetricResult? val = null;
            bool validate = epoch % config.Training.ValEvery == 0 || epoch == config.Training.Epochs;
            if (validate) val = Validation.Run(model, valLoader, loss, config.Metrics, device, epoch, _progress);
            double epochSeconds = epochClock.Elapsed.TotalSeconds;

            var record = EpochRecords.Create(epoch, train, val, epochSeconds);
            state.History.Add(record);
            state.Epoch = epoch;
            state.TrainingSeconds = secondsBefore + clock.Elapsed.TotalSeconds;

            bool improved = false;
            if (val is not null)
            {
                double monitored = EpochRecords.Monitored(record, early.Monitor);
                improved = early.Update(monitored, epoch);
                plateau.Update(monitored);
                if (early.ShouldStop)
                {
                    state.EarlyStopped = true;
                    state.StopReason = $"early stopping: {early.Monitor} did not improve for {config.Training.EarlyStopping.Patience} validations";
                }
            }
            bool weightsFinite = parameters.All(p => !p.isnan().any().item<bool>() && !p.isinf().any().item<bool>());
            if (improved && !weightsFinite)
            {
                improved = false;
                _log.Warning($"epoch {epoch}: weights are not finite; not saving them as best");
            }

            var snapshot = CheckpointSnapshot.Capture(state, early, plateau, config, record);
            checkpoints.SaveEpoch(epoch, model, optimizer, snapshot, isBest: improved);
            saved = saver.Save(folder, ExperimentSnapshots.From(config, state, early, hardware, parameterCount, index));
            tensorboard?.WriteEpoch(record, model, valLoader, epoch);
            _progress.EpochFinished(epoch, EpochRecords.Summary(record, improved, config.Training.Epochs));
            if (state.EarlyStopped) _log.Info(state.StopReason!);
        }

        if (interrupted)
        {
            _log.Warning($"interrupted during epoch {state.Epoch + 1}; the folder is complete up to epoch {state.Epoch}. Continue with --resume {folder.Root}");
        }
        else if (state.History.Count > 0)
        {
            state.TrainingSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
            saved = saver.Save(folder, ExperimentSnapshots.From(config, state, early, hardware, parameterCount, index));
        }
        return new TrainingOutcome(folder.Root, state.Epoch, early.BestEpoch, state.EarlyStopped, interrupted, saved);
    }

    private static void RejectUnsupported(CrackSegConfig config)
    {
        if (config.Training.Precision == "bf16")
            throw new InputException("training.precision: bf16 is not supported: TorchSharp 0.107 has no autocast, and a hand-cast bf16 " +
                "copy of this model (LayerNorm, cosine attention, BatchNorm statistics in bf16) did not train stably; use fp32, or tf32 on CUDA");
    }

    private static void ConfigureMatmulPrecision(string precision, Device device)
    {
        if (device.type != DeviceType.CUDA) return;
        bool tf32 = precision == "tf32";
        torch.backends.cuda.matmul.allow_tf32 = tf32;
        torch.backends.cudnn.allow_tf32 = tf32;
    }
}
