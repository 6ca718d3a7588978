using System.Globalization;
using CrackSeg.Common;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CrackSeg.Reporting;

/// <summary>
/// Reads a YAML file of the experiment folder into dotted key → scalar text pairs, in file order
/// ("training.loss.name" → "focal_dice"). Lists of scalars become "[a, b]".
/// </summary>
internal static class YamlFlat
{
    public static IReadOnlyList<KeyValuePair<string, string>> Read(string file, string text)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw new InputException($"{file}: not valid YAML at line {e.Start.Line}, column {e.Start.Column} ({e.Message})", e);
        }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InputException($"{file}: the top level must be a mapping of keys to values");
        var result = new List<KeyValuePair<string, string>>();
        Flatten("", root, result);
        return result;
    }

    private static void Flatten(string prefix, YamlNode node, List<KeyValuePair<string, string>> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    string key = k is YamlScalarNode s ? s.Value ?? "" : k.ToString();
                    Flatten(prefix.Length == 0 ? key : $"{prefix}.{key}", v, into);
                }
                break;
            case YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode):
                into.Add(new(prefix, "[" + string.Join(", ", seq.Children.Select(c => ((YamlScalarNode)c).Value)) + "]"));
                break;
            case YamlSequenceNode seq:
                for (int i = 0; i < seq.Children.Count; i++) Flatten($"{prefix}[{i}]", seq.Children[i], into);
                break;
            case YamlScalarNode scalar:
                into.Add(new(prefix, IsNull(scalar) ? "null" : scalar.Value ?? ""));
                break;
        }
    }

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>Reads a flat metric mapping (final_results.yaml); every value must be a number.</summary>
    public static MetricSet ReadMetrics(string file, IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, text) in entries)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                if (text == "null") continue;
                throw new InputException($"{file}: key '{key}' must be a number, found '{text}'");
            }
            map[key] = value;
        }
        double? Get(string n) => map.TryGetValue("val_" + n, out var v) ? v : map.TryGetValue(n, out v) ? v : null;
        return new MetricSet(Get("precision"), Get("recall"), Get("f1"), Get("iou"), Get("dice"), Get("accuracy"), Get("loss"));
    }
}
