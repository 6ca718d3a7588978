using System.Text.Json;
using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// Everything the report and compare commands read from one experiment folder. Required:
/// metrics/complete_summary.json, metrics/metrics.jsonl, metrics/validation_metrics.json. Optional:
/// config.yaml, final_results.yaml, logs/training.log, metrics/test_metrics.json, evaluation/ and evaluation/&lt;dataset&gt;/.
/// A missing required file, or any present file that does not parse, is an <see cref="InputException"/>
/// naming the file; recoverable oddities (duplicate epoch lines, unreadable images) become <see cref="Warnings"/>.
/// </summary>
public sealed record ExperimentRecord
{
    public required string Directory { get; init; }
    public required RunSummary Summary { get; init; }
    /// <summary>One entry per epoch, ascending, duplicates resolved to the last line written.</summary>
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }
    public required ValidationSummary Validation { get; init; }
    public MetricSet? FinalResults { get; init; }
    public string? ConfigText { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Config { get; init; } = [];
    public TrainingLogDigest? Log { get; init; }
    public JsonElement? TestMetrics { get; init; }
    /// <summary>The recorded test split's evaluation (evaluation/).</summary>
    public EvaluationRecord? Evaluation { get; init; }
    /// <summary>Evaluations of whole datasets (evaluation/&lt;dataset&gt;/, `evaluate --split all`), by folder name.</summary>
    public IReadOnlyList<EvaluationRecord> DatasetEvaluations { get; init; } = [];

    /// <summary>The test split's evaluation (if any), then every dataset evaluation.</summary>
    public IEnumerable<EvaluationRecord> AllEvaluations => Evaluation is null ? DatasetEvaluations : DatasetEvaluations.Prepend(Evaluation);
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The folder's name (the saver's "yyyyMMdd-HHmmss-name"), unique where experiment names repeat.</summary>
    public string FolderName => Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory));

    public int EpochsCompleted => Summary.EpochsCompleted ?? (Epochs.Count == 0 ? 0 : Epochs[^1].Epoch);

    /// <summary>The config value at a dotted key ("model.preset"), or null.</summary>
    public string? ConfigValue(string key) => Config.FirstOrDefault(kv => kv.Key == key).Value;

    public string? Preset => Summary.ModelPreset ?? ConfigValue("model.preset");

    /// <summary>The best epoch as validation_metrics.json or complete_summary.json names it; null before any validation.</summary>
    public int? BestEpoch => Validation.BestEpoch ?? Summary.BestEpoch;

    public static ExperimentRecord Load(string experimentDir)
    {
        ArgumentNullException.ThrowIfNull(experimentDir);
        string dir = Path.GetFullPath(experimentDir);
        if (!System.IO.Directory.Exists(dir))
            throw new InputException($"{experimentDir}: experiment folder not found");
        string P(string rel) => Path.Combine(dir, rel);
        var warnings = new List<string>();

        var summary = RunSummary.Read(JsonFields.ReadFile(P(ExperimentFiles.CompleteSummary)));
        var epochs = ReadEpochs(P(ExperimentFiles.EpochMetrics), warnings);
        var validation = ValidationSummary.Read(JsonFields.ReadFile(P(ExperimentFiles.ValidationMetrics)));

        MetricSet? finalResults = null;
        if (File.Exists(P(ExperimentFiles.FinalResults)))
        {
            string file = P(ExperimentFiles.FinalResults);
            finalResults = YamlFlat.ReadMetrics(file, YamlFlat.Read(file, JsonFields.ReadText(file)));
        }

        string? configText = File.Exists(P(ExperimentFiles.Config)) ? JsonFields.ReadText(P(ExperimentFiles.Config)) : null;
        var config = configText is null ? [] : YamlFlat.Read(P(ExperimentFiles.Config), configText);

        if (validation.BestEpoch is int be && summary.BestEpoch is int sb && be != sb)
            warnings.Add($"{ExperimentFiles.ValidationMetrics} names best epoch {be}, {ExperimentFiles.CompleteSummary} names {summary.BestEpoch}");
        if (summary.BestEpoch is int bestEpoch && epochs.All(e => e.Epoch != bestEpoch))
            warnings.Add($"best epoch {summary.BestEpoch} has no line in {ExperimentFiles.EpochMetrics}");

        return new ExperimentRecord
        {
            Directory = dir,
            Summary = summary,
            Epochs = epochs,
            Validation = validation,
            FinalResults = finalResults,
            ConfigText = configText,
            Config = config,
            Log = File.Exists(P(ExperimentFiles.TrainingLog)) ? TrainingLogDigest.Read(P(ExperimentFiles.TrainingLog)) : null,
            TestMetrics = File.Exists(P(ExperimentFiles.TestMetrics)) ? JsonFields.ReadFile(P(ExperimentFiles.TestMetrics)).Element : null,
            Evaluation = EvaluationRecord.Load(dir, warnings),
            DatasetEvaluations = EvaluationRecord.LoadDatasets(dir, warnings),
            Warnings = warnings,
        };
    }

    private static List<EpochMetrics> ReadEpochs(string file, List<string> warnings)
    {
        string text = JsonFields.ReadText(file);
        var byEpoch = new SortedDictionary<int, EpochMetrics>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0) continue;
            string where = $"{file} line {i + 1}";
            var fields = new JsonFields(JsonFields.Parse(line, where), where, "");
            var epoch = EpochMetrics.Read(fields);
            if (byEpoch.ContainsKey(epoch.Epoch))
                warnings.Add($"{ExperimentFiles.EpochMetrics}: epoch {epoch.Epoch} appears more than once; the last line is used");
            byEpoch[epoch.Epoch] = epoch;
        }
        if (byEpoch.Count == 0)
            throw new InputException($"{file}: no epoch lines; the run finished no epoch (expected one JSON object per line)");
        var list = byEpoch.Values.ToList();
        var gaps = list.Zip(list.Skip(1)).Where(p => p.Second.Epoch != p.First.Epoch + 1).Select(p => $"{p.First.Epoch}→{p.Second.Epoch}").ToList();
        if (gaps.Count > 0) warnings.Add($"{ExperimentFiles.EpochMetrics}: epochs are not consecutive ({string.Join(", ", gaps)})");
        return list;
    }
}
