using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Training;

/// <summary>
/// The learning rate as a closed-form function of the global optimizer step, so that a resumed run sets
/// exactly the LR the uninterrupted run would have (TorchSharp's schedulers cannot be restored; see
/// torchsharp-notes.md). The trainer calls <see cref="LearningRateAt"/> before every optimizer step and
/// hands the value to <see cref="OptimizerFactory.SetLearningRate"/>.
/// </summary>
/// <remarks>
/// <para><c>globalStep</c> is the 0-based index of the optimizer step about to be taken (= optimizer steps
/// already taken); <c>stepsPerEpoch</c> counts optimizer steps (batches / grad_accum_steps).</para>
/// <para>Warmup: W = round(warmup_epochs · stepsPerEpoch) steps (fractional epochs allowed) ramping linearly
/// lr·(s + 1)/(W + 1), as nanoGPT does, so the first step is not taken at LR 0 and the ramp meets the
/// schedule's starting value lr at s = W without a flat step.</para>
/// <para>After the warmup each schedule runs on its own clock t = s − W, as PyTorch's
/// SequentialLR([LinearLR, X], milestones=[W]) would:</para>
/// <list type="bullet">
/// <item><c>cosine</c>: CosineAnnealingLR over the remaining T = epochs·stepsPerEpoch − W steps:
/// η_min + (lr − η_min)(1 + cos(π t / T))/2, and η_min from t = T on.</item>
/// <item><c>cosine_restarts</c>: CosineAnnealingWarmRestarts(T_0, T_mult, η_min) stepped with fractional
/// epochs e = t / stepsPerEpoch: cycle i lasts T_0·T_mult^i epochs and restarts at lr. Cycle boundaries are
/// found by integer step arithmetic, not PyTorch's floating log, so restarts land exactly on their step.</item>
/// <item><c>step</c>: StepLR: lr·γ^⌊e / step_size⌋ with whole epochs e = ⌊t / stepsPerEpoch⌋.</item>
/// <item><c>constant</c>: lr.</item>
/// <item><c>plateau</c>: lr·scale, floored at min(η_min, lr), where scale comes from
/// <see cref="Plateau"/> (ReduceLROnPlateau, updated once per validation); this one depends on that state,
/// not on the step alone, so the state goes into the checkpoint.</item>
/// </list>
/// </remarks>
public sealed class LearningRateSchedule
{

    private readonly SchedulerConfig _scheduler;

    /// <exception cref="InputException">Unknown scheduler name.</exception>
    public LearningRateSchedule(TrainingConfig config, long stepsPerEpoch)
    {
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "at least one optimizer step per epoch");
        _scheduler = config.Scheduler;
        if (!OptionNames.Schedulers.Contains(_scheduler.Name))
            throw new InputException($"training.scheduler.name: unknown scheduler '{_scheduler.Name}'; {OptionNames.Expected(OptionList.Schedulers)}");
        BaseLearningRate = config.LearningRate;
        StepsPerEpoch = stepsPerEpoch;
        TotalSteps = config.Epochs * stepsPerEpoch;
        WarmupSteps = (long)Math.Round(_scheduler.WarmupEpochs * stepsPerEpoch, MidpointRounding.AwayFromZero);
        Plateau = _scheduler.Name == "plateau" ? LearningRatePlateau.FromConfig(config) : null;
    }

    public string Name => _scheduler.Name;
    public double BaseLearningRate { get; }
    public long StepsPerEpoch { get; }
    public long WarmupSteps { get; }
    /// <summary>epochs · stepsPerEpoch: the cosine schedule reaches η_min here.</summary>
    public long TotalSteps { get; }
    /// <summary>The ReduceLROnPlateau state (scheduler <c>plateau</c> only, else null).</summary>
    public LearningRatePlateau? Plateau { get; }

    public double LearningRateAt(long globalStep)
    {
        if (globalStep < 0) throw new ArgumentOutOfRangeException(nameof(globalStep), globalStep, "≥ 0");
        double lr = BaseLearningRate, etaMin = _scheduler.EtaMin;
        if (Plateau is not null)
        {
            double scaled = Math.Max(lr * Plateau.Scale, Math.Min(etaMin, lr));
            return globalStep < WarmupSteps ? scaled * (globalStep + 1) / (WarmupSteps + 1) : scaled;
        }
        if (globalStep < WarmupSteps) return lr * (globalStep + 1) / (WarmupSteps + 1);

        long t = globalStep - WarmupSteps;
        switch (_scheduler.Name)
        {
            case "cosine":
                long span = TotalSteps - WarmupSteps;
                return t >= span ? etaMin : Cosine(lr, etaMin, t, span);
            case "cosine_restarts":
                long start = 0, length = _scheduler.T0 * StepsPerEpoch;
                while (t - start >= length)
                {
                    start += length;
                    length *= _scheduler.TMult;
                }
                return Cosine(lr, etaMin, t - start, length);
            case "step":
                long epoch = t / StepsPerEpoch;
                return lr * Math.Pow(_scheduler.Gamma, epoch / _scheduler.StepSize);
            default: // constant
                return lr;
        }
    }

    private static double Cosine(double lr, double etaMin, long t, long span) =>
        etaMin + (lr - etaMin) * (1 + Math.Cos(Math.PI * t / span)) / 2;
}
