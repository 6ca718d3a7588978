using CrackSeg.Common;
using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

public class CompareBuilderTests
{
    [Fact]
    public void ComparesExperimentsInOneTableWithOverlaidCurves()
    {
        string root = Path.Combine(Path.GetTempPath(), "crackseg-compare-tests", Guid.NewGuid().ToString("N"));
        using var a = new FakeExperiment("seed_256", epochs: 6, bestEpoch: 5, root: root);
        using var b = new FakeExperiment("tiny_256", epochs: 9, bestEpoch: 8, quality: 0.93, gpuName: "NVIDIA A100-SXM4-40GB", root: root);
        using var c = new FakeExperiment("nano_cpu", epochs: 4, bestEpoch: 4, quality: 0.8, evaluation: false, root: root);
        c.Write("config.yaml", File.ReadAllText(Path.Combine(c.Dir, "config.yaml")).Replace("preset: seed", "preset: nano"));

        var (html, md) = CompareBuilder.Build([a.Dir, b.Dir, c.Dir], Path.Combine(root, "cmp", "compare.html"));
        string h = File.ReadAllText(html);
        foreach (string text in new[] { h, File.ReadAllText(md) })
        {
            Assert.Contains("seed_256", text);
            Assert.Contains("tiny_256", text);
            Assert.Contains("nano_cpu", text);
            Assert.Contains("NVIDIA A100-SXM4-40GB (cuda)", text);
            Assert.Contains("NVIDIA H100 80GB HBM3 (cuda)", text);
            Assert.Contains("6/10", text);
            Assert.Contains("9 min 38 s", text);   // 9 x 64.25 s
            Assert.Contains("model.preset", text);  // config difference
            Assert.Contains("0.8123", text);        // ODS of a
        }
        // b has the highest best IoU: bold in the HTML.
        string bBest = b.BestIou(0.93).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"<strong>{bBest}</strong>", h);
        Assert.DoesNotMatch(@"(?i)(src|href)\s*=\s*[""']?\s*(https?:|//)", h);

        string assets = Path.Combine(root, "cmp", "compare_files");
        foreach (string chart in new[] { "compare_val_iou.png", "compare_val_f1.png", "compare_val_loss.png", "compare_train_loss.png", "compare_learning_curve.png" })
        {
            Assert.Contains(chart, File.ReadAllText(md));
            PngStats.Of(Path.Combine(assets, chart)).AssertNotBlank();
        }
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(h, "<img src=\"data:image/png;base64,").Count);
    }

    [Fact]
    public void RepeatedExperimentNamesAreLabelledByFolder()
    {
        string root = Path.Combine(Path.GetTempPath(), "crackseg-compare-tests", Guid.NewGuid().ToString("N"));
        using var a = new FakeExperiment("same", evaluation: false, root: root);
        using var b = new FakeExperiment("same", evaluation: false, root: Path.Combine(root, "other"));
        var runs = new[] { ExperimentRecord.Load(a.Dir), ExperimentRecord.Load(b.Dir), ExperimentRecord.Load(a.Dir) };
        var labels = ComparisonReport.Labels(runs);
        Assert.Equal(["20250114-103000-same", "20250114-103000-same #2", "20250114-103000-same #3"], labels);
    }

    [Fact]
    public void ManyExperimentsUseOneRowPerExperiment()
    {
        string root = Path.Combine(Path.GetTempPath(), "crackseg-compare-tests", Guid.NewGuid().ToString("N"));
        var runs = Enumerable.Range(0, ComparisonReport.MaxTransposed + 1)
            .Select(i => new FakeExperiment($"run{i}", epochs: 2, bestEpoch: 2, evaluation: false, root: root)).ToList();
        try
        {
            var (html, _) = CompareBuilder.Build(runs.Select(r => r.Dir).ToList(), Path.Combine(root, "out"));
            string h = File.ReadAllText(html);
            Assert.Contains("<th class=\"num\">Best IoU</th>", h);
            Assert.Contains("One row per experiment", h);
        }
        finally
        {
            runs.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public void NoFoldersOrABrokenFolderIsAnInputError()
    {
        Assert.Throws<InputException>(() => CompareBuilder.Build([], null));
        using var a = new FakeExperiment(evaluation: false);
        using var b = new FakeExperiment(evaluation: false);
        b.Delete("metrics/complete_summary.json");
        var e = Assert.Throws<InputException>(() => CompareBuilder.Build([a.Dir, b.Dir], Path.Combine(a.Root, "out")));
        Assert.Contains(Path.Combine(b.Dir, "metrics/complete_summary.json"), e.Message);
    }
}
