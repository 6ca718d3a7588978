using System.Diagnostics;
using CrackSeg.Reporting;
using CrackSeg.Tests.TestSupport;
using Xunit.Abstractions;

namespace CrackSeg.Tests.Reporting;

/// <summary>
/// Opens a generated report in Debian's headless Chromium and checks the screenshot is a real
/// page. Without chromium on PATH the test is skipped, unless CRACKSEG_REQUIRE_BROWSER=1
/// (CI), where a missing browser fails it. Install: apt-get install -y chromium.
/// </summary>
public class BrowserRenderTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ReportRendersInHeadlessChromium()
    {
        string? browser = FindBrowser();
        RequiredInput.SkipUnless(browser is not null, RequiredInput.Browser, "no chromium on PATH (apt-get install -y chromium)");
        using var fx = new FakeExperiment();
        var (html, _) = ReportBuilder.Build(fx.Dir, null);
        string shot = Path.Combine(fx.Root, "screenshot.png");
        string profile = Path.Combine(fx.Root, "chromium-profile");
        var sw = Stopwatch.StartNew();
        Run(browser, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--virtual-time-budget=5000", // lets the embedded fallback font load before the screenshot
            $"--user-data-dir={profile}", $"--screenshot={shot}", "--window-size=1280,2000", new Uri(html).AbsoluteUri,
        ]);
        output.WriteLine($"chromium screenshot in {sw.ElapsedMilliseconds} ms");

        Assert.True(File.Exists(shot), "chromium wrote no screenshot");
        var stats = PngStats.Of(shot);
        output.WriteLine($"{stats.Width}x{stats.Height}, {stats.DistinctColours} colours, {stats.NonWhiteShare:P1} non-white");
        Assert.Equal((1280, 2000), (stats.Width, stats.Height));
        stats.AssertNotBlank(minColours: 200, minNonWhite: 0.05);
        // The header band's navy proves the inline stylesheet was applied.
        Assert.True(stats.TopLeft.R < 40 && stats.TopLeft.G < 50 && stats.TopLeft.B < 70, $"top-left pixel {stats.TopLeft} is not the header colour");
    }

    private static string? FindBrowser() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .SelectMany(dir => new[] { "chromium", "chromium-browser" }.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    private static void Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 120 s");
        }
        Assert.True(p.ExitCode == 0, $"chromium exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
    }
}
