using CrackSeg.Benchmarks;
using CrackSeg.Common;
using CrackSeg.Tests.Data;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Training;

/// <summary>
/// bench train's counts, as an accelerator would see them: the loop reads the device only at log steps, uploads
/// once per batch without blocking; and a read added to the loop shows up.
/// </summary>
[Collection(nameof(HostSyncCounterCollection))]
public class LoopTransferCountTests
{
    [Theory]
    [InlineData("fp32")]
    [InlineData("fp16")]   // the scaler's found_inf is the guard's flag: still no per-step read
    public void TheLoopSyncsOnlyAtLogStepsAndUploadsOncePerBatchWithoutBlocking(string precision)
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 1, "logging.log_every=2", $"training.precision={precision}");
        var r = TrainingBenchmark.Run(config, epochs: 2, RunLog.Silent);
        // One read per log_every batches (none at an epoch's last batch: the epoch summary read covers it).
        Assert.InRange(r.DeviceSyncsPerBatch, 0.01, 1.0 / 2 + 1e-9);
        Assert.Equal(1.0, r.EpochEndSyncsPerEpoch);
        Assert.Equal(0.0, r.BlockingUploadsPerBatch);
        Assert.Equal(1.0, r.UploadsPerBatch);
    }

    [Fact]
    public void AReadAddedToTheLoopIsCounted()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 1, "logging.log_every=4");
        var r = TrainingBenchmark.Run(config, epochs: 2, RunLog.Silent, lossHook: loss => { HostSync.ReadFloat(loss); return loss; });
        Assert.True(r.DeviceSyncsPerBatch >= 1.0, $"device_syncs_per_batch {r.DeviceSyncsPerBatch}");
    }
}
