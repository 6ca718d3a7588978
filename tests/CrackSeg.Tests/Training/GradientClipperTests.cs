using CrackSeg.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

public class GradientClipperTests
{
    private static Parameter WithGrad(float[] grad, ScalarType dtype = ScalarType.Float32)
    {
        var p = new Parameter(zeros(grad.Length, dtype: dtype));
        p.grad = tensor(grad).to(dtype);
        return p;
    }

    [Fact]
    public void ClipsEveryGradientByTheGlobalNormAcrossDtypes()
    {
        using var scope = NewDisposeScope();
        var a = WithGrad([3f, 0f]);
        var b = WithGrad([0f, 4f, 12f], ScalarType.Float64);
        double expected = Math.Sqrt(9 + 16 + 144); // 13
        var total = GradientClipper.ClipByGlobalNorm([a, b], maxNorm: 1.0);
        Assert.Equal(expected, total.item<float>(), 4);
        double coef = 1.0 / (expected + 1e-6);
        Assert.Equal([3 * coef, 0], a.grad!.to(ScalarType.Float64).data<double>().ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal([0, 4 * coef, 12 * coef], b.grad!.data<double>().ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(ScalarType.Float64, b.grad!.dtype);
    }

    [Fact]
    public void NormsBelowTheLimitAndAZeroLimitLeaveGradientsAlone()
    {
        using var scope = NewDisposeScope();
        var a = WithGrad([0.3f, 0.4f]);
        Assert.Equal(0.5f, GradientClipper.ClipByGlobalNorm([a], maxNorm: 1.0).item<float>(), 6);
        Assert.Equal([0.3f, 0.4f], a.grad!.data<float>().ToArray());
        var big = WithGrad([30f, 40f]);
        Assert.Equal(50f, GradientClipper.ClipByGlobalNorm([big], maxNorm: 0).item<float>(), 4);
        Assert.Equal([30f, 40f], big.grad!.data<float>().ToArray());
    }

    [Fact]
    public void NoGradientsIsAnError()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<InvalidOperationException>(() => GradientClipper.ClipByGlobalNorm([new Parameter(zeros(2))], 1.0));
    }
}
