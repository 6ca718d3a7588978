using System.Text.Json;
using CrackSeg.Artifacts;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Common;
using YamlDotNet.RepresentationModel;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;

namespace CrackSeg.Tests.Artifacts;

public class ExperimentSaverTests
{
    private static readonly DateTimeOffset SavedAt = new(2024, 1, 16, 8, 0, 0, TimeSpan.FromHours(2));

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone("t", now.Offset, "t", "t");
    }

    private static (ExperimentFolder Folder, ExperimentSaver Saver, CapturedLog Log) NewRun(TempDir tmp)
    {
        var log = new CapturedLog();
        return (ExperimentFolder.Create(tmp.Path, "unit", SavedAt), new ExperimentSaver(log.Log, new FixedClock(SavedAt)), log);
    }

    private static bool IsIntLiteral(JsonElement e) => e.ValueKind == JsonValueKind.Number && !e.GetRawText().Any(c => c is '.' or 'e' or 'E');
    private static bool IsFloatLiteral(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.GetRawText().Contains('.');

    [Fact]
    public void CompleteSummaryHasTheGuidesKeysInOrderWithTheGuidesTypesThenExtras()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(4, peak: 3);
        saver.Save(folder, Snapshot(records, RunStatus.Completed, trainingEpochs: 4));

        using var doc = JsonDocument.Parse(File.ReadAllText(folder.CompleteSummaryJson));
        var root = doc.RootElement;
        var keys = root.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(GuideSchema.SummaryKeys, keys.Take(GuideSchema.SummaryKeys.Count));
        Assert.Equal(["epochs_completed", "status", "early_stopped", "early_stop_reason", "final_metrics_epoch", "seed", "model_preset", "parameters", "versions", .. PythonReaderSchema.SummaryKeys],
            keys.Skip(GuideSchema.SummaryKeys.Count));

        Assert.Equal("unit", root.GetProperty("experiment_name").GetString());
        Assert.Equal("crack-segmentation", root.GetProperty("project_name").GetString());
        Assert.Equal("crackseg.model.SwinV2CnnAsppUNet", root.GetProperty("model_type").GetString());
        Assert.Equal("data/synthetic", root.GetProperty("dataset").GetString());
        Assert.True(IsIntLiteral(root.GetProperty("training_epochs")));
        Assert.True(IsIntLiteral(root.GetProperty("batch_size")));
        Assert.True(IsFloatLiteral(root.GetProperty("learning_rate")));
        Assert.Equal(1e-4, root.GetProperty("learning_rate").GetDouble());
        Assert.Equal(3, root.GetProperty("best_epoch").GetInt32());
        Assert.True(IsIntLiteral(root.GetProperty("best_epoch")));
        Assert.True(IsFloatLiteral(root.GetProperty("total_training_time")));
        Assert.Equal("2024-01-16T08:00:00.000+02:00", root.GetProperty("timestamp").GetString());

        var final = root.GetProperty("final_metrics");
        Assert.Equal(GuideSchema.FinalMetricKeys, final.EnumerateObject().Select(p => p.Name));
        Assert.All(final.EnumerateObject(), p => Assert.True(IsFloatLiteral(p.Value), p.Name));
        Assert.Equal(records[3].Validation!.Iou, final.GetProperty("val_iou").GetDouble()); // the last epoch, not the best

        var hw = root.GetProperty("hardware_info");
        Assert.Equal(GuideSchema.HardwareKeys, hw.EnumerateObject().Select(p => p.Name).Take(3));
        Assert.Equal("cpu", hw.GetProperty("device").GetString());
        Assert.Equal(JsonValueKind.False, hw.GetProperty("cuda_available").ValueKind);
        Assert.Equal("CPU", hw.GetProperty("gpu_name").GetString());
        Assert.Equal(JsonValueKind.Null, hw.GetProperty("gpu_memory_total_bytes").ValueKind);

        Assert.Equal(4, root.GetProperty("epochs_completed").GetInt32());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("0.107.0", root.GetProperty("versions").GetProperty("torchsharp").GetString());
    }

    [Fact]
    public void MetricsJsonlHasOneLinePerEpochWithNullNotZeroForEpochsWithoutValidation()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(5, valEvery: 2);
        saver.Save(folder, Snapshot(records));

        var lines = File.ReadAllText(folder.MetricsJsonl).Split('\n');
        Assert.Equal(6, lines.Length); // 5 lines + the empty string after the final newline
        Assert.Equal("", lines[5]);
        for (int i = 0; i < 5; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var line = doc.RootElement;
            Assert.Equal(GuideSchema.EpochKeys, line.EnumerateObject().Select(p => p.Name));
            Assert.Equal(i + 1, line.GetProperty("epoch").GetInt32());
            Assert.True(IsIntLiteral(line.GetProperty("epoch")));
            Assert.True(IsFloatLiteral(line.GetProperty("train_loss")));
            Assert.True(ArtifactFormat.TryParseTimestamp(line.GetProperty("timestamp").GetString()!, out _));
            foreach (var key in new[] { "lr", "grad_norm", "epoch_time_s", "samples_per_s" })
                Assert.True(IsFloatLiteral(line.GetProperty(key)), key);
            bool validated = records[i].Validation is not null;
            Assert.Equal(i + 1 is 2 or 4 or 5, validated);
            foreach (var key in GuideSchema.EpochValidationKeys)
                Assert.Equal(validated ? JsonValueKind.Number : JsonValueKind.Null, line.GetProperty(key).ValueKind);
        }
    }

    [Fact]
    public void ValidationMetricsHoldTheLastValidatedAndTheBestEpochAsTheGuideShows()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(5, peak: 2);
        saver.Save(folder, Snapshot(records));

        using var doc = JsonDocument.Parse(File.ReadAllText(folder.ValidationMetricsJson));
        var final = doc.RootElement.GetProperty("final_validation");
        var best = doc.RootElement.GetProperty("best_validation");
        Assert.Equal(["final_validation", "best_validation"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(GuideSchema.FinalMetricKeys, final.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["epoch", .. GuideSchema.BestValidationKeys], best.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, best.GetProperty("epoch").GetInt32());
        Assert.Equal(records[1].Validation!.Iou, best.GetProperty("iou").GetDouble());
        Assert.Equal(records[1].Validation!.Loss, best.GetProperty("loss").GetDouble());
        Assert.Equal(records[4].Validation!.Iou, final.GetProperty("val_iou").GetDouble());
    }

    [Fact]
    public void FinalResultsYamlIsFlatPlainYamlOfFloats()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(2);
        records[1] = records[1] with { Validation = records[1].Validation! with { Loss = 1e-5 } }; // PyYAML needs 1.0e-05, not 1e-05
        saver.Save(folder, Snapshot(records));

        string text = File.ReadAllText(folder.FinalResultsYaml);
        Assert.Contains("val_loss: 1.0e-05\n", text);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        var map = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal(GuideSchema.FinalMetricKeys, map.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.All(map.Children.Values, v => Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, ((YamlScalarNode)v).Style));
        Assert.Equal(records[1].Validation!.Iou.ToString("R", System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)map.Children[new YamlScalarNode("val_iou")]).Value);
        Assert.Equal(ConfigText + "\n", File.ReadAllText(folder.ConfigYaml));
    }

    [Fact]
    public void SaveReturnsAndLogsEachFileAndWarnsAboutWhatIsMissing()
    {
        using var tmp = new TempDir();
        var (folder, saver, log) = NewRun(tmp);
        var saved = saver.Save(folder, Snapshot(Records(1)));
        Assert.Equal([folder.MetricsJsonl, folder.ValidationMetricsJson, folder.FinalResultsYaml, folder.ConfigYaml, folder.CompleteSummaryJson], saved);
        Assert.All(saved, p => Assert.True(File.Exists(p)));
        Assert.Contains("saved metrics/complete_summary.json", log.Text);
        Assert.Contains("saved final_results.yaml", log.Text);
        Assert.Contains("missing logs/training.log", log.Text);
        Assert.Contains("missing splits.json", log.Text);
        Assert.Contains("no epoch checkpoint yet", log.Text);
        Assert.Contains("best_model.pth is missing", log.Text);
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void AResumedRunNeitherDuplicatesNorLosesEpochs()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(3);
        saver.Save(folder, Snapshot(records.Take(1).ToList()));
        saver.Save(folder, Snapshot(records.Take(2).ToList()));

        // A new process: reopen the folder, restore the history (epochs 1-2) from the checkpoint, finish epoch 3.
        var reopened = ExperimentFolder.Open(folder.Root);
        var log = new CapturedLog();
        new ExperimentSaver(log.Log).Save(reopened, Snapshot(records));
        Assert.Equal([1, 2, 3], EpochsIn(folder.MetricsJsonl));
        Assert.Equal(records.Select(ExperimentDocuments.EpochLine), File.ReadAllLines(folder.MetricsJsonl));
        Assert.DoesNotContain("WARN  metrics.jsonl", log.Text);
    }

    [Fact]
    public void ResumingFromAnOlderCheckpointRewritesTheEpochsItReRuns()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var first = Records(3);
        saver.Save(folder, Snapshot(first)); // crashed after epoch 3; the newest checkpoint is epoch 2

        var log = new CapturedLog();
        var rerun = first.Take(2).Append(first[2] with { TrainLoss = 0.123 }).ToList();
        var resumed = new ExperimentSaver(log.Log);
        resumed.Save(folder, Snapshot(rerun.Take(2).ToList()));
        Assert.Contains("epochs 3..3 are re-run", log.Text);
        Assert.Equal([1, 2], EpochsIn(folder.MetricsJsonl));
        resumed.Save(folder, Snapshot(rerun));
        Assert.Equal([1, 2, 3], EpochsIn(folder.MetricsJsonl));
        Assert.Contains("\"train_loss\":0.123", File.ReadAllLines(folder.MetricsJsonl)[2]);
    }

    [Fact]
    public void AnEarlyStoppedRunSaysSo()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        saver.Save(folder, Snapshot(Records(4, peak: 2), RunStatus.EarlyStopped, trainingEpochs: 10));
        using var doc = JsonDocument.Parse(File.ReadAllText(folder.CompleteSummaryJson));
        Assert.Equal("early_stopped", doc.RootElement.GetProperty("status").GetString());
        Assert.True(doc.RootElement.GetProperty("early_stopped").GetBoolean());
        Assert.Equal(10, doc.RootElement.GetProperty("training_epochs").GetInt32());
        Assert.Equal(4, doc.RootElement.GetProperty("epochs_completed").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("best_epoch").GetInt32());
        Assert.StartsWith("val_iou did not improve", doc.RootElement.GetProperty("early_stop_reason").GetString());
    }

    [Fact]
    public void BeforeAnyValidationFinalAndBestMetricsAreNullNotZero()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        saver.Save(folder, Snapshot(Records(3, valEvery: 5).Take(1).ToList()));
        using var doc = JsonDocument.Parse(File.ReadAllText(folder.CompleteSummaryJson));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("best_epoch").ValueKind);
        Assert.All(doc.RootElement.GetProperty("final_metrics").EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
        Assert.Contains("val_iou: null\n", File.ReadAllText(folder.FinalResultsYaml));
    }

    [Fact]
    public void NonFiniteValuesAndBadEpochSequencesThrowAndLeaveThePreviousFilesIntact()
    {
        using var tmp = new TempDir();
        var (folder, saver, _) = NewRun(tmp);
        var records = Records(3);
        saver.Save(folder, Snapshot(records.Take(2).ToList()));
        var before = Directory.EnumerateFiles(folder.Root, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

        var nan = records.Take(2).Append(records[2] with { TrainLoss = double.NaN }).ToList();
        var e = Assert.Throws<ArgumentException>(() => saver.Save(folder, Snapshot(nan)));
        Assert.Contains("epoch 3: train_loss is NaN", e.Message);
        var infinite = records.Take(2).Append(records[2] with { Validation = Val(double.PositiveInfinity) }).ToList();
        Assert.Throws<ArgumentException>(() => saver.Save(folder, Snapshot(infinite) with { BestEpoch = 2 }));
        var gap = new List<EpochRecord> { records[0], records[2] };
        Assert.Contains("expected 2", Assert.Throws<ArgumentException>(() => saver.Save(folder, Snapshot(gap))).Message);
        var duplicate = new List<EpochRecord> { records[0], records[1], records[1] };
        Assert.Throws<ArgumentException>(() => saver.Save(folder, Snapshot(duplicate)));
        Assert.Throws<ArgumentException>(() => saver.Save(folder, Snapshot(Records(3, valEvery: 2)) with { BestEpoch = 1 }));

        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    private static List<int> EpochsIn(string jsonl) =>
        File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt32()).ToList();
}
