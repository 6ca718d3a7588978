using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Reporting;
using CrackSeg.Tests.Artifacts;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Reporting;

/// <summary>
/// Report and compare on folders written by the project's own ExperimentSaver (not by hand), so
/// the reader follows the saver's real output: null best_epoch before validation, epochs without
/// validation, status and early-stop reason, gpu_name "CPU" on CPU runs.
/// </summary>
public class SaverFolderReportTests
{
    private static readonly HardwareSnapshot H100 = new("cuda", true, "NVIDIA H100 80GB HBM3", 85_520_809_984, "550.54.15", "AMD EPYC 7R13", 16);

    private static string Save(string root, string name, IReadOnlyList<EpochRecord> records, RunStatus status, HardwareSnapshot hardware, int planned = 8)
    {
        var folder = ExperimentFolder.Create(root, name, new DateTimeOffset(2025, 1, 14, 10, 30, 0, TimeSpan.FromHours(1)));
        using var log = new RunLog(LogLevel.Info, TextWriter.Null);
        log.AttachFile(folder.TrainingLog);
        log.Info("epoch 1 started");
        log.Warning("data: skipped unreadable image 'x.png'");
        var snapshot = ArtifactFixtures.Snapshot(records, status, trainingEpochs: planned) with
        {
            ExperimentName = name,
            Hardware = hardware,
            ModelPreset = "seed",
            ParameterCount = 27_612_345,
        };
        new ExperimentSaver(log).Save(folder, snapshot);
        return folder.Root;
    }

    [Fact]
    public void ReportsAnEarlyStoppedRunValidatedEveryOtherEpoch()
    {
        using var tmp = new TempDir();
        var records = ArtifactFixtures.Records(5, valEvery: 2, peak: 4);
        string dir = Save(tmp.Path, "early", records, RunStatus.EarlyStopped, H100);

        var run = ExperimentRecord.Load(dir);
        Assert.Equal(4, run.BestEpoch);
        Assert.Null(run.Epochs[0].Validation.Iou);           // epoch 1: no validation
        Assert.NotNull(run.Epochs[1].Validation.Iou);        // epoch 2: validated
        Assert.Equal("early_stopped", run.Summary.Status);
        Assert.Equal(27_612_345, run.Summary.ParameterCount);
        Assert.Empty(run.Warnings);

        var (html, md) = ReportBuilder.Build(dir, null);
        string h = File.ReadAllText(html);
        Assert.Contains("NVIDIA H100 80GB HBM3", h);
        Assert.Contains("Early stopping after 5 of 8 planned epochs: val_iou did not improve for 2 validations.", h);
        Assert.Contains("79.6 GiB", h);                      // gpu_memory_total_bytes
        Assert.Contains("27.61 M", h);
        Assert.Contains(Format.Metric(records[3].Validation!.Iou), h);
        Assert.Contains("skipped unreadable image", h);      // the log's warning line, listed
        Assert.Contains("4 warnings, 0 errors", h);         // the saver's own warnings (no splits.json, no checkpoints) + ours
        PngStats.Of(Path.Combine(Path.GetDirectoryName(md)!, "report_files", "val_metrics.png")).AssertNotBlank();
    }

    [Fact]
    public void ReportsAFolderSavedBeforeAnyValidation()
    {
        using var tmp = new TempDir();
        var records = ArtifactFixtures.Records(3, valEvery: 3).Take(2).ToList(); // epochs 1-2, no validation yet
        string dir = Save(tmp.Path, "fresh", records, RunStatus.Running, ArtifactFixtures.Cpu);

        var run = ExperimentRecord.Load(dir);
        Assert.Null(run.BestEpoch);
        Assert.True(run.Validation.Best.IsEmpty);
        Assert.True(run.Validation.Final.IsEmpty);
        Assert.False(run.Summary.Hardware.UsedGpu);

        var (html, _) = ReportBuilder.Build(dir, null);
        string h = File.ReadAllText(html);
        Assert.Contains("No validation has run yet", h);
        Assert.Contains("still in progress", h);
        Assert.Contains("Test CPU @ 1GHz", h);
    }

    [Fact]
    public void ComparesSaverFolders()
    {
        using var tmp = new TempDir();
        string a = Save(tmp.Path, "gpu_run", ArtifactFixtures.Records(4, peak: 3), RunStatus.Completed, H100, planned: 4);
        string b = Save(Path.Combine(tmp.Path, "b"), "cpu_run", ArtifactFixtures.Records(3, valEvery: 3).Take(2).ToList(), RunStatus.Interrupted, ArtifactFixtures.Cpu);
        var (html, _) = CompareBuilder.Build([a, b], Path.Combine(tmp.Path, "cmp.html"));
        string h = File.ReadAllText(html);
        Assert.Contains("NVIDIA H100 80GB HBM3 (cuda)", h);
        Assert.Contains("cpu (Test CPU @ 1GHz)", h);
        Assert.Contains("gpu_run", h);
        Assert.Contains("cpu_run", h);
    }
}
