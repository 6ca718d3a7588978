using System.Globalization;
using System.Text;
using CrackSeg.Common;

namespace CrackSeg.Reporting;

/// <summary>
/// evaluation/per_image.csv: a header row, then one row per image — a text key (stem) and numeric
/// metric columns (iou, f1, precision, recall, crack ratio, ...). RFC 4180 quoting is honoured.
/// </summary>
public sealed record PerImageTable(IReadOnlyList<string> Columns, IReadOnlyList<PerImageRow> Rows)
{
    /// <summary>The column that ranks images: F1 (what crack papers rank by), else IoU, else the first numeric one.</summary>
    public string? RankColumn =>
        new[] { "f1", "iou", "dice" }.FirstOrDefault(c => Columns.Contains(c))
        ?? Columns.Skip(1).FirstOrDefault();

    /// <summary>The best and worst <paramref name="count"/> rows by <see cref="RankColumn"/> (no overlap).</summary>
    public (IReadOnlyList<PerImageRow> Best, IReadOnlyList<PerImageRow> Worst) Extremes(int count)
    {
        if (RankColumn is not string col) return ([], []);
        int index = Columns.ToList().IndexOf(col);
        var ranked = Rows.Where(r => r.Values[index] is not null).OrderByDescending(r => r.Values[index]).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        int best = Math.Min(count, ranked.Count);
        int worst = Math.Min(count, ranked.Count - best);
        return (ranked.Take(best).ToList(), ranked.AsEnumerable().Reverse().Take(worst).ToList());
    }

    public static PerImageTable Read(string file)
    {
        string text = JsonFields.ReadText(file);
        var records = Csv.Parse(text, file);
        if (records.Count == 0) throw new InputException($"{file}: empty; expected a header row (stem,iou,f1,...)");
        var header = records[0].Select(h => h.Trim()).ToList();
        if (header.Count < 2) throw new InputException($"{file}: header must name a key column and at least one metric column");
        var rows = new List<PerImageRow>();
        for (int i = 1; i < records.Count; i++)
        {
            var rec = records[i];
            if (rec.Count == 1 && rec[0].Length == 0) continue;
            if (rec.Count != header.Count)
                throw new InputException($"{file}: line {i + 1} has {rec.Count} fields, the header has {header.Count}");
            var values = new double?[header.Count];
            for (int c = 1; c < rec.Count; c++)
            {
                string cell = rec[c].Trim();
                if (cell.Length == 0 || cell.Equals("nan", StringComparison.OrdinalIgnoreCase)) continue;
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new InputException($"{file}: line {i + 1}, column '{header[c]}' must be a number, found '{cell}'");
                values[c] = v;
            }
            rows.Add(new PerImageRow(rec[0], values));
        }
        return new PerImageTable(header, rows);
    }

    private static class Csv
    {
        public static List<List<string>> Parse(string text, string file)
        {
            var records = new List<List<string>>();
            var field = new StringBuilder();
            var record = new List<string>();
            bool quoted = false, any = false;
            for (int i = 0; i < text.Length; i++)
            {
                char ch = text[i];
                if (quoted)
                {
                    if (ch != '"') field.Append(ch);
                    else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                    continue;
                }
                switch (ch)
                {
                    case '"': quoted = true; any = true; break;
                    case ',': record.Add(field.ToString()); field.Clear(); any = true; break;
                    case '\r': break;
                    case '\n':
                        record.Add(field.ToString()); field.Clear();
                        records.Add(record); record = []; any = false;
                        break;
                    default: field.Append(ch); any = true; break;
                }
            }
            if (quoted) throw new InputException($"{file}: unterminated quoted field");
            if (any || field.Length > 0) { record.Add(field.ToString()); records.Add(record); }
            return records;
        }
    }
}

/// <summary>One image's row: its key (first column) and the numeric columns (index 0 unused).</summary>
public sealed record PerImageRow(string Key, IReadOnlyList<double?> Values);
