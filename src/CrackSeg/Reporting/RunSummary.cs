using System.Text.Json;

namespace CrackSeg.Reporting;

/// <summary>The GPU/CPU the run used, from complete_summary.json's hardware_info.</summary>
public sealed record RecordedHardware(
    string Device, bool? CudaAvailable, string? GpuName, IReadOnlyList<KeyValuePair<string, string>> Other)
{
    /// <summary>True when the run used a GPU (the saver writes gpu_name "CPU" for CPU runs).</summary>
    public bool UsedGpu => !Device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase)
        && GpuName is { Length: > 0 } g && !g.Equals("CPU", StringComparison.OrdinalIgnoreCase);

    public string? CpuModel => Other.FirstOrDefault(kv => kv.Key == "cpu_model").Value;

    /// <summary>"NVIDIA H100 80GB HBM3 (cuda)", "cpu (AMD EPYC 7763)" or "cpu".</summary>
    public string Describe() =>
        UsedGpu ? $"{GpuName} ({Device})" : CpuModel is { Length: > 0 } cpu ? $"{Device} ({cpu})" : Device;
}

/// <summary>
/// metrics/complete_summary.json: the guide's keys plus the saver's extras. Unknown extra keys
/// are kept (flattened) so a report never hides what the run recorded.
/// </summary>
public sealed record RunSummary
{
    public required string ExperimentName { get; init; }
    public string? ProjectName { get; init; }
    public required string ModelType { get; init; }
    public string? ModelPreset { get; init; }
    public long? ParameterCount { get; init; }
    public string? Dataset { get; init; }
    public int? TrainingEpochs { get; init; }
    public int? EpochsCompleted { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public required MetricSet FinalMetrics { get; init; }
    /// <summary>Null until a validation has run (the saver writes the folder after every epoch).</summary>
    public int? BestEpoch { get; init; }
    public required double TotalTrainingTimeSeconds { get; init; }
    public string? Timestamp { get; init; }
    public long? Seed { get; init; }
    /// <summary>The saver's run status: running, completed, early_stopped, interrupted or failed.</summary>
    public string? Status { get; init; }
    public string? EarlyStopReason { get; init; }
    public required RecordedHardware Hardware { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> OtherFields { get; init; } = [];

    // Extras are not fixed by the guide: accept the spellings a PyTorch-side writer would use.
    private static readonly string[] ParameterKeys =
        ["num_parameters", "parameter_count", "num_params", "param_count", "parameters", "total_parameters", "model_parameters", "n_parameters"];
    private static readonly string[] PresetKeys = ["model_preset", "preset"];
    private static readonly string[] EpochsCompletedKeys = ["epochs_completed", "completed_epochs"];

    internal static RunSummary Read(JsonFields o)
    {
        var hw = o.RequiredObject("hardware_info");
        var hardware = new RecordedHardware(
            hw.RequiredString("device"),
            hw.OptionalBool("cuda_available"),
            hw.OptionalString("gpu_name"),
            hw.Unread().SelectMany(p => JsonFields.Flatten(p.Name, p.Value)).ToList());

        string? presetKey = o.FirstPresent(PresetKeys);
        string? completedKey = o.FirstPresent(EpochsCompletedKeys);
        long? parameters = ReadParameterCount(o);
        o.MarkRead(PresetKeys);
        // Shown through Status; "parameters" and friends through ParameterCount.
        o.MarkRead("early_stopped", "final_metrics_epoch");
        o.MarkRead(EpochsCompletedKeys);

        var summary = new RunSummary
        {
            ExperimentName = o.RequiredString("experiment_name"),
            ProjectName = o.OptionalString("project_name"),
            ModelType = o.RequiredString("model_type"),
            ModelPreset = presetKey is null ? null : o.OptionalString(presetKey),
            ParameterCount = parameters,
            Dataset = o.OptionalString("dataset"),
            TrainingEpochs = o.OptionalInt("training_epochs"),
            EpochsCompleted = completedKey is null ? null : o.OptionalInt(completedKey),
            BatchSize = o.OptionalInt("batch_size"),
            LearningRate = o.OptionalNumber("learning_rate"),
            FinalMetrics = o.OptionalObject("final_metrics") is { } fm ? MetricSet.Read(fm) : MetricSet.Empty,
            BestEpoch = o.OptionalInt("best_epoch"),
            TotalTrainingTimeSeconds = o.RequiredNumber("total_training_time"),
            Timestamp = o.OptionalString("timestamp"),
            Seed = o.OptionalInteger("seed"),
            Status = o.OptionalString("status"),
            EarlyStopReason = o.OptionalString("early_stop_reason"),
            Hardware = hardware,
        };
        return summary with { OtherFields = o.Unread().SelectMany(p => JsonFields.Flatten(p.Name, p.Value)).ToList() };
    }

    private static long? ReadParameterCount(JsonFields o)
    {
        string? key = o.FirstPresent(ParameterKeys);
        o.MarkRead(ParameterKeys);
        if (key is null) return null;
        // {"total": N, "trainable": M} is a common shape for parameter counts.
        if (o.Element.GetProperty(key).ValueKind == JsonValueKind.Object)
        {
            var inner = o.RequiredObject(key);
            string? total = inner.FirstPresent("total", "all", "count");
            return total is null ? null : inner.OptionalInteger(total);
        }
        return o.OptionalInteger(key);
    }
}
