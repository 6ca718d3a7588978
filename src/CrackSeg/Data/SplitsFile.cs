using System.Text.Json;
using CrackSeg.Common;

namespace CrackSeg.Data;

/// <summary>
/// <c>splits.json</c>: which stems went to which split, written to the experiment folder so that
/// evaluation later uses exactly the same test images. The same shape (<c>train</c>, <c>val</c>,
/// <c>test</c> stem arrays; every other key optional) is accepted as <c>data.split_file</c>, so an
/// experiment's splits.json can seed another run.
/// <code>
/// { "format": "crackseg-splits/1", "root": "/abs/data", "layout": "flat", "seed": 42,
///   "ratios": [0.7, 0.15, 0.15], "split_file": null, "counts": {"train": 83, "val": 18, "test": 17},
///   "train": ["a", ...], "val": [...], "test": [...], "excluded": [{"file": "...", "reason": "..."}] }
/// </code>
/// </summary>
public sealed record SplitsFile
{
    public const string FormatTag = "crackseg-splits/1";

    public string? Root { get; init; }
    public DatasetLayout? Layout { get; init; }
    public int? Seed { get; init; }
    public IReadOnlyList<double>? Ratios { get; init; }
    /// <summary>The stem-list file the recorded split itself came from (layout c).</summary>
    public string? SourceSplitFile { get; init; }
    public IReadOnlyList<string> Train { get; init; } = [];
    public IReadOnlyList<string> Val { get; init; } = [];
    public IReadOnlyList<string> Test { get; init; } = [];
    public IReadOnlyList<ExcludedFile> Excluded { get; init; } = [];

    public IReadOnlyList<string> this[SplitName split] => split switch
    {
        SplitName.Train => Train,
        SplitName.Val => Val,
        _ => Test,
    };

    public static SplitsFile FromIndex(DatasetIndex index) => new()
    {
        Root = index.Root,
        Layout = index.Layout,
        Seed = index.Seed,
        Ratios = index.Ratios,
        SourceSplitFile = index.SplitFile,
        Train = index.Train.Select(p => p.Stem).ToList(),
        Val = index.Val.Select(p => p.Stem).ToList(),
        Test = index.Test.Select(p => p.Stem).ToList(),
        Excluded = index.Excluded,
    };

    /// <summary>Writes <paramref name="index"/>'s split atomically (temp file + rename).</summary>
    public static void Write(string path, DatasetIndex index) => FromIndex(index).WriteTo(path);

    public void WriteTo(string path) => AtomicFile.Write(path, stream =>
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", FormatTag);
        w.WriteNullable("root", Root);
        w.WriteNullable("layout", Layout?.ToKey());
        w.WriteNullable("seed", Seed);
        if (Ratios is null) w.WriteNull("ratios");
        else
        {
            w.WriteStartArray("ratios");
            foreach (double r in Ratios) w.WriteNumberValue(r);
            w.WriteEndArray();
        }
        w.WriteNullable("split_file", SourceSplitFile);
        w.WriteStartObject("counts");
        foreach (var split in SplitNames.All) w.WriteNumber(split.ToKey(), this[split].Count);
        w.WriteEndObject();
        foreach (var split in SplitNames.All)
        {
            w.WriteStartArray(split.ToKey());
            foreach (string stem in this[split]) w.WriteStringValue(stem);
            w.WriteEndArray();
        }
        w.WriteStartArray("excluded");
        foreach (var e in Excluded)
        {
            w.WriteStartObject();
            w.WriteString("file", e.File);
            w.WriteString("stem", e.Stem);
            w.WriteString("kind", e.Kind.ToString());
            w.WriteString("reason", e.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Reads a splits.json or a plain stem-list file; malformed content is an <see cref="InputException"/> naming the file.</summary>
    public static SplitsFile Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"split file {path} does not exist");
        JsonDocument doc;
        try { doc = JsonReading.Document(File.ReadAllBytes(path), $"split file {path}", handWritten: true); }
        catch (IOException e) { throw new InputException($"split file {path} cannot be read: {e.Message}", e); }

        using (doc)
        {
            var rootEl = doc.RootElement;
            if (rootEl.ValueKind != JsonValueKind.Object)
                throw new InputException($"split file {path}: expected a JSON object with \"train\", \"val\" and \"test\" stem arrays");
            if (rootEl.TryGetProperty("format", out var fmt) && fmt.ValueKind == JsonValueKind.String && fmt.GetString() != FormatTag)
                throw new InputException($"split file {path}: unknown format '{fmt.GetString()}' (expected {FormatTag})");
            if (!rootEl.TryGetProperty("train", out _))
                throw new InputException($"split file {path}: missing the \"train\" stem array");

            string? layoutKey = OptionalString(rootEl, "layout", path);
            var layout = layoutKey is null ? (DatasetLayout?)null
                : DatasetLayouts.Parse(layoutKey) ?? throw new InputException($"split file {path}: \"layout\" must be flat, split_folders or split_file; got '{layoutKey}'");
            var file = new SplitsFile
            {
                Root = OptionalString(rootEl, "root", path),
                Layout = layout,
                Seed = rootEl.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number
                    ? (s.TryGetInt32(out int seed) ? seed : throw new InputException($"split file {path}: \"seed\" must be a 32-bit integer"))
                    : null,
                Ratios = rootEl.TryGetProperty("ratios", out var r) && r.ValueKind == JsonValueKind.Array
                    ? r.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble()
                        : throw new InputException($"split file {path}: \"ratios\" must hold numbers")).ToList()
                    : null,
                SourceSplitFile = OptionalString(rootEl, "split_file", path),
                Train = StemArray(rootEl, "train", path),
                Val = StemArray(rootEl, "val", path),
                Test = StemArray(rootEl, "test", path),
                Excluded = ExcludedArray(rootEl),
            };
            if (file.Layout != DatasetLayout.SplitFolders)
            {
                var seen = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var split in SplitNames.All)
                    foreach (string stem in file[split])
                        if (!seen.TryAdd(stem, split.ToKey()) && seen[stem] != split.ToKey())
                            throw new InputException($"split file {path}: stem '{stem}' is listed in both {seen[stem]} and {split.ToKey()}");
            }
            return file;
        }
    }

    private static IReadOnlyList<string> StemArray(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var el) || el.ValueKind == JsonValueKind.Null) return [];
        if (el.ValueKind != JsonValueKind.Array)
            throw new InputException($"split file {path}: \"{key}\" must be an array of file stems");
        var stems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in el.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(item.GetString()))
                throw new InputException($"split file {path}: \"{key}\" must contain only non-empty strings (file stems)");
            string stem = item.GetString()!;
            if (!seen.Add(stem)) throw new InputException($"split file {path}: stem '{stem}' appears twice in \"{key}\"");
            stems.Add(stem);
        }
        return stems;
    }

    private static IReadOnlyList<ExcludedFile> ExcludedArray(JsonElement root)
    {
        if (!root.TryGetProperty("excluded", out var el) || el.ValueKind != JsonValueKind.Array) return [];
        var list = new List<ExcludedFile>();
        foreach (var item in el.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            string Str(string k) => item.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var kind = Enum.TryParse<DataProblemKind>(Str("kind"), out var k) ? k : DataProblemKind.Unreadable;
            list.Add(new ExcludedFile(Str("file"), Str("stem"), kind, Str("reason")));
        }
        return list;
    }

    private static string? OptionalString(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind != JsonValueKind.String) throw new InputException($"split file {path}: \"{key}\" must be a string");
        return el.GetString();
    }
}
