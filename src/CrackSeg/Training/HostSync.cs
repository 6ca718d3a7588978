using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// The one place where the training loop reads device values on the host. Every read of a tensor
/// that lives on an accelerator blocks until the device catches up, so the loop does it only at
/// log steps and epoch ends; the counter lets the benchmark prove it. Reads of CPU tensors are
/// plain memory reads and are counted apart.
/// </summary>
public static class HostSync
{
    private static long _deviceReads;
    private static long _cpuReads;

    public static long DeviceReads => Interlocked.Read(ref _deviceReads);
    public static long CpuReads => Interlocked.Read(ref _cpuReads);

    public static void Reset()
    {
        Interlocked.Exchange(ref _deviceReads, 0);
        Interlocked.Exchange(ref _cpuReads, 0);
    }

    public static float ReadFloat(Tensor scalar)
    {
        Count(scalar);
        return scalar.to_type(ScalarType.Float32).item<float>();
    }

    public static bool ReadBool(Tensor scalar)
    {
        Count(scalar);
        return scalar.item<bool>();
    }

    /// <summary>Copies a small tensor to the host (e.g. the metric counters once per epoch).</summary>
    public static T[] ReadArray<T>(Tensor tensor) where T : unmanaged
    {
        Count(tensor);
        using var host = tensor.cpu();
        return host.contiguous().data<T>().ToArray();
    }

    private static void Count(Tensor t)
    {
        if (t.device_type == DeviceType.CPU) Interlocked.Increment(ref _cpuReads);
        else Interlocked.Increment(ref _deviceReads);
    }
}
