using CrackSeg.Common;
using CrackSeg.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// Builds the optimizer named by <c>training.optimizer</c> over two parameter groups, in this order:
/// group 0 = parameters with weight decay, group 1 = parameters without (norms, biases, position tables).
/// The order is part of the checkpoint format (PyBridge's optimizer state maps groups by position).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>adamw</c>: AdamW(lr, betas = (beta1, beta2), eps = 1e-8, weight_decay = training.weight_decay) as
/// <see cref="FusedAdamW"/> (LibTorch's fused kernel; <c>training.fused_optimizer: false</c> gives
/// <see cref="LeanAdamW"/>, PyTorch's single-tensor update in fewer memory passes) —
/// decoupled decay, always passed explicitly because TorchSharp's default is 0 (PyTorch's 0.01).</item>
/// <item><c>adam</c>: Adam (<see cref="FusedAdam"/> unless <c>training.fused_optimizer: false</c>) with the same betas/eps and weight_decay as PyTorch's Adam: an L2 term added to the
/// gradient (set training.weight_decay: 0 for plain Adam).</item>
/// <item><c>sgd</c>: SGD(lr, momentum = training.momentum, dampening 0, no Nesterov, weight_decay as L2).</item>
/// </list>
/// The no-decay group always has weight_decay 0. The LR given here is the base LR; the trainer sets the
/// scheduled LR before each step with <see cref="SetLearningRate"/>.
/// </remarks>
public static class OptimizerFactory
{
    public const double AdamEpsilon = 1e-8;

    /// <exception cref="InputException">Unknown optimizer name.</exception>
    /// <exception cref="ArgumentException">No parameters, or a parameter in both groups.</exception>
    public static OptimizerHelper Create(TrainingConfig config, IEnumerable<Parameter> decay, IEnumerable<Parameter> noDecay)
    {
        var withDecay = decay.ToList();
        var withoutDecay = noDecay.ToList();
        if (withDecay.Count + withoutDecay.Count == 0) throw new ArgumentException("the optimizer got no parameters");
        // Modules hand out the same Parameter objects on every call, so identity finds a shared parameter.
        var seen = new HashSet<Parameter>(withDecay, ReferenceEqualityComparer.Instance);
        if (withoutDecay.Any(seen.Contains))
            throw new ArgumentException("a parameter is in both the decay and the no-decay group");

        double lr = config.LearningRate, wd = config.WeightDecay, b1 = config.Beta1, b2 = config.Beta2;
        return config.Optimizer switch
        {
            "adamw" when config.FusedOptimizer => new FusedAdamW(AdamWGroups(withDecay, withoutDecay, config), lr, b1, b2, AdamEpsilon, wd),
            "adamw" => new LeanAdamW(AdamWGroups(withDecay, withoutDecay, config), lr, b1, b2, AdamEpsilon, wd),
            "adam" when config.FusedOptimizer => new FusedAdam(AdamGroups(withDecay, withoutDecay, config), lr, b1, b2, AdamEpsilon, wd),
            "adam" => optim.Adam(AdamGroups(withDecay, withoutDecay, config), lr, b1, b2, AdamEpsilon, weight_decay: wd),
            "sgd" => optim.SGD(new[]
            {
                new SGD.ParamGroup(withDecay, lr, config.Momentum, dampening: 0, weight_decay: wd, nesterov: false),
                new SGD.ParamGroup(withoutDecay, lr, config.Momentum, dampening: 0, weight_decay: 0.0, nesterov: false),
            }, lr, config.Momentum, dampening: 0, weight_decay: wd, nesterov: false),
            _ => throw new InputException(
                $"training.optimizer: unknown optimizer '{config.Optimizer}'; {OptionNames.Expected(OptionList.Optimizers)}"),
        };
    }

    private static AdamW.ParamGroup[] AdamWGroups(List<Parameter> decay, List<Parameter> noDecay, TrainingConfig c) =>
    [
        new(decay, c.LearningRate, c.Beta1, c.Beta2, AdamEpsilon, weight_decay: c.WeightDecay),
        new(noDecay, c.LearningRate, c.Beta1, c.Beta2, AdamEpsilon, weight_decay: 0.0),
    ];

    private static Adam.ParamGroup[] AdamGroups(List<Parameter> decay, List<Parameter> noDecay, TrainingConfig c) =>
    [
        new(decay, c.LearningRate, c.Beta1, c.Beta2, AdamEpsilon, weight_decay: c.WeightDecay),
        new(noDecay, c.LearningRate, c.Beta1, c.Beta2, AdamEpsilon, weight_decay: 0.0),
    ];

    /// <summary>Sets the LR of every parameter group (host-side only; no device work).</summary>
    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "a finite LR ≥ 0");
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }

    /// <summary>The LR of the first parameter group (all groups share it).</summary>
    public static double GetLearningRate(optim.Optimizer optimizer) => optimizer.ParamGroups.First().LearningRate;
}
