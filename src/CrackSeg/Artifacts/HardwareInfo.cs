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
            int nvmlIndex = MapCudaToNvmlIndex(cudaIndex);
            used = gpus.FirstOrDefault(g => g.Index == nvmlIndex);
        }
        return new HardwareInfo
        {
            Device = device,
            CudaAvailable = cudaAvailable,
            CudaDeviceCount = cudaDeviceCount,
            GpuName = used?.Name ?? (device.StartsWith("cuda", StringComparison.Ordinal) ? gpus.FirstOrDefault()?.Name ?? "unknown CUDA device" : "CPU"),
            GpuMemoryTotalBytes = used?.MemoryTotalBytes,
            DriverVersion = nvml?.DriverVersion,
            Gpus = gpus,
            CpuModel = CpuModelName(),
            CpuCores = Environment.ProcessorCount,
            TorchThreads = torchThreads,
        };
    }

    /// <summary>CUDA numbers visible devices after CUDA_VISIBLE_DEVICES; NVML numbers them all.</summary>
    private static int MapCudaToNvmlIndex(int cudaIndex)
    {
        var visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES");
        if (string.IsNullOrWhiteSpace(visible)) return cudaIndex;
        var parts = visible.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return cudaIndex < parts.Length && int.TryParse(parts[cudaIndex], out var n) ? n : cudaIndex;
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
