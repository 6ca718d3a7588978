using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// Checks an experiment folder against the guide's contract (`crackseg artifacts verify DIR`): files
/// present; keys and JSON types; metrics.jsonl epochs 1..N, consecutive, no duplicates; best_epoch
/// consistent with metrics.jsonl under config.yaml's monitor (default val_iou, max, within min_delta);
/// final metrics equal to the last validated epoch everywhere; checkpoints that open, hold every key,
/// match their epoch and history, and hold finite weights; the keys and checkpoint names the Python project's
/// readers use (<see cref="PythonReaderSchema"/>). Returns every problem found (empty: valid).
/// </summary>
public static class ArtifactVerifier
{
    private sealed record Line(int Epoch, IReadOnlyDictionary<string, double?> Values)
    {
        public bool Validated => Values["val_iou"] is not null;
    }

    public static IReadOnlyList<string> Verify(string dir)
    {
        var problems = new List<string>();
        if (!Directory.Exists(dir)) return [$"'{dir}' does not exist"];
        var folder = ExperimentFolder.At(dir); // paths only: missing parts are reported, not thrown

        if (!File.Exists(folder.TrainingLog)) problems.Add("logs/training.log: missing");
        CheckSplits(folder, problems);
        var monitor = VerifierMonitor.Read(folder.ConfigYaml, problems);
        var lines = ReadMetricsJsonl(folder, problems);
        var validated = lines.Where(l => l.Validated).ToList();
        var last = validated.LastOrDefault();

        using var summaryDoc = JsonShape.Parse(folder.CompleteSummaryJson, "metrics/complete_summary.json", problems);
        int? bestEpoch = summaryDoc is null ? null : CheckSummary(summaryDoc.RootElement, lines, last, problems);
        if (summaryDoc is not null) CheckBest(bestEpoch, validated, monitor, problems);
        var best = bestEpoch is int b ? lines.FirstOrDefault(l => l.Epoch == b) : null;
        if (summaryDoc is not null)
            PythonReaderChecks.Check(summaryDoc.RootElement, bestEpoch, best?.Validated == true ? best.Values : null, last?.Values, lines.Count, problems);

        using (var validation = JsonShape.Parse(folder.ValidationMetricsJson, "metrics/validation_metrics.json", problems))
            if (validation is not null) CheckValidationMetrics(validation.RootElement, last, best, bestEpoch, problems);
        CheckFinalResultsYaml(folder.FinalResultsYaml, last, problems);
        CheckpointChecks.Check(folder, lines.Select(l => (l.Epoch, l.Values["train_loss"])).ToList(), bestEpoch, monitor.CheckpointEvery, problems);
        return problems;
    }

    private static List<Line> ReadMetricsJsonl(ExperimentFolder folder, List<string> problems)
    {
        const string name = "metrics/metrics.jsonl";
        var lines = new List<Line>();
        if (!File.Exists(folder.MetricsJsonl)) { problems.Add($"{name}: missing"); return lines; }
        var text = File.ReadAllText(folder.MetricsJsonl);
        if (text.Length > 0 && !text.EndsWith('\n')) problems.Add($"{name}: the last line is not newline-terminated (a torn write?)");
        var raw = text.Split('\n');
        int count = text.EndsWith('\n') ? raw.Length - 1 : raw.Length;
        var keyTypes = GuideSchema.EpochKeys.Select(k => (k, k switch
        {
            "epoch" => JsonType.Int,
            "timestamp" => JsonType.String,
            _ when k.StartsWith("val_", StringComparison.Ordinal) => JsonType.NullableNumber,
            _ => JsonType.Number,
        })).ToList();

        for (int i = 0; i < count; i++)
        {
            string where = $"{name} line {i + 1}";
            if (raw[i].Trim().Length == 0) { problems.Add($"{where}: empty line"); continue; }
            JsonDocument doc;
            try { doc = JsonReading.Document(raw[i], where); }
            catch (InputException e) { problems.Add(e.Message); continue; }
            using (doc)
            {
                var ok = JsonShape.Expect(doc.RootElement, where, keyTypes, problems);
                if (ok.Count != keyTypes.Count) continue;
                if (!ArtifactFormat.TryParseTimestamp(ok["timestamp"].GetString()!, out _))
                    problems.Add($"{where}: timestamp '{ok["timestamp"].GetString()}' is not ISO 8601 with an offset");
                var values = GuideSchema.EpochKeys.Where(k => k is not ("epoch" or "timestamp"))
                    .ToDictionary(k => k, k => ok[k].ValueKind == JsonValueKind.Null ? (double?)null : ok[k].GetDouble());
                int nulls = GuideSchema.EpochValidationKeys.Count(k => values[k] is null);
                if (nulls is not (0 or 7)) problems.Add($"{where}: val_* values must be all numbers (validated) or all null (not validated); {nulls} of 7 are null");
                lines.Add(new Line(ok["epoch"].GetInt32(), values));
            }
        }
        if (count == 0) problems.Add($"{name}: no epochs");
        var seen = new HashSet<int>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (!seen.Add(lines[i].Epoch)) problems.Add($"{name}: epoch {lines[i].Epoch} appears more than once");
            else if (lines[i].Epoch != i + 1) problems.Add($"{name}: line {i + 1} holds epoch {lines[i].Epoch}, expected {i + 1} (epochs must be 1..N, consecutive)");
        }
        return lines;
    }

    /// <summary>complete_summary.json; returns its best_epoch when well-typed.</summary>
    private static int? CheckSummary(JsonElement root, List<Line> lines, Line? last, List<string> problems)
    {
        const string name = "metrics/complete_summary.json";
        var s = JsonShape.Expect(root, name, [
            ("experiment_name", JsonType.String), ("project_name", JsonType.String), ("model_type", JsonType.String),
            ("dataset", JsonType.String), ("training_epochs", JsonType.Int), ("batch_size", JsonType.Int),
            ("learning_rate", JsonType.Number), ("final_metrics", JsonType.Object), ("best_epoch", JsonType.NullableInt),
            ("total_training_time", JsonType.Number), ("timestamp", JsonType.String), ("hardware_info", JsonType.Object),
            ("epochs_completed", JsonType.Int), ("status", JsonType.String), ("early_stopped", JsonType.Bool),
        ], problems);

        if (s.TryGetValue("timestamp", out var ts) && !ArtifactFormat.TryParseTimestamp(ts.GetString()!, out _))
            problems.Add($"{name}: timestamp '{ts.GetString()}' is not ISO 8601 with an offset");
        if (s.TryGetValue("total_training_time", out var tt) && tt.GetDouble() < 0) problems.Add($"{name}: total_training_time is negative");
        if (s.TryGetValue("hardware_info", out var hw))
        {
            var h = JsonShape.Expect(hw, $"{name} hardware_info", [("device", JsonType.String), ("cuda_available", JsonType.Bool), ("gpu_name", JsonType.String)], problems);
            if (h.TryGetValue("device", out var dev) && !Regex.IsMatch(dev.GetString()!, @"^(cpu|cuda(:\d+)?)$"))
                problems.Add($"{name}: hardware_info.device '{dev.GetString()}' is not cpu, cuda or cuda:N");
        }
        if (s.TryGetValue("final_metrics", out var fm))
            CompareMetrics(fm, $"{name} final_metrics", GuideSchema.FinalMetricKeys, k => k, last, problems);

        if (s.TryGetValue("epochs_completed", out var ec) && ec.GetInt32() != lines.Count)
            problems.Add($"{name}: epochs_completed is {ec.GetInt32()} but metrics.jsonl holds {lines.Count} epochs");
        if (s.TryGetValue("training_epochs", out var te))
        {
            int configured = te.GetInt32();
            if (lines.Count > configured) problems.Add($"{name}: metrics.jsonl holds {lines.Count} epochs, more than training_epochs {configured}");
            if (s.TryGetValue("status", out var st))
            {
                string status = st.GetString()!;
                if (!ExperimentDocuments.StatusNames.Contains(status))
                    problems.Add($"{name}: status '{status}' is not one of {string.Join(", ", ExperimentDocuments.StatusNames)}");
                if (status == "completed" && lines.Count != configured)
                    problems.Add($"{name}: status is completed but {lines.Count} of {configured} epochs are recorded");
                if (s.TryGetValue("early_stopped", out var es) && es.GetBoolean() != (status == "early_stopped"))
                    problems.Add($"{name}: early_stopped is {es.GetBoolean().ToString().ToLowerInvariant()} but status is {status}");
            }
        }
        if (!s.TryGetValue("best_epoch", out var be)) return null;
        return be.ValueKind == JsonValueKind.Null ? null : be.GetInt32();
    }

    /// <summary>best_epoch must be a validated epoch that no other validated epoch beats by more than min_delta.</summary>
    private static void CheckBest(int? bestEpoch, List<Line> validated, VerifierMonitor monitor, List<string> problems)
    {
        const string name = "metrics/complete_summary.json";
        if (bestEpoch is null)
        {
            if (validated.Count > 0) problems.Add($"{name}: best_epoch is null but {validated.Count} epochs were validated");
            return;
        }
        var best = validated.FirstOrDefault(l => l.Epoch == bestEpoch);
        if (best is null) { problems.Add($"{name}: best_epoch {bestEpoch} is not a validated epoch of metrics.jsonl"); return; }
        double bestValue = best.Values[monitor.Monitor]!.Value;
        var better = validated.FirstOrDefault(l => monitor.Beats(l.Values[monitor.Monitor]!.Value, bestValue));
        if (better is not null)
            problems.Add($"{name}: best_epoch {bestEpoch} ({monitor.Monitor} {Num(bestValue)}) is not the best under {monitor.Mode} {monitor.Monitor} with min_delta {Num(monitor.MinDelta)}: epoch {better.Epoch} has {Num(better.Values[monitor.Monitor]!.Value)}");
    }

    private static void CheckValidationMetrics(JsonElement root, Line? last, Line? best, int? bestEpoch, List<string> problems)
    {
        const string name = "metrics/validation_metrics.json";
        var v = JsonShape.Expect(root, name, [("final_validation", JsonType.Object), ("best_validation", JsonType.Object)], problems);
        if (v.TryGetValue("final_validation", out var final))
            CompareMetrics(final, $"{name} final_validation", GuideSchema.FinalMetricKeys, k => k, last, problems);
        if (v.TryGetValue("best_validation", out var bv))
        {
            var b = JsonShape.Expect(bv, $"{name} best_validation", [("epoch", JsonType.NullableInt)], problems);
            if (b.TryGetValue("epoch", out var e))
            {
                int? epoch = e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
                if (epoch != bestEpoch) problems.Add($"{name}: best_validation.epoch is {Show(epoch)} but complete_summary's best_epoch is {Show(bestEpoch)}");
            }
            CompareMetrics(bv, $"{name} best_validation", GuideSchema.FinalMetricKeys, GuideSchema.Unprefixed, best, problems);
        }
    }

    /// <summary>Each metric present with the right type and equal to <paramref name="source"/>'s value (all null when there is none).</summary>
    private static void CompareMetrics(JsonElement obj, string where, IReadOnlyList<string> valKeys, Func<string, string> nameOf, Line? source, List<string> problems)
    {
        var types = valKeys.Select(k => (nameOf(k), source is null ? JsonType.NullableNumber : JsonType.Number));
        var ok = JsonShape.Expect(obj, where, types, problems);
        foreach (var key in valKeys)
        {
            if (!ok.TryGetValue(nameOf(key), out var value)) continue;
            double? actual = value.ValueKind == JsonValueKind.Null ? null : value.GetDouble();
            double? expected = source?.Values[key];
            if (actual != expected)
                problems.Add($"{where}: {nameOf(key)} is {Show(actual)} but metrics.jsonl {(source is null ? "has no validated epoch" : $"epoch {source.Epoch} has {Show(expected)}")}");
        }
    }

    private static void CheckFinalResultsYaml(string path, Line? last, List<string> problems)
    {
        const string name = "final_results.yaml";
        if (!File.Exists(path)) { problems.Add($"{name}: missing"); return; }
        YamlMappingNode map;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(path)));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m) { problems.Add($"{name}: expected a flat mapping of val_* keys"); return; }
            map = m;
        }
        catch (YamlDotNet.Core.YamlException e) { problems.Add($"{name}: not valid YAML ({e.Message})"); return; }
        foreach (var key in GuideSchema.FinalMetricKeys)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is not YamlScalarNode scalar)
            {
                problems.Add($"{name}: missing key '{key}'");
                continue;
            }
            string text = scalar.Value ?? "";
            double? expected = last?.Values[key];
            if (text is "null" or "~" or "")
            {
                if (expected is not null) problems.Add($"{name}: {key} is null but metrics.jsonl epoch {last!.Epoch} has {Show(expected)}");
            }
            else if (!IsPlainYamlFloat(text) || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                problems.Add($"{name}: {key} '{text}' is not a plain YAML float (PyYAML would read it as a string)");
            else if (v != expected)
                problems.Add($"{name}: {key} is {Num(v)} but metrics.jsonl {(last is null ? "has no validated epoch" : $"epoch {last.Epoch} has {Show(expected)}")}");
        }
    }

    /// <summary>PyYAML's (YAML 1.1) float pattern: a dot is required and an exponent carries a sign.</summary>
    private static bool IsPlainYamlFloat(string text) =>
        Regex.IsMatch(text, @"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$");

    private static void CheckSplits(ExperimentFolder folder, List<string> problems)
    {
        using var doc = JsonShape.Parse(folder.SplitsJson, "splits.json", problems);
        if (doc is null) return;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) { problems.Add("splits.json: expected a JSON object of split name → list of samples"); return; }
        foreach (var split in doc.RootElement.EnumerateObject())
            if (split.Name is "train" or "val" or "test" && split.Value.ValueKind != JsonValueKind.Array)
                problems.Add($"splits.json: '{split.Name}' should be a list, found {JsonShape.Show(split.Value)}");
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Show(double? v) => v is double d ? Num(d) : "null";
    private static string Show(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "null";
}
