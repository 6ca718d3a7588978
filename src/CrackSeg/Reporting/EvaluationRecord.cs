using System.Text.Json;

namespace CrackSeg.Reporting;

/// <summary>A threshold-free score (ODS, OIS, AP) and the threshold it was reached at, if recorded.</summary>
public sealed record SweepScore(double Value, double? Threshold);

/// <summary>
/// The evaluation/ folder written by `crackseg evaluate`: metrics.json (kept whole, shown as
/// tables), the headline ODS/OIS/AP, the PR curve, per-image metrics and overlays. Every part is
/// optional; a present but malformed metrics.json or per_image.csv is an input error.
/// </summary>
public sealed record EvaluationRecord
{
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

    /// <summary>Null when the folder has no evaluation/ content at all.</summary>
    internal static EvaluationRecord? Load(string dir, ICollection<string> warnings)
    {
        string root = Path.Combine(dir, ExperimentFiles.EvaluationFolder);
        if (!Directory.Exists(root)) return null;

        string metricsFile = Path.Combine(dir, ExperimentFiles.EvaluationMetrics);
        JsonElement? metrics = File.Exists(metricsFile) ? JsonFields.ReadFile(metricsFile).Element : null;
        string prFile = Path.Combine(dir, ExperimentFiles.PrCurve);
        string csvFile = Path.Combine(dir, ExperimentFiles.PerImage);
        string overlayDir = Path.Combine(dir, ExperimentFiles.Overlays);

        var overlayFiles = Directory.Exists(overlayDir)
            ? Directory.EnumerateFiles(overlayDir)
                .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        var overlays = overlayFiles.Take(MaxOverlays).Select(f => ReportImage.TryLoad(f, warnings)).OfType<ReportImage>().ToList();

        var record = new EvaluationRecord
        {
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
