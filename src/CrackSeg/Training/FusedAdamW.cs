using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// TorchSharp's AdamW (same State, Options, parameter groups and checkpoint layout) whose step is LibTorch's fused
/// kernel (<see cref="FusedAdamKernel"/>): one call per group instead of ~8 tensor ops per parameter, and a
/// step that <see cref="IGuardedOptimizer.Step"/> can skip on the device. maximize falls back to the base step.
/// </summary>
public sealed class FusedAdamW : AdamW, IGuardedOptimizer
{
    private readonly FusedAdamDriver _driver;

    public FusedAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(groups, lr, beta1, beta2, eps, weightDecay)
    {
        _driver = new FusedAdamDriver(decoupled: true, p =>
        {
            var s = (State)_state[p.Handle];
            return new FusedAdamDriver.StateView(s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq, () => s.step, v => s.step = v);
        });
    }

    public override Tensor step(Func<Tensor>? closure = null) => _driver.Run(closure, Groups(), null, () => base.step())!;

    void IGuardedOptimizer.Step(Tensor foundInf) => _driver.Run(null, Groups(), foundInf, () => base.step());

    private FusedAdamDriver.GroupView[] Groups() => _parameter_groups.Select(g => g.Options is Options o
        ? new FusedAdamDriver.GroupView(g.Parameters, o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.weight_decay!.Value, o.amsgrad ?? false, o.maximize ?? false)
        : throw new InvalidOperationException("unexpected parameter group options")).ToArray();

    /// <summary>The state dict with the device step counts copied into each State.step first.</summary>
    public override StateDictionary state_dict()
    {
        _driver.PullStepCounts();
        return base.state_dict();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _driver.Dispose();
        base.Dispose(disposing);
    }
}
