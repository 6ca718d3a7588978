namespace CrackSeg.Evaluation;

/// <summary>What `crackseg predict` asks for (the model comes from <see cref="TrainedModel"/>).</summary>
public sealed record PredictOptions
{
    /// <summary>An image file, or a folder whose image files (top level, .jpg/.jpeg/.png/.bmp/.tif/.tiff) are all predicted.</summary>
    public required string Input { get; init; }
    /// <summary>Folder for &lt;stem&gt;_mask.png, &lt;stem&gt;_prob.png and &lt;stem&gt;_overlay.png (created when missing).</summary>
    public required string Output { get; init; }
    /// <summary>Probability threshold of the binary mask; null: metrics.threshold of the model's config.</summary>
    public double? Threshold { get; init; }
    /// <summary>Tile side in pixels (multiple of 32); images no larger than this run in one pass.</summary>
    public int Tile { get; init; } = 512;
    /// <summary>Pixels shared by neighbouring tiles (0..Tile/2), blended without seams.</summary>
    public int Overlap { get; init; } = 64;
    /// <summary>Tiles per forward pass.</summary>
    public int TileBatch { get; init; } = 4;
    /// <summary>Test-time augmentation: none, flip (3 passes) or d4 (8 passes); probabilities averaged per tile before blending.</summary>
    public string Tta { get; init; } = "none";
}

/// <summary>Outcome of one input file.</summary>
public enum PredictFileStatus { Processed, Skipped }

/// <summary>Reported after every input file: <paramref name="Index"/> of <paramref name="Total"/> (1-based), and why a skipped file was skipped.</summary>
public sealed record PredictProgress(int Index, int Total, string File, PredictFileStatus Status, string? Reason);

/// <summary>One predicted image and its three outputs.</summary>
public sealed record PredictedFile(string Input, string Mask, string Probability, string Overlay, int Width, int Height, int Tiles, double CrackRatio, double Seconds);

/// <summary>An input that was not predicted, and why (it names the file and the problem).</summary>
public sealed record SkippedFile(string Input, string Reason);

/// <summary>What `crackseg predict` did: every file processed or skipped, in input order.</summary>
/// <param name="Tta">The test-time augmentation used.</param>
/// <param name="TtaPasses">Forward passes per tile (1, 3 or 8): the factor TTA multiplies the model's time by.</param>
/// <param name="TtaTimeFactor">Measured time of all passes over the identity pass (CPU only, else null).</param>
public sealed record PredictionSummary(IReadOnlyList<PredictedFile> Processed, IReadOnlyList<SkippedFile> Skipped, double Seconds,
    TtaMode Tta = TtaMode.None, int TtaPasses = 1, double? TtaTimeFactor = 1.0)
{
    /// <summary>Input megapixels per second over the processed images (decode, model and PNG writes included).</summary>
    public double MegapixelsPerSecond => Seconds > 0 ? Processed.Sum(p => (double)p.Width * p.Height) / 1e6 / Seconds : 0;
}
