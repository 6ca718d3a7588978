using System.CommandLine;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Training;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg train --config FILE [section.key=value ...] [--resume [PATH]]`.</summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("train", "Train a model and save the experiment folder (metrics, logs, checkpoints) after every epoch");
        var args = new ConfigArguments();
        args.AddTo(command);
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue a run: alone, the newest folder of experiment.name; or an experiment folder; or a checkpoint .pth",
            Arity = ArgumentArity.ZeroOrOne,
        };
        command.Options.Add(resume);
        var stopAfter = new Option<int?>("--stop-after-epoch")
        {
            Description = "Stop after this epoch (the schedule still spans training.epochs), leaving a folder that --resume continues exactly",
        };
        command.Options.Add(stopAfter);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            bool resuming = parse.GetResult(resume) is not null;
            string? resumeTarget = resuming ? parse.GetValue(resume) ?? "" : null;
            string? configPath = parse.GetValue(args.Config);
            var overrides = parse.GetValue(args.Overrides) ?? [];
            var config = ResumeConfig.Resolve(configPath, overrides, resumeTarget);
            context.Log.Minimum = ParseLevel(config.Logging.Level);

            var progress = ProgressFactory.For(context, config.Logging);
            var outcome = progress.Run(p => new TrainingRun(context.Log, p).Run(
                new TrainingRequest(config, resumeTarget, ConfigWasGiven: configPath is not null || overrides.Length > 0)
                { StopAfterEpoch = parse.GetValue(stopAfter) }, context.Cancellation));

            context.Output.WriteLine($"experiment: {outcome.ExperimentDir}");
            context.Output.WriteLine($"epochs_completed: {outcome.EpochsCompleted}");
            context.Output.WriteLine($"best_epoch: {outcome.BestEpoch}");
            if (outcome.EarlyStopped) context.Output.WriteLine("early_stopped: true");
            if (outcome.Interrupted)
            {
                context.Output.WriteLine($"interrupted: true (continue with: crackseg train --resume {outcome.ExperimentDir})");
                return ExitCodes.Interrupted;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static LogLevel ParseLevel(string level) => level switch
    {
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Info,
    };
}

/// <summary>
/// The config of a resumed run: `--resume DIR` alone reuses the folder's config.yaml (plus any
/// overrides, e.g. a higher training.epochs); with --config the file is used and checked against it.
/// </summary>
internal static class ResumeConfig
{
    public static CrackSegConfig Resolve(string? configPath, string[] overrides, string? resumeTarget)
    {
        if (configPath is null && !string.IsNullOrEmpty(resumeTarget))
        {
            string? saved = ResumePlan.SavedConfigPath(resumeTarget);
            if (saved is not null) return ConfigLoader.Load(saved, overrides);
        }
        return ConfigLoader.Load(configPath, overrides);
    }
}
