using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>Builds what the experiment saver writes from the run's config and trackers.</summary>
internal sealed class SnapshotFactory(CrackSegConfig config, string configYaml, HardwareSnapshot hardware, long parameterCount)
{
    private static readonly IReadOnlyList<KeyValuePair<string, string>> Versions =
    [
        new("crackseg", FrameworkVersions.CrackSeg),
        new("torchsharp", FrameworkVersions.TorchSharp),
        new("libtorch", FrameworkVersions.LibTorch),
        new("torch_backend", FrameworkVersions.TorchBackend),
        new("dotnet", FrameworkVersions.DotNet),
    ];

    public ExperimentSnapshot Create(TrainingState state, EarlyStopping early, RunStatus status) => new()
    {
        ExperimentName = config.Experiment.Name,
        ProjectName = config.Experiment.ProjectName,
        ModelPreset = config.Model.Preset,
        ParameterCount = parameterCount,
        Dataset = config.Data.Root,
        TrainingEpochs = config.Training.Epochs,
        BatchSize = config.Training.BatchSize,
        LearningRate = config.Training.LearningRate,
        Epochs = state.History.ToList(),
        BestEpoch = early.Best is null ? null : early.BestEpoch,
        TotalTrainingTimeS = state.TrainingSeconds,
        Hardware = hardware,
        Seed = config.Experiment.Seed,
        Versions = Versions,
        ConfigYaml = configYaml,
        Status = status,
        EarlyStopReason = status == RunStatus.EarlyStopped ? state.StopReason : null,
    };
}
