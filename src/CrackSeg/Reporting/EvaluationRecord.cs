using System.Text.Json;

namespace CrackSeg.Reporting;

/// <summary>A threshold-free score (ODS, OIS, AP) and the threshold it was reached at, if recorded.</summary>
public sealed record SweepScore(double Value, double? Threshold);

/// <summary>
/// One folder written by `crackseg evaluate`: evaluation/ (the recorded test split) or evaluation/&lt;dataset&gt;/
/// (every pair of a dataset, `--split all`). metrics.json (kept whole, shown as tables), the headline
/// ODS/OIS/AP, the PR curve, per-image metrics and overlays. Every part is optional; a present but malformed
/// metrics.json or per_image.csv is an input error.
/// </summary>
public sealed record EvaluationRecord
{
    /// <summary>Null for the recorded test split (evaluation/); the dataset's folder name for evaluation/&lt;dataset&gt;/.</summary>
    public string? DatasetName { get; init; }
    /// <summary>The folder relative to the experiment ("evaluation" or "evaluation/&lt;dataset&gt;"), for captions.</summary>
    public string Folder { get; init; } = ExperimentFiles.EvaluationFolder;
    public JsonElement? Metrics { get; init; }
    public SweepScore? Ods { get; init; }
    public SweepScore? Ois { get; init; }
    public SweepScore? Ap { get; init; }
    public ReportImage? PrCurve { get; init; }
    public PerImageTable? PerImage { get; init; }
    public IReadOnlyList<ReportImage> Overlays { get; init; } = [];
    /// <summary>Overlay files found beyond <see cref="MaxOverlays"/>, not embedded.</summary>
    public int OverlaysLeftOut { get; init; }

    public const int MaxOverlays = 24;

    /// <summary>"test", or the dataset's name.</summary>
    public string Label => DatasetName ?? "test";
    public string MetricsFile => Folder + "/" + EvaluationFileNames.Metrics;
    public string PerImageFile => Folder + "/" + EvaluationFileNames.PerImage;
    public string OverlaysFolder => Folder + "/" + EvaluationFileNames.Overlays;

    /// <summary>metrics.json's integer <paramref name="key"/> (image_count, tta_passes), or null.</summary>
    public long? Integer(string key) =>
        Metrics is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    /// <summary>metrics.json's string <paramref name="key"/> (tta, data_root), or null.</summary>
    public string? Text(string key) =>
        Metrics is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The recorded test split's evaluation/ folder; null when it holds no evaluation files (only dataset folders, or nothing).</summary>
    internal static EvaluationRecord? Load(string dir, ICollection<string> warnings) =>
        LoadFolder(dir, ExperimentFiles.EvaluationFolder, null, warnings);

    /// <summary>
    /// The evaluation/&lt;dataset&gt;/ folders (those holding a metrics.json), by name: evaluations of whole
    /// datasets, side by side.
    /// </summary>
    internal static IReadOnlyList<EvaluationRecord> LoadDatasets(string dir, ICollection<string> warnings)
    {
        string root = Path.Combine(dir, ExperimentFiles.EvaluationFolder);
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name != EvaluationFileNames.Overlays && File.Exists(Path.Combine(root, name, EvaluationFileNames.Metrics)))
            .Order(StringComparer.Ordinal)
            .Select(name => LoadFolder(dir, ExperimentFiles.EvaluationFolder + "/" + name, name, warnings))
            .OfType<EvaluationRecord>()
            .ToList();
    }

    private static EvaluationRecord? LoadFolder(string dir, string relative, string? datasetName, ICollection<string> warnings)
    {
        string root = Path.Combine(dir, relative);
        if (!Directory.Exists(root)) return null;

        string metricsFile = Path.Combine(root, EvaluationFileNames.Metrics);
        JsonElement? metrics = File.Exists(metricsFile) ? JsonFields.ReadFile(metricsFile).Element : null;
        string prFile = Path.Combine(root, EvaluationFileNames.PrCurve);
        string csvFile = Path.Combine(root, EvaluationFileNames.PerImage);
        string overlayDir = Path.Combine(root, EvaluationFileNames.Overlays);

        var overlayFiles = Directory.Exists(overlayDir)
            ? Directory.EnumerateFiles(overlayDir)
                .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        var overlays = overlayFiles.Take(MaxOverlays).Select(f => ReportImage.TryLoad(f, warnings)).OfType<ReportImage>().ToList();

        var record = new EvaluationRecord
        {
            DatasetName = datasetName,
            Folder = relative,
            Metrics = metrics,
            Ods = metrics is { } m1 ? FindScore(m1, "ods") : null,
            Ois = metrics is { } m2 ? FindScore(m2, "ois") : null,
            Ap = metrics is { } m3 ? FindScore(m3, "ap", "average_precision") : null,
            PrCurve = File.Exists(prFile) ? ReportImage.TryLoad(prFile, warnings) : null,
            PerImage = File.Exists(csvFile) ? PerImageTable.Read(csvFile) : null,
            Overlays = overlays,
            OverlaysLeftOut = Math.Max(0, overlayFiles.Count - MaxOverlays),
        };
        bool empty = record.Metrics is null && record.PrCurve is null && record.PerImage is null && overlayFiles.Count == 0;
        return empty ? null : record;
    }

    /// <summary>
    /// Finds a sweep score by key name at the top level or one object down ("sweep": {"ods": ...}).
    /// The value is a number, or an object holding the score (f1/f/value/score/ap) and its threshold.
    /// </summary>
    internal static SweepScore? FindScore(JsonElement root, params string[] names)
    {
        foreach (var scope in Scopes(root))
            foreach (var p in scope.EnumerateObject())
                if (names.Any(n => p.Name.Equals(n, StringComparison.OrdinalIgnoreCase)) && ToScore(p.Value) is { } score)
                    return score;
        return null;
    }

    private static IEnumerable<JsonElement> Scopes(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) yield break;
        yield return root;
        foreach (var p in root.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Object) yield return p.Value;
    }

    private static SweepScore? ToScore(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number) return new SweepScore(v.GetDouble(), null);
        if (v.ValueKind != JsonValueKind.Object) return null;
        double? value = null, threshold = null;
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number) continue;
            string n = p.Name.ToLowerInvariant();
            if (value is null && n is "f1" or "f" or "f_measure" or "fscore" or "value" or "score" or "ap") value = p.Value.GetDouble();
            else if (threshold is null && n is "threshold" or "thr" or "best_threshold") threshold = p.Value.GetDouble();
        }
        return value is double d ? new SweepScore(d, threshold) : null;
    }
}
