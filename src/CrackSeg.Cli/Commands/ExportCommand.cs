using System.CommandLine;
using CrackSeg.Export;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg export --experiment DIR`: the trained model as model.onnx + model.json for ONNX Runtime.</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context)
    {
        var experiment = new Option<string>("--experiment", "-e") { Description = "Experiment folder (its config.yaml and checkpoints)", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best | last | PATH", DefaultValueFactory = _ => "best" };
        var size = new Option<int>("--size") { Description = "Input side in pixels, fixed in the graph (a multiple of the model's window period)", DefaultValueFactory = _ => 512 };
        var opset = new Option<int>("--opset") { Description = "ONNX opset", DefaultValueFactory = _ => ExportOptions.SupportedOpset };
        var output = new Option<string?>("--output", "-o") { Description = "Model file (default DIR/export/model.onnx); the manifest goes beside it as <name>.json" };
        var command = new Command("export", "Export the trained model to ONNX (input 'image' [N,3,S,S] RGB in [0,1]; outputs 'probability', 'logits')");
        foreach (var o in new Option[] { experiment, checkpoint, size, opset, output }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var result = new OnnxExporter(context.Log).Run(new ExportOptions
            {
                Experiment = parse.GetValue(experiment)!,
                Checkpoint = parse.GetValue(checkpoint),
                Size = parse.GetValue(size),
                Opset = parse.GetValue(opset),
                Output = parse.GetValue(output),
            });
            var o = context.Output;
            o.WriteLine($"model: {result.ModelPath}");
            o.WriteLine($"manifest: {result.ManifestPath}");
            o.WriteLine($"input: {ModelGraph.InputName} [N, 3, {result.Manifest.InputSize}, {result.Manifest.InputSize}] RGB in [0, 1]");
            o.WriteLine($"outputs: {ModelGraph.ProbabilityName}, {ModelGraph.LogitsName}");
            o.WriteLine($"opset: {result.Manifest.Opset}");
            o.WriteLine($"nodes: {result.Nodes}");
            o.WriteLine($"threshold: {result.Manifest.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            o.WriteLine($"source_checkpoint: {result.Manifest.SourceCheckpoint} (sha256 {result.Manifest.SourceCheckpointSha256})");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
