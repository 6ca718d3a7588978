using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// Builds one <see cref="Batch"/>: plans every sample on the host, copies the cached windows
/// row by row straight into one uint8 staging tensor (one bulk upload per batch), then runs the
/// geometry, photometric jitter and normalisation as tensor ops on the target device.
/// Call inside a dispose scope: intermediates die with it, the batch's tensors are detached.
/// </summary>
internal sealed class BatchAssembler
{
    /// <summary>Keeps augmentation streams apart from other (seed, epoch, index)-keyed streams.</summary>
    private const ulong AugmentSalt = 0xA0C3_17E5_0000_0001UL;
    /// <summary>ImageNet mean in 0–255: padding normalises to about zero.</summary>
    private static readonly byte[] PadRgb = [124, 116, 104];

    private readonly SampleCache _cache;
    private readonly DataConfig _data;
    private readonly bool _augment;
    private readonly Device _device;
    private readonly bool _pin;

    public BatchAssembler(SampleCache cache, DataConfig data, bool augment, Device device)
    {
        _cache = cache;
        _data = data;
        _augment = augment;
        _device = device;
        _pin = device.type == DeviceType.CUDA;
    }

    /// <summary>The plan of sample <paramref name="index"/> in <paramref name="epoch"/> (exposed for tests and previews).</summary>
    public SamplePlan Plan(SamplePair pair, int seed, int epoch, int index) => _augment
        ? SamplePlanner.Train(pair, _data, new DeterministicRng((ulong)seed, (ulong)epoch, (ulong)index, AugmentSalt))
        : SamplePlanner.Eval(pair, _data);

    public Batch Assemble(IReadOnlyList<SamplePair> samples, IReadOnlyList<int> indices, int seed, int epoch)
    {
        int n = indices.Count;
        var cached = new CachedSample[n];
        var plans = new SamplePlan[n];
        for (int i = 0; i < n; i++)
        {
            cached[i] = _cache.Get(samples[indices[i]]);
            plans[i] = Plan(samples[indices[i]], seed, epoch, indices[i]);
        }
        var (cw, ch) = _augment ? (_data.ImageSize, _data.ImageSize) : SamplePlanner.EvalCanvas(plans, _data);
        bool anyPadding = plans.Any(p => p.DstWidth < cw || p.DstHeight < ch);

        var (hostImages, hostMasks) = Stage(cached, plans, cw, ch);
        var images = hostImages.to(_device, non_blocking: _pin);
        var masks = hostMasks.to(_device, non_blocking: _pin);
        for (int i = 0; i < n; i++)
            if (plans[i].NeedsWarp) Warp(cached[i], plans[i], images[i], masks[i]);

        Tensor? valid = anyPadding ? ValidRegions(plans, cw, ch) : null;
        if (_augment) DeviceAugment.Dihedral(plans, _device, images, masks, valid);

        var images255 = images.permute(0, 3, 1, 2).contiguous().to(ScalarType.Float32);
        var masks255 = masks.unsqueeze(1).to(ScalarType.Float32);
        var valid01 = valid?.unsqueeze(1).to(ScalarType.Float32);

        var input = _augment
            ? DeviceAugment.Photometric(images255, plans, _device)
            : DeviceAugment.Photometric(images255, plans.Select(_ => NoJitter).ToArray(), _device);
        var target = masks255.ge(127.5).to(ScalarType.Float32);

        return new Batch(
            input.DetachFromDisposeScope(),
            target.DetachFromDisposeScope(),
            valid01?.DetachFromDisposeScope(),
            indices.Select(i => samples[i].Stem).ToArray(),
            indices.ToArray(),
            plans.Select(p => (p.DstHeight, p.DstWidth)).ToArray());
    }

    private static readonly SamplePlan NoJitter = new(0, 0, 0, 0, 0, 0, false, false, 0, 0, 1, 1, 1);

    /// <summary>Copies every directly usable window into the staging tensors; padding gets the mean colour / background.</summary>
    private (Tensor Images, Tensor Masks) Stage(CachedSample[] cached, SamplePlan[] plans, int cw, int ch)
    {
        int n = plans.Length;
        var images = empty([n, ch, cw, 3], ScalarType.Byte, CPU);
        var masks = empty([n, ch, cw], ScalarType.Byte, CPU);
        if (_pin)
        {
            images = images.pin_memory();
            masks = masks.pin_memory();
        }
        Span<byte> imageBytes = images.bytes;
        Span<byte> maskBytes = masks.bytes;
        int imageSlot = ch * cw * 3, maskSlot = ch * cw;
        for (int i = 0; i < n; i++)
        {
            var p = plans[i];
            var imageDest = imageBytes.Slice(i * imageSlot, imageSlot);
            var maskDest = maskBytes.Slice(i * maskSlot, maskSlot);
            if (p.DstWidth < cw || p.DstHeight < ch)
            {
                FillPattern(imageDest, PadRgb);
                maskDest.Clear();
            }
            if (!p.NeedsWarp)
            {
                _cache.CopyImageWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, imageDest, cw * 3);
                _cache.CopyMaskWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, maskDest, cw);
            }
        }
        return (images, masks);
    }

    /// <summary>Reads a window that needs interpolation (zoom, resize, letterbox, rotation) and warps it on the device into its slot.</summary>
    private void Warp(CachedSample cached, SamplePlan p, Tensor imageSlot, Tensor maskSlot)
    {
        var window = empty([p.SrcHeight, p.SrcWidth, 3], ScalarType.Byte, CPU);
        var windowMask = empty([p.SrcHeight, p.SrcWidth], ScalarType.Byte, CPU);
        _cache.CopyImageWindow(cached, p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, window.bytes, p.SrcWidth * 3);
        _cache.CopyMaskWindow(cached, p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, windowMask.bytes, p.SrcWidth);
        var (image, mask) = DeviceAugment.Warp(window.to(_device), windowMask.to(_device), p.DstHeight, p.DstWidth, p.AngleDegrees);
        imageSlot.narrow(0, 0, p.DstHeight).narrow(1, 0, p.DstWidth).copy_(image);
        maskSlot.narrow(0, 0, p.DstHeight).narrow(1, 0, p.DstWidth).copy_(mask);
    }

    private Tensor ValidRegions(SamplePlan[] plans, int cw, int ch)
    {
        var valid = zeros([plans.Length, ch, cw], ScalarType.Byte, _device);
        for (int i = 0; i < plans.Length; i++)
            valid[i].narrow(0, 0, plans[i].DstHeight).narrow(1, 0, plans[i].DstWidth).fill_(1);
        return valid;
    }

    private static void FillPattern(Span<byte> dest, ReadOnlySpan<byte> pattern)
    {
        if (dest.Length < pattern.Length) return;
        pattern.CopyTo(dest);
        // Doubling copies: log2(n) block copies instead of one store per pixel.
        int filled = pattern.Length;
        while (filled < dest.Length)
        {
            int count = Math.Min(filled, dest.Length - filled);
            dest[..count].CopyTo(dest[filled..]);
            filled += count;
        }
    }
}
