using System.Net;
using System.Text;
using CrackSeg.Common.Charts;

namespace CrackSeg.Reporting;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as one self-contained HTML file: inline CSS, images as
/// base64 data URIs, the bundled font as a fallback @font-face, no script and no external resource.
/// Every text from the experiment folder goes through <see cref="E"/>.
/// </summary>
internal static class HtmlReportWriter
{
    public static string Render(ReportDocument doc)
    {
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta name=\"generator\" content=\"CrackSeg.NET\">\n")
          .Append("<title>").Append(E(doc.Title)).Append("</title>\n<style>\n")
          .Append(FontFaces()).Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<header class=\"top\"><div class=\"wrap\"><h1>").Append(E(doc.Title)).Append("</h1>")
          .Append("<p class=\"subtitle\">").Append(E(doc.Subtitle)).Append("</p></div></header>\n");
        sb.Append("<div class=\"wrap\">\n");
        var sections = doc.Blocks.OfType<HeadingBlock>().Where(h => h.Level == 2).ToList();
        if (sections.Count > 2)
        {
            sb.Append("<nav class=\"toc\">");
            foreach (var h in sections) sb.Append("<a href=\"#").Append(E(h.Id)).Append("\">").Append(E(h.Text)).Append("</a>");
            sb.Append("</nav>\n");
        }
        sb.Append("<main>\n");
        foreach (var block in doc.Blocks) Block(sb, block);
        sb.Append("</main>\n<footer>").Append(E(doc.Footer)).Append("</footer>\n</div>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>HTML-escapes text for element content and double-quoted attributes.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static void Block(StringBuilder sb, ReportBlock block)
    {
        switch (block)
        {
            case HeadingBlock h:
                sb.Append($"<h{h.Level} id=\"").Append(E(h.Id)).Append("\">").Append(E(h.Text)).Append($"</h{h.Level}>\n");
                break;
            case ParagraphBlock p:
                sb.Append(p.Muted ? "<p class=\"muted\">" : "<p>").Append(E(p.Text)).Append("</p>\n");
                break;
            case NoticeBlock n:
                sb.Append("<div class=\"notice\"><strong>").Append(E(n.Title)).Append("</strong><ul>");
                foreach (var line in n.Lines) sb.Append("<li>").Append(E(line)).Append("</li>");
                sb.Append("</ul></div>\n");
                break;
            case CardsBlock c:
                sb.Append("<div class=\"cards\">");
                foreach (var card in c.Cards)
                {
                    sb.Append("<div class=\"card\"><div class=\"card-label\">").Append(E(card.Label)).Append("</div>")
                      .Append("<div class=\"card-value\">").Append(E(card.Value)).Append("</div>");
                    if (card.Detail is not null) sb.Append("<div class=\"card-detail\">").Append(E(card.Detail)).Append("</div>");
                    sb.Append("</div>");
                }
                sb.Append("</div>\n");
                break;
            case TableBlock t:
                Table(sb, t);
                break;
            case FigureGridBlock g:
                sb.Append("<div class=\"figures cols-").Append(g.Columns).Append("\">");
                foreach (var f in g.Figures)
                {
                    sb.Append("<figure><img src=\"data:").Append(E(f.MimeType)).Append(";base64,")
                      .Append(Convert.ToBase64String(f.Bytes)).Append("\" alt=\"").Append(E(f.Caption)).Append("\">")
                      .Append("<figcaption>").Append(E(f.Caption)).Append("</figcaption></figure>");
                }
                sb.Append("</div>\n");
                break;
            case ColumnsBlock cols:
                sb.Append("<div class=\"columns\">");
                foreach (var column in cols.Columns)
                {
                    sb.Append("<div class=\"column\">\n");
                    foreach (var inner in column) Block(sb, inner);
                    sb.Append("</div>");
                }
                sb.Append("</div>\n");
                break;
            case CodeBlock code:
                sb.Append("<details><summary>").Append(E(code.Summary)).Append("</summary><pre><code>")
                  .Append(E(code.Text)).Append("</code></pre></details>\n");
                break;
            default:
                throw new NotSupportedException(block.GetType().Name);
        }
    }

    private static void Table(StringBuilder sb, TableBlock t)
    {
        sb.Append(t.IsKeyValue ? "<div class=\"table-scroll\"><table class=\"kv\">" : "<div class=\"table-scroll\"><table>");
        if (t.Caption is not null) sb.Append("<caption>").Append(E(t.Caption)).Append("</caption>");
        if (!t.IsKeyValue)
        {
            sb.Append("<thead><tr>");
            for (int i = 0; i < t.Header.Count; i++)
                sb.Append(i >= t.RightAlignFrom ? "<th class=\"num\">" : "<th>").Append(E(t.Header[i])).Append("</th>");
            sb.Append("</tr></thead>");
        }
        sb.Append("<tbody>");
        foreach (var row in t.Rows)
        {
            sb.Append(row.Highlight ? "<tr class=\"hl\">" : "<tr>");
            for (int i = 0; i < row.Cells.Count; i++)
            {
                var cell = row.Cells[i];
                sb.Append(t.IsKeyValue && i == 0 ? "<th scope=\"row\">" : i >= t.RightAlignFrom ? "<td class=\"num\">" : "<td>");
                if (cell.Strong) sb.Append("<strong>");
                sb.Append(E(cell.Text));
                if (cell.Strong) sb.Append("</strong>");
                sb.Append(t.IsKeyValue && i == 0 ? "</th>" : "</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table></div>\n");
    }

    private static string FontFaces() =>
        "@font-face{font-family:'CrackSeg Sans';font-weight:400;src:url(data:font/ttf;base64," + Convert.ToBase64String(BundledFonts.Regular) + ") format('truetype');}\n" +
        "@font-face{font-family:'CrackSeg Sans';font-weight:700;src:url(data:font/ttf;base64," + Convert.ToBase64String(BundledFonts.Bold) + ") format('truetype');}\n" +
        "@font-face{font-family:'CrackSeg Mono';src:url(data:font/ttf;base64," + Convert.ToBase64String(BundledFonts.Mono) + ") format('truetype');}\n";

    // Only the bundled faces and generic families: on a machine without fonts, Chromium renders no
    // text at all once a rule names a missing system family (system-ui, Menlo...), seen with Debian's
    // Chromium 156. The bundled faces also make the page match the charts everywhere.
    private const string Css = """
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--head:#f3f4f6;--accent:#1f77b4;--hl:#eff6ff;}
*{box-sizing:border-box;}
body{margin:0;color:var(--fg);background:#fafafa;font:14px/1.5 "CrackSeg Sans",sans-serif;}
.wrap{max-width:1200px;margin:0 auto;padding:0 24px;}
header.top{background:#0f172a;color:#f8fafc;padding:22px 0 18px;border-bottom:4px solid var(--accent);}
header.top h1{margin:0;font-size:24px;font-weight:700;letter-spacing:.2px;}
header.top .subtitle{margin:4px 0 0;color:#cbd5e1;font-size:13px;}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 16px;padding:12px 0;border-bottom:1px solid var(--line);font-size:13px;}
nav.toc a{color:var(--accent);text-decoration:none;}
main{padding-bottom:24px;}
h2{font-size:19px;margin:30px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line);}
h3{font-size:15px;margin:20px 0 8px;}
p{margin:6px 0 10px;}
.muted{color:var(--muted);font-size:13px;}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin:18px 0 8px;}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px;border-top:3px solid var(--accent);}
.card-label{font-size:11px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);}
.card-value{font-size:22px;font-weight:700;margin-top:2px;font-variant-numeric:tabular-nums;}
.card-detail{font-size:12px;color:var(--muted);}
.notice{background:#fffbeb;border:1px solid #fcd34d;border-radius:6px;padding:10px 14px;margin:14px 0;font-size:13px;}
.notice ul{margin:6px 0 0;padding-left:18px;}
.table-scroll{overflow-x:auto;margin:8px 0 14px;}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);font-size:13px;min-width:40%;}
caption{text-align:left;color:var(--muted);font-size:12px;padding:0 0 4px;caption-side:top;}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;}
th{background:var(--head);font-weight:600;white-space:nowrap;}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;}
tbody tr:nth-child(even){background:#fcfcfd;}
tr.hl,tr.hl:nth-child(even){background:var(--hl);}
tr.hl td:first-child{box-shadow:inset 3px 0 0 var(--accent);}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 28px;align-items:start;}
.columns table{width:100%;}
table.kv th{background:transparent;color:#374151;font-weight:600;width:38%;white-space:normal;}
table.kv td{word-break:break-word;}
.figures{display:grid;gap:14px;margin:10px 0 16px;}
.figures.cols-1{grid-template-columns:1fr;}
.figures.cols-2{grid-template-columns:repeat(2,minmax(0,1fr));}
.figures.cols-3{grid-template-columns:repeat(3,minmax(0,1fr));}
.figures.cols-4{grid-template-columns:repeat(4,minmax(0,1fr));}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;}
figure img{display:block;width:100%;height:auto;image-rendering:auto;}
figcaption{font-size:12px;color:var(--muted);padding:6px 2px 0;word-break:break-word;}
details{margin:8px 0 14px;background:#fff;border:1px solid var(--line);border-radius:6px;}
summary{cursor:pointer;padding:8px 12px;font-weight:600;font-size:13px;}
pre{margin:0;padding:10px 14px;border-top:1px solid var(--line);overflow-x:auto;font:12px/1.45 "CrackSeg Mono",monospace;background:#f9fafb;}
footer{color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding:14px 0 28px;}
@media (max-width:800px){.figures.cols-2,.figures.cols-3,.figures.cols-4{grid-template-columns:1fr;}}
@media print{body{background:#fff;}header.top{background:#fff;color:#000;}header.top .subtitle{color:#333;}nav.toc{display:none;}details{display:block;}figure,table{break-inside:avoid;}}

""";
}
