using System.Text.Json;
using CrackSeg.Artifacts;

namespace CrackSeg.Tests.Artifacts;

/// <summary>Which NVML GPU a CUDA device index means, under every form CUDA_VISIBLE_DEVICES takes.</summary>
public class HardwareInfoTests
{
    private static readonly GpuDevice[] Gpus =
    [
        new(0, "NVIDIA A100-SXM4-80GB", 85_899_345_920, 0, "GPU-1a2b3c4d-0000-1111-2222-333344445555"),
        new(1, "NVIDIA H100 80GB HBM3", 85_520_809_984, 0, "GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"),
        new(2, "NVIDIA H100 80GB HBM3", 85_520_809_984, 0, "GPU-9f11aaaa-aaaa-bbbb-cccc-000000000000"),
    ];

    [Theory]
    [InlineData(null, 0, 0)]
    [InlineData("", 1, 1)]
    [InlineData("1", 0, 1)]
    [InlineData("2,0", 1, 0)]
    [InlineData(" 2 , 1 ", 0, 2)]
    [InlineData("GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff", 0, 1)]
    [InlineData("GPU-9f8e", 0, 1)] // CUDA accepts a unique UUID prefix
    [InlineData("gpu-1A2B3C4D-0000-1111-2222-333344445555,1", 0, 0)]
    public void MapsCudaIndexToTheNvmlGpu(string? visible, int cudaIndex, int nvmlIndex) =>
        Assert.Equal(nvmlIndex, HardwareInfo.VisibleGpu(visible, cudaIndex, Gpus)?.Index);

    [Theory]
    [InlineData("1", 1)] // only one visible device
    [InlineData("7", 0)] // no such NVML index
    [InlineData("GPU-9f", 0)] // ambiguous prefix
    [InlineData("MIG-5c1f7a2e-0000-1111-2222-333344445555", 0)] // MIG instances are not NVML devices
    [InlineData("1", -1)]
    public void UnknownOrAmbiguousEntriesNameNoGpu(string visible, int cudaIndex) =>
        Assert.Null(HardwareInfo.VisibleGpu(visible, cudaIndex, Gpus));

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
}
