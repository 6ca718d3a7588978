using System.Runtime.InteropServices;
using System.Text;

namespace CrackSeg.Artifacts;

/// <summary>One GPU as NVML sees it. <paramref name="Uuid"/> is NVML's "GPU-xxxxxxxx-..." form, which CUDA_VISIBLE_DEVICES also accepts.</summary>
public sealed record GpuDevice(int Index, string Name, long? MemoryTotalBytes, long? MemoryUsedBytes, string? Uuid = null);

/// <summary>
/// Reads GPU names and memory through NVML (libnvidia-ml.so.1 / nvml.dll, shipped with the NVIDIA
/// driver). TorchSharp has no get_device_name; NVML needs no CUDA toolkit and no LibTorch.
/// A missing library or any NVML error means "no GPU information", never an exception.
/// </summary>
public static unsafe class Nvml
{
    private const int Success = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct Memory { public ulong Total, Free, Used; }

    /// <summary>Driver version and GPUs, or null when NVML is not available.</summary>
    public static (string? DriverVersion, IReadOnlyList<GpuDevice> Gpus)? Query()
    {
        if (!TryLoadLibrary(out var handle)) return null;
        try
        {
            if (!TryGet(handle, "nvmlInit_v2", out var initPtr) || !TryGet(handle, "nvmlShutdown", out var shutdownPtr)) return null;
            var init = (delegate* unmanaged<int>)initPtr;
            var shutdown = (delegate* unmanaged<int>)shutdownPtr;
            if (init() != Success) return null;
            try
            {
                string? driver = null;
                if (TryGet(handle, "nvmlSystemGetDriverVersion", out var driverPtr))
                {
                    byte* buffer = stackalloc byte[96];
                    if (((delegate* unmanaged<byte*, uint, int>)driverPtr)(buffer, 96) == Success) driver = Utf8(buffer);
                }
                var gpus = new List<GpuDevice>();
                uint count = 0;
                if (TryGet(handle, "nvmlDeviceGetCount_v2", out var countPtr) && ((delegate* unmanaged<uint*, int>)countPtr)(&count) == Success
                    && TryGet(handle, "nvmlDeviceGetHandleByIndex_v2", out var byIndexPtr) && TryGet(handle, "nvmlDeviceGetName", out var namePtr))
                {
                    TryGet(handle, "nvmlDeviceGetMemoryInfo", out var memoryPtr);
                    TryGet(handle, "nvmlDeviceGetUUID", out var uuidPtr);
                    byte* name = stackalloc byte[256];
                    byte* uuid = stackalloc byte[96];
                    for (uint i = 0; i < count; i++)
                    {
                        IntPtr device;
                        if (((delegate* unmanaged<uint, IntPtr*, int>)byIndexPtr)(i, &device) != Success) continue;
                        string gpuName = ((delegate* unmanaged<IntPtr, byte*, uint, int>)namePtr)(device, name, 256) == Success ? Utf8(name) : $"GPU {i}";
                        long? total = null, used = null;
                        Memory memory;
                        if (memoryPtr != IntPtr.Zero && ((delegate* unmanaged<IntPtr, Memory*, int>)memoryPtr)(device, &memory) == Success)
                        {
                            total = (long)memory.Total;
                            used = (long)memory.Used;
                        }
                        string? gpuUuid = uuidPtr != IntPtr.Zero && ((delegate* unmanaged<IntPtr, byte*, uint, int>)uuidPtr)(device, uuid, 96) == Success ? Utf8(uuid) : null;
                        gpus.Add(new GpuDevice((int)i, gpuName, total, used, gpuUuid));
                    }
                }
                return (driver, gpus);
            }
            finally { shutdown(); }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return null;
        }
        finally { NativeLibrary.Free(handle); }
    }

    /// <summary>
    /// The loader's search first; then where drivers put NVML when that path is not in the loader's
    /// (containers mounting /usr/local/nvidia, WSL's /usr/lib/wsl/lib, Windows' System32 copy).
    /// </summary>
    private static bool TryLoadLibrary(out IntPtr handle)
    {
        string[] candidates = OperatingSystem.IsWindows()
            ? ["nvml.dll", Path.Combine(Environment.SystemDirectory, "nvml.dll"),
               Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "NVIDIA Corporation", "NVSMI", "nvml.dll")]
            : ["libnvidia-ml.so.1", "/usr/local/nvidia/lib64/libnvidia-ml.so.1", "/usr/lib/wsl/lib/libnvidia-ml.so.1",
               "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/lib64/libnvidia-ml.so.1"];
        foreach (var candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out handle)) return true;
        handle = IntPtr.Zero;
        return false;
    }

    private static bool TryGet(IntPtr handle, string name, out IntPtr address) => NativeLibrary.TryGetExport(handle, name, out address);

    private static string Utf8(byte* text) => Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));
}
