using System.CommandLine;
using CrackSeg.Models;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg model --config FILE [--keys]`: parameters per part, output shape, state_dict keys.</summary>
internal static class ModelCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("model", "Describe the configured model: parameter count per part, output shape for data.image_size, and (--keys) every state_dict entry as key<TAB>shape<TAB>dtype");
        var args = new ConfigArguments();
        args.AddTo(command);
        var keys = new Option<bool>("--keys") { Description = "Also print every state_dict entry in state_dict order (the golden key files' format)" };
        command.Options.Add(keys);
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var config = args.Load(parse);
            using var model = ModelFactory.Create(config.Model, config.Data.ImageSize);
            context.Output.Write(ModelSummary.Create(model).Format(parse.GetValue(keys)));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
