using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace CrackSeg.Config;

/// <summary>
/// Resolves a run's configuration: record defaults &lt; YAML file &lt; environment
/// (<c>CRACKSEG__SECTION__KEY</c>) &lt; command-line overrides (<c>section.key=value</c>).
/// An override replaces a whole value: a list given on the command line replaces the file's list.
/// </summary>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "CRACKSEG__";
    private const string EnvironmentSource = "environment";
    private const string CommandLineSource = "command line";

    /// <param name="path">YAML file, or null for the built-in defaults.</param>
    /// <param name="overrides">`section.key=value` arguments.</param>
    /// <param name="environment">Variables to read instead of the process environment (tests).</param>
    public static CrackSegConfig Load(string? path, IEnumerable<string>? overrides = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, (string Source, int? Line)>(StringComparer.OrdinalIgnoreCase);

        YamlConfigurationProvider? file = null;
        if (path is not null)
        {
            if (!File.Exists(path)) throw new ConfigException($"{path}: config file not found", path);
            file = new YamlConfigurationProvider(path);
            file.Load();
            foreach (var (key, value) in Flatten(new ConfigurationRoot([file])))
            {
                values[key] = value;
                origins[key] = (path, file.LineOf(key));
            }
        }

        foreach (var (key, value) in EnvironmentOverrides(environment))
            Override(values, origins, key, value, $"{EnvironmentSource} ({EnvironmentPrefix}{key.Replace(":", "__").ToUpperInvariant()})");

        foreach (var argument in overrides ?? [])
        {
            int eq = argument.IndexOf('=');
            if (eq <= 0 || argument[..eq].Contains(' '))
                throw new ConfigException($"{CommandLineSource}: override '{argument}' must look like section.key=value (e.g. training.epochs=3)", CommandLineSource);
            string key = argument[..eq].Trim().Replace('.', ':');
            Override(values, origins, key, argument[(eq + 1)..], $"{CommandLineSource} ({argument})");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var binder = new ConfigBinder(key => Origin(origins, key, path));
        // Resolved here, so the saved config.yaml names its dataset and reloads to an equal record.
        return DatasetName.Resolve(binder.Bind<CrackSegConfig>(configuration));
    }

    /// <summary>Loads a config that an experiment folder saved (config.yaml), with no environment or overrides.</summary>
    public static CrackSegConfig LoadSaved(string path) => Load(path, [], new Dictionary<string, string>());

    private static IEnumerable<KeyValuePair<string, string?>> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(kv => kv.Value is not null || !configuration.GetSection(kv.Key).GetChildren().Any());

    private static IEnumerable<(string Key, string Value)> EnvironmentOverrides(IReadOnlyDictionary<string, string>? environment)
    {
        IConfiguration source = environment is null
            ? new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build()
            : new ConfigurationBuilder().AddInMemoryCollection(environment
                .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                .Select(kv => KeyValuePair.Create(kv.Key[EnvironmentPrefix.Length..].Replace("__", ":"), (string?)kv.Value))).Build();
        return source.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => (kv.Key.ToLowerInvariant(), kv.Value!));
    }

    private static void Override(Dictionary<string, string?> values, Dictionary<string, (string, int?)> origins, string key, string raw, string source)
    {
        foreach (var existing in values.Keys.Where(k => k.Equals(key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            values.Remove(existing);
            origins.Remove(existing);
        }
        string text = raw.Trim();
        if (text.StartsWith('['))
        {
            var items = ParseFlowList(text, source);
            if (items.Count == 0) { values[key] = ""; origins[key] = (source, null); }
            for (int i = 0; i < items.Count; i++)
            {
                values[$"{key}:{i}"] = items[i];
                origins[$"{key}:{i}"] = (source, null);
            }
            return;
        }
        values[key] = text is "null" or "~" ? null : text;
        origins[key] = (source, null);
    }

    private static List<string?> ParseFlowList(string text, string source)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents[0].RootNode is not YamlSequenceNode seq) throw new ConfigException($"{source}: expected a list like [1, 2]", source);
            return seq.Children.Select(c => c is YamlScalarNode s ? s.Value : throw new ConfigException($"{source}: list items must be plain values", source)).ToList();
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigException($"{source}: invalid list '{text}': {e.Message}", source);
        }
    }

    private static (string Source, int? Line) Origin(Dictionary<string, (string Source, int? Line)> origins, string key, string? path)
    {
        // Walk up from the key to the nearest section that came from somewhere known.
        for (string? k = key; !string.IsNullOrEmpty(k); k = k.Contains(':') ? k[..k.LastIndexOf(':')] : null)
        {
            if (origins.TryGetValue(k, out var origin)) return origin;
            var child = origins.Keys.FirstOrDefault(o => o.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase));
            if (child is not null) return (origins[child].Source, origins[child].Line is int l ? l - 1 : null);
        }
        return (path ?? "defaults", null);
    }
}
