using CrackSeg.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>
/// FusedAdamW / FusedAdam (LibTorch's fused kernels) against TorchSharp's own AdamW / Adam on copies of the same
/// parameters: two groups (decay and no decay), an LR change, many steps; the device-side skip; state round trips.
/// </summary>
public class FusedAdamTests
{
    private static List<Parameter> Parameters(int seed, ScalarType dtype) => OptimizerTestParameters.Make(seed, dtype);

    private static List<Parameter> Copy(IEnumerable<Parameter> ps) => OptimizerTestParameters.Copy(ps);

    private static optim.Optimizer Make(string kind, List<Parameter> ps, bool amsgrad = false)
    {
        const double lr = 0.05, b1 = 0.8, b2 = 0.95, eps = 1e-6, wd = 0.3;
        return kind switch
        {
            "fused-adamw" => new FusedAdamW([new(ps.Take(2), lr, b1, b2, eps, wd, amsgrad), new(ps.Skip(2), lr, b1, b2, eps, 0.0, amsgrad)], lr, b1, b2, eps, wd),
            "adamw" => optim.AdamW([new AdamW.ParamGroup(ps.Take(2), lr, b1, b2, eps, wd, amsgrad), new AdamW.ParamGroup(ps.Skip(2), lr, b1, b2, eps, 0.0, amsgrad)], lr, b1, b2, eps, wd),
            "fused-adam" => new FusedAdam([new(ps.Take(2), lr, b1, b2, eps, wd, amsgrad), new(ps.Skip(2), lr, b1, b2, eps, 0.0, amsgrad)], lr, b1, b2, eps, wd),
            "adam" => optim.Adam([new Adam.ParamGroup(ps.Take(2), lr, b1, b2, eps, wd, amsgrad), new Adam.ParamGroup(ps.Skip(2), lr, b1, b2, eps, 0.0, amsgrad)], lr, b1, b2, eps, wd),
            _ => throw new ArgumentException(kind),
        };
    }

    /// <summary>Gradients that differ per parameter and per step, some tiny.</summary>
    private static void Backward(List<Parameter> ps, int k)
    {
        ps.Select((p, i) => (p * p * (i + 0.5 + 0.1 * k)).sum() + (p * (1e-4 * k)).cos().sum()).Aggregate((a, b) => a + b).backward();
    }

    private static void Step(optim.Optimizer opt, List<Parameter> ps, int k)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        Backward(ps, k);
        opt.step();
    }

    private static double MaxDiff(List<Parameter> a, List<Parameter> b) =>
        a.Zip(b).Max(p => (p.First - p.Second).abs().max().to(ScalarType.Float64).item<double>());

    [Theory]
    [InlineData("fused-adamw", "adamw", false)]
    [InlineData("fused-adam", "adam", false)]
    [InlineData("fused-adamw", "adamw", true)]
    public void FollowsTorchSharpsOptimizerInFloat64AcrossAnLrChange(string fused, string reference, bool amsgrad)
    {
        using var scope = NewDisposeScope();
        var a = Parameters(1, ScalarType.Float64);
        var b = Copy(a);
        using var oa = Make(fused, a, amsgrad);
        using var ob = Make(reference, b, amsgrad);
        StepBoth(oa, a, ob, b, steps: 30, lrChangeAt: 10, newLr: 0.01, Step);
        double diff = MaxDiff(a, b);
        Assert.True(diff < 1e-12, $"max |Δ| {diff}");
        Assert.True(diff > 0 || a.Zip(b).All(p => p.First.Equals(p.Second)));
        Assert.False(a[0].Equals(Parameters(1, ScalarType.Float64)[0]), "the fused step did not move the parameters");
    }

    [Theory]
    [InlineData("fused-adamw", "adamw")]
    [InlineData("fused-adam", "adam")]
    public void Float32StaysWithinRoundingOverManySteps(string fused, string reference)
    {
        using var scope = NewDisposeScope();
        var a = Parameters(2, ScalarType.Float32);
        var b = Copy(a);
        using var oa = Make(fused, a);
        using var ob = Make(reference, b);
        // Gradients that do not depend on the parameters: differences can only be rounding, never amplified by the
        // (chaotic) sign flips of Adam oscillating around a minimum.
        StepBoth(oa, a, ob, b, steps: 300, lrChangeAt: 150, newLr: 0.005, RandomGradientStep);
        double diff = MaxDiff(a, b);
        Assert.True(diff < 2e-5, $"max |Δ| {diff}");
    }

    /// <summary>Steps two optimizers alike, both switching to <paramref name="newLr"/> at step <paramref name="lrChangeAt"/>.</summary>
    private static void StepBoth(optim.Optimizer oa, List<Parameter> a, optim.Optimizer ob, List<Parameter> b, int steps, int lrChangeAt, double newLr,
        Action<optim.Optimizer, List<Parameter>, int> step)
    {
        for (int k = 0; k < steps; k++)
        {
            if (k == lrChangeAt)
            {
                OptimizerFactory.SetLearningRate((OptimizerHelper)oa, newLr);
                OptimizerFactory.SetLearningRate((OptimizerHelper)ob, newLr);
            }
            step(oa, a, k);
            step(ob, b, k);
        }
    }

    private static void RandomGradientStep(optim.Optimizer opt, List<Parameter> ps, int k)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)(1000 + k));
        opt.zero_grad();
        ps.Select(p => (p * randn(p.shape, generator: g).mul(k % 7 == 0 ? 1e-3 : 1.0)).sum()).Aggregate((x, y) => x + y).backward();
        opt.step();
    }

    [Fact]
    public void AFoundInfStepChangesNothingAndLaterStepsMatchARunThatNeverSawIt()
    {
        using var scope = NewDisposeScope();
        var a = Parameters(3, ScalarType.Float32);
        var b = Copy(a);
        using var oa = (FusedAdamW)Make("fused-adamw", a);
        using var ob = (FusedAdamW)Make("fused-adamw", b);
        for (int k = 0; k < 3; k++) { Step(oa, a, k); Step(ob, b, k); }

        var before = a.Select(p => p.detach().clone()).ToList();
        using (NewDisposeScope())
        {
            oa.zero_grad();
            Backward(a, 99);
            ((IGuardedOptimizer)oa).Step(ones(1, ScalarType.Float32));   // found_inf = 1: skip on the device
        }
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Equals(before[i]), $"parameter {i} moved on a skipped step");
        Assert.All(oa.state_dict().State.Cast<AdamW.State>(), s => Assert.Equal(3, s.step));

        for (int k = 3; k < 6; k++) { Step(oa, a, k); Step(ob, b, k); }
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Equals(b[i]), $"parameter {i} differs after the skipped step");
    }

    [Fact]
    public void StateDictRoundTripContinuesBitForBit()
    {
        using var scope = NewDisposeScope();
        var a = Parameters(4, ScalarType.Float32);
        using var oa = (FusedAdamW)Make("fused-adamw", a);
        for (int k = 0; k < 5; k++) Step(oa, a, k);
        var saved = oa.state_dict();
        Assert.All(saved.State.Cast<AdamW.State>(), s => Assert.Equal(5, s.step));   // device counts pulled into the state

        var b = Copy(a);
        using var ob = (FusedAdamW)Make("fused-adamw", b);
        ob.load_state_dict(saved);
        for (int k = 5; k < 9; k++) { Step(oa, a, k); Step(ob, b, k); }
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Equals(b[i]), $"parameter {i} differs after restoring the state");
        Assert.All(ob.state_dict().State.Cast<AdamW.State>(), s => Assert.Equal(9, s.step));
    }
}
