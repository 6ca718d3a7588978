using System.Text.Json;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Training;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

[Collection(nameof(GlobalRandomStateCollection))]
public class TrainingRunTests
{
    private sealed class Recorder : ITrainingProgress
    {
        public List<int> Epochs { get; } = [];
        public int Batches { get; private set; }
        public void EpochStarted(int epoch, int totalEpochs, int batches) => Epochs.Add(epoch);
        public void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond) => Batches++;
        public void ValidationStarted(int epoch, int batches) { }
        public void EpochFinished(int epoch, string summary) { }
    }

    private static (TrainingOutcome Outcome, StringWriter Log) Train(CrackSegConfig config, Func<Tensor, Tensor>? lossHook = null,
        CancellationToken cancellation = default, string? resume = null, int? stopAfter = null)
    {
        var console = new StringWriter();
        using var log = new RunLog(LogLevel.Debug, console);
        var run = new TrainingRun(log, new Recorder());
        return (run.Run(new TrainingRequest(config, resume) { LossHook = lossHook, StopAfterEpoch = stopAfter }, cancellation), console);
    }

    [Fact]
    public void ARunWritesAValidFolderWithRealMetrics()
    {
        using var dir = new TempDir();
        var (outcome, _) = Train(TinyRun.Config(dir.Path, epochs: 2));
        Assert.Equal(2, outcome.EpochsCompleted);
        Assert.Empty(ArtifactVerifier.Verify(outcome.ExperimentDir));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.ExperimentDir, "metrics", "complete_summary.json")));
        var hw = summary.RootElement.GetProperty("hardware_info");
        Assert.Equal("cpu", hw.GetProperty("device").GetString());
        Assert.Equal("CPU", hw.GetProperty("gpu_name").GetString());
        double loss = summary.RootElement.GetProperty("final_metrics").GetProperty("val_loss").GetDouble();
        Assert.True(double.IsFinite(loss) && loss > 0);
        Assert.Contains("epoch 2/2", File.ReadAllText(Path.Combine(outcome.ExperimentDir, "logs", "training.log")));
    }

    [Fact]
    public void NonFiniteStepsAreSkippedWithAWarning()
    {
        using var dir = new TempDir();
        int calls = 0;
        var (outcome, log) = Train(TinyRun.Config(dir.Path, epochs: 1), loss => ++calls == 2 ? loss * float.NaN : loss);
        Assert.Equal(1, outcome.EpochsCompleted);
        Assert.Contains("non-finite loss or gradient; step skipped", log.ToString());
        Assert.Empty(ArtifactVerifier.Verify(outcome.ExperimentDir));
        using var best = CheckpointStore.Load(Path.Combine(outcome.ExperimentDir, "best_model.pth"));
        Assert.All(best.ModelState.Values, t => Assert.True(isfinite(t).all().item<bool>()));
    }

    [Fact]
    public void ConsecutiveNonFiniteStepsStopTheRun()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 1, "training.max_bad_steps=3");
        var e = Assert.Throws<TrainingDivergedException>(() => Train(config, loss => loss * float.PositiveInfinity));
        // The guard counts on the device and is read at log steps, so the run stops at the first read that sees >= 3.
        var seen = System.Text.RegularExpressions.Regex.Match(e.Message, @"(\d+) consecutive non-finite steps");
        Assert.True(seen.Success, e.Message);
        Assert.InRange(int.Parse(seen.Groups[1].Value), 3, 100);
        Assert.Contains("training.max_bad_steps=3", e.Message);
    }

    [Fact]
    public void EarlyStoppingEndsTheRunAndIsRecorded()
    {
        using var dir = new TempDir();
        // Nothing counts as an improvement after the first validation when min_delta is huge.
        var config = TinyRun.Config(dir.Path, 6, "training.early_stopping.patience=2", "training.early_stopping.monitor=val_loss",
            "training.early_stopping.mode=min", "training.early_stopping.min_delta=1000");
        var (outcome, _) = Train(config);
        Assert.True(outcome.EarlyStopped);
        Assert.Equal(3, outcome.EpochsCompleted);
        Assert.Equal(1, outcome.BestEpoch);
        Assert.Empty(ArtifactVerifier.Verify(outcome.ExperimentDir));
    }

    [Fact]
    public void CancellationStopsCleanlyAndResumeFinishes()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 2);
        using var cts = new CancellationTokenSource();
        int calls = 0;
        var batchesPerEpoch = 4; // 24 images * 0.7 = 16 train pairs / batch 4
        var (outcome, _) = Train(config, loss => { if (++calls == batchesPerEpoch + 1) cts.Cancel(); return loss; }, cts.Token);
        Assert.True(outcome.Interrupted);
        Assert.Equal(1, outcome.EpochsCompleted);
        Assert.Empty(ArtifactVerifier.Verify(outcome.ExperimentDir));

        var (resumed, _) = Train(config, resume: outcome.ExperimentDir);
        Assert.False(resumed.Interrupted);
        Assert.Equal(2, resumed.EpochsCompleted);
        Assert.Equal(outcome.ExperimentDir, resumed.ExperimentDir);
        Assert.Empty(ArtifactVerifier.Verify(resumed.ExperimentDir));
    }

    [Fact]
    public void ResumeWithoutAPathContinuesTheNewestFolderAndTensorBoardLogs()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 2, "logging.tensorboard=true");
        var (first, _) = Train(config, stopAfter: 1);
        Assert.True(first.Interrupted);
        var (resumed, log) = Train(config, resume: "");
        Assert.Equal(first.ExperimentDir, resumed.ExperimentDir);
        Assert.Equal(2, resumed.EpochsCompleted);
        Assert.Contains("epoch_1.pth", log.ToString());
        var events = Directory.GetFiles(Path.Combine(resumed.ExperimentDir, "tensorboard"), "events.out.tfevents*", SearchOption.AllDirectories);
        Assert.NotEmpty(events);
        Assert.True(events.Sum(f => new FileInfo(f).Length) > 1000, "scalars and preview images are written");
        Assert.Empty(ArtifactVerifier.Verify(resumed.ExperimentDir));
    }

    [Fact]
    public void ResumingWithAnotherModelListsTheDifferences()
    {
        using var dir = new TempDir();
        var (outcome, _) = Train(TinyRun.Config(dir.Path, 1));
        var changed = TinyRun.Config(dir.Path, 2, "model.embed_dim=24", "data.image_size=96");
        var e = Assert.Throws<InputException>(() => Train(changed, resume: outcome.ExperimentDir));
        Assert.Contains("model.embed_dim", e.Message);
        Assert.Contains("data.image_size", e.Message);
    }

    [Fact]
    public void UnknownPrecisionAndMissingCudaAreInputErrors()
    {
        using var dir = new TempDir();
        var fp8 = Assert.ThrowsAny<InputException>(() => Train(TinyRun.Config(dir.Path, 1, "training.precision=fp8")));
        Assert.Contains("training.precision", fp8.Message);
        if (!cuda.is_available())
        {
            var gpu = Assert.Throws<InputException>(() => Train(TinyRun.Config(dir.Path, 1, "training.device=cuda")));
            Assert.Contains("CUDA is not available", gpu.Message);
        }
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "experiments")), "nothing is written for rejected input");
    }
}
