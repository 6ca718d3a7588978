using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Metrics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Evaluation;

/// <summary>
/// `crackseg predict`: crack masks for images of any size with a trained model. Each input is checked before
/// decoding (the data pipeline's <see cref="ImageFileInspector"/>: signature, truncation, data.max_pixels),
/// decoded to RGB, ImageNet-normalised and run through <see cref="TiledInference"/>; the outputs are
/// <c>&lt;stem&gt;_mask.png</c> (0/255), <c>&lt;stem&gt;_prob.png</c> (probability × 255) and
/// <c>&lt;stem&gt;_overlay.png</c> (predicted cracks in red over the image). A bad input is reported and
/// skipped; the others are still processed.
/// </summary>
public sealed class Predictor
{
    private readonly PredictionModel _model;
    private readonly RunLog _log;

    /// <summary>Predicts with the TorchSharp model (the caller keeps owning <paramref name="model"/>).</summary>
    public Predictor(TrainedModel model, RunLog log) : this(PredictionModel.FromTrained(model), log) { }

    /// <summary>Predicts with either backend (the caller keeps owning <paramref name="model"/>).</summary>
    public Predictor(PredictionModel model, RunLog log)
    {
        _model = model;
        _log = log;
    }

    /// <exception cref="InputException">The input does not exist or holds no image files; bad threshold, tile or overlap.</exception>
    public PredictionSummary Run(PredictOptions options, IProgress<PredictProgress>? progress = null, CancellationToken cancellation = default)
    {
        double threshold = options.Threshold ?? _model.Threshold;
        if (!(threshold >= 0 && threshold <= 1)) throw new InputException($"--threshold: expected a probability in [0, 1], got {threshold}");
        if (options.TileBatch < 1) throw new InputException($"--tile-batch: expected >= 1, got {options.TileBatch}");
        if (_model.FixedTile is int fixedTile && options.Tile != fixedTile)
            throw new InputException($"--tile: the ONNX model takes {fixedTile} px tiles only (its export --size), got {options.Tile}");
        TileGrid.Validate(options.Tile, options.Overlap);
        var tta = new TestTimeAugmentation(TtaModes.Parse(options.Tta));
        // ONNX Runtime gets host arrays directly: that path never loads LibTorch (and has no TTA: it runs on tensors).
        if (_model.Onnx is not null && tta.Passes > 1)
            throw new InputException($"--tta {options.Tta}: test-time augmentation runs on the torch backend only");
        ITiler tiler = _model.Onnx is { } onnx
            ? new HostTiler(new HostTiledInference(onnx, options.Overlap, options.TileBatch))
            : new TensorTiler(new TiledInference(_model.Network, options.Tile, options.Overlap, options.TileBatch, tta), _model.Device);
        var inputs = ListInputs(options.Input);
        Directory.CreateDirectory(options.Output);
        int period = _model.WindowPeriod;
        if ((options.Tile - options.Overlap) % period != 0)
            _log.Debug($"tile step {options.Tile - options.Overlap} px is not a multiple of the window period {period} px: tiles see other window partitions than the whole image (blending hides it)");

        var clock = Stopwatch.StartNew();
        var processed = new List<PredictedFile>();
        var skipped = new List<SkippedFile>();
        var stems = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < inputs.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            string file = inputs[i];
            var (image, problem) = Decode(file);
            if (image is null)
            {
                _log.Warning($"predict: skipped {problem}");
                skipped.Add(new SkippedFile(file, problem!));
                progress?.Report(new PredictProgress(i + 1, inputs.Count, file, PredictFileStatus.Skipped, problem));
                continue;
            }
            var result = Predict(tiler, file, image.Value, UniqueStem(file, stems), options.Output, threshold);
            processed.Add(result);
            _log.Debug($"predict: {file} ({result.Width}x{result.Height}, {result.Tiles} tiles) in {result.Seconds:F2} s");
            progress?.Report(new PredictProgress(i + 1, inputs.Count, file, PredictFileStatus.Processed, null));
        }
        var summary = new PredictionSummary(processed, skipped, clock.Elapsed.TotalSeconds, tta.Mode, tta.Passes, tta.MeasuredTimeFactor);
        _log.Info($"predict: {processed.Count} image(s) written to {options.Output}, {skipped.Count} skipped, {summary.Seconds:F1} s ({summary.MegapixelsPerSecond:F2} MP/s" +
                  (tta.Passes > 1 ? $", TTA {tta.Mode.ToKey()}: {tta.Passes} passes per tile, model time x{tta.MeasuredTimeFactor:F2})" : ")"));
        return summary;
    }

    /// <summary>[H, W] float32 probabilities (host copy) of RGB24 pixels, tiled as <paramref name="tiler"/> says.</summary>
    public float[] Probabilities(byte[] rgb, int width, int height, TiledInference tiler)
    {
        using var scope = NewDisposeScope();
        var image = ImageTensors.Normalised(rgb, height, width, _model.Device);
        return tiler.Probabilities(image).cpu().data<float>().ToArray();
    }

    private static PredictedFile Predict(ITiler tiler, string file, (byte[] Rgb, int Width, int Height) image, string stem, string outputDir, double threshold)
    {
        var clock = Stopwatch.StartNew();
        var (rgb, width, height) = image;
        var (probabilityBytes, maskBytes, overlayBytes) = tiler.Outputs(rgb, width, height, threshold);
        double crackRatio = maskBytes.Count(b => b != 0) / (double)maskBytes.Length;
        string mask = Path.Combine(outputDir, stem + "_mask.png");
        string probability = Path.Combine(outputDir, stem + "_prob.png");
        string overlay = Path.Combine(outputDir, stem + "_overlay.png");
        ImageTensors.WriteGreyPng(mask, maskBytes, width, height);
        ImageTensors.WriteGreyPng(probability, probabilityBytes, width, height);
        ImageTensors.WriteRgbPng(overlay, overlayBytes, width, height);
        return new PredictedFile(file, mask, probability, overlay, width, height, tiler.Plan(height, width).Count, crackRatio, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The three output images of one input: probability (round(255·p)), mask (0/255) and overlay bytes.</summary>
    private interface ITiler
    {
        TileGrid Plan(int height, int width);
        (byte[] Probability, byte[] Mask, byte[] Overlay) Outputs(byte[] rgb, int width, int height, double threshold);
    }

    /// <summary>The TorchSharp path: everything on the model's device.</summary>
    private sealed class TensorTiler(TiledInference tiler, Device device) : ITiler
    {
        public TileGrid Plan(int height, int width) => tiler.Plan(height, width);

        public (byte[] Probability, byte[] Mask, byte[] Overlay) Outputs(byte[] rgb, int width, int height, double threshold)
        {
            using var scope = NewDisposeScope();
            var normalised = ImageTensors.Normalised(rgb, height, width, device);
            var probabilities = tiler.Probabilities(normalised);
            var predicted = CrackMask.FromProbabilities(probabilities, threshold);
            return (ImageTensors.GreyBytes(probabilities.Times(255)),
                ImageTensors.GreyBytes(predicted.to(ScalarType.Float32).TimesInPlace(255)),
                OverlayRenderer.Prediction(ImageTensors.Denormalised255(normalised), predicted));
        }
    }

    /// <summary>The ONNX Runtime path on host arrays (no LibTorch): the same roundings and overlay colours.</summary>
    private sealed class HostTiler(HostTiledInference tiler) : ITiler
    {
        public TileGrid Plan(int height, int width) => tiler.Plan(height, width);

        public (byte[] Probability, byte[] Mask, byte[] Overlay) Outputs(byte[] rgb, int width, int height, double threshold)
        {
            var probabilities = tiler.Probabilities(rgb, width, height);
            float cut = (float)threshold;
            var probability = new byte[probabilities.Length];
            var mask = new byte[probabilities.Length];
            for (int i = 0; i < probabilities.Length; i++)
            {
                probability[i] = (byte)Math.Clamp(MathF.Round(probabilities[i] * 255f), 0f, 255f);
                mask[i] = CrackMask.IsCrack(probabilities[i], cut) ? (byte)255 : (byte)0;
            }
            return (probability, mask, OverlayRenderer.Prediction(rgb, mask));
        }
    }

    /// <summary>The pixels of one input, or why it cannot be used (the message names the file).</summary>
    private ((byte[] Rgb, int Width, int Height)? Image, string? Problem) Decode(string file)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"{file}: cannot be read ({e.Message})");
        }
        var (header, problem) = ImageFileInspector.Inspect(file, bytes, _model.MaxPixels);
        if (problem is not null) return (null, $"{file}: {problem.Message}");
        try
        {
            using var decoded = Image.Load<Rgb24>(bytes);
            var rgb = new byte[checked(decoded.Width * decoded.Height * 3)];
            decoded.CopyPixelDataTo(rgb);
            return ((rgb, decoded.Width, decoded.Height), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, $"{file}: the {header!.Format} data cannot be decoded ({e.Message})");
        }
    }

    /// <summary>An input file, or the image files at the top level of a folder (sorted by name).</summary>
    internal static IReadOnlyList<string> ListInputs(string input)
    {
        if (File.Exists(input)) return [Path.GetFullPath(input)];
        if (!Directory.Exists(input)) throw new InputException($"--input: '{input}' is neither an image file nor a folder");
        var files = Directory.EnumerateFiles(input)
            .Where(f => !ImageFileFormats.IsIgnorable(f) && ImageFileFormats.IsSupportedExtension(f))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new InputException($"--input: folder '{input}' holds no image files ({ImageFileFormats.SupportedList})");
        return files;
    }

    /// <summary>The file's stem; a second file with the same stem (a.jpg next to a.png) keeps its extension in the name.</summary>
    private static string UniqueStem(string file, HashSet<string> used)
    {
        string stem = Path.GetFileNameWithoutExtension(file);
        if (used.Add(stem)) return stem;
        string withExtension = Path.GetFileName(file).Replace('.', '_');
        for (int n = 2; !used.Add(withExtension); n++) withExtension = $"{Path.GetFileName(file).Replace('.', '_')}_{n}";
        return withExtension;
    }
}
