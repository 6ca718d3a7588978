using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Metrics;

namespace CrackSeg.Evaluation;

/// <summary>
/// The files of an evaluation folder — their names and formats are a contract with the reporting module
/// (ours and the Python one), so they live in one place:
/// <list type="bullet">
/// <item><c>metrics.json</c>: run facts as top-level scalars; metric groups <c>dataset</c>, <c>per_image_mean</c>,
/// <c>ods</c>, <c>ois</c>, <c>tolerance</c> (objects of numbers); <c>ap</c> and <c>cldice</c> as numbers; the whole
/// threshold sweep as <c>sweep</c> (rows of threshold, precision, recall, f1, tp, fp, fn).</item>
/// <item><c>per_image.csv</c>: stem, iou, f1, precision, recall, crack_ratio, tolerance_f1, cldice, best_f1, best_threshold.</item>
/// <item><c>pr_curve.png</c>, and <c>overlays/best_NN_&lt;stem&gt;.png</c>, <c>overlays/worst_NN_&lt;stem&gt;.png</c>.</item>
/// <item><c>metrics/test_metrics.json</c> in the experiment folder: flat <c>test_*</c> keys for the Python reporting module.</item>
/// </list>
/// Floats are written as Python's repr (always a decimal point), NaN/Infinity never (null instead).
/// </summary>
public static class EvaluationFiles
{
    public const string FormatTag = "crackseg-evaluation/1";
    public const string MetricsJson = "metrics.json";
    public const string PerImageCsv = "per_image.csv";
    public const string PrCurvePng = "pr_curve.png";
    public const string OverlaysFolder = "overlays";

    /// <summary>The columns of per_image.csv, in order.</summary>
    public static readonly IReadOnlyList<string> PerImageColumns =
        ["stem", "iou", "f1", "precision", "recall", "crack_ratio", "tolerance_f1", "cldice", "best_f1", "best_threshold"];

    private static readonly Regex OverlayName = new(@"^(best|worst)_\d{2,}_.+\.png$", RegexOptions.CultureInvariant);

    /// <summary>Writes metrics.json, per_image.csv and pr_curve.png into <paramref name="outputDir"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(EvaluationReport report, string outputDir)
    {
        Directory.CreateDirectory(outputDir);
        string metrics = Path.Combine(outputDir, MetricsJson);
        string csv = Path.Combine(outputDir, PerImageCsv);
        string pr = Path.Combine(outputDir, PrCurvePng);
        AtomicFile.WriteAllText(metrics, MetricsJsonText(report));
        AtomicFile.WriteAllText(csv, PerImageCsvText(report));
        AtomicFile.WriteAllBytes(pr, PrCurveChart.RenderPng(report));
        return [metrics, csv, pr];
    }

    public static string MetricsJsonText(EvaluationReport r) => Json(w =>
    {
        var m = r.Metrics;
        var sweep = r.Sweep;
        w.WriteString("format", FormatTag);
        w.WriteString("experiment", r.ExperimentDir);
        w.WriteString("split", r.Split);
        w.WriteNumber("image_count", r.ImageCount);
        w.WriteNumber("pixels", m.Total.Pixels);
        w.WriteString("checkpoint", r.Checkpoint.Path);
        w.WriteString("checkpoint_choice", r.Checkpoint.Choice);
        w.WriteString("checkpoint_kind", r.Checkpoint.KindName);
        w.WriteString("checkpoint_weights", r.Checkpoint.Weights);
        w.WriteNullable("checkpoint_epoch", r.Checkpoint.Epoch);
        Float(w, "threshold", r.Threshold);
        w.WriteNumber("histogram_bins", m.Histogram.Bins);
        w.WriteNumber("tolerance_px", r.TolerancePx);
        w.WriteString("data_root", r.DataRoot);
        if (r.DatasetName is not null) w.WriteString("dataset_name", r.DatasetName);
        w.WriteString("device", r.Device);
        w.WriteString("evaluated_at", ArtifactFormat.Timestamp(r.EvaluatedAt));
        Float(w, "seconds", r.Seconds);
        Float(w, "images_per_second", r.Seconds > 0 ? r.ImageCount / r.Seconds : null);
        w.WriteString("tta", r.Tta.ToKey());
        w.WriteNumber("tta_passes", r.TtaPasses);
        Float(w, "tta_time_factor", r.TtaTimeFactor);
        Float(w, "loss", m.Loss);
        w.WriteString("overlay_colours", OverlayRenderer.Legend);

        Group(w, "dataset", m.Iou, m.Dice, m.F1, m.Precision, m.Recall, m.Accuracy);
        Group(w, "per_image_mean", m.MeanIou, m.MeanDice, m.MeanF1, m.MeanPrecision, m.MeanRecall, m.MeanAccuracy);
        w.WriteStartObject("ods");
        Float(w, "f1", sweep.Ods.F);
        Float(w, "precision", sweep.Ods.Precision);
        Float(w, "recall", sweep.Ods.Recall);
        Float(w, "threshold", Shortest(sweep.Ods.Threshold));
        w.WriteEndObject();
        w.WriteStartObject("ois");
        Float(w, "f1", sweep.Ois);
        Float(w, "f1_pooled", sweep.OisPooled);
        w.WriteEndObject();
        Float(w, "ap", sweep.AveragePrecision);
        var tolerance = r.Tolerance;
        w.WriteStartObject("tolerance");
        Float(w, "f1", tolerance.F);
        Float(w, "precision", tolerance.Precision);
        Float(w, "recall", tolerance.Recall);
        Float(w, "mean_f1", r.MeanToleranceF);
        w.WriteEndObject();
        Float(w, "cldice", r.ClDice);

        w.WriteStartArray("sweep");
        foreach (var p in sweep.Points)
        {
            w.WriteStartObject();
            Float(w, "threshold", Shortest(p.Threshold));
            Float(w, "precision", p.Precision);
            Float(w, "recall", p.Recall);
            Float(w, "f1", p.F1);
            w.WriteNumber("tp", p.Counts.Tp);
            w.WriteNumber("fp", p.Counts.Fp);
            w.WriteNumber("fn", p.Counts.Fn);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>
    /// metrics/test_metrics.json: the <c>test_*</c> scalars (loss, iou, f1, precision, recall, dice, accuracy, then
    /// the per-image means, as <see cref="MetricResult.Scalars"/> names them), ODS/OIS/AP, tolerance F, clDice, and
    /// what was evaluated.
    /// </summary>
    public static string TestMetricsJson(EvaluationReport r) => Json(w =>
    {
        foreach (var (key, value) in r.Metrics.Scalars("test_")) Float(w, key, value);
        Float(w, "test_ods", r.Sweep.Ods.F);
        Float(w, "test_ods_threshold", Shortest(r.Sweep.Ods.Threshold));
        Float(w, "test_ois", r.Sweep.Ois);
        Float(w, "test_ap", r.Sweep.AveragePrecision);
        Float(w, "test_tolerance_f1", r.Tolerance.F);
        Float(w, "test_cldice", r.ClDice);
        Float(w, "threshold", r.Threshold);
        w.WriteNumber("tolerance_px", r.TolerancePx);
        w.WriteNumber("num_images", r.ImageCount);
        w.WriteString("checkpoint", r.Checkpoint.Path);
        w.WriteNullable("checkpoint_epoch", r.Checkpoint.Epoch);
        w.WriteString("evaluated_at", ArtifactFormat.Timestamp(r.EvaluatedAt));
    });

    public static string PerImageCsvText(EvaluationReport r)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(',', PerImageColumns)).Append('\n');
        foreach (var i in r.Images)
        {
            sb.Append(CsvField(i.Stem));
            foreach (double v in new[] { i.Counts.Iou, i.Counts.F1, i.Counts.Precision, i.Counts.Recall, i.CrackRatio, i.Tolerance.F, i.ClDice, i.Best.F, Shortest(i.Best.Threshold) })
                sb.Append(',').Append(v.ToString("0.000000", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The overlay images: the <paramref name="k"/> best by F1 (ties: stem order), then the <paramref name="k"/> worst
    /// of the rest. Index is the image's position in the report (= the loader's sample index).
    /// </summary>
    public static IReadOnlyList<(int Index, string FileName)> ChooseOverlays(IReadOnlyList<ImageScore> images, int k)
    {
        var ranked = Enumerable.Range(0, images.Count)
            .OrderByDescending(i => images[i].Counts.F1).ThenBy(i => images[i].Stem, StringComparer.Ordinal).ToList();
        int best = Math.Min(k, ranked.Count);
        int worst = Math.Min(k, ranked.Count - best);
        var chosen = new List<(int, string)>();
        for (int r = 0; r < best; r++) chosen.Add((ranked[r], $"best_{r + 1:00}_{SafeName(images[ranked[r]].Stem)}.png"));
        for (int r = 0; r < worst; r++)
        {
            int i = ranked[ranked.Count - 1 - r];
            chosen.Add((i, $"worst_{r + 1:00}_{SafeName(images[i].Stem)}.png"));
        }
        return chosen;
    }

    /// <summary>True for the overlay files this module writes (replaced on every evaluation).</summary>
    public static bool IsOverlayName(string fileName) => OverlayName.IsMatch(fileName);

    private static string SafeName(string stem) =>
        string.Concat(stem.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    private static string CsvField(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : "\"" + text.Replace("\"", "\"\"") + "\"";

    private static void Group(Utf8JsonWriter w, string name, double iou, double dice, double f1, double precision, double recall, double accuracy)
    {
        w.WriteStartObject(name);
        Float(w, "iou", iou);
        Float(w, "dice", dice);
        Float(w, "f1", f1);
        Float(w, "precision", precision);
        Float(w, "recall", recall);
        Float(w, "accuracy", accuracy);
        w.WriteEndObject();
    }

    /// <summary>A float32 threshold as the shortest double that reads back as it (0.1f → 0.1, not 0.100000001…).</summary>
    internal static double Shortest(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    // An evaluation metric may be undefined (no positive pixel, an empty split): it is written as null, not an error.
    private static void Float(Utf8JsonWriter w, string name, double? value) => w.WriteFloat(name, value, NonFinite.WritesNull);

    private static string Json(Action<Utf8JsonWriter> body) => JsonWriting.Text(indented: true, w =>
    {
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    });
}
