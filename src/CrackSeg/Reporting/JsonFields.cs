using System.Globalization;
using System.Text.Json;
using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// Typed access to one JSON object of an experiment file. Every failure is an
/// <see cref="InputException"/> that names the file and the key path, because a broken folder is
/// a user-visible input problem, not a bug.
/// </summary>
internal sealed class JsonFields
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public JsonFields(JsonElement element, string file, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InputException($"{file}: {Describe(path)} must be a JSON object, found {Kind(element)}");
        Element = element;
        File = file;
        Path = path;
    }

    public JsonElement Element { get; }
    public string File { get; }
    public string Path { get; }

    /// <summary>Parses <paramref name="file"/> as a JSON document whose root is an object.</summary>
    public static JsonFields ReadFile(string file)
    {
        string text = ReadText(file);
        return new JsonFields(Parse(text, file), file, "");
    }

    public static string ReadText(string file)
    {
        try { return System.IO.File.ReadAllText(file); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputException($"{file}: file is missing");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{file}: cannot be read ({e.Message})", e);
        }
    }

    public static JsonElement Parse(string text, string where) => JsonReading.Element(text, where);

    public bool Has(string key) => TryGet(key, out _);

    public string? OptionalString(string key) =>
        TryGet(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string", v) : null;

    public string RequiredString(string key) => OptionalString(key) ?? throw Missing(key, "a string");

    public double? OptionalNumber(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw Wrong(key, "a number", v);
        return v.GetDouble();
    }

    public double RequiredNumber(string key) => OptionalNumber(key) ?? throw Missing(key, "a number");

    public long? OptionalInteger(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n)) return n;
        // 12.0 is an integer written by a float-minded writer; 12.5 is not.
        if (v.ValueKind == JsonValueKind.Number && v.GetDouble() is double d && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        throw Wrong(key, "an integer", v);
    }

    public int? OptionalInt(string key)
    {
        long? n = OptionalInteger(key);
        if (n is null) return null;
        if (n < int.MinValue || n > int.MaxValue) throw new InputException($"{File}: {Describe(Qualify(key))} is out of range ({n})");
        return (int)n;
    }

    public int RequiredInt(string key) => OptionalInt(key) ?? throw Missing(key, "an integer");

    public bool? OptionalBool(string key)
    {
        if (!TryGet(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, "true or false", v),
        };
    }

    public JsonFields? OptionalObject(string key) =>
        TryGet(key, out var v) ? new JsonFields(v, File, Qualify(key)) : null;

    public JsonFields RequiredObject(string key) => OptionalObject(key) ?? throw Missing(key, "an object");

    /// <summary>The first of <paramref name="keys"/> present with a non-null value, or null.</summary>
    public string? FirstPresent(params string[] keys) => keys.FirstOrDefault(k => TryGet(k, out _));

    /// <summary>Properties not yet read through this instance, for "other recorded fields" displays.</summary>
    public IEnumerable<JsonProperty> Unread() => Element.EnumerateObject().Where(p => !_read.Contains(p.Name));

    public void MarkRead(params string[] keys)
    {
        foreach (var k in keys) _read.Add(k);
    }

    /// <summary>Null-valued keys count as absent: writers emit null for "not measured".</summary>
    private bool TryGet(string key, out JsonElement value)
    {
        _read.Add(key);
        if (Element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    private string Qualify(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    private InputException Missing(string key, string expected) =>
        new($"{File}: required key '{Qualify(key)}' is missing or null (expected {expected})");

    private InputException Wrong(string key, string expected, JsonElement found) =>
        new($"{File}: key '{Qualify(key)}' must be {expected}, found {Kind(found)} {Abbreviate(found.GetRawText())}");

    private static string Describe(string path) => path.Length == 0 ? "the top level" : $"key '{path}'";

    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Abbreviate(string raw) => raw.Length <= 40 ? raw : raw[..37] + "...";

    /// <summary>Flattens a JSON value into dotted "key: text" pairs (arrays of scalars joined).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Flatten(string prefix, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject())
                    foreach (var kv in Flatten(prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", p.Value))
                        yield return kv;
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(IsScalar):
                yield return new(prefix, "[" + string.Join(", ", value.EnumerateArray().Select(ScalarText)) + "]");
                break;
            case JsonValueKind.Array:
                yield return new(prefix, $"[{value.GetArrayLength()} items]");
                break;
            default:
                yield return new(prefix, ScalarText(value));
                break;
        }
    }

    public static bool IsScalar(JsonElement e) => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);

    public static string ScalarText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Number => e.TryGetInt64(out long n) ? n.ToString(CultureInfo.InvariantCulture) : Format.Number(e.GetDouble()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => e.GetRawText(),
    };
}
