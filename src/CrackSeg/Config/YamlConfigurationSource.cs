using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CrackSeg.Config;

/// <summary>A Microsoft.Extensions.Configuration source for one YAML file, parsed with YamlDotNet.</summary>
public sealed class YamlConfigurationSource : IConfigurationSource
{
    public YamlConfigurationSource(string path) => Path = path;
    public string Path { get; }
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlConfigurationProvider(Path);
}

/// <summary>
/// Flattens a YAML mapping into configuration keys (`training:epochs`, `data:splits:0`) and remembers
/// the line of every key, so validation errors can point into the file.
/// </summary>
public sealed class YamlConfigurationProvider : ConfigurationProvider
{
    private readonly string _path;
    private readonly Dictionary<string, int> _lines = new(StringComparer.OrdinalIgnoreCase);

    public YamlConfigurationProvider(string path) => _path = path;

    /// <summary>1-based line of a key in the file, if it came from there.</summary>
    public int? LineOf(string key) => _lines.TryGetValue(key, out var line) ? line : null;

    public override void Load()
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        _lines.Clear();
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(_path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{_path}:{e.Start.Line}: invalid YAML: {e.InnerException?.Message ?? e.Message}", _path, null, (int)e.Start.Line);
        }
        if (stream.Documents.Count > 0)
        {
            var root = stream.Documents[0].RootNode;
            if (root is YamlMappingNode mapping) Flatten(mapping, prefix: null, data);
            else if (!(root is YamlScalarNode s && string.IsNullOrEmpty(s.Value)))
                throw new ConfigException($"{_path}:{root.Start.Line}: expected a mapping of sections (experiment, data, model, training, metrics, logging) at the top level", _path, null, (int)root.Start.Line);
        }
        Data = data;
    }

    private void Flatten(YamlNode node, string? prefix, IDictionary<string, string?> data)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    string key = ((YamlScalarNode)keyNode).Value ?? "";
                    string path = prefix is null ? key : prefix + ConfigurationPath.KeyDelimiter + key;
                    _lines[path] = (int)keyNode.Start.Line;
                    Flatten(value, path, data);
                }
                if (mapping.Children.Count == 0 && prefix is not null) data[prefix] = null;
                break;
            case YamlSequenceNode sequence:
                // An empty list is kept as a present-but-empty value so it can override a default.
                if (sequence.Children.Count == 0) data[prefix!] = "";
                for (int i = 0; i < sequence.Children.Count; i++)
                {
                    string path = prefix + ConfigurationPath.KeyDelimiter + i;
                    _lines[path] = (int)sequence.Children[i].Start.Line;
                    Flatten(sequence.Children[i], path, data);
                }
                break;
            case YamlScalarNode scalar:
                bool isNull = scalar.Style == ScalarStyle.Plain && (scalar.Value is null or "~" or "null" or "Null" or "NULL" or "");
                data[prefix!] = isNull ? null : scalar.Value;
                break;
        }
    }
}
