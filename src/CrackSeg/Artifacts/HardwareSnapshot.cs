namespace CrackSeg.Artifacts;

/// <summary>
/// What the run ran on, as written to complete_summary.json's `hardware_info` (the guide's keys device,
/// cuda_available, gpu_name, plus memory, driver and CPU). Made from <see cref="HardwareInfo"/> (NVML + /proc) by <see cref="From"/>.
/// </summary>
/// <param name="Device">The torch device used: "cuda", "cuda:1" or "cpu".</param>
/// <param name="CudaAvailable">Whether TorchSharp could use CUDA in this process.</param>
/// <param name="GpuName">The GPU's name, or "CPU" when the run used no GPU.</param>
/// <param name="GpuMemoryTotalBytes">Total memory of the GPU used, when known.</param>
/// <param name="DriverVersion">NVIDIA driver version, when known.</param>
/// <param name="CpuModel">CPU model name.</param>
/// <param name="CpuCores">Logical CPU cores visible to the process.</param>
public sealed record HardwareSnapshot(
    string Device,
    bool CudaAvailable,
    string GpuName,
    long? GpuMemoryTotalBytes,
    string? DriverVersion,
    string CpuModel,
    int CpuCores)
{
    /// <summary>The gpu_name written when no GPU was used.</summary>
    public const string NoGpuName = "CPU";

    /// <summary>The facts <see cref="HardwareInfo.Detect"/> found, as complete_summary.json records them.</summary>
    public static HardwareSnapshot From(HardwareInfo info) =>
        new(info.Device, info.CudaAvailable, info.GpuName, info.GpuMemoryTotalBytes, info.DriverVersion, info.CpuModel, info.CpuCores);
}
