namespace CrackSeg.Training;

/// <summary>Where the trainer reports progress: a live bar on a terminal, log lines otherwise.</summary>
public interface ITrainingProgress
{
    void EpochStarted(int epoch, int totalEpochs, int batches);
    /// <summary>Called after every batch; <paramref name="runningLoss"/> is set only at log steps (it costs a host sync).</summary>
    void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond);
    void ValidationStarted(int epoch, int batches);
    void EpochFinished(int epoch, string summary);
}

/// <summary>Plain periodic log lines (non-interactive output, CI, files).</summary>
public sealed class LogLineProgress : ITrainingProgress
{
    private readonly Common.RunLog _log;
    private readonly int _every;
    private int _totalEpochs;
    private DateTime _epochStart;

    public LogLineProgress(Common.RunLog log, int logEvery)
    {
        _log = log;
        _every = Math.Max(1, logEvery);
    }

    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
        _totalEpochs = totalEpochs;
        _epochStart = DateTime.UtcNow;
        _log.Info($"epoch {epoch}/{totalEpochs}: {batches} training batches");
    }

    public void BatchFinished(int epoch, int batch, int batches, float? runningLoss, double samplesPerSecond)
    {
        if (runningLoss is null || (batch % _every != 0 && batch != batches)) return;
        double elapsed = (DateTime.UtcNow - _epochStart).TotalSeconds;
        double eta = batch > 0 ? elapsed / batch * (batches - batch) : 0;
        _log.Info($"epoch {epoch}/{_totalEpochs} batch {batch}/{batches} loss {runningLoss:F4} {samplesPerSecond:F1} samples/s eta {eta:F0}s");
    }

    // The last batch logs no loss line (its loss is read with the epoch summary), so this line marks the phase change.
    public void ValidationStarted(int epoch, int batches) => _log.Info($"epoch {epoch}/{_totalEpochs}: validating on {batches} batches");

    public void EpochFinished(int epoch, string summary) { } // the trainer logs the summary itself
}
