using System.Globalization;
using CrackSeg.Common.Charts;
using ScottPlot;

namespace CrackSeg.Evaluation;

/// <summary>
/// pr_curve.png: precision over recall across the threshold sweep, with iso-F1 contours (as crack papers draw
/// them), the ODS point and the operating threshold's point. Drawn in the house style (<see cref="ChartStyle"/>), so labels render on machines without installed fonts.
/// </summary>
internal static class PrCurveChart
{
    public const int Width = 560;
    public const int Height = 520;

    public static byte[] RenderPng(EvaluationReport report) => ChartStyle.RenderPng(Width, Height, plot => Draw(plot, report));

    private static void Draw(Plot plot, EvaluationReport report)
    {
        ChartStyle.Apply(plot, $"Precision-recall, {report.Split} split ({report.ImageCount} images)", 15, "Recall", "Precision");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        AddIsoF1(plot);

        var curve = report.Sweep.PrecisionRecallCurve();
        var line = plot.Add.ScatterLine(curve.Select(p => p.Recall).ToArray(), curve.Select(p => p.Precision).ToArray(), Color.FromHex("#1f77b4"));
        line.LineWidth = 2.5f;
        line.LegendText = $"PR curve (AP {Metric(report.Sweep.AveragePrecision)})";

        var ods = report.Sweep.Ods;
        var odsMarker = plot.Add.Marker(ods.Recall, ods.Precision, MarkerShape.FilledCircle, 11, Color.FromHex("#d62728"));
        odsMarker.LegendText = $"ODS F1 {Metric(ods.F)} @ t={Number(ods.Threshold)}";

        var at = report.Metrics.Total;
        var opMarker = plot.Add.Marker(at.Recall, at.Precision, MarkerShape.FilledSquare, 10, Color.FromHex("#2ca02c"));
        opMarker.LegendText = $"t={Number(report.Threshold)}: F1 {Metric(at.F1)}";

        plot.Axes.SetLimits(0, 1.0, 0, 1.02);
        plot.ShowLegend(Alignment.LowerLeft);
    }

    /// <summary>Dotted curves of constant F1 = 2PR / (P + R): P = F·R / (2R − F) for R &gt; F / 2.</summary>
    private static void AddIsoF1(Plot plot)
    {
        var grey = Color.FromHex("#c0c4cc");
        foreach (double f in new[] { 0.2, 0.4, 0.6, 0.8 })
        {
            var r = new List<double>();
            var p = new List<double>();
            for (int i = 0; i <= 200; i++)
            {
                double recall = f / 2 + (1 - f / 2) * i / 200.0;
                double precision = f * recall / (2 * recall - f);
                if (precision > 1.02 || recall <= f / 2) continue;
                r.Add(recall);
                p.Add(precision);
            }
            var iso = plot.Add.ScatterLine(r.ToArray(), p.ToArray(), grey);
            iso.LinePattern = LinePattern.Dotted;
            iso.LineWidth = 1;
            var label = plot.Add.Text($"F1={f:0.0}", 0.985, f / (2 - f) + 0.012);
            label.LabelFontName = BundledFonts.Family;
            label.LabelFontSize = 11;
            label.LabelFontColor = Color.FromHex("#8a8f99");
            label.LabelAlignment = Alignment.LowerRight;
        }
    }

    private static string Metric(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
    private static string Number(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
