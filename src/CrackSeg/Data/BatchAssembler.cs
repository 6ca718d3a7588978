using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// Builds one <see cref="Batch"/>: plans every sample on the host, copies the cached planes row by
/// row straight into one <see cref="StagingBuffer"/> together with everything else the batch needs
/// (windows to warp, rotation matrices, photometric coefficients, gamma tables): one non_blocking
/// upload per batch, from pinned memory on a GPU. Then the geometry, photometric jitter and
/// normalisation run as tensor ops on the target device. Call inside a dispose scope: intermediates die with it, the batch's tensors
/// are detached.
/// </summary>
internal sealed class BatchAssembler
{
    /// <summary>Keeps augmentation streams apart from other (seed, epoch, index)-keyed streams.</summary>
    private const ulong AugmentSalt = 0xA0C3_17E5_0000_0001UL;
    /// <summary>ImageNet mean in 0–255: padding normalises to about zero.</summary>
    private static readonly byte[] PadRgb = [124, 116, 104];
    /// <summary>The value of a pixel inside a sample's valid region.</summary>
    private static readonly Scalar ValidPixel = 1;
    private static readonly SamplePlan NoJitter = new(0, 0, 0, 0, 0, 0, false, false, 0, 0, 1, 1, 1);

    private readonly SampleCache _cache;
    private readonly DataConfig _data;
    private readonly bool _augment;
    private readonly Device _device;

    public BatchAssembler(SampleCache cache, DataConfig data, bool augment, Device device)
    {
        _cache = cache;
        _data = data;
        _augment = augment;
        _device = device;
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

        var photometric = DeviceAugment.Photometric(_augment ? plans : plans.Select(_ => NoJitter).ToArray());
        var staged = Stage(cached, plans, cw, ch, photometric);
        var images = staged.Buffer.Bytes(staged.Images, n, 3, ch, cw);
        var masks = staged.Buffer.Bytes(staged.Masks, n, 1, ch, cw);
        for (int i = 0; i < n; i++)
            if (staged.Windows[i] is int window) Warp(staged, window, staged.Thetas[i], plans[i], images[i], masks[i]);

        var valid = anyPadding ? ValidRegions(plans, cw, ch) : null;
        if (_augment) DeviceAugment.Dihedral(plans, images, masks, valid);

        var input = DeviceAugment.ToModelInput(images, staged.Photometric(n));
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

    /// <summary>Where each part of a batch sits in its <see cref="StagingBuffer"/> (segment ids).</summary>
    private sealed record StagedBatch(StagingBuffer Buffer, int Images, int Masks, int?[] Windows, int?[] Thetas, int Coefficients, bool HasPivot, (int Sample, int Segment)[] GammaTables)
    {
        /// <summary>The photometric coefficients as device views: [scale | shift | pivot | luma] floats, then the gamma tables.</summary>
        public PhotometricTensors Photometric(int n)
        {
            var floats = Buffer.Floats(Coefficients, -1);
            int block = 3 * n;
            return new PhotometricTensors(
                floats.narrow(0, 0, block).view(n, 3, 1, 1),
                floats.narrow(0, block, block).view(n, 3, 1, 1),
                HasPivot ? floats.narrow(0, 2 * block, block).view(n, 3, 1, 1) : null,
                floats.narrow(0, 3 * block, 3).view(1, 3),
                GammaTables.Select(g => (g.Sample, Buffer.Bytes(g.Segment, 256))).ToArray());
        }
    }

    /// <summary>
    /// Lays out and fills the batch's one staging buffer and uploads it: every directly usable window copied into
    /// the image and mask planes (padding gets the mean colour / background), each window that needs warping with
    /// its rotation matrix, the photometric coefficients and gamma tables.
    /// </summary>
    private StagedBatch Stage(CachedSample[] cached, SamplePlan[] plans, int cw, int ch, PhotometricPlan photometric)
    {
        int n = plans.Length;
        int plane = ch * cw;
        var buffer = new StagingBuffer();
        int imagesSegment = buffer.Reserve(3L * n * plane), masksSegment = buffer.Reserve((long)n * plane);
        var windows = new int?[n];
        var thetas = new int?[n];
        for (int i = 0; i < n; i++)
        {
            if (!plans[i].NeedsWarp) continue;
            windows[i] = buffer.Reserve(4L * plans[i].SrcWidth * plans[i].SrcHeight);
            if (plans[i].AngleDegrees != 0) thetas[i] = buffer.ReserveFloats(6);
        }
        int coefficients = buffer.ReserveFloats(9 * n + 3);
        var gamma = photometric.GammaTables.Select(g => (g.Sample, Segment: buffer.Reserve(256))).ToArray();
        buffer.Allocate(_device);

        var imageBytes = buffer.HostSpan(imagesSegment);
        var maskBytes = buffer.HostSpan(masksSegment);
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
            if (windows[i] is int window)
            {
                var bytes = buffer.HostSpan(window);
                int srcPlane = p.SrcWidth * p.SrcHeight;
                _cache.CopyImageWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, bytes, p.SrcWidth, srcPlane);
                _cache.CopyMaskWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, bytes[(3 * srcPlane)..], p.SrcWidth);
                if (thetas[i] is int theta) buffer.WriteFloats(theta, DeviceAugment.RotationTheta(p.AngleDegrees, p.DstHeight, p.DstWidth));
            }
            else
            {
                _cache.CopyImageWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, imageDest, cw, plane);
                _cache.CopyMaskWindow(cached[i], p.SrcX, p.SrcY, p.SrcWidth, p.SrcHeight, maskDest, cw);
            }
        }
        float[] zeros3n = new float[3 * n];
        buffer.WriteFloats(coefficients, [.. photometric.Scale, .. photometric.Shift, .. photometric.Pivot ?? zeros3n, .. DeviceAugment.Luma]);
        foreach (var (sample, segment) in gamma)
            photometric.GammaTables.First(g => g.Sample == sample).Table.CopyTo(buffer.HostSpan(segment));
        buffer.Upload(_device);
        return new StagedBatch(buffer, imagesSegment, masksSegment, windows, thetas, coefficients, photometric.Pivot is not null, gamma);
    }

    /// <summary>Warps a staged window (zoom, resize, letterbox, rotation) on the device into its slot.</summary>
    private static void Warp(StagedBatch staged, int window, int? theta, SamplePlan p, Tensor imageSlot, Tensor maskSlot)
    {
        var source = staged.Buffer.Bytes(window, 4, p.SrcHeight, p.SrcWidth);
        var matrix = theta is int t ? staged.Buffer.Floats(t, 1, 2, 3) : null;
        var (image, mask) = DeviceAugment.Warp(source, p.DstHeight, p.DstWidth, matrix);
        imageSlot.narrow(1, 0, p.DstHeight).narrow(2, 0, p.DstWidth).copy_(image);
        maskSlot.narrow(1, 0, p.DstHeight).narrow(2, 0, p.DstWidth).copy_(mask);
    }

    private Tensor ValidRegions(SamplePlan[] plans, int cw, int ch)
    {
        var valid = zeros([plans.Length, 1, ch, cw], ScalarType.Byte, _device);
        for (int i = 0; i < plans.Length; i++)
            valid[i].narrow(1, 0, plans[i].DstHeight).narrow(2, 0, plans[i].DstWidth).fill_(ValidPixel);
        return valid;
    }
}
