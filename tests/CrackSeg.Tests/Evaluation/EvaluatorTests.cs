using System.Globalization;
using System.Text.Json;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Evaluation;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Evaluation;

/// <summary>`evaluate` on a tiny trained experiment: every file, its keys and types, and the numbers' consistency.</summary>
[Collection(TrainedExperimentCollection.Name)]
public sealed class EvaluatorTests(TrainedExperimentFixture fixture)
{
    private const int TestImages = 4;
    private static readonly string[] MetricNames = ["iou", "dice", "f1", "precision", "recall", "accuracy"];

    /// <summary>The fixture's evaluation folder (running the evaluation first, when no test has yet).</summary>
    private string EvaluationDir => fixture.Evaluation.OutputDir;

    [Fact]
    public void MetricsJson_HasEveryKeyWithItsType()
    {
        var outcome = fixture.Evaluation;
        Assert.Equal(Path.Combine(fixture.ExperimentDir, "evaluation"), outcome.OutputDir);
        string text = File.ReadAllText(Path.Combine(EvaluationDir, "metrics.json"));
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;

        Assert.Equal("crackseg-evaluation/1", root.GetProperty("format").GetString());
        Assert.Equal(fixture.ExperimentDir, root.GetProperty("experiment").GetString());
        Assert.Equal("test", root.GetProperty("split").GetString());
        Assert.Equal(TestImages, root.GetProperty("image_count").GetInt32());
        Assert.Equal(TestImages * TrainedExperimentFixture.ImageWidth * TrainedExperimentFixture.ImageHeight, root.GetProperty("pixels").GetInt64());
        Assert.Equal(Path.Combine(fixture.ExperimentDir, "best_model.pth"), root.GetProperty("checkpoint").GetString());
        Assert.Equal("best", root.GetProperty("checkpoint_choice").GetString());
        Assert.Equal("crackseg", root.GetProperty("checkpoint_kind").GetString());
        Assert.Equal(TrainedExperimentFixture.Epochs, root.GetProperty("checkpoint_epoch").GetInt32());
        Assert.Equal(0.5, root.GetProperty("threshold").GetDouble());
        Assert.Equal(256, root.GetProperty("histogram_bins").GetInt32());
        Assert.Equal(2, root.GetProperty("tolerance_px").GetInt32());
        Assert.Equal(fixture.DataRoot, root.GetProperty("data_root").GetString());
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.True(ArtifactFormat.TryParseTimestamp(root.GetProperty("evaluated_at").GetString()!, out _));
        Assert.True(root.GetProperty("seconds").GetDouble() > 0);
        Assert.True(root.GetProperty("images_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("loss").GetDouble() > 0);
        // Floats keep a decimal point (Python reads 0.5, never the int 0 or 1).
        Assert.Contains("\"threshold\": 0.5,", text);
        Assert.DoesNotContain("\\u002B", text); // a readable "+01:00", not JSON-escaped

        foreach (string group in new[] { "dataset", "per_image_mean" })
            foreach (string metric in MetricNames)
                AssertProbability(root.GetProperty(group).GetProperty(metric));
        foreach (string key in new[] { "f1", "precision", "recall", "threshold" }) AssertProbability(root.GetProperty("ods").GetProperty(key));
        foreach (string key in new[] { "f1", "f1_pooled" }) AssertProbability(root.GetProperty("ois").GetProperty(key));
        foreach (string key in new[] { "f1", "precision", "recall", "mean_f1" }) AssertProbability(root.GetProperty("tolerance").GetProperty(key));
        AssertProbability(root.GetProperty("ap"));
        AssertProbability(root.GetProperty("cldice"));

        // The sweep: every threshold k/256 ascending, with counts that shrink as the threshold rises.
        var sweep = root.GetProperty("sweep").EnumerateArray().ToList();
        Assert.Equal(257, sweep.Count);
        for (int k = 0; k < sweep.Count; k++)
        {
            Assert.Equal(k / 256.0, sweep[k].GetProperty("threshold").GetDouble(), 7);
            foreach (string key in new[] { "precision", "recall", "f1" }) AssertProbability(sweep[k].GetProperty(key));
            if (k > 0) Assert.True(sweep[k].GetProperty("tp").GetInt64() <= sweep[k - 1].GetProperty("tp").GetInt64());
            if (k > 0) Assert.True(sweep[k].GetProperty("fp").GetInt64() <= sweep[k - 1].GetProperty("fp").GetInt64());
        }
        // At t = 0 everything is predicted: recall 1 and no false negatives.
        Assert.Equal(0, sweep[0].GetProperty("fn").GetInt64());
        Assert.Equal(1.0, sweep[0].GetProperty("recall").GetDouble());
        // The sweep row at the operating threshold (0.5 = 128/256) is the dataset's own confusion.
        Assert.Equal(root.GetProperty("dataset").GetProperty("f1").GetDouble(), sweep[128].GetProperty("f1").GetDouble(), 12);
    }

    [Fact]
    public void SweepScores_AreConsistentWithTheThresholdMetrics()
    {
        var r = fixture.Evaluation.Report;
        // ODS is the best dataset F over thresholds that include 0.5; OIS the mean of per-image bests.
        Assert.True(r.Sweep.Ods.F >= r.Metrics.F1 - 1e-12, $"ODS {r.Sweep.Ods.F} < F1@0.5 {r.Metrics.F1}");
        Assert.True(r.Sweep.Ois >= r.Metrics.MeanF1 - 1e-12, $"OIS {r.Sweep.Ois} < mean F1@0.5 {r.Metrics.MeanF1}");
        Assert.Equal(r.Images.Average(i => i.Best.F), r.Sweep.Ois!.Value, 12);
        foreach (var image in r.Images) Assert.True(image.Best.F >= image.Counts.F1 - 1e-12);
        // A tolerance can only match more pixels than exact overlap.
        Assert.True(r.Tolerance.F >= r.Metrics.F1 - 1e-12, $"F@2px {r.Tolerance.F} < F1 {r.Metrics.F1}");
    }

    [Fact]
    public void PerImageCsv_HasOneRowPerTestImage_WithTheMasksCrackRatio()
    {
        var splits = SplitsFile.Read(Path.Combine(fixture.ExperimentDir, "splits.json"));
        var lines = File.ReadAllLines(Path.Combine(EvaluationDir, "per_image.csv"));
        Assert.Equal("stem,iou,f1,precision,recall,crack_ratio,tolerance_f1,cldice,best_f1,best_threshold", lines[0]);
        Assert.Equal(TestImages + 1, lines.Length);
        Assert.Equal(splits.Test.Order(StringComparer.Ordinal), lines.Skip(1).Select(l => l.Split(',')[0]));

        var report = fixture.Evaluation.Report;
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            Assert.Equal(10, cells.Length);
            var values = cells.Skip(1).Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            Assert.All(values, v => Assert.InRange(v, 0.0, 1.0));
            var (crack, pixels) = EvaluationTestFiles.MaskCounts(Path.Combine(fixture.DataRoot, "masks", cells[0] + ".png"));
            Assert.Equal((double)crack / pixels, values[4], 6);
            Assert.Equal(report.Images[i - 1].Counts.F1, values[1], 6);
        }
    }

    [Fact]
    public void Metrics_CountOnlyImageContent_NotTheBatchPadding()
    {
        // 144×72 images are padded to 160×96 in evaluation batches; every image is scored on its own pixels.
        var report = fixture.Evaluation.Report;
        foreach (var image in report.Images)
        {
            Assert.Equal(TrainedExperimentFixture.ImageWidth * TrainedExperimentFixture.ImageHeight, image.Counts.Pixels);
            var (crack, _) = EvaluationTestFiles.MaskCounts(Path.Combine(fixture.DataRoot, "masks", image.Stem + ".png"));
            Assert.Equal(crack, image.Counts.TargetPositives);
        }
        Assert.Equal(report.Images.Sum(i => i.Counts.Pixels), report.Metrics.Histogram.TotalPositive + report.Metrics.Histogram.TotalNegative);
    }

    [Fact]
    public void PredictedPixels_MatchAnIndependentForwardPassOfEachImage()
    {
        var report = fixture.Evaluation.Report;
        using var model = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        var tiler = new TiledInference(model.Model, tile: 512, overlap: 0);
        foreach (var image in report.Images)
        {
            using var scope = NewDisposeScope();
            using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Path.Combine(fixture.DataRoot, "images", image.Stem + ".png"));
            var rgb = new byte[decoded.Width * decoded.Height * 3];
            decoded.CopyPixelDataTo(rgb);
            var probabilities = tiler.ProbabilitiesUntiled(ImageTensors.Normalised(rgb, decoded.Height, decoded.Width, CPU));
            long predicted = probabilities.ge(report.Threshold).sum().item<long>();
            // Evaluation pads with the mean colour as bytes (≈ 0.005 after normalisation), this pass with exact 0:
            // logits near the padded border may move a hair, so a few pixels at the threshold may flip.
            Assert.InRange(predicted, image.Counts.PredictedPositives - 5, image.Counts.PredictedPositives + 5);
        }
    }

    [Fact]
    public void PrCurveAndOverlays_AreDecodablePngs()
    {
        int colours = EvaluationTestFiles.DistinctColours(Path.Combine(EvaluationDir, "pr_curve.png"), out int w, out int h);
        Assert.Equal((1120, 1040), (w, h));
        Assert.True(colours > 50, $"pr_curve.png has only {colours} colours");

        var report = fixture.Evaluation.Report;
        var ranked = report.Images.OrderByDescending(i => i.Counts.F1).ThenBy(i => i.Stem, StringComparer.Ordinal).ToList();
        var overlays = Directory.GetFiles(Path.Combine(EvaluationDir, "overlays")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([$"best_01_{ranked[0].Stem}.png", $"worst_01_{ranked[^1].Stem}.png"], overlays);
        foreach (string file in overlays)
        {
            EvaluationTestFiles.DistinctColours(Path.Combine(EvaluationDir, "overlays", file), out int ow, out int oh);
            Assert.Equal((TrainedExperimentFixture.ImageWidth, TrainedExperimentFixture.ImageHeight), (ow, oh));
        }
        Assert.Equal(
            new[] { "metrics.json", "per_image.csv", "pr_curve.png" }.Select(f => Path.Combine(EvaluationDir, f))
                .Append(Path.Combine(fixture.ExperimentDir, "metrics", "test_metrics.json"))
                .Concat(overlays.Select(f => Path.Combine(EvaluationDir, "overlays", f))),
            fixture.Evaluation.Files);
    }

    [Fact]
    public void TestMetricsJson_HasThePythonReportingKeys()
    {
        var report = fixture.Evaluation.Report;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.ExperimentDir, "metrics", "test_metrics.json")));
        var root = doc.RootElement;
        foreach (string key in new[] { "test_loss", "test_iou", "test_f1", "test_precision", "test_recall", "test_dice", "test_accuracy",
                     "test_mean_iou", "test_mean_f1", "test_ods", "test_ods_threshold", "test_ois", "test_ap", "test_tolerance_f1", "test_cldice", "threshold" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(key).ValueKind);
        Assert.Equal(TestImages, root.GetProperty("num_images").GetInt32());
        Assert.Equal(report.Metrics.Iou, root.GetProperty("test_iou").GetDouble(), 15);
        Assert.Equal(report.Sweep.Ods.F, root.GetProperty("test_ods").GetDouble(), 15);
        Assert.Equal(report.Sweep.AveragePrecision, root.GetProperty("test_ap").GetDouble(), 15);
    }

    [Fact]
    public void PythonCheckpointDict_EvaluatesToTheSameNumbers()
    {
        // Evaluate first, so the copy carries the fixture's evaluation (with overlays) whatever the test order.
        var expected = fixture.Evaluation.Report;
        string copy = fixture.CopyExperiment();
        string python = Path.Combine(copy, "python_checkpoint.pth");
        EvaluationTestFiles.WriteVariant(Path.Combine(copy, "best_model.pth"), python, pythonDict: true, epoch: 3);

        var outcome = new Evaluator(RunLog.Silent).Run(new EvaluationOptions { Experiment = copy, Checkpoint = python, Overlays = 0 });

        Assert.Equal(CheckpointKind.PythonDict, outcome.Report.Checkpoint.Kind);
        Assert.Equal(3, outcome.Report.Checkpoint.Epoch);
        Assert.Equal(expected.Metrics.Total, outcome.Report.Metrics.Total);
        Assert.Equal(expected.Sweep.Ods, outcome.Report.Sweep.Ods);
        Assert.Equal(expected.Sweep.AveragePrecision, outcome.Report.Sweep.AveragePrecision);
        // The copy carried the fixture's evaluation; overlays 0 removes its stale overlay images.
        Assert.Empty(Directory.GetFiles(Path.Combine(outcome.OutputDir, "overlays")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.OutputDir, "metrics.json")));
        Assert.Equal("python_dict", doc.RootElement.GetProperty("checkpoint_kind").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("checkpoint_epoch").GetInt32());
    }

    [Theory]
    [InlineData(false, "")]
    [InlineData(false, "module.")]
    [InlineData(true, "model.")]
    public void BareAndPrefixedStateDicts_RestoreTheSameWeights(bool pythonDict, string prefix)
    {
        using var temp = new TestSupport.TempDir();
        string file = Path.Combine(temp.Path, "weights.pth");
        EvaluationTestFiles.WriteVariant(Path.Combine(fixture.ExperimentDir, "best_model.pth"), file, pythonDict, k => prefix + k);

        using var expected = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        using var loaded = TrainedModel.FromExperiment(fixture.ExperimentDir, file, "cpu", RunLog.Silent);

        Assert.Equal(pythonDict ? CheckpointKind.PythonDict : CheckpointKind.StateDict, loaded.Checkpoint.Kind);
        var a = expected.Model.state_dict();
        var b = loaded.Model.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys) Assert.True(a[key].Equals(b[key]), key);
    }

    [Fact]
    public void CheckpointLast_IsTheNewestEpochFile()
    {
        var folder = ExperimentFolder.Open(fixture.ExperimentDir);
        var (path, choice) = TrainedModel.ResolveCheckpoint(folder, "last");
        Assert.Equal(folder.EpochCheckpoint(TrainedExperimentFixture.Epochs), path);
        Assert.Equal("last", choice);
        Assert.Equal((folder.BestModel, "best"), TrainedModel.ResolveCheckpoint(folder, null));
    }

    [Fact]
    public void BadInput_IsAnInputExceptionNamingIt()
    {
        using var temp = new TestSupport.TempDir();
        string missing = Path.Combine(temp.Path, "no-such-experiment");
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = missing }), missing);
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = fixture.ExperimentDir, Split = "train" }), "--split");
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = fixture.ExperimentDir, Threshold = 1.5 }), "--threshold");
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = fixture.ExperimentDir, DataRoot = missing }), missing);
        string noCheckpoint = Path.Combine(temp.Path, "nothing.pth");
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = fixture.ExperimentDir, Checkpoint = noCheckpoint }), noCheckpoint);

        string noConfig = fixture.CopyExperiment();
        File.Delete(Path.Combine(noConfig, "config.yaml"));
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = noConfig }), "config.yaml");

        string noSplits = fixture.CopyExperiment();
        File.Delete(Path.Combine(noSplits, "splits.json"));
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = noSplits }), "splits.json");

        string noEpochs = fixture.CopyExperiment();
        foreach (string f in Directory.GetFiles(Path.Combine(noEpochs, "checkpoints"), "epoch_*.pth")) File.Delete(f);
        AssertInput(() => Evaluate(new EvaluationOptions { Experiment = noEpochs, Checkpoint = "last" }), "epoch_N.pth");
    }

    [Fact]
    public void BadCheckpointFiles_AreInputExceptionsNamingTheFileAndTheProblem()
    {
        using var temp = new TestSupport.TempDir();
        string best = Path.Combine(fixture.ExperimentDir, "best_model.pth");

        string text = temp.File("text.pth", "this is not a checkpoint");
        var e = AssertInput(() => TrainedModel.FromExperiment(fixture.ExperimentDir, text, "cpu", RunLog.Silent), text);
        Assert.Contains("not a readable PyTorch file", e.Message);

        string renamed = Path.Combine(temp.Path, "renamed.pth");
        EvaluationTestFiles.WriteVariant(best, renamed, pythonDict: true, k => k.Replace("bottleneck.", "aspp."));
        e = AssertInput(() => TrainedModel.FromExperiment(fixture.ExperimentDir, renamed, "cpu", RunLog.Silent), renamed);
        Assert.Contains("does not fit the model", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Contains("aspp.", e.Message);

        string noWeights = Path.Combine(temp.Path, "no-weights.pth");
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(noWeights, new System.Collections.Specialized.OrderedDictionary { ["epoch"] = 1, ["note"] = "hi" });
        e = AssertInput(() => TrainedModel.FromExperiment(fixture.ExperimentDir, noWeights, "cpu", RunLog.Silent), noWeights);
        Assert.Contains("holds no model weights", e.Message);
        Assert.Contains("epoch", e.Message);

        // A checkpoint of another model configuration: names fit, shapes do not.
        string otherModel = fixture.CopyExperiment();
        string configPath = Path.Combine(otherModel, "config.yaml");
        var config = CrackSeg.Config.ConfigLoader.LoadSaved(configPath);
        File.WriteAllText(configPath, CrackSeg.Config.ConfigYaml.Serialize(config with { Model = config.Model with { AsppChannels = 32 } }));
        e = AssertInput(() => TrainedModel.FromExperiment(otherModel, null, "cpu", RunLog.Silent), "best_model.pth");
        Assert.Contains("shape mismatches", e.Message);
    }

    private static EvaluationOutcome Evaluate(EvaluationOptions options) => new Evaluator(RunLog.Silent).Run(options);

    private static InputException AssertInput(Func<object> action, string expectedInMessage)
    {
        var e = Assert.ThrowsAny<InputException>(() => { using var _ = action() as IDisposable; });
        Assert.Contains(expectedInMessage, e.Message);
        return e;
    }

    private static void AssertProbability(JsonElement value)
    {
        Assert.Equal(JsonValueKind.Number, value.ValueKind);
        Assert.InRange(value.GetDouble(), 0.0, 1.0);
    }
}
