using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Data;

/// <summary>
/// The tensor ops of the data path, all on the batch's device. Geometry runs on uint8 NCHW (a
/// quarter of the memory traffic of float); masks go through exactly the same geometric ops as
/// their images and are re-binarised after any interpolation, so they stay 0/1. Photometric
/// jitter and the ImageNet normalisation fuse into one multiply-add per pixel.
/// </summary>
internal static class DeviceAugment
{
    /// <summary>ImageNet statistics (RGB, 0–1 scale).</summary>
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];
    /// <summary>BT.601 luma weights: the grey mean that contrast pivots around (as torchvision).</summary>
    private static readonly float[] Luma = [0.299f, 0.587f, 0.114f];

    /// <summary>
    /// Resizes (and, for a non-zero angle, rotates about the centre) one window — [4,h,w] uint8 on
    /// the device: R, G, B and the 0/1 mask — to <paramref name="height"/>x<paramref name="width"/>
    /// in a single interpolation of all four channels, the mask scaled to 0/255 so it gets exactly
    /// the image's weights and rounding, then cut at the midpoint. A binary image and its mask
    /// therefore stay aligned pixel for pixel. Plain resizes are antialiased bilinear (directly on
    /// uint8 on the CPU, where LibTorch supports it and it is cheapest; float elsewhere);
    /// rotations are bilinear grid sampling with reflected borders.
    /// </summary>
    public static (Tensor Image, Tensor Mask) Warp(Tensor window, int height, int width, double angleDegrees)
    {
        window[3].mul_(255);
        if (angleDegrees == 0 && window.device_type == DeviceType.CPU)
        {
            var resized = F.interpolate(window.unsqueeze(0), [height, width], null, InterpolationMode.Bilinear, false, false, true).squeeze(0);
            return (resized.narrow(0, 0, 3), resized.narrow(0, 3, 1).ge(128).to(ScalarType.Byte));
        }

        var stacked = window.to(ScalarType.Float32).unsqueeze(0);
        Tensor warped;
        if (angleDegrees == 0)
        {
            warped = F.interpolate(stacked, [height, width], null, InterpolationMode.Bilinear, false, false, true);
        }
        else
        {
            // Rotation in output pixel space, expressed in the normalised coordinates grid_sample uses.
            double a = angleDegrees * Math.PI / 180.0, c = Math.Cos(a), s = Math.Sin(a);
            double aspect = (double)height / width;
            var theta = tensor(new[] { (float)c, (float)(-s * aspect), 0f, (float)(s / aspect), (float)c, 0f }, [1, 2, 3], device: window.device);
            var grid = F.affine_grid(theta, [1, 4, height, width], false);
            warped = F.grid_sample(stacked, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Reflection, false);
        }
        var rounded = warped.squeeze(0).round_().clamp_(0, 255);
        return (rounded.narrow(0, 0, 3).to(ScalarType.Byte), rounded.narrow(0, 3, 1).ge(128).to(ScalarType.Byte));
    }

    /// <summary>
    /// Applies each sample's flips and rot90 to [N,C,H,W] tensors (the same transform on each).
    /// Every element of the dihedral group is one flip (or none) followed by an optional
    /// transpose, so a transformed sample costs two uint8 copies whatever the combination.
    /// </summary>
    public static void Dihedral(IReadOnlyList<SamplePlan> plans, params Tensor?[] tensors)
    {
        for (int i = 0; i < plans.Count; i++)
        {
            var (flipH, flipW, transpose) = Canonical(plans[i]);
            if (!flipH && !flipW && !transpose) continue;
            foreach (var t in tensors)
            {
                if (t is null) continue;
                using var scope = NewDisposeScope();
                var slot = t[i];
                var source = flipH || flipW
                    ? slot.flip(flipH && flipW ? [-2, -1] : flipH ? [-2] : [-1])
                    : slot.clone();
                slot.copy_(transpose ? source.transpose(-2, -1) : source);
            }
        }
    }

    /// <summary>
    /// Reduces "horizontal flip, then vertical flip, then rot90 k times" (torch.rot90 over H,W) to
    /// "flip H and/or W, then transpose or not". Composition rules, with y = transpose^t(flip(x)):
    /// flipping W of y flips W of x when t = 0 and H when t = 1 (and vice versa), and
    /// rot90 = flip W then transpose.
    /// </summary>
    internal static (bool FlipH, bool FlipW, bool Transpose) Canonical(SamplePlan plan)
    {
        bool fh = false, fw = false, tr = false;
        void FlipW() { if (tr) fh = !fh; else fw = !fw; }
        void FlipH() { if (tr) fw = !fw; else fh = !fh; }
        if (plan.HFlip) FlipW();
        if (plan.VFlip) FlipH();
        for (int k = 0; k < plan.Rot90; k++)
        {
            FlipW();
            tr = !tr;
        }
        return (fh, fw, tr);
    }

    /// <summary>
    /// Turns [N,3,H,W] uint8 images into normalised float model input. Per sample: gamma (^g on the
    /// 0–1 scale, through a 256-entry table; modifies <paramref name="imagesU8"/>), then brightness (×f) and contrast
    /// (around the grey mean, ×c), clamped to [0, 1]. Brightness, contrast, the 1/255 scale and the
    /// ImageNet normalisation fuse into one multiply-add per pixel; the clamp runs in normalised units.
    /// </summary>
    public static Tensor ToModelInput(Tensor imagesU8, IReadOnlyList<SamplePlan> plans, Device device)
    {
        int n = plans.Count;
        // Gamma on the uint8 image through a per-sample lookup table (as albumentations does): a
        // 256-entry gather is half the cost of pow on every pixel.
        for (int i = 0; i < n; i++)
        {
            if (plans[i].Gamma == 1.0) continue;
            using var scope = NewDisposeScope();
            var table = new byte[256];
            for (int v = 0; v < 256; v++) table[v] = (byte)Math.Round(255 * Math.Pow(v / 255.0, plans[i].Gamma));
            var slot = imagesU8[i];
            var lut = tensor(table, device: device);
            slot.copy_(lut.index_select(0, slot.flatten().to(ScalarType.Int32)).view_as(slot));
        }
        var x = imagesU8.to(ScalarType.Float32);

        // y = clamp01(f·c·x/255 + f·(1−c)·grey/255) normalised: (y − μ)/σ = x·a + b with per-sample, per-channel a and b.
        bool colour = plans.Any(p => p.HasPhotometric);
        var a = new float[n * 3];
        var b = new float[n * 3];
        var pivot = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            double f = plans[i].Brightness, c = plans[i].Contrast;
            for (int ch = 0; ch < 3; ch++)
            {
                a[i * 3 + ch] = (float)(f * c / 255.0 / Std[ch]);
                b[i * 3 + ch] = -Mean[ch] / Std[ch];
                pivot[i * 3 + ch] = (float)(f * (1 - c) / 255.0 / Std[ch]);
            }
        }
        var shift = tensor(b, [n, 3, 1, 1], device: device);
        if (colour)
        {
            var grey = x.mean([2, 3]).mul_(tensor(Luma, [1, 3], device: device)).sum(1).view(n, 1, 1, 1);
            shift = shift.add_(grey.mul(tensor(pivot, [n, 3, 1, 1], device: device)));
        }
        x.mul_(tensor(a, [n, 3, 1, 1], device: device)).add_(shift);
        if (colour)
        {
            // The [0, 1] clamp in normalised units, one channel at a time so the bounds are scalars.
            for (int ch = 0; ch < 3; ch++)
            {
                using var scope = NewDisposeScope();
                x.select(1, ch).clamp_(-Mean[ch] / Std[ch], (1 - Mean[ch]) / Std[ch]);
            }
        }
        return x;
    }
}
