using CrackSeg.Config;
using CrackSeg.Training;

namespace CrackSeg.Cli;

/// <summary>Chooses a live bar (interactive terminal) or plain log lines (pipes, CI, `logging.progress: plain`).</summary>
internal static class ProgressFactory
{
    public static IProgressHost For(CliContext context, LoggingConfig logging)
    {
        bool bar = logging.Progress switch
        {
            "bar" => true,
            "plain" => false,
            _ => context.IsTerminal,
        };
        return bar ? new SpectreProgressHost(context) : new PlainProgressHost(context, logging.LogEvery);
    }
}

/// <summary>Runs work with a progress sink whose lifetime it owns (a live display needs a scope).</summary>
internal interface IProgressHost
{
    T Run<T>(Func<ITrainingProgress, T> work);
}

internal sealed class PlainProgressHost(CliContext context, int logEvery) : IProgressHost
{
    public T Run<T>(Func<ITrainingProgress, T> work) => work(new LogLineProgress(context.Log, logEvery));
}
