using System.Text;
using System.Text.Json;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// The text of each metrics file the saver writes, from a snapshot: pure functions, no I/O. Keys come in
/// the guide's order, extras after them. Numbers are JSON numbers (floats always with a decimal point),
/// values that were not measured are null, and NaN/Infinity throw.
/// </summary>
public static class ExperimentDocuments
{
    // Relaxed escaping: these are files, not HTML; keeps '+' of UTC offsets and non-ASCII names readable.

    /// <summary>metrics/complete_summary.json.</summary>
    public static string CompleteSummary(ExperimentSnapshot s, DateTimeOffset savedAt) => JsonWriting.Text(indented: true, w =>
    {
        w.WriteStartObject();
        w.WriteString("experiment_name", s.ExperimentName);
        w.WriteString("project_name", s.ProjectName);
        w.WriteString("model_type", s.ModelType);
        w.WriteString("dataset", s.Dataset);
        w.WriteNumber("training_epochs", s.TrainingEpochs);
        w.WriteNumber("batch_size", s.BatchSize);
        WriteFinite(w, "learning_rate", s.LearningRate);
        w.WritePropertyName("final_metrics");
        WriteValMetrics(w, s.LastValidated?.Validation, prefixed: true);
        w.WriteNullable("best_epoch", s.BestEpoch);
        WriteFinite(w, "total_training_time", s.TotalTrainingTimeS);
        w.WriteString("timestamp", ArtifactFormat.Timestamp(savedAt));
        w.WritePropertyName("hardware_info");
        WriteHardwareInfo(w, s.Hardware);
        // Extras after the guide's keys.
        w.WriteNumber("epochs_completed", s.Epochs.Count);
        w.WriteString("status", StatusName(s.Status));
        w.WriteBoolean("early_stopped", s.Status == RunStatus.EarlyStopped);
        w.WriteNullable("early_stop_reason", s.EarlyStopReason);
        w.WriteNullable("final_metrics_epoch", s.LastValidated?.Epoch);
        w.WriteNumber("seed", s.Seed);
        w.WriteString("model_preset", s.ModelPreset);
        w.WriteNumber("parameters", s.ParameterCount);
        w.WriteStartObject("versions");
        foreach (var (name, version) in s.Versions) w.WriteString(name, version);
        w.WriteEndObject();
        WritePythonReaderKeys(w, s);
        w.WriteEndObject();
    });

    /// <summary>
    /// The keys the Python project's `reporting/` and `evaluation/` modules read instead of the guide's
    /// (they default a missing one to 0): the best epoch's values, the final loss, the training time, and
    /// the nested best_metrics / experiment_info. Null before any epoch is validated, never 0.
    /// </summary>
    private static void WritePythonReaderKeys(Utf8JsonWriter w, ExperimentSnapshot s)
    {
        var best = s.Best?.Validation;
        foreach (var key in PythonReaderSchema.BestKeys)
            w.WriteFloat("best_" + key, best?["val_" + key], NonFinite.Throws);
        w.WriteFloat("final_loss", s.LastValidated?.Validation?.Loss, NonFinite.Throws);
        WriteFinite(w, "training_time", s.TotalTrainingTimeS);
        w.WriteStartObject("best_metrics");
        foreach (var key in PythonReaderSchema.BestMetricsKeys)
        {
            // {value: null, epoch: null} rather than a null entry: those readers call .get("value") on it.
            w.WriteStartObject(key);
            w.WriteFloat("value", best?["val_" + key], NonFinite.Throws);
            w.WriteNullable("epoch", best is null ? null : s.BestEpoch);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("experiment_info");
        w.WriteNumber("total_epochs", s.TrainingEpochs);
        w.WriteNullable("best_epoch", s.BestEpoch);
        w.WriteNumber("epochs_completed", s.Epochs.Count);
        w.WriteEndObject();
    }

    /// <summary>complete_summary.json's `hardware_info` object alone (for `crackseg info --hardware-json`).</summary>
    public static string HardwareInfo(HardwareSnapshot hardware) => JsonWriting.Text(indented: true, w => WriteHardwareInfo(w, hardware));

    private static void WriteHardwareInfo(Utf8JsonWriter w, HardwareSnapshot hardware)
    {
        w.WriteStartObject();
        w.WriteString("device", hardware.Device);
        w.WriteBoolean("cuda_available", hardware.CudaAvailable);
        w.WriteString("gpu_name", hardware.GpuName);
        w.WriteNullable("gpu_memory_total_bytes", hardware.GpuMemoryTotalBytes);
        w.WriteNullable("driver_version", hardware.DriverVersion);
        w.WriteString("cpu_model", hardware.CpuModel);
        w.WriteNumber("cpu_cores", hardware.CpuCores);
        w.WriteEndObject();
    }

    /// <summary>metrics/metrics.jsonl: one compact JSON object per finished epoch, newline-terminated.</summary>
    public static string MetricsJsonl(IReadOnlyList<EpochRecord> epochs)
    {
        var sb = new StringBuilder();
        foreach (var e in epochs) sb.Append(EpochLine(e)).Append('\n');
        return sb.ToString();
    }

    /// <summary>One metrics.jsonl line (keys of <see cref="GuideSchema.EpochKeys"/>, in that order).</summary>
    public static string EpochLine(EpochRecord e) => JsonWriting.Text(indented: false, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("epoch", e.Epoch);
        WriteFinite(w, "train_loss", e.TrainLoss, e.Epoch);
        foreach (var key in GuideSchema.EpochValidationKeys)
        {
            if (e.Validation is null) w.WriteNull(key);
            else WriteFinite(w, key, e.Validation[key], e.Epoch);
        }
        w.WriteString("timestamp", ArtifactFormat.Timestamp(e.Timestamp));
        WriteFinite(w, "lr", e.LearningRate, e.Epoch);
        WriteFinite(w, "grad_norm", e.GradNorm, e.Epoch);
        WriteFinite(w, "epoch_time_s", e.EpochTimeS, e.Epoch);
        WriteFinite(w, "samples_per_s", e.SamplesPerS, e.Epoch);
        w.WriteEndObject();
    });

    /// <summary>metrics/validation_metrics.json: final_validation (val_-prefixed) and best_validation (epoch + unprefixed).</summary>
    public static string ValidationMetrics(ExperimentSnapshot s) => JsonWriting.Text(indented: true, w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("final_validation");
        WriteValMetrics(w, s.LastValidated?.Validation, prefixed: true);
        w.WriteStartObject("best_validation");
        w.WriteNullable("epoch", s.BestEpoch);
        var best = s.Best?.Validation;
        foreach (var key in GuideSchema.FinalMetricKeys)
        {
            string name = GuideSchema.Unprefixed(key);
            if (best is null) w.WriteNull(name); else WriteFinite(w, name, best[key]);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>final_results.yaml: the final val_* metrics as flat `key: value` lines (null before any validation).</summary>
    public static string FinalResultsYaml(ExperimentSnapshot s)
    {
        var final = s.LastValidated?.Validation;
        var sb = new StringBuilder();
        foreach (var key in GuideSchema.FinalMetricKeys)
            sb.Append(key).Append(": ").Append(final is null ? "null" : ArtifactFormat.Float(final[key], key)).Append('\n');
        return sb.ToString();
    }

    private static void WriteValMetrics(Utf8JsonWriter w, ValidationMetrics? m, bool prefixed)
    {
        w.WriteStartObject();
        foreach (var key in GuideSchema.FinalMetricKeys)
        {
            string name = prefixed ? key : GuideSchema.Unprefixed(key);
            if (m is null) w.WriteNull(name); else WriteFinite(w, name, m[key]);
        }
        w.WriteEndObject();
    }

    private static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Completed => "completed",
        RunStatus.EarlyStopped => "early_stopped",
        RunStatus.Interrupted => "interrupted",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The status names complete_summary.json's `status` may hold.</summary>
    public static readonly IReadOnlyList<string> StatusNames = Enum.GetValues<RunStatus>().Select(StatusName).ToList();

    // The experiment folder never holds NaN or infinity: a non-finite training value is a trainer bug, so saving stops.
    private static void WriteFinite(Utf8JsonWriter w, string name, double value, int? epoch = null) =>
        w.WriteFloat(name, value, NonFinite.Throws, epoch is int e ? $"epoch {e} {name}" : name);
}
