using System.Globalization;
using System.Text.Json;

namespace CrackSeg.Artifacts;

/// <summary>
/// complete_summary.json's keys for the Python project's readers (<see cref="PythonReaderSchema"/>): each
/// present, equal to the metrics.jsonl epoch it comes from, and null (never 0) before any validation.
/// </summary>
internal static class PythonReaderChecks
{
    private const string Name = "metrics/complete_summary.json";

    /// <param name="best">The best epoch's line values (null when none is validated).</param>
    /// <param name="last">The last validated epoch's line values (null when none).</param>
    public static void Check(JsonElement summary, int? bestEpoch, IReadOnlyDictionary<string, double?>? best,
        IReadOnlyDictionary<string, double?>? last, int epochs, List<string> problems)
    {
        var number = best is null ? JsonType.NullableNumber : JsonType.Number;
        var s = JsonShape.Expect(summary, Name, [
            .. PythonReaderSchema.BestKeys.Select(k => ("best_" + k, number)),
            ("final_loss", last is null ? JsonType.NullableNumber : JsonType.Number), ("training_time", JsonType.Number),
            ("best_metrics", JsonType.Object), ("experiment_info", JsonType.Object),
        ], problems);

        foreach (var key in PythonReaderSchema.BestKeys)
            if (s.TryGetValue("best_" + key, out var v)) Same($"best_{key}", Value(v), best?["val_" + key], problems);
        if (s.TryGetValue("final_loss", out var fl)) Same("final_loss", Value(fl), last?["val_loss"], problems);
        if (s.TryGetValue("training_time", out var tt) && summary.TryGetProperty("total_training_time", out var total)
            && total.ValueKind == JsonValueKind.Number && tt.GetDouble() != total.GetDouble())
            problems.Add($"{Name}: training_time {Num(tt.GetDouble())} differs from total_training_time {Num(total.GetDouble())}");

        if (s.TryGetValue("best_metrics", out var bm))
        {
            foreach (var key in PythonReaderSchema.BestMetricsKeys)
            {
                string where = $"{Name} best_metrics.{key}";
                if (!bm.TryGetProperty(key, out var entry)) { problems.Add($"{Name}: best_metrics is missing '{key}'"); continue; }
                var e = JsonShape.Expect(entry, where, [("value", number), ("epoch", best is null ? JsonType.NullableInt : JsonType.Int)], problems);
                if (e.TryGetValue("value", out var value)) Same($"best_metrics.{key}.value", Value(value), best?["val_" + key], problems);
                if (e.TryGetValue("epoch", out var epoch) && Int(epoch) != (best is null ? null : bestEpoch))
                    problems.Add($"{where}: epoch is {Show(Int(epoch))}, best_epoch is {Show(bestEpoch)}");
            }
        }
        if (s.TryGetValue("experiment_info", out var info))
        {
            var i = JsonShape.Expect(info, $"{Name} experiment_info",
                [("total_epochs", JsonType.Int), ("best_epoch", JsonType.NullableInt), ("epochs_completed", JsonType.Int)], problems);
            if (i.TryGetValue("best_epoch", out var be) && Int(be) != bestEpoch)
                problems.Add($"{Name}: experiment_info.best_epoch is {Show(Int(be))}, best_epoch is {Show(bestEpoch)}");
            if (i.TryGetValue("epochs_completed", out var ec) && ec.GetInt32() != epochs)
                problems.Add($"{Name}: experiment_info.epochs_completed is {ec.GetInt32()} but metrics.jsonl holds {epochs} epochs");
            if (i.TryGetValue("total_epochs", out var te) && summary.TryGetProperty("training_epochs", out var configured)
                && configured.ValueKind == JsonValueKind.Number && te.GetRawText() != configured.GetRawText())
                problems.Add($"{Name}: experiment_info.total_epochs is {te.GetRawText()}, training_epochs is {configured.GetRawText()}");
        }
    }

    private static void Same(string key, double? actual, double? expected, List<string> problems)
    {
        if (actual != expected)
            problems.Add($"{Name}: {key} is {Show(actual)} but metrics.jsonl {(expected is null ? "has no validated epoch" : $"has {Show(expected)}")}");
    }

    private static double? Value(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
    private static int? Int(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Show(double? v) => v is double d ? Num(d) : "null";
    private static string Show(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "null";
}
