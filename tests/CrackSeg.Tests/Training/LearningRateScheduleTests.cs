using System.Collections;
using System.Collections.Specialized;
using CrackSeg.Common;
using CrackSeg.Config;
using CrackSeg.Training;
using TorchSharp.PyBridge;

namespace CrackSeg.Tests.Training;

public class LearningRateScheduleTests
{
    private static TrainingConfig Config(string name, double warmup = 0, int epochs = 10, double lr = 1e-3, double etaMin = 1e-6) => new()
    {
        Epochs = epochs,
        LearningRate = lr,
        Scheduler = new SchedulerConfig { Name = name, WarmupEpochs = warmup, EtaMin = etaMin, T0 = 2, TMult = 2, StepSize = 3, Gamma = 0.1, Patience = 2, Factor = 0.5 },
    };

    [Fact]
    public void LinearWarmupWithFractionalEpochsThenCosineFromTheBaseLr()
    {
        var s = new LearningRateSchedule(Config("cosine", warmup: 0.5), stepsPerEpoch: 10);
        Assert.Equal(5, s.WarmupSteps);
        for (int i = 0; i < 5; i++) Assert.Equal(1e-3 * (i + 1) / 6, s.LearningRateAt(i), 15);
        Assert.Equal(1e-3, s.LearningRateAt(5), 15);   // cosine's t = 0
        // Cosine over the remaining 95 steps on its own clock t = step − 5.
        Assert.Equal(1e-6 + (1e-3 - 1e-6) * (1 + Math.Cos(Math.PI * 40 / 95)) / 2, s.LearningRateAt(45), 15);
        Assert.Equal(1e-6, s.LearningRateAt(100), 15);
    }

    [Fact]
    public void CosineMatchesCosineAnnealingLR()
    {
        // PyTorch: eta_min + (base - eta_min) * (1 + cos(pi * T_cur / T_max)) / 2, T_max = 100 steps.
        var s = new LearningRateSchedule(Config("cosine"), stepsPerEpoch: 10);
        double Torch(int tcur) => 1e-6 + (1e-3 - 1e-6) * (1 + Math.Cos(Math.PI * tcur / 100.0)) / 2;
        foreach (int step in new[] { 0, 1, 25, 50, 73, 99 }) Assert.Equal(Torch(step), s.LearningRateAt(step), 15);
        Assert.Equal(5.005e-4, s.LearningRateAt(50), 15);
        Assert.Equal(1e-6, s.LearningRateAt(100), 15);
        Assert.Equal(1e-6, s.LearningRateAt(1000), 15);
    }

    [Theory]
    [InlineData(2, 2, 4)]
    [InlineData(3, 1, 5)]
    [InlineData(1, 3, 3)]
    public void CosineRestartsMatchCosineAnnealingWarmRestartsSteppedWithEpochFractions(int t0, int tMult, int stepsPerEpoch)
    {
        var cfg = Config("cosine_restarts", epochs: 40) with { Scheduler = new SchedulerConfig { Name = "cosine_restarts", T0 = t0, TMult = tMult, EtaMin = 1e-5 } };
        var s = new LearningRateSchedule(cfg, stepsPerEpoch);
        // PyTorch's CosineAnnealingWarmRestarts.step(epoch) for a float epoch, transcribed.
        double Torch(double epoch)
        {
            double tCur, tI;
            if (epoch >= t0)
            {
                if (tMult == 1) { tCur = epoch % t0; tI = t0; }
                else
                {
                    int n = (int)Math.Log(epoch / t0 * (tMult - 1) + 1, tMult);
                    tCur = epoch - t0 * (Math.Pow(tMult, n) - 1) / (tMult - 1);
                    tI = t0 * Math.Pow(tMult, n);
                }
            }
            else { tCur = epoch; tI = t0; }
            return 1e-5 + (1e-3 - 1e-5) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
        }
        for (int step = 0; step < 40 * stepsPerEpoch; step++)
        {
            double epoch = step / (double)stepsPerEpoch;
            Assert.Equal(Torch(epoch), s.LearningRateAt(step), 12);
        }
        // Restarts: T_0, T_0(1 + T_mult), … epochs in, the LR is back at the base LR.
        long restart = 0, length = t0;
        for (int i = 0; i < 3; i++)
        {
            restart += length;
            length *= tMult;
            Assert.Equal(1e-3, s.LearningRateAt(restart * stepsPerEpoch), 15);
            Assert.True(s.LearningRateAt(restart * stepsPerEpoch - 1) < 0.3e-3, "the step before a restart is near the bottom of the cycle");
        }
    }

    [Fact]
    public void StepDecaysEveryStepSizeEpochsAfterWarmup()
    {
        var s = new LearningRateSchedule(Config("step", warmup: 1), stepsPerEpoch: 2);
        Assert.Equal(2, s.WarmupSteps);
        Assert.Equal(1e-3 / 3, s.LearningRateAt(0), 15);
        Assert.Equal(1e-3, s.LearningRateAt(2), 15);
        Assert.Equal(1e-3, s.LearningRateAt(7), 15);    // t = 5: epoch 2 of the StepLR clock
        Assert.Equal(1e-4, s.LearningRateAt(8), 15);    // t = 6: epoch 3 → γ¹
        Assert.Equal(1e-5, s.LearningRateAt(14), 15);   // t = 12: epoch 6 → γ²
    }

    [Fact]
    public void ConstantAndUnknownNames()
    {
        var s = new LearningRateSchedule(Config("constant", warmup: 2), stepsPerEpoch: 1);
        Assert.Equal(1e-3 / 3, s.LearningRateAt(0), 15);
        Assert.Equal(1e-3, s.LearningRateAt(2), 15);
        Assert.Equal(1e-3, s.LearningRateAt(10_000), 15);
        var ex = Assert.Throws<InputException>(() => new LearningRateSchedule(Config("onecycle"), 10));
        Assert.Contains("training.scheduler.name", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(Config("constant"), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LearningRateAt(-1));
    }

    [Fact]
    public void PlateauCutsTheLrAfterMoreThanPatienceBadValidations()
    {
        var cfg = Config("plateau") with { EarlyStopping = new EarlyStoppingConfig { Mode = "max", MinDelta = 0.01 } };
        var s = new LearningRateSchedule(cfg, stepsPerEpoch: 5);
        var p = s.Plateau!;
        Assert.False(p.Step(0.50));          // improvement on -inf
        Assert.False(p.Step(0.505));         // within min_delta: bad 1
        Assert.False(p.Step(double.NaN));    // NaN never improves: bad 2
        Assert.Equal(1e-3, s.LearningRateAt(30), 15);
        Assert.True(p.Step(0.49));           // bad 3 > patience 2 → cut
        Assert.Equal((0.5, 0L, 1L, 0.50), (p.Scale, p.BadEpochs, p.Reductions, p.Best));
        Assert.Equal(5e-4, s.LearningRateAt(30), 15);
        Assert.False(p.Step(0.52));          // improvement resets
        Assert.Equal(0.52, p.Best);
        // Floor at eta_min: many cuts cannot push the LR below it.
        for (int i = 0; i < 100; i++) p.Step(0);
        Assert.Equal(1e-6, s.LearningRateAt(30), 15);

        var minMode = new LearningRatePlateau("min", 0.0, 0, 0.1);
        Assert.False(minMode.Step(1.0));
        Assert.True(minMode.Step(1.0));      // not < best: bad 1 > patience 0
        Assert.Equal(0.1, minMode.Scale, 15);
    }

    [Fact]
    public void PlateauStateRoundTripsThroughAPickledCheckpoint()
    {
        var cfg = Config("plateau") with { EarlyStopping = new EarlyStoppingConfig { Mode = "min" } };
        var original = LearningRatePlateau.FromConfig(cfg);
        Assert.Equal(double.PositiveInfinity, original.Best);
        Assert.Equal(double.PositiveInfinity, RoundTrip(LearningRatePlateau.FromConfig(cfg)).Best);   // infinity survives pickling

        foreach (var v in new[] { 0.9, 0.8, 0.85, 0.86, 0.87, 0.7 }) original.Step(v);
        var restored = RoundTrip(original);
        Assert.Equal((original.Best, original.BadEpochs, original.Scale, original.Reductions),
            (restored.Best, restored.BadEpochs, restored.Scale, restored.Reductions));
        foreach (var v in new[] { 0.75, 0.76, 0.77, 0.6, 0.61, 0.62, 0.63 })
            Assert.Equal(original.Step(v), restored.Step(v));
        Assert.Equal(original.Scale, restored.Scale);

        Assert.Equal(new[] { "best", "bad_epochs", "scale", "reductions" }, original.ToDictionary().Keys.Cast<string>().ToArray());
        var broken = original.ToDictionary();
        broken.Remove("scale");
        Assert.Throws<InvalidDataException>(() => LearningRatePlateau.FromDictionary(cfg, broken));

        LearningRatePlateau RoundTrip(LearningRatePlateau state)
        {
            string path = Path.Combine(Path.GetTempPath(), $"plateau-{Guid.NewGuid():N}.pth");
            try
            {
                PyTorchPickler.PickleStateDict(path, new OrderedDictionary { ["scheduler_state"] = state.ToDictionary() });
                var loaded = PyTorchUnpickler.UnpickleStateDict(path);
                return LearningRatePlateau.FromDictionary(cfg, (IDictionary)loaded["scheduler_state"]!);
            }
            finally { File.Delete(path); }
        }
    }
}
