using ScottPlot;

namespace CrackSeg.Common.Charts;

/// <summary>
/// The house style of every PNG chart (the report's training curves and evaluation's PR curve): white figure,
/// slate axes, light grid, the bundled font (<see cref="BundledFonts"/>) at 2x pixel density, and the one lock
/// around ScottPlot.
/// </summary>
internal static class ChartStyle
{
    /// <summary>ScaleFactor of every plot: sharp text on HiDPI screens.</summary>
    public const double PixelDensity = 2.0;

    // ScottPlot caches typefaces in static state; one render at a time, across all charts, keeps that safe.
    private static readonly object RenderGate = new();

    /// <summary>
    /// A fresh plot drawn by <paramref name="draw"/> as a PNG of <paramref name="width"/>×<paramref name="height"/>
    /// logical pixels (the bitmap is <see cref="PixelDensity"/> times that).
    /// </summary>
    public static byte[] RenderPng(int width, int height, Action<Plot> draw)
    {
        BundledFonts.EnsureRegistered();
        lock (RenderGate)
        {
            using var plot = new Plot { ScaleFactor = PixelDensity };
            draw(plot);
            // ScaleFactor enlarges the drawing inside the given pixel size, so the pixel size grows with it.
            return plot.GetImageBytes((int)(width * PixelDensity), (int)(height * PixelDensity), ImageFormat.Png);
        }
    }

    /// <summary>Colours, bold title, axis labels, tick label size and legend look shared by every chart.</summary>
    public static void Apply(Plot plot, string title, float titleSize, string xLabel, string yLabel)
    {
        plot.Font.Set(BundledFonts.Family);
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Axes.Color(Color.FromHex("#374151"));
        plot.Axes.FrameColor(Color.FromHex("#9ca3af"));
        plot.Grid.MajorLineColor = Color.FromHex("#e5e7eb");
        plot.Title(title, titleSize);
        // The typeface is looked up when the name is set, so re-set it after switching to bold.
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.FontName = BundledFonts.Family;
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Legend.FontName = BundledFonts.Family;
        plot.Legend.FontSize = 12;
        plot.Legend.OutlineColor = Color.FromHex("#d1d5db");
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.9);
    }
}
