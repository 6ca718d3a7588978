using CrackSeg.Training;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>fp16's dynamic loss scaling with PyTorch GradScaler's numbers: 2^16 start, ×0.5 on overflow, ×2 after 2000 clean steps.</summary>
public class LossScalerTests
{
    private static double Scale(LossScaler s) => s.ScaleTensor.item<float>();

    [Fact]
    public void UnscaleDividesTheGradientsAndFlagsNonFiniteOnes()
    {
        using var scope = NewDisposeScope();
        using var scaler = new LossScaler(CPU);
        var g = full(3, 65536.0f * 2);
        var found = zeros(1);
        scaler.Unscale([g], found);
        Assert.Equal([2f, 2f, 2f], g.data<float>().ToArray());
        Assert.Equal(0f, found.item<float>());

        var bad = tensor(new[] { 1f, float.PositiveInfinity });
        scaler.Unscale([bad], found);
        Assert.Equal(1f, found.item<float>());
    }

    [Fact]
    public void AnOverflowHalvesTheScaleAndResetsGrowth()
    {
        using var scope = NewDisposeScope();
        using var scaler = new LossScaler(CPU);
        Assert.Equal(LossScaler.InitialScale, Scale(scaler));
        for (int i = 0; i < 5; i++) scaler.Update(zeros(1));
        scaler.Update(ones(1));
        Assert.Equal(32768.0, Scale(scaler));
        Assert.Equal(0, scaler.Capture().GrowthTracker);
        Assert.Equal(16384.0, Scale(Updated(scaler, ones(1))));
    }

    [Fact]
    public void TheScaleDoublesAfterGrowthIntervalCleanSteps()
    {
        using var scope = NewDisposeScope();
        using var scaler = new LossScaler(CPU);
        var clean = zeros(1);
        for (int i = 0; i < LossScaler.GrowthInterval - 1; i++) scaler.Update(clean);
        Assert.Equal(LossScaler.InitialScale, Scale(scaler));
        Assert.Equal(LossScaler.GrowthInterval - 1, scaler.Capture().GrowthTracker);
        scaler.Update(clean);
        Assert.Equal(2 * LossScaler.InitialScale, Scale(scaler));
        Assert.Equal(0, scaler.Capture().GrowthTracker);
    }

    [Fact]
    public void CaptureAndRestoreRoundTripThePyTorchState()
    {
        using var scope = NewDisposeScope();
        using var a = new LossScaler(CPU);
        a.Update(ones(1));
        for (int i = 0; i < 7; i++) a.Update(zeros(1));
        var state = a.Capture();
        Assert.Equal(new ScalerStateView(32768.0, 2.0, 0.5, 2000, 7), View(state));

        using var b = new LossScaler(CPU);
        b.Restore(state);
        Assert.Equal(View(state), View(b.Capture()));
        var loss = tensor(0.5f);
        Assert.Equal(0.5f * 32768f, b.Scale(loss).item<float>());
    }

    private sealed record ScalerStateView(double Scale, double Growth, double Backoff, int Interval, long Tracker);

    private static ScalerStateView View(CrackSeg.Artifacts.ScalerState s) => new(s.Scale, s.GrowthFactor, s.BackoffFactor, s.GrowthInterval, s.GrowthTracker);

    private static LossScaler Updated(LossScaler s, Tensor found) { s.Update(found); return s; }
}
