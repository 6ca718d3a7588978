using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>
/// TorchSharp's AdamW with a step that makes fewer passes over memory, computing PyTorch's single-tensor
/// AdamW (<c>torch.optim.AdamW</c>, <c>foreach=False</c>, the CPU default) term for term:
/// <code>
/// p ← p·(1 − lr·wd)                       skipped when wd = 0 (a multiply by 1)
/// m ← lerp(m, g, 1 − β1)                  one pass (TorchSharp: mul_ + add_)
/// v ← v·β2 + (1 − β2)·g²
/// d ← sqrt(v) / sqrt(1 − β2ᵗ) + ε         in place in one buffer (TorchSharp: two new tensors)
/// p ← p − lr / (1 − β1ᵗ) · m / d
/// </code>
/// About 7–8 passes per parameter instead of 9, and no per-parameter allocations but one. State, options
/// and parameter groups are the base class's own (<see cref="AdamW.State"/>, <see cref="AdamW.Options"/>),
/// so checkpoints, <c>OptimizerStateCodec</c> and LR changes work unchanged. AMSGrad and maximize fall
/// back to the base step.
/// </summary>
public sealed class LeanAdamW : AdamW
{
    public LeanAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(groups, lr, beta1, beta2, eps, weightDecay)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (_parameter_groups.Any(g => g.Options is Options { amsgrad: true } or Options { maximize: true }))
            return base.step(closure);

        return _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
            double lr = options.LearningRate!.Value, weightDecay = options.weight_decay!.Value;
            // Scalars made once per group, not once per call: each implicit double → Scalar is a native
            // allocation with a finalizer (see README, Known issues). They depend on the step only through
            // the bias corrections, which are remade when a parameter's step count differs.
            using var scalars = new ScalarPool();
            Scalar keep = scalars.Of(1 - lr * weightDecay), beta2Scalar = scalars.Of(beta2), oneMinusBeta2 = scalars.Of(1 - beta2);
            Scalar epsScalar = scalars.Of(eps);
            Tensor? lerpWeight = null;
            long stepOfCorrections = -1;
            Scalar? correction2Root = null, negativeStepSize = null;
            foreach (var param in group.Parameters)
            {
                using var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                if (state.step != stepOfCorrections)
                {
                    stepOfCorrections = state.step;
                    correction2Root = scalars.Of(Math.Sqrt(1 - Math.Pow(beta2, state.step)));
                    negativeStepSize = scalars.Of(-lr / (1 - Math.Pow(beta1, state.step)));
                }
                // lerp_ takes its weight as a tensor in TorchSharp: one per group, on the parameters' device and dtype.
                if (lerpWeight is null || lerpWeight.device_type != param.device_type || lerpWeight.device_index != param.device_index || lerpWeight.dtype != param.dtype)
                    lerpWeight = full([], 1 - beta1, dtype: param.dtype, device: param.device);

                if (weightDecay != 0) param.mul_(keep);
                state.exp_avg.lerp_(grad, lerpWeight);
                state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, value: oneMinusBeta2);
                using var denominator = state.exp_avg_sq.sqrt();
                denominator.div_(correction2Root!).add_(epsScalar);
                param.addcdiv_(state.exp_avg, denominator, value: negativeStepSize!);
            }
        }, closure);
    }

    /// <summary>Scalars that live until the pool is disposed.</summary>
    private sealed class ScalarPool : IDisposable
    {
        private readonly List<Scalar> _scalars = [];

        public Scalar Of(double value)
        {
            Scalar scalar = value;
            _scalars.Add(scalar);
            return scalar;
        }

        public void Dispose()
        {
            foreach (var scalar in _scalars) scalar.Dispose();
        }
    }
}
