using CrackSeg.Config;
using CrackSeg.Tests.TestSupport;

namespace CrackSeg.Tests.Config;

public class ConfigLoaderTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    [Fact]
    public void DefaultsApplyWhenTheFileIsSilent()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "experiment:\n  name: run1\n");
        var config = ConfigLoader.Load(path, [], NoEnvironment);
        Assert.Equal("run1", config.Experiment.Name);
        Assert.Equal(new CrackSegConfig().Training, config.Training);
        Assert.Equal([0.7, 0.15, 0.15], config.Data.Splits.ToArray());
    }

    [Fact]
    public void MisspelledKeyNamesTheKeyFileLineAndSuggestion()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "training:\n  epochs: 3\n  lerning_rate: 0.001\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, [], NoEnvironment));
        Assert.Contains("training.lerning_rate", e.Message);
        Assert.Contains("did you mean 'training.learning_rate'", e.Message);
        Assert.Contains($"{path}:3", e.Message);
    }

    [Fact]
    public void OutOfRangeValueNamesKeyAndAllowedRange()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "training:\n  epochs: -1\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, [], NoEnvironment));
        Assert.Contains("training.epochs", e.Message);
        Assert.Contains("1 to 100000", e.Message);
        Assert.Contains($"{path}:2", e.Message);
    }

    [Theory]
    [InlineData("training:\n  epochs: three\n", "training.epochs", "an integer")]
    [InlineData("training:\n  loss: bce\n", "training.loss", "section")]
    [InlineData("data:\n  splits: 0.5\n", "data.splits", "list")]
    [InlineData("training:\n  optimizer: adamx\n", "training.optimizer", "adamw")]
    [InlineData("experimnt:\n  name: x\n", "experimnt", "did you mean 'experiment'")]
    [InlineData("model:\n  output_prior: 1\n", "model.output_prior", "allowed range is 0 (exclusive) to 1 (exclusive)")]
    public void WrongTypesAndValuesAreNamed(string yaml, string key, string expectation)
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", yaml);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, [], NoEnvironment));
        Assert.Contains(key, e.Message);
        Assert.Contains(expectation, e.Message);
    }

    [Fact]
    public void MissingFileIsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/x.yaml", [], NoEnvironment));
        Assert.Contains("/nonexistent/x.yaml", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void PrecedenceIsFileThenEnvironmentThenCommandLine()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "training:\n  epochs: 5\n  batch_size: 8\n  learning_rate: 0.01\n");
        var env = new Dictionary<string, string> { ["CRACKSEG__TRAINING__EPOCHS"] = "7", ["CRACKSEG__TRAINING__BATCH_SIZE"] = "16" };
        var config = ConfigLoader.Load(path, ["training.epochs=9"], env);
        Assert.Equal(9, config.Training.Epochs);       // command line beats environment and file
        Assert.Equal(16, config.Training.BatchSize);   // environment beats file
        Assert.Equal(0.01, config.Training.LearningRate); // file beats defaults
    }

    [Fact]
    public void ListOverrideReplacesTheWholeList()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "data:\n  splits: [0.6, 0.2, 0.2]\nmodel:\n  depths: [2, 2, 6, 2]\n");
        var config = ConfigLoader.Load(path, ["model.depths=[1, 1]"], NoEnvironment);
        Assert.Equal([1, 1], config.Model.Depths!.ToArray());
        Assert.Equal([0.6, 0.2, 0.2], config.Data.Splits.ToArray());
    }

    [Fact]
    public void EnvironmentErrorsNameTheVariable()
    {
        var env = new Dictionary<string, string> { ["CRACKSEG__TRAINING__EPOCHS"] = "0" };
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, [], env));
        Assert.Contains("CRACKSEG__TRAINING__EPOCHS", e.Message);
        Assert.Contains("training.epochs", e.Message);
    }

    [Fact]
    public void MalformedOverrideIsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, ["training.epochs"], NoEnvironment));
        Assert.Contains("section.key=value", e.Message);
    }

    [Fact]
    public void ResolvedConfigRoundTripsThroughYaml()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "experiment:\n  name: rt\n  seed: 7\nmodel:\n  preset: seed\n  window_size: 16\n  stem_channels: []\n" +
                                      "training:\n  learning_rate: 0.000123456789\n  loss:\n    name: bce\n    pos_weight: 3.5\n");
        var config = ConfigLoader.Load(path, ["data.root=/some/where", "training.scheduler.eta_min=1e-7"], NoEnvironment);
        string yaml = ConfigYaml.Serialize(config);
        var saved = dir.File("saved.yaml", yaml);
        var reloaded = ConfigLoader.LoadSaved(saved);
        Assert.Equal(config, reloaded);
        Assert.Empty(reloaded.Model.StemChannels!);
        Assert.Null(reloaded.Model.PretrainedEncoder);
        Assert.Equal(ConfigYaml.Serialize(reloaded), yaml);
    }

    [Fact]
    public void InvalidYamlNamesFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("c.yaml", "training:\n  epochs: [1,\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, [], NoEnvironment));
        Assert.Contains(path, e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }
}
