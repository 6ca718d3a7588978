using System.Diagnostics;
using CrackSeg.Artifacts;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Training;
using TorchSharp;
using Xunit.Abstractions;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>
/// Save/load time and size of a seed-preset checkpoint (37.5 M parameters + AdamW state, ~416 MB).
/// Opt-in (tens of seconds): <c>CRACKSEG_BENCH_CHECKPOINT=1 dotnet test --filter CheckpointSeedBenchmark
/// --logger "console;verbosity=detailed"</c>; <c>CRACKSEG_BENCH_DIR</c> picks the target folder and
/// <c>CRACKSEG_BENCH_KEEP=1</c> keeps the file (for checking it with Python's torch.load).
/// </summary>
public class CheckpointSeedBenchmark(ITestOutputHelper output)
{
    [Fact]
    public void SeedPresetCheckpointSaveAndLoad()
    {
        if (Environment.GetEnvironmentVariable("CRACKSEG_BENCH_CHECKPOINT") != "1") return;
        string? dir = Environment.GetEnvironmentVariable("CRACKSEG_BENCH_DIR");
        using var tmp = new TempDir();
        string path = Path.Combine(dir ?? tmp.Path, "seed_checkpoint.pth");

        manual_seed(1);
        using var model = ModelFactory.Create(new ModelConfig { Preset = "seed" }, 256);
        var groups = ParameterGroups.Split(model);
        var optimizer = OptimizerFactory.Create(new TrainingConfig(), groups.Decay.Select(g => g.Parameter), groups.NoDecay.Select(g => g.Parameter));
        using (var scope = NewDisposeScope())
        {
            var loss = model.forward(randn(1, 3, 256, 256)).sigmoid().mean();
            loss.backward();
            optimizer.step(); // AdamW's exp_avg / exp_avg_sq exist from here on
            optimizer.zero_grad();
        }
        long parameters = model.parameters().Sum(p => p.numel());
        var checkpoint = new Checkpoint
        {
            Epoch = 1, GlobalStep = 1, ModelState = model.state_dict(), OptimizerState = OptimizerStateCodec.Capture(optimizer),
            ConfigYaml = ConfigText, Seed = 7, History = Records(1), Metrics = Checkpoint.MetricsOf(Records(1)[0]),
        };

        var self = Process.GetCurrentProcess();
        for (int run = 1; run <= 3; run++)
        {
            if (File.Exists(path)) File.Delete(path);
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            CheckpointStore.Save(path, checkpoint);
            double saveS = clock.Elapsed.TotalSeconds;
            self.Refresh();
            double saveCpuS = (self.TotalProcessorTime - cpu0).TotalSeconds;

            var cpu1 = self.TotalProcessorTime;
            clock.Restart();
            using (var loaded = CheckpointStore.Load(path))
            {
                double loadS = clock.Elapsed.TotalSeconds;
                self.Refresh();
                double loadCpuS = (self.TotalProcessorTime - cpu1).TotalSeconds;
                Assert.Equal(checkpoint.ModelState.Count, loaded.ModelState.Count);
                output.WriteLine($"run {run}: {parameters:N0} parameters, file {new FileInfo(path).Length / 1e6:F1} MB; " +
                                 $"save {saveS:F2} s wall / {saveCpuS:F2} s CPU; load {loadS:F2} s wall / {loadCpuS:F2} s CPU");
            }
        }
        if (Environment.GetEnvironmentVariable("CRACKSEG_BENCH_KEEP") != "1" && dir is not null) File.Delete(path);
    }
}
