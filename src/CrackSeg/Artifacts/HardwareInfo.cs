using System.Reflection;

namespace CrackSeg.Artifacts;

/// <summary>
/// What a run ran on: the training device, CUDA availability and the GPU's name from NVML
/// ("CPU" when there is no GPU), plus memory, driver and CPU facts. Never throws.
/// </summary>
public sealed record HardwareInfo
{
    public required string Device { get; init; }
    public required bool CudaAvailable { get; init; }
    public int CudaDeviceCount { get; init; }
    public required string GpuName { get; init; }
    public long? GpuMemoryTotalBytes { get; init; }
    public string? DriverVersion { get; init; }
    public IReadOnlyList<GpuDevice> Gpus { get; init; } = [];
    public required string CpuModel { get; init; }
    public int CpuCores { get; init; }
    public int TorchThreads { get; init; }

    /// <summary>Facts for a run on <paramref name="device"/> ("cpu", "cuda", "cuda:1").</summary>
    public static HardwareInfo Detect(string device, bool cudaAvailable, int cudaDeviceCount, int torchThreads)
    {
        var nvml = Nvml.Query();
        var gpus = nvml?.Gpus ?? [];
        GpuDevice? used = null;
        if (device.StartsWith("cuda", StringComparison.Ordinal))
        {
            int cudaIndex = device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..]) : 0;
            used = VisibleGpu(Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"), cudaIndex, gpus);
        }
        return new HardwareInfo
        {
            Device = device,
            CudaAvailable = cudaAvailable,
            CudaDeviceCount = cudaDeviceCount,
            GpuName = used?.Name ?? (device.StartsWith("cuda", StringComparison.Ordinal) ? (gpus.Count == 1 ? gpus[0].Name : "unknown CUDA device") : "CPU"),
            GpuMemoryTotalBytes = used?.MemoryTotalBytes,
            DriverVersion = nvml?.DriverVersion,
            Gpus = gpus,
            CpuModel = CpuModelName(),
            CpuCores = Environment.ProcessorCount,
            TorchThreads = torchThreads,
        };
    }

    /// <summary>
    /// The NVML GPU that CUDA calls device <paramref name="cudaIndex"/>. CUDA numbers only the devices
    /// CUDA_VISIBLE_DEVICES lists, in its order, each given as an NVML index or as a (prefix of a) GPU
    /// UUID; NVML numbers all of them. Null when the entry names no GPU NVML reports (e.g. a MIG instance).
    /// </summary>
    public static GpuDevice? VisibleGpu(string? cudaVisibleDevices, int cudaIndex, IReadOnlyList<GpuDevice> gpus)
    {
        if (string.IsNullOrWhiteSpace(cudaVisibleDevices)) return gpus.FirstOrDefault(g => g.Index == cudaIndex);
        var entries = cudaVisibleDevices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (cudaIndex < 0 || cudaIndex >= entries.Length) return null;
        var entry = entries[cudaIndex];
        if (int.TryParse(entry, out var nvmlIndex)) return gpus.FirstOrDefault(g => g.Index == nvmlIndex);
        if (!entry.StartsWith("GPU-", StringComparison.OrdinalIgnoreCase)) return null;
        var matches = gpus.Where(g => g.Uuid is not null && g.Uuid.StartsWith(entry, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    public static string CpuModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
            }
            return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException) { return "unknown"; }
    }
}

/// <summary>Versions of the framework pieces, for `info` and complete_summary.json.</summary>
public static class FrameworkVersions
{
    private static readonly Assembly Library = typeof(FrameworkVersions).Assembly;

    public static string CrackSeg => Library.GetName().Version?.ToString(3) ?? "0.0.0";
    public static string DotNet => Environment.Version.ToString();
    public static string TorchSharp => Metadata("TorchSharpVersion");
    public static string LibTorch => Metadata("LibTorchVersion");
    public static string TorchBackend => Metadata("TorchBackend");

    private static string Metadata(string key) =>
        Library.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";
}
