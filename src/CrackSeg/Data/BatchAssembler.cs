using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// Builds one <see cref="Batch"/>: plans every sample on the host, copies the cached planes row by
/// row straight into one uint8 NCHW staging tensor (one bulk upload per batch; pinned when the
/// target is a GPU), then runs the geometry, photometric jitter and normalisation as tensor ops on
/// the target device. Call inside a dispose scope: intermediates die with it, the batch's tensors
/// are detached.
/// </summary>
internal sealed class BatchAssembler
{
    /// <summary>Keeps augmentation streams apart from other (seed, epoch, index)-keyed streams.</summary>
    private const ulong AugmentSalt = 0xA0C3_17E5_0000_0001UL;
    /// <summary>ImageNet mean in 0–255: padding normalises to about zero.</summary>
    private static readonly byte[] PadRgb = [124, 116, 104];
    private static readonly SamplePlan NoJitter = new(0, 0, 0, 0, 0, 0, false, false, 0, 0, 1, 1, 1);

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

        var valid = anyPadding ? ValidRegions(plans, cw, ch) : null;
        if (_augment) DeviceAugment.Dihedral(plans, images, masks, valid);

        var input = DeviceAugment.ToModelInput(images, _augment ? plans : plans.Select(_ => NoJitter).ToArray(), _device);
        var target = masks.to(ScalarType.Float32);
        var validF = valid?.to(ScalarType.Float32);

        return new Batch(
            input.DetachFromDisposeScope(),
            target.DetachFromDisposeScope(),
            validF?.DetachFromDisposeScope(),
            indices.Select(i => samples[i].Stem).ToArray(),
            indices.ToArray(),
            plans.Select(p => (p.DstHeight, p.DstWidth)).ToArray());
    }

    /// <summary>Copies every directly usable window into the staging tensors; padding gets the mean colour / background.</summary>
    private (Tensor Images, Tensor Masks) Stage(CachedSample[] cached, SamplePlan[] plans, int cw, int ch)
    {
        int n = plans.Length;
        var images = empty([n, 3, ch, cw], ScalarType.Byte, CPU);
        var masks = empty([n, 1, ch, cw], ScalarType.Byte, CPU);
        if (_pin)
        {
            images = images.pin_memory();
            masks = masks.pin_memory();
        }
        Span<byte> imageBytes = images.bytes;
        Span<byte> maskBytes = masks.bytes;
        int plane = ch * cw;
        for (int i = 0; i < n; i++)
        {
            var p = plans[i];
            var imageDest = imageBytes.Slice(i * 3 * plane, 3 * plane);
            var maskDest = maskBytes.Slice(i * plane, plane);
            if (p.DstWidth < cw || p.DstHeight < ch)
            {
                for (int c = 0; c < 3; c++) imageDest.Slice(c * plane, plane).Fill(PadRgb[c]);
                maskDest.Clear();
            }
            if (!p.NeedsWarp)
            {
                _cache.CopyImageWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, imageDest, cw, plane);
                _cache.CopyMaskWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, maskDest, cw);
            }
        }
        return (images, masks);
    }

    /// <summary>Reads a window that needs interpolation (zoom, resize, letterbox, rotation) and warps it on the device into its slot.</summary>
    private void Warp(CachedSample cached, SamplePlan p, Tensor imageSlot, Tensor maskSlot)
    {
        int plane = p.SrcWidth * p.SrcHeight;
        var window = empty([4, p.SrcHeight, p.SrcWidth], ScalarType.Byte, CPU);
        var bytes = window.bytes;
        _cache.CopyImageWindow(cached, p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, bytes, p.SrcWidth, plane);
        _cache.CopyMaskWindow(cached, p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, bytes[(3 * plane)..], p.SrcWidth);
        var (image, mask) = DeviceAugment.Warp(window.to(_device), p.DstHeight, p.DstWidth, p.AngleDegrees);
        imageSlot.narrow(1, 0, p.DstHeight).narrow(2, 0, p.DstWidth).copy_(image);
        maskSlot.narrow(1, 0, p.DstHeight).narrow(2, 0, p.DstWidth).copy_(mask);
    }

    private Tensor ValidRegions(SamplePlan[] plans, int cw, int ch)
    {
        var valid = zeros([plans.Length, 1, ch, cw], ScalarType.Byte, _device);
        for (int i = 0; i < plans.Length; i++)
            valid[i].narrow(1, 0, plans[i].DstHeight).narrow(2, 0, plans[i].DstWidth).fill_(1);
        return valid;
    }
}
