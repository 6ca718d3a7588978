using CrackSeg.Common;

namespace CrackSeg.Training;

/// <summary>
/// One `crackseg train`: builds (or resumes) the experiment folder, data, model and optimizer, runs
/// the epochs, and after every epoch writes the checkpoint and hands the trackers to the saver, so a
/// crash leaves a valid folder up to the last finished epoch. The phases live in <see cref="TrainingSession"/>.
/// </summary>
public sealed class TrainingRun
{
    private readonly RunLog _log;
    private readonly ITrainingProgress _progress;

    public TrainingRun(RunLog log, ITrainingProgress progress)
    {
        _log = log;
        _progress = progress;
    }

    public TrainingOutcome Run(TrainingRequest request, CancellationToken cancellation)
    {
        using var session = new TrainingSession(request, _log, _progress);
        session.Restore();
        session.StartRecording();
        session.RunEpochs(cancellation);
        return session.Finish();
    }
}
