namespace CrackSeg.Artifacts;

/// <summary>What NVML lists: the driver version and every physical GPU, in NVML's (PCI) order.</summary>
public sealed record NvmlInventory(string? DriverVersion, IReadOnlyList<GpuDevice> Gpus);

/// <summary>
/// NVML as <see cref="HardwareInfo"/> uses it. <see cref="Nvml"/> is the driver's library; tests pass fakes,
/// since no GPU layout (mixed GPUs, MIG) can be produced on a test machine.
/// </summary>
public interface INvml
{
    /// <summary>Driver version and GPUs, or null when NVML is not available.</summary>
    NvmlInventory? Query();

    /// <summary>
    /// The device NVML knows under a full UUID: a GPU ("GPU-…") or a MIG instance ("MIG-…", named as NVML
    /// names it, e.g. "NVIDIA A100-SXM4-40GB MIG 1g.5gb", with the instance's memory). Null when none.
    /// </summary>
    GpuDevice? FindByUuid(string uuid);
}

/// <summary>
/// The CUDA driver as <see cref="HardwareInfo"/> uses it. <see cref="CudaDriver"/> is the driver's library
/// (libcuda / nvcuda); tests pass fakes.
/// </summary>
public interface ICudaDriver
{
    /// <summary>
    /// The 16 UUID bytes of CUDA device <paramref name="ordinal"/> (the ordinal torch's "cuda:N" means, so after
    /// CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER), a MIG instance's own UUID when the device is one. Null when
    /// the driver is missing or has no such device.
    /// </summary>
    byte[]? DeviceUuid(int ordinal);
}
