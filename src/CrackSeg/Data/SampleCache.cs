using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Config;

namespace CrackSeg.Data;

/// <summary>Where one pair's decoded bytes are: R, G and B planes (height·width bytes each), then the mask plane (0/1).</summary>
internal sealed record CachedSample(SamplePair Pair, long ImageOffset, long MaskOffset, MaskStats Mask);

/// <summary>
/// Every pair of a <see cref="DatasetIndex"/> decoded once, up front, into uint8: planar RGB images
/// and binarised masks (0/1) — the layout batches use, so serving a crop is plain row copies. Kept in memory, or in a memory-mapped file under the cache folder when
/// the decoded size exceeds <c>data.cache_max_bytes</c>. Decoding everything before training means
/// every unreadable file is found before the first step and no epoch decodes anything.
/// Thread-safe for reads.
/// </summary>
public sealed class SampleCache : IDisposable
{
    /// <summary>Memory chunks stay well under the 2 GiB array limit.</summary>
    private const long ChunkBytes = 1L << 30;

    private readonly SampleStore _store;
    private readonly Dictionary<SamplePair, CachedSample> _samples;

    private readonly HashSet<SamplePair> _failed;

    private SampleCache(DatasetIndex index, SampleStore store, Dictionary<SamplePair, CachedSample> samples, HashSet<SamplePair> failed,
        TimeSpan decodeTime, int decodedFiles)
    {
        _failed = failed;
        Index = index;
        _store = store;
        _samples = samples;
        DecodeTime = decodeTime;
        DecodedFiles = decodedFiles;
    }

    /// <summary>The index without pairs that failed to decode (skip mode); use its splits for the loaders and splits.json.</summary>
    public DatasetIndex Index { get; }
    public bool IsMemoryMapped => _store.IsMemoryMapped;
    public long SizeBytes => _store.SizeBytes;
    public int Count => _samples.Count;
    /// <summary>Wall time spent reading and decoding all files.</summary>
    public TimeSpan DecodeTime { get; }
    /// <summary>Images plus masks decoded.</summary>
    public int DecodedFiles { get; }
    public double DecodedFilesPerSecond => DecodeTime.TotalSeconds > 0 ? DecodedFiles / DecodeTime.TotalSeconds : 0;

    public bool Contains(SamplePair pair) => _samples.ContainsKey(pair);

    /// <summary>True for a pair this cache tried to decode and left out (skip mode); it is listed in <see cref="Index"/>.Excluded.</summary>
    public bool WasExcluded(SamplePair pair) => _failed.Contains(pair);

    /// <summary>Crack pixel statistics of one cached mask.</summary>
    public MaskStats MaskStatsOf(SamplePair pair) => Get(pair).Mask;

    internal CachedSample Get(SamplePair pair) =>
        _samples.TryGetValue(pair, out var s) ? s : throw new ArgumentException($"{pair.ImagePath} is not in the sample cache", nameof(pair));

    /// <summary>
    /// Decodes the pairs of <paramref name="splits"/> (all splits by default). Files that fail to
    /// decode follow <c>data.on_error</c>: an <see cref="InputException"/> in fail mode, exclusion in
    /// skip mode (see <see cref="Index"/>). Non-binary masks are reported once, with counts.
    /// </summary>
    public static SampleCache Build(DatasetIndex index, DataConfig data, RunLog log,
        string cacheDirectory = "artifacts/cache", IEnumerable<SplitName>? splits = null)
    {
        var chosen = (splits ?? SplitNames.All).Distinct().ToList();
        var pairs = chosen.SelectMany(s => index[s]).Distinct().ToList();
        var sizes = new List<long>(pairs.Count);
        foreach (var p in pairs) sizes.Add(p.PixelCount * 4);
        var (offsets, chunkSizes) = SampleStore.Layout(sizes, ChunkBytes);
        long total = sizes.Sum();
        SampleStore store = total > data.CacheMaxBytes
            ? new MappedSampleStore(chunkSizes, cacheDirectory)
            : new MemorySampleStore(chunkSizes);
        try
        {
            if (store is MappedSampleStore mapped)
                log.Info($"data: decoded dataset is {Mib(total)} > data.cache_max_bytes ({Mib(data.CacheMaxBytes)}); caching in memory-mapped {mapped.Path}");

            var watch = Stopwatch.StartNew();
            var results = new (MaskStats Stats, DataProblem? Problem)[pairs.Count];
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                results[i] = DecodeInto(store, pairs[i], offsets[i], data.MaskThreshold));
            watch.Stop();

            var samples = new Dictionary<SamplePair, CachedSample>();
            var failed = new List<(SamplePair, DataProblem)>();
            for (int i = 0; i < pairs.Count; i++)
            {
                if (results[i].Problem is { } problem) failed.Add((pairs[i], problem));
                else samples[pairs[i]] = new CachedSample(pairs[i], offsets[i], offsets[i] + pairs[i].PixelCount * 3, results[i].Stats);
            }
            DataProblemPolicy.Apply(failed.Select(f => f.Item2).ToList(), data, log, index.Root);
            var warnings = NonBinaryWarning(pairs, results, data.MaskThreshold) is { } w ? new[] { w } : [];
            foreach (var warning in warnings) log.Warning($"data: {warning.Message}");

            int files = 2 * pairs.Count;
            log.Info($"data: decoded {samples.Count} pairs ({Mib(total)}) in {watch.Elapsed.TotalSeconds:0.00} s " +
                     $"({files / Math.Max(watch.Elapsed.TotalSeconds, 1e-9):0} files/s){(store.IsMemoryMapped ? ", memory-mapped" : "")}");
            return new SampleCache(index.WithoutPairs(failed, warnings), store, samples, failed.Select(f => f.Item1).ToHashSet(), watch.Elapsed, files);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static (MaskStats, DataProblem?) DecodeInto(SampleStore store, SamplePair pair, long offset, int threshold)
    {
        int pixels = checked((int)pair.PixelCount);
        var decoded = GC.AllocateUninitializedArray<byte>(checked(pixels * 4));
        var result = SampleDecoder.TryDecodePair(pair, threshold, decoded);
        if (result.Problem is not null) return result;
        var planar = GC.AllocateUninitializedArray<byte>(pixels * 4);
        SampleDecoder.ToPlanar(decoded.AsSpan(0, pixels * 3), planar, pixels);
        decoded.AsSpan(pixels * 3, pixels).CopyTo(planar.AsSpan(pixels * 3));
        store.Write(offset, planar);
        return result;
    }

    private static DataProblem? NonBinaryWarning(List<SamplePair> pairs, (MaskStats Stats, DataProblem? Problem)[] results, int threshold)
    {
        var offenders = Enumerable.Range(0, pairs.Count)
            .Where(i => results[i].Problem is null && results[i].Stats.NonBinary > 0).ToList();
        if (offenders.Count == 0) return null;
        long nonBinary = offenders.Sum(i => results[i].Stats.NonBinary);
        long total = offenders.Sum(i => results[i].Stats.Total);
        string examples = string.Join(", ", offenders.Take(3).Select(i => Path.GetFileName(pairs[i].MaskPath)));
        return new DataProblem(DataProblemKind.NonBinaryMask, pairs[offenders[0]].MaskPath,
            $"{offenders.Count} of {pairs.Count} masks are not binary (anti-aliased or lossy): {nonBinary:N0} pixels " +
            $"({100.0 * nonBinary / total:0.###} % of theirs) lie strictly between 0 and full scale and were binarised at " +
            $"data.mask_threshold={threshold} (e.g. {examples}{(offenders.Count > 3 ? ", ..." : "")})");
    }

    /// <summary>
    /// Copies a window of the three colour planes into <paramref name="dest"/>: plane c, row r lands at
    /// <c>c·destPlaneStride + r·destRowStride</c>.
    /// </summary>
    internal void CopyImageWindow(CachedSample s, int x, int y, int w, int h, Span<byte> dest, int destRowStride, int destPlaneStride)
    {
        long plane = s.Pair.PixelCount;
        for (int c = 0; c < 3; c++)
            CopyPlaneWindow(s.ImageOffset + c * plane, s.Pair.Width, x, y, w, h, dest[(c * destPlaneStride)..], destRowStride);
    }

    /// <summary>Copies a window of the mask plane (0/1) into <paramref name="dest"/>.</summary>
    internal void CopyMaskWindow(CachedSample s, int x, int y, int w, int h, Span<byte> dest, int destRowStride) =>
        CopyPlaneWindow(s.MaskOffset, s.Pair.Width, x, y, w, h, dest, destRowStride);

    private void CopyPlaneWindow(long planeOffset, int width, int x, int y, int w, int h, Span<byte> dest, int destRowStride)
    {
        if (x == 0 && w == width && destRowStride == width)
        {
            _store.Read(planeOffset + (long)y * width, dest[..(h * width)]);
            return;
        }
        for (int r = 0; r < h; r++)
            _store.Read(planeOffset + (long)(y + r) * width + x, dest.Slice(r * destRowStride, w));
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):0.0} MiB";

    public void Dispose() => _store.Dispose();
}
