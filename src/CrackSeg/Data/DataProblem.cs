namespace CrackSeg.Data;

/// <summary>What is wrong with a data file. Every kind but the warnings excludes the pair it belongs to.</summary>
public enum DataProblemKind
{
    MissingMask,
    MissingImage,
    OrphanMask,
    SizeMismatch,
    EmptyFile,
    Truncated,
    WrongSignature,
    UnsupportedFormat,
    TooLarge,
    Unreadable,
    DuplicateStem,
    /// <summary>Warning: mask values other than 0 and full scale (anti-aliasing, lossy compression); binarised anyway.</summary>
    NonBinaryMask,
    /// <summary>Warning: a split that ended up with no pairs.</summary>
    EmptySplit,
}

/// <summary>
/// One problem found in the dataset. <see cref="Path"/> is the offending file (or folder);
/// <see cref="Message"/> says what is wrong and what was expected.
/// </summary>
public sealed record DataProblem(DataProblemKind Kind, string Path, string Message)
{
    /// <summary>Fatal problems exclude a pair (skip mode) or stop the run (fail mode); the rest are warnings.</summary>
    public bool IsFatal => Kind is not (DataProblemKind.NonBinaryMask or DataProblemKind.EmptySplit);

    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A file left out of the dataset (skip mode), with the reason.</summary>
public sealed record ExcludedFile(string File, string Stem, DataProblemKind Kind, string Reason)
{
    public override string ToString() => $"{File}: {Reason}";
}
