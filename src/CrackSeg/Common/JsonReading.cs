using System.Text.Json;

namespace CrackSeg.Common;

/// <summary>
/// The one JSON parse of every reader (report, artifact verifier, split file): a bad document is one
/// <see cref="InputException"/> "<c>where: not valid JSON (why)</c>", and NaN or Infinity literals are invalid in
/// every file, as Python's strict readers and our writers (<see cref="JsonWriting"/>) treat them.
/// </summary>
public static class JsonReading
{
    private static readonly JsonDocumentOptions Strict = new() { AllowTrailingCommas = false };
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// Parses <paramref name="text"/>; <paramref name="handWritten"/> files (a user's split file) may hold comments
    /// and trailing commas, files we write may not.
    /// </summary>
    public static JsonDocument Document(string text, string where, bool handWritten = false) =>
        Parse(() => JsonDocument.Parse(text, handWritten ? Lenient : Strict), where);

    /// <summary>As <see cref="Document(string, string, bool)"/> for file bytes, where invalid UTF-8 is an error too.</summary>
    public static JsonDocument Document(byte[] utf8, string where, bool handWritten = false) =>
        Parse(() => JsonDocument.Parse(utf8, handWritten ? Lenient : Strict), where);

    private static JsonDocument Parse(Func<JsonDocument> parse, string where)
    {
        try { return parse(); }
        catch (JsonException e) { throw new InputException($"{where}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>The root of <paramref name="text"/>, detached from the parsed document.</summary>
    public static JsonElement Element(string text, string where)
    {
        using var doc = Document(text, where);
        return doc.RootElement.Clone();
    }
}
