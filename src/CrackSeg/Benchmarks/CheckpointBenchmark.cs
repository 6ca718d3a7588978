using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using static TorchSharp.torch;

namespace CrackSeg.Benchmarks;

/// <summary>
/// Save/load time and size of a full training checkpoint (model + AdamW state) of a preset: the fastest of the
/// repeats, wall clock and this process's CPU time.
/// </summary>
public sealed record CheckpointBenchmarkResult(
    string Preset, long Parameters, long Bytes, double SaveSeconds, double LoadSeconds, double SaveCpuSeconds, double LoadCpuSeconds);

public static class CheckpointBenchmark
{
    public static CheckpointBenchmarkResult Run(string preset, string directory, int repeats = 3)
    {
        manual_seed(0);
        using var model = ModelFactory.Create(new ModelConfig { Preset = preset }, 256);
        var groups = ParameterGroups.Split(model);
        var optimizer = OptimizerFactory.Create(new TrainingConfig(), groups.Decay.Select(g => g.Parameter), groups.NoDecay.Select(g => g.Parameter));
        // One real step so the AdamW state (exp_avg, exp_avg_sq) exists and is saved.
        using (var scope = NewDisposeScope())
        {
            model.train();
            model.forward(randn(1, 3, 64, 64)).mean().backward();
            optimizer.step();
        }
        var checkpoint = new Checkpoint
        {
            Epoch = 1,
            GlobalStep = 1,
            ModelState = StateDictKeys.Entries(model).ToDictionary(e => e.Key, e => e.Value),
            OptimizerState = OptimizerStateCodec.Capture(optimizer),
            ConfigYaml = ConfigYaml.Serialize(new CrackSegConfig()),
            Seed = 0,
        };
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"bench_{preset}.pth");
        var saves = new List<(double Wall, double Cpu)>();
        var loads = new List<(double Wall, double Cpu)>();
        try
        {
            for (int i = 0; i < repeats; i++)
            {
                saves.Add(Time(() => CheckpointStore.Save(path, checkpoint)));
                loads.Add(Time(() => CheckpointStore.Load(path).Dispose()));
            }
            long bytes = new FileInfo(path).Length;
            return new CheckpointBenchmarkResult(preset, model.parameters().Sum(p => p.numel()), bytes,
                saves.Min(s => s.Wall), loads.Min(l => l.Wall), saves.Min(s => s.Cpu), loads.Min(l => l.Cpu));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (double Wall, double Cpu) Time(Action action)
    {
        var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        double wall = clock.Elapsed.TotalSeconds;
        self.Refresh();
        return (wall, (self.TotalProcessorTime - cpu).TotalSeconds);
    }
}
