using System.CommandLine;
using CrackSeg.Cli.Commands;
using CrackSeg.Common;

namespace CrackSeg.Cli;

/// <summary>
/// The `crackseg` command line: parses, runs one command, and maps outcomes to exit codes
/// (0 ok, 1 unexpected failure with a log path, 2 bad input, 130 interrupted).
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl+C: stop cleanly at the next safe point; a second one kills the process.
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            error.WriteLine("Interrupt received: finishing the current step, then stopping (Ctrl+C again to abort).");
            interrupt.Cancel();
        };
        bool isConsole = ReferenceEquals(output, Console.Out);
        if (isConsole) Console.CancelKeyPress += onCancel;
        try
        {
            var context = new CliContext(output, error, interrupt.Token);
            var root = BuildRoot(context);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) error.WriteLine($"error: {e.Message}");
                error.WriteLine("Run 'crackseg --help' (or 'crackseg <command> --help') for usage.");
                return ExitCodes.InputError;
            }
            var invocation = new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null, // we handle Ctrl+C ourselves so a step can finish
            };
            return await parse.InvokeAsync(invocation, interrupt.Token);
        }
        finally
        {
            if (isConsole) Console.CancelKeyPress -= onCancel;
        }
    }

    private static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("CrackSeg.NET: train, evaluate and report SwinV2-CNN-ASPP U-Net crack segmentation models.");
        foreach (var command in CommandCatalog.All(context)) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Runs a command body with the project's error contract.</summary>
    public static async Task<int> Guard(CliContext context, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (InputException e)
        {
            context.Log.Error(e.Message);
            return ExitCodes.InputError;
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.Log.Warning("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            string logPath = context.Log.FilePath ?? Path.Combine(Path.GetTempPath(), $"crackseg-error-{DateTime.Now:yyyyMMdd-HHmmss}.log");
            try
            {
                if (context.Log.FilePath is null) File.WriteAllText(logPath, e.ToString());
                else context.Log.Debug(e.ToString());
            }
            catch (IOException) { logPath = "(could not write a log)"; }
            context.Log.Error($"Unexpected failure: {e.GetType().Name}: {e.Message}. Details: {logPath}");
            return ExitCodes.Failure;
        }
    }

    public static Task<int> Guard(CliContext context, Func<int> body) => Guard(context, () => Task.FromResult(body()));
}
