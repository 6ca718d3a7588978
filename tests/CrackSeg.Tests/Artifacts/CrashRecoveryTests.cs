using System.Text.Json;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Training;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// What a SIGKILL can leave between an epoch's files, and the repairs `--resume` makes (see
/// <see cref="CrashRecovery"/>); scripts/crash-resume.sh drives the same with real kills.
/// </summary>
[Collection(nameof(GlobalRandomStateCollection))]
public class CrashRecoveryTests
{
    private const string DeadPid = "999999999"; // above any pid_max: no such process

    [Fact]
    public void StaleTempFilesOfDeadProcessesAreRemovedAndOthersKept()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "unit", DateTimeOffset.Now);
        string guid = Guid.NewGuid().ToString("N");
        string deadCheckpoint = Path.Combine(folder.CheckpointsDir, $".epoch_3.pth.{DeadPid}.{guid}.tmp");
        string deadMetrics = Path.Combine(folder.MetricsDir, $".metrics.jsonl.{DeadPid}.{guid}.tmp");
        string ours = Path.Combine(folder.Root, $".best_model.pth.{Environment.ProcessId}.{guid}.tmp");
        string foreign = Path.Combine(folder.Root, ".notes.tmp");
        foreach (var f in new[] { deadCheckpoint, deadMetrics, ours, foreign }) File.WriteAllText(f, "partial");

        var log = new CapturedLog();
        Assert.Equal(2, CrashRecovery.RemoveStaleTempFiles(folder, log.Log));
        Assert.False(File.Exists(deadCheckpoint));
        Assert.False(File.Exists(deadMetrics));
        Assert.True(File.Exists(ours), "a live process's temp file is in use");
        Assert.True(File.Exists(foreign), "not an AtomicFile temp file");
        Assert.Contains("removed 2 temp file(s)", log.Text);
        Assert.Equal(0, CrashRecovery.RemoveStaleTempFiles(folder, log.Log));
    }

    [Fact]
    public void BestModelFilesAreRestoredWhenTheResumedEpochIsTheBest()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "unit", DateTimeOffset.Now);
        var store = new CheckpointStore(folder, new CheckpointConfig { Every = 1, KeepLast = 5 }, RunLog.Silent);
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        TrainStep(net, opt, 1);
        store.SaveEpoch(CheckpointOf(net, opt, Records(1), 1), isBest: true);
        TrainStep(net, opt, 2);
        store.SaveEpoch(CheckpointOf(net, opt, Records(2), 2), isBest: false); // killed before the best-model copies
        byte[] epoch2 = File.ReadAllBytes(folder.EpochCheckpoint(2));

        var log = new CapturedLog();
        using (var resumed = CheckpointStore.Load(folder.EpochCheckpoint(2)))
        {
            Assert.Equal(2, resumed.BestEpoch);
            Assert.Equal([folder.CheckpointBestModel, folder.BestModel], CrashRecovery.RestoreBestModel(folder, resumed, log.Log));
            Assert.Equal(epoch2, File.ReadAllBytes(folder.CheckpointBestModel));
            Assert.Equal(epoch2, File.ReadAllBytes(folder.BestModel));
            Assert.Contains("restored checkpoints/best_model.pth and best_model.pth from epoch_2.pth", log.Text);
            Assert.Empty(CrashRecovery.RestoreBestModel(folder, resumed, log.Log)); // already level: nothing rewritten

            File.Copy(folder.EpochCheckpoint(1), folder.BestModel, overwrite: true); // killed between the two copies
            Assert.Equal([folder.BestModel], CrashRecovery.RestoreBestModel(folder, resumed, log.Log));
            Assert.Equal(epoch2, File.ReadAllBytes(folder.BestModel));
        }

        // Epoch 3 is not the best (the peak was epoch 2): the best-model files stay as they are.
        TrainStep(net, opt, 3);
        store.SaveEpoch(CheckpointOf(net, opt, Records(3, peak: 2), 3), isBest: false);
        using var third = CheckpointStore.Load(folder.EpochCheckpoint(3));
        Assert.Equal(2, third.BestEpoch);
        Assert.Empty(CrashRecovery.RestoreBestModel(folder, third, log.Log));
        Assert.Equal(epoch2, File.ReadAllBytes(folder.BestModel));
    }

    /// <summary>
    /// A real run killed right after renaming checkpoints/epoch_2.pth (a new best): neither best-model copy
    /// nor the epoch's metrics were written, and a temp file is left. Resuming repairs the folder at once.
    /// </summary>
    [Fact]
    public void AKillBetweenTheCheckpointAndTheFolderFilesIsRepairedOnResume()
    {
        using var dir = new TempDir();
        // val_loss falls from epoch 1 to 2 with a nonzero learning rate: epoch 2 is a new best.
        var config = TinyRun.Config(Path.Combine(dir.Path, "run"), 2, "training.early_stopping.monitor=val_loss", "training.early_stopping.mode=min");
        var first = Train(config, stopAfterEpoch: 1);
        string afterEpoch1 = Path.Combine(dir.Path, "crash", Path.GetFileName(first.ExperimentDir));
        CopyDirectory(first.ExperimentDir, afterEpoch1);
        var finished = Train(config, resume: first.ExperimentDir);
        Assert.Equal(2, finished.BestEpoch);

        // The crash state: the folder after epoch 1 plus epoch 2's checkpoint and a cut-short temp file.
        var crashed = ExperimentFolder.Open(afterEpoch1);
        File.Copy(Path.Combine(finished.ExperimentDir, "checkpoints", "epoch_2.pth"), crashed.EpochCheckpoint(2));
        string partial = Path.Combine(crashed.CheckpointsDir, $".best_model.pth.{DeadPid}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(partial, "partial");

        var recorder = new EpochRecorder();
        var log = new StringWriter();
        var repaired = Train(config, resume: afterEpoch1, recorder: recorder, console: log);
        Assert.Empty(recorder.Epochs); // nothing left to train
        Assert.Equal(2, repaired.EpochsCompleted);
        Assert.Empty(ArtifactVerifier.Verify(afterEpoch1));
        Assert.False(File.Exists(partial));
        Assert.Contains("restored checkpoints/best_model.pth and best_model.pth from epoch_2.pth", log.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(finished.ExperimentDir, "best_model.pth")), File.ReadAllBytes(crashed.BestModel));
        Assert.Equal(File.ReadAllText(Path.Combine(finished.ExperimentDir, "metrics", "metrics.jsonl")), File.ReadAllText(crashed.MetricsJsonl));
        Assert.Equal("completed", Status(afterEpoch1));
    }

    /// <summary>Killed after the checkpoint of the epoch that stopped early: the resume must not train on.</summary>
    [Fact]
    public void AKillAfterTheEarlyStoppingCheckpointDoesNotTrainOnAfterResume()
    {
        using var dir = new TempDir();
        // Nothing improves after epoch 1 when min_delta is huge (a zero LR is not enough: BatchNorm
        // statistics still move), so patience 1 stops after epoch 2 of 6.
        var config = TinyRun.Config(Path.Combine(dir.Path, "run"), 6, "training.early_stopping.patience=1",
            "training.early_stopping.monitor=val_loss", "training.early_stopping.mode=min", "training.early_stopping.min_delta=1000");
        var first = Train(config, stopAfterEpoch: 1);
        string afterEpoch1 = Path.Combine(dir.Path, "crash", Path.GetFileName(first.ExperimentDir));
        CopyDirectory(first.ExperimentDir, afterEpoch1);
        var stopped = Train(config, resume: first.ExperimentDir);
        Assert.True(stopped.EarlyStopped);
        Assert.Equal(2, stopped.EpochsCompleted);

        File.Copy(Path.Combine(stopped.ExperimentDir, "checkpoints", "epoch_2.pth"), ExperimentFolder.Open(afterEpoch1).EpochCheckpoint(2));
        var recorder = new EpochRecorder();
        var resumed = Train(config, resume: afterEpoch1, recorder: recorder);
        Assert.Empty(recorder.Epochs);
        Assert.True(resumed.EarlyStopped);
        Assert.Equal(2, resumed.EpochsCompleted);
        Assert.Equal("early_stopped", Status(afterEpoch1));
        Assert.Empty(ArtifactVerifier.Verify(afterEpoch1));
        Assert.Equal(File.ReadAllText(Path.Combine(stopped.ExperimentDir, "metrics", "metrics.jsonl")), File.ReadAllText(Path.Combine(afterEpoch1, "metrics", "metrics.jsonl")));
    }

    private sealed class EpochRecorder : ITrainingProgress
    {
        public List<int> Epochs { get; } = [];
        public void EpochStarted(int epoch, int totalEpochs, int batches) => Epochs.Add(epoch);
        public void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond) { }
        public void ValidationStarted(int epoch, int batches) { }
        public void EpochFinished(int epoch, string summary) { }
    }

    private static TrainingOutcome Train(CrackSegConfig config, int? stopAfterEpoch = null, string? resume = null,
        EpochRecorder? recorder = null, StringWriter? console = null)
    {
        using var log = new RunLog(LogLevel.Info, console ?? TextWriter.Null);
        var run = new TrainingRun(log, recorder ?? new EpochRecorder());
        return run.Run(new TrainingRequest(config, resume) { StopAfterEpoch = stopAfterEpoch }, CancellationToken.None);
    }

    private static string Status(string experiment)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(experiment, "metrics", "complete_summary.json")));
        return summary.RootElement.GetProperty("status").GetString()!;
    }
}
