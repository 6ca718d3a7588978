using System.Runtime.InteropServices;
using System.Text;

namespace CrackSeg.Artifacts;

/// <summary>
/// One device as NVML sees it. <paramref name="Index"/> is NVML's index (a MIG instance's is its GPU's);
/// <paramref name="Uuid"/> is NVML's "GPU-xxxxxxxx-…" or "MIG-xxxxxxxx-…" form, which CUDA_VISIBLE_DEVICES also accepts.
/// </summary>
public sealed record GpuDevice(int Index, string Name, long? MemoryTotalBytes, long? MemoryUsedBytes, string? Uuid = null);

/// <summary>
/// Reads GPU names and memory through NVML (libnvidia-ml.so.1 / nvml.dll, shipped with the NVIDIA
/// driver). TorchSharp has no get_device_name; NVML needs no CUDA toolkit and no LibTorch.
/// A missing library or any NVML error means "no GPU information", never an exception.
/// </summary>
public sealed unsafe class Nvml : INvml
{
    /// <summary>The driver's NVML.</summary>
    public static readonly Nvml Library = new();

    private const int Success = 0;
    private const int NameBytes = 256, UuidBytes = 96;

    [StructLayout(LayoutKind.Sequential)]
    private struct Memory { public ulong Total, Free, Used; }

    private Nvml() { }

    public NvmlInventory? Query() => WithSession(session => new NvmlInventory(session.DriverVersion(), session.Gpus()));

    public GpuDevice? FindByUuid(string uuid) => WithSession(session => session.ByUuid(uuid));

    /// <summary>Loads NVML, initialises it around <paramref name="read"/> and unloads it; null on any failure.</summary>
    private static T? WithSession<T>(Func<Session, T?> read) where T : class
    {
        if (!TryLoadLibrary(out var handle)) return null;
        try
        {
            using var session = Session.Open(handle);
            return session is null ? null : read(session);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
        {
            return null;
        }
        finally { NativeLibrary.Free(handle); }
    }

    /// <summary>An initialised NVML (nvmlInit_v2 … nvmlShutdown); optional entry points are looked up when used.</summary>
    private sealed class Session : IDisposable
    {
        private readonly IntPtr _library;
        private readonly IntPtr _shutdown;

        private Session(IntPtr library, IntPtr shutdown) => (_library, _shutdown) = (library, shutdown);

        public static Session? Open(IntPtr library)
        {
            if (!TryGet(library, "nvmlInit_v2", out var init) || !TryGet(library, "nvmlShutdown", out var shutdown)) return null;
            return ((delegate* unmanaged<int>)init)() == Success ? new Session(library, shutdown) : null;
        }

        public void Dispose() => ((delegate* unmanaged<int>)_shutdown)();

        public string? DriverVersion()
        {
            if (!TryGet(_library, "nvmlSystemGetDriverVersion", out var driver)) return null;
            byte* buffer = stackalloc byte[96];
            return ((delegate* unmanaged<byte*, uint, int>)driver)(buffer, 96) == Success ? Utf8(buffer) : null;
        }

        public IReadOnlyList<GpuDevice> Gpus()
        {
            var gpus = new List<GpuDevice>();
            uint count = 0;
            if (!TryGet(_library, "nvmlDeviceGetCount_v2", out var countOf) || ((delegate* unmanaged<uint*, int>)countOf)(&count) != Success
                || !TryGet(_library, "nvmlDeviceGetHandleByIndex_v2", out var byIndex))
                return gpus;
            for (uint i = 0; i < count; i++)
            {
                IntPtr device;
                if (((delegate* unmanaged<uint, IntPtr*, int>)byIndex)(i, &device) == Success) gpus.Add(Describe(device, (int)i));
            }
            return gpus;
        }

        public GpuDevice? ByUuid(string uuid)
        {
            if (!TryGet(_library, "nvmlDeviceGetHandleByUUID", out var byUuid)) return null;
            IntPtr device;
            var text = Encoding.ASCII.GetBytes(uuid + "\0");
            fixed (byte* p = text)
                if (((delegate* unmanaged<byte*, IntPtr*, int>)byUuid)(p, &device) != Success) return null;
            return Describe(device, GpuIndexOf(device));
        }

        /// <summary>NVML's index of the device, or of the GPU a MIG instance belongs to (MIG handles have no index); −1 when unknown.</summary>
        private int GpuIndexOf(IntPtr device)
        {
            if (TryGet(_library, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle", out var parentOf))
            {
                IntPtr parent;
                if (((delegate* unmanaged<IntPtr, IntPtr*, int>)parentOf)(device, &parent) == Success) device = parent;
            }
            uint index;
            return TryGet(_library, "nvmlDeviceGetIndex", out var indexOf) && ((delegate* unmanaged<IntPtr, uint*, int>)indexOf)(device, &index) == Success
                ? (int)index : -1;
        }

        private GpuDevice Describe(IntPtr device, int index)
        {
            byte* text = stackalloc byte[NameBytes];
            string name = TryGet(_library, "nvmlDeviceGetName", out var nameOf)
                && ((delegate* unmanaged<IntPtr, byte*, uint, int>)nameOf)(device, text, NameBytes) == Success ? Utf8(text) : $"GPU {index}";
            long? total = null, used = null;
            Memory memory;
            if (TryGet(_library, "nvmlDeviceGetMemoryInfo", out var memoryOf) && ((delegate* unmanaged<IntPtr, Memory*, int>)memoryOf)(device, &memory) == Success)
            {
                total = (long)memory.Total;
                used = (long)memory.Used;
            }
            string? uuid = TryGet(_library, "nvmlDeviceGetUUID", out var uuidOf)
                && ((delegate* unmanaged<IntPtr, byte*, uint, int>)uuidOf)(device, text, UuidBytes) == Success ? Utf8(text) : null;
            return new GpuDevice(index, name, total, used, uuid);
        }
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
            : DriverLibraryPaths("libnvidia-ml.so.1");
        foreach (var candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out handle)) return true;
        handle = IntPtr.Zero;
        return false;
    }

    /// <summary>A driver library's name for the loader's search, then the directories drivers install it in on Linux.</summary>
    internal static string[] DriverLibraryPaths(string file) =>
        [file, $"/usr/local/nvidia/lib64/{file}", $"/usr/lib/wsl/lib/{file}", $"/usr/lib/x86_64-linux-gnu/{file}", $"/usr/lib64/{file}"];

    internal static bool TryGet(IntPtr handle, string name, out IntPtr address) => NativeLibrary.TryGetExport(handle, name, out address);

    private static string Utf8(byte* text) => Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));
}
