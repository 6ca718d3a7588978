using CrackSeg.Config;
using YamlDotNet.RepresentationModel;

namespace CrackSeg.Tests.Config;

/// <summary>config.yaml's `model.name` and `data.dataset`: real keys that the Python reporting module reads.</summary>
public class PythonReaderConfigKeysTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static string Saved(CrackSegConfig config, string section, string key)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(ConfigYaml.Serialize(config)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return ((YamlScalarNode)((YamlMappingNode)root[section])[key]).Value!;
    }

    [Fact]
    public void ModelNameIsTheModelClassAndIsSaved()
    {
        var config = ConfigLoader.Load(null, [], NoEnvironment);
        Assert.Equal("SwinV2CnnAsppUNet", config.Model.Name);
        Assert.Equal("SwinV2CnnAsppUNet", Saved(config, "model", "name"));
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, ["model.name=UNet"], NoEnvironment));
        Assert.Contains("model.name", e.Message);
        Assert.Contains("SwinV2CnnAsppUNet", e.Message);
    }

    [Theory]
    [InlineData("data/synthetic", "synthetic")]
    [InlineData("/data/sets/CrackForest/", "CrackForest")]
    [InlineData("../DeepCrack", "DeepCrack")]
    public void DatasetDefaultsToTheRootsFolderName(string root, string expected)
    {
        var config = ConfigLoader.Load(null, [$"data.root={root}"], NoEnvironment);
        Assert.Equal(expected, config.Data.Dataset);
        Assert.Equal(expected, Saved(config, "data", "dataset"));
    }

    [Fact]
    public void DatasetCanBeSetAndRoundTrips()
    {
        using var dir = new CrackSeg.Tests.TestSupport.TempDir();
        var config = ConfigLoader.Load(null, ["data.root=/x/images", "data.dataset=CFD"], NoEnvironment);
        Assert.Equal("CFD", config.Data.Dataset);
        string path = dir.File("config.yaml", ConfigYaml.Serialize(config));
        Assert.Equal(config, ConfigLoader.LoadSaved(path));
    }

    [Fact]
    public void AConfigYamlWithoutThemStillLoads()
    {
        using var dir = new CrackSeg.Tests.TestSupport.TempDir();
        string path = dir.File("config.yaml", "data:\n  root: data/unified\nmodel:\n  preset: seed\n");
        var config = ConfigLoader.LoadSaved(path);
        Assert.Equal("unified", config.Data.Dataset);
        Assert.Equal("SwinV2CnnAsppUNet", config.Model.Name);
    }
}
