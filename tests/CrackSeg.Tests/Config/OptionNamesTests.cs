using CrackSeg.Artifacts;
using CrackSeg.Common.Precision;
using CrackSeg.Config;
using CrackSeg.Models;
using CrackSeg.Training;
using CrackSeg.Training.Losses;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Config;

/// <summary>Every name a config validates builds at run time, and every other name is refused by validation.</summary>
public class OptionNamesTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    public static TheoryData<OptionList, string> AcceptedNames()
    {
        var data = new TheoryData<OptionList, string>();
        foreach (var list in Enum.GetValues<OptionList>())
            foreach (var name in OptionNames.Of(list)) data.Add(list, name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public void EveryAcceptedNameValidatesAndBuilds(OptionList list, string name)
    {
        var config = ConfigLoader.Load(null, [$"{Key(list)}={name}"], NoEnvironment);
        using var scope = NewDisposeScope();
        switch (list)
        {
            case OptionList.Presets:
                ModelSpec.Resolve(config.Model, 256).Validate();
                break;
            case OptionList.Optimizers:
                foreach (bool fused in new[] { true, false })
                {
                    var p = new TorchSharp.Modules.Parameter(ones(3));
                    var q = new TorchSharp.Modules.Parameter(ones(2));
                    OptimizerFactory.Create(config.Training with { FusedOptimizer = fused }, [p], [q]);
                }
                break;
            case OptionList.Losses:
                var loss = LossFactory.Create(config.Training.Loss).call(zeros(1, 1, 2, 2), ones(1, 1, 2, 2));
                Assert.True(float.IsFinite(loss.item<float>()));
                break;
            case OptionList.Schedulers:
                Assert.Equal(name, new LearningRateSchedule(config.Training, 4).Name);
                break;
            case OptionList.Precisions:
                Assert.Equal(name, PrecisionMode.Parse(config.Training.Precision, "training.precision").Name);
                break;
            case OptionList.Monitors:
                var metrics = new ValidationMetrics(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7);
                Assert.True(new EarlyStopping(config.Training.EarlyStopping).Update(metrics[name], 1));
                break;
        }
    }

    [Theory]
    [InlineData(OptionList.Presets)]
    [InlineData(OptionList.Optimizers)]
    [InlineData(OptionList.Losses)]
    [InlineData(OptionList.Schedulers)]
    [InlineData(OptionList.Precisions)]
    [InlineData(OptionList.Monitors)]
    public void AnyOtherNameIsRefusedByValidationWithTheList(OptionList list)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, [$"{Key(list)}=bogus"], NoEnvironment));
        Assert.Contains(Key(list), e.Message);
        Assert.Contains("expected one of: " + string.Join(", ", OptionNames.Of(list)), e.Message);
    }

    [Fact]
    public void TheGuideWritesTheMonitorableMetrics()
    {
        Assert.Equal(OptionNames.Monitors, GuideSchema.EpochValidationKeys);
        Assert.Equal(OptionNames.Monitors.Order(), GuideSchema.FinalMetricKeys.Order());
    }

    private static string Key(OptionList list) => list switch
    {
        OptionList.Presets => "model.preset",
        OptionList.Optimizers => "training.optimizer",
        OptionList.Losses => "training.loss.name",
        OptionList.Schedulers => "training.scheduler.name",
        OptionList.Precisions => "training.precision",
        OptionList.Monitors => "training.early_stopping.monitor",
        _ => throw new ArgumentOutOfRangeException(nameof(list)),
    };
}
