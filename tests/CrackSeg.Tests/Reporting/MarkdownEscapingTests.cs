using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public class MarkdownEscapingTests
{
    [Theory]
    [InlineData("swinv2_hybrid_256", "swinv2_hybrid_256")]
    [InlineData("_lead and trail_", "\\_lead and trail\\_")]
    [InlineData("a|b", "a\\|b")]
    [InlineData("<b>x</b> & [link](http://e)", "&lt;b&gt;x&lt;/b&gt; &amp; \\[link\\](http://e)")]
    [InlineData("*bold* `code` #1 ![img]", "\\*bold\\* \\`code\\` \\#1 \\!\\[img\\]")]
    public void EscapesMarkdownAndHtmlSyntax(string raw, string expected) =>
        Assert.Equal(expected, MarkdownReportWriter.Esc(raw));

    [Fact]
    public void TableCellsCannotBreakTheTable()
    {
        var doc = new ReportDocument("t", "s", [new TableBlock(["k", "v"], [TableRow.Of("a|b", "line1\nline2")])], "f");
        var (md, _) = MarkdownReportWriter.Render(doc, "x_files");
        Assert.Contains("| a\\|b | line1 line2 |", md);
    }

    [Fact]
    public void CodeFenceOutgrowsBackticksInTheText()
    {
        var doc = new ReportDocument("t", "s", [new CodeBlock("log", "before ```` after", "text")], "f");
        var (md, _) = MarkdownReportWriter.Render(doc, "x_files");
        Assert.Contains("`````text\nbefore ```` after\n`````", md);
    }
}
