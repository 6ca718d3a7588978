using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>
/// Everything random about one sample in one epoch, drawn on the host from
/// <c>DeterministicRng(seed, epoch, sample index)</c> and then applied as tensor ops: which window
/// of the cached image is read (<see cref="SrcX"/>..), the size it lands at on the canvas
/// (<see cref="DstWidth"/>, <see cref="DstHeight"/>; resampled when it differs), flips, rot90,
/// a small rotation and the photometric factors (1 = unchanged).
/// </summary>
internal readonly record struct SamplePlan(
    int SrcX, int SrcY, int SrcWidth, int SrcHeight,
    int DstWidth, int DstHeight,
    bool HFlip, bool VFlip, int Rot90,
    double AngleDegrees,
    double Brightness, double Contrast, double Gamma)
{
    public bool NeedsResample => SrcWidth != DstWidth || SrcHeight != DstHeight;
    /// <summary>Needs an interpolating warp (resize and/or rotation) rather than a plain copy.</summary>
    public bool NeedsWarp => NeedsResample || AngleDegrees != 0;
    public int DihedralKey => (HFlip ? 1 : 0) | (VFlip ? 2 : 0) | (Rot90 << 2);
    public bool HasPhotometric => Brightness != 1.0 || Contrast != 1.0;
}

/// <summary>
/// Chooses sample geometry for <c>data.fit</c> and draws augmentation parameters.
/// <para>Training (random): <c>random_crop</c> takes an image_size² window at native resolution;
/// <c>resize</c> stretches the whole image to image_size²; <c>pad</c> shrinks large images to fit
/// (aspect kept, never enlarged) and pads. The scale augmentation zooms each of these by s (the window
/// is image_size/s, resampled to image_size), at a random position.</para>
/// <para>Evaluation (deterministic, val/test): <c>random_crop</c> → the whole image at native resolution,
/// padded bottom/right to a multiple of 32 (a centre crop would drop most of the image from the
/// metrics); <c>resize</c> → the same resize as training; <c>pad</c> → the same letterbox as
/// training. The model always sees the scale it was trained at.</para>
/// </summary>
internal static class SamplePlanner
{
    /// <summary>Training plan: random geometry and augmentations.</summary>
    public static SamplePlan Train(SamplePair pair, DataConfig data, DeterministicRng rng)
    {
        var a = data.Augment;
        int size = data.ImageSize;
        // Fixed draw order, every value drawn whether used or not: changing one probability
        // does not reshuffle the other parameters.
        bool hflip = rng.Chance(a.Hflip);
        bool vflip = rng.Chance(a.Vflip);
        bool rot = rng.Chance(a.Rot90);
        int k = 1 + rng.NextInt(3);
        bool scale = rng.Chance(a.Scale);
        double s = rng.Uniform(Math.Min(a.ScaleMin, a.ScaleMax), Math.Max(a.ScaleMin, a.ScaleMax));
        double ux = rng.NextDouble(), uy = rng.NextDouble();
        bool bright = rng.Chance(a.Brightness);
        double bv = rng.Uniform(1 - a.BrightnessRange, 1 + a.BrightnessRange);
        bool contrast = rng.Chance(a.Contrast);
        double cv = rng.Uniform(1 - a.ContrastRange, 1 + a.ContrastRange);
        bool gamma = rng.Chance(a.Gamma);
        double gv = rng.Uniform(Math.Max(0.05, 1 - a.GammaRange), 1 + a.GammaRange);
        bool rotate = rng.Chance(a.Rotate);
        double angle = rng.Uniform(-a.RotateDegrees, a.RotateDegrees);

        var (rx, ry) = BaseScale(data.Fit, pair.Width, pair.Height, size);
        if (scale) { rx *= s; ry *= s; }
        var (srcW, dstW) = Axis(pair.Width, size, rx);
        var (srcH, dstH) = Axis(pair.Height, size, ry);
        int x = (int)Math.Min(pair.Width - srcW, Math.Floor(ux * (pair.Width - srcW + 1)));
        int y = (int)Math.Min(pair.Height - srcH, Math.Floor(uy * (pair.Height - srcH + 1)));
        return new SamplePlan(x, y, srcW, srcH, dstW, dstH,
            hflip, vflip, rot ? k : 0,
            rotate && a.RotateDegrees > 0 ? angle : 0,
            bright ? bv : 1, contrast ? cv : 1, gamma ? gv : 1);
    }

    /// <summary>Evaluation plan: the whole image, deterministic, no augmentation.</summary>
    public static SamplePlan Eval(SamplePair pair, DataConfig data)
    {
        if (IsFit(data.Fit, "random_crop"))
            return new SamplePlan(0, 0, pair.Width, pair.Height, pair.Width, pair.Height, false, false, 0, 0, 1, 1, 1);
        var (rx, ry) = BaseScale(data.Fit, pair.Width, pair.Height, data.ImageSize);
        var (srcW, dstW) = Axis(pair.Width, data.ImageSize, rx);
        var (srcH, dstH) = Axis(pair.Height, data.ImageSize, ry);
        return new SamplePlan(0, 0, srcW, srcH, dstW, dstH, false, false, 0, 0, 1, 1, 1);
    }

    /// <summary>The canvas of an evaluation batch: image_size² for resize/pad, else the largest image rounded up to 32.</summary>
    public static (int Width, int Height) EvalCanvas(IEnumerable<SamplePlan> plans, DataConfig data)
    {
        if (!IsFit(data.Fit, "random_crop")) return (data.ImageSize, data.ImageSize);
        int w = 0, h = 0;
        foreach (var p in plans) { w = Math.Max(w, p.DstWidth); h = Math.Max(h, p.DstHeight); }
        return (RoundUp32(w), RoundUp32(h));
    }

    public static int RoundUp32(int v) => (v + 31) / 32 * 32;

    /// <summary>Output pixels per source pixel before any zoom, per axis.</summary>
    private static (double X, double Y) BaseScale(string fit, int width, int height, int size)
    {
        if (IsFit(fit, "resize")) return ((double)size / width, (double)size / height);
        if (IsFit(fit, "pad"))
        {
            double r = Math.Min(1.0, Math.Min((double)size / width, (double)size / height));
            return (r, r);
        }
        return (1.0, 1.0);
    }

    /// <summary>
    /// Source window length and its length on the canvas along one axis: the window that fills
    /// image_size at <paramref name="scale"/>, clamped to the image (what does not fit is padding).
    /// </summary>
    private static (int Src, int Dst) Axis(int length, int size, double scale)
    {
        int wanted = Math.Max(1, (int)Math.Round(size / scale));
        if (wanted <= length) return (wanted, size);
        return (length, Math.Clamp((int)Math.Round(length * scale), 1, size));
    }

    private static bool IsFit(string fit, string name) => string.Equals(fit, name, StringComparison.OrdinalIgnoreCase);
}
