using CrackSeg.Artifacts;
using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// Training time in wall-clock minutes at the end of each epoch, for curves against time rather than epochs
/// (what a recipe with a time budget is judged by). Each epoch's duration is its <c>epoch_time_s</c> (training +
/// validation) in metrics.jsonl, else the gap between its timestamp and the previous epoch's; the first epoch,
/// without either, is taken to last as long as the second. Time outside epochs (start-up, a pause before a
/// resume) is not counted.
/// </summary>
public static class LearningCurve
{
    /// <summary>Cumulative minutes per epoch, in order; null from the first epoch whose duration is unknown.</summary>
    public static IReadOnlyList<double?> Minutes(IReadOnlyList<EpochMetrics> epochs)
    {
        var seconds = new double?[epochs.Count];
        for (int i = 0; i < epochs.Count; i++)
            seconds[i] = epochs[i].EpochTimeSeconds is double s && s >= 0 ? s : i > 0 ? Gap(epochs[i - 1], epochs[i]) : null;
        if (seconds.Length > 1 && seconds[0] is null) seconds[0] = seconds[1];

        var minutes = new double?[epochs.Count];
        double total = 0;
        for (int i = 0; i < epochs.Count; i++)
        {
            if (seconds[i] is not double s) break;
            total += s;
            minutes[i] = total / 60;
        }
        return minutes;
    }

    private static double? Gap(EpochMetrics previous, EpochMetrics current) =>
        previous.Timestamp is { } a && current.Timestamp is { } b &&
        ArtifactFormat.TryParseTimestamp(a, out var start) && ArtifactFormat.TryParseTimestamp(b, out var end) && end >= start
            ? (end - start).TotalSeconds
            : null;
}
