using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// <c>checkpoints/model_best.pth</c> and <c>checkpoints/model_latest.pth</c>, the names the Python reporting
/// module looks checkpoints up by: the same files as <c>checkpoints/best_model.pth</c> and the newest
/// <c>checkpoints/epoch_&lt;N&gt;.pth</c>. They are hard links, so they cost no disk space; where the file
/// system has none (FAT, some network shares) they are copies. Every checkpoint write replaces its file
/// (a new inode), so <see cref="Sync"/> runs after each one, after pruning and on resume.
/// </summary>
public static class CheckpointAliases
{
    /// <summary>The alias and the file it must equal (null when that file does not exist: the alias is removed).</summary>
    public static IReadOnlyList<(string Alias, string? Source)> Expected(ExperimentFolder folder)
    {
        var epochs = folder.EpochCheckpoints();
        return
        [
            (ModelBest(folder), File.Exists(folder.CheckpointBestModel) ? folder.CheckpointBestModel : null),
            (ModelLatest(folder), epochs.Count > 0 ? epochs[^1].Path : null),
        ];
    }

    public static string ModelBest(ExperimentFolder folder) => Path.Combine(folder.CheckpointsDir, PythonReaderSchema.ModelBestFile);
    public static string ModelLatest(ExperimentFolder folder) => Path.Combine(folder.CheckpointsDir, PythonReaderSchema.ModelLatestFile);

    /// <summary>Points both aliases at their files (or removes an alias whose file is gone). Returns the aliases rewritten.</summary>
    /// <param name="keepEqual">
    /// Leave an alias that already has its file's bytes (a resume: the folder may be read-only, and nothing
    /// changed since the last save). After a save the files are new, so they are always re-linked.
    /// </param>
    /// <exception cref="ArtifactWriteException">An alias could not be written; the previous one is intact.</exception>
    public static IReadOnlyList<string> Sync(ExperimentFolder folder, RunLog log, bool keepEqual = false)
    {
        var rewritten = new List<string>();
        foreach (var (alias, source) in Expected(folder))
        {
            if (source is null)
            {
                if (!File.Exists(alias)) continue;
                ArtifactWriteException.Wrap(alias, () => File.Delete(alias));
                log.Debug($"removed checkpoints/{Path.GetFileName(alias)} (no file to point at)");
                continue;
            }
            if (keepEqual && File.Exists(alias) && CrashRecovery.SameBytes(source, alias)) continue;
            bool copied = Link(source, alias);
            rewritten.Add(alias);
            log.Debug($"checkpoints/{Path.GetFileName(alias)} -> {Path.GetFileName(source)}{(copied ? " (copied: no hard links on this file system)" : "")}");
        }
        return rewritten;
    }

    /// <summary>
    /// Makes <paramref name="alias"/> the same file as <paramref name="source"/>: a hard link made beside it and
    /// renamed over it (atomic), or a copy where hard links fail. Returns true when it had to copy.
    /// </summary>
    internal static bool Link(string source, string alias)
    {
        bool copied = false;
        string full = Path.GetFullPath(alias);
        // AtomicFile's temp-name pattern, so that crash recovery removes one a kill left behind.
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        ArtifactWriteException.Wrap(alias, () =>
        {
            try
            {
                if (!HardLink.TryCreate(source, temp)) { File.Copy(source, temp); copied = true; }
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                // rename(2) does nothing when both names already are the same file: the temp name stays.
                if (File.Exists(temp)) File.Delete(temp);
            }
        });
        return copied;
    }

    /// <summary>Problems of the aliases for the verifier: missing while their file exists, or different from it.</summary>
    public static IEnumerable<string> Problems(ExperimentFolder folder)
    {
        foreach (var (alias, source) in Expected(folder))
        {
            string name = $"checkpoints/{Path.GetFileName(alias)}";
            if (source is null) continue;
            if (!File.Exists(alias))
                yield return $"{name}: missing (the Python reporting module finds checkpoints by this name; `crackseg train --resume` on the folder adds it)";
            else if (!CrashRecovery.SameBytes(source, alias))
                yield return $"{name}: differs from checkpoints/{Path.GetFileName(source)}";
        }
    }
}
