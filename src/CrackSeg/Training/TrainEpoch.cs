using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>What one training epoch measured (device scalars already read back once).</summary>
public sealed record TrainEpochResult(double TrainLoss, double GradNorm, double LearningRate, double SamplesPerSecond, int Samples, int SkippedSteps, long GlobalStep, bool Interrupted);

/// <summary>
/// The batch loop: forward and loss under the precision mode's autocast, backward (fp16: of the scaled loss; with
/// accumulation), device-side unscaling and clipping, the non-finite guard, closed-form LR, optimizer step. One
/// dispose scope per batch. Nothing is read on the host per step: skipping a bad step, counting it and fp16's
/// scale update happen on the device (<see cref="StepGuard"/>, <see cref="IGuardedOptimizer"/>); running sums are
/// read once per <c>logging.log_every</c> batches (one read for loss and guard counters) and once at the end.
/// </summary>
public sealed class TrainEpoch : IDisposable
{
    private static readonly Scalar Zero = 0;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly OptimizerHelper _optimizer;
    private readonly nn.Module<Tensor, Tensor, Tensor> _loss;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingConfig _training;
    private readonly LoggingConfig _logging;
    private readonly PrecisionMode _precision;
    private readonly LossScaler? _scaler;
    private readonly ModelEma? _ema;
    private readonly ITrainingProgress _progress;
    private readonly RunLog _log;
    private readonly Device _device;
    private readonly StepGuard _guard;
    /// <summary>Flat gradients (one op for zeroing, unscaling and clipping), made on the first epoch; null where dtypes or devices differ.</summary>
    private GradientBuffer? _gradients;
    private bool _gradientsTried;

    /// <param name="scaler">fp16's loss scaler (owned by the caller, which checkpoints it); null in other modes.</param>
    public TrainEpoch(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, nn.Module<Tensor, Tensor, Tensor> loss,
        IReadOnlyList<Parameter> parameters, LearningRateSchedule schedule, CrackSegConfig config,
        ITrainingProgress progress, RunLog log, LossScaler? scaler = null, ModelEma? ema = null)
    {
        _model = model;
        _optimizer = optimizer;
        _loss = loss;
        _parameters = parameters;
        _schedule = schedule;
        _training = config.Training;
        _logging = config.Logging;
        _precision = PrecisionMode.Parse(config.Training.Precision, "training.precision");
        if (_precision.LossScaling && scaler is null) throw new ArgumentException($"{_precision.Name} needs a loss scaler", nameof(scaler));
        _scaler = scaler;
        _ema = ema;
        _progress = progress;
        _log = log;
        _device = parameters[0].device;
        _guard = new StepGuard(_device);
    }

    /// <summary>Frees the guard's counters and the flat gradient buffer (the parameters' gradients stay valid views of it until replaced).</summary>
    public void Dispose()
    {
        _gradients?.Dispose();
        _guard.Dispose();
    }

    /// <summary>Set by tests and benchmarks: called with each batch's loss before backward (e.g. to inject NaN).</summary>
    public Func<Tensor, Tensor>? LossHook { get; set; }

    public TrainEpochResult Run(BatchLoader loader, int epoch, long globalStep, CancellationToken cancellation)
    {
        _model.train();
        int batches = loader.BatchesPerEpoch;
        int accum = _training.GradAccumSteps;
        _progress.EpochStarted(epoch, _training.Epochs, batches);
        _guard.ResetEpochCounts();

        // Running sums, all on the device: [loss·n over finite losses, n of those, applied steps' norm sum, applied steps].
        using var sums = zeros(4, ScalarType.Float64, _device).DetachFromDisposeScope();
        int samples = 0, batch = 0, skippedSeen = 0;
        double lr = _schedule.LearningRateAt(globalStep);
        var clock = Stopwatch.StartNew();
        PrepareGradients();
        foreach (var b in loader.Epoch(epoch, cancellation))
        {
            using var scope = NewDisposeScope();
            using var _ = b;
            var loss = ForwardLoss(b);
            if (LossHook is not null) loss = LossHook(loss);
            var backward = _scaler?.Scale(loss) ?? loss;
            (accum > 1 ? backward.Over(accum) : backward).backward();
            AccumulateLoss(sums, loss, b.Images.shape[0]);
            samples += (int)b.Images.shape[0];
            batch++;

            if (batch % accum == 0 || batch == batches)
            {
                lr = _schedule.LearningRateAt(globalStep);
                OptimizerStep(loss, lr, sums);
                globalStep++;
                _ema?.Update(globalStep);
            }

            float? running = null;
            if (batch % _logging.LogEvery == 0 && batch < batches)
            {
                var (mean, skipped, longest) = ReadProgress(sums);
                running = (float)mean;
                skippedSeen = Guard(epoch, batch, skipped, longest, skippedSeen);
            }
            _progress.BatchFinished(epoch, batch, batches, running, samples / Math.Max(1e-9, clock.Elapsed.TotalSeconds));

            if (cancellation.IsCancellationRequested && batch < batches)
                return new TrainEpochResult(double.NaN, double.NaN, lr, 0, samples, skippedSeen, globalStep, Interrupted: true);
        }
        if (samples == 0) throw new InputException("the training loader produced no batches (check data.root and training.batch_size)");

        double[] totals;
        using (NewDisposeScope()) totals = HostSync.ReadEpochSummary<double>(cat([sums, _guard.Counters]));
        double meanLoss = totals[0] / Math.Max(1, totals[1]);
        double meanNorm = totals[3] > 0 ? totals[2] / totals[3] : double.NaN;
        int skippedSteps = Guard(epoch, batch, (int)totals[4], (int)totals[6], skippedSeen);
        if (!double.IsFinite(meanLoss))
            throw new TrainingDivergedException($"epoch {epoch}: the mean training loss is not finite; lower training.learning_rate or check the data");
        return new TrainEpochResult(meanLoss, meanNorm, lr, samples / clock.Elapsed.TotalSeconds, samples, skippedSteps, globalStep, Interrupted: false);
    }

    /// <summary>
    /// Forward under the precision mode's autocast, loss on float32 logits. The losses are element-wise ops and
    /// reductions, which autocast leaves in float32 anyway, so they run outside the scope.
    /// </summary>
    private Tensor ForwardLoss(Batch b) => _loss.forward(_precision.Logits(_model, b.Images, _device), b.Masks);

    /// <summary>Adds a finite loss (weighted by the batch size) to the running sums, without a host read.</summary>
    private static void AccumulateLoss(Tensor sums, Tensor loss, long batchSize)
    {
        var value = loss.detach().to(ScalarType.Float64);
        var finite = isfinite(value);
        using Scalar n = (double)batchSize;
        sums.narrow(0, 0, 1).PlusInPlace(where(finite, value, zeros_like(value)).mul(n).view(1));
        sums.narrow(0, 1, 1).PlusInPlace(finite.to(ScalarType.Float64).mul(n).view(1));
    }

    /// <summary>
    /// Unscale (fp16), clip, decide found_inf, step (skipped on the device when found_inf is 1), update the loss
    /// scale, count. Optimizers without a guarded step (SGD, maximize) read the flag on the host instead.
    /// </summary>
    private void OptimizerStep(Tensor loss, double lr, Tensor sums)
    {
        var found = StepGuard.NewFlag(_device);
        _scaler?.Unscale(_gradients is not null ? [_gradients.Flat] : GradientsOf(_parameters), found);
        var norm = _gradients?.ClipByGlobalNorm(_training.GradClip)
            ?? GradientClipper.ClipByGlobalNorm(_parameters, _training.GradClip);
        StepGuard.Check(found, loss, norm);
        OptimizerFactory.SetLearningRate(_optimizer, lr);
        if (_optimizer is IGuardedOptimizer guarded) guarded.Step(found);
        else if (!HostSync.ReadBool(found.gt(Zero).all())) _optimizer.step();
        _scaler?.Update(found);
        _guard.Record(found);
        var applied = found.to(ScalarType.Float64).neg().PlusInPlace(1);
        sums.narrow(0, 2, 1).PlusInPlace(norm.to(ScalarType.Float64).view(1).mul(applied).nan_to_num_(0, 0, 0));
        sums.narrow(0, 3, 1).PlusInPlace(applied);
        if (_gradients is not null) _gradients.Zero();
        else _optimizer.zero_grad();
    }

    /// <summary>One host read at a log step: the running mean loss and the guard's counters.</summary>
    private (double Mean, int Skipped, int Longest) ReadProgress(Tensor sums)
    {
        using var scope = NewDisposeScope();
        var values = HostSync.ReadArray<double>(cat([sums, _guard.Counters]));
        return (values[0] / Math.Max(1, values[1]), (int)values[4], (int)values[6]);
    }

    /// <summary>Warns about steps skipped since the last read and stops the run once the longest run of skips reaches max_bad_steps.</summary>
    private int Guard(int epoch, int batch, int skipped, int longest, int skippedSeen)
    {
        if (skipped > skippedSeen)
            _log.Warning($"epoch {epoch} by batch {batch}: {skipped - skippedSeen} step(s) with a non-finite loss or gradient; step skipped " +
                         $"(on the device; {skipped} this epoch{(_scaler is null ? "" : ", fp16 overflows included")})");
        if (longest >= _training.MaxBadSteps)
            throw new TrainingDivergedException($"training stopped: {longest} consecutive non-finite steps reached training.max_bad_steps={_training.MaxBadSteps} " +
                $"(epoch {epoch}, by batch {batch}); lower training.learning_rate or check the data");
        return skipped;
    }

    private void PrepareGradients()
    {
        if (!_gradientsTried)
        {
            _gradients = GradientBuffer.TryCreate(_parameters);
            _gradientsTried = true;
        }
        if (_gradients is not null) _gradients.Attach(); // also zeroes
        else _optimizer.zero_grad();
    }

    private static Tensor[] GradientsOf(IReadOnlyList<Parameter> parameters) =>
        parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
}

/// <summary>Training diverged (non-finite losses); the message says what to change.</summary>
public sealed class TrainingDivergedException : InputException
{
    public TrainingDivergedException(string message) : base(message) { }
}
