using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Metrics;
using CrackSeg.Training;
using CrackSeg.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>What `crackseg evaluate` produced.</summary>
/// <param name="Report">The numbers.</param>
/// <param name="OutputDir">The evaluation folder (DIR/evaluation for the test split, DIR/evaluation/&lt;dataset&gt; for all).</param>
/// <param name="Files">Every file written, absolute paths.</param>
public sealed record EvaluationOutcome(EvaluationReport Report, string OutputDir, IReadOnlyList<string> Files);

/// <summary>
/// `crackseg evaluate`: re-creates an experiment's model from its config.yaml and a checkpoint, runs the split
/// recorded in splits.json, or every pair of a dataset (<see cref="EvaluationData"/>), at full image size, with
/// optional test-time augmentation, and writes metrics.json, per_image.csv, pr_curve.png and overlays to
/// DIR/evaluation/ (DIR/evaluation_val/, DIR/evaluation/&lt;dataset&gt;/), plus metrics/test_metrics.json for the test split.
/// </summary>
/// <remarks>
/// One pass over the data: every metric accumulates on the device (confusion counts, the probability histogram
/// per image for ODS/OIS/AP, tolerance and clDice terms) and comes to the host once at the end. Evaluation
/// batches are padded to multiples of 32; each image is cropped back to its content before it is scored, so
/// padding never counts. Overlays re-run the model on the chosen images only.
/// </remarks>
public sealed class Evaluator
{
    /// <summary>A numeric mask pixel is crack above this, rooted so it outlives every call (in a holder: a Scalar loads LibTorch).</summary>
    private static class Constants
    {
        internal static readonly Scalar MaskCut = 0.5;
    }

    private readonly RunLog _log;
    private readonly IProgress<EvaluationProgress>? _progress;

    public Evaluator(RunLog log, IProgress<EvaluationProgress>? progress = null)
    {
        _log = log;
        _progress = progress;
    }

    /// <exception cref="InputException">Missing folder, config, splits.json, data or checkpoint; a checkpoint that does not fit; bad options.</exception>
    public EvaluationOutcome Run(EvaluationOptions options, CancellationToken cancellation = default)
    {
        var target = EvaluationTargets.Parse(options.Split);
        var tta = new TestTimeAugmentation(TtaModes.Parse(options.Tta));
        ValidateOptions(options);
        var folder = ExperimentFolder.Open(options.Experiment);
        var config = TrainedModel.ReadExperimentConfig(folder);
        var data = EvaluationData.Resolve(folder, config, target, options, _log);
        double threshold = options.Threshold ?? config.Metrics.Threshold;

        using var trained = Open(options, folder, config);
        using var cache = SampleCache.Build(data.Index, data.Config, _log, splits: data.Splits);
        var pairs = data.Splits.SelectMany(s => cache.Index[s]).ToList();
        if (pairs.Count == 0) throw new InputException($"data: no {data.Description} image of {data.Index.Root} could be decoded");
        var loader = new BatchLoader(cache, pairs, BatchLoaderOptions.ForEvaluation(data.Config, options.BatchSize ?? config.Training.BatchSize, trained.Device));

        _log.Info($"evaluating {pairs.Count} {data.Description} images at threshold {threshold} (tolerance {options.TolerancePx} px" +
                  (tta.Passes > 1 ? $", TTA {tta.Mode.ToKey()}: {tta.Passes} passes per image)" : ")"));
        var report = Measure(trained, loader, threshold, options.TolerancePx, cancellation, tta) with
        {
            ExperimentDir = folder.Root,
            Split = target.ToKey(),
            DataRoot = data.Index.Root,
            DatasetName = data.DatasetFolder,
        };
        _log.Info($"{data.Description}: IoU {report.Metrics.Iou:F4}, F1 {report.Metrics.F1:F4}, ODS {report.Sweep.Ods.F:F4} @ {report.Sweep.Ods.Threshold:0.###}, " +
                  $"OIS {report.Sweep.Ois:F4}, AP {report.Sweep.AveragePrecision:F4}, F@{options.TolerancePx}px {report.Tolerance.F:F4}, clDice {report.ClDice:F4} " +
                  $"({report.ImageCount} images, {report.Seconds:F1} s, TTA {tta.Mode.ToKey()} ×{tta.Passes})");

        // The ONNX backend writes beside the checkpoint's evaluation, never over it, and leaves the run's test_metrics.json alone.
        bool onnx = options.Backend == InferenceBackend.Onnx;
        string outputDir = Path.GetFullPath(options.OutputDir ?? data.OutputDir + (onnx ? "_onnx" : ""));
        var files = new List<string>(EvaluationFiles.Write(report, outputDir));
        if (target == EvaluationTarget.Test && !onnx)
        {
            string testMetrics = Path.Combine(folder.MetricsDir, "test_metrics.json");
            AtomicFile.WriteAllText(testMetrics, EvaluationFiles.TestMetricsJson(report));
            files.Add(testMetrics);
        }
        files.AddRange(WriteOverlays(trained, loader, report, options.Overlays, Path.Combine(outputDir, EvaluationFiles.OverlaysFolder), tta, cancellation));
        _log.Info($"evaluation written to {outputDir}");
        return new EvaluationOutcome(report, outputDir, files);
    }

    /// <summary>The model to evaluate: the checkpoint in TorchSharp, or the exported model.onnx in ONNX Runtime.</summary>
    private EvaluatedModel Open(EvaluationOptions options, ExperimentFolder folder, Config.CrackSegConfig config)
    {
        if (options.Backend == InferenceBackend.Onnx)
        {
            string path = options.OnnxModel ?? PredictionModel.ExportedModelPath(folder.Root);
            var onnx = PredictionModel.FromOnnx(path);
            _log.Info($"evaluating the exported model {path} in ONNX Runtime ({onnx.FixedTile} px; larger images are tiled)");
            var info = new CheckpointInfo(Path.GetFullPath(path), CheckpointKind.Onnx, null, "onnx");
            return new EvaluatedModel(onnx.Network, onnx.Device, info, config, onnx);
        }
        var (checkpointPath, choice) = TrainedModel.ResolveCheckpoint(folder, options.Checkpoint);
        var trained = TrainedModel.Create(config, checkpointPath, choice, options.Device, _log, options.Precision, options.Weights);
        return new EvaluatedModel(trained.Inference, trained.Device, trained.Checkpoint, config, trained);
    }

    /// <summary>What the metric pass runs: a module returning logits, its device, where its weights came from, the experiment's config.</summary>
    internal sealed record EvaluatedModel(nn.Module<Tensor, Tensor> Model, Device Device, CheckpointInfo Checkpoint, Config.CrackSegConfig Config, IDisposable Owner) : IDisposable
    {
        public void Dispose() => Owner.Dispose();
    }

    /// <summary>The metric pass; ExperimentDir, Split and DataRoot are left for the caller to fill in.</summary>
    internal EvaluationReport Measure(EvaluatedModel trained, BatchLoader loader, double threshold, int tolerancePx, CancellationToken cancellation,
        TestTimeAugmentation? tta = null)
    {
        tta ??= TestTimeAugmentation.None;
        var device = trained.Device;
        var clock = Stopwatch.StartNew();
        var stems = new List<string>();
        var toleranceRows = new List<Tensor>();
        var clDiceRows = new List<Tensor>();
        using var accumulator = new SegmentationMetricAccumulator(device, threshold, trained.Config.Metrics.HistogramBins, keepPerImageHistograms: true);
        using var loss = LossFactory.Create(trained.Config.Training.Loss);
        try
        {
            int done = 0;
            using (no_grad())
            {
                foreach (var batch in loader.Epoch(0, cancellation))
                {
                    using var scope = NewDisposeScope();
                    using var _ = batch;
                    var logits = tta.Logits(trained.Model.forward, batch.Images);
                    foreach (var (imageLogits, masks, count) in ContentCrops(batch, logits))
                    {
                        accumulator.Update(imageLogits, masks);
                        accumulator.AddLoss(loss.forward(imageLogits, masks), count);
                        var predicted = CrackMask.FromLogits(imageLogits, threshold);
                        var target = masks.gt(Constants.MaskCut);
                        toleranceRows.Add(ThinStructureMetrics.ToleranceCounts(predicted, target, tolerancePx).DetachFromDisposeScope());
                        clDiceRows.Add(ThinStructureMetrics.ClDiceTerms(predicted, target).DetachFromDisposeScope());
                    }
                    stems.AddRange(batch.Stems);
                    _progress?.Report(new EvaluationProgress("evaluate", ++done, loader.BatchesPerEpoch));
                }
            }
            var metrics = accumulator.Compute();
            var tolerance = HostRows<long>(toleranceRows);
            var clDice = HostRows<double>(clDiceRows);
            var sweep = ThresholdSweep.Run(metrics);
            clock.Stop();

            var images = new ImageScore[stems.Count];
            for (int i = 0; i < images.Length; i++)
            {
                images[i] = new ImageScore(stems[i], metrics.PerImage[i],
                    new MatchScores(tolerance[4 * i], tolerance[4 * i + 1], tolerance[4 * i + 2], tolerance[4 * i + 3]),
                    ThinStructureMetrics.ClDiceFromTerms(clDice[4 * i], clDice[4 * i + 1], clDice[4 * i + 2], clDice[4 * i + 3]),
                    sweep.PerImageBest![i]);
            }
            return new EvaluationReport
            {
                ExperimentDir = "",
                Split = "",
                DataRoot = "",
                Checkpoint = trained.Checkpoint,
                Device = DeviceSelector.Describe(device),
                TolerancePx = tolerancePx,
                EvaluatedAt = DateTimeOffset.Now,
                Seconds = clock.Elapsed.TotalSeconds,
                Tta = tta.Mode,
                TtaPasses = tta.Passes,
                TtaTimeFactor = tta.MeasuredTimeFactor,
                Metrics = metrics,
                Sweep = sweep,
                Images = images,
            };
        }
        finally
        {
            foreach (var t in toleranceRows.Concat(clDiceRows)) t.Dispose();
        }
    }

    /// <summary>
    /// The scored part of a batch: the whole batch when nothing is padded, else each image cropped to its
    /// content (evaluation batches put the content at the top-left corner).
    /// </summary>
    private static IEnumerable<(Tensor Logits, Tensor Masks, int Count)> ContentCrops(Batch batch, Tensor logits)
    {
        if (batch.Valid is null)
        {
            yield return (logits, batch.Masks, batch.Count);
            yield break;
        }
        for (int i = 0; i < batch.Count; i++)
        {
            var (h, w) = batch.ContentSizes[i];
            yield return (Crop(logits, i, h, w), Crop(batch.Masks, i, h, w), 1);
        }
    }

    private static Tensor Crop(Tensor nchw, int index, int height, int width) =>
        nchw.narrow(0, index, 1).narrow(2, 0, height).narrow(3, 0, width);

    /// <summary>Rows of [N, 4] device tensors, concatenated and copied to the host in one transfer.</summary>
    private static T[] HostRows<T>(List<Tensor> rows) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        return cat(rows, 0).cpu().data<T>().ToArray();
    }

    /// <summary>Overlays of the <paramref name="k"/> best and <paramref name="k"/> worst images by F1 (no image twice).</summary>
    private List<string> WriteOverlays(EvaluatedModel trained, BatchLoader loader, EvaluationReport report, int k, string dir,
        TestTimeAugmentation tta, CancellationToken cancellation)
    {
        var written = new List<string>();
        if (Directory.Exists(dir))
        {
            foreach (string old in Directory.EnumerateFiles(dir, "*.png"))
                if (EvaluationFiles.IsOverlayName(Path.GetFileName(old))) File.Delete(old);
        }
        var chosen = EvaluationFiles.ChooseOverlays(report.Images, k);
        if (chosen.Count == 0) return written;
        Directory.CreateDirectory(dir);

        // The loader's sample index of image i is i: evaluation loaders keep the split order.
        int batchSize = loader.Options.BatchSize, done = 0;
        using var _ = no_grad();
        foreach (var group in chosen.Chunk(batchSize))
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var batch = loader.LoadBatch(0, group.Select(c => c.Index).ToArray());
            var predicted = CrackMask.FromProbabilities(tta.Probabilities(trained.Model.forward, batch.Images), report.Threshold);
            var images = ImageTensors.Denormalised255(batch.Images);
            for (int j = 0; j < group.Length; j++)
            {
                var (h, w) = batch.ContentSizes[j];
                var image = images[j].narrow(1, 0, h).narrow(2, 0, w);
                var pred = predicted[j, 0].narrow(0, 0, h).narrow(1, 0, w);
                var target = batch.Masks[j, 0].narrow(0, 0, h).narrow(1, 0, w).gt(Constants.MaskCut);
                string path = Path.Combine(dir, group[j].FileName);
                ImageTensors.WriteRgbPng(path, OverlayRenderer.Compare(image, pred, target), w, h);
                written.Add(path);
                _progress?.Report(new EvaluationProgress("overlays", ++done, chosen.Count));
            }
        }
        return written;
    }

    private static void ValidateOptions(EvaluationOptions o)
    {
        if (o.Threshold is double t && !(t >= 0 && t <= 1)) throw new InputException($"--threshold: expected a probability in [0, 1], got {t}");
        if (o.TolerancePx is < 0 or > 64) throw new InputException($"--tolerance: expected 0..64 pixels, got {o.TolerancePx}");
        if (o.Overlays < 0) throw new InputException($"--overlays: expected a count >= 0, got {o.Overlays}");
        if (o.BatchSize is < 1) throw new InputException($"--batch-size: expected >= 1, got {o.BatchSize}");
    }
}
