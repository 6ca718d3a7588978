using CrackSeg.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Common;

public class DeviceSyncTests
{
    [Theory]
    [InlineData("cuda:1", 1)]
    [InlineData("cuda:0", 0)]
    [InlineData("cuda", -1)]   // no index: the current device, where "cuda" tensors are made
    public void SynchronizesTheDeviceItIsGivenNotDeviceZero(string name, long index)
    {
        var synchronized = new List<Device>();
        DeviceSync.Synchronize(new Device(name), synchronized.Add);
        var device = Assert.Single(synchronized);
        Assert.Equal(DeviceType.CUDA, device.type);
        Assert.Equal(index, device.index);
    }

    [Fact]
    public void TheCpuHasNothingToWaitFor()
    {
        var synchronized = new List<Device>();
        DeviceSync.Synchronize(CPU, synchronized.Add);
        Assert.Empty(synchronized);
        DeviceSync.Synchronize(CPU);   // and the real one does not touch CUDA
    }
}
