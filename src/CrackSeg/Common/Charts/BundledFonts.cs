using ScottPlot;
using SkiaSharp;

namespace CrackSeg.Common.Charts;

/// <summary>
/// The bundled DejaVu Sans / Sans Mono subsets (Common/Charts/Fonts): a ScottPlot font for the charts
/// and @font-face data for the HTML. SkiaSharp and Chromium draw no text on a machine without
/// installed fonts, so reports always use these faces: text renders everywhere and looks the same
/// on every machine. See Common/Charts/Fonts/README.md.
/// </summary>
internal static class BundledFonts
{
    /// <summary>A family name no system font has, so only the bundled resolver answers it.</summary>
    public const string Family = "CrackSeg Sans";

    private static readonly Lazy<byte[]> RegularBytes = new(() => Resource("DejaVuSans.ttf"));
    private static readonly Lazy<byte[]> BoldBytes = new(() => Resource("DejaVuSans-Bold.ttf"));
    private static readonly Lazy<byte[]> MonoBytes = new(() => Resource("DejaVuSansMono.ttf"));
    private static readonly object Gate = new();
    private static bool _registered;

    public static byte[] Regular => RegularBytes.Value;
    public static byte[] Bold => BoldBytes.Value;
    public static byte[] Mono => MonoBytes.Value;

    /// <summary>Adds the bundled font resolver to ScottPlot once per process.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            _registered = true;
        }
    }

    private static byte[] Resource(string file)
    {
        string name = $"CrackSeg.Common.Charts.Fonts.{file}";
        using var stream = typeof(BundledFonts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded font resource '{name}' is missing from the CrackSeg assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class EmbeddedFontResolver : IFontResolver
    {
        public SKTypeface CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, weight >= FontWeight.SemiBold, slant != FontSlant.Upright);

        // ScottPlot asks every resolver in turn; null means "not mine".
        public SKTypeface CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Family ? SKTypeface.FromData(SKData.CreateCopy(bold ? Bold : Regular)) : null!;
    }
}
