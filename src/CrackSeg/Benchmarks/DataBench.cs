using System.Diagnostics;
using System.Text;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Benchmarks;

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
public sealed record DataBenchResult
{
    public int Pairs { get; init; }
    public long CacheBytes { get; init; }
    public bool MemoryMapped { get; init; }
    /// <summary>Wall time to read and decode every image and mask (the first epoch's cost), on all cores.</summary>
    public double DecodeSeconds { get; init; }
    public double DecodeFilesPerSecond { get; init; }
    /// <summary>Files decoded per CPU-second of the process (all decode threads together): the per-core rate.</summary>
    public double DecodeFilesPerCpuSecond { get; init; }
    public int BatchSize { get; init; }
    public int ImageSize { get; init; }
    public int Threads { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>Samples a consumer received per wall second from the loader (it does nothing else).</summary>
    public double SamplesPerSecond { get; init; }
    public int Samples { get; init; }
    public double Seconds { get; init; }
    /// <summary>Samples built per CPU-second of one thread (synchronous path): independent of machine load. Null off Linux.</summary>
    public double? SamplesPerCpuSecond { get; init; }

    public string Format()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Data bench: {Pairs} pairs, cache {CacheBytes / (1024.0 * 1024.0):0.0} MiB{(MemoryMapped ? " (memory-mapped)" : "")}");
        sb.AppendLine($"  first epoch (decode)   {DecodeFilesPerSecond:0} files/s wall on {Environment.ProcessorCount} threads ({DecodeSeconds:0.00} s), " +
                      $"{DecodeFilesPerCpuSecond:0} files per CPU-second");
        sb.AppendLine($"  cached + augmented     {SamplesPerSecond:0} samples/s of {ImageSize}x{ImageSize} crops served by the loader (inline on the CPU, a prefetch thread on CUDA) " +
                      $"(batch {BatchSize}, {Samples} samples in {Seconds:0.0} s, {Threads} torch thread{(Threads == 1 ? "" : "s")}, {Device})");
        if (SamplesPerCpuSecond is { } perCpu)
            sb.AppendLine($"                         {perCpu:0} samples per CPU-second on one core (synchronous, load-independent)");
        return sb.ToString();
    }
}

/// <summary>
/// <c>crackseg bench data</c>: the decode rate of the first epoch (building the cache), the rate at
/// which the loader serves cached, augmented training crops to a consumer that does
/// nothing else, and the same work per CPU-second of one thread.
/// </summary>
public static class DataBench
{
    public static DataBenchResult Run(DataConfig data, DataBenchOptions options, RunLog log)
    {
        var device = options.Device ?? CPU;
        var benchData = data with { ImageSize = options.ImageSize, Fit = "random_crop" };
        var index = DatasetIndex.Build(benchData, options.Seed, log);
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        using var cache = SampleCache.Build(index, benchData, log, options.CacheDirectory);
        double decodeCpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var samples = cache.Index.All.ToList();

        int previousThreads = torch.get_num_threads();
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        try
        {
            var loader = new BatchLoader(cache, samples,
                BatchLoaderOptions.ForTraining(benchData, options.BatchSize, options.Seed, device) with { DropLast = false });
            // Warm-up: JIT and allocator first-touch do not belong in the steady-state figures.
            foreach (var batch in loader.Epoch(-1).Take(2)) batch.Dispose();

            double? perCpu = MeasureSynchronous(loader, device, options.Seconds / 2);
            var (count, seconds) = MeasurePrefetched(loader, device, options.Seconds / 2);
            var result = new DataBenchResult
            {
                Pairs = cache.Count,
                CacheBytes = cache.SizeBytes,
                MemoryMapped = cache.IsMemoryMapped,
                DecodeSeconds = cache.DecodeTime.TotalSeconds,
                DecodeFilesPerSecond = cache.DecodedFilesPerSecond,
                DecodeFilesPerCpuSecond = decodeCpu > 0 ? cache.DecodedFiles / decodeCpu : 0,
                BatchSize = options.BatchSize,
                ImageSize = options.ImageSize,
                Threads = torch.get_num_threads(),
                Device = device.ToString(),
                Samples = count,
                Seconds = seconds,
                SamplesPerSecond = count / seconds,
                SamplesPerCpuSecond = perCpu,
            };
            log.Info($"bench data: {result.SamplesPerSecond:0} samples/s cached+augmented (loader), " +
                     $"{(perCpu is { } p ? $"{p:0} per CPU-second, " : "")}{result.DecodeFilesPerSecond:0} files/s decode");
            return result;
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }

    /// <summary>Builds batches on this thread and divides by this thread's CPU time.</summary>
    private static double? MeasureSynchronous(BatchLoader loader, Device device, double seconds)
    {
        if (device.type != DeviceType.CPU || ThreadCpuClock.Now() is not { } start) return null;
        var watch = Stopwatch.StartNew();
        int count = 0;
        for (int epoch = 1_000; watch.Elapsed.TotalSeconds < seconds; epoch++)
        {
            foreach (var indices in loader.EpochBatches(epoch))
            {
                using (var batch = loader.LoadBatch(epoch, indices)) count += batch.Count;
                if (watch.Elapsed.TotalSeconds >= seconds) break;
            }
        }
        double cpu = ThreadCpuClock.Now()!.Value - start;
        return cpu > 0 ? count / cpu : null;
    }

    private static (int Count, double Seconds) MeasurePrefetched(BatchLoader loader, Device device, double seconds)
    {
        var watch = Stopwatch.StartNew();
        int count = 0;
        for (int epoch = 0; watch.Elapsed.TotalSeconds < seconds; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                using (batch)
                {
                    DeviceSync.Synchronize(device); // wait for the device work
                    count += batch.Count;
                }
                if (watch.Elapsed.TotalSeconds >= seconds) break;
            }
        }
        return (count, watch.Elapsed.TotalSeconds);
    }
}
