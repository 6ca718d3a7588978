using CrackSeg.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// The state handling shared by <see cref="FusedAdamW"/> and <see cref="FusedAdam"/>: buckets each parameter
/// group by (device, dtype) for <see cref="FusedAdamKernel"/>, and keeps the step counts the kernels need as
/// float32 device tensors. TorchSharp's own <c>State.step</c> (a host integer, what checkpoints save) is brought
/// level with them whenever the optimizer's state is read (<see cref="PullStepCounts"/>), and pushed back to the
/// device before the next step, so a restore that rewrote it takes effect.
/// </summary>
internal sealed class FusedAdamDriver : IDisposable
{
    /// <summary>One parameter's Adam state, as the owning optimizer's State object holds it.</summary>
    public readonly record struct StateView(Tensor ExpAvg, Tensor ExpAvgSq, Tensor? MaxExpAvgSq, Func<long> GetStep, Action<long> SetStep);

    /// <summary>One parameter group's hyperparameters.</summary>
    public readonly record struct GroupView(IEnumerable<Parameter> Parameters, double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool AmsGrad, bool Maximize);

    private readonly bool _decoupled;
    private readonly Func<Parameter, StateView> _state;
    private readonly Dictionary<nint, (Parameter Parameter, Tensor Count)> _steps = [];
    private readonly Dictionary<string, Tensor> _noSkip = [];
    private bool _pushSteps;

    /// <param name="decoupled">AdamW's decoupled weight decay (true) or Adam's L2 term (false).</param>
    /// <param name="state">The optimizer's state of a parameter.</param>
    public FusedAdamDriver(bool decoupled, Func<Parameter, StateView> state)
    {
        _decoupled = decoupled;
        _state = state;
    }

    /// <summary>
    /// The owning optimizer's <c>step</c>: the closure (if any) with gradients on, then the fused kernels; a group that
    /// maximizes has no fused kernel, so then the whole step is <paramref name="baseStep"/> (never with a found_inf, which
    /// only the fused kernels honour: the trainer reads the guard on the host for such optimizers).
    /// </summary>
    public Tensor? Run(Func<Tensor>? closure, IReadOnlyList<GroupView> groups, Tensor? foundInf, Action baseStep)
    {
        Tensor? loss = null;
        if (closure is not null) using (enable_grad()) loss = closure();
        if (groups.Any(g => g.Maximize))
        {
            if (foundInf is not null) throw new InvalidOperationException("maximize has no fused kernel; the trainer reads the guard on the host for it");
            baseStep();
        }
        else Step(groups, foundInf);
        return loss;
    }

    /// <summary>One step of every group; <paramref name="foundInf"/> (or null: never skip) as <see cref="IGuardedOptimizer"/>.</summary>
    private void Step(IEnumerable<GroupView> groups, Tensor? foundInf)
    {
        using var scope = NewDisposeScope();
        if (_pushSteps) PushStepCounts();
        foreach (var group in groups)
        {
            var withGrad = group.Parameters.Where(p => p.grad is not null).ToList();
            foreach (var bucket in withGrad.GroupBy(p => (p.device_type, p.device_index, p.dtype)))
            {
                var parameters = bucket.ToArray();
                var states = parameters.Select(_state).ToArray();
                FusedAdamKernel.Step(_decoupled, new FusedAdamKernel.Bucket(
                        parameters.Cast<Tensor>().ToArray(),
                        parameters.Select(p => p.grad!).ToArray(),
                        states.Select(s => s.ExpAvg).ToArray(),
                        states.Select(s => s.ExpAvgSq).ToArray(),
                        group.AmsGrad ? states.Select(s => s.MaxExpAvgSq ?? throw new InvalidOperationException("amsgrad state missing")).ToArray() : [],
                        parameters.Select((p, i) => StepCount(p, states[i])).ToArray()),
                    group.Lr, group.Beta1, group.Beta2, group.WeightDecay, group.Eps, group.AmsGrad,
                    foundInf ?? NoSkip(parameters[0].device));
            }
        }
    }

    /// <summary>
    /// Copies the device step counts into the host <c>State.step</c> values (one device read for all of them) and
    /// makes the next step push the host values back, so whatever a restore writes there is used.
    /// </summary>
    public void PullStepCounts()
    {
        if (_steps.Count > 0 && !_pushSteps)
        {
            using var scope = NewDisposeScope();
            var entries = _steps.Values.ToList();
            var counts = HostSync.ReadArray<float>(stack(entries.Select(e => e.Count).ToArray()));
            for (int i = 0; i < entries.Count; i++) _state(entries[i].Parameter).SetStep((long)Math.Round(counts[i]));
        }
        _pushSteps = true;
    }

    /// <summary>The device step count of <paramref name="p"/>, made from its host count the first time.</summary>
    private Tensor StepCount(Parameter p, StateView state)
    {
        if (!_steps.TryGetValue(p.Handle, out var entry))
        {
            entry = (p, zeros([], ScalarType.Float32, p.device).DetachFromDisposeScope());
            Fill(entry.Count, state.GetStep());
            _steps[p.Handle] = entry;
        }
        return entry.Count;
    }

    /// <summary>Host counts → device counts: a fill with a scalar argument per tensor, no host buffer copied.</summary>
    private void PushStepCounts()
    {
        foreach (var (parameter, count) in _steps.Values) Fill(count, _state(parameter).GetStep());
        _pushSteps = false;
    }

    private static void Fill(Tensor count, long step)
    {
        using Scalar value = (double)step;
        count.fill_(value);
    }

    private Tensor NoSkip(Device device)
    {
        string key = device.ToString();
        if (!_noSkip.TryGetValue(key, out var zero))
            _noSkip[key] = zero = zeros(1, ScalarType.Float32, device).DetachFromDisposeScope();
        return zero;
    }

    public void Dispose()
    {
        foreach (var (_, count) in _steps.Values) count.Dispose();
        foreach (var zero in _noSkip.Values) zero.Dispose();
        _steps.Clear();
        _noSkip.Clear();
    }
}
