using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using CrackSeg.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Benchmarks;

/// <summary>One model-speed measurement: images/s of forward-only and of a full training step.</summary>
public sealed record ModelSpeedResult(string Name, long Parameters, int BatchSize, int ImageSize, double ForwardImagesPerSecond, double TrainImagesPerSecond);

/// <summary>
/// The configurations the Python reference was timed with on this machine (PyTorch CPU, 2 threads):
/// the seed preset at batch 2 and a 1.93 M-parameter small variant at batch 4, both 256², AdamW,
/// BCE with logits. Forward-only is eval mode without autograd.
/// </summary>
public static class ModelSpeedBenchmark
{
    public static readonly (string Name, ModelConfig Model, int Batch, double PythonTrain, double PythonForward)[] Reference =
    [
        ("seed", new ModelConfig { Preset = "seed" }, 2, 2.0, 5.0),
        ("small", new ModelConfig
        {
            Preset = "seed", EmbedDim = 24, Depths = [2, 2, 2, 2], NumHeads = [1, 2, 4, 8], WindowSize = 8,
            AsppChannels = 64, DecoderChannels = [32, 16, 8], StemChannels = [],
        }, 4, 19.8, 45.0),
    ];

    public static ModelSpeedResult Run(string name, ModelConfig modelConfig, int batchSize, int imageSize, Device device, int warmup = 3, int iterations = 10)
    {
        manual_seed(0);
        using var model = ModelFactory.Create(modelConfig, imageSize);
        model.to(device);
        long parameters = model.parameters().Sum(p => p.numel());
        var groups = ParameterGroups.Split(model);
        var optimizer = OptimizerFactory.Create(new TrainingConfig(), groups.Decay.Select(g => g.Parameter), groups.NoDecay.Select(g => g.Parameter));
        using var loss = LossFactory.Create(new LossConfig { Name = "bce" });
        using var images = randn(batchSize, 3, imageSize, imageSize, device: device);
        using var masks = (rand(batchSize, 1, imageSize, imageSize, device: device) > 0.95f).to(ScalarType.Float32);

        model.eval();
        double forward = Time(warmup, iterations, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.forward(images);
            DeviceSync.Synchronize(device);
        });
        model.train();
        double train = Time(warmup, iterations, () =>
        {
            using var scope = NewDisposeScope();
            loss.forward(model.forward(images), masks).backward();
            optimizer.step();
            optimizer.zero_grad();
            DeviceSync.Synchronize(device);
        });
        return new ModelSpeedResult(name, parameters, batchSize, imageSize, batchSize / forward, batchSize / train);
    }

    /// <summary>Median seconds per call after <paramref name="warmup"/> untimed calls.</summary>
    private static double Time(int warmup, int iterations, Action step)
    {
        for (int i = 0; i < warmup; i++) step();
        var times = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            step();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
