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

    /// <summary>The gpu_name written for a CUDA device whose GPU could not be identified.</summary>
    public const string UnknownCudaDevice = "unknown CUDA device";

    /// <summary>Facts for a run on <paramref name="device"/> ("cpu", "cuda", "cuda:1"), from the driver's NVML and libcuda.</summary>
    public static HardwareInfo Detect(string device, bool cudaAvailable, int cudaDeviceCount, int torchThreads) =>
        Detect(device, cudaAvailable, cudaDeviceCount, torchThreads, Nvml.Library, CudaDriver.Library);

    /// <summary>
    /// Facts for a run on <paramref name="device"/>, the GPU identified by UUID (<see cref="CudaDeviceIdentity"/>).
    /// When the CUDA driver cannot say which GPU it is, a host with one GPU still names it; otherwise the name is
    /// <see cref="UnknownCudaDevice"/> rather than a guess that could be another GPU.
    /// </summary>
    public static HardwareInfo Detect(string device, bool cudaAvailable, int cudaDeviceCount, int torchThreads, INvml nvml, ICudaDriver cudaDriver)
    {
        var inventory = nvml.Query();
        var gpus = inventory?.Gpus ?? [];
        bool onCuda = device.StartsWith("cuda", StringComparison.Ordinal);
        var used = onCuda ? CudaDeviceIdentity.Find(CudaDeviceIdentity.Ordinal(device), cudaDriver, nvml, gpus) : null;
        return new HardwareInfo
        {
            Device = device,
            CudaAvailable = cudaAvailable,
            CudaDeviceCount = cudaDeviceCount,
            GpuName = used?.Name ?? (onCuda ? (gpus.Count == 1 ? gpus[0].Name : UnknownCudaDevice) : HardwareSnapshot.NoGpuName),
            GpuMemoryTotalBytes = used?.MemoryTotalBytes,
            DriverVersion = inventory?.DriverVersion,
            Gpus = gpus,
            CpuModel = CpuModelName(),
            CpuCores = Environment.ProcessorCount,
            TorchThreads = torchThreads,
        };
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
