using CrackSeg.Common;
using CrackSeg.Training;
using Spectre.Console;

namespace CrackSeg.Cli;

/// <summary>
/// A live Spectre.Console bar: epoch k/N, batch, running loss (at log steps), samples/s and ETA.
/// While it is shown, console log lines below warnings are held back (the log file keeps them all).
/// </summary>
internal sealed class SpectreProgressHost(CliContext context) : IProgressHost
{
    public T Run<T>(Func<ITrainingProgress, T> work)
    {
        var previous = context.Log.Minimum;
        if (previous < LogLevel.Warning) context.Log.Minimum = LogLevel.Warning;
        try
        {
            return AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                         new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx => work(new Sink(ctx)));
        }
        finally { context.Log.Minimum = previous; }
    }

    private sealed class Sink(ProgressContext ctx) : ITrainingProgress
    {
        private ProgressTask? _task;
        private string _loss = "-";

        public void EpochStarted(int epoch, int totalEpochs, int batches)
        {
            _task?.StopTask();
            _task = ctx.AddTask($"epoch {epoch}/{totalEpochs}", maxValue: Math.Max(1, batches));
            _loss = "-";
        }

        public void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond)
        {
            if (_task is null) return;
            if (runningLoss is float l) _loss = l.ToString("F4");
            _task.Description = $"epoch {epoch} batch {batch}/{batches} loss {_loss} {samplesPerSecond:F1} img/s";
            _task.Value = batch;
        }

        public void ValidationStarted(int epoch, int batches)
        {
            if (_task is not null) _task.Description = $"epoch {epoch}: validating ({batches} batches)";
        }

        public void EpochFinished(int epoch, string summary)
        {
            if (_task is null) return;
            _task.Description = Markup.Escape(summary);
            _task.StopTask();
        }
    }
}
