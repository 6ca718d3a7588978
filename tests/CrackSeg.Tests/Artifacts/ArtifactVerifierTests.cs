using System.Collections.Specialized;
using CrackSeg.Artifacts;
using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;
using TorchSharp.PyBridge;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>One valid folder, made by a real (tiny) training loop through the saver and the checkpoint store.</summary>
public sealed class ValidExperimentFixture : IDisposable
{
    private readonly TempDir _tmp = new();
    public ValidExperimentFixture() => Root = BuildValidFolder(_tmp.Path, epochs: 4, peak: 3, trainingEpochs: 4);
    public string Root { get; }
    public void Dispose() => _tmp.Dispose();
}

public class ArtifactVerifierTests(ValidExperimentFixture valid) : IClassFixture<ValidExperimentFixture>
{
    [Fact]
    public void AFolderWrittenBySaverAndStoreIsValid()
    {
        Assert.Empty(ArtifactVerifier.Verify(valid.Root));
        var folder = ExperimentFolder.Open(valid.Root);
        Assert.Equal([3, 4], folder.EpochCheckpoints().Select(c => c.Epoch)); // keep_last 2
        using var best = CheckpointStore.Load(folder.BestModel);
        Assert.Equal(3, best.Epoch);
    }

    [Fact]
    public void AnEarlyStoppedRunAndOneValidatedEveryOtherEpochAreValid()
    {
        using var tmp = new TempDir();
        string early = BuildValidFolder(Path.Combine(tmp.Path, "a"), epochs: 4, peak: 2, finalStatus: RunStatus.EarlyStopped, trainingEpochs: 10);
        Assert.Empty(ArtifactVerifier.Verify(early));
        string sparse = BuildValidFolder(Path.Combine(tmp.Path, "b"), epochs: 5, valEvery: 2, trainingEpochs: 5,
            checkpointConfig: new CheckpointConfig { Every = 2, KeepLast = 1 });
        Assert.Empty(ArtifactVerifier.Verify(sparse));
    }

    [Fact]
    public void AFolderThatCrashedMidRunIsValidUpToItsLastEpoch()
    {
        using var tmp = new TempDir();
        string root = BuildValidFolder(tmp.Path, epochs: 2, finalStatus: RunStatus.Running, trainingEpochs: 6);
        Assert.Empty(ArtifactVerifier.Verify(root));
    }

    public static TheoryData<string, Action<ExperimentFolder>, string> Breakages => new()
    {
        { "missing epoch line", f => RewriteLines(f.MetricsJsonl, l => l.Where((_, i) => i != 1)), "line 2 holds epoch 3, expected 2" },
        { "duplicate epoch line", f => RewriteLines(f.MetricsJsonl, l => l.Take(2).Append(l[1]).Concat(l.Skip(2))), "epoch 2 appears more than once" },
        { "NaN in metrics.jsonl", f => Replace(f.MetricsJsonl, "\"val_loss\":0.3", "\"val_loss\":NaN"), "metrics/metrics.jsonl line 1: not valid JSON" },
        { "number written as string", f => Replace(f.MetricsJsonl, "\"train_loss\":0.9,", "\"train_loss\":\"0.9\","), "'train_loss' should be a number" },
        { "torn last line", f => File.WriteAllText(f.MetricsJsonl, File.ReadAllText(f.MetricsJsonl)[..^30]), "not newline-terminated" },
        { "summary key missing", f => Replace(f.CompleteSummaryJson, "\"best_epoch\": 3,", ""), "missing key 'best_epoch'" },
        { "summary int as float", f => Replace(f.CompleteSummaryJson, "\"training_epochs\": 4,", "\"training_epochs\": 4.0,"), "'training_epochs' should be an integer" },
        { "summary hardware key missing", f => Replace(f.CompleteSummaryJson, "\"gpu_name\": \"CPU\",", ""), "hardware_info: missing key 'gpu_name'" },
        { "timestamp without offset", f => StripSummaryTimestampOffset(f.CompleteSummaryJson), "complete_summary.json: timestamp" },
        { "best epoch not the best", f => Replace(f.CompleteSummaryJson, "\"best_epoch\": 3,", "\"best_epoch\": 2,"), "best_epoch 2 (val_iou 0.52) is not the best" },
        { "final metrics not the last epoch", f => ReplaceInFinal(f.CompleteSummaryJson), "final_metrics: val_iou is 0.9 but metrics.jsonl epoch 4 has" },
        { "epochs_completed wrong", f => Replace(f.CompleteSummaryJson, "\"epochs_completed\": 4,", "\"epochs_completed\": 5,"), "epochs_completed is 5" },
        { "completed but short", f => RewriteLines(f.MetricsJsonl, l => l.Take(3)), "status is completed but 3 of 4 epochs" },
        { "best_validation epoch differs", f => Replace(f.ValidationMetricsJson, "\"epoch\": 3,", "\"epoch\": 4,"), "best_validation.epoch is 4 but complete_summary's best_epoch is 3" },
        { "final_results.yaml edited", f => Replace(f.FinalResultsYaml, "val_iou: ", "val_iou: 0.99\nold_val_iou: "), "final_results.yaml: val_iou is 0.99" },
        { "final_results.yaml float PyYAML reads as string", f => Replace(f.FinalResultsYaml, "val_recall: 0.7", "val_recall: 7e-1"), "not a plain YAML float" },
        { "training.log missing", f => File.Delete(f.TrainingLog), "logs/training.log: missing" },
        { "splits.json missing", f => File.Delete(f.SplitsJson), "splits.json: missing" },
        { "config.yaml broken", f => File.WriteAllText(f.ConfigYaml, "training: [unclosed"), "config.yaml: not valid YAML" },
        { "root best model missing", f => File.Delete(f.BestModel), "best_model.pth: missing" },
        { "best models differ", f => File.Copy(f.EpochCheckpoint(4), f.BestModel, overwrite: true), "best_model.pth: holds epoch 4, expected 3" },
        { "truncated checkpoint", f => Truncate(f.EpochCheckpoint(4)), "checkpoints/epoch_4.pth: checkpoint" },
        { "newest checkpoint lost", f => File.Delete(f.EpochCheckpoint(4)), "newest epoch checkpoint is epoch_3.pth, expected epoch_4.pth" },
        { "checkpoint without keys", f => WriteBareStateDict(f.EpochCheckpoint(4)), "missing keys: epoch, global_step" },
        { "non-finite weights", f => WriteNaNCheckpoint(f), "non-finite values in conv1.weight" },
        { "metrics.jsonl missing", f => File.Delete(f.MetricsJsonl), "metrics/metrics.jsonl: missing" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void EachKindOfBreakageIsReported(string name, Action<ExperimentFolder> breakIt, string expected)
    {
        using var tmp = new TempDir();
        string copy = Path.Combine(tmp.Path, "broken");
        CopyDirectory(valid.Root, copy);
        breakIt(ExperimentFolder.Open(copy));
        var problems = ArtifactVerifier.Verify(copy);
        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)),
            $"{name}: expected a problem containing \"{expected}\", got:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void AMissingFolderIsOneProblem() =>
        Assert.Equal(["'/nonexistent/x' does not exist"], ArtifactVerifier.Verify("/nonexistent/x"));

    [Fact]
    public void AnEmptyFolderListsEveryMissingFile()
    {
        using var tmp = new TempDir();
        var problems = ArtifactVerifier.Verify(tmp.Path);
        foreach (var file in new[] { "metrics/complete_summary.json", "metrics/metrics.jsonl", "metrics/validation_metrics.json", "logs/training.log", "final_results.yaml", "config.yaml", "splits.json" })
            Assert.Contains(problems, p => p.StartsWith(file + ": missing", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path)); // verifying changes nothing
    }

    private static void Replace(string path, string from, string to)
    {
        string text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    private static void ReplaceInFinal(string summary)
    {
        string text = File.ReadAllText(summary);
        int final = text.IndexOf("\"val_iou\"", text.IndexOf("final_metrics", StringComparison.Ordinal), StringComparison.Ordinal);
        int end = text.IndexOf(',', final);
        File.WriteAllText(summary, text[..final] + "\"val_iou\": 0.9" + text[end..]);
    }

    private static void StripSummaryTimestampOffset(string summary) =>
        File.WriteAllText(summary, System.Text.RegularExpressions.Regex.Replace(
            File.ReadAllText(summary), "(\"timestamp\": \"[^\"]+?)(Z|[+-]\\d\\d:\\d\\d)\"", "$1\""));

    private static void RewriteLines(string path, Func<string[], IEnumerable<string>> edit) =>
        File.WriteAllLines(path, edit(File.ReadAllLines(path)));

    private static void Truncate(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
    }

    private static void WriteBareStateDict(string path)
    {
        using var net = new TinyNet();
        File.Delete(path);
        net.save_py(path);
    }

    private static void WriteNaNCheckpoint(ExperimentFolder f)
    {
        using var scope = NewDisposeScope();
        using var loaded = CheckpointStore.Load(f.EpochCheckpoint(4));
        var state = loaded.ModelState.ToDictionary(kv => kv.Key, kv => kv.Key == "conv1.weight" ? full_like(kv.Value, double.NaN) : kv.Value);
        CheckpointStore.Save(f.EpochCheckpoint(4), new Checkpoint
        {
            Epoch = loaded.Epoch, GlobalStep = loaded.GlobalStep, ModelState = state, OptimizerState = loaded.OptimizerState,
            Metrics = loaded.Metrics, BestMetric = loaded.BestMetric, BestEpoch = loaded.BestEpoch, ConfigYaml = loaded.ConfigYaml,
            EarlyStopping = loaded.EarlyStopping, Plateau = loaded.Plateau, History = loaded.History, Seed = loaded.Seed,
            TotalTrainingTimeS = loaded.TotalTrainingTimeS,
        });
    }
}
