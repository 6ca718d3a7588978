using System.Globalization;

namespace CrackSeg.Reporting;

/// <summary>Culture-invariant number, duration and size formatting shared by reports and tables.</summary>
internal static class Format
{
    public const string Missing = "—";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Metrics in [0, 1] and losses: four decimals, the precision papers report.</summary>
    public static string Metric(double? value) => value is double v ? v.ToString("0.0000", Inv) : Missing;

    /// <summary>Learning rates span decades: scientific notation.</summary>
    public static string LearningRate(double? value) => value is double v ? v.ToString("0.00e+00", Inv) : Missing;

    /// <summary>Any number, compact: integers without decimals, tiny/huge values in scientific notation.</summary>
    public static string Number(double? value)
    {
        if (value is not double v) return Missing;
        if (v == Math.Floor(v) && Math.Abs(v) < 1e15) return v.ToString("0", Inv);
        double a = Math.Abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e7)) return v.ToString("0.###e+00", Inv);
        return v.ToString("0.####", Inv);
    }

    public static string Fixed(double? value, int decimals) =>
        value is double v ? v.ToString("F" + decimals.ToString(Inv), Inv) : Missing;

    public static string Integer(long? value) => value is long v ? v.ToString("#,0", Inv) : Missing;

    /// <summary>27_612_345 → "27.61 M (27,612,345)".</summary>
    public static string Parameters(long? count)
    {
        if (count is not long n) return Missing;
        string shortForm = n >= 1_000_000 ? (n / 1e6).ToString("0.00", Inv) + " M"
            : n >= 1_000 ? (n / 1e3).ToString("0.0", Inv) + " K" : n.ToString(Inv);
        return n >= 1_000 ? $"{shortForm} ({Integer(n)})" : shortForm;
    }

    public static string ParametersShort(long? count)
    {
        if (count is not long n) return Missing;
        return n >= 1_000_000 ? (n / 1e6).ToString("0.00", Inv) + " M"
            : n >= 1_000 ? (n / 1e3).ToString("0.0", Inv) + " K" : n.ToString(Inv);
    }

    /// <summary>3723.4 s → "1 h 02 min 03 s"; under a minute keeps one decimal.</summary>
    public static string Duration(double? seconds)
    {
        if (seconds is not double s || double.IsNaN(s) || s < 0) return Missing;
        if (s < 60) return s.ToString("0.0", Inv) + " s";
        long total = (long)Math.Round(s);
        long h = total / 3600, m = total % 3600 / 60, sec = total % 60;
        return h > 0 ? $"{h} h {m:00} min {sec:00} s" : $"{m} min {sec:00} s";
    }

    /// <summary>"85899345920" → "80.0 GiB (85,899,345,920 bytes)"; non-numbers pass through.</summary>
    public static string Bytes(string text)
    {
        if (!long.TryParse(text, NumberStyles.Integer, Inv, out long n) || n < 0) return text;
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{Integer(n)} bytes" : $"{v.ToString("0.0", Inv)} {units[u]} ({Integer(n)} bytes)";
    }

    /// <summary>"1 warning", "3 warnings".</summary>
    public static string Count(int n, string noun) => $"{n.ToString("#,0", Inv)} {noun}{(n == 1 ? "" : "s")}";

    public static string Bool(bool? value) => value switch { true => "yes", false => "no", null => Missing };

    public static string Text(string? value) => string.IsNullOrWhiteSpace(value) ? Missing : value;
}
