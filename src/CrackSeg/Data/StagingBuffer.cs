using System.Buffers.Binary;
using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// One batch's host-to-device transfer: every byte the batch needs on the device (pixels, masks, windows to
/// warp, gamma tables, augmentation coefficients) is laid out in one host buffer — pinned when the target is a
/// GPU — and sent with one <c>non_blocking</c> copy. With no CUDA streams in TorchSharp a blocking copy would
/// also wait for the queued training step and defeat prefetching.
/// <para>Use: <see cref="Reserve"/>/<see cref="ReserveFloats"/> every segment, <see cref="Allocate"/>, fill the
/// spans, <see cref="Upload"/>, then take device views with <see cref="Bytes"/> and <see cref="Floats"/>.</para>
/// <para>Float segments travel as their IEEE-754 bytes and are rebuilt exactly on the device with integer ops
/// (TorchSharp cannot reinterpret a uint8 tensor as float32), so the arithmetic is the same as uploading the
/// floats themselves.</para>
/// </summary>
internal sealed class StagingBuffer
{
    /// <summary>DecodeFloat32's integer constants: the sign/zero test, the smallest biased exponent, one factor's bounds.</summary>
    private static readonly Scalar Zero = 0, MinBiasedExponent = 1, MinExponentPart = -50, MaxExponentPart = 50;

    private readonly List<(long Offset, long Length)> _segments = [];
    private long _length;
    private Tensor? _host;
    private Tensor? _device;

    /// <summary>Adds a segment of <paramref name="bytes"/> bytes; returns its id.</summary>
    public int Reserve(long bytes)
    {
        if (_host is not null) throw new InvalidOperationException("segments are reserved before Allocate");
        _segments.Add((_length, bytes));
        _length += bytes;
        return _segments.Count - 1;
    }

    /// <summary>Adds a segment for <paramref name="count"/> float32 values; returns its id.</summary>
    public int ReserveFloats(int count) => Reserve(4L * count);

    /// <summary>Allocates the host buffer (in the caller's dispose scope); pinned when <paramref name="target"/> is an accelerator.</summary>
    public void Allocate(Device target)
    {
        var host = empty(Math.Max(1, _length), ScalarType.Byte, CPU);
        _host = target.type == DeviceType.CPU ? host : host.pin_memory();
    }

    /// <summary>The host bytes of <paramref name="segment"/>, to fill before <see cref="Upload"/>.</summary>
    public Span<byte> HostSpan(int segment)
    {
        var (offset, length) = _segments[segment];
        return Host.bytes.Slice(checked((int)offset), checked((int)length));
    }

    /// <summary>Writes <paramref name="values"/> (finite) into a float segment.</summary>
    public void WriteFloats(int segment, ReadOnlySpan<float> values)
    {
        var span = HostSpan(segment);
        if (span.Length != 4 * values.Length) throw new ArgumentException($"segment holds {span.Length / 4} floats, got {values.Length}");
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) throw new ArgumentException($"staged value {i} is not finite");
            BinaryPrimitives.WriteSingleLittleEndian(span.Slice(4 * i, 4), values[i]);
        }
    }

    /// <summary>The one upload of the batch: a non_blocking copy of the (pinned) buffer, counted in <see cref="HostSync"/>.</summary>
    public void Upload(Device target)
    {
        // On the CPU there is nothing to copy; on an accelerator the copy is non_blocking from pinned memory.
        _device = target.type == DeviceType.CPU ? Host : Host.to(target, non_blocking: true);
        HostSync.CountUpload(blocking: false);
    }

    /// <summary>Segment <paramref name="segment"/> on the device as uint8 of <paramref name="shape"/> (a view of the uploaded buffer).</summary>
    public Tensor Bytes(int segment, params long[] shape)
    {
        var (offset, length) = _segments[segment];
        return Device.narrow(0, offset, length).view(shape);
    }

    /// <summary>A float segment on the device as float32 of <paramref name="shape"/>, rebuilt exactly from its bytes.</summary>
    public Tensor Floats(int segment, params long[] shape) => DecodeFloat32(Bytes(segment, -1)).view(shape);

    /// <summary>
    /// Little-endian IEEE-754 float32 bytes → float32, exactly: value = (−1)^s · m · 2^(e−150) with the mantissa m
    /// (24 bits, exact in float64) and the power of two built from integer shifts (exact), never exp2/pow.
    /// </summary>
    internal static Tensor DecodeFloat32(Tensor bytes)
    {
        using var scope = NewDisposeScope();
        long n = bytes.shape[0] / 4;
        var b = bytes.view(n, 4).to(ScalarType.Int64);
        var bits = b.select(1, 0).Plus(b.select(1, 1).Times(256)).Plus(b.select(1, 2).Times(65536)).Plus(b.select(1, 3).Times(16777216));
        var sign = bits.bitwise_right_shift(31);
        var biased = bits.bitwise_right_shift(23).bitwise_and(255);
        var fraction = bits.bitwise_and(0x7FFFFF);
        var normal = biased.gt(Zero);
        var mantissa = fraction.Plus(normal.to(ScalarType.Int64).Times(0x800000));        // implicit leading 1
        var exponent = biased.clamp_min(MinBiasedExponent).Minus(150);                     // subnormals: 2^-149
        // 2^exponent for exponent in [-149, 104] as a product of three exact powers of two, |each| <= 50.
        var value = mantissa.to(ScalarType.Float64);
        foreach (var part in SplitExponent(exponent))
        {
            var magnitude = ones_like(part).bitwise_left_shift(part.abs()).to(ScalarType.Float64);
            value = value * where(part.lt(Zero), magnitude.reciprocal(), magnitude);
        }
        value = value * sign.Times(2).SubtractedFrom(1).to(ScalarType.Float64);
        return value.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private static IEnumerable<Tensor> SplitExponent(Tensor exponent)
    {
        var first = exponent.clamp(MinExponentPart, MaxExponentPart);
        var rest = exponent - first;
        var second = rest.clamp(MinExponentPart, MaxExponentPart);
        return [first, second, rest - second];
    }

    private Tensor Host => _host ?? throw new InvalidOperationException("Allocate first");
    private Tensor Device => _device ?? throw new InvalidOperationException("Upload first");
}
