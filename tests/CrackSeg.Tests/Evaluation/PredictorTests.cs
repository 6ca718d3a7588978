using CrackSeg.Models;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Evaluation;
using CrackSeg.Tests.Models;
using CrackSeg.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Evaluation;

/// <summary>`predict` with the tiny trained experiment: outputs, bad files, tiling with the real model, checkpoint kinds.</summary>
[Collection(TrainedExperimentCollection.Name)]
public sealed class PredictorTests(TrainedExperimentFixture fixture, ITestOutputHelper output)
{
    private const int W = TrainedExperimentFixture.ImageWidth, H = TrainedExperimentFixture.ImageHeight;

    [Fact]
    public void Folder_WritesMaskProbabilityAndOverlay_AndSkipsBadFiles()
    {
        using var temp = new TempDir();
        string input = Directory.CreateDirectory(Path.Combine(temp.Path, "in")).FullName;
        string outputDir = Path.Combine(temp.Path, "out");
        var stems = Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).Order(StringComparer.Ordinal).Take(2).ToList();
        foreach (string f in stems) File.Copy(f, Path.Combine(input, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(input, "notes.jpg"), "these are notes, not a photo");
        byte[] png = File.ReadAllBytes(stems[0]);
        File.WriteAllBytes(Path.Combine(input, "truncated.png"), png[..(png.Length * 2 / 3)]);
        using (var large = new Image<Rgb24>(150, 100)) large.SaveAsPng(Path.Combine(input, "large.png"));
        File.WriteAllText(Path.Combine(input, "readme.txt"), "not an image extension: not an input");

        using var model = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        var progress = new ListProgress<PredictProgress>();
        var summary = new Predictor(model, RunLog.Silent).Run(new PredictOptions { Input = input, Output = outputDir, Tile = 64, Overlap = 16 }, progress);

        Assert.Equal(stems.Select(Path.GetFileName), summary.Processed.Select(p => Path.GetFileName(p.Input)));
        var skipped = summary.Skipped.ToDictionary(s => Path.GetFileName(s.Input), s => s.Reason);
        Assert.Equal(["large.png", "notes.jpg", "truncated.png"], skipped.Keys.Order(StringComparer.Ordinal));
        Assert.All(skipped, s => Assert.Contains(Path.Combine(input, s.Key), s.Value));
        Assert.Contains("text file", skipped["notes.jpg"]);
        Assert.Contains("truncated", skipped["truncated.png"]);
        Assert.Contains("data.max_pixels", skipped["large.png"]);

        Assert.Equal(5, progress.Items.Count);
        Assert.Equal([1, 2, 3, 4, 5], progress.Items.Select(p => p.Index));
        Assert.All(progress.Items, p => Assert.Equal(5, p.Total));
        Assert.Equal(3, progress.Items.Count(p => p.Status == PredictFileStatus.Skipped && p.Reason is not null));

        foreach (var p in summary.Processed)
        {
            string stem = Path.GetFileNameWithoutExtension(p.Input);
            Assert.Equal(Path.Combine(outputDir, stem + "_mask.png"), p.Mask);
            Assert.Equal(Path.Combine(outputDir, stem + "_prob.png"), p.Probability);
            Assert.Equal(Path.Combine(outputDir, stem + "_overlay.png"), p.Overlay);
            Assert.Equal((W, H), (p.Width, p.Height));
            Assert.Equal(6, p.Tiles); // 144×72 in 64 px tiles with 16 px overlap: 3 × 2
            var mask = EvaluationTestFiles.GreyPixels(p.Mask, out int mw, out int mh);
            var probability = EvaluationTestFiles.GreyPixels(p.Probability, out int pw, out int ph);
            EvaluationTestFiles.DistinctColours(p.Overlay, out int ow, out int oh);
            Assert.Equal((W, H), (mw, mh));
            Assert.Equal((W, H), (pw, ph));
            Assert.Equal((W, H), (ow, oh));
            Assert.All(mask, v => Assert.True(v is 0 or 255));
            // Threshold 0.5: p ≥ 0.5 ⇔ round(255 p) ≥ 128.
            for (int i = 0; i < mask.Length; i++) Assert.Equal(probability[i] >= 128, mask[i] == 255);
            Assert.Equal(mask.Count(v => v == 255) / (double)mask.Length, p.CrackRatio, 12);
            output.WriteLine($"{stem}: {probability.Distinct().Count()} distinct probability levels, {p.CrackRatio:P2} crack");
            Assert.Contains(probability, v => v is not (0 or 255)); // graded, not a copy of the mask
        }
    }

    [Fact]
    public void TiledPrediction_OfTheTrainedModel_StaysCloseToTheWholeImage()
    {
        // The real model has global context (ASPP image pooling, CBAM channel attention) and align_corners
        // upsampling, so tiles cannot equal the whole image exactly (TilingTests checks exactness on a local
        // model); the blended result must still stay close and free of tile-sized errors.
        using var model = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        string file = Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).Order(StringComparer.Ordinal).First();
        using var decoded = Image.Load<Rgb24>(file);
        var rgb = new byte[W * H * 3];
        decoded.CopyPixelDataTo(rgb);
        using var scope = NewDisposeScope();
        var image = ImageTensors.Normalised(rgb, H, W, CPU);
        var whole = new TiledInference(model.Model, 512, 0).ProbabilitiesUntiled(image);
        var tiled = new TiledInference(model.Model, 64, 16).Probabilities(image);
        var difference = (tiled - whole).abs();
        double max = difference.max().item<float>(), mean = difference.mean().item<float>();
        output.WriteLine($"tiled vs whole image: max |Δp| {max:G4}, mean {mean:G4}");
        Assert.True(mean < 0.02, $"mean |Δp| {mean}");
        Assert.True(max < 0.25, $"max |Δp| {max}");
    }

    [Fact]
    public void LooseCheckpoint_UsesItsEmbeddedConfig_WhileBareStateDictsNeedOne()
    {
        string best = Path.Combine(fixture.ExperimentDir, "best_model.pth");
        using (var model = TrainedModel.FromCheckpoint(best, null, "cpu", RunLog.Silent))
        {
            Assert.Equal(CheckpointKind.CrackSeg, model.Checkpoint.Kind);
            Assert.Equal(fixture.Config.Data, model.Config.Data);
            // The experiment saves the model section explicitly (every field the preset resolved to).
            Assert.Equal(ModelSpec.Resolve(fixture.Config.Model, fixture.Config.Data.ImageSize).ToConfig(), model.Config.Model);
        }
        using var temp = new TempDir();
        string bare = Path.Combine(temp.Path, "bare.pth");
        EvaluationTestFiles.WriteVariant(best, bare, pythonDict: false);
        var e = Assert.ThrowsAny<InputException>(() => TrainedModel.FromCheckpoint(bare, null, "cpu", RunLog.Silent).Dispose());
        Assert.Contains(bare, e.Message);
        Assert.Contains("--config", e.Message);
        using var withConfig = TrainedModel.FromCheckpoint(bare, Path.Combine(fixture.ExperimentDir, "config.yaml"), "cpu", RunLog.Silent);
        Assert.Equal(CheckpointKind.StateDict, withConfig.Checkpoint.Kind);
    }

    [SkippableFact]
    public void GoldenPythonStateDict_LoadsAndPredicts()
    {
        // A real torch.save() state_dict of the Python crackseg model (golden fixture, small SwinV2 hybrid).
        string golden = GoldenFixtures.Require();
        using var scope = NewDisposeScope();
        using var temp = new TempDir();
        var config = new CrackSegConfig
        {
            Data = new DataConfig { ImageSize = 64 },
            Model = new ModelConfig
            {
                Preset = "seed", EmbedDim = 12, Depths = [2, 2, 2, 2], NumHeads = [1, 2, 4, 8], WindowSize = 4, DropPathRate = 0,
                AsppChannels = 32, DecoderChannels = [16, 8, 4], CbamReduction = 4,
            },
            Training = new TrainingConfig { Device = "cpu" },
        };
        string configFile = temp.File("golden.yaml", ConfigYaml.Serialize(config));
        string checkpoint = Path.Combine(golden, "hybrid_small.state_dict.pth");

        using var model = TrainedModel.FromCheckpoint(checkpoint, configFile, null, RunLog.Silent);
        Assert.Equal(CheckpointKind.StateDict, model.Checkpoint.Kind);
        var expected = GoldenFixtures.LoadTensors(golden, "hybrid_small.state_dict.pth");
        var restored = model.Model.state_dict();
        Assert.Equal(expected.Keys.Order(), restored.Keys.Order());
        foreach (var (key, value) in expected) Assert.True(value.to(restored[key].dtype).Equals(restored[key]), key);

        string input = Path.Combine(fixture.DataRoot, "images", Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).Select(Path.GetFileName).Order(StringComparer.Ordinal).First()!);
        var summary = new Predictor(model, RunLog.Silent).Run(new PredictOptions { Input = input, Output = Path.Combine(temp.Path, "out") });
        Assert.Single(summary.Processed);
        Assert.True(File.Exists(summary.Processed[0].Mask));
    }

    [Fact]
    public void BadArguments_AreInputExceptionsNamingThem()
    {
        using var temp = new TempDir();
        using var model = TrainedModel.FromExperiment(fixture.ExperimentDir, "best", "cpu", RunLog.Silent);
        var predictor = new Predictor(model, RunLog.Silent);
        string image = Directory.GetFiles(Path.Combine(fixture.DataRoot, "images")).First();
        string outputDir = Path.Combine(temp.Path, "out");
        string missing = Path.Combine(temp.Path, "missing.png");
        Assert.Contains(missing, Assert.ThrowsAny<InputException>(() => predictor.Run(new PredictOptions { Input = missing, Output = outputDir })).Message);
        string empty = Directory.CreateDirectory(Path.Combine(temp.Path, "empty")).FullName;
        Assert.Contains("no image files", Assert.ThrowsAny<InputException>(() => predictor.Run(new PredictOptions { Input = empty, Output = outputDir })).Message);
        Assert.Contains("--tile", Assert.ThrowsAny<InputException>(() => predictor.Run(new PredictOptions { Input = image, Output = outputDir, Tile = 100 })).Message);
        Assert.Contains("--overlap", Assert.ThrowsAny<InputException>(() => predictor.Run(new PredictOptions { Input = image, Output = outputDir, Tile = 64, Overlap = 40 })).Message);
        Assert.Contains("--threshold", Assert.ThrowsAny<InputException>(() => predictor.Run(new PredictOptions { Input = image, Output = outputDir, Threshold = 2 })).Message);
        Assert.False(Directory.Exists(outputDir));
    }

    private sealed class ListProgress<T> : IProgress<T>
    {
        public List<T> Items { get; } = [];
        public void Report(T value) => Items.Add(value);
    }
}
