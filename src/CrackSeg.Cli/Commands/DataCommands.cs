using System.CommandLine;
using CrackSeg.Config;
using CrackSeg.Data;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg data synth` and `crackseg data check`.</summary>
internal static class DataCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("data", "Generate synthetic data and check datasets");
        command.Subcommands.Add(Synth(context));
        command.Subcommands.Add(Check(context));
        return command;
    }

    private static Command Synth(CliContext context)
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder to write images/ and masks/ into", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Number of image/mask pairs", DefaultValueFactory = _ => 64 };
        var size = new Option<string>("--size") { Description = "Image size WxH", DefaultValueFactory = _ => "256x256" };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same images)", DefaultValueFactory = _ => 1234 };
        var command = new Command("synth", "Generate pavement-like images with exact crack masks (branching random-walk cracks 1-6 px wide)");
        foreach (var o in new Option[] { output, count, size, seed }) command.Options.Add(o);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var (w, h) = ParseSize(parse.GetValue(size)!);
            int n = parse.GetValue(count);
            if (n < 1) throw new Common.InputException($"--count must be at least 1, got {n}");
            var summary = SyntheticCracks.Generate(parse.GetValue(output)!, n, w, h, parse.GetValue(seed));
            context.Output.WriteLine($"wrote {summary.Count} pairs of {summary.Width}x{summary.Height} to {summary.OutputDirectory} (seed {summary.Seed}, mean crack ratio {summary.MeanCrackRatio:P2})");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Check(CliContext context)
    {
        var data = new Option<string>("--data", "-d") { Description = "Dataset root (images/ + masks/, or train|val|test/ folders)", Required = true };
        var args = new ConfigArguments();
        var command = new Command("check", "Count pairs, image sizes and crack-pixel ratios, and list every problem; exit 2 on a fatal problem");
        command.Options.Add(data);
        args.AddTo(command);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var config = args.Load(parse);
            var report = DataCheck.Run(parse.GetValue(data)!, config.Data, context.Log);
            context.Output.Write(report.Format());
            return report.HasFatalProblem ? ExitCodes.InputError : ExitCodes.Ok;
        }));
        return command;
    }

    internal static (int Width, int Height) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out int w) && int.TryParse(parts[1], out int h) && w >= 32 && h >= 32 && w <= 8192 && h <= 8192)
            return (w, h);
        throw new Common.InputException($"--size must look like WIDTHxHEIGHT with 32..8192 each (e.g. 256x256), got '{text}'");
    }
}
