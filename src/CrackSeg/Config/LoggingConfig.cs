using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>The `logging` section.</summary>
public sealed record LoggingConfig
{
    /// <summary>Steps between host reads of the running loss (each read is a device sync).</summary>
    [Range(1, int.MaxValue)]
    public int LogEvery { get; init; } = 10;
    [AllowedValues("debug", "info", "warning", "error")]
    public string Level { get; init; } = "info";
    /// <summary>auto: a live bar on a terminal, plain lines otherwise.</summary>
    [AllowedValues("auto", "bar", "plain")]
    public string Progress { get; init; } = "auto";
    public bool Tensorboard { get; init; } = false;
}
