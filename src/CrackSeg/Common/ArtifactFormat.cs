using System.Globalization;

namespace CrackSeg.Common;

/// <summary>
/// How numbers and times are spelled in the artifact files, so that Python reads back exactly what was
/// meant: floats keep a decimal point and a signed exponent (Python's own repr, e.g. <c>1.0e-05</c>),
/// which JSON parses as a float and PyYAML — whose YAML 1.1 float pattern needs the dot and the sign —
/// does too (<c>1e-05</c> would come back from PyYAML as a string). Round-trip precision ("R").
/// </summary>
public static class ArtifactFormat
{
    /// <summary>A finite double as JSON/YAML text; throws on NaN/Infinity, which neither file may hold.</summary>
    public static string Float(double value, string what)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"{what} is {value}; NaN/Infinity are never written to the experiment folder (a trainer error)");
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? r : r[..e];
        if (!mantissa.Contains('.')) mantissa += ".0";
        if (e < 0) return mantissa;
        int exponent = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }

    /// <summary>ISO 8601 with milliseconds and the UTC offset, e.g. 2024-01-15T10:30:00.000+01:00.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    /// <summary>Parses what <see cref="Timestamp"/> writes (any ISO 8601 date-time that carries an offset).</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset time)
    {
        time = default;
        // An offset (Z or ±hh:mm) is required: a bare local time is ambiguous across machines.
        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"))
            return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }
}
