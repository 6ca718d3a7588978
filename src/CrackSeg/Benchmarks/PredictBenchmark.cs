using System.Diagnostics;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Evaluation;
using CrackSeg.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Benchmarks;

/// <summary>Tiled prediction of one image: seconds and megapixels per second.</summary>
public sealed record PredictBenchmarkResult(string Preset, int Size, int Tiles, double Seconds)
{
    public double MegapixelsPerSecond => (double)Size * Size / 1e6 / Seconds;
}

/// <summary>
/// Times <see cref="TiledInference"/> (the compute of `crackseg predict`: padding, batched tiles, blending)
/// on a random normalised square image with the model of <paramref name="model"/>; weights do not change
/// the cost. A 512² pass runs first to warm the kernels.
/// </summary>
public static class PredictBenchmark
{
    public static PredictBenchmarkResult Run(ModelConfig model, Device device, int size = 2048, int tile = 512, int overlap = 64, int tileBatch = 4)
    {
        manual_seed(0);
        using var net = ModelFactory.Create(model, tile);
        net.to(device);
        net.eval();
        var tiler = new TiledInference(net, tile, overlap, tileBatch);
        using (var scope = NewDisposeScope()) tiler.Probabilities(randn(3, tile, tile, device: device));
        DeviceSync.Synchronize(device);   // the warm-up's queued kernels must not run on the clock
        using var image = randn(3, size, size, device: device);
        var clock = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var probabilities = tiler.Probabilities(image);
            DeviceSync.Synchronize(device);
        }
        var grid = tiler.Plan(size, size);
        return new PredictBenchmarkResult(model.Preset, size, grid.Tiles().Count(), clock.Elapsed.TotalSeconds);
    }
}
