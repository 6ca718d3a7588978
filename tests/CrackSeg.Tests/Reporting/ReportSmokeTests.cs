using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public class ReportSmokeTests
{
    [Fact]
    public void WritesReportForInspection()
    {
        var fx = new FakeExperiment(root: "/tmp/report-smoke");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (html, md) = ReportBuilder.Build(fx.Dir, null);
        Console.WriteLine($"{html} {md} {sw.ElapsedMilliseconds} ms");
        Assert.True(File.Exists(html));
    }
}
