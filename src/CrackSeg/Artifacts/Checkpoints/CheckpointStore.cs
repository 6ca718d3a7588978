using CrackSeg.Common;
using CrackSeg.Config;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Artifacts;

/// <summary>
/// Checkpoints of one experiment folder as PyTorch <c>.pth</c> files in torch.save's own zip layout
/// (<see cref="TorchPickle"/> + <see cref="TorchZipArchive"/>: uncompressed, written straight from tensor
/// memory; <c>torch.load</c> opens them, PyTorch ≥ 2.4 with <c>weights_only=True</c>; read back through
/// TorchSharp.PyBridge's unpickler):
/// <c>checkpoints/epoch_&lt;N&gt;.pth</c> every <c>training.checkpoint.every</c> epochs keeping the last
/// <c>keep_last</c>, and <c>checkpoints/best_model.pth</c> plus a root <c>best_model.pth</c> on improvement.
/// Every write goes to a temp file renamed over the target: a failure leaves the previous file intact.
/// </summary>
public sealed class CheckpointStore(ExperimentFolder folder, CheckpointConfig config, RunLog log)
{
    /// <summary>
    /// Saves the checkpoint of a finished epoch: the epoch file when the epoch is a multiple of
    /// <c>every</c> (or <paramref name="forceEpochFile"/>: the last epoch, Ctrl+C), and both best-model files
    /// when <paramref name="isBest"/>. Returns the paths written.
    /// </summary>
    public IReadOnlyList<string> SaveEpoch(Checkpoint checkpoint, bool isBest, bool forceEpochFile = false)
    {
        var written = new List<string>();
        string? epochFile = null;
        if (forceEpochFile || checkpoint.Epoch % config.Every == 0)
        {
            epochFile = folder.EpochCheckpoint(checkpoint.Epoch);
            Save(epochFile, checkpoint);
            written.Add(epochFile);
            log.Info($"saved checkpoints/{Path.GetFileName(epochFile)}");
            Prune(checkpoint.Epoch);
        }
        if (isBest)
        {
            // With an EMA the best file holds the averaged weights, so it is not a copy of the epoch file.
            if (epochFile is null || checkpoint.EmaState is not null) Save(folder.CheckpointBestModel, checkpoint.WithBestWeights());
            else CopyAtomically(epochFile, folder.CheckpointBestModel);
            CopyAtomically(folder.CheckpointBestModel, folder.BestModel);
            written.Add(folder.CheckpointBestModel);
            written.Add(folder.BestModel);
            log.Info($"saved checkpoints/best_model.pth and best_model.pth (epoch {checkpoint.Epoch})");
        }
        if (written.Count > 0) CheckpointAliases.Sync(folder, log);
        return written;
    }

    /// <summary>Deletes epoch files beyond the newest <c>keep_last</c>; never the one just written.</summary>
    private void Prune(int justWritten)
    {
        var files = folder.EpochCheckpoints();
        foreach (var (epoch, path) in files.Take(Math.Max(0, files.Count - config.KeepLast)))
        {
            if (epoch == justWritten) continue;
            try { File.Delete(path); log.Debug($"removed old checkpoints/{Path.GetFileName(path)} (keep_last {config.KeepLast})"); }
            catch (IOException e) { log.Warning($"could not remove old checkpoint {path}: {e.Message}"); }
        }
    }

    private static void CopyAtomically(string source, string target) =>
        ArtifactWriteException.Wrap(target, () => AtomicFile.WriteVia(target, temp => File.Copy(source, temp)));

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="path"/> atomically (temp file + rename).</summary>
    /// <exception cref="ArtifactWriteException">The file could not be written; a previous file at the path is intact.</exception>
    public static void Save(string path, Checkpoint checkpoint) => Save(path, checkpoint, null);

    /// <param name="wrapStream">Tests: wraps the temp file's stream (e.g. to fail mid-write as a full disk would).</param>
    /// <param name="zip64Threshold">Tests: forces Zip64 fields from this size/offset on.</param>
    internal static void Save(string path, Checkpoint checkpoint, Func<Stream, Stream>? wrapStream, long zip64Threshold = uint.MaxValue)
    {
        using var scope = NewDisposeScope();
        var (pickle, storages) = TorchPickle.Write(CheckpointCodec.Encode(checkpoint));
        var archive = new TorchZipArchive(pickle, storages, zip64Threshold);
        ArtifactWriteException.Wrap(path, () => AtomicFile.WriteVia(path, temp =>
        {
            // Reserving the whole length first makes a full disk fail here, before any byte is written.
            using var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                PreallocationSize = archive.Length, BufferSize = 1 << 16,
            });
            var target = wrapStream?.Invoke(file) ?? file; // a test wrapper does not own the file
            archive.WriteTo(target);
            target.Flush();
            file.Flush(flushToDisk: true);
        }));
    }

    /// <summary>Reads a checkpoint (its tensors on the CPU, owned by the result: dispose it when restored).</summary>
    /// <exception cref="CheckpointException">Missing, unreadable or not a CrackSeg checkpoint.</exception>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "file not found");
        using var scope = NewDisposeScope();
        System.Collections.Hashtable raw;
        try
        {
            using var stream = File.OpenRead(path);
            raw = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException(path, $"not a readable PyTorch checkpoint ({e.GetType().Name}: {e.Message})", e);
        }
        try
        {
            var checkpoint = CheckpointCodec.Decode(raw, path);
            PickleValues.DetachAll(raw); // the checkpoint owns every loaded tensor; the rest is dropped with the scope
            return checkpoint;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidCastException or NullReferenceException)
        {
            throw new CheckpointException(path, e.Message, e);
        }
    }

    /// <summary>
    /// The newest epoch checkpoint of <paramref name="experiment"/> that opens; a corrupt newer one is
    /// skipped with a warning. Null when there is none.
    /// </summary>
    public static Checkpoint? FindLatestValid(ExperimentFolder experiment, RunLog log)
    {
        foreach (var (epoch, path) in experiment.EpochCheckpoints().Reverse())
        {
            try { return Load(path); }
            catch (CheckpointException e) { log.Warning($"{e.Message}; falling back to the previous checkpoint"); }
        }
        return null;
    }
}
