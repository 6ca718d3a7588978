using System.ComponentModel.DataAnnotations;

namespace CrackSeg.Config;

/// <summary>The `data` section: where pairs come from and how they are split, decoded and augmented.</summary>
public sealed record DataConfig
{
    /// <summary>Dataset root: images/ + masks/, or train|val|test/{images,masks}.</summary>
    public string Root { get; init; } = "data/synthetic";
    /// <summary>
    /// The dataset's name (config.yaml's `data.dataset`, which the Python reporting module reads). Unset, the
    /// loader names it after the root's folder (<see cref="DatasetName"/>).
    /// </summary>
    public string? Dataset { get; init; }
    /// <summary>train/val/test ratios for the flat images/ + masks/ layout.</summary>
    public ValueArray<double> Splits { get; init; } = [0.7, 0.15, 0.15];
    /// <summary>Optional JSON file with explicit stem lists {"train": [...], "val": [...], "test": [...]}.</summary>
    public string? SplitFile { get; init; }
    [Range(0, 254)]
    public int MaskThreshold { get; init; } = 127;
    [AllowedValues("fail", "skip")]
    public string OnError { get; init; } = "fail";
    [Range(1L, long.MaxValue)]
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;
    [Range(0L, long.MaxValue)]
    public long CacheMaxBytes { get; init; } = 2L * 1024 * 1024 * 1024;
    [Range(32, 8192)]
    public int ImageSize { get; init; } = 256;
    [AllowedValues("random_crop", "resize", "pad")]
    public string Fit { get; init; } = "random_crop";
    /// <summary>Batches a background thread keeps ready when training on CUDA; 0 assembles them inline. The CPU always assembles inline.</summary>
    [Range(0, 64)]
    public int Prefetch { get; init; } = 2;
    public AugmentConfig Augment { get; init; } = new();
    /// <summary>Synthetic data generated into `root` on first use when the root is missing.</summary>
    public SyntheticConfig Synthetic { get; init; } = new();
}

/// <summary>On-device augmentation probabilities and ranges (training split only).</summary>
public sealed record AugmentConfig
{
    [Range(0.0, 1.0)] public double Hflip { get; init; } = 0.5;
    [Range(0.0, 1.0)] public double Vflip { get; init; } = 0.5;
    [Range(0.0, 1.0)] public double Rot90 { get; init; } = 0.5;
    [Range(0.0, 1.0)] public double Scale { get; init; } = 0.3;
    [Range(0.1, 10.0)] public double ScaleMin { get; init; } = 0.75;
    [Range(0.1, 10.0)] public double ScaleMax { get; init; } = 1.25;
    [Range(0.0, 1.0)] public double Brightness { get; init; } = 0.5;
    [Range(0.0, 1.0)] public double BrightnessRange { get; init; } = 0.2;
    [Range(0.0, 1.0)] public double Contrast { get; init; } = 0.5;
    [Range(0.0, 1.0)] public double ContrastRange { get; init; } = 0.2;
    [Range(0.0, 1.0)] public double Gamma { get; init; } = 0.3;
    [Range(0.0, 1.0)] public double GammaRange { get; init; } = 0.2;
    [Range(0.0, 1.0)] public double Rotate { get; init; } = 0.0;
    [Range(0.0, 45.0)] public double RotateDegrees { get; init; } = 10.0;
}

/// <summary>Synthetic crack corpus used by the quickstart and the tests.</summary>
public sealed record SyntheticConfig
{
    public bool Enabled { get; init; } = false;
    [Range(1, 100000)] public int Count { get; init; } = 64;
    [Range(32, 8192)] public int Width { get; init; } = 256;
    [Range(32, 8192)] public int Height { get; init; } = 256;
    [Range(0, int.MaxValue)] public int Seed { get; init; } = 1234;
}
