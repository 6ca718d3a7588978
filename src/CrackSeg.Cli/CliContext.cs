using CrackSeg.Common;

namespace CrackSeg.Cli;

/// <summary>What a command gets from the host: output streams, the log and the cancellation token.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        Output = output;
        Error = error;
        Cancellation = cancellation;
        Log = new RunLog(LogLevel.Info, error);
    }

    /// <summary>Results meant for the user or a pipe (tables, key: value lines).</summary>
    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public RunLog Log { get; }
    public CancellationToken Cancellation { get; }
    /// <summary>True when stdout is an interactive terminal (live progress bars).</summary>
    public bool IsTerminal => ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
}
