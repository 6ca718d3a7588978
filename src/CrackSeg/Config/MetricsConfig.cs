using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>The `metrics` section.</summary>
public sealed record MetricsConfig
{
    /// <summary>Probability threshold for the binary metrics.</summary>
    [Range(0.0, 1.0)]
    public double Threshold { get; init; } = 0.5;
    /// <summary>Histogram bins for threshold sweeps (ODS/OIS/AP).</summary>
    [Range(2, 4096)]
    public int HistogramBins { get; init; } = 256;
}
