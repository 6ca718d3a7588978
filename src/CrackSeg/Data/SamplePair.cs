namespace CrackSeg.Data;

/// <summary>
/// One usable image/mask pair. <see cref="Width"/> and <see cref="Height"/> come from the image
/// header (checked equal to the mask's before training).
/// </summary>
public sealed record SamplePair(string Stem, string ImagePath, string MaskPath, int Width, int Height)
{
    public long PixelCount => (long)Width * Height;
}

/// <summary>The three splits of a dataset.</summary>
public enum SplitName { Train, Val, Test }

/// <summary>Split keys as written in splits.json and the config ("train", "val", "test").</summary>
public static class SplitNames
{
    public static string ToKey(this SplitName split) => split switch
    {
        SplitName.Train => "train",
        SplitName.Val => "val",
        _ => "test",
    };

    public static readonly SplitName[] All = [SplitName.Train, SplitName.Val, SplitName.Test];
}
