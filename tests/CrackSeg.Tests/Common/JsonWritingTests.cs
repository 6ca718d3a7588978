using System.Text.Json;
using CrackSeg.Common;

namespace CrackSeg.Tests.Common;

/// <summary>The shared JSON writer: the float spelling, and each call site's explicit rule for NaN and infinity.</summary>
public class JsonWritingTests
{
    private static string Field(double? value, NonFinite rule) =>
        JsonWriting.Text(indented: false, w => { w.WriteStartObject(); w.WriteFloat("x", value, rule); w.WriteEndObject(); });

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void AnUndefinedMetricIsWrittenAsNullAndATrainingValueStopsTheWrite(double value)
    {
        Assert.Equal("{\"x\":null}", Field(value, NonFinite.WritesNull));
        var error = Assert.Throws<ArgumentException>(() => Field(value, NonFinite.Throws));
        Assert.Contains("x is", error.Message);
    }

    [Theory]
    [InlineData(NonFinite.Throws)]
    [InlineData(NonFinite.WritesNull)]
    public void FiniteAndAbsentValuesReadTheSameUnderEitherRule(NonFinite rule)
    {
        Assert.Equal("{\"x\":1.0e-05}", Field(1e-5, rule));
        Assert.Equal("{\"x\":2.0}", Field(2, rule));
        Assert.Equal("{\"x\":null}", Field(null, rule));
    }

    [Fact]
    public void IndentedTextEndsWithANewlineAndKeepsNonAsciiUnescaped()
    {
        string text = JsonWriting.Text(indented: true, w =>
        {
            w.WriteStartObject();
            w.WriteNullable("name", "fissure é");
            w.WriteNullable("epoch", (long?)null);
            w.WriteEndObject();
        });
        Assert.EndsWith("}\n", text);
        Assert.Contains("\"fissure é\"", text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("epoch").ValueKind);
    }
}

/// <summary>The shared JSON parse: one message, NaN literals invalid everywhere, comments only in hand-written files.</summary>
public class JsonReadingTests
{
    [Theory]
    [InlineData("{\"ods\": NaN}")]
    [InlineData("{\"ods\": Infinity}")]
    [InlineData("{\"ods\": 1,}")]
    public void NonFiniteLiteralsAndTrailingCommasAreInvalidInFilesWeWrite(string text)
    {
        var e = Assert.Throws<InputException>(() => JsonReading.Element(text, "evaluation/metrics.json"));
        Assert.StartsWith("evaluation/metrics.json: not valid JSON (", e.Message);
    }

    [Fact]
    public void AHandWrittenFileMayHoldCommentsAndTrailingCommasButNoNaN()
    {
        using var doc = JsonReading.Document("{\"train\": [\"a\",], // a comment\n}"u8.ToArray(), "split file s.json", handWritten: true);
        Assert.Equal(1, doc.RootElement.GetProperty("train").GetArrayLength());
        var e = Assert.Throws<InputException>(() => JsonReading.Document("{\"ratio\": NaN}", "split file s.json", handWritten: true));
        Assert.StartsWith("split file s.json: not valid JSON (", e.Message);
    }
}
