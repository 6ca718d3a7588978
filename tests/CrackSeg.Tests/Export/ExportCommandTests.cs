using System.Security.Cryptography;
using System.Text.Json;
using CrackSeg.Export;
using TorchSharp.PyBridge;
using CrackSeg.Tests.Evaluation;
using CrackSeg.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace CrackSeg.Tests.Export;

/// <summary>
/// `crackseg export` and `predict --backend onnx` on the shared tiny trained experiment (nano, windows fixed for
/// 32 px, so the window period is 32): the files and their manifest, parity of the two predict backends, and
/// bad input (exit 2, nothing written).
/// </summary>
[Collection(TrainedExperimentCollection.Name)]
public sealed class ExportCommandTests(TrainedExperimentFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Export_WritesModelAndManifest_ThatDescribeEachOther()
    {
        using var temp = new TempDir();
        string model = Path.Combine(temp.Path, "out", "crack.onnx");
        var r = CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--size", "96", "--output", model);
        Assert.True(r.ExitCode == 0, r.Error);
        string manifestPath = Path.Combine(temp.Path, "out", "crack.json");
        Assert.Equal(["crack.json", "crack.onnx"], Directory.GetFiles(Path.GetDirectoryName(model)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var manifest = ExportManifest.Read(manifestPath);
        Assert.Equal("crack.onnx", manifest.GetProperty("model_file").GetString());
        Assert.Equal(["N", "3", "96", "96"], manifest.GetProperty("input_shape").EnumerateArray().Select(Text));
        Assert.Equal("RGB", manifest.GetProperty("channel_order").GetString());
        Assert.Equal([0.0, 1.0], manifest.GetProperty("value_range").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(["probability", "logits"], manifest.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        Assert.Equal(fixture.Config.Metrics.Threshold, manifest.GetProperty("threshold").GetDouble());
        Assert.Equal(17, manifest.GetProperty("opset").GetInt32());
        Assert.Equal(32, manifest.GetProperty("window_period").GetInt32());
        string checkpoint = manifest.GetProperty("source_checkpoint").GetString()!;
        Assert.Equal(Path.GetFullPath(Path.Combine(fixture.ExperimentDir, "best_model.pth")), checkpoint);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpoint))), manifest.GetProperty("source_checkpoint_sha256").GetString());

        using var onnx = CrackSeg.Evaluation.OnnxRuntimeModel.Open(model);
        Assert.Equal(96, onnx.Size);
        Assert.Equal(fixture.Config.Metrics.Threshold, onnx.Threshold);
        Assert.Equal(32, onnx.WindowPeriod);
    }

    [Fact]
    public void PredictWithOnnx_GivesTheMasksOfTheTorchPath()
    {
        using var temp = new TempDir();
        // The briefly trained fixture model predicts a nearly constant probability; a randomised model of the same
        // spec (a bare state_dict, loaded with the experiment's config) gives maps that vary, so a broken graph shows.
        string checkpoint = Path.Combine(temp.Path, "random.pth");
        using (var random = ExportTestModels.Randomised("nano", fixture.Config.Data.ImageSize, seed: 5)) random.save_py(checkpoint);

        // 96×72 crops of the experiment's images: the torch path pads them to 96×96 (multiples of 32) and the ONNX
        // path to its 96 px export size, so both backends see the same single tile.
        string input = Directory.CreateDirectory(Path.Combine(temp.Path, "images")).FullName;
        foreach (string file in Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).Order(StringComparer.Ordinal).Take(3))
        {
            using var image = Image.Load<Rgb24>(file);
            image.Mutate(c => c.Crop(new Rectangle(0, 0, 96, TrainedExperimentFixture.ImageHeight)));
            image.SaveAsPng(Path.Combine(input, Path.GetFileNameWithoutExtension(file) + ".png"));
        }
        string model = Path.Combine(temp.Path, "model.onnx");
        var export = CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--checkpoint", checkpoint, "--size", "96", "--output", model);
        Assert.True(export.ExitCode == 0, export.Error);

        // The median probability as threshold, so that the masks are about half cracks.
        string probe = Path.Combine(temp.Path, "probe");
        var probeRun = Predict(probe, "--experiment", fixture.ExperimentDir, "--checkpoint", checkpoint, "--device", "cpu");
        Assert.True(probeRun.ExitCode == 0, probeRun.Error);
        var levels = Directory.GetFiles(probe, "*_prob.png").SelectMany(f => EvaluationTestFiles.GreyPixels(f, out _, out _)).Order().ToArray();
        string threshold = ((levels[levels.Length / 2] + 0.5) / 255.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        string torchOut = Path.Combine(temp.Path, "torch"), onnxOut = Path.Combine(temp.Path, "onnx");
        var torchRun = Predict(torchOut, "--experiment", fixture.ExperimentDir, "--checkpoint", checkpoint, "--device", "cpu", "--threshold", threshold);
        var onnxRun = Predict(onnxOut, "--model", model, "--threshold", threshold);
        Assert.True(torchRun.ExitCode == 0, torchRun.Error);
        Assert.True(onnxRun.ExitCode == 0, onnxRun.Error);

        var names = Directory.GetFiles(torchOut).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(9, names.Count);
        Assert.Equal(names, Directory.GetFiles(onnxOut).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));
        long pixels = 0, differing = 0, cracks = 0;
        int probabilitySteps = 0;
        foreach (string name in names.Where(n => n.EndsWith("_mask.png", StringComparison.Ordinal) || n.EndsWith("_prob.png", StringComparison.Ordinal)))
        {
            var a = EvaluationTestFiles.GreyPixels(Path.Combine(torchOut, name), out _, out _);
            var b = EvaluationTestFiles.GreyPixels(Path.Combine(onnxOut, name), out _, out _);
            Assert.Equal(a.Length, b.Length);
            if (name.EndsWith("_mask.png", StringComparison.Ordinal))
            {
                pixels += a.Length;
                cracks += a.Count(v => v != 0);
                differing += a.Zip(b).Count(p => p.First != p.Second);
            }
            else
            {
                probabilitySteps = Math.Max(probabilitySteps, a.Zip(b).Max(p => Math.Abs(p.First - p.Second)));
            }
        }
        output.WriteLine($"threshold {threshold}: {cracks} of {pixels} pixels cracks; mask pixels differing: {differing}; probability PNGs differ by at most {probabilitySteps}/255");
        Assert.InRange(cracks, pixels / 5, pixels * 4 / 5);
        Assert.True(differing <= pixels / 1000, $"{differing} of {pixels} mask pixels differ (more than 0.1 %)");
        Assert.True(probabilitySteps <= 1);

        CliRunner.Result Predict(string outputDir, params string[] model) =>
            CliRunner.Run(["predict", .. model, "--input", input, "--output", outputDir]);
    }

    [Fact]
    public void PredictWithOnnx_PadsImagesSmallerThanTheExportSize_AndTilesLargerOnes()
    {
        using var temp = new TempDir();
        string model = Path.Combine(temp.Path, "model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--size", "64", "--output", model).ExitCode);
        string image = Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).Order(StringComparer.Ordinal).First();
        var r = CliRunner.Run("predict", "--model", model, "--input", image, "--output", temp.Path, "--overlap", "16");
        Assert.True(r.ExitCode == 0, r.Error);
        string stem = Path.GetFileNameWithoutExtension(image);
        EvaluationTestFiles.GreyPixels(Path.Combine(temp.Path, stem + "_mask.png"), out int w, out int h);
        Assert.Equal((TrainedExperimentFixture.ImageWidth, TrainedExperimentFixture.ImageHeight), (w, h));
        var wrongTile = CliRunner.Run("predict", "--model", model, "--input", image, "--output", temp.Path, "--tile", "128");
        Assert.Equal(2, wrongTile.ExitCode);
        Assert.Contains("--tile", wrongTile.Error);
    }

    [Theory]
    [InlineData("--size", "100", "--size")]
    [InlineData("--checkpoint", "/nonexistent/ckpt.pth", "/nonexistent/ckpt.pth")]
    [InlineData("--opset", "18", "--opset")]
    public void BadExportInput_ExitsWithTwo_AndWritesNothing(string option, string value, string named)
    {
        using var temp = new TempDir();
        string model = Path.Combine(temp.Path, "out", "model.onnx");
        var r = CliRunner.Run("export", "--experiment", fixture.ExperimentDir, option, value, "--output", model);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(named, r.Error);
        Assert.False(Directory.Exists(Path.GetDirectoryName(model)) && Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(model)!).Any());
    }

    [Fact]
    public void UnwritableOutput_ExitsWithTwo()
    {
        using var temp = new TempDir();
        string blocker = temp.File("a-file", "not a folder");
        var r = CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--size", "32", "--output", Path.Combine(blocker, "model.onnx"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--output", r.Error);
        Assert.Equal(["a-file"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void PredictWithAMissingOrForeignModel_ExitsWithTwo()
    {
        using var temp = new TempDir();
        string image = Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).First();
        var missing = CliRunner.Run("predict", "--model", Path.Combine(temp.Path, "none.onnx"), "--input", image, "--output", temp.Path);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("none.onnx", missing.Error);
        string foreign = temp.File("foreign.onnx", "not a protobuf at all");
        var bad = CliRunner.Run("predict", "--model", foreign, "--input", image, "--output", temp.Path);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("foreign.onnx", bad.Error);
        var notExported = CliRunner.Run("predict", "--backend", "onnx", "--experiment", fixture.ExperimentDir, "--input", image, "--output", temp.Path);
        Assert.Equal(2, notExported.ExitCode);
        Assert.Contains("crackseg export", notExported.Error);
    }

    [Fact]
    public void EvaluateWithOnnx_MeasuresWhatTheTorchPathMeasures()
    {
        using var temp = new TempDir();
        string checkpoint = Path.Combine(temp.Path, "random.pth");
        using (var random = ExportTestModels.Randomised("nano", fixture.Config.Data.ImageSize, seed: 6)) random.save_py(checkpoint);
        string model = Path.Combine(temp.Path, "model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--checkpoint", checkpoint, "--size", "96", "--output", model).ExitCode);
        // The experiment's pairs resized to 96×96: evaluation batches are then exactly the export size for both backends.
        string data = Path.Combine(temp.Path, "data");
        foreach (string folder in new[] { "images", "masks" })
        {
            Directory.CreateDirectory(Path.Combine(data, folder));
            foreach (string file in Directory.GetFiles(Path.Combine(fixture.DataRoot, folder)))
            {
                using var image = Image.Load<Rgb24>(file);
                image.Mutate(c => c.Resize(96, 96, KnownResamplers.NearestNeighbor));
                image.Save(Path.Combine(data, folder, Path.GetFileName(file)));
            }
        }
        var torch = new CrackSeg.Evaluation.Evaluator(CrackSeg.Common.RunLog.Silent).Run(new CrackSeg.Evaluation.EvaluationOptions
            { Experiment = fixture.ExperimentDir, Checkpoint = checkpoint, DataRoot = data, Device = "cpu", Overlays = 0, OutputDir = Path.Combine(temp.Path, "torch") }).Report;
        var onnx = new CrackSeg.Evaluation.Evaluator(CrackSeg.Common.RunLog.Silent).Run(new CrackSeg.Evaluation.EvaluationOptions
            { Experiment = fixture.ExperimentDir, Backend = CrackSeg.Evaluation.InferenceBackend.Onnx, OnnxModel = model, DataRoot = data, Overlays = 1, OutputDir = Path.Combine(temp.Path, "onnx") }).Report;

        Assert.Equal("onnx", onnx.Checkpoint.KindName);
        Assert.Equal(Path.GetFullPath(model), onnx.Checkpoint.Path);
        Assert.Equal(torch.ImageCount, onnx.ImageCount);
        output.WriteLine($"torch: IoU {torch.Metrics.Iou:F6} ODS {torch.Sweep.Ods.F:F6} AP {torch.Sweep.AveragePrecision:F6}; onnx: IoU {onnx.Metrics.Iou:F6} ODS {onnx.Sweep.Ods.F:F6} AP {onnx.Sweep.AveragePrecision:F6}");
        Assert.InRange(torch.Sweep.Ods.F, 0.01, 0.99);
        Assert.Equal(torch.Metrics.Iou, onnx.Metrics.Iou, 3);
        Assert.Equal(torch.Sweep.Ods.F, onnx.Sweep.Ods.F, 3);
        Assert.Equal(torch.Sweep.AveragePrecision, onnx.Sweep.AveragePrecision, 3);
        Assert.Equal(torch.Metrics.Loss!.Value, onnx.Metrics.Loss!.Value, 3);

        // Images larger than the export size are tiled (64 px model, 144×72 images): the pass completes and scores them all.
        string small = Path.Combine(temp.Path, "small.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--checkpoint", checkpoint, "--size", "64", "--output", small).ExitCode);
        var tiled = CliRunner.Run("evaluate", "--experiment", fixture.ExperimentDir, "--model", small, "--overlays", "0");
        Assert.True(tiled.ExitCode == 0, tiled.Error);
        Assert.True(File.Exists(Path.Combine(fixture.ExperimentDir, "evaluation_onnx", "metrics.json")));
        Directory.Delete(Path.Combine(fixture.ExperimentDir, "evaluation_onnx"), recursive: true);
    }

    [Fact]
    public void BenchPredict_RunsBothBackendsInFreshProcesses()
    {
        using var temp = new TempDir();
        string model = Path.Combine(temp.Path, "model.onnx");
        Assert.Equal(0, CliRunner.Run("export", "--experiment", fixture.ExperimentDir, "--size", "64", "--output", model).ExitCode);
        var r = CliRunner.Run("bench", "predict", "--experiment", fixture.ExperimentDir, "--model", model, "--size", "96", "--work", temp.Path);
        Assert.True(r.ExitCode == 0, r.Error);
        output.WriteLine(r.Output);
        foreach (string backend in new[] { "torch", "onnx" })
        {
            Assert.Contains($"predict {backend}: 96x96 start to last file", r.Output);
            Assert.Equal(3, Directory.GetFiles(Path.Combine(temp.Path, backend)).Length);
            double seconds = Figure(r.Output, $"predict_{backend}_to_last_file_s"), rss = Figure(r.Output, $"predict_{backend}_peak_rss_mib");
            Assert.InRange(seconds, 0.01, 300);
            Assert.InRange(rss, 10, 100_000);
        }
    }

    private static double Figure(string output, string name) =>
        double.Parse(output.Split('\n').Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
}
