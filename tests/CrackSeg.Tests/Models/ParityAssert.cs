using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Models;

internal static class ParityAssert
{
    /// <summary>Max |actual - expected| ≤ tolerance and ‖Δ‖/‖ref‖ ≤ tolerance, with a log line either way.</summary>
    public static double Close(ITestOutputHelper output, string name, Tensor expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var reference = expected.to(ScalarType.Float64);
        var delta = actual.detach().to(ScalarType.Float64) - reference;
        double maxAbs = delta.abs().max().item<double>();
        double relative = delta.norm().item<double>() / Math.Max(reference.norm().item<double>(), 1e-30);
        output.WriteLine($"{name,-16} max|Δ| {maxAbs:E2}  rel {relative:E2}");
        Assert.True(maxAbs <= tolerance, $"{name}: max abs diff {maxAbs:E3} > {tolerance:E1}");
        Assert.True(relative <= tolerance, $"{name}: relative diff {relative:E3} > {tolerance:E1}");
        return maxAbs;
    }
}
