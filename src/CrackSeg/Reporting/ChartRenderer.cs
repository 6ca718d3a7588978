using System.Globalization;
using CrackSeg.Common.Charts;
using ScottPlot;

namespace CrackSeg.Reporting;

/// <summary>One line of a chart: (x, y) points in x order.</summary>
internal sealed record ChartSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false);

/// <summary>How the y tick labels read: metrics in [0, 1], losses, or learning rates (scientific).</summary>
internal enum ChartYFormat { Auto, Scientific }

/// <summary>A line chart over epochs (or minutes: <c>IntegerX</c> false): series, an optional marked epoch (the best one) and axis text.</summary>
internal sealed record ChartSpec(
    string Title,
    string YLabel,
    IReadOnlyList<ChartSeries> Series,
    double? MarkX = null,
    string? MarkLabel = null,
    bool LegendAtBottom = false,
    ChartYFormat YFormat = ChartYFormat.Auto,
    string XLabel = "Epoch",
    bool IntegerX = true);

/// <summary>
/// Renders <see cref="ChartSpec"/>s to PNG with ScottPlot 5 in the house style (<see cref="ChartStyle"/>) with
/// matplotlib's tab10 colours.
/// </summary>
internal static class ChartRenderer
{
    public const int Width = 600;
    public const int Height = 340;

    public static readonly IReadOnlyList<string> Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static byte[] RenderPng(ChartSpec spec) => ChartStyle.RenderPng(Width, Height, plot =>
    {
        Style(plot, spec);
        AddSeries(plot, spec);
    });

    private static void AddSeries(Plot plot, ChartSpec spec)
    {
        int maxPoints = spec.Series.Count == 0 ? 0 : spec.Series.Max(s => s.X.Count);
        for (int i = 0; i < spec.Series.Count; i++)
        {
            var s = spec.Series[i];
            if (s.X.Count == 0) continue;
            var line = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray(), Color.FromHex(Palette[i % Palette.Count]));
            line.LegendText = s.Label;
            line.LineWidth = 2;
            // Markers help read short runs; on long ones they only add noise.
            line.MarkerSize = maxPoints <= 30 ? 5 : 0;
            if (s.Dashed) line.LinePattern = LinePattern.Dashed;
        }
        if (spec.MarkX is double x)
        {
            var mark = plot.Add.VerticalLine(x, 1.5f, Color.FromHex("#6b7280"), LinePattern.Dotted);
            mark.LegendText = spec.MarkLabel ?? "";
        }
        bool anyData = spec.Series.Any(s => s.X.Count > 0);
        if (!anyData)
        {
            var note = plot.Add.Annotation("no data recorded", Alignment.MiddleCenter);
            note.LabelFontName = BundledFonts.Family;
            note.LabelFontSize = 14;
        }
        plot.Axes.AutoScale();
        plot.Axes.Margins(0.03, 0.08);
        // Outside the data area, a legend never hides a curve.
        if (spec.Series.Count(s => s.X.Count > 0) > 1 || spec.MarkX is not null) plot.ShowLegend(Edge.Right);
        else plot.HideLegend();
    }

    private static void Style(Plot plot, ChartSpec spec)
    {
        ChartStyle.Apply(plot, spec.Title, 16, spec.XLabel, spec.YLabel);
        plot.Grid.MinorLineColor = Colors.Transparent;

        if (spec.IntegerX)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                MinorTickGenerator = new ScottPlot.TickGenerators.EvenlySpacedMinorTickGenerator(1) { },
            };
        }
        if (spec.YFormat == ChartYFormat.Scientific)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => v == 0 ? "0" : v.ToString("0.0#e+00", CultureInfo.InvariantCulture),
            };
        }

        plot.Legend.Alignment = spec.LegendAtBottom ? Alignment.LowerRight : Alignment.UpperRight;
    }
}
