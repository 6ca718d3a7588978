using CrackSeg.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

public class LeanAdamWTests
{
    private static List<Parameter> Parameters(int seed, ScalarType dtype) => OptimizerTestParameters.Make(seed, dtype);

    private static List<Parameter> Copy(IEnumerable<Parameter> ps) => OptimizerTestParameters.Copy(ps);

    private static AdamW.ParamGroup[] Groups(List<Parameter> ps, bool amsgrad = false) =>
    [
        new(ps.Take(2), lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.3, amsgrad: amsgrad),
        new(ps.Skip(2), lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.0, amsgrad: amsgrad),
    ];

    /// <summary>A loss whose gradients differ per parameter and per step, some of them tiny.</summary>
    private static void Step(optim.Optimizer opt, List<Parameter> ps, int k)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        ps.Select((p, i) => (p * p * (i + 0.5 + 0.1 * k)).sum() + (p * (1e-4 * k)).cos().sum()).Aggregate((a, b) => a + b).backward();
        opt.step();
    }

    /// <summary>LeanAdamW and TorchSharp's AdamW over two copies of the same parameters, stepped alike.</summary>
    private sealed class Pair : IDisposable
    {
        public Pair(int seed, ScalarType dtype, bool amsgrad = false)
        {
            Lean = Parameters(seed, dtype);
            Reference = Copy(Lean);
            LeanOptimizer = new LeanAdamW(Groups(Lean, amsgrad), 0.05, 0.8, 0.95, 1e-6, 0.3);
            ReferenceOptimizer = optim.AdamW(Groups(Reference, amsgrad), 0.05, 0.8, 0.95, 1e-6, 0.3);
        }

        public List<Parameter> Lean { get; }
        public List<Parameter> Reference { get; }
        public LeanAdamW LeanOptimizer { get; }
        public AdamW ReferenceOptimizer { get; }

        public void Step(int k)
        {
            LeanAdamWTests.Step(LeanOptimizer, Lean, k);
            LeanAdamWTests.Step(ReferenceOptimizer, Reference, k);
        }

        public void Dispose()
        {
            LeanOptimizer.Dispose();
            ReferenceOptimizer.Dispose();
        }
    }

    [Fact]
    public void FollowsTorchSharpsAdamWInBothGroupsAcrossAnLrChange()
    {
        using var scope = NewDisposeScope();
        // float64, so the two orders of the same arithmetic agree to ~1e-15 and any formula slip shows.
        using var pair = new Pair(1, ScalarType.Float64);
        for (int k = 0; k < 6; k++)
        {
            if (k == 3)
            {
                OptimizerFactory.SetLearningRate(pair.LeanOptimizer, 0.01);
                OptimizerFactory.SetLearningRate(pair.ReferenceOptimizer, 0.01);
            }
            pair.Step(k);
        }
        for (int i = 0; i < pair.Lean.Count; i++)
        {
            var diff = (pair.Lean[i] - pair.Reference[i]).abs().max().item<double>();
            Assert.True(diff < 1e-12, $"parameter {i}: max |Δ| {diff}");
        }
        // The state the checkpoint codec reads is the base class's, with the same values.
        var sa = pair.LeanOptimizer.state_dict().State.Cast<AdamW.State>().ToList();
        var sb = pair.ReferenceOptimizer.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.All(sa, s => Assert.Equal(6, s.step));
        for (int i = 0; i < sa.Count; i++)
        {
            Assert.True(sa[i].exp_avg.allclose(sb[i].exp_avg, rtol: 1e-12, atol: 1e-15), $"exp_avg {i}");
            Assert.True(sa[i].exp_avg_sq.allclose(sb[i].exp_avg_sq, rtol: 1e-12, atol: 1e-15), $"exp_avg_sq {i}");
        }
    }

    [Fact]
    public void Float32StepsStayWithinRoundingOfTheBaseStep()
    {
        using var scope = NewDisposeScope();
        using var pair = new Pair(2, ScalarType.Float32);
        for (int k = 0; k < 20; k++) pair.Step(k);
        for (int i = 0; i < pair.Lean.Count; i++)
            Assert.True(pair.Lean[i].allclose(pair.Reference[i], rtol: 1e-5, atol: 1e-6), $"parameter {i}");
    }

    [Fact]
    public void AmsGradUsesTheBaseStepExactly()
    {
        using var scope = NewDisposeScope();
        using var pair = new Pair(3, ScalarType.Float32, amsgrad: true);
        for (int k = 0; k < 4; k++) pair.Step(k);
        for (int i = 0; i < pair.Lean.Count; i++) Assert.True(pair.Lean[i].Equals(pair.Reference[i]), $"parameter {i}");
    }

    [Fact]
    public void ParametersWithoutGradientsAreLeftAlone()
    {
        using var scope = NewDisposeScope();
        var ps = Parameters(4, ScalarType.Float32);
        var before = ps.Select(p => p.detach().clone()).ToList();
        using var opt = new LeanAdamW(Groups(ps), 0.05, 0.8, 0.95, 1e-6, 0.3);
        using (var step = NewDisposeScope()) { (ps[0] * ps[0]).sum().backward(); opt.step(); }
        Assert.False(ps[0].Equals(before[0]));
        Assert.True(ps[1].Equals(before[1]) && ps[2].Equals(before[2]), "a parameter without a gradient moved");
        Assert.Equal([1L, 0L, 0L], opt.state_dict().State.Cast<AdamW.State>().Select(s => s.step));
    }
}
