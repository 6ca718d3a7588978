using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>
/// What a killed run (SIGKILL, power loss, OOM killer) can leave in its experiment folder, and the repairs
/// a resume makes before training on. Every file is replaced atomically, but an epoch's files are several:
/// <list type="number">
/// <item>temp files of writes cut short (<c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>, see <see cref="AtomicFile"/>;
/// a seed-preset checkpoint's is ~450 MB);</item>
/// <item>a new best epoch whose <c>epoch_N.pth</c> was written but whose copies to
/// <c>checkpoints/best_model.pth</c> and <c>best_model.pth</c> were not (or only the first): the resume
/// continues from <c>epoch_N.pth</c>, so nothing would rewrite them unless a later epoch improves.</item>
/// </list>
/// </summary>
public static partial class CrashRecovery
{
    [GeneratedRegex(@"^\..+\.(?<pid>\d+)\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempName();

    /// <summary>
    /// Deletes the temp files that processes no longer running left anywhere in <paramref name="folder"/>
    /// (a live process's, e.g. a concurrent verify, are kept). Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTempFiles(ExperimentFolder folder, RunLog log)
    {
        int removed = 0;
        long bytes = 0;
        foreach (var path in Directory.EnumerateFiles(folder.Root, ".*.tmp", SearchOption.AllDirectories))
        {
            var match = TempName().Match(Path.GetFileName(path));
            if (!match.Success || !int.TryParse(match.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            try
            {
                long length = new FileInfo(path).Length;
                File.Delete(path);
                removed++;
                bytes += length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning($"could not remove the stale temp file {path}: {e.Message}");
            }
        }
        if (removed > 0) log.Info($"removed {removed} temp file(s) ({bytes / 1048576.0:F1} MiB) left by an interrupted run");
        return removed;
    }

    /// <summary>
    /// When <paramref name="resumed"/> is itself the best epoch so far, makes <c>checkpoints/best_model.pth</c>
    /// and <c>best_model.pth</c> byte-identical copies of its file (what the interrupted run was writing).
    /// Returns the paths rewritten.
    /// </summary>
    /// <remarks>Then re-points checkpoints/model_best.pth and model_latest.pth (<see cref="CheckpointAliases"/>), which a kill can leave one checkpoint behind, or a folder written before them lacks.</remarks>
    /// <exception cref="ArtifactWriteException">A copy could not be written; the previous file is intact.</exception>
    public static IReadOnlyList<string> RestoreBestModel(ExperimentFolder folder, Checkpoint resumed, RunLog log)
    {
        var rewritten = RestoreBestCopies(folder, resumed, log);
        CheckpointAliases.Sync(folder, log, keepEqual: true);
        return rewritten;
    }

    private static IReadOnlyList<string> RestoreBestCopies(ExperimentFolder folder, Checkpoint resumed, RunLog log)
    {
        if (resumed.BestEpoch != resumed.Epoch || resumed.SourcePath is not string source || !File.Exists(source)) return [];
        var rewritten = new List<string>();
        foreach (var target in new[] { folder.CheckpointBestModel, folder.BestModel })
        {
            if (SameFile(source, target) || (File.Exists(target) && SameBytes(source, target))) continue;
            ArtifactWriteException.Wrap(target, () => AtomicFile.WriteVia(target, temp => File.Copy(source, temp)));
            rewritten.Add(target);
        }
        if (rewritten.Count > 0)
            log.Info($"restored {string.Join(" and ", rewritten.Select(p => Path.GetRelativePath(folder.Root, p)))} from {Path.GetFileName(source)} " +
                     $"(best epoch {resumed.Epoch}; the interrupted run had not copied it yet)");
        return rewritten;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; }
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);

    internal static bool SameBytes(string a, string b)
    {
        using var fa = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var fb = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (fa.Length != fb.Length) return false;
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        int read;
        while ((read = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false)) > 0)
        {
            fb.ReadExactly(bb, 0, read);
            if (!ba.AsSpan(0, read).SequenceEqual(bb.AsSpan(0, read))) return false;
        }
        return true;
    }
}
