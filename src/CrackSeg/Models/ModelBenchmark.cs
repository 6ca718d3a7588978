using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CrackSeg.Models;

/// <summary>
/// Times the model on synthetic data: forward only (eval, no grad) and one training step (train mode,
/// forward + BCE-with-logits backward + AdamW step), after warm-up. For `crackseg bench` and the
/// speed figures in the notes; not used in training.
/// </summary>
public static class ModelBenchmark
{
    /// <summary>
    /// Median wall seconds per forward and per training step, the process CPU seconds per iteration
    /// (mean; on a shared machine the steadier figure), and the process's peak RSS.
    /// </summary>
    public sealed record Result(string Preset, long Parameters, int Batch, int ImageSize, int Threads,
        double ForwardSeconds, double TrainStepSeconds, double ForwardCpuSeconds, double TrainStepCpuSeconds, double PeakRssMiB)
    {
        public double ForwardImagesPerSecond => Batch / ForwardSeconds;
        public double TrainImagesPerSecond => Batch / TrainStepSeconds;
    }

    /// <summary>Benchmarks <paramref name="model"/> on <paramref name="device"/> with N x 3 x S x S inputs.</summary>
    public static Result Run(SwinV2CnnAsppUNet model, int batch, int imageSize, Device device, int warmup = 1, int iterations = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var inputScope = NewDisposeScope();
        var x = randn([batch, 3, imageSize, imageSize], device: device);
        var target = (rand([batch, 1, imageSize, imageSize], device: device) > 0.95).to(ScalarType.Float32);

        model.eval();
        var (forward, forwardCpu) = Measure(warmup, iterations, device, () =>
        {
            using var _ = no_grad();
            model.call(x);
        });

        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4, weight_decay: 0.01);
        var (train, trainCpu) = Measure(warmup, iterations, device, () =>
        {
            optimizer.zero_grad();
            F.binary_cross_entropy_with_logits(model.call(x), target).backward();
            optimizer.step();
        });

        return new Result(model.Spec.Preset, model.parameters().Sum(p => p.numel()), batch, imageSize,
            get_num_threads(), forward, train, forwardCpu, trainCpu, PeakRssMiB());
    }

    private static (double MedianWall, double MeanCpu) Measure(int warmup, int iterations, Device device, Action step)
    {
        var times = new List<double>();
        var process = Process.GetCurrentProcess();
        TimeSpan cpuStart = TimeSpan.Zero;
        for (int i = 0; i < warmup + iterations; i++)
        {
            if (i == warmup)
            {
                process.Refresh();
                cpuStart = process.TotalProcessorTime;
            }
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            step();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (i >= warmup) times.Add(watch.Elapsed.TotalSeconds);
        }
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds / iterations;
        times.Sort();
        return (times[times.Count / 2], cpu);
    }

    /// <summary>Peak resident set size (Linux VmHWM), or NaN where /proc is unavailable.</summary>
    public static double PeakRssMiB()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return double.NaN;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        if (line is null) return double.NaN;
        var kib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return kib / 1024.0;
    }
}
