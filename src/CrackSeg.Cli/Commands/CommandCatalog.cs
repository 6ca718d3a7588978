using System.CommandLine;

namespace CrackSeg.Cli.Commands;

/// <summary>Every top-level command, in help order.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All(CliContext context)
    {
        yield return TrainCommand.Create(context);
        yield return EvaluateCommand.Create(context);
        yield return PredictCommand.Create(context);
        yield return ExportCommand.Create(context);
        yield return ModelCommand.Create(context);
        yield return DataCommands.Create(context);
        yield return ReportCommands.Report(context);
        yield return ReportCommands.Compare(context);
        yield return ArtifactsCommand.Create(context);
        yield return BenchCommands.Create(context);
        yield return InfoCommand.Create(context);
        yield return ConfigCommand.Create(context);
    }
}
