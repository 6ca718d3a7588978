using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Data;

/// <summary>
/// The tensor ops of the data path, all on the batch's device. Geometry runs on uint8 NHWC
/// (a quarter of the memory traffic of float); masks go through exactly the same geometric ops
/// as their images and are re-binarised after any interpolation, so they stay 0/1.
/// </summary>
internal static class DeviceAugment
{
    /// <summary>ImageNet statistics (RGB, 0–1 scale).</summary>
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];
    /// <summary>BT.601 luma weights: the grey mean that contrast pivots around (as torchvision).</summary>
    private static readonly float[] Luma = [0.299f, 0.587f, 0.114f];

    /// <summary>
    /// Resizes (and, for a non-zero angle, rotates about the centre) one HWC uint8 window and its HW
    /// 0/255 mask to <paramref name="height"/>x<paramref name="width"/> in a single interpolation.
    /// The mask goes through the image's kernel and is cut at the midpoint — the rule rounding gives
    /// the image — so a binary image and its mask stay aligned pixel for pixel. Plain resizes use
    /// antialiased bilinear; rotations use bilinear grid sampling with reflected borders.
    /// </summary>
    public static (Tensor Image, Tensor Mask) Warp(Tensor imageHwc, Tensor maskHw, int height, int width, double angleDegrees)
    {
        var image = imageHwc.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
        var mask = maskHw.unsqueeze(0).unsqueeze(0).to(ScalarType.Float32);
        Tensor warpedImage, warpedMask;
        if (angleDegrees == 0)
        {
            warpedImage = F.interpolate(image, [height, width], null, InterpolationMode.Bilinear, false, false, true);
            warpedMask = F.interpolate(mask, [height, width], null, InterpolationMode.Bilinear, false, false, true);
        }
        else
        {
            // Rotation in output pixel space, expressed in the normalised coordinates grid_sample uses.
            double a = angleDegrees * Math.PI / 180.0, c = Math.Cos(a), s = Math.Sin(a);
            double aspect = (double)height / width;
            var theta = tensor(new[] { (float)c, (float)(-s * aspect), 0f, (float)(s / aspect), (float)c, 0f }, [1, 2, 3], device: image.device);
            var grid = F.affine_grid(theta, [1, 1, height, width], false);
            warpedImage = F.grid_sample(image, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Reflection, false);
            warpedMask = F.grid_sample(mask, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Reflection, false);
        }
        return (warpedImage.round_().clamp_(0, 255).to(ScalarType.Byte).squeeze(0).permute(1, 2, 0),
                warpedMask.ge(127.5).to(ScalarType.Byte).mul_(255).squeeze(0).squeeze(0));
    }

    /// <summary>
    /// Applies flips and rot90 per sample to NHW(C) tensors (same ops on each), grouping samples
    /// that share a transform so the op count is bounded by 16, not by the batch size.
    /// </summary>
    public static void Dihedral(IReadOnlyList<SamplePlan> plans, Device device, params Tensor?[] nhwTensors)
    {
        foreach (var group in Enumerable.Range(0, plans.Count).GroupBy(i => plans[i].DihedralKey))
        {
            if (group.Key == 0) continue;
            var plan = plans[group.First()];
            using var scope = NewDisposeScope();
            var index = tensor(group.Select(i => (long)i).ToArray(), device: device);
            foreach (var t in nhwTensors)
            {
                if (t is null) continue;
                var sub = t.index_select(0, index);
                if (plan.HFlip) sub = sub.flip(2);
                if (plan.VFlip) sub = sub.flip(1);
                if (plan.Rot90 != 0) sub = sub.rot90(plan.Rot90, (1, 2));
                t.index_copy_(0, index, sub.contiguous());
            }
        }
    }

    /// <summary>
    /// Turns NCHW float 0–255 images into normalised model input, applying brightness (×f),
    /// contrast (around the grey mean, ×c) and gamma (^g) per sample, clamped to [0, 1] before
    /// the ImageNet normalisation. Brightness, contrast and the 1/255 scale fuse into one
    /// multiply-add per pixel; gamma runs on the samples that drew it.
    /// </summary>
    public static Tensor Photometric(Tensor images255, IReadOnlyList<SamplePlan> plans, Device device)
    {
        int n = plans.Count;
        bool colour = plans.Any(p => p.HasPhotometric);
        bool gamma = plans.Any(p => p.Gamma != 1.0);
        var scale = tensor(Std.Select(s => 1f / s).ToArray(), [1, 3, 1, 1], device: device);
        var shift = tensor(Mean.Zip(Std, (m, s) => -m / s).ToArray(), [1, 3, 1, 1], device: device);
        if (!colour && !gamma)
            return addcmul(shift, images255, scale, 1.0 / 255.0);

        Tensor unit;
        if (colour)
        {
            var a = new float[n];
            var b = new float[n];
            for (int i = 0; i < n; i++)
            {
                a[i] = (float)(plans[i].Brightness * plans[i].Contrast / 255.0);
                b[i] = (float)(plans[i].Brightness * (1 - plans[i].Contrast) / 255.0);
            }
            var greyMean = images255.mean([2, 3]).mul(tensor(Luma, [1, 3], device: device)).sum(1);
            var offset = greyMean.mul(tensor(b, device: device)).view(n, 1, 1, 1);
            unit = addcmul(offset, images255, tensor(a, [n, 1, 1, 1], device: device), 1.0);
        }
        else
        {
            unit = images255.mul(1.0 / 255.0);
        }
        unit.clamp_(0, 1);

        if (gamma)
        {
            var chosen = Enumerable.Range(0, n).Where(i => plans[i].Gamma != 1.0).ToArray();
            var index = tensor(chosen.Select(i => (long)i).ToArray(), device: device);
            var exponents = tensor(chosen.Select(i => (float)plans[i].Gamma).ToArray(), [chosen.Length, 1, 1, 1], device: device);
            unit.index_copy_(0, index, unit.index_select(0, index).pow_(exponents));
        }
        return addcmul(shift, unit, scale, 1.0);
    }
}
