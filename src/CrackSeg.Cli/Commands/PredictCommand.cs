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
        var tile = new Option<int>("--tile") { Description = "Tile size (multiple of 32)", DefaultValueFactory = _ => 512 };
        var overlap = new Option<int>("--overlap") { Description = "Tile overlap in pixels (multiple of 32)", DefaultValueFactory = _ => 64 };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda | cuda:N" };
        var precision = new Option<string?>("--precision") { Description = "fp32 | tf32 | bf16 | fp16 (default: the run's training.precision)" };
        var command = new Command("predict", "Predict crack masks: <stem>_mask.png, <stem>_prob.png and <stem>_overlay.png per image; bad files are reported and skipped");
        foreach (var o in new Option[] { experiment, checkpoint, config, input, output, threshold, tile, overlap, device, precision }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            string? dir = parse.GetValue(experiment), ckpt = parse.GetValue(checkpoint), cfg = parse.GetValue(config);
            if (dir is null && (ckpt is null || cfg is null))
                throw new InputException("predict needs --experiment DIR, or --checkpoint PATH together with --config FILE");
            using var model = dir is not null
                ? TrainedModel.FromExperiment(dir, ckpt, parse.GetValue(device), context.Log, parse.GetValue(precision))
                : TrainedModel.FromCheckpoint(ckpt!, cfg, parse.GetValue(device), context.Log, parse.GetValue(precision));
            var options = new PredictOptions
            {
                Input = parse.GetValue(input)!,
                Output = parse.GetValue(output)!,
                Threshold = parse.GetValue(threshold),
                Tile = parse.GetValue(tile),
                Overlap = parse.GetValue(overlap),
            };
            var progress = new Progress<PredictProgress>(p =>
            {
                if (p.Status == PredictFileStatus.Skipped) context.Log.Warning($"[{p.Index}/{p.Total}] skipped {p.File}: {p.Reason}");
                else context.Log.Info($"[{p.Index}/{p.Total}] {p.File}");
            });
            var summary = new Predictor(model, context.Log).Run(options, progress, context.Cancellation);
            context.Output.WriteLine($"processed: {summary.Processed.Count}");
            context.Output.WriteLine($"skipped: {summary.Skipped.Count}");
            foreach (var s in summary.Skipped) context.Output.WriteLine($"  - {s.Input}: {s.Reason}");
            context.Output.WriteLine($"megapixels_per_s: {summary.MegapixelsPerSecond:F3}");
            context.Output.WriteLine($"output: {options.Output}");
            return summary.Processed.Count == 0 && summary.Skipped.Count > 0 ? ExitCodes.InputError : ExitCodes.Ok;
        }));
        return command;
    }
}
