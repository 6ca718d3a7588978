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
        var tta = new Option<string>("--tta") { Description = "Test-time augmentation: none | flip (3 passes) | d4 (8 passes); probabilities averaged per tile, then blended", DefaultValueFactory = _ => "none" };
        var command = new Command("predict", "Predict crack masks: <stem>_mask.png, <stem>_prob.png and <stem>_overlay.png per image; bad files are reported and skipped");
        foreach (var o in new Option[] { experiment, checkpoint, config, input, output, threshold, tile, overlap, tta, device }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            string? dir = parse.GetValue(experiment), ckpt = parse.GetValue(checkpoint), cfg = parse.GetValue(config);
            if (dir is null && (ckpt is null || cfg is null))
                throw new InputException("predict needs --experiment DIR, or --checkpoint PATH together with --config FILE");
            TtaModes.Parse(parse.GetValue(tta)); // before the model loads: a typo costs nothing
            using var model = dir is not null
                ? TrainedModel.FromExperiment(dir, ckpt, parse.GetValue(device), context.Log)
                : TrainedModel.FromCheckpoint(ckpt!, cfg, parse.GetValue(device), context.Log);
            var options = new PredictOptions
            {
                Input = parse.GetValue(input)!,
                Output = parse.GetValue(output)!,
                Threshold = parse.GetValue(threshold),
                Tile = parse.GetValue(tile),
                Overlap = parse.GetValue(overlap),
                Tta = parse.GetValue(tta)!,
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
            context.Output.WriteLine($"tta: {summary.Tta.ToKey()} ({summary.TtaPasses} forward pass{(summary.TtaPasses == 1 ? "" : "es")} per tile{EvaluateCommand.TimeFactor(summary.TtaPasses > 1 ? summary.TtaTimeFactor : null)})");
            context.Output.WriteLine($"output: {options.Output}");
            return summary.Processed.Count == 0 && summary.Skipped.Count > 0 ? ExitCodes.InputError : ExitCodes.Ok;
        }));
        return command;
    }
}
