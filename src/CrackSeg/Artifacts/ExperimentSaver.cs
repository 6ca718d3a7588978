using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// The project's <c>save_experiment_data</c>: writes an experiment folder's metrics files from a snapshot
/// of the run. Called after every epoch and at the end, so that a crash leaves a complete, valid folder up
/// to the last finished epoch. Every file is replaced atomically; metrics.jsonl is rewritten whole from the
/// snapshot's epoch records (a resumed run passes its checkpoint's history plus the new epochs), so no
/// epoch is ever duplicated or lost. complete_summary.json is written last: when it names N epochs, every
/// other file already holds them.
/// <para>
/// Checkpoints are the <see cref="CheckpointStore"/>'s and logs/training.log is the <see cref="RunLog"/>'s
/// (attached to the file for the whole run); the saver only warns when they are missing.
/// </para>
/// </summary>
public sealed class ExperimentSaver(RunLog log, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Writes the metrics files, config.yaml and final_results.yaml; returns the paths written.</summary>
    /// <exception cref="ArgumentException">The snapshot holds a non-finite number, epochs that are not 1..N, or an unvalidated best epoch (trainer bugs).</exception>
    /// <exception cref="ArtifactWriteException">A file could not be written; the previous version of it is intact.</exception>
    public IReadOnlyList<string> Save(ExperimentFolder folder, ExperimentSnapshot snapshot)
    {
        snapshot.Validate();
        // Render everything before touching the disk: a formatting error must not leave a half-updated folder.
        var files = new List<(string Path, string Text)>
        {
            (folder.MetricsJsonl, ExperimentDocuments.MetricsJsonl(snapshot.Epochs)),
            (folder.ValidationMetricsJson, ExperimentDocuments.ValidationMetrics(snapshot)),
            (folder.FinalResultsYaml, ExperimentDocuments.FinalResultsYaml(snapshot)),
            (folder.ConfigYaml, snapshot.ConfigYaml.EndsWith('\n') ? snapshot.ConfigYaml : snapshot.ConfigYaml + "\n"),
            (folder.CompleteSummaryJson, ExperimentDocuments.CompleteSummary(snapshot, _clock.GetLocalNow())),
        };

        WarnAboutDroppedEpochs(folder, snapshot.Epochs.Count);
        var saved = new List<string>(files.Count);
        foreach (var (path, text) in files)
        {
            ArtifactWriteException.Wrap(path, () => AtomicFile.WriteAllText(path, text));
            saved.Add(path);
            log.Info($"saved {Relative(folder, path)}");
        }
        WarnAboutMissing(folder, snapshot);
        return saved;
    }

    /// <summary>
    /// A run resumed from a checkpoint older than its last metrics line re-runs the epochs after it; say so
    /// rather than silently replacing those lines.
    /// </summary>
    private void WarnAboutDroppedEpochs(ExperimentFolder folder, int epochsNow)
    {
        if (!File.Exists(folder.MetricsJsonl)) return;
        int before = File.ReadLines(folder.MetricsJsonl).Count(l => l.Trim().Length > 0);
        if (before > epochsNow)
            log.Warning($"metrics.jsonl held {before} epochs; rewriting it with the {epochsNow} epochs of the resumed run (epochs {epochsNow + 1}..{before} are re-run)");
    }

    private void WarnAboutMissing(ExperimentFolder folder, ExperimentSnapshot s)
    {
        if (!File.Exists(folder.TrainingLog))
            log.Warning($"missing {Relative(folder, folder.TrainingLog)}: attach the run log to it (RunLog.AttachFile) when the run starts");
        if (!File.Exists(folder.SplitsJson))
            log.Warning($"missing {Relative(folder, folder.SplitsJson)}: the data split of this run is not recorded");
        if (s.Epochs.Count > 0 && folder.EpochCheckpoints().Count == 0)
            log.Warning("no epoch checkpoint yet in checkpoints/: this run cannot be resumed");
        if (s.BestEpoch is not null && (!File.Exists(folder.BestModel) || !File.Exists(folder.CheckpointBestModel)))
            log.Warning($"best epoch is {s.BestEpoch} but best_model.pth is missing (root or checkpoints/)");
        if (s.Epochs.Count > 0 && s.LastValidated is null)
            log.Warning("no epoch has been validated yet: final and best metrics are null");
    }

    private static string Relative(ExperimentFolder folder, string path) =>
        Path.GetRelativePath(folder.Root, path).Replace('\\', '/');
}
