using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common;

/// <summary>
/// The one place where the per-batch code moves data between host and training device, counted as it would be
/// on an accelerator whatever the device is, so the CPU benchmark and tests see the syncs a GPU would pay:
/// <list type="bullet">
/// <item>every read of a training-device value (<see cref="ReadArray{T}"/>, <see cref="ReadBool"/>, ...) is a
/// device sync: on a GPU the host waits for all queued work;</item>
/// <item>every upload is counted by <see cref="CountUpload"/>, and as blocking unless it is a non_blocking copy
/// from pinned memory (<c>tensor(array, device: cuda)</c> is a blocking copy in TorchSharp).</item>
/// </list>
/// The training loop reads only at log steps and epoch ends, and the data path uploads once per batch through
/// <c>Data.StagingBuffer</c>; <c>bench train</c> prints both rates, and a source test keeps other reads and
/// uploads out of the per-batch code.
/// </summary>
public static class HostSync
{
    private static long _syncs;
    private static long _epochSummarySyncs;
    private static long _uploads;
    private static long _blockingUploads;

    /// <summary>Host reads of training-device values since <see cref="Reset"/>.</summary>
    public static long DeviceSyncs => Interlocked.Read(ref _syncs);
    /// <summary>The part of <see cref="DeviceSyncs"/> made by <see cref="ReadEpochSummary{T}"/>.</summary>
    public static long EpochSummarySyncs => Interlocked.Read(ref _epochSummarySyncs);
    /// <summary>Host-to-device uploads since <see cref="Reset"/>.</summary>
    public static long Uploads => Interlocked.Read(ref _uploads);
    /// <summary>Uploads that would stall the host on an accelerator (not non_blocking from pinned memory).</summary>
    public static long BlockingUploads => Interlocked.Read(ref _blockingUploads);

    public static void Reset()
    {
        Interlocked.Exchange(ref _syncs, 0);
        Interlocked.Exchange(ref _epochSummarySyncs, 0);
        Interlocked.Exchange(ref _uploads, 0);
        Interlocked.Exchange(ref _blockingUploads, 0);
    }

    public static float ReadFloat(Tensor scalar)
    {
        CountSync();
        return scalar.to_type(ScalarType.Float32).item<float>();
    }

    public static bool ReadBool(Tensor scalar)
    {
        CountSync();
        return scalar.item<bool>();
    }

    /// <summary>Copies a small tensor to the host (e.g. the metric counters once per epoch).</summary>
    public static T[] ReadArray<T>(Tensor tensor) where T : unmanaged
    {
        CountSync();
        using var host = tensor.cpu();
        return host.contiguous().data<T>().ToArray();
    }

    /// <summary><see cref="ReadArray{T}"/> for the one read after an epoch's last batch, counted apart so benchmarks can tell it from per-batch reads.</summary>
    public static T[] ReadEpochSummary<T>(Tensor tensor) where T : unmanaged
    {
        Interlocked.Increment(ref _epochSummarySyncs);
        return ReadArray<T>(tensor);
    }

    /// <summary>Records one host-to-device upload; <paramref name="blocking"/> when it is not a non_blocking copy from pinned memory.</summary>
    public static void CountUpload(bool blocking)
    {
        Interlocked.Increment(ref _uploads);
        if (blocking) Interlocked.Increment(ref _blockingUploads);
    }

    private static void CountSync() => Interlocked.Increment(ref _syncs);
}
