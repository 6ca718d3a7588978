using CrackSeg.Common;
using CrackSeg.Data;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Data;

/// <summary>The batch's one upload: segments, exact float transport, and the upload counter.</summary>
[Collection(nameof(HostSyncCounterCollection))]
public class StagingBufferTests
{
    [Fact]
    public void FloatsSurviveTheByteTransportBitForBit()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        var values = new List<float> { 0f, -0f, 1f, -1f, 0.5f, 1e-30f, -3.4e38f, 3.4e38f, float.Epsilon, 1.17549435e-38f, 2.5e-39f, 1f / 255f / 0.229f, -0.485f / 0.229f };
        for (int i = 0; i < 2000; i++)
            values.Add((float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-40, 38))));
        var buffer = new StagingBuffer();
        int segment = buffer.ReserveFloats(values.Count);
        buffer.Allocate(CPU);
        buffer.WriteFloats(segment, values.ToArray());
        buffer.Upload(CPU);
        var decoded = buffer.Floats(segment, values.Count).data<float>().ToArray();
        for (int i = 0; i < values.Count; i++)
            Assert.True(BitConverter.SingleToInt32Bits(values[i]) == BitConverter.SingleToInt32Bits(decoded[i]), $"{values[i]:R} came back as {decoded[i]:R}");
    }

    [Fact]
    public void SegmentsAreIndependentViewsAndTheUploadIsCountedNonBlocking()
    {
        using var scope = NewDisposeScope();
        HostSync.Reset();
        var buffer = new StagingBuffer();
        int bytes = buffer.Reserve(6), floats = buffer.ReserveFloats(2), tail = buffer.Reserve(3);
        buffer.Allocate(CPU);
        new byte[] { 1, 2, 3, 4, 5, 6 }.CopyTo(buffer.HostSpan(bytes));
        buffer.WriteFloats(floats, [1.5f, -2f]);
        new byte[] { 7, 8, 9 }.CopyTo(buffer.HostSpan(tail));
        buffer.Upload(CPU);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, buffer.Bytes(bytes, 2, 3).data<byte>().ToArray());
        Assert.Equal([2, 3], buffer.Bytes(bytes, 2, 3).shape);
        Assert.Equal(new[] { 1.5f, -2f }, buffer.Floats(floats, 2).data<float>().ToArray());
        Assert.Equal(new byte[] { 7, 8, 9 }, buffer.Bytes(tail, 3).data<byte>().ToArray());
        Assert.Equal(1, HostSync.Uploads);
        Assert.Equal(0, HostSync.BlockingUploads);
    }

    [Fact]
    public void NonFiniteValuesAreRefusedOnTheHost()
    {
        using var scope = NewDisposeScope();
        var buffer = new StagingBuffer();
        int floats = buffer.ReserveFloats(1);
        buffer.Allocate(CPU);
        Assert.Throws<ArgumentException>(() => buffer.WriteFloats(floats, [float.NaN]));
    }
}

/// <summary>Tests that read or reset <see cref="HostSync"/>'s process-wide counters run alone.</summary>
[CollectionDefinition(nameof(HostSyncCounterCollection), DisableParallelization = true)]
public sealed class HostSyncCounterCollection;
