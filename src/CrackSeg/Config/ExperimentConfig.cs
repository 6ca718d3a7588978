using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>The `experiment` section: what the run is called and where its folder goes.</summary>
public sealed record ExperimentConfig
{
    [Required, RegularExpression(@"^[A-Za-z0-9._-]+$", ErrorMessage = "letters, digits, '.', '_' and '-' only")]
    public string Name { get; init; } = "experiment";
    public string ProjectName { get; init; } = "crack-segmentation";
    public string OutputDir { get; init; } = "artifacts/experiments";
    [Range(0, int.MaxValue)]
    public int Seed { get; init; } = 42;
}
