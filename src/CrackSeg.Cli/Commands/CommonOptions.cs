using System.CommandLine;
using CrackSeg.Config;

namespace CrackSeg.Cli.Commands;

/// <summary>Options shared by commands that take a config file plus `section.key=value` overrides.</summary>
internal sealed class ConfigArguments
{
    public Option<string?> Config { get; } = new("--config", "-c") { Description = "YAML config file (omit for the built-in defaults)" };
    public Argument<string[]> Overrides { get; } = new("overrides")
    {
        Description = "section.key=value overrides, e.g. training.epochs=3 (they beat the file and CRACKSEG__SECTION__KEY variables)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public void AddTo(Command command, bool required = false)
    {
        Config.Required = required;
        command.Options.Add(Config);
        command.Arguments.Add(Overrides);
    }

    public CrackSegConfig Load(ParseResult parse) =>
        ConfigLoader.Load(parse.GetValue(Config), parse.GetValue(Overrides) ?? []);
}
