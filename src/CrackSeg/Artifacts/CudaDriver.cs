using System.Runtime.InteropServices;

namespace CrackSeg.Artifacts;

/// <summary>
/// Asks the CUDA driver (libcuda.so.1 / nvcuda.dll, shipped with the NVIDIA driver) which physical device a
/// CUDA ordinal is: the driver applies CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER exactly as for LibTorch in
/// this process, which NVML's PCI order does not. A missing library or any CUDA error gives null, never an exception.
/// </summary>
public sealed unsafe class CudaDriver : ICudaDriver
{
    /// <summary>The driver's libcuda.</summary>
    public static readonly CudaDriver Library = new();

    private const int Success = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct CuUuid { public fixed byte Bytes[16]; }

    /// <summary>
    /// Loaded once and never unloaded: LibTorch shares the same libcuda, and a driver that was initialised
    /// must not be unloaded under its own threads.
    /// </summary>
    private static readonly Lazy<IntPtr> Handle = new(Load);

    private CudaDriver() { }

    public byte[]? DeviceUuid(int ordinal)
    {
        var library = Handle.Value;
        if (library == IntPtr.Zero || ordinal < 0) return null;
        try
        {
            if (!Nvml.TryGet(library, "cuInit", out var init) || !Nvml.TryGet(library, "cuDeviceGet", out var deviceGet)) return null;
            // _v2 reports a MIG instance's own UUID (CUDA 11.4+ drivers); the first version only the GPU's.
            if (!Nvml.TryGet(library, "cuDeviceGetUuid_v2", out var uuidOf) && !Nvml.TryGet(library, "cuDeviceGetUuid", out uuidOf)) return null;
            if (((delegate* unmanaged<uint, int>)init)(0) != Success) return null;
            int device;
            if (((delegate* unmanaged<int*, int, int>)deviceGet)(&device, ordinal) != Success) return null;
            CuUuid uuid;
            if (((delegate* unmanaged<CuUuid*, int, int>)uuidOf)(&uuid, device) != Success) return null;
            return new ReadOnlySpan<byte>(uuid.Bytes, 16).ToArray();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    private static IntPtr Load()
    {
        string[] candidates = OperatingSystem.IsWindows()
            ? ["nvcuda.dll", Path.Combine(Environment.SystemDirectory, "nvcuda.dll")]
            : Nvml.DriverLibraryPaths("libcuda.so.1");
        foreach (var candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
