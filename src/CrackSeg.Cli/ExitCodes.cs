namespace CrackSeg.Cli;

/// <summary>The process exit codes of every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Unexpected failure: the message points to a log with the details.</summary>
    public const int Failure = 1;
    /// <summary>Usage, config or data error: one message naming what was wrong.</summary>
    public const int InputError = 2;
    /// <summary>Interrupted (Ctrl+C / SIGTERM) after a clean stop.</summary>
    public const int Interrupted = 130;
}
