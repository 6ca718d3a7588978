using System.Text.Json;
using System.Text.Json.Nodes;
using CrackSeg.Artifacts;
using CrackSeg.Tests.TestSupport;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// complete_summary.json's keys for the Python project's reporting and evaluation modules (which default a
/// missing key to 0): values from the run's own epoch records, null before any validation.
/// </summary>
public class PythonReaderSummaryTests
{
    private static JsonElement Summary(IReadOnlyList<EpochRecord> records, int trainingEpochs = 6)
    {
        var snapshot = Snapshot(records, RunStatus.Running, trainingEpochs);
        return JsonDocument.Parse(ExperimentDocuments.CompleteSummary(snapshot, DateTimeOffset.UnixEpoch)).RootElement.Clone();
    }

    [Fact]
    public void BestValuesComeFromTheBestEpochAndTheFinalLossFromTheLastValidatedOne()
    {
        // IoU peaks at epoch 3; epoch 4 is not validated; epoch 5 (the last) is.
        var records = Records(5, valEvery: 3, peak: 3);
        var s = Summary(records);
        int best = BestOf(records)!.Value;
        Assert.Equal(3, best);
        var b = records[best - 1].Validation!;

        Assert.Equal(b.Iou, s.GetProperty("best_iou").GetDouble());
        Assert.Equal(b.F1, s.GetProperty("best_f1").GetDouble());
        Assert.Equal(b.Precision, s.GetProperty("best_precision").GetDouble());
        Assert.Equal(b.Recall, s.GetProperty("best_recall").GetDouble());
        Assert.Equal(b.Dice, s.GetProperty("best_dice").GetDouble());
        Assert.Equal(b.Accuracy, s.GetProperty("best_accuracy").GetDouble());
        Assert.Equal(records[4].Validation!.Loss, s.GetProperty("final_loss").GetDouble());
        Assert.Equal(s.GetProperty("total_training_time").GetDouble(), s.GetProperty("training_time").GetDouble());
        Assert.Equal(61.5 * 5, s.GetProperty("training_time").GetDouble());

        var metrics = s.GetProperty("best_metrics");
        Assert.Equal(PythonReaderSchema.BestMetricsKeys, metrics.EnumerateObject().Select(p => p.Name));
        foreach (var key in PythonReaderSchema.BestMetricsKeys)
        {
            Assert.Equal(b["val_" + key], metrics.GetProperty(key).GetProperty("value").GetDouble());
            Assert.Equal(best, metrics.GetProperty(key).GetProperty("epoch").GetInt32());
        }
        var info = s.GetProperty("experiment_info");
        Assert.Equal(6, info.GetProperty("total_epochs").GetInt32());
        Assert.Equal(best, info.GetProperty("best_epoch").GetInt32());
        Assert.Equal(5, info.GetProperty("epochs_completed").GetInt32());
    }

    [Fact]
    public void TheyComeAfterTheGuidesKeys()
    {
        var keys = Summary(Records(2)).EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(GuideSchema.SummaryKeys, keys.Take(GuideSchema.SummaryKeys.Count));
        Assert.Equal(PythonReaderSchema.SummaryKeys, keys.TakeLast(PythonReaderSchema.SummaryKeys.Count));
    }

    [Fact]
    public void BeforeAnyValidationTheyAreNullNeverZero()
    {
        var records = Records(3, valEvery: 5).Take(2).ToList(); // epochs 1 and 2, neither validated
        Assert.All(records, r => Assert.Null(r.Validation));
        var s = Summary(records);

        foreach (var key in PythonReaderSchema.BestKeys.Select(k => "best_" + k).Append("final_loss"))
            Assert.Equal(JsonValueKind.Null, s.GetProperty(key).ValueKind);
        foreach (var entry in s.GetProperty("best_metrics").EnumerateObject())
        {
            Assert.Equal(JsonValueKind.Null, entry.Value.GetProperty("value").ValueKind);
            Assert.Equal(JsonValueKind.Null, entry.Value.GetProperty("epoch").ValueKind);
        }
        Assert.Equal(JsonValueKind.Null, s.GetProperty("experiment_info").GetProperty("best_epoch").ValueKind);
        Assert.Equal(2, s.GetProperty("experiment_info").GetProperty("epochs_completed").GetInt32());
        Assert.Equal(61.5 * 2, s.GetProperty("training_time").GetDouble()); // time is measured from the first epoch
    }

    public static TheoryData<string, Action<JsonObject>, string> Breakages => new()
    {
        { "zeroed best_iou", s => s["best_iou"] = 0.0, "best_iou is 0 but metrics.jsonl has" },
        { "missing final_loss", s => s.Remove("final_loss"), "missing key 'final_loss'" },
        { "training_time apart", s => s["training_time"] = 1.0, "training_time 1 differs from total_training_time" },
        { "best_metrics epoch", s => s["best_metrics"]!["f1"]!["epoch"] = 1, "best_metrics.f1: epoch is 1, best_epoch is 3" },
        { "best_metrics value", s => s["best_metrics"]!["loss"]!["value"] = 0.0, "best_metrics.loss.value is 0" },
        { "experiment_info epochs", s => s["experiment_info"]!["epochs_completed"] = 9, "experiment_info.epochs_completed is 9" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void TheVerifierComparesThemWithMetricsJsonl(string name, Action<JsonObject> breakIt, string expected)
    {
        using var tmp = new TempDir();
        string dir = BuildValidFolder(tmp.Path, epochs: 4, peak: 3, trainingEpochs: 4);
        Assert.Empty(ArtifactVerifier.Verify(dir));
        string path = Path.Combine(dir, "metrics", "complete_summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        breakIt(summary);
        File.WriteAllText(path, summary.ToJsonString());
        var problems = ArtifactVerifier.Verify(dir);
        Assert.True(problems.Any(p => p.Contains(expected)), $"{name}: expected '{expected}' in:\n{string.Join("\n", problems)}");
    }
}
