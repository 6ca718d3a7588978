namespace CrackSeg.Artifacts;

/// <summary>A checkpoint file cannot be read: missing, truncated, not a PyTorch zip, or without the expected keys.</summary>
public sealed class CheckpointException : IOException
{
    public CheckpointException(string path, string reason, Exception? inner = null)
        : base($"checkpoint '{path}' cannot be used: {reason}", inner)
        => Path = path;

    public string Path { get; }
}
