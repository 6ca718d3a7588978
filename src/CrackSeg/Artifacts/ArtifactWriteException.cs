namespace CrackSeg.Artifacts;

/// <summary>
/// A file of the experiment folder could not be written (disk full, permissions, …). The previous version
/// of the file is intact: every write goes to a temp file that is renamed over the target only when complete.
/// </summary>
public sealed class ArtifactWriteException : IOException
{
    public ArtifactWriteException(string path, Exception inner)
        : base($"could not write '{path}': {inner.Message} (the previous version of the file, if any, is unchanged)", inner)
        => Path = path;

    /// <summary>The file that was being written.</summary>
    public string Path { get; }

    internal static void Wrap(string path, Action write)
    {
        try { write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not ArtifactWriteException)
        {
            throw new ArtifactWriteException(path, e);
        }
    }
}
