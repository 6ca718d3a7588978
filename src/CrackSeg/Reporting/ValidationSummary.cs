namespace CrackSeg.Reporting;

/// <summary>metrics/validation_metrics.json: the last epoch's and the best epoch's validation metrics.</summary>
public sealed record ValidationSummary(MetricSet Final, MetricSet Best, int? BestEpoch)
{
    internal static ValidationSummary Read(JsonFields o)
    {
        var final = o.RequiredObject("final_validation");
        var best = o.RequiredObject("best_validation");
        return new ValidationSummary(MetricSet.Read(final), MetricSet.Read(best), best.OptionalInt("epoch"));
    }
}
