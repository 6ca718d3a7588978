using System.Text;

namespace CrackSeg.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as GitHub-flavoured Markdown. Images are not embedded:
/// they are returned as files for <paramref name="assetFolder"/> (relative to the .md file).
/// Text from the experiment folder is escaped so it cannot open links, HTML or table cells.
/// </summary>
internal static class MarkdownReportWriter
{
    public static (string Markdown, IReadOnlyList<(string FileName, byte[] Bytes)> Assets) Render(ReportDocument doc, string assetFolder)
    {
        var w = new Writer(assetFolder);
        w.Sb.Append("# ").Append(Esc(doc.Title)).Append("\n\n").Append('*').Append(Esc(doc.Subtitle)).Append("*\n\n");
        foreach (var block in doc.Blocks) w.Block(block);
        w.Sb.Append("---\n\n*").Append(Esc(doc.Footer)).Append("*\n");
        return (w.Sb.ToString(), w.Assets);
    }

    private sealed class Writer(string assetFolder)
    {
        public StringBuilder Sb { get; } = new();
        public List<(string, byte[])> Assets { get; } = [];
        private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

        public void Block(ReportBlock block)
        {
            var sb = Sb;
            switch (block)
            {
                case HeadingBlock h:
                    sb.Append(new string('#', h.Level)).Append(' ').Append(Esc(h.Text)).Append("\n\n");
                    break;
                case ParagraphBlock p:
                    sb.Append(p.Muted ? "*" + Esc(p.Text) + "*" : Esc(p.Text)).Append("\n\n");
                    break;
                case NoticeBlock n:
                    sb.Append("> **").Append(Esc(n.Title)).Append("**\n>\n");
                    foreach (var line in n.Lines) sb.Append("> - ").Append(Esc(line)).Append('\n');
                    sb.Append('\n');
                    break;
                case CardsBlock c:
                    sb.Append("| Headline | Value | Detail |\n| --- | ---: | --- |\n");
                    foreach (var card in c.Cards)
                        sb.Append("| ").Append(Cell(card.Label)).Append(" | **").Append(Cell(card.Value)).Append("** | ").Append(Cell(card.Detail ?? "")).Append(" |\n");
                    sb.Append('\n');
                    break;
                case TableBlock t:
                    Table(sb, t);
                    break;
                case ColumnsBlock cols:
                    foreach (var inner in cols.Columns.SelectMany(c => c)) Block(inner);
                    break;
                case FigureGridBlock g:
                    foreach (var f in g.Figures)
                    {
                        string name = UniqueName(f.FileName, _used);
                        Assets.Add((name, f.Bytes));
                        sb.Append("![").Append(Esc(f.Caption)).Append("](").Append(Uri.EscapeDataString(assetFolder)).Append('/')
                          .Append(Uri.EscapeDataString(name)).Append(")\n\n*").Append(Esc(f.Caption)).Append("*\n\n");
                    }
                    break;
                case CodeBlock code:
                    string fence = Fence(code.Text);
                    sb.Append("<details><summary>").Append(HtmlReportWriter.E(code.Summary)).Append("</summary>\n\n")
                      .Append(fence).Append(code.Language).Append('\n').Append(code.Text.TrimEnd('\n')).Append('\n')
                      .Append(fence).Append("\n\n</details>\n\n");
                    break;
                default:
                    throw new NotSupportedException(block.GetType().Name);
            }
        }
    }

    private static void Table(StringBuilder sb, TableBlock t)
    {
        if (t.Caption is not null) sb.Append('*').Append(Esc(t.Caption)).Append("*\n\n");
        sb.Append('|');
        foreach (var h in t.Header) sb.Append(' ').Append(Cell(h)).Append(" |");
        sb.Append("\n|");
        for (int i = 0; i < t.Header.Count; i++) sb.Append(i >= t.RightAlignFrom ? " ---: |" : " --- |");
        sb.Append('\n');
        foreach (var row in t.Rows)
        {
            sb.Append('|');
            for (int i = 0; i < row.Cells.Count; i++)
            {
                var cell = row.Cells[i];
                string text = Cell(cell.Text);
                bool strong = (cell.Strong || (row.Highlight && i == 0)) && text.Length > 0;
                sb.Append(' ').Append(strong ? "**" + text + "**" : text).Append(" |");
            }
            sb.Append('\n');
        }
        sb.Append('\n');
    }

    private static string Cell(string text) => Esc(text).Replace("\r", "").Replace("\n", " ");

    /// <summary>Escapes Markdown and inline-HTML syntax so folder text renders literally.</summary>
    public static string Esc(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            // GFM never reads an underscore inside a word as emphasis: snake_case stays readable.
            if (ch == '_' && i > 0 && i < text.Length - 1 && char.IsLetterOrDigit(text[i - 1]) && char.IsLetterOrDigit(text[i + 1]))
            {
                sb.Append(ch);
                continue;
            }
            switch (ch)
            {
                case '\\' or '`' or '*' or '_' or '[' or ']' or '#' or '!' or '~' or '|':
                    sb.Append('\\').Append(ch);
                    break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString();
    }

    private static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (char ch in text)
        {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return new string('`', Math.Max(3, longest + 1));
    }

    private static string UniqueName(string fileName, HashSet<string> used)
    {
        string safe = new string(fileName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        if (safe.Length == 0 || safe.StartsWith('.')) safe = "image" + safe;
        string stem = Path.GetFileNameWithoutExtension(safe), ext = Path.GetExtension(safe);
        string candidate = safe;
        for (int i = 2; !used.Add(candidate); i++) candidate = $"{stem}_{i}{ext}";
        return candidate;
    }
}
