using System.CommandLine;
using CrackSeg.Config;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg config show`: the resolved config (file + environment + overrides) as YAML.</summary>
internal static class ConfigCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("config", "Inspect configuration");
        var show = new Command("show", "Print the resolved configuration as YAML (what the experiment folder saves as config.yaml)");
        var args = new ConfigArguments();
        args.AddTo(show);
        show.SetAction(parse => CliApp.Guard(context, () =>
        {
            context.Output.Write(ConfigYaml.Serialize(args.Load(parse)));
            return ExitCodes.Ok;
        }));
        command.Subcommands.Add(show);
        return command;
    }
}
