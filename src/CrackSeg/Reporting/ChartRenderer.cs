using System.Globalization;
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
/// Renders <see cref="ChartSpec"/>s to PNG with ScottPlot 5 in one house style (matplotlib's
/// tab10 colours, light grid, bundled font, 2x pixel density for sharp text on HiDPI screens).
/// </summary>
internal static class ChartRenderer
{
    public const int Width = 600;
    public const int Height = 340;
    public const double PixelDensity = 2.0;

    public static readonly IReadOnlyList<string> Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    // ScottPlot caches typefaces in static state; one render at a time keeps that safe.
    private static readonly object RenderGate = new();

    public static byte[] RenderPng(ChartSpec spec)
    {
        ReportFonts.EnsureRegistered();
        lock (RenderGate)
        {
            var plot = new Plot { ScaleFactor = PixelDensity };
            try
            {
                Style(plot, spec);
                AddSeries(plot, spec);
                // ScaleFactor enlarges the drawing inside the given pixel size, so the pixel size grows with it.
                return plot.GetImageBytes((int)(Width * PixelDensity), (int)(Height * PixelDensity), ImageFormat.Png);
            }
            finally
            {
                plot.Dispose();
            }
        }
    }

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
            note.LabelFontName = ReportFonts.Family;
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
        plot.Font.Set(ReportFonts.Family);
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Axes.Color(Color.FromHex("#374151"));
        plot.Axes.FrameColor(Color.FromHex("#9ca3af"));
        plot.Grid.MajorLineColor = Color.FromHex("#e5e7eb");
        plot.Grid.MinorLineColor = Colors.Transparent;

        plot.Title(spec.Title, 16);
        // The typeface is looked up when the name is set, so re-set it after switching to bold.
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.FontName = ReportFonts.Family;
        plot.XLabel(spec.XLabel, 13);
        plot.YLabel(spec.YLabel, 13);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;

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

        plot.Legend.FontName = ReportFonts.Family;
        plot.Legend.FontSize = 12;
        plot.Legend.OutlineColor = Color.FromHex("#d1d5db");
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.9);
        plot.Legend.Alignment = spec.LegendAtBottom ? Alignment.LowerRight : Alignment.UpperRight;
    }
}
