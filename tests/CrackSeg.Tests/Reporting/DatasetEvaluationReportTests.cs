using System.Text.RegularExpressions;
using CrackSeg.Reporting;

namespace CrackSeg.Tests.Reporting;

/// <summary>Evaluations of whole datasets (evaluation/&lt;dataset&gt;/) in `report` and `compare`, and the learning curve.</summary>
public class DatasetEvaluationReportTests
{
    [Fact]
    public void Report_ShowsEachDatasetEvaluationBesideTheTestSplit_WithUniqueAssetNames()
    {
        using var fx = new FakeExperiment();
        fx.WriteDatasetEvaluation("CrackForest", ods: 0.5021, ois: 0.5432, ap: 0.4876, images: 118);
        fx.WriteDatasetEvaluation("deepcrack-test", ods: 0.8711, ois: 0.8812, ap: 0.9013, images: 237, tta: "flip");

        var run = ExperimentRecord.Load(fx.Dir);
        Assert.NotNull(run.Evaluation);
        Assert.Null(run.Evaluation!.DatasetName);
        Assert.Equal(["CrackForest", "deepcrack-test"], run.DatasetEvaluations.Select(e => e.DatasetName));
        Assert.Equal(0.8711, run.DatasetEvaluations[1].Ods!.Value);
        Assert.Equal("evaluation/deepcrack-test", run.DatasetEvaluations[1].Folder);
        Assert.Equal(3, run.AllEvaluations.Count());

        var (html, md) = ReportBuilder.Build(fx.Dir, null);
        foreach (string text in new[] { File.ReadAllText(html), File.ReadAllText(md) })
        {
            Assert.Contains("Evaluation on CrackForest", text);
            Assert.Contains("Evaluation on deepcrack-test", text);
            Assert.Contains("0.5021", text);
            Assert.Contains("0.8711", text);
            Assert.Contains("0.9013", text);
            Assert.Contains("All 237 images of /data/deepcrack-test", text);
            Assert.Contains("test-time augmentation flip (3 passes per image)", text);
            Assert.Contains("0.8123", text); // the test split's ODS is still there
        }
        string assets = Path.Combine(fx.Dir, "report", "report_files");
        foreach (string file in new[] { "pr_curve.png", "CrackForest_pr_curve.png", "deepcrack-test_pr_curve.png", "CrackForest_overlay_best_01_test_a.png" })
            Assert.True(File.Exists(Path.Combine(assets, file)), file);
        var links = Regex.Matches(File.ReadAllText(md), @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(links.Count, links.Distinct().Count());
    }

    [Fact]
    public void AnEvaluationFolderWithOnlyDatasets_HasNoTestSplitSection()
    {
        using var fx = new FakeExperiment(evaluation: false);
        fx.WriteDatasetEvaluation("CrackForest", ods: 0.5021, ois: 0.5432, ap: 0.4876, images: 118);
        var run = ExperimentRecord.Load(fx.Dir);
        Assert.Null(run.Evaluation);
        Assert.Single(run.DatasetEvaluations);
        string html = File.ReadAllText(ReportBuilder.Build(fx.Dir, null).HtmlPath);
        Assert.Contains("Evaluation on CrackForest", html);
        Assert.DoesNotContain(">Evaluation</h2>", html);
    }

    [Fact]
    public void Compare_HasTestOdsOisApRows_AndOneEvaluationRowPerFolder()
    {
        string root = Path.Combine(Path.GetTempPath(), "crackseg-compare-tests", Guid.NewGuid().ToString("N"));
        using var a = new FakeExperiment("seed_256", root: root);
        using var b = new FakeExperiment("nano_cpu", quality: 0.9, evaluation: false, root: root);
        b.WriteDatasetEvaluation("CrackForest", ods: 0.5021, ois: 0.5432, ap: 0.4876, images: 118);

        var (html, md) = CompareBuilder.Build([a.Dir, b.Dir], Path.Combine(root, "cmp", "compare.html"));
        string h = File.ReadAllText(html);
        foreach (string text in new[] { h, File.ReadAllText(md) })
        {
            foreach (string head in new[] { "Test ODS", "Test OIS", "Test AP", "Evaluated on", "TTA" }) Assert.Contains(head, text);
            Assert.Contains("CrackForest", text);
            Assert.Contains("0.5021", text); // b's dataset ODS
            Assert.Contains("0.8567", text); // a's test AP
        }
        // a's test ODS is the best (b has none): bold in the summary table.
        Assert.Contains("<strong>0.8123</strong>", h);
    }

    [Fact]
    public void LearningCurveMinutes_AddUpEpochTimes_AndFallBackOnTimestamps()
    {
        EpochMetrics E(int epoch, double? seconds, string? stamp) => new(epoch, 0.5, new MetricSet(null, null, 0.5, null, null, null, null), null, null, seconds, null, stamp);

        var timed = LearningCurve.Minutes([E(1, 30, null), E(2, 90, null), E(3, 60, null)]);
        Assert.Equal([0.5, 2.0, 3.0], timed.Select(m => m!.Value));

        // Python folders have timestamps only: gaps between epochs, the first as long as the second.
        var stamped = LearningCurve.Minutes([E(1, null, "2025-01-14T10:31:00+01:00"), E(2, null, "2025-01-14T10:33:00+01:00"), E(3, 30, "2025-01-14T10:40:00+01:00")]);
        Assert.Equal([2.0, 4.0, 4.5], stamped.Select(m => m!.Value));

        // Without any time, no point is placed.
        Assert.All(LearningCurve.Minutes([E(1, null, null), E(2, null, "bad")]), m => Assert.Null(m));
        using var fx = new FakeExperiment(epochs: 6);
        Assert.Equal(6.5, LearningCurve.Minutes(ExperimentRecord.Load(fx.Dir).Epochs)[^1]!.Value, 9); // 61.5 s + e per epoch
    }
}
