using System.CommandLine;
using System.Globalization;
using CrackSeg.Evaluation;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg evaluate --experiment DIR ...`: metrics, threshold sweep, PR curve, per-image CSV, overlays.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliContext context)
    {
        var experiment = new Option<string>("--experiment", "-e") { Description = "Experiment folder (its config.yaml and splits.json are used)", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best | last | PATH (ours, or a Python crackseg checkpoint with model_state_dict)", DefaultValueFactory = _ => "best" };
        var weights = new Option<string>("--weights") { Description = "model | ema (the weight average an epoch checkpoint of a run with training.ema holds)", DefaultValueFactory = _ => "model" };
        var split = new Option<string>("--split") { Description = "test | val (as recorded in splits.json) | all (every pair of --data, any layout; written to DIR/evaluation/<dataset name>/)", DefaultValueFactory = _ => "test" };
        var data = new Option<string?>("--data") { Description = "Dataset root: with test|val, if it moved since training; with all, any dataset" };
        var tta = new Option<string>("--tta") { Description = "Test-time augmentation: none | flip (3 passes) | d4 (8 passes); probabilities averaged", DefaultValueFactory = _ => "none" };
        var threshold = new Option<double?>("--threshold") { Description = "Probability threshold (default: metrics.threshold of the experiment)" };
        var tolerance = new Option<int>("--tolerance") { Description = "Pixel tolerance for the tolerant F score", DefaultValueFactory = _ => 2 };
        var overlays = new Option<int>("--overlays") { Description = "Overlays for the K best and K worst images", DefaultValueFactory = _ => 5 };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda | cuda:N (default: the experiment's training.device)" };
        var precision = new Option<string?>("--precision") { Description = "fp32 | tf32 | bf16 | fp16 (torch backend; default: the experiment's training.precision)" };
        var backend = new Option<string>("--backend") { Description = "torch | onnx (onnx: DIR/export/model.onnx in ONNX Runtime, or --model)", DefaultValueFactory = _ => "torch" };
        var onnxModel = new Option<string?>("--model") { Description = "The exported model.onnx to evaluate (implies --backend onnx)" };
        var command = new Command("evaluate", "Evaluate a trained experiment on its test (or val) split, or on every pair of any dataset, and write DIR/evaluation/");
        foreach (var o in new Option[] { experiment, checkpoint, weights, split, data, tta, threshold, tolerance, overlays, device, precision, backend, onnxModel }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var options = new EvaluationOptions
            {
                Experiment = parse.GetValue(experiment)!,
                Checkpoint = parse.GetValue(checkpoint)!,
                Weights = parse.GetValue(weights)!,
                Split = parse.GetValue(split)!,
                Tta = parse.GetValue(tta)!,
                DataRoot = parse.GetValue(data),
                Threshold = parse.GetValue(threshold),
                TolerancePx = parse.GetValue(tolerance),
                Overlays = parse.GetValue(overlays),
                Device = parse.GetValue(device),
                Precision = parse.GetValue(precision),
                Backend = parse.GetValue(onnxModel) is not null ? InferenceBackend.Onnx : parse.GetValue(backend) switch
                {
                    "torch" => InferenceBackend.Torch,
                    "onnx" => InferenceBackend.Onnx,
                    var other => throw new Common.InputException($"--backend: expected torch or onnx, got '{other}'"),
                },
                OnnxModel = parse.GetValue(onnxModel),
            };
            var outcome = new Evaluator(context.Log).Run(options, context.Cancellation);
            var r = outcome.Report;
            var m = r.Metrics;
            string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            var o = context.Output;
            o.WriteLine($"evaluation: {outcome.OutputDir}");
            o.WriteLine($"split: {r.Split} ({r.ImageCount} images{(r.DatasetName is { } name ? $" of {name}" : "")})");
            o.WriteLine($"tta: {r.Tta.ToKey()} ({r.TtaPasses} forward pass{(r.TtaPasses == 1 ? "" : "es")} per image{TimeFactor(r.TtaPasses > 1 ? r.TtaTimeFactor : null)})");
            o.WriteLine($"seconds: {r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} ({(r.Seconds > 0 ? r.ImageCount / r.Seconds : 0).ToString("F2", CultureInfo.InvariantCulture)} images/s)");
            o.WriteLine($"checkpoint: {r.Checkpoint.Path} ({r.Checkpoint.Choice}, {r.Checkpoint.KindName}{(r.Checkpoint.Epoch is int e ? $", epoch {e}" : "")}, {r.Checkpoint.Weights} weights)");
            o.WriteLine($"threshold: {r.Threshold.ToString(CultureInfo.InvariantCulture)}");
            o.WriteLine($"iou: {F(m.Iou)}");
            o.WriteLine($"dice: {F(m.Dice)}");
            o.WriteLine($"f1: {F(m.F1)}");
            o.WriteLine($"precision: {F(m.Precision)}");
            o.WriteLine($"recall: {F(m.Recall)}");
            o.WriteLine($"accuracy: {F(m.Accuracy)}");
            o.WriteLine($"mean_iou: {F(m.MeanIou)}");
            o.WriteLine($"ods_f: {F(r.Sweep.Ods.F)} (threshold {r.Sweep.Ods.Threshold.ToString("F3", CultureInfo.InvariantCulture)})");
            o.WriteLine($"ois_f: {F(r.Sweep.Ois ?? double.NaN)}");
            o.WriteLine($"ap: {F(r.Sweep.AveragePrecision)}");
            o.WriteLine($"f1_tolerance_{r.TolerancePx}px: {F(r.Tolerance.F)}");
            o.WriteLine($"cldice: {F(r.ClDice)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>", model time x7.91 measured" (CPU), or nothing where it was not measured.</summary>
    internal static string TimeFactor(double? factor) =>
        factor is double f ? $", model time x{f.ToString("F2", CultureInfo.InvariantCulture)} measured" : "";
}
