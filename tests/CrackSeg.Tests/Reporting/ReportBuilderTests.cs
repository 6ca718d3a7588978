using System.Text.RegularExpressions;
using CrackSeg.Common;
using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public partial class ReportBuilderTests
{
    [GeneratedRegex("""<img src="([^"]*)""")]
    private static partial Regex ImgSrc();

    [GeneratedRegex("""!\[[^\]]*\]\(([^)]+)\)""")]
    private static partial Regex MarkdownImage();

    [Fact]
    public void WritesHtmlMarkdownAndImagesIntoTheDefaultReportFolder()
    {
        using var fx = new FakeExperiment();
        var (html, md) = ReportBuilder.Build(fx.Dir, null);

        Assert.Equal(Path.Combine(fx.Dir, "report", "report.html"), html);
        Assert.Equal(Path.Combine(fx.Dir, "report", "report.md"), md);
        string assets = Path.Combine(fx.Dir, "report", "report_files");
        var expected = new[] { "loss.png", "val_metrics.png", "learning_curve.png", "learning_rate.png", "grad_norm.png", "pr_curve.png",
            "overlay_best_01_img_011.png", "overlay_worst_01_img_000.png" };
        Assert.Equal(expected.Order(), Directory.GetFiles(assets).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetFiles(Path.Combine(fx.Dir, "report"), "*.tmp", SearchOption.AllDirectories));

        // Every Markdown image link resolves to a file next to the .md.
        string markdown = File.ReadAllText(md);
        var links = MarkdownImage().Matches(markdown).Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToList();
        Assert.Equal(expected.Length, links.Count);
        Assert.All(links, l => Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(md)!, l)), l));
    }

    [Fact]
    public void HtmlIsSelfContainedWithEveryImageEmbedded()
    {
        using var fx = new FakeExperiment();
        var (html, _) = ReportBuilder.Build(fx.Dir, null);
        string text = File.ReadAllText(html);

        Assert.DoesNotMatch(@"(?i)(src|href)\s*=\s*[""']?\s*(https?:|//|file:)", text);
        Assert.DoesNotMatch(@"(?i)url\(\s*['""]?(https?:|//)", text);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", text);
        var sources = ImgSrc().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(8, sources.Count); // 5 charts + PR curve + 2 overlays
        foreach (string src in sources)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            PngStats.Of(Convert.FromBase64String(src["data:image/png;base64,".Length..])); // decodes
        }
    }

    [Fact]
    public void ReportShowsTheKeyNumbers()
    {
        using var fx = new FakeExperiment(epochs: 6, plannedEpochs: 10, bestEpoch: 5);
        var (html, md) = ReportBuilder.Build(fx.Dir, null);
        foreach (string text in new[] { File.ReadAllText(html), File.ReadAllText(md) })
        {
            Assert.Contains("NVIDIA H100 80GB HBM3", text);
            Assert.Contains(fx.BestIou().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), text);
            Assert.Contains("0.6360", text);           // final val IoU (epoch 6)
            Assert.Contains("27.61 M", text);          // parameters
            Assert.Contains("6 of 10 epochs", text);
            Assert.Contains("6 min 26 s", text);       // 6 x 64.25 s
            Assert.Contains("0.8123", text);           // ODS
            Assert.Contains("0.8345", text);           // OIS
            Assert.Contains("0.8567", text);           // AP
            Assert.Contains("focal", text);            // config excerpt
            Assert.Contains("1.00e-04", text);         // learning rate
            Assert.Contains("data/crackforest", text);
        }
    }

    [Fact]
    public void ChartsDecodeAndAreNotBlank()
    {
        using var fx = new FakeExperiment();
        ReportBuilder.Build(fx.Dir, null);
        foreach (string chart in new[] { "loss.png", "val_metrics.png", "learning_curve.png", "learning_rate.png", "grad_norm.png" })
        {
            var stats = PngStats.Of(Path.Combine(fx.Dir, "report", "report_files", chart));
            Assert.Equal((1200, 680), (stats.Width, stats.Height));
            stats.AssertNotBlank();
        }
    }

    [Fact]
    public void EveryStringFromTheFolderIsEscaped()
    {
        using var fx = new FakeExperiment(gpuName: "GPU <img src=x onerror=alert(1)>");
        string summary = Path.Combine(fx.Dir, "metrics/complete_summary.json");
        fx.Write("metrics/complete_summary.json", File.ReadAllText(summary)
            .Replace("\"data/crackforest\"", "\"data/<script>alert('x')</script>&co\""));
        fx.Write("config.yaml", File.ReadAllText(Path.Combine(fx.Dir, "config.yaml")).Replace("fit: random_crop", "fit: \"</pre><b>bold</b>\""));
        fx.Write("logs/training.log", "2025-01-14 10:30:00 WARN  path <iframe src=http://example.com>\n");
        var (html, md) = ReportBuilder.Build(fx.Dir, null);
        string h = File.ReadAllText(html);
        Assert.DoesNotContain("<script>", h);
        Assert.DoesNotContain("<img src=x", h);
        Assert.DoesNotContain("<iframe", h);
        Assert.DoesNotContain("<b>", h);
        Assert.DoesNotContain("</pre><b>", h);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;co", h);
        Assert.Contains("GPU &lt;img src=x onerror=alert(1)&gt;", h);
        Assert.Contains("tile, with comma &lt;b&gt;", h);

        string m = File.ReadAllText(md);
        Assert.DoesNotContain("<script>", m);
        Assert.DoesNotContain("<img src=x", m);
        Assert.Contains("&lt;script&gt;", m);
    }

    [Theory]
    [InlineData("custom/run-a.html", "custom/run-a.html", "custom/run-a.md")]
    [InlineData("custom/run-b.md", "custom/run-b.html", "custom/run-b.md")]
    [InlineData("custom/run-c", "custom/run-c.html", "custom/run-c.md")]
    [InlineData("custom/folder/", "custom/folder/report.html", "custom/folder/report.md")]
    public void OutputOptionNamesTheHtmlTheMarkdownOrAFolder(string output, string html, string md)
    {
        using var fx = new FakeExperiment(evaluation: false);
        var (h, m) = ReportBuilder.Build(fx.Dir, Path.Combine(fx.Root, output));
        Assert.Equal(Path.GetFullPath(Path.Combine(fx.Root, html)), h);
        Assert.Equal(Path.GetFullPath(Path.Combine(fx.Root, md)), m);
        Assert.True(File.Exists(h) && File.Exists(m));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(m)!, Path.GetFileNameWithoutExtension(m) + "_files", "loss.png")));
    }

    [Fact]
    public void RebuildReplacesFilesAndDropsStaleImages()
    {
        using var fx = new FakeExperiment();
        var (html, _) = ReportBuilder.Build(fx.Dir, null);
        Directory.Delete(Path.Combine(fx.Dir, "evaluation"), recursive: true);
        fx.Delete("metrics/test_metrics.json");
        ReportBuilder.Build(fx.Dir, null);
        string assets = Path.Combine(fx.Dir, "report", "report_files");
        Assert.False(File.Exists(Path.Combine(assets, "pr_curve.png")));
        Assert.False(File.Exists(Path.Combine(assets, "overlay_best_01_img_011.png")));
        Assert.True(File.Exists(Path.Combine(assets, "loss.png")));
        Assert.DoesNotContain("ODS F-measure", File.ReadAllText(html));
    }

    [Fact]
    public void FolderWithoutEvaluationOrExtrasStillReports()
    {
        using var fx = new FakeExperiment(epochs: 1, plannedEpochs: 1, bestEpoch: 1, evaluation: false);
        fx.Delete("config.yaml");
        fx.Delete("logs/training.log");
        // The guide's minimal per-epoch keys only: no lr, grad_norm or timing.
        fx.Write("metrics/metrics.jsonl", "{\"epoch\": 1, \"train_loss\": 0.65, \"val_loss\": 0.45, \"val_iou\": 0.58, \"val_f1\": 0.73, " +
            "\"val_precision\": 0.7, \"val_recall\": 0.76, \"val_dice\": 0.73, \"val_accuracy\": 0.95, \"timestamp\": \"2025-01-14T10:31:00\"}\n");
        var (html, _) = ReportBuilder.Build(fx.Dir, null);
        string text = File.ReadAllText(html);
        Assert.Contains("Training curves", text);
        Assert.DoesNotContain("id=\"evaluation\"", text);
        Assert.DoesNotContain("Grad norm", text);
        var files = Directory.GetFiles(Path.Combine(fx.Dir, "report", "report_files")).Select(Path.GetFileName).Order();
        Assert.Equal(["loss.png", "val_metrics.png"], files);
        PngStats.Of(Path.Combine(fx.Dir, "report", "report_files", "loss.png")).AssertNotBlank();
    }

    [Fact]
    public void MissingRequiredFileFailsBeforeAnythingIsWritten()
    {
        using var fx = new FakeExperiment();
        fx.Delete("metrics/validation_metrics.json");
        var e = Assert.Throws<InputException>(() => ReportBuilder.Build(fx.Dir, null));
        Assert.Contains("metrics/validation_metrics.json", e.Message);
        Assert.False(Directory.Exists(Path.Combine(fx.Dir, "report")));
    }

    [Fact]
    public void NestedEvaluationMetricsAreFoundAndTabulated()
    {
        using var fx = new FakeExperiment();
        fx.Write("evaluation/metrics.json", """
            {"split": "val",
             "at_threshold": {"threshold": 0.5, "dataset": {"iou": 0.61, "f1": 0.7578}},
             "sweep": {"ods": {"f": 0.7711, "thr": 0.35}, "ois": {"value": 0.7922}, "average_precision": 0.8033,
                       "curve": [{"threshold": 0.25, "precision": 0.7, "recall": 0.9, "f1": 0.7875}, {"threshold": 0.75, "precision": 0.9, "recall": 0.6, "f1": 0.72}]}}
            """);
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Equal(new SweepScore(0.7711, 0.35), run.Evaluation!.Ods);
        Assert.Equal(0.7922, run.Evaluation.Ois!.Value);
        Assert.Equal(0.8033, run.Evaluation.Ap!.Value);

        var (html, _) = ReportBuilder.Build(fx.Dir, null);
        string h = File.ReadAllText(html);
        Assert.Contains("sweep.curve (2 rows)", h);        // the nested sweep became a table
        Assert.Contains("at_threshold.dataset", h);        // the nested metric group became a column
        Assert.Contains("0.7875", h);
        Assert.Contains("at threshold 0.35", h);
    }
}
