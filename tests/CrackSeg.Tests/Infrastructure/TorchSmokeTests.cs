using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Infrastructure;

public class TorchSmokeTests
{
    [Fact]
    public void RealTensorOperationRunsInTheTestHost()
    {
        using var scope = NewDisposeScope();
        var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        var b = matmul(a, a.t());
        Assert.Equal(new long[] { 2, 2 }, b.shape);
        Assert.Equal(5f, b[0, 0].item<float>()); // 0*0 + 1*1 + 2*2
        Assert.Equal(50f, b[1, 1].item<float>()); // 9 + 16 + 25
    }
}
