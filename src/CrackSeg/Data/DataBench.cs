using System.Diagnostics;
using System.Text;
using CrackSeg.Common;
using CrackSeg.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Data;

/// <summary>Settings of <see cref="DataBench.Run"/>.</summary>
public sealed record DataBenchOptions
{
    public int BatchSize { get; init; } = 16;
    /// <summary>Training crop size (overrides data.image_size for the measurement).</summary>
    public int ImageSize { get; init; } = 256;
    /// <summary>How long to pull augmented batches.</summary>
    public double Seconds { get; init; } = 5;
    /// <summary>LibTorch intra-op threads during the measurement (1 = the one-core figure); 0 keeps the current setting.</summary>
    public int Threads { get; init; } = 1;
    public Device? Device { get; init; }
    public string CacheDirectory { get; init; } = "artifacts/cache";
    public int Seed { get; init; }
}

/// <summary>What <see cref="DataBench.Run"/> measured.</summary>
public sealed record DataBenchResult(
    int Pairs, long CacheBytes, bool MemoryMapped, double DecodeSeconds, double DecodeFilesPerSecond,
    int BatchSize, int ImageSize, int Threads, string Device, int Batches, int Samples, double Seconds, double SamplesPerSecond)
{
    public string Format()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Data bench: {Pairs} pairs, cache {CacheBytes / (1024.0 * 1024.0):0.0} MiB{(MemoryMapped ? " (memory-mapped)" : "")}");
        sb.AppendLine($"  first epoch (decode)   {DecodeFilesPerSecond:0} files/s = {DecodeFilesPerSecond / 2:0} pairs/s ({DecodeSeconds:0.00} s, {Environment.ProcessorCount} decode threads)");
        sb.AppendLine($"  cached + augmented     {SamplesPerSecond:0} samples/s of {ImageSize}x{ImageSize} crops " +
                      $"(batch {BatchSize}, {Samples} samples in {Seconds:0.0} s, {Threads} torch thread{(Threads == 1 ? "" : "s")}, {Device})");
        return sb.ToString();
    }
}

/// <summary>
/// <c>crackseg bench data</c>: the decode rate of the first epoch (building the cache) and the rate
/// at which the loader serves cached, augmented training crops to a consumer that does nothing else.
/// </summary>
public static class DataBench
{
    public static DataBenchResult Run(DataConfig data, DataBenchOptions options, RunLog log)
    {
        var device = options.Device ?? CPU;
        var benchData = data with { ImageSize = options.ImageSize, Fit = "random_crop" };
        var index = DatasetIndex.Build(benchData, options.Seed, log);
        using var cache = SampleCache.Build(index, benchData, log, options.CacheDirectory);
        var samples = cache.Index.All.ToList();

        int previousThreads = torch.get_num_threads();
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        try
        {
            var loader = new BatchLoader(cache, samples,
                BatchLoaderOptions.ForTraining(benchData, options.BatchSize, options.Seed, device) with { DropLast = false });
            // Warm-up: JIT and allocator first-touch do not belong in the steady-state figure.
            foreach (var batch in loader.Epoch(-1).Take(2)) batch.Dispose();

            var watch = Stopwatch.StartNew();
            int batches = 0, count = 0;
            for (int epoch = 0; watch.Elapsed.TotalSeconds < options.Seconds; epoch++)
            {
                foreach (var batch in loader.Epoch(epoch))
                {
                    using (batch)
                    {
                        if (device.type == DeviceType.CUDA) batch.Images.sum().item<float>(); // wait for the device work
                        count += batch.Count;
                        batches++;
                    }
                    if (watch.Elapsed.TotalSeconds >= options.Seconds) break;
                }
            }
            watch.Stop();
            var result = new DataBenchResult(
                cache.Count, cache.SizeBytes, cache.IsMemoryMapped, cache.DecodeTime.TotalSeconds, cache.DecodedFilesPerSecond,
                options.BatchSize, options.ImageSize, torch.get_num_threads(), device.ToString(),
                batches, count, watch.Elapsed.TotalSeconds, count / watch.Elapsed.TotalSeconds);
            log.Info($"bench data: {result.SamplesPerSecond:0} samples/s cached+augmented, {result.DecodeFilesPerSecond:0} files/s decode");
            return result;
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }
}
