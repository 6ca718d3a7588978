using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Training;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

public class OptimizerFactoryTests
{
    private static (List<Parameter> decay, List<Parameter> noDecay) Params(int seed)
    {
        var g = new Generator((ulong)seed);
        var decay = new List<Parameter> { new(randn(4, 3, generator: g)), new(randn(5, generator: g)) };
        var noDecay = new List<Parameter> { new(randn(3, generator: g)) };
        foreach (var p in decay.Concat(noDecay)) p.DetachFromDisposeScope();
        return (decay, noDecay);
    }

    private static List<Parameter> Clone(IEnumerable<Parameter> ps) =>
        ps.Select(p => { var c = new Parameter(p.detach().clone()); c.DetachFromDisposeScope(); return c; }).ToList();

    private static void Step(optim.Optimizer opt, IEnumerable<Parameter> ps, int k)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        var loss = ps.Select((p, i) => (p * p * (i + 1.0 + 0.1 * k)).sum() + p.sin().sum()).Aggregate((a, b) => a + b);
        loss.backward();
        opt.step();
    }

    private static double WeightDecayOf(optim.Optimizer opt, int group) => ((OptimizerHelper)opt).state_dict().Options[group] switch
    {
        AdamW.Options o => o.weight_decay!.Value,
        Adam.Options o => o.weight_decay!.Value,
        SGD.Options o => o.weight_decay!.Value,
        var o => throw new InvalidOperationException(o.GetType().Name),
    };

    [Theory]
    [InlineData("adamw", true, typeof(FusedAdamW))]
    [InlineData("adam", true, typeof(FusedAdam))]
    [InlineData("adamw", false, typeof(LeanAdamW))]
    [InlineData("adam", false, typeof(Adam))]
    [InlineData("sgd", true, typeof(SGD))]
    public void TwoGroupsAndOnlyTheFirstDecays(string name, bool fused, Type type)
    {
        using var scope = NewDisposeScope();
        var (decay, noDecay) = Params(1);
        var cfg = new TrainingConfig { Optimizer = name, LearningRate = 0.1, WeightDecay = 0.5, Momentum = 0.9, FusedOptimizer = fused };
        using var opt = OptimizerFactory.Create(cfg, decay, noDecay);
        Assert.IsType(type, opt);
        Assert.Equal(2, opt.ParamGroups.Count());
        Assert.Equal(0.5, WeightDecayOf(opt, 0));
        Assert.Equal(0.0, WeightDecayOf(opt, 1));

        // With zero gradients only the weight decay moves parameters: the no-decay group must stay put.
        var before = decay.Concat(noDecay).Select(p => p.detach().clone()).ToList();
        opt.zero_grad();
        decay.Concat(noDecay).Select(p => (p * 0).sum()).Aggregate((a, b) => a + b).backward();
        opt.step();
        var all = decay.Concat(noDecay).ToList();
        Assert.True(all[2].detach().Equals(before[2]), "no-decay parameter changed");
        if (name == "adamw" || name == "sgd")   // decoupled decay, or L2 on the first SGD step: p·(1 − lr·wd)
            Assert.True(all[0].detach().allclose(before[0] * (1 - 0.1 * 0.5), rtol: 1e-6, atol: 1e-7));
        else                                     // Adam's L2 gradient moves each weight by ≈ lr·sign(p)
            Assert.True((all[0].detach() - before[0]).abs().allclose(full_like(before[0], 0.1), rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void AdamWStatesItsWeightDecayAndBetasExplicitly()
    {
        using var scope = NewDisposeScope();
        var (decay, noDecay) = Params(2);
        using var opt = OptimizerFactory.Create(new TrainingConfig(), decay, noDecay);
        var options = (AdamW.Options)opt.state_dict().Options[0];
        Assert.Equal((0.01, 0.9, 0.999, 1e-8, 1e-4), (options.weight_decay, options.beta1, options.beta2, options.eps, options.LearningRate));
    }

    [Fact]
    public void SetLearningRateReachesEveryGroup()
    {
        using var scope = NewDisposeScope();
        var (decay, noDecay) = Params(3);
        using var opt = OptimizerFactory.Create(new TrainingConfig { Optimizer = "sgd" }, decay, noDecay);
        OptimizerFactory.SetLearningRate(opt, 0.0123);
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.0123, g.LearningRate));
        Assert.Equal(0.0123, OptimizerFactory.GetLearningRate(opt));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.SetLearningRate(opt, double.NaN));
    }

    [Fact]
    public void RejectsBadInput()
    {
        using var scope = NewDisposeScope();
        var (decay, noDecay) = Params(4);
        var ex = Assert.Throws<InputException>(() => OptimizerFactory.Create(new TrainingConfig { Optimizer = "lion" }, decay, noDecay));
        Assert.Contains("training.optimizer", ex.Message);
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new TrainingConfig(), decay, new[] { decay[1] }));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new TrainingConfig(), [], []));
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void PyBridgeSaveLoadRoundTripsBothGroupsExactly(string name)
    {
        using var scope = NewDisposeScope();
        var cfg = new TrainingConfig { Optimizer = name, LearningRate = 0.05, WeightDecay = 0.2, Momentum = 0.8 };
        var (decay, noDecay) = Params(5);
        using var a = OptimizerFactory.Create(cfg, decay, noDecay);
        for (int k = 0; k < 3; k++) Step(a, decay.Concat(noDecay), k);
        OptimizerFactory.SetLearningRate(a, 0.03);

        string path = Path.Combine(Path.GetTempPath(), $"opt-{name}-{Guid.NewGuid():N}.pth");
        try
        {
            a.save_py(path);
            // A fresh optimizer on copies of the current weights, built with other hyper-parameters: the load
            // must restore the per-group options and the per-parameter state of both groups.
            var (decayB, noDecayB) = (Clone(decay), Clone(noDecay));
            using var b = OptimizerFactory.Create(cfg with { LearningRate = 1.0, WeightDecay = 0.9, Momentum = 0.1 }, decayB, noDecayB);
            b.load_py(path);
            Assert.Equal(0.2, WeightDecayOf(b, 0));
            Assert.Equal(0.0, WeightDecayOf(b, 1));
            Assert.All(b.ParamGroups, g => Assert.Equal(0.03, g.LearningRate));

            // Identical next steps → bit-identical weights in both groups.
            Step(a, decay.Concat(noDecay), 3);
            Step(b, decayB.Concat(noDecayB), 3);
            var pa = decay.Concat(noDecay).ToList();
            var pb = decayB.Concat(noDecayB).ToList();
            for (int i = 0; i < pa.Count; i++) Assert.True(pa[i].detach().Equals(pb[i].detach()), $"parameter {i} differs after resume");
        }
        finally { File.Delete(path); }
    }
}
