using System.CommandLine;
using CrackSeg.Reporting;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg report` and `crackseg compare`: self-contained HTML reports with a Markdown twin.</summary>
internal static class ReportCommands
{
    public static Command Report(CliContext context)
    {
        var experiment = new Option<string>("--experiment", "-e") { Description = "Experiment folder", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "HTML file, .md file or folder (default: <experiment>/report/report.html)" };
        var command = new Command("report", "Write a self-contained HTML report (images embedded) and a Markdown twin for one experiment");
        command.Options.Add(experiment);
        command.Options.Add(output);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var (html, markdown) = ReportBuilder.Build(parse.GetValue(experiment)!, parse.GetValue(output));
            context.Output.WriteLine($"html: {html}");
            context.Output.WriteLine($"markdown: {markdown}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Compare(CliContext context)
    {
        var dirs = new Argument<string[]>("dirs") { Description = "Experiment folders", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "HTML file, .md file or folder (default: ./comparison/comparison.html)" };
        var command = new Command("compare", "One table across experiments (best and final metrics, time, parameters) and overlaid curves");
        command.Arguments.Add(dirs);
        command.Options.Add(output);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var (html, markdown) = CompareBuilder.Build(parse.GetValue(dirs)!, parse.GetValue(output));
            context.Output.WriteLine($"html: {html}");
            context.Output.WriteLine($"markdown: {markdown}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
