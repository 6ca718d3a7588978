using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Data;
using static TorchSharp.torch;

using CrackSeg.Training;

namespace CrackSeg.Benchmarks;

/// <summary>What <c>crackseg bench train</c> measured.</summary>
public sealed record TrainingBenchmarkResult(
    string Preset, int BatchSize, int ImageSize, int Epochs, int BatchesPerEpoch,
    double SamplesPerSecond, double PureSamplesPerSecond, double OverheadRatio,
    double DeviceSyncsPerBatch, double EpochEndSyncsPerEpoch, double UploadsPerBatch, double BlockingUploadsPerBatch, int LogEvery,
    IReadOnlyList<long> RssPerEpochBytes, double RssDriftPercent)
{
    public string Format()
    {
        var lines = new List<string>
        {
            $"train bench: preset {Preset}, batch {BatchSize}, {ImageSize}x{ImageSize}, {Epochs} epochs x {BatchesPerEpoch} batches",
            $"  train_samples_per_s: {SamplesPerSecond:F2}   (full loop: loader, loss, clipping, guard, LR, metrics)",
            $"  pure_samples_per_s:  {PureSamplesPerSecond:F2}   (forward+backward+step on the same, pre-loaded batches)",
            $"  overhead_ratio: {OverheadRatio:F3}   (goal <= 1.03)",
            $"  device_syncs_per_batch: {DeviceSyncsPerBatch:F3}   (host reads of training-device values inside the batch loop, counted as on a GPU; log_every {LogEvery}, goal <= {1.0 / LogEvery:F3})",
            $"  epoch_end_syncs_per_epoch: {EpochEndSyncsPerEpoch:F1}   (the epoch summary read)",
            $"  uploads_per_batch: {UploadsPerBatch:F3}   (host-to-device copies of the training loader)",
            $"  blocking_uploads_per_batch: {BlockingUploadsPerBatch:F3}   (goal 0)",
            $"  rss_per_epoch_mib: {string.Join(" ", RssPerEpochBytes.Select(b => (b / 1048576.0).ToString("F0")))}",
            $"  rss_drift_percent: {RssDriftPercent:F2}   (epoch 2 -> last; goal < 2)",
        };
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}

/// <summary>
/// Measures the training loop's own cost: samples/s of real epochs (loader, loss, clipping, guard,
/// LR, logging) against forward+backward+step alone on the same batches held in memory, the host
/// syncs per batch, and resident memory after every epoch (a leak shows as drift).
/// </summary>
public static class TrainingBenchmark
{
    /// <param name="lossHook">Tests: runs on each batch's loss inside the loop (e.g. a deliberate host read, which must show in the counts).</param>
    public static TrainingBenchmarkResult Run(CrackSegConfig config, int epochs, RunLog log, CancellationToken cancellation = default, Func<Tensor, Tensor>? lossHook = null)
    {
        var device = DeviceSelector.Resolve(config.Training.Device);
        if (config.Training.Threads > 0) set_num_threads(config.Training.Threads);
        SyntheticData.EnsureExists(config.Data, log);
        var index = DatasetIndex.Build(config.Data, config.Experiment.Seed, log);
        using var parts = TrainingComponents.Build(config, index, device, log);
        var precision = PrecisionMode.Activate(config.Training.Precision, "training.precision", device);
        using var scaler = precision.LossScaling ? new LossScaler(device) : null;
        using var runner = new TrainEpoch(parts.Model, parts.Optimizer, parts.Loss, parts.Parameters, parts.Schedule, config, new SilentProgress(), log, scaler);
        runner.LossHook = lossHook;

        // The pure rate is timed on batches loaded once, interleaved with the real epochs (one pure pass
        // after each), so machine-speed drift hits both sides of the ratio alike.
        var preloaded = Preload(parts, epochs + 1, cancellation);
        var rss = new List<long>();
        double loopSeconds = 0, pureSeconds = 0;
        int loopSamples = 0, pureSamples = 0;
        long step = 0;
        HostSync.Reset();
        long loopSyncs = 0, epochEndSyncs = 0, uploads = 0, blockingUploads = 0;
        using var process = Process.GetCurrentProcess();
        try
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                EpochSeed.Apply(config.Experiment.Seed, epoch);
                long syncsBefore = HostSync.DeviceSyncs, summaryBefore = HostSync.EpochSummarySyncs, uploadsBefore = HostSync.Uploads, blockingBefore = HostSync.BlockingUploads;
                var clock = Stopwatch.StartNew();
                var result = runner.Run(parts.TrainLoader, epoch, step, cancellation);
                DeviceSync.Synchronize(device);   // queued device work belongs to this epoch's time
                clock.Stop();
                loopSyncs += HostSync.DeviceSyncs - syncsBefore;
                epochEndSyncs += HostSync.EpochSummarySyncs - summaryBefore;
                uploads += HostSync.Uploads - uploadsBefore;
                blockingUploads += HostSync.BlockingUploads - blockingBefore;
                step = result.GlobalStep;
                var pure = PureSeconds(parts, preloaded, out int samples);
                if (epoch > 1) // epoch 1 warms caches
                {
                    loopSeconds += clock.Elapsed.TotalSeconds;
                    loopSamples += result.Samples;
                    pureSeconds += pure;
                    pureSamples += samples;
                }
                GC.Collect();
                process.Refresh();
                rss.Add(process.WorkingSet64);
                log.Info($"bench epoch {epoch}/{epochs}: {result.Samples / clock.Elapsed.TotalSeconds:F2} samples/s (pure {samples / pure:F2}), rss {process.WorkingSet64 / 1048576.0:F0} MiB");
            }
        }
        finally
        {
            foreach (var (images, masks) in preloaded) { images.Dispose(); masks.Dispose(); }
        }
        int batches = parts.TrainLoader.BatchesPerEpoch * epochs;
        double pureRate = pureSamples / Math.Max(1e-9, pureSeconds);
        double loopRate = loopSamples / Math.Max(1e-9, loopSeconds);
        double drift = rss.Count >= 3 ? 100.0 * (rss[^1] - rss[1]) / rss[1] : 0;
        return new TrainingBenchmarkResult(config.Model.Preset, config.Training.BatchSize, config.Data.ImageSize, epochs,
            parts.TrainLoader.BatchesPerEpoch, loopRate, pureRate, pureRate / loopRate,
            (double)(loopSyncs - epochEndSyncs) / batches, (double)epochEndSyncs / epochs, (double)uploads / batches,
            (double)blockingUploads / batches, config.Logging.LogEvery, rss, drift);
    }

    /// <summary>One epoch's batches, loaded beforehand, for the pure forward+backward+step timing.</summary>
    private static List<(Tensor Images, Tensor Masks)> Preload(TrainingComponents parts, int epoch, CancellationToken cancellation)
    {
        var batches = new List<(Tensor Images, Tensor Masks)>();
        foreach (var b in parts.TrainLoader.Epoch(epoch, cancellation))
        {
            batches.Add((b.Images.clone().DetachFromDisposeScope(), b.Masks.clone().DetachFromDisposeScope()));
            b.Dispose();
        }
        return batches;
    }

    /// <summary>Seconds of forward+backward+step alone over <paramref name="batches"/>.</summary>
    private static double PureSeconds(TrainingComponents parts, List<(Tensor Images, Tensor Masks)> batches, out int samples)
    {
        parts.Model.train();
        samples = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (images, masks) in batches)
        {
            using var scope = NewDisposeScope();
            var loss = parts.Loss.forward(parts.Model.forward(images), masks);
            loss.backward();
            parts.Optimizer.step();
            parts.Optimizer.zero_grad();
            samples += (int)images.shape[0];
        }
        if (batches.Count > 0) DeviceSync.Synchronize(batches[0].Images.device);
        return clock.Elapsed.TotalSeconds;
    }

    private sealed class SilentProgress : ITrainingProgress
    {
        public void EpochStarted(int epoch, int totalEpochs, int batches) { }
        public void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond) { }
        public void ValidationStarted(int epoch, int batches) { }
        public void EpochFinished(int epoch, string summary) { }
    }
}
