namespace CrackSeg.Reporting;

/// <summary>
/// One set of validation metrics (precision, recall, F1, IoU, Dice, accuracy, loss); null where the
/// folder does not record a value.
/// </summary>
public sealed record MetricSet(
    double? Precision, double? Recall, double? F1, double? Iou, double? Dice, double? Accuracy, double? Loss)
{
    public static readonly MetricSet Empty = new(null, null, null, null, null, null, null);

    /// <summary>Metric names in report order, unprefixed as in the guide's best_validation.</summary>
    public static readonly IReadOnlyList<string> Names = ["precision", "recall", "f1", "iou", "dice", "accuracy", "loss"];

    public double? this[string name] => name switch
    {
        "precision" => Precision,
        "recall" => Recall,
        "f1" => F1,
        "iou" => Iou,
        "dice" => Dice,
        "accuracy" => Accuracy,
        "loss" => Loss,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown metric"),
    };

    public bool IsEmpty => Names.All(n => this[n] is null);

    /// <summary>
    /// Reads a metric object written either with the guide's val_ prefix (final_validation,
    /// final_metrics, final_results.yaml) or without it (best_validation).
    /// </summary>
    internal static MetricSet Read(JsonFields o)
    {
        double? Get(string n)
        {
            string? key = o.FirstPresent("val_" + n, n);
            o.MarkRead("val_" + n, n);
            return key is null ? null : o.OptionalNumber(key);
        }
        return new(Get("precision"), Get("recall"), Get("f1"), Get("iou"), Get("dice"), Get("accuracy"), Get("loss"));
    }

    public static string Label(string name) => name switch
    {
        "iou" => "IoU",
        "f1" => "F1",
        _ => char.ToUpperInvariant(name[0]) + name[1..],
    };
}
