using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using CrackSeg.Common;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>
/// Serves batches of cached samples on the training device. On CUDA each <see cref="Epoch"/> runs a
/// background thread (with its own dispose scope per batch) that keeps <c>data.prefetch</c> batches
/// ready, so a training step never waits for data it has cached; on the CPU batches are assembled
/// inline (see <see cref="PrefetchesOnThread"/>). Every batch is a pure function of
/// (seed, epoch, sample indices): order and augmentation do not depend on timing, which makes
/// resumed runs reproduce uninterrupted ones. Exceptions on the loader thread are re-thrown to
/// the consumer; leaving the loop early or cancelling stops the thread and frees queued batches.
/// </summary>
public sealed class BatchLoader
{
    /// <summary>Keeps the epoch-order stream apart from the augmentation streams.</summary>
    private const ulong OrderSalt = 0x0DE7_5A17_0000_0002UL;

    private readonly IReadOnlyList<SamplePair> _samples;
    private readonly BatchLoaderOptions _options;
    private readonly BatchAssembler _assembler;

    /// <param name="samples">The split to serve; pairs <paramref name="cache"/> excluded while decoding (skip mode) are left out.</param>
    public BatchLoader(SampleCache cache, IReadOnlyList<SamplePair> samples, BatchLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.Data.ImageSize % 32 != 0)
            throw new InputException($"data.image_size must be a multiple of 32 (the encoder downsamples by 32); got {options.Data.ImageSize}");
        // Pairs the cache left out (skip mode, already reported) are dropped, so a split taken from the
        // index before the cache was built still works; anything else missing is a caller error.
        _samples = samples.Where(s => !cache.WasExcluded(s)).ToArray();
        foreach (var s in _samples)
            if (!cache.Contains(s)) throw new ArgumentException($"{s.ImagePath} is not in the sample cache (its split was not decoded)", nameof(samples));
        _options = options;
        _assembler = new BatchAssembler(cache, options.Data, options.Augment, options.Device);
    }

    public BatchLoaderOptions Options => _options;
    public int SampleCount => _samples.Count;
    /// <summary>The samples served, in index order (SampleIndices refer to this list).</summary>
    public IReadOnlyList<SamplePair> Samples => _samples;

    public int BatchesPerEpoch => _options.DropLast
        ? _samples.Count / _options.BatchSize
        : (_samples.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Sample indices in the order <paramref name="epoch"/> visits them (a seeded shuffle, or 0..n-1).</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _samples.Count).ToArray();
        if (_options.Shuffle) new DeterministicRng((ulong)_options.Seed, (ulong)epoch, OrderSalt).Shuffle(order);
        return order;
    }

    /// <summary>The sample indices of each batch of <paramref name="epoch"/>.</summary>
    public IReadOnlyList<int[]> EpochBatches(int epoch)
    {
        var order = EpochOrder(epoch);
        var batches = new List<int[]>(BatchesPerEpoch);
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            int start = b * _options.BatchSize;
            batches.Add(order[start..Math.Min(order.Length, start + _options.BatchSize)]);
        }
        return batches;
    }

    /// <summary>Builds one batch synchronously on the calling thread (previews, tests). The caller disposes it.</summary>
    public Batch LoadBatch(int epoch, IReadOnlyList<int> sampleIndices)
    {
        using var scope = NewDisposeScope();
        return _assembler.Assemble(_samples, sampleIndices, _options.Seed, epoch);
    }

    /// <summary>
    /// Whether <see cref="Epoch"/> assembles batches on a background thread: on CUDA with
    /// <c>data.prefetch</c> &gt; 0. On the CPU the step's intra-op threads already use every core, and a
    /// second thread calling into LibTorch brings its own OpenMP team that competes with them:
    /// measured on 2 cores, the quickstart loop ran at 13-18 samples/s with the thread and 23-26 inline.
    /// </summary>
    public bool PrefetchesOnThread =>
        _options.Data.Prefetch > 0 && (_options.PrefetchThread ?? _options.Device.type == TorchSharp.DeviceType.CUDA);

    /// <summary>
    /// The batches of one epoch, prefetched on a background thread when <see cref="PrefetchesOnThread"/>,
    /// else assembled on the caller's thread as it asks for them. Dispose each batch after use.
    /// Breaking out of the loop (or cancelling <paramref name="cancellationToken"/>) stops the
    /// thread and disposes the batches it had queued.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        var batches = EpochBatches(epoch);
        if (!PrefetchesOnThread)
        {
            foreach (var indices in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return LoadBatch(epoch, indices);
            }
            yield break;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<Batch>(Math.Max(1, _options.Data.Prefetch));
        var failure = new StrongBox<ExceptionDispatchInfo?>();
        var thread = new Thread(() => Produce(batches, epoch, queue, failure, stop.Token))
        {
            IsBackground = true,
            Name = $"crackseg-loader-e{epoch}",
        };
        thread.Start();
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(cancellationToken))
                yield return batch;
            failure.Value?.Throw();
        }
        finally
        {
            stop.Cancel();
            thread.Join();
            while (queue.TryTake(out var leftover)) leftover.Dispose();
        }
    }

    /// <summary>Loader thread body. The failure is stored before CompleteAdding, so the consumer sees it once the queue drains.</summary>
    private void Produce(IReadOnlyList<int[]> batches, int epoch, BlockingCollection<Batch> queue,
        StrongBox<ExceptionDispatchInfo?> failure, CancellationToken token)
    {
        try
        {
            foreach (var indices in batches)
            {
                token.ThrowIfCancellationRequested();
                var batch = LoadBatch(epoch, indices);
                try { queue.Add(batch, token); }
                catch { batch.Dispose(); throw; }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // the consumer stopped early: nothing to report
        }
        catch (Exception e)
        {
            failure.Value = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            queue.CompleteAdding();
        }
    }
}
