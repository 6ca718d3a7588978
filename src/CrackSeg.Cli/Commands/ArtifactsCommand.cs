using System.CommandLine;
using CrackSeg.Artifacts;

namespace CrackSeg.Cli.Commands;

/// <summary>`crackseg artifacts verify DIR`: checks an experiment folder against the saving guide's contract.</summary>
internal static class ArtifactsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("artifacts", "Inspect experiment folders");
        var verify = new Command("verify", "Check a folder against the experiment-data contract (files, keys, types, epochs, best epoch, checkpoints); exit 0 when valid, 2 otherwise");
        var dirs = new Argument<string[]>("dir") { Description = "Experiment folder(s)", Arity = ArgumentArity.OneOrMore };
        verify.Arguments.Add(dirs);
        verify.SetAction(parse => CliApp.Guard(context, () =>
        {
            int bad = 0;
            foreach (var dir in parse.GetValue(dirs)!)
            {
                var problems = ArtifactVerifier.Verify(dir);
                if (problems.Count == 0) { context.Output.WriteLine($"ok: {dir}"); continue; }
                bad++;
                context.Output.WriteLine($"invalid: {dir} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")})");
                foreach (var p in problems) context.Output.WriteLine($"  - {p}");
            }
            return bad == 0 ? ExitCodes.Ok : ExitCodes.InputError;
        }));
        command.Subcommands.Add(verify);
        return command;
    }
}
