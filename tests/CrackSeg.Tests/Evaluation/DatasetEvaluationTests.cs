using System.Text.Json;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Evaluation;
using CrackSeg.Reporting;
using CrackSeg.Tests.TestSupport;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Evaluation;

/// <summary>
/// `evaluate --split all`: every pair of a dataset the experiment never saw, in any layout the loader reads, without a
/// train split or the experiment's splits.json; results in DIR/evaluation/&lt;dataset&gt;/ beside the test split's.
/// </summary>
[Collection(TrainedExperimentCollection.Name)]
public sealed class DatasetEvaluationTests(TrainedExperimentFixture fixture)
{
    private const int Width = 96, Height = 64;

    [Fact]
    public void ASplitFolderDatasetWithoutTrainSplit_IsEvaluatedWhole_WithTta_BesideTheTestEvaluation()
    {
        using var temp = new TempDir();
        string experiment = fixture.CopyExperiment();
        File.Delete(Path.Combine(experiment, "splits.json")); // not needed for a whole dataset
        string foreign = Path.Combine(temp.Path, "cracks-b");
        SyntheticCracks.Generate(Path.Combine(foreign, "test"), 3, Width, Height, seed: 21);
        SyntheticCracks.Generate(Path.Combine(foreign, "val"), 2, Width, Height, seed: 22); // reuses the test/ stems
        string? testMetricsBefore = ReadIfExists(Path.Combine(experiment, "metrics", "test_metrics.json"));

        var outcome = Evaluate(new EvaluationOptions { Experiment = experiment, Split = "all", DataRoot = foreign, Tta = "flip", Overlays = 1 });

        Assert.Equal(Path.Combine(experiment, "evaluation", "cracks-b"), outcome.OutputDir);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.OutputDir, "metrics.json")));
        var root = doc.RootElement;
        Assert.Equal("all", root.GetProperty("split").GetString());
        Assert.Equal("cracks-b", root.GetProperty("dataset_name").GetString());
        Assert.Equal(foreign, root.GetProperty("data_root").GetString());
        Assert.Equal(5, root.GetProperty("image_count").GetInt32());
        Assert.Equal(5L * Width * Height, root.GetProperty("pixels").GetInt64());
        Assert.Equal("flip", root.GetProperty("tta").GetString());
        Assert.Equal(3, root.GetProperty("tta_passes").GetInt32());
        Assert.InRange(root.GetProperty("tta_time_factor").GetDouble(), 1.0001, 20); // measured on the CPU: about 3

        // Stems are qualified by their folder, and each image is scored against its own folder's mask.
        var stems = outcome.Report.Images.Select(i => i.Stem).ToList();
        Assert.Equal(3, stems.Count(s => s.StartsWith("test/", StringComparison.Ordinal)));
        Assert.Equal(2, stems.Count(s => s.StartsWith("val/", StringComparison.Ordinal)));
        Assert.Equal(5, stems.Distinct().Count());
        foreach (var image in outcome.Report.Images)
        {
            var (crack, pixels) = EvaluationTestFiles.MaskCounts(Path.Combine(foreign, image.Stem.Split('/')[0], "masks", image.Stem.Split('/')[1] + ".png"));
            Assert.Equal(pixels, image.Counts.Pixels);
            Assert.Equal(crack, image.Counts.TargetPositives);
        }
        Assert.Equal(6, File.ReadAllLines(Path.Combine(outcome.OutputDir, "per_image.csv")).Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outcome.OutputDir, "overlays"), "*.png").Length);
        Assert.Equal(testMetricsBefore, ReadIfExists(Path.Combine(experiment, "metrics", "test_metrics.json")));

        // Evaluate scores what predict's TTA path gives (the same TestTimeAugmentation on the whole image).
        using var model = TrainedModel.FromExperiment(experiment, "best", "cpu", RunLog.Silent);
        var tiler = new TiledInference(model.Model, tile: 512, overlap: 0, tta: new TestTimeAugmentation(TtaMode.Flip));
        foreach (var image in outcome.Report.Images)
        {
            using var scope = NewDisposeScope();
            string file = Path.Combine(foreign, image.Stem.Split('/')[0], "images", image.Stem.Split('/')[1] + ".png");
            using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(file);
            var rgb = new byte[decoded.Width * decoded.Height * 3];
            decoded.CopyPixelDataTo(rgb);
            long predicted = tiler.ProbabilitiesUntiled(ImageTensors.Normalised(rgb, decoded.Height, decoded.Width, CPU)).ge(outcome.Report.Threshold).sum().item<long>();
            Assert.InRange(predicted, image.Counts.PredictedPositives - 2, image.Counts.PredictedPositives + 2);
        }
    }

    [Fact]
    public void Predict_WithTta_WritesTheAveragedProbabilities_AndReportsItsCost()
    {
        using var temp = new TempDir();
        string input = Path.Combine(temp.Path, "in");
        SyntheticCracks.Generate(input, 1, Width, Height, seed: 31);
        using var model = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        var summary = new Predictor(model, RunLog.Silent).Run(new PredictOptions
        {
            Input = Path.Combine(input, "images"), Output = Path.Combine(temp.Path, "out"), Tile = 64, Overlap = 32, Tta = "d4",
        });
        Assert.Equal((TtaMode.D4, 8), (summary.Tta, summary.TtaPasses));
        Assert.True(summary.TtaTimeFactor > 1, $"{summary.TtaTimeFactor}");

        var file = Assert.Single(summary.Processed);
        var written = EvaluationTestFiles.GreyPixels(file.Probability, out _, out _);
        using var scope = NewDisposeScope();
        using var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(file.Input);
        var rgb = new byte[decoded.Width * decoded.Height * 3];
        decoded.CopyPixelDataTo(rgb);
        var tiler = new TiledInference(model.Model, tile: 64, overlap: 32, tta: new TestTimeAugmentation(TtaMode.D4));
        var expected = ImageTensors.GreyBytes(tiler.Probabilities(ImageTensors.Normalised(rgb, Height, Width, CPU)).mul(255));
        Assert.Equal(expected, written);
        var plain = ImageTensors.GreyBytes(new TiledInference(model.Model, tile: 64, overlap: 32).Probabilities(ImageTensors.Normalised(rgb, Height, Width, CPU)).mul(255));
        Assert.NotEqual(plain, written); // the augmentation changed the output
    }

    [Fact]
    public void AllPairsOfTheRecordedFlatDataset_GoToTheirOwnFolder_AndReportAndCompareShowThem()
    {
        string experiment = fixture.CopyExperiment();
        var whole = Evaluate(new EvaluationOptions { Experiment = experiment, Split = "all", Overlays = 0 });
        var test = Evaluate(new EvaluationOptions { Experiment = experiment, Overlays = 0 });

        Assert.Equal(Path.Combine(experiment, "evaluation", "data"), whole.OutputDir); // the dataset's folder name
        Assert.Equal(Path.Combine(experiment, "evaluation"), test.OutputDir);         // unchanged for the test split
        Assert.Equal(16, whole.Report.ImageCount);                                     // train, val and test
        Assert.Equal(4, test.Report.ImageCount);
        Assert.Empty(CrackSeg.Artifacts.ArtifactVerifier.Verify(experiment)); // `artifacts verify` still passes
        Assert.Equal("none", JsonDocument.Parse(File.ReadAllText(Path.Combine(test.OutputDir, "metrics.json"))).RootElement.GetProperty("tta").GetString());

        var run = ExperimentRecord.Load(experiment);
        Assert.NotNull(run.Evaluation);
        var data = Assert.Single(run.DatasetEvaluations);
        Assert.Equal("data", data.DatasetName);
        Assert.Equal(whole.Report.Sweep.Ods.F, data.Ods!.Value, 12);

        string ods = whole.Report.Sweep.Ods.F.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
        string report = File.ReadAllText(ReportBuilder.Build(experiment, null).HtmlPath);
        Assert.Contains("Evaluation on data", report);
        Assert.Contains(ods, report);
        using var temp = new TempDir();
        string comparison = File.ReadAllText(CompareBuilder.Build([experiment, fixture.ExperimentDir], Path.Combine(temp.Path, "cmp.html")).HtmlPath);
        Assert.Contains("Test ODS", comparison);
        Assert.Contains(ods, comparison);
    }

    [Fact]
    public void BadDatasets_AreInputExceptionsNamingThem()
    {
        using var temp = new TempDir();
        string missing = Path.Combine(temp.Path, "nowhere");
        Assert.Contains(missing, AssertInput(new EvaluationOptions { Experiment = fixture.ExperimentDir, Split = "all", DataRoot = missing }));

        string empty = Directory.CreateDirectory(Path.Combine(temp.Path, "empty")).FullName;
        Assert.Contains("holds no dataset", AssertInput(new EvaluationOptions { Experiment = fixture.ExperimentDir, Split = "all", DataRoot = empty }));

        string noMasks = Path.Combine(temp.Path, "no-masks");
        SyntheticCracks.Generate(Path.Combine(noMasks, "test"), 1, Width, Height, seed: 3);
        Directory.Delete(Path.Combine(noMasks, "test", "masks"), recursive: true);
        Assert.Contains(Path.Combine(noMasks, "test", "masks"), AssertInput(new EvaluationOptions { Experiment = fixture.ExperimentDir, Split = "all", DataRoot = noMasks }));

        Assert.Contains("--tta", AssertInput(new EvaluationOptions { Experiment = fixture.ExperimentDir, Tta = "rot90" }));
        Assert.Contains("test | val | all", AssertInput(new EvaluationOptions { Experiment = fixture.ExperimentDir, Split = "train" }));
        Assert.False(Directory.Exists(Path.Combine(fixture.ExperimentDir, "evaluation", "nowhere")));
    }

    [Fact]
    public void DatasetFolderNames_StayInsideTheEvaluationFolder()
    {
        Assert.Equal("CrackForest", EvaluationData.FolderName("CrackForest"));
        Assert.Equal("overlays_dataset", EvaluationData.FolderName("overlays"));
        Assert.Equal("a_b", EvaluationData.FolderName("a/b"));
        Assert.Equal("dataset", EvaluationData.FolderName(".."));
    }

    [Fact]
    public void Cli_BadSplitTtaOrData_ExitWithTwo()
    {
        using var temp = new TempDir();
        var split = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--split", "everything");
        Assert.Equal(2, split.ExitCode);
        Assert.Contains("--split", split.Output + split.Error);
        var tta = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--tta", "rot90");
        Assert.Equal(2, tta.ExitCode);
        Assert.Contains("--tta", tta.Output + tta.Error);
        string missing = Path.Combine(temp.Path, "nowhere");
        var data = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--split", "all", "--data", missing);
        Assert.Equal(2, data.ExitCode);
        Assert.Contains(missing, data.Output + data.Error);
        var predict = CliRunner.Run("predict", "--experiment", fixture.ExperimentDir, "--input", fixture.DataRoot, "--output", Path.Combine(temp.Path, "out"), "--tta", "d8");
        Assert.Equal(2, predict.ExitCode);
        Assert.Contains("--tta", predict.Output + predict.Error);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "out")));
        var noValue = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--tta");
        Assert.Equal(2, noValue.ExitCode);
    }

    private static EvaluationOutcome Evaluate(EvaluationOptions options) => new Evaluator(RunLog.Silent).Run(options);

    private static string AssertInput(EvaluationOptions options) => Assert.Throws<InputException>(() => Evaluate(options)).Message;

    private static string? ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
}
