using CrackSeg.Artifacts;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Common;

namespace CrackSeg.Tests.Artifacts;

public class ExperimentFolderTests
{
    private static readonly DateTimeOffset Now = new(2024, 1, 15, 10, 30, 5, TimeSpan.FromHours(1));

    [Fact]
    public void CreateMakesTheGuideLayoutUnderATimestampedName()
    {
        using var tmp = new TempDir();
        var folder = ExperimentFolder.Create(tmp.Path, "swinv2_hybrid", Now);
        Assert.Equal(Path.Combine(tmp.Path, "20240115-103005-swinv2_hybrid"), folder.Root);
        Assert.True(Directory.Exists(folder.MetricsDir) && Directory.Exists(folder.LogsDir) && Directory.Exists(folder.CheckpointsDir));
        Assert.Equal(Path.Combine(folder.Root, "metrics", "complete_summary.json"), folder.CompleteSummaryJson);
        Assert.Equal(Path.Combine(folder.Root, "metrics", "metrics.jsonl"), folder.MetricsJsonl);
        Assert.Equal(Path.Combine(folder.Root, "metrics", "validation_metrics.json"), folder.ValidationMetricsJson);
        Assert.Equal(Path.Combine(folder.Root, "logs", "training.log"), folder.TrainingLog);
        Assert.Equal(Path.Combine(folder.Root, "checkpoints", "epoch_12.pth"), folder.EpochCheckpoint(12));
        Assert.Equal(Path.Combine(folder.Root, "best_model.pth"), folder.BestModel);
        Assert.Equal(Path.Combine(folder.Root, "checkpoints", "best_model.pth"), folder.CheckpointBestModel);
        Assert.Equal(Path.Combine(folder.Root, "final_results.yaml"), folder.FinalResultsYaml);
        Assert.Throws<ArgumentOutOfRangeException>(() => folder.EpochCheckpoint(0));
    }

    [Fact]
    public void ASecondRunInTheSameSecondGetsACounterAndFindNewestPicksIt()
    {
        using var tmp = new TempDir();
        var older = ExperimentFolder.Create(tmp.Path, "exp", Now.AddMinutes(-1));
        var first = ExperimentFolder.Create(tmp.Path, "exp", Now);
        var second = ExperimentFolder.Create(tmp.Path, "exp", Now);
        ExperimentFolder.Create(tmp.Path, "exp-2", Now.AddMinutes(1)); // another experiment whose name extends this one
        ExperimentFolder.Create(tmp.Path, "other", Now.AddMinutes(2));
        Assert.Equal(first.Root + "+2", second.Root);
        Assert.Equal(second.Root, ExperimentFolder.FindNewest(tmp.Path, "exp")!.Root);
        Assert.NotEqual(older.Root, ExperimentFolder.FindNewest(tmp.Path, "exp")!.Root);
        Assert.EndsWith("-exp-2", ExperimentFolder.FindNewest(tmp.Path, "exp-2")!.Root);
        Assert.Null(ExperimentFolder.FindNewest(tmp.Path, "missing"));
        Assert.Null(ExperimentFolder.FindNewest(Path.Combine(tmp.Path, "nope"), "exp"));
    }

    [Fact]
    public void OpenRefusesWhatIsNotAnExperimentFolder()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<InputException>(() => ExperimentFolder.Open(tmp.Path));
        Assert.Contains("metrics/", e.Message);
        Assert.Contains(tmp.Path, e.Message);
        Assert.Throws<InputException>(() => ExperimentFolder.Open(Path.Combine(tmp.Path, "none")));
        var made = ExperimentFolder.Create(tmp.Path, "x", Now);
        Assert.Equal(made.Root, ExperimentFolder.Open(made.Root).Root);
    }

    [Fact]
    public void BadExperimentNamesAreInputErrors() =>
        Assert.Throws<InputException>(() => ExperimentFolder.Create(Path.GetTempPath(), "a/b", Now));
}

public class HardwareSnapshotTests
{
    [Fact]
    public void FromHardwareInfoKeepsWhatTheSummaryWrites()
    {
        var info = new HardwareInfo
        {
            Device = "cuda:1", CudaAvailable = true, CudaDeviceCount = 2, GpuName = "NVIDIA H100 80GB HBM3",
            GpuMemoryTotalBytes = 85_520_809_984, DriverVersion = "550.54.15", CpuModel = "AMD EPYC", CpuCores = 16, TorchThreads = 8,
        };
        Assert.Equal(new HardwareSnapshot("cuda:1", true, "NVIDIA H100 80GB HBM3", 85_520_809_984, "550.54.15", "AMD EPYC", 16), HardwareSnapshot.From(info));
    }
}
