using System.Diagnostics;
using System.Globalization;
using CrackSeg.Common;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using CrackSeg.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CrackSeg.Benchmarks;

/// <summary>One model configuration timed by `crackseg bench model` (and by scripts/pytorch_reference).</summary>
public sealed record ModelSpeedConfiguration(string Name, ModelConfig Model, int BatchSize);

/// <summary>How `crackseg bench model` times: untimed warm-up steps, timed steps, the training section
/// (optimizer, threads, precision) and whether to split the training step into phases.</summary>
public sealed record ModelSpeedOptions
{
    public int Warmup { get; init; } = 3;
    public int Iterations { get; init; } = 10;
    public bool Phases { get; init; }
    public TrainingConfig Training { get; init; } = new();

    /// <exception cref="InputException">A count out of range (the message names the option).</exception>
    public void Validate()
    {
        if (Warmup < 0) throw new InputException($"--warmup: expected a count >= 0, got {Warmup}.");
        if (Iterations < 1) throw new InputException($"--iterations: expected a count >= 1, got {Iterations}.");
    }
}

/// <summary>Median milliseconds per training step spent in each phase; forward includes the loss,
/// other is the rest of the step (zero_grad, disposing the step's tensors).</summary>
public sealed record StepPhases(double ForwardMs, double BackwardMs, double OptimizerMs, double OtherMs);

/// <summary>One model-speed measurement: images/s of forward-only and of a full training step.</summary>
public sealed record ModelSpeedResult(string Name, long Parameters, int BatchSize, int ImageSize, double ForwardImagesPerSecond,
    double TrainImagesPerSecond, StepPhases? Phases = null)
{
    /// <summary>`model NAME: N params, batch B: forward X img/s, train Y img/s` (scripts parse this line).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"model {Name}: {Parameters:N0} params, batch {BatchSize}: forward {ForwardImagesPerSecond:F2} img/s, train {TrainImagesPerSecond:F2} img/s");

    /// <summary>`phases NAME: forward F ms, backward B ms, optimizer O ms, other R ms`, or null when not measured.</summary>
    public string? DescribePhases() => Phases is null ? null : string.Create(CultureInfo.InvariantCulture,
        $"phases {Name}: forward {Phases.ForwardMs:F1} ms, backward {Phases.BackwardMs:F1} ms, optimizer {Phases.OptimizerMs:F1} ms, other {Phases.OtherMs:F1} ms");
}

/// <summary>
/// Forward and training speed of the configurations PyTorch is measured against side by side
/// (scripts/bench-vs-pytorch.sh): the seed preset at batch 2 and a 1.93 M-parameter small variant at
/// batch 4, 256², AdamW, BCE with logits. Forward-only is eval mode without autograd. There is no
/// constant "Python" figure here: this VM's speed drifts, so only interleaved runs can be compared.
/// </summary>
public static class ModelSpeedBenchmark
{
    public const int ImageSize = 256;

    public static readonly IReadOnlyList<ModelSpeedConfiguration> Configurations =
    [
        new("seed", new ModelConfig { Preset = "seed" }, 2),
        new("small", new ModelConfig
        {
            Preset = "seed", EmbedDim = 24, Depths = [2, 2, 2, 2], NumHeads = [1, 2, 4, 8], WindowSize = 8,
            AsppChannels = 64, DecoderChannels = [32, 16, 8], StemChannels = [],
        }, 4),
    ];

    /// <summary>Every configuration, or the one named by <paramref name="only"/>.</summary>
    /// <exception cref="InputException">An unknown name (the message names --only).</exception>
    public static IReadOnlyList<ModelSpeedConfiguration> Select(string? only)
    {
        if (string.IsNullOrEmpty(only)) return Configurations;
        var match = Configurations.Where(c => c.Name == only).ToList();
        if (match.Count == 0)
            throw new InputException($"--only: expected one of {string.Join(", ", Configurations.Select(c => c.Name))}, got '{only}'.");
        return match;
    }

    public static ModelSpeedResult Run(ModelSpeedConfiguration configuration, int imageSize, Device device, ModelSpeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var precision = PrecisionMode.Activate(options.Training.Precision, "training.precision", device);
        if (options.Training.Threads > 0) set_num_threads(options.Training.Threads);

        int batchSize = configuration.BatchSize;
        manual_seed(0);
        using var model = ModelFactory.Create(configuration.Model, imageSize);
        model.to(device);
        long parameters = model.parameters().Sum(p => p.numel());
        var groups = ParameterGroups.Split(model);
        var optimizer = OptimizerFactory.Create(options.Training, groups.Decay.Select(g => g.Parameter), groups.NoDecay.Select(g => g.Parameter));
        using var loss = LossFactory.Create(new LossConfig { Name = "bce" });
        using var images = randn(batchSize, 3, imageSize, imageSize, device: device);
        using Scalar maskCut = 0.95f;
        using var masks = (rand(batchSize, 1, imageSize, imageSize, device: device) > maskCut).to(ScalarType.Float32);

        model.eval();
        double forward = Median(Repeat(options.Warmup, options.Iterations, () =>
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            using (no_grad())
            {
                precision.Logits(model, images, device);
                DeviceSync.Synchronize(device);
            }
            return [clock.Elapsed.TotalSeconds];
        }).Select(t => t[0]));

        model.train();
        using var scaler = precision.LossScaling ? new LossScaler(device) : null;
        var steps = Repeat(options.Warmup, options.Iterations, () =>
        {
            // Marks: start, after forward + loss, after backward, after the optimizer step, end.
            var marks = new double[5];
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                // As the training loop: forward + loss under autocast, the loss on float32 logits; fp16 scales the loss.
                Tensor value;
                value = loss.forward(precision.Logits(model, images, device), masks);
                PhaseMark(options, device, clock, marks, 1);
                (scaler?.Scale(value) ?? value).backward();
                PhaseMark(options, device, clock, marks, 2);
                StepWithScaler(optimizer, scaler, device);
                PhaseMark(options, device, clock, marks, 3);
                optimizer.zero_grad();
            }
            DeviceSync.Synchronize(device);
            marks[4] = clock.Elapsed.TotalSeconds;
            return marks;
        });
        double train = Median(steps.Select(m => m[4]));
        var phases = options.Phases ? PhasesOf(steps) : null;
        return new ModelSpeedResult(configuration.Name, parameters, batchSize, imageSize, batchSize / forward, batchSize / train, phases);
    }

    /// <summary>The optimizer step; with fp16's scaler the gradients are unscaled first and the step guarded by found_inf, as in training.</summary>
    private static void StepWithScaler(optim.Optimizer optimizer, LossScaler? scaler, Device device)
    {
        if (scaler is null)
        {
            optimizer.step();
            return;
        }
        var found = zeros(1, ScalarType.Float32, device);
        var grads = optimizer.parameters().Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
        scaler.Unscale(grads, found);
        if (optimizer is IGuardedOptimizer guarded) guarded.Step(found);
        else optimizer.step();
        scaler.Update(found);
    }

    private static void PhaseMark(ModelSpeedOptions options, Device device, Stopwatch clock, double[] marks, int index)
    {
        // Synchronising between phases serialises CUDA work, so it happens only when phases are asked for.
        if (options.Phases) DeviceSync.Synchronize(device);
        marks[index] = clock.Elapsed.TotalSeconds;
    }

    private static StepPhases PhasesOf(IReadOnlyList<double[]> steps)
    {
        double Phase(int from, int to) => 1000 * Median(steps.Select(m => m[to] - m[from]));
        return new StepPhases(Phase(0, 1), Phase(1, 2), Phase(2, 3), Phase(3, 4));
    }

    /// <summary>The results of <paramref name="iterations"/> calls after <paramref name="warmup"/> untimed ones.</summary>
    private static List<double[]> Repeat(int warmup, int iterations, Func<double[]> step)
    {
        for (int i = 0; i < warmup; i++) step();
        var results = new List<double[]>(iterations);
        for (int i = 0; i < iterations; i++) results.Add(step());
        return results;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

}
