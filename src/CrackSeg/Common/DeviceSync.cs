using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common;

/// <summary>
/// Waits for the work queued on one device, e.g. before a benchmark stops its clock: CUDA kernels run
/// asynchronously, so a timing without it measures only the launches.
/// </summary>
public static class DeviceSync
{
    /// <summary>
    /// Blocks until every kernel queued on <paramref name="device"/> has finished: <c>cuda.synchronize</c> of that
    /// device ("cuda:N" waits on N, not on the current device; "cuda" is the current device, where its tensors
    /// live). On the CPU nothing: its ops have finished when they return.
    /// </summary>
    public static void Synchronize(Device device) => Synchronize(device, static cudaDevice => cuda.synchronize(cudaDevice));

    /// <summary><see cref="Synchronize(Device)"/> with CUDA's synchronize passed in, so tests can see which device it is given.</summary>
    internal static void Synchronize(Device device, Action<Device> synchronizeCuda)
    {
        if (device.type == DeviceType.CUDA) synchronizeCuda(device);
    }
}
