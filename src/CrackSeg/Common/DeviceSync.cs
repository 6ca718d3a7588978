using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Common;

/// <summary>Waits for the queued work of one device: what a timer must do before it stops on an accelerator.</summary>
public static class DeviceSync
{
    /// <summary>Blocks until <paramref name="device"/> (its own ordinal, not device 0) has finished; a no-op on the CPU.</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
