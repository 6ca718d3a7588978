namespace CrackSeg.Artifacts;

/// <summary>
/// Which device a CUDA ordinal is, by UUID: the CUDA driver names the device (after CUDA_VISIBLE_DEVICES and
/// CUDA_DEVICE_ORDER, whose default FASTEST_FIRST differs from NVML's PCI order on mixed-GPU hosts) and
/// NVML describes the device with that UUID. Nothing here reads the environment or assumes an order.
/// </summary>
public static class CudaDeviceIdentity
{
    /// <summary>
    /// The NVML device for CUDA ordinal <paramref name="ordinal"/>: a GPU of <paramref name="gpus"/> (NVML's
    /// list) with the driver's UUID, else the MIG instance NVML knows under it. Null when either library is
    /// missing or the UUIDs do not meet.
    /// </summary>
    public static GpuDevice? Find(int ordinal, ICudaDriver cuda, INvml nvml, IReadOnlyList<GpuDevice> gpus)
    {
        if (cuda.DeviceUuid(ordinal) is not { Length: 16 } uuid) return null;
        var hex = Hex(uuid);
        return gpus.FirstOrDefault(g => string.Equals(g.Uuid, "GPU-" + hex, StringComparison.OrdinalIgnoreCase))
            ?? nvml.FindByUuid("MIG-" + hex);
    }

    /// <summary>The ordinal of "cuda" (0) or "cuda:N".</summary>
    public static int Ordinal(string device) =>
        device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>16 UUID bytes in NVML's text form without its "GPU-"/"MIG-" prefix: 8-4-4-4-12 lower-case hex digits.</summary>
    public static string Hex(ReadOnlySpan<byte> uuid)
    {
        if (uuid.Length != 16) throw new ArgumentException($"a UUID has 16 bytes, got {uuid.Length}", nameof(uuid));
        var digits = Convert.ToHexStringLower(uuid);
        return $"{digits[..8]}-{digits[8..12]}-{digits[12..16]}-{digits[16..20]}-{digits[20..]}";
    }
}
