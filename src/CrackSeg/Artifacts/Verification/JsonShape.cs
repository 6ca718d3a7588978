using System.Text.Json;
using System.Text.RegularExpressions;
using CrackSeg.Common;

namespace CrackSeg.Artifacts;

/// <summary>The JSON types of the guide, as Python's json module reads them (int has no fraction or exponent).</summary>
internal enum JsonType { String, Int, Number, Bool, Object, NullableInt, NullableNumber, NullableString }

/// <summary>Key and type checks over parsed JSON, each failure described with its file and key.</summary>
internal static class JsonShape
{
    private static readonly Regex IntLiteral = new(@"^-?\d+$");

    public static bool Is(JsonElement e, JsonType type) => type switch
    {
        JsonType.String => e.ValueKind == JsonValueKind.String,
        JsonType.Int => e.ValueKind == JsonValueKind.Number && IntLiteral.IsMatch(e.GetRawText()),
        JsonType.Number => e.ValueKind == JsonValueKind.Number,
        JsonType.Bool => e.ValueKind is JsonValueKind.True or JsonValueKind.False,
        JsonType.Object => e.ValueKind == JsonValueKind.Object,
        JsonType.NullableInt => e.ValueKind == JsonValueKind.Null || Is(e, JsonType.Int),
        JsonType.NullableNumber => e.ValueKind == JsonValueKind.Null || Is(e, JsonType.Number),
        JsonType.NullableString => e.ValueKind == JsonValueKind.Null || Is(e, JsonType.String),
        _ => false,
    };

    /// <summary>Checks that <paramref name="obj"/> has each key with its type; returns the keys that passed.</summary>
    public static Dictionary<string, JsonElement> Expect(JsonElement obj, string where, IEnumerable<(string Key, JsonType Type)> keys, List<string> problems)
    {
        var ok = new Dictionary<string, JsonElement>();
        if (obj.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{where}: expected a JSON object, found {obj.ValueKind}");
            return ok;
        }
        foreach (var (key, type) in keys)
        {
            if (!obj.TryGetProperty(key, out var value)) problems.Add($"{where}: missing key '{key}'");
            else if (!Is(value, type)) problems.Add($"{where}: '{key}' should be {Describe(type)}, found {Show(value)}");
            else ok[key] = value;
        }
        return ok;
    }

    public static string Describe(JsonType type) => type switch
    {
        JsonType.String => "a string",
        JsonType.Int => "an integer",
        JsonType.Number => "a number",
        JsonType.Bool => "a boolean",
        JsonType.Object => "an object",
        JsonType.NullableInt => "an integer or null",
        JsonType.NullableNumber => "a number or null",
        JsonType.NullableString => "a string or null",
        _ => type.ToString(),
    };

    public static string Show(JsonElement e)
    {
        string raw = e.GetRawText();
        return $"{e.ValueKind.ToString().ToLowerInvariant()} {(raw.Length > 40 ? raw[..40] + "…" : raw)}";
    }

    /// <summary>Parses a JSON file; null (with a problem) when it is missing or invalid (NaN/Infinity are invalid JSON).</summary>
    public static JsonDocument? Parse(string path, string name, List<string> problems)
    {
        if (!File.Exists(path)) { problems.Add($"{name}: missing"); return null; }
        try { return JsonReading.Document(File.ReadAllText(path), name); }
        catch (InputException e) { problems.Add(e.Message); return null; }
    }
}
