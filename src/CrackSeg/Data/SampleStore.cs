using System.IO.MemoryMappedFiles;

namespace CrackSeg.Data;

/// <summary>
/// Where decoded bytes live: managed memory, or a memory-mapped temp file (deleted on dispose)
/// when the dataset is larger than <c>data.cache_max_bytes</c>. Offsets come from
/// <see cref="Layout"/>; a read or write never crosses one allocation.
/// </summary>
internal abstract class SampleStore : IDisposable
{
    public abstract bool IsMemoryMapped { get; }
    public abstract long SizeBytes { get; }
    public abstract void Write(long offset, ReadOnlySpan<byte> data);
    public abstract void Read(long offset, Span<byte> dest);
    public abstract void Dispose();

    /// <summary>Offsets for allocations of the given sizes, packed so none crosses a memory chunk.</summary>
    public static (long[] Offsets, List<long> ChunkSizes) Layout(IReadOnlyList<long> sizes, long chunkBytes)
    {
        var offsets = new long[sizes.Count];
        var chunks = new List<long>();
        long used = chunkBytes; // forces a first chunk
        for (int i = 0; i < sizes.Count; i++)
        {
            if (used + sizes[i] > chunkBytes || chunks.Count == 0)
            {
                chunks.Add(0);
                used = 0;
            }
            offsets[i] = ((long)(chunks.Count - 1) << ChunkShift) | used;
            used += sizes[i];
            chunks[^1] = used;
        }
        return (offsets, chunks);
    }

    /// <summary>Offsets encode (chunk index, position) so one store type serves both backends.</summary>
    public const int ChunkShift = 40;
    public const long ChunkMask = (1L << ChunkShift) - 1;
}

internal sealed class MemorySampleStore : SampleStore
{
    private readonly byte[][] _chunks;

    public MemorySampleStore(IReadOnlyList<long> chunkSizes)
    {
        _chunks = chunkSizes.Select(size => GC.AllocateUninitializedArray<byte>(checked((int)size))).ToArray();
        SizeBytes = chunkSizes.Sum();
    }

    public override bool IsMemoryMapped => false;
    public override long SizeBytes { get; }

    public override void Write(long offset, ReadOnlySpan<byte> data) => data.CopyTo(Slice(offset, data.Length));
    public override void Read(long offset, Span<byte> dest) => Slice(offset, dest.Length).CopyTo(dest);

    private Span<byte> Slice(long offset, int length) =>
        _chunks[(int)(offset >> ChunkShift)].AsSpan((int)(offset & ChunkMask), length);

    public override void Dispose() { }
}

internal sealed class MappedSampleStore : SampleStore
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long[] _chunkStarts;

    public MappedSampleStore(IReadOnlyList<long> chunkSizes, string directory)
    {
        Directory.CreateDirectory(directory);
        SizeBytes = chunkSizes.Sum();
        _chunkStarts = new long[chunkSizes.Count];
        for (int i = 1; i < chunkSizes.Count; i++) _chunkStarts[i] = _chunkStarts[i - 1] + chunkSizes[i - 1];
        Path = System.IO.Path.Combine(directory, $"samples-{Environment.ProcessId}-{Guid.NewGuid():N}.u8");
        var stream = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose);
        try
        {
            stream.SetLength(Math.Max(1, SizeBytes));
            _file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public override bool IsMemoryMapped => true;
    public override long SizeBytes { get; }

    public override void Write(long offset, ReadOnlySpan<byte> data) =>
        _view.SafeMemoryMappedViewHandle.WriteSpan((ulong)Linear(offset), data);

    public override void Read(long offset, Span<byte> dest) =>
        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)Linear(offset), dest);

    private long Linear(long offset) => _chunkStarts[(int)(offset >> ChunkShift)] + (offset & ChunkMask);

    public override void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}
