using CrackSeg.Common;
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
    public static readonly float[] Luma = [0.299f, 0.587f, 0.114f];
    /// <summary>
    /// The uint8 range, the mask's 0/255 scale and its midpoint. In a holder of their own: making a Scalar loads
    /// LibTorch, and the ONNX host path reads <see cref="Mean"/> from this type without LibTorch installed.
    /// </summary>
    private static class Bytes
    {
        internal static readonly Scalar Min = 0, Max = 255, MaskMidpoint = 128;
    }

    /// <summary>
    /// Resizes (and, for a non-zero angle, rotates about the centre) one window — [4,h,w] uint8 on
    /// the device: R, G, B and the 0/1 mask — to <paramref name="height"/>x<paramref name="width"/>
    /// in a single interpolation of all four channels, the mask scaled to 0/255 so it gets exactly
    /// the image's weights and rounding, then cut at the midpoint. A binary image and its mask
    /// therefore stay aligned pixel for pixel. Plain resizes are antialiased bilinear (directly on
    /// uint8 on the CPU, where LibTorch supports it and it is cheapest; float elsewhere);
    /// rotations are bilinear grid sampling with reflected borders.
    /// </summary>
    /// <param name="theta">The rotation as <see cref="RotationTheta"/> made it, on the device ([1, 2, 3] float32); null for a plain resize.</param>
    public static (Tensor Image, Tensor Mask) Warp(Tensor window, int height, int width, Tensor? theta)
    {
        window[3].mul_(Bytes.Max);
        if (theta is null && window.device_type == DeviceType.CPU)
        {
            var resized = F.interpolate(window.unsqueeze(0), [height, width], null, InterpolationMode.Bilinear, false, false, true).squeeze(0);
            return (resized.narrow(0, 0, 3), resized.narrow(0, 3, 1).ge(Bytes.MaskMidpoint).to(ScalarType.Byte));
        }

        var stacked = window.to(ScalarType.Float32).unsqueeze(0);
        Tensor warped;
        if (theta is null)
        {
            warped = F.interpolate(stacked, [height, width], null, InterpolationMode.Bilinear, false, false, true);
        }
        else
        {
            var grid = F.affine_grid(theta, [1, 4, height, width], false);
            warped = F.grid_sample(stacked, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Reflection, false);
        }
        var rounded = warped.squeeze(0).round_().clamp_(Bytes.Min, Bytes.Max);
        return (rounded.narrow(0, 0, 3).to(ScalarType.Byte), rounded.narrow(0, 3, 1).ge(Bytes.MaskMidpoint).to(ScalarType.Byte));
    }

    /// <summary>
    /// The affine_grid matrix (row-major [2, 3]) of a rotation by <paramref name="angleDegrees"/> about the centre,
    /// in output pixel space expressed in the normalised coordinates grid_sample uses.
    /// </summary>
    public static float[] RotationTheta(double angleDegrees, int height, int width)
    {
        double a = angleDegrees * Math.PI / 180.0, c = Math.Cos(a), s = Math.Sin(a);
        double aspect = (double)height / width;
        return [(float)c, (float)(-s * aspect), 0f, (float)(s / aspect), (float)c, 0f];
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
    /// The host half of <see cref="ToModelInput"/>: per sample and channel, y_normalised = x·Scale + Shift (+ grey·Pivot
    /// when any sample has colour jitter), with brightness (×f) and contrast (around the grey mean, ×c), the 1/255
    /// scale and the ImageNet normalisation fused; and a 256-entry gamma table (^g on the 0–1 scale) for each
    /// sample whose gamma is not 1 (a table gather is half the cost of pow on every pixel, as albumentations does).
    /// </summary>
    public static PhotometricPlan Photometric(IReadOnlyList<SamplePlan> plans)
    {
        int n = plans.Count;
        var scale = new float[n * 3];
        var shift = new float[n * 3];
        var pivot = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            double f = plans[i].Brightness, c = plans[i].Contrast;
            for (int ch = 0; ch < 3; ch++)
            {
                scale[i * 3 + ch] = (float)(f * c / 255.0 / Std[ch]);
                shift[i * 3 + ch] = -Mean[ch] / Std[ch];
                pivot[i * 3 + ch] = (float)(f * (1 - c) / 255.0 / Std[ch]);
            }
        }
        var gamma = new List<(int Sample, byte[] Table)>();
        for (int i = 0; i < n; i++)
        {
            if (plans[i].Gamma == 1.0) continue;
            var table = new byte[256];
            for (int v = 0; v < 256; v++) table[v] = (byte)Math.Round(255 * Math.Pow(v / 255.0, plans[i].Gamma));
            gamma.Add((i, table));
        }
        return new PhotometricPlan(scale, shift, plans.Any(p => p.HasPhotometric) ? pivot : null, gamma);
    }

    /// <summary>
    /// Turns [N,3,H,W] uint8 images into normalised float model input on their device, with the coefficients of
    /// <see cref="Photometric"/> already there: gamma through the tables (modifies <paramref name="imagesU8"/>),
    /// then one multiply-add per pixel, clamped to [0, 1] in normalised units when there is colour jitter.
    /// </summary>
    public static Tensor ToModelInput(Tensor imagesU8, PhotometricTensors p)
    {
        int n = (int)imagesU8.shape[0];
        foreach (var (sample, table) in p.GammaTables)
        {
            using var scope = NewDisposeScope();
            var slot = imagesU8[sample];
            slot.copy_(table.index_select(0, slot.flatten().to(ScalarType.Int32)).view_as(slot));
        }
        var x = imagesU8.to(ScalarType.Float32);
        var shift = p.Shift;
        if (p.Pivot is not null)
        {
            var grey = x.mean([2, 3]).mul_(p.Luma).sum(1).view(n, 1, 1, 1);
            shift = shift.Plus(grey.mul(p.Pivot));
        }
        x.mul_(p.Scale).PlusInPlace(shift);
        if (p.Pivot is not null)
        {
            // The [0, 1] clamp in normalised units, one channel at a time so the bounds are scalars.
            for (int ch = 0; ch < 3; ch++)
            {
                using var scope = NewDisposeScope();
                x.select(1, ch).ClampedInPlace(-Mean[ch] / Std[ch], (1 - Mean[ch]) / Std[ch]);
            }
        }
        return x;
    }
}

/// <summary>Host-side photometric coefficients of a batch (<see cref="DeviceAugment.Photometric"/>); Pivot is null without colour jitter.</summary>
internal sealed record PhotometricPlan(float[] Scale, float[] Shift, float[]? Pivot, IReadOnlyList<(int Sample, byte[] Table)> GammaTables);

/// <summary>The same coefficients on the device: Scale, Shift and Pivot [N,3,1,1] float32, Luma [1,3], gamma tables [256] uint8.</summary>
internal sealed record PhotometricTensors(Tensor Scale, Tensor Shift, Tensor? Pivot, Tensor Luma, IReadOnlyList<(int Sample, Tensor Table)> GammaTables);
