using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CrackSeg.Artifacts;

/// <summary>
/// The text of each metrics file the saver writes, from a snapshot: pure functions, no I/O. Keys come in
/// the guide's order, extras after them. Numbers are JSON numbers (floats always with a decimal point),
/// values that were not measured are null, and NaN/Infinity throw.
/// </summary>
public static class ExperimentDocuments
{
    // Relaxed escaping: these are files, not HTML; keeps '+' of UTC offsets and non-ASCII names readable.
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>metrics/complete_summary.json.</summary>
    public static string CompleteSummary(ExperimentSnapshot s, DateTimeOffset savedAt) => Json(Indented, w =>
    {
        w.WriteStartObject();
        w.WriteString("experiment_name", s.ExperimentName);
        w.WriteString("project_name", s.ProjectName);
        w.WriteString("model_type", s.ModelType);
        w.WriteString("dataset", s.Dataset);
        w.WriteNumber("training_epochs", s.TrainingEpochs);
        w.WriteNumber("batch_size", s.BatchSize);
        WriteFloat(w, "learning_rate", s.LearningRate);
        w.WritePropertyName("final_metrics");
        WriteValMetrics(w, s.LastValidated?.Validation, prefixed: true);
        WriteNullableInt(w, "best_epoch", s.BestEpoch);
        WriteFloat(w, "total_training_time", s.TotalTrainingTimeS);
        w.WriteString("timestamp", ArtifactFormat.Timestamp(savedAt));
        w.WritePropertyName("hardware_info");
        WriteHardwareInfo(w, s.Hardware);
        // Extras after the guide's keys.
        w.WriteNumber("epochs_completed", s.Epochs.Count);
        w.WriteString("status", StatusName(s.Status));
        w.WriteBoolean("early_stopped", s.Status == RunStatus.EarlyStopped);
        WriteNullableString(w, "early_stop_reason", s.EarlyStopReason);
        WriteNullableInt(w, "final_metrics_epoch", s.LastValidated?.Epoch);
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
            WriteNullableFloat(w, "best_" + key, best?["val_" + key]);
        WriteNullableFloat(w, "final_loss", s.LastValidated?.Validation?.Loss);
        WriteFloat(w, "training_time", s.TotalTrainingTimeS);
        w.WriteStartObject("best_metrics");
        foreach (var key in PythonReaderSchema.BestMetricsKeys)
        {
            // {value: null, epoch: null} rather than a null entry: those readers call .get("value") on it.
            w.WriteStartObject(key);
            WriteNullableFloat(w, "value", best?["val_" + key]);
            WriteNullableInt(w, "epoch", best is null ? null : s.BestEpoch);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("experiment_info");
        w.WriteNumber("total_epochs", s.TrainingEpochs);
        WriteNullableInt(w, "best_epoch", s.BestEpoch);
        w.WriteNumber("epochs_completed", s.Epochs.Count);
        w.WriteEndObject();
    }

    /// <summary>complete_summary.json's `hardware_info` object alone (for `crackseg info --hardware-json`).</summary>
    public static string HardwareInfo(HardwareSnapshot hardware) => Json(Indented, w => WriteHardwareInfo(w, hardware));

    private static void WriteHardwareInfo(Utf8JsonWriter w, HardwareSnapshot hardware)
    {
        w.WriteStartObject();
        w.WriteString("device", hardware.Device);
        w.WriteBoolean("cuda_available", hardware.CudaAvailable);
        w.WriteString("gpu_name", hardware.GpuName);
        WriteNullableLong(w, "gpu_memory_total_bytes", hardware.GpuMemoryTotalBytes);
        WriteNullableString(w, "driver_version", hardware.DriverVersion);
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
    public static string EpochLine(EpochRecord e) => Json(Compact, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("epoch", e.Epoch);
        WriteFloat(w, "train_loss", e.TrainLoss, e.Epoch);
        foreach (var key in GuideSchema.EpochValidationKeys)
        {
            if (e.Validation is null) w.WriteNull(key);
            else WriteFloat(w, key, e.Validation[key], e.Epoch);
        }
        w.WriteString("timestamp", ArtifactFormat.Timestamp(e.Timestamp));
        WriteFloat(w, "lr", e.LearningRate, e.Epoch);
        WriteFloat(w, "grad_norm", e.GradNorm, e.Epoch);
        WriteFloat(w, "epoch_time_s", e.EpochTimeS, e.Epoch);
        WriteFloat(w, "samples_per_s", e.SamplesPerS, e.Epoch);
        w.WriteEndObject();
    });

    /// <summary>metrics/validation_metrics.json: final_validation (val_-prefixed) and best_validation (epoch + unprefixed).</summary>
    public static string ValidationMetrics(ExperimentSnapshot s) => Json(Indented, w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("final_validation");
        WriteValMetrics(w, s.LastValidated?.Validation, prefixed: true);
        w.WriteStartObject("best_validation");
        WriteNullableInt(w, "epoch", s.BestEpoch);
        var best = s.Best?.Validation;
        foreach (var key in GuideSchema.FinalMetricKeys)
        {
            string name = GuideSchema.Unprefixed(key);
            if (best is null) w.WriteNull(name); else WriteFloat(w, name, best[key]);
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
            if (m is null) w.WriteNull(name); else WriteFloat(w, name, m[key]);
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

    private static void WriteFloat(Utf8JsonWriter w, string name, double value, int? epoch = null)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(ArtifactFormat.Float(value, epoch is int e ? $"epoch {e} {name}" : name), skipInputValidation: true);
    }

    private static void WriteNullableFloat(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v) WriteFloat(w, name, v); else w.WriteNull(name);
    }

    private static void WriteNullableInt(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void WriteNullableLong(Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    private static string Json(JsonWriterOptions options, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, options)) write(w);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return options.Indented ? text + "\n" : text;
    }
}
