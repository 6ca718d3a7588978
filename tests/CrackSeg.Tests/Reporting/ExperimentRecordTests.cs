using CrackSeg.Common;
using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public class ExperimentRecordTests
{
    [Fact]
    public void ReadsEveryFileOfAGuideFolder()
    {
        using var fx = new FakeExperiment(epochs: 6, plannedEpochs: 10, bestEpoch: 5);
        var run = ExperimentRecord.Load(fx.Dir);

        Assert.Equal("swinv2_hybrid_256", run.Summary.ExperimentName);
        Assert.Equal("crackseg.model.SwinV2CnnAsppUNet", run.Summary.ModelType);
        Assert.Equal("seed", run.Preset);
        Assert.Equal(27_612_345, run.Summary.ParameterCount);
        Assert.Equal("NVIDIA H100 80GB HBM3", run.Summary.Hardware.GpuName);
        Assert.Equal("cuda", run.Summary.Hardware.Device);
        Assert.Contains(run.Summary.Hardware.Other, kv => kv.Key == "gpu_memory_total_mb" && kv.Value == "81559");
        Assert.Contains(run.Summary.OtherFields, kv => kv.Key == "framework_versions.torchsharp" && kv.Value == "0.107.0");
        Assert.Equal(5, run.Summary.BestEpoch);
        Assert.Equal(6 * 64.25, run.Summary.TotalTrainingTimeSeconds);
        Assert.Equal(6, run.EpochsCompleted);

        Assert.Equal([1, 2, 3, 4, 5, 6], run.Epochs.Select(e => e.Epoch));
        Assert.Equal(FakeExperiment.ValIou(3, 1.0), run.Epochs[2].Validation.Iou!.Value, 12);
        Assert.Equal(FakeExperiment.TrainLoss(4), run.Epochs[3].TrainLoss!.Value, 12);
        Assert.All(run.Epochs, e => Assert.NotNull(e.LearningRate));
        Assert.Equal(2.5, run.Epochs[0].GradNorm);
        Assert.Equal(62.5, run.Epochs[0].EpochTimeSeconds);

        Assert.Equal(5, run.Validation.BestEpoch);
        Assert.Equal(fx.BestIou(), run.Validation.Best.Iou!.Value, 12);
        Assert.Equal(FakeExperiment.ValIou(6, 1.0), run.Validation.Final.Iou!.Value, 12);
        Assert.Equal(run.Validation.Final, run.FinalResults);
        Assert.Equal("focal_dice", run.ConfigValue("training.loss.name"));
        Assert.Equal("[0.7, 0.15, 0.15]", run.ConfigValue("data.splits"));
        Assert.Equal(1, run.Log!.WarningCount);
        Assert.Empty(run.Warnings);

        var eval = run.Evaluation!;
        Assert.Equal(new SweepScore(0.8123, 0.42), eval.Ods);
        Assert.Equal(0.8345, eval.Ois!.Value);
        Assert.Equal(0.8567, eval.Ap!.Value);
        Assert.Equal(13, eval.PerImage!.Rows.Count);
        Assert.Equal("tile, with comma <b>", eval.PerImage.Rows[^1].Key);
        Assert.Equal((96, 64), (eval.PrCurve!.Width, eval.PrCurve.Height));
        Assert.Equal(["best_01_img_011.png", "worst_01_img_000.png"], eval.Overlays.Select(o => o.FileName));
        Assert.NotNull(run.TestMetrics);
    }

    [Theory]
    [InlineData("metrics/complete_summary.json")]
    [InlineData("metrics/metrics.jsonl")]
    [InlineData("metrics/validation_metrics.json")]
    public void MissingRequiredFileIsAnInputErrorNamingIt(string file)
    {
        using var fx = new FakeExperiment();
        fx.Delete(file);
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains(file, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData("metrics/complete_summary.json", "{\"experiment_name\": \"x\",", "metrics/complete_summary.json: not valid JSON")]
    [InlineData("metrics/validation_metrics.json", "[1, 2]", "metrics/validation_metrics.json: the top level must be a JSON object")]
    [InlineData("evaluation/metrics.json", "{\"ods\": NaN}", "evaluation/metrics.json: not valid JSON")]
    [InlineData("metrics/test_metrics.json", "", "metrics/test_metrics.json: not valid JSON")]
    [InlineData("config.yaml", "training:\n  epochs: [1, 2\n", "config.yaml: not valid YAML at line")]
    [InlineData("final_results.yaml", "val_iou: high\n", "final_results.yaml: key 'val_iou' must be a number")]
    [InlineData("evaluation/per_image.csv", "stem,iou\nimg_1,0.5\nimg_2,abc\n", "evaluation/per_image.csv: line 3, column 'iou' must be a number")]
    [InlineData("evaluation/per_image.csv", "stem,iou,f1\nimg_1,0.5\n", "evaluation/per_image.csv: line 2 has 2 fields")]
    public void MalformedFileIsAnInputErrorNamingIt(string file, string content, string expected)
    {
        using var fx = new FakeExperiment();
        fx.Write(file, content);
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BadEpochLineIsNamedByFileAndLineNumber()
    {
        using var fx = new FakeExperiment(epochs: 4, bestEpoch: 3);
        var lines = File.ReadAllLines(Path.Combine(fx.Dir, "metrics/metrics.jsonl"));
        lines[2] = lines[2][..40];
        fx.Write("metrics/metrics.jsonl", string.Join('\n', lines));
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains("metrics/metrics.jsonl line 3: not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("\"best_epoch\": 5", "\"best_epoch\": \"five\"", "key 'best_epoch' must be an integer, found a string")]
    [InlineData("\"best_epoch\": 5", "\"best_epoch\": 5.5", "key 'best_epoch' must be an integer")]
    [InlineData("\"device\": \"cuda\"", "\"device\": null", "required key 'hardware_info.device' is missing")]
    [InlineData("\"cuda_available\": true", "\"cuda_available\": \"yes\"", "key 'hardware_info.cuda_available' must be true or false")]
    [InlineData("\"total_training_time\"", "\"total_time\"", "required key 'total_training_time' is missing")]
    public void WrongTypeOrMissingKeyNamesFileAndKey(string from, string to, string expected)
    {
        using var fx = new FakeExperiment();
        string path = Path.Combine(fx.Dir, "metrics/complete_summary.json");
        string text = File.ReadAllText(path);
        Assert.Contains(from, text);
        fx.Write("metrics/complete_summary.json", text.Replace(from, to));
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains("complete_summary.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void EpochLineWithoutEpochNumberIsRejected()
    {
        using var fx = new FakeExperiment(epochs: 2, bestEpoch: 2);
        fx.Write("metrics/metrics.jsonl", "{\"epoch\": 1, \"train_loss\": 0.5}\n{\"train_loss\": 0.4}\n");
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains("metrics/metrics.jsonl line 2: required key 'epoch' is missing", e.Message);
    }

    [Fact]
    public void EmptyEpochFileIsRejected()
    {
        using var fx = new FakeExperiment();
        fx.Write("metrics/metrics.jsonl", "\n");
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(fx.Dir));
        Assert.Contains("metrics/metrics.jsonl: no epoch lines", e.Message);
    }

    [Fact]
    public void MissingFolderIsAnInputError()
    {
        string dir = Path.Combine(Path.GetTempPath(), "crackseg-no-such-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<InputException>(() => ExperimentRecord.Load(dir));
        Assert.Contains(dir, e.Message);
    }

    [Fact]
    public void OptionalFilesMayBeAbsent()
    {
        using var fx = new FakeExperiment(evaluation: false);
        fx.Delete("config.yaml");
        fx.Delete("final_results.yaml");
        fx.Delete("logs/training.log");
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Null(run.Evaluation);
        Assert.Null(run.TestMetrics);
        Assert.Null(run.ConfigText);
        Assert.Empty(run.Config);
        Assert.Null(run.Log);
        Assert.Null(run.FinalResults);
        Assert.Equal("seed", run.Preset);
    }

    [Fact]
    public void DuplicateAndUnorderedEpochLinesResolveToTheLastWrittenWithAWarning()
    {
        using var fx = new FakeExperiment(epochs: 3, bestEpoch: 3);
        fx.Write("metrics/metrics.jsonl",
            "{\"epoch\": 2, \"train_loss\": 0.9}\n{\"epoch\": 1, \"train_loss\": 1.0}\n{\"epoch\": 2, \"train_loss\": 0.8}\n{\"epoch\": 3, \"train_loss\": 0.7}\n");
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Equal([1, 2, 3], run.Epochs.Select(e => e.Epoch));
        Assert.Equal(0.8, run.Epochs[1].TrainLoss);
        Assert.Contains(run.Warnings, w => w.Contains("epoch 2 appears more than once"));
    }

    [Fact]
    public void EpochsWithoutValidationKeepNullMetrics()
    {
        using var fx = new FakeExperiment(epochs: 3, bestEpoch: 2);
        fx.Write("metrics/metrics.jsonl",
            "{\"epoch\": 1, \"train_loss\": 0.9, \"val_iou\": null}\n{\"epoch\": 2, \"train_loss\": 0.8, \"val_iou\": 0.5, \"val_loss\": 0.4}\n{\"epoch\": 3, \"train_loss\": 0.7}\n");
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Null(run.Epochs[0].Validation.Iou);
        Assert.Equal(0.5, run.Epochs[1].Validation.Iou);
        Assert.Null(run.Epochs[2].Validation.Loss);
    }

    [Fact]
    public void InconsistentBestEpochIsReportedAsAWarning()
    {
        using var fx = new FakeExperiment(epochs: 4, bestEpoch: 3);
        string path = Path.Combine(fx.Dir, "metrics/validation_metrics.json");
        fx.Write("metrics/validation_metrics.json", File.ReadAllText(path).Replace("\"epoch\": 3", "\"epoch\": 2"));
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Contains(run.Warnings, w => w.Contains("best epoch 2") && w.Contains("names 3"));
    }

    [Fact]
    public void CorruptOverlayIsLeftOutWithAWarning()
    {
        using var fx = new FakeExperiment();
        fx.Write("evaluation/overlays/broken.png", "not a png");
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Equal(2, run.Evaluation!.Overlays.Count);
        Assert.Contains(run.Warnings, w => w.Contains("broken.png"));
    }
}
