using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Data;

public class BatchLoaderTests
{
    private static DataConfig Small => new() { ImageSize = 32, Prefetch = 2 };

    [Fact]
    public void DropLastAppliesToTrainingOnly()
    {
        using var d = new LoaderTestData(10, 40, 36, Small);
        var train = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 4, 1, CPU));
        var eval = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForEvaluation(d.Data, 4, CPU));
        Assert.Equal(2, train.BatchesPerEpoch);
        Assert.Equal(3, eval.BatchesPerEpoch);

        var trainSizes = Drain(train.Epoch(0)).Select(b => b.Count).ToList();
        var evalBatches = Drain(eval.Epoch(0));
        Assert.Equal([4, 4], trainSizes);
        Assert.Equal([4, 4, 2], evalBatches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 10), evalBatches.SelectMany(b => b.SampleIndices));
        Assert.Equal(d.Samples.Select(s => s.Stem), evalBatches.SelectMany(b => b.Stems));
    }

    [Fact]
    public void TrainingOrderIsASeededPermutationPerEpoch()
    {
        using var d = new LoaderTestData(12, 40, 36, Small);
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 3, 5, CPU));
        var e0 = loader.EpochOrder(0);
        var e1 = loader.EpochOrder(1);
        Assert.Equal(Enumerable.Range(0, 12), e0.Order());
        Assert.NotEqual(e0, e1);
        Assert.Equal(e0, new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 3, 5, CPU)).EpochOrder(0));
        Assert.NotEqual(e0, Enumerable.Range(0, 12));

        // The prefetching thread and the inline path serve exactly what LoadBatch builds.
        foreach (bool thread in new[] { true, false })
        {
            var options = BatchLoaderOptions.ForTraining(d.Data, 3, 5, CPU) with { PrefetchThread = thread };
            var served = Drain(new BatchLoader(d.Cache, d.Samples, options).Epoch(1)).ToList();
            Assert.Equal(loader.EpochBatches(1).Select(b => string.Join(",", b)), served.Select(b => string.Join(",", b.SampleIndices)));
            using var scope = NewDisposeScope();
            using var direct = loader.LoadBatch(1, loader.EpochBatches(1)[2]);
            using var third = new BatchLoader(d.Cache, d.Samples, options).Epoch(1).Skip(2).First();
            Assert.True(direct.Images.Equals(third.Images));
            Assert.True(direct.Masks.Equals(third.Masks));
        }
    }

    [Fact]
    public void OnlyCudaPrefetchesOnAThreadByDefault()
    {
        using var d = new LoaderTestData(4, 40, 36, Small);
        Assert.False(new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU)).PrefetchesOnThread);
        Assert.True(new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, new Device(DeviceType.CUDA, 0))).PrefetchesOnThread);
        Assert.False(new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data with { Prefetch = 0 }, 2, 0, new Device(DeviceType.CUDA, 0))).PrefetchesOnThread);
        Assert.True(new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU) with { PrefetchThread = true }).PrefetchesOnThread);
    }

    [Fact]
    public void BatchesOutliveTheConsumersScopeUntilDisposed()
    {
        using var d = new LoaderTestData(4, 40, 36, Small);
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForEvaluation(d.Data, 2, CPU));
        Batch kept;
        float sum;
        using (var scope = NewDisposeScope())
        {
            kept = loader.Epoch(0).First();
            sum = kept.Images.sum().item<float>(); // a result in the consumer's own scope
        }
        Assert.False(kept.Images.IsInvalid); // the scope did not take the batch with it
        Assert.Equal(sum, kept.Images.sum().item<float>());
        kept.Dispose();
        Assert.True(kept.Images.IsInvalid);
        kept.Dispose(); // idempotent
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LoaderExceptionsReachTheConsumerWithTheirType(bool thread)
    {
        var data = Small with { CacheMaxBytes = 0 }; // memory-mapped store: reading after dispose throws
        var d = new LoaderTestData(6, 40, 36, data);
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU) with { PrefetchThread = thread });
        Assert.True(d.Cache.IsMemoryMapped);
        d.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Drain(loader.Epoch(0)));
    }

    [Fact]
    public void ImageSizeMustBeAMultipleOf32()
    {
        using var d = new LoaderTestData(2, 40, 36, Small);
        var e = Assert.Throws<InputException>(() => new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data with { ImageSize = 100 }, 2, 0, CPU)));
        Assert.Contains("data.image_size", e.Message);
    }

    [Fact]
    public void SamplesMissingFromTheCacheAreRefusedUpFront()
    {
        using var d = new LoaderTestData(3, 40, 36, Small);
        var stranger = d.Samples[0] with { Stem = "ghost", ImagePath = "/nowhere/ghost.png" };
        Assert.Throws<ArgumentException>(() => new BatchLoader(d.Cache, [stranger], BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU)));
    }

    [Fact]
    public void MemoryMappedCacheServesTheSameBatchesAsTheMemoryCacheAndCleansUp()
    {
        using var scope = NewDisposeScope();
        using var inMemory = new LoaderTestData(5, 40, 36, Small);
        var mapped = new LoaderTestData(5, 40, 36, Small with { CacheMaxBytes = 1000 });
        string cacheDir = Path.Combine(mapped.Root, "cache");
        Assert.False(inMemory.Cache.IsMemoryMapped);
        Assert.True(mapped.Cache.IsMemoryMapped);
        Assert.Single(Directory.GetFiles(cacheDir));

        using var a = new BatchLoader(inMemory.Cache, inMemory.Samples, BatchLoaderOptions.ForTraining(inMemory.Data, 5, 3, CPU)).LoadBatch(2, [0, 1, 2, 3, 4]);
        using var b = new BatchLoader(mapped.Cache, mapped.Samples, BatchLoaderOptions.ForTraining(mapped.Data, 5, 3, CPU)).LoadBatch(2, [0, 1, 2, 3, 4]);
        Assert.True(a.Images.Equals(b.Images));
        Assert.True(a.Masks.Equals(b.Masks));
        mapped.Cache.Dispose();
        Assert.Empty(Directory.GetFiles(cacheDir));
        mapped.Dispose();
    }

    internal static List<Batch> Drain(IEnumerable<Batch> batches)
    {
        var list = new List<Batch>();
        foreach (var b in batches)
        {
            list.Add(b);
            b.Dispose();
        }
        return list;
    }
}

/// <summary>Serial collection: <see cref="Tensor.TotalCount"/> is process-wide, so nothing may create tensors alongside.</summary>
[CollectionDefinition(nameof(TensorCountCollection), DisableParallelization = true)]
public sealed class TensorCountCollection;

[Collection(nameof(TensorCountCollection))]
public class BatchLoaderLeakTests
{
    private static DataConfig Small => new() { ImageSize = 32, Prefetch = 2 };
    private static List<Batch> Drain(IEnumerable<Batch> batches) => BatchLoaderTests.Drain(batches);

    /// <summary>Live tensors once earlier tests' garbage is finalized (a finalizer running mid-test would lower the count).</summary>
    private static long SettledTensorCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CancellationAndEarlyExitStopTheThreadAndFreeQueuedBatches(bool thread)
    {
        using var d = new LoaderTestData(16, 40, 36, Small);
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU) with { PrefetchThread = thread });
        Drain(loader.Epoch(99)); // warm up lazily created native state
        long before = SettledTensorCount();

        using var cts = new CancellationTokenSource();
        int seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.Epoch(0, cts.Token))
            {
                batch.Dispose();
                if (++seen == 2) cts.Cancel();
            }
        });
        Assert.Equal(2, seen);

        foreach (var batch in loader.Epoch(1))
        {
            batch.Dispose();
            break; // leaves batches queued on the loader thread
        }
        Assert.Equal(before, SettledTensorCount());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ManyEpochsLeakNoTensors(bool thread)
    {
        using var d = new LoaderTestData(6, 40, 36, Small with { Augment = new AugmentConfig { Scale = 0.5, Rotate = 0.5 } });
        var loader = new BatchLoader(d.Cache, d.Samples, BatchLoaderOptions.ForTraining(d.Data, 2, 0, CPU) with { PrefetchThread = thread });
        Drain(loader.Epoch(0));
        long before = SettledTensorCount();
        for (int epoch = 1; epoch <= 25; epoch++) Drain(loader.Epoch(epoch));
        Assert.Equal(before, SettledTensorCount());
    }

}
