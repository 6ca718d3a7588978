using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CrackSeg.Training;

/// <summary>What one training epoch measured (device scalars already read back once).</summary>
public sealed record TrainEpochResult(double TrainLoss, double GradNorm, double LearningRate, double SamplesPerSecond, int Samples, int SkippedSteps, long GlobalStep, bool Interrupted);

/// <summary>
/// The batch loop: forward, loss, backward (with accumulation), device-side clipping, a guard
/// against non-finite steps, closed-form LR, optimizer step. One dispose scope per batch; the
/// running sums stay on the device and are read only at log steps and at the end.
/// </summary>
public sealed class TrainEpoch : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly OptimizerHelper _optimizer;
    private readonly nn.Module<Tensor, Tensor, Tensor> _loss;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingConfig _training;
    private readonly LoggingConfig _logging;
    private readonly ITrainingProgress _progress;
    private readonly RunLog _log;
    /// <summary>Flat gradients (one op for zeroing and clipping), made on the first epoch; null where dtypes or devices differ.</summary>
    private GradientBuffer? _gradients;
    private bool _gradientsTried;

    public TrainEpoch(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, nn.Module<Tensor, Tensor, Tensor> loss,
        IReadOnlyList<Parameter> parameters, LearningRateSchedule schedule, CrackSegConfig config,
        ITrainingProgress progress, RunLog log)
    {
        _model = model;
        _optimizer = optimizer;
        _loss = loss;
        _parameters = parameters;
        _schedule = schedule;
        _training = config.Training;
        _logging = config.Logging;
        _progress = progress;
        _log = log;
    }

    /// <summary>Frees the flat gradient buffer (the parameters' gradients stay valid views of it until they are replaced).</summary>
    public void Dispose() => _gradients?.Dispose();

    /// <summary>Set by tests and benchmarks: called with each batch's loss before backward (e.g. to inject NaN).</summary>
    public Func<Tensor, Tensor>? LossHook { get; set; }

    public TrainEpochResult Run(BatchLoader loader, int epoch, long globalStep, CancellationToken cancellation)
    {
        _model.train();
        int batches = loader.BatchesPerEpoch;
        int accum = _training.GradAccumSteps;
        _progress.EpochStarted(epoch, _training.Epochs, batches);

        Device? device = null;
        Tensor? lossSum = null, lossCount = null, normSum = null;
        long optimizerSteps = 0;
        int samples = 0, batch = 0, skipped = 0, badInARow = 0;
        double lr = _schedule.LearningRateAt(globalStep);
        var clock = Stopwatch.StartNew();
        try
        {
            if (!_gradientsTried)
            {
                _gradients = GradientBuffer.TryCreate(_parameters);
                _gradientsTried = true;
            }
            if (_gradients is not null) _gradients.Attach(); // also zeroes
            else _optimizer.zero_grad();
            foreach (var b in loader.Epoch(epoch, cancellation))
            {
                using var scope = NewDisposeScope();
                using var _ = b;
                device ??= b.Images.device;
                lossSum ??= zeros(1, dtype: ScalarType.Float64, device: device).DetachFromDisposeScope();
                normSum ??= zeros(1, dtype: ScalarType.Float64, device: device).DetachFromDisposeScope();
                lossCount ??= zeros(1, dtype: ScalarType.Float64, device: device).DetachFromDisposeScope();

                var logits = _model.forward(b.Images);
                var loss = _loss.forward(logits, b.Masks);
                if (LossHook is not null) loss = LossHook(loss);
                (accum > 1 ? loss / accum : loss).backward();
                // Non-finite losses (skipped steps) stay out of the epoch mean, without a host read.
                var lossValue = loss.detach().to(ScalarType.Float64);
                var lossFinite = isfinite(lossValue);
                lossSum.add_(where(lossFinite, lossValue, zeros_like(lossValue)) * b.Images.shape[0]);
                lossCount.add_(lossFinite.to(ScalarType.Float64) * b.Images.shape[0]);
                samples += (int)b.Images.shape[0];
                batch++;

                bool stepNow = batch % accum == 0 || batch == batches;
                if (stepNow)
                {
                    var norm = _gradients?.ClipByGlobalNorm(_training.GradClip)
                        ?? GradientClipper.ClipByGlobalNorm(_parameters, _training.GradClip);
                    // Skipping a non-finite step needs its verdict on the host. On CPU this is a plain
                    // memory read; on CUDA it is the one sync per step that skipping requires.
                    bool finite = HostSync.ReadBool(isfinite(norm).logical_and(isfinite(loss)).all());
                    if (finite)
                    {
                        lr = _schedule.LearningRateAt(globalStep);
                        OptimizerFactory.SetLearningRate(_optimizer, lr);
                        _optimizer.step();
                        normSum.add_(norm.to(ScalarType.Float64));
                        optimizerSteps++;
                        globalStep++;
                        badInARow = 0;
                    }
                    else
                    {
                        skipped++;
                        badInARow++;
                        _log.Warning($"epoch {epoch} batch {batch}: non-finite loss or gradient; step skipped ({badInARow} in a row)");
                        if (badInARow >= _training.MaxBadSteps)
                            throw new TrainingDivergedException($"training stopped: {badInARow} consecutive non-finite steps (training.max_bad_steps={_training.MaxBadSteps}) at epoch {epoch}, batch {batch}; lower training.learning_rate or check the data");
                    }
                    if (_gradients is not null) _gradients.Zero();
                    else _optimizer.zero_grad();
                }

                bool logStep = batch % _logging.LogEvery == 0 || batch == batches;
                float? running = logStep ? HostSync.ReadFloat(lossSum / lossCount.clamp_min(1)) : null;
                _progress.BatchFinished(epoch, batch, batches, running, samples / Math.Max(1e-9, clock.Elapsed.TotalSeconds));

                if (cancellation.IsCancellationRequested && batch < batches)
                    return new TrainEpochResult(double.NaN, double.NaN, lr, 0, samples, skipped, globalStep, Interrupted: true);
            }
            if (samples == 0) throw new InputException("the training loader produced no batches (check data.root and training.batch_size)");
            double meanLoss = HostSync.ReadFloat(lossSum! / lossCount!.clamp_min(1));
            double meanNorm = optimizerSteps > 0 ? HostSync.ReadFloat(normSum! / optimizerSteps) : double.NaN;
            if (!double.IsFinite(meanLoss))
                throw new TrainingDivergedException($"epoch {epoch}: the mean training loss is not finite; lower training.learning_rate or check the data");
            return new TrainEpochResult(meanLoss, meanNorm, lr, samples / clock.Elapsed.TotalSeconds, samples, skipped, globalStep, Interrupted: false);
        }
        finally
        {
            lossSum?.Dispose();
            lossCount?.Dispose();
            normSum?.Dispose();
        }
    }
}

/// <summary>Training diverged (non-finite losses); the message says what to change.</summary>
public sealed class TrainingDivergedException : InputException
{
    public TrainingDivergedException(string message) : base(message) { }
}
