using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CrackSeg.Common;

/// <summary>What a float field does with NaN or ±Infinity, which JSON cannot hold; each call site names its rule.</summary>
public enum NonFinite
{
    /// <summary>The value must always be finite (a training record): a NaN is a bug upstream, so writing stops.</summary>
    Throws,

    /// <summary>The value may be undefined (a metric with an empty denominator): it is written as null.</summary>
    WritesNull,
}

/// <summary>
/// The JSON writing shared by the experiment, evaluation and split files: floats spelled by
/// <see cref="ArtifactFormat.Float"/> with an explicit <see cref="NonFinite"/> rule, null for absent values, and
/// documents as UTF-8 text (relaxed escaping, a final newline when indented).
/// </summary>
public static class JsonWriting
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The text <paramref name="write"/> produces; an indented document ends with a newline.</summary>
    public static string Text(bool indented, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, indented ? Indented : Compact)) write(w);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return indented ? text + "\n" : text;
    }

    /// <summary>
    /// <paramref name="name"/>: <paramref name="value"/> in the artifact float spelling; null when absent; a NaN or
    /// infinity as <paramref name="nonFinite"/> says (<paramref name="what"/> names it in the error, default the name).
    /// </summary>
    public static void WriteFloat(this Utf8JsonWriter w, string name, double? value, NonFinite nonFinite, string? what = null)
    {
        if (value is not double v || (!double.IsFinite(v) && nonFinite == NonFinite.WritesNull))
        {
            w.WriteNull(name);
            return;
        }
        string text = ArtifactFormat.Float(v, what ?? name);
        w.WritePropertyName(name);
        w.WriteRawValue(text, skipInputValidation: true);
    }

    public static void WriteNullable(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    public static void WriteNullable(this Utf8JsonWriter w, string name, long? value)
    {
        if (value is long v) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
