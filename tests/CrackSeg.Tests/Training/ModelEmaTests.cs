using CrackSeg.Artifacts;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Evaluation;
using CrackSeg.Tests.TestSupport;
using CrackSeg.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Training;

/// <summary>The weight EMA against timm ModelEmaV3's arithmetic, and how a run uses and saves it.</summary>
public class ModelEmaTests
{
    private static nn.Module<Tensor, Tensor> Net(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));
    }

    [Fact]
    public void DecayFollowsTimmsWarmupAndCap()
    {
        using var ema = new ModelEma(Net(1), Net(2), new EmaConfig { Enabled = true, Decay = 0.999, Warmup = true, WarmupPower = 2.0 / 3.0 });
        Assert.Equal(1 - Math.Pow(2, -2.0 / 3.0), ema.DecayAt(1), 12);
        Assert.Equal(1 - Math.Pow(101, -2.0 / 3.0), ema.DecayAt(100), 12);
        Assert.Equal(0.999, ema.DecayAt(1_000_000), 12);
        using var plain = new ModelEma(Net(1), Net(2), new EmaConfig { Enabled = true, Decay = 0.9, Warmup = false });
        Assert.Equal(0.9, plain.DecayAt(1));
    }

    [Fact]
    public void AnUpdateLerpsFloatEntriesAndCopiesIntegerOnes()
    {
        using var scope = NewDisposeScope();
        var source = Net(1);
        var config = new EmaConfig { Enabled = true, Decay = 0.99, Warmup = true };
        using var ema = new ModelEma(source, Net(2), config);
        // Right after construction the average equals the model.
        foreach (var (key, value) in source.state_dict()) Assert.True(value.Equals(ema.StateDict()[key]), key);

        var before = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using (no_grad())
        {
            foreach (var p in source.parameters()) p.add_(randn_like(p));
            source.train();
            source.forward(randn(8, 3));   // moves the BatchNorm statistics and num_batches_tracked
        }
        ema.Update(step: 5);
        double d = ema.DecayAt(5);
        foreach (var (key, value) in source.state_dict())
        {
            var average = ema.StateDict()[key];
            if (value.is_floating_point())
            {
                var expected = before[key] * d + value * (1 - d);
                Assert.True(average.allclose(expected, rtol: 1e-6, atol: 1e-7), $"{key}: max |Δ| {(average - expected).abs().max().item<float>()}");
            }
            else Assert.True(average.Equals(value), $"{key} was not copied");
        }
    }

    [Fact]
    public void ARunValidatesTheAverageSavesItAndBestModelHoldsIt()
    {
        using var dir = new TempDir();
        var config = TinyRun.Config(dir.Path, 2, "training.ema.enabled=true", "training.ema.decay=0.9",
            "training.early_stopping.monitor=val_loss", "training.early_stopping.mode=min");
        var outcome = new TrainingRun(RunLog.Silent, new LogLineProgress(RunLog.Silent, 100)).Run(new TrainingRequest(config), CancellationToken.None);
        using var last = CheckpointStore.Load(Path.Combine(outcome.ExperimentDir, "checkpoints", "epoch_2.pth"));
        Assert.NotNull(last.EmaState);
        Assert.Equal(last.ModelState.Keys, last.EmaState!.Keys);
        Assert.Contains(last.ModelState, kv => !kv.Value.Equals(last.EmaState[kv.Key]));   // a real average, not a copy
        using var best = CheckpointStore.Load(Path.Combine(outcome.ExperimentDir, "best_model.pth"));
        using var bestEpoch = CheckpointStore.Load(Path.Combine(outcome.ExperimentDir, "checkpoints", $"epoch_{best.Epoch}.pth"));
        foreach (var (key, value) in best.ModelState)
            Assert.True(value.Equals(bestEpoch.EmaState![key]), $"best_model.pth {key} is not the EMA weight");
        Assert.Empty(ArtifactVerifier.Verify(outcome.ExperimentDir));

        // evaluate --weights ema|model restores either state dict of one epoch checkpoint.
        string epoch2 = Path.Combine(outcome.ExperimentDir, "checkpoints", "epoch_2.pth");
        foreach (var (weights, expected) in new[] { ("ema", last.EmaState), ("model", last.ModelState) })
        {
            using var trained = TrainedModel.Create(config, epoch2, "last", "cpu", RunLog.Silent, weights: weights);
            Assert.Equal(weights, trained.Checkpoint.Weights);
            foreach (var (key, value) in trained.Model.state_dict())
                if (expected.TryGetValue(key, out var saved)) Assert.True(value.Equals(saved), $"--weights {weights}: {key}");
        }
        string bare = Path.Combine(dir.Path, "bare_state_dict.pth");
        using (var trained = TrainedModel.Create(config, epoch2, "last", "cpu", RunLog.Silent)) trained.Model.save_py(bare);
        var refused = Assert.Throws<InputException>(() => TrainedModel.Create(config, bare, "path", "cpu", RunLog.Silent, weights: "ema"));
        Assert.Contains("has no ema_state_dict", refused.Message);
        Assert.Throws<InputException>(() => TrainedModel.Create(config, epoch2, "last", "cpu", RunLog.Silent, weights: "average"));
    }
}
