using System.CommandLine;
using CrackSeg.Common;
using CrackSeg.Evaluation;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg predict`: masks, probability maps and overlays for images of any size (overlapping tiles).</summary>
internal static class PredictCommand
{
    public static Command Create(CliContext context)
    {
        var experiment = new Option<string?>("--experiment", "-e") { Description = "Experiment folder (its best checkpoint and config.yaml)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint .pth (with --config), or best|last with --experiment" };
        var config = new Option<string?>("--config", "-c") { Description = "Config that built the checkpoint's model (with --checkpoint)" };
        var input = new Option<string>("--input", "-i") { Description = "Image file or folder", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Output folder", Required = true };
        var threshold = new Option<double?>("--threshold") { Description = "Probability threshold for the binary mask (default: metrics.threshold)" };
        var tile = new Option<int?>("--tile") { Description = "Tile size (multiple of 32; default 512, or the ONNX model's export size)" };
        var overlap = new Option<int?>("--overlap") { Description = "Tile overlap in pixels (default 64, at most half the tile)" };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda | cuda:N" };
        var tta = new Option<string>("--tta") { Description = "Test-time augmentation: none | flip (3 passes) | d4 (8 passes); probabilities averaged per tile, then blended", DefaultValueFactory = _ => "none" };
        var precision = new Option<string?>("--precision") { Description = "fp32 | tf32 | bf16 | fp16 (torch backend; default: the run's training.precision)" };
        var backend = new Option<string>("--backend") { Description = "torch | onnx (onnx: DIR/export/model.onnx, or --model)", DefaultValueFactory = _ => "torch" };
        var onnxModel = new Option<string?>("--model") { Description = "An exported model.onnx (ONNX Runtime; no checkpoint or config needed)" };
        var command = new Command("predict", "Predict crack masks: <stem>_mask.png, <stem>_prob.png and <stem>_overlay.png per image; bad files are reported and skipped");
        foreach (var o in new Option[] { experiment, checkpoint, config, input, output, threshold, tile, overlap, tta, device, precision, backend, onnxModel }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            string? dir = parse.GetValue(experiment), ckpt = parse.GetValue(checkpoint), cfg = parse.GetValue(config);
            TtaModes.Parse(parse.GetValue(tta)); // before the model loads: a typo costs nothing
            using var model = Open(context, dir, ckpt, cfg, parse.GetValue(device), parse.GetValue(backend)!, parse.GetValue(onnxModel), parse.GetValue(precision));
            int tileSize = parse.GetValue(tile) ?? model.FixedTile ?? 512;
            var options = new PredictOptions
            {
                Input = parse.GetValue(input)!,
                Output = parse.GetValue(output)!,
                Threshold = parse.GetValue(threshold),
                Tile = tileSize,
                Overlap = parse.GetValue(overlap) ?? Math.Min(64, tileSize / 2),
                Tta = parse.GetValue(tta)!,
            };
            var progress = new Progress<PredictProgress>(p =>
            {
                if (p.Status == PredictFileStatus.Skipped) context.Log.Warning($"[{p.Index}/{p.Total}] skipped {p.File}: {p.Reason}");
                else context.Log.Info($"[{p.Index}/{p.Total}] {p.File}");
            });
            var summary = new Predictor(model.Prediction, context.Log).Run(options, progress, context.Cancellation);
            context.Output.WriteLine($"processed: {summary.Processed.Count}");
            context.Output.WriteLine($"skipped: {summary.Skipped.Count}");
            foreach (var s in summary.Skipped) context.Output.WriteLine($"  - {s.Input}: {s.Reason}");
            context.Output.WriteLine($"megapixels_per_s: {summary.MegapixelsPerSecond:F3}");
            context.Output.WriteLine($"tta: {summary.Tta.ToKey()} ({summary.TtaPasses} forward pass{(summary.TtaPasses == 1 ? "" : "es")} per tile{EvaluateCommand.TimeFactor(summary.TtaPasses > 1 ? summary.TtaTimeFactor : null)})");
            context.Output.WriteLine($"output: {options.Output}");
            return summary.Processed.Count == 0 && summary.Skipped.Count > 0 ? ExitCodes.InputError : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The model of the backend asked for; <c>--model</c> implies onnx.</summary>
    internal static OpenedModel Open(CliContext context, string? dir, string? checkpoint, string? config, string? device, string backend, string? onnxModel, string? precision = null)
    {
        if (onnxModel is not null || backend == "onnx")
        {
            if (checkpoint is not null || config is not null)
                throw new InputException("--checkpoint and --config choose a TorchSharp model; the ONNX backend runs the exported file (--model FILE.onnx, or DIR/export/model.onnx)");
            if (onnxModel is null && dir is null) throw new InputException("predict --backend onnx needs --model FILE.onnx or --experiment DIR (with DIR/export/model.onnx)");
            long? maxPixels = dir is not null ? TrainedModel.ReadExperimentConfig(Artifacts.ExperimentFolder.Open(dir)).Data.MaxPixels : null;
            var prediction = PredictionModel.FromOnnx(onnxModel ?? PredictionModel.ExportedModelPath(dir!), maxPixels);
            context.Log.Info($"model: {prediction.Description}");
            return new OpenedModel(prediction, null);
        }
        if (backend != "torch") throw new InputException($"--backend: expected torch or onnx, got '{backend}'");
        if (dir is null && (checkpoint is null || config is null))
            throw new InputException("predict needs --experiment DIR, or --checkpoint PATH together with --config FILE, or --model FILE.onnx");
        var trained = dir is not null
            ? TrainedModel.FromExperiment(dir, checkpoint, device, context.Log, precision)
            : TrainedModel.FromCheckpoint(checkpoint!, config, device, context.Log, precision);
        return new OpenedModel(PredictionModel.FromTrained(trained), trained);
    }

    /// <summary>The prediction view of a model and what must be disposed with it.</summary>
    internal sealed record OpenedModel(PredictionModel Prediction, TrainedModel? Trained) : IDisposable
    {
        public int? FixedTile => Prediction.FixedTile;

        public void Dispose()
        {
            Prediction.Dispose();
            Trained?.Dispose();
        }
    }
}
