using System.Text.Json;
using CrackSeg.Artifacts;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// Which GPU a CUDA device is, on layouts no test machine has: fakes of NVML and of the CUDA driver stand in for
/// the driver's libraries, each answering what the real one answers on such a host.
/// </summary>
public class HardwareInfoTests
{
    // NVML lists GPUs in PCI order; CUDA's default FASTEST_FIRST order puts the H100s before the A100.
    private static readonly GpuDevice A100 = new(0, "NVIDIA A100-SXM4-80GB", 85_899_345_920, 0, "GPU-1a2b3c4d-0000-1111-2222-333344445555");
    private static readonly GpuDevice H100 = new(1, "NVIDIA H100 80GB HBM3", 85_520_809_984, 0, "GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff");
    private static readonly GpuDevice H100Nvl = new(2, "NVIDIA H100 NVL", 100_485_038_080, 0, "GPU-9f11aaaa-aaaa-bbbb-cccc-000000000000");
    // A MIG instance on the A100: not in NVML's GPU list, found by its UUID only.
    private static readonly GpuDevice A100Mig = new(0, "NVIDIA A100-SXM4-80GB MIG 1g.10gb", 10_200_547_328, 0, "MIG-5c1f7a2e-0000-1111-2222-333344445555");
    private static FakeNvml MixedHost => new("580.65.06", [A100, H100, H100Nvl], [A100Mig]);

    [Theory]
    [InlineData("cuda", "NVIDIA H100 NVL")]
    [InlineData("cuda:1", "NVIDIA H100 80GB HBM3")]
    [InlineData("cuda:2", "NVIDIA A100-SXM4-80GB")]
    public void MixedHostNamesTheGpuCudaNumbersNotTheOneAtTheSameNvmlIndex(string device, string expected)
    {
        // CUDA (FASTEST_FIRST): 0 = H100 NVL, 1 = H100, 2 = A100; NVML: 0 = A100, 1 = H100, 2 = H100 NVL.
        var cuda = new FakeCudaDriver(H100Nvl.Uuid!, H100.Uuid!, A100.Uuid!);
        var nvml = MixedHost;
        var info = Detect(device, nvml, cuda);
        Assert.Equal(expected, info.GpuName);
        Assert.Equal(nvml.Gpus.Single(g => g.Name == expected).MemoryTotalBytes, info.GpuMemoryTotalBytes);
        Assert.Equal("580.65.06", info.DriverVersion);
        Assert.Equal(3, info.Gpus.Count);
    }

    [Fact]
    public void CudaVisibleDevicesByUuidIsWhatTheDriverReportsForOrdinalZero()
    {
        // CUDA_VISIBLE_DEVICES=GPU-9f11aaaa (a unique prefix of the H100 NVL, which CUDA accepts): cuda:0 is that GPU,
        // whose NVML index is 2; no index arithmetic could have found it.
        var info = Detect("cuda", MixedHost, new FakeCudaDriver(H100Nvl.Uuid!));
        Assert.Equal("NVIDIA H100 NVL", info.GpuName);
        Assert.Equal(H100Nvl.MemoryTotalBytes, info.GpuMemoryTotalBytes);
    }

    [Fact]
    public void CudaVisibleDevicesWithAMigInstanceNamesTheInstanceAsNvmlDoes()
    {
        // CUDA_VISIBLE_DEVICES=MIG-5c1f7a2e-…,GPU-9f8e7d6c-…: cuDeviceGetUuid_v2 gives the instance's own UUID for cuda:0.
        var cuda = new FakeCudaDriver(A100Mig.Uuid!, H100.Uuid!);
        var nvml = MixedHost;
        var mig = Detect("cuda", nvml, cuda);
        Assert.Equal("NVIDIA A100-SXM4-80GB MIG 1g.10gb", mig.GpuName);
        Assert.Equal(10_200_547_328, mig.GpuMemoryTotalBytes);
        Assert.Equal(["MIG-5c1f7a2e-0000-1111-2222-333344445555"], nvml.LookedUp);
        Assert.Equal("NVIDIA H100 80GB HBM3", Detect("cuda:1", MixedHost, cuda).GpuName);
    }

    [Fact]
    public void UuidsMeetWhateverTheLetterCaseNvmlWrites()
    {
        var upper = A100 with { Uuid = A100.Uuid!.ToUpperInvariant() };
        var info = Detect("cuda", new FakeNvml("580.65.06", [upper], []), new FakeCudaDriver(A100.Uuid!));
        Assert.Equal(A100.Name, info.GpuName);
        Assert.Equal(A100.MemoryTotalBytes, info.GpuMemoryTotalBytes);
    }

    [Fact]
    public void WithoutTheCudaDriverOnlyASingleGpuHostIsNamed()
    {
        var noDriver = new FakeCudaDriver();
        var mixed = Detect("cuda", MixedHost, noDriver);
        Assert.Equal(HardwareInfo.UnknownCudaDevice, mixed.GpuName);
        Assert.Null(mixed.GpuMemoryTotalBytes);
        Assert.Equal("580.65.06", mixed.DriverVersion);
        Assert.Equal(H100.Name, Detect("cuda", new FakeNvml("580.65.06", [H100], []), noDriver).GpuName);
    }

    [Fact]
    public void WithoutNvmlTheGpuIsUnknownAndNothingThrows()
    {
        var info = Detect("cuda:1", FakeNvml.Missing, new FakeCudaDriver(H100Nvl.Uuid!, H100.Uuid!));
        Assert.Equal(HardwareInfo.UnknownCudaDevice, info.GpuName);
        Assert.Null(info.DriverVersion);
        Assert.Empty(info.Gpus);
    }

    [Fact]
    public void AUuidTheDriverReportsForNoNvmlDeviceIsUnknown()
    {
        var info = Detect("cuda", MixedHost, new FakeCudaDriver("GPU-00000000-0000-0000-0000-000000000000"));
        Assert.Equal(HardwareInfo.UnknownCudaDevice, info.GpuName);
    }

    [Fact]
    public void ACpuRunAsksNoCudaDriver()
    {
        var cuda = new FakeCudaDriver(H100.Uuid!);
        var info = Detect("cpu", MixedHost, cuda);
        Assert.Equal("CPU", info.GpuName);
        Assert.Null(info.GpuMemoryTotalBytes);
        Assert.Equal(0, cuda.Calls);
    }

    [Fact]
    public void UuidBytesAreWrittenAsNvmlWritesThem()
    {
        byte[] bytes = [0x1a, 0x2b, 0x3c, 0x4d, 0x00, 0x00, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x55, 0x55];
        Assert.Equal("1a2b3c4d-0000-1111-2222-333344445555", CudaDeviceIdentity.Hex(bytes));
        Assert.Throws<ArgumentException>(() => CudaDeviceIdentity.Hex(bytes.AsSpan(1)));
        Assert.Equal(0, CudaDeviceIdentity.Ordinal("cuda"));
        Assert.Equal(3, CudaDeviceIdentity.Ordinal("cuda:3"));
    }

    [Fact]
    public void TheDriversLibrariesAnswerOrSayNothingWithoutThrowing()
    {
        // On a machine without the NVIDIA driver (CI) both answer null; on a GPU machine, real answers.
        var uuid = CudaDriver.Library.DeviceUuid(0);
        Assert.True(uuid is null || uuid.Length == 16);
        Assert.Null(CudaDriver.Library.DeviceUuid(-1));
        var inventory = Nvml.Library.Query();
        Assert.Null(Nvml.Library.FindByUuid("GPU-00000000-0000-0000-0000-000000000000"));
        if (inventory is not null && uuid is not null)
            Assert.NotEqual(HardwareInfo.UnknownCudaDevice, HardwareInfo.Detect("cuda", true, 1, 1).GpuName);
    }

    [Fact]
    public void HardwareInfoJsonHasTheGuideKeysFirst()
    {
        var json = ExperimentDocuments.HardwareInfo(new HardwareSnapshot("cuda", true, "NVIDIA H200", 150_754_820_096, "580.159.03", "AMD EPYC", 16));
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["device", "cuda_available", "gpu_name"], names.Take(3));
        Assert.Equal("NVIDIA H200", doc.RootElement.GetProperty("gpu_name").GetString());
        Assert.True(doc.RootElement.GetProperty("cuda_available").GetBoolean());
    }

    [Fact]
    public void DetectOnCpuNamesNoGpu()
    {
        var info = HardwareInfo.Detect("cpu", cudaAvailable: false, cudaDeviceCount: 0, torchThreads: 2);
        Assert.Equal("CPU", info.GpuName);
        Assert.Null(info.GpuMemoryTotalBytes);
        Assert.True(info.CpuCores >= 1);
    }

    private static HardwareInfo Detect(string device, INvml nvml, ICudaDriver cuda) =>
        HardwareInfo.Detect(device, cudaAvailable: device != "cpu", cudaDeviceCount: 3, torchThreads: 8, nvml, cuda);

    /// <summary>NVML's answers on a host: its GPU list and, by full UUID, GPUs and MIG instances.</summary>
    /// <summary>(No driver version: no NVML.)</summary>
    private sealed class FakeNvml(string? driver, GpuDevice[] gpus, GpuDevice[] migInstances) : INvml
    {
        public static FakeNvml Missing => new(null, [], []);

        public IReadOnlyList<GpuDevice> Gpus => gpus;
        public List<string> LookedUp { get; } = [];

        public NvmlInventory? Query() => driver is null ? null : new NvmlInventory(driver, gpus);

        public GpuDevice? FindByUuid(string uuid)
        {
            LookedUp.Add(uuid);
            // NVML finds a device by its full UUID only.
            return gpus.Concat(migInstances).FirstOrDefault(d => string.Equals(d.Uuid, uuid, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>The CUDA driver's answers: the UUID of each ordinal this process sees (no arguments: no driver).</summary>
    private sealed class FakeCudaDriver(params string[] uuidsByOrdinal) : ICudaDriver
    {
        public int Calls { get; private set; }

        public byte[]? DeviceUuid(int ordinal)
        {
            Calls++;
            if (ordinal < 0 || ordinal >= uuidsByOrdinal.Length) return null;
            return Convert.FromHexString(uuidsByOrdinal[ordinal][4..].Replace("-", "", StringComparison.Ordinal));
        }
    }
}
