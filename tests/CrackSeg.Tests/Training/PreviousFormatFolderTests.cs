using System.Collections.Specialized;
using System.Text.Json.Nodes;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Evaluation;
using CrackSeg.Reporting;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Training;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>
/// A folder written before the keys and files for the Python project's readers existed (no best_*/
/// final_loss/… in complete_summary.json, no model.name/data.dataset in config.yaml, no model_best.pth /
/// model_latest.pth, checkpoints whose `config` holds our own model section) still evaluates, reports and
/// resumes, and the resume brings it up to the current contract.
/// </summary>
[Collection(nameof(GlobalRandomStateCollection))]
public class PreviousFormatFolderTests
{
    private static void MakePreviousFormat(string dir)
    {
        var folder = ExperimentFolder.Open(dir);
        File.Delete(CheckpointAliases.ModelBest(folder));
        File.Delete(CheckpointAliases.ModelLatest(folder));

        var summary = JsonNode.Parse(File.ReadAllText(folder.CompleteSummaryJson))!.AsObject();
        foreach (var key in PythonReaderSchema.SummaryKeys) Assert.True(summary.Remove(key), key);
        File.WriteAllText(folder.CompleteSummaryJson, summary.ToJsonString());

        var yaml = File.ReadAllLines(folder.ConfigYaml).ToList();
        Assert.Equal(1, yaml.RemoveAll(l => l == "  name: SwinV2CnnAsppUNet"));
        Assert.Equal(1, yaml.RemoveAll(l => l.StartsWith("  dataset: ", StringComparison.Ordinal)));
        File.WriteAllLines(folder.ConfigYaml, yaml);

        foreach (var path in folder.EpochCheckpoints().Select(c => c.Path).Append(folder.CheckpointBestModel).Append(folder.BestModel))
            RewriteWithOwnConfigSection(path, string.Join("\n", yaml) + "\n");
    }

    /// <summary>The checkpoint as the previous format wrote it: `config` = the YAML as a dict, our model section included.</summary>
    private static void RewriteWithOwnConfigSection(string path, string configYaml)
    {
        using var scope = NewDisposeScope();
        using var checkpoint = CheckpointStore.Load(path);
        var dict = CheckpointCodec.Encode(new Checkpoint
        {
            Epoch = checkpoint.Epoch, GlobalStep = checkpoint.GlobalStep, ModelState = checkpoint.ModelState,
            OptimizerState = checkpoint.OptimizerState, Metrics = checkpoint.Metrics, BestMetric = checkpoint.BestMetric,
            BestEpoch = checkpoint.BestEpoch, ConfigYaml = configYaml, EarlyStopping = checkpoint.EarlyStopping,
            Plateau = checkpoint.Plateau, History = checkpoint.History, Seed = checkpoint.Seed,
            TotalTrainingTimeS = checkpoint.TotalTrainingTimeS,
        });
        dict["config"] = PickleValues.FromYaml(configYaml);
        Assert.Equal("nano", ((OrderedDictionary)((OrderedDictionary)dict["config"]!)["model"]!)["preset"]);
        var (pickle, storages) = TorchPickle.Write(dict);
        using var file = File.Create(path);
        new TorchZipArchive(pickle, storages).WriteTo(file);
    }

    [Fact]
    public void AFolderOfThePreviousFormatEvaluatesReportsAndResumes()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, epochs: 2);
        TrainingOutcome first;
        using (var log = new RunLog(LogLevel.Info, TextWriter.Null))
            first = new TrainingRun(log, new LogLineProgress(log, 10)).Run(new TrainingRequest(config) { StopAfterEpoch = 1 }, CancellationToken.None);
        string experiment = first.ExperimentDir;
        Assert.Empty(ArtifactVerifier.Verify(experiment));
        MakePreviousFormat(experiment);
        Assert.Contains(ArtifactVerifier.Verify(experiment), p => p.Contains("missing key 'best_iou'"));

        var evaluation = new Evaluator(RunLog.Silent).Run(new EvaluationOptions { Experiment = experiment, Overlays = 0 });
        Assert.True(File.Exists(Path.Combine(experiment, "metrics", "test_metrics.json")));
        Assert.NotEmpty(evaluation.Files);
        var (html, _) = ReportBuilder.Build(experiment, null);
        Assert.True(new FileInfo(html).Length > 0);

        TrainingOutcome resumed;
        using (var log = new RunLog(LogLevel.Info, TextWriter.Null))
            resumed = new TrainingRun(log, new LogLineProgress(log, 10)).Run(new TrainingRequest(config, experiment), CancellationToken.None);
        Assert.Equal(experiment, resumed.ExperimentDir);
        Assert.Equal(2, resumed.EpochsCompleted);
        Assert.Empty(ArtifactVerifier.Verify(experiment)); // summary keys, config keys and aliases are back
        Assert.Contains("  dataset: data", File.ReadAllLines(Path.Combine(experiment, "config.yaml")));
    }
}
