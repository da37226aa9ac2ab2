//! Renders a [`Doc`] as one self-contained HTML file: inline CSS, inline SVG, no script, no
//! external resource, so it opens offline and can be attached to a filing as it is.

use super::Lang;
use super::doc::{Block, ChecklistState, Doc};

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --sa:#b42318; --sc:#b54708; --ok:#067647; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 24px; line-height: 1.5; }
h1 { font-size: 1.6em; border-bottom: 2px solid var(--line); padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
h3 { font-size: 1.1em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfcfd; }
.verdict { border-left: 6px solid var(--muted); padding: 12px 16px; background: #f6f8fa; margin: 1em 0; }
.verdict .title { font-size: 1.25em; font-weight: 600; }
.verdict.security-assessment { border-color: var(--sa); }
.verdict.standard-contract { border-color: var(--sc); }
.verdict.exempt, .verdict.not-applicable { border-color: var(--ok); }
.callout { padding: 8px 12px; margin: .8em 0; border-radius: 4px; background: #eef6ff; }
.callout.warning { background: #fff4e5; border: 1px solid #f5c16c; }
.checklist { list-style: none; padding-left: 0; }
.checklist li { margin: .3em 0; }
.badge { display: inline-block; min-width: 6em; font-size: .8em; padding: 1px 6px; border-radius: 8px; margin-right: .6em; text-align: center; }
.badge.supplied { background: #dcfae6; color: var(--ok); }
.badge.partly { background: #fef0c7; color: var(--sc); }
.badge.user { background: #eaecf0; color: var(--muted); }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: .85em; }
figure { margin: 1em 0; overflow-x: auto; }
figcaption { color: var(--muted); font-size: .85em; }
footer { color: var(--muted); font-size: .8em; margin-top: 3em; }
@media print { body { max-width: none; } h2 { page-break-after: avoid; } }
"#;

/// The Chinese report names CJK fonts first, so that Han characters never fall to whatever
/// font the system picks first (or to empty boxes): Noto Sans CJK / Source Han Sans (Linux,
/// Android), WenQuanYi (older Linux), PingFang and Hiragino (macOS), Microsoft YaHei and SimHei
/// (Windows).
const CSS_ZH: &str = r#"
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
       "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "PingFang SC", "Hiragino Sans GB",
       "Microsoft YaHei", "SimHei", sans-serif; }
"#;

pub fn render(doc: &Doc, lang: Lang) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n");
    out.push_str(&format!("<html lang=\"{}\">\n<head>\n", lang.tag()));
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No script, no external resource: say so to the browser too.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str(&format!("<title>{}</title>\n", escape(&doc.title)));
    let css_lang = if lang == Lang::ZhCn { CSS_ZH } else { "" };
    out.push_str(&format!(
        "<style>{CSS}{css_lang}</style>\n</head>\n<body>\n"
    ));
    out.push_str(&format!("<h1>{}</h1>\n", escape(&doc.title)));
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text, id } => {
                let l = (*level).clamp(2, 4);
                out.push_str(&format!("<h{l} id=\"{}\">{}</h{l}>\n", escape(id), escape(text)));
            }
            Block::Paragraph(p) => out.push_str(&format!("<p>{}</p>\n", escape(p))),
            Block::Verdict { tone, title, detail } => out.push_str(&format!(
                "<div class=\"verdict {}\" id=\"determination\"><div class=\"title\">{}</div><div>{}</div></div>\n",
                escape(tone),
                escape(title),
                escape(detail)
            )),
            Block::Callout { warning, text } => out.push_str(&format!(
                "<div class=\"callout{}\">{}</div>\n",
                if *warning { " warning" } else { "" },
                escape(text)
            )),
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in head {
                    out.push_str(&format!("<th>{}</th>", escape(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&format!("<td>{}</td>", escape(c).replace('\n', "<br>")));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for i in items {
                    out.push_str(&format!("<li>{}</li>\n", escape(i)));
                }
                out.push_str("</ul>\n");
            }
            Block::Checklist(items) => {
                out.push_str("<ul class=\"checklist\">\n");
                for (state, label, item) in items {
                    let class = match state {
                        ChecklistState::Supplied => "supplied",
                        ChecklistState::Partly => "partly",
                        ChecklistState::User => "user",
                    };
                    out.push_str(&format!(
                        "<li><span class=\"badge {class}\">{}</span>{}</li>\n",
                        escape(label),
                        escape(item)
                    ));
                }
                out.push_str("</ul>\n");
            }
            Block::Code {
                lang: l,
                caption,
                text,
            } => out.push_str(&format!(
                "<details><summary>{}</summary><pre class=\"{}\">{}</pre></details>\n",
                escape(caption),
                escape(l),
                escape(text)
            )),
            Block::Svg { svg, alt } => out.push_str(&format!(
                "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
                escape(alt)
            )),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_nothing_external_is_referenced() {
        let mut d = Doc::new("<T>");
        d.p("a & b <script>alert(1)</script>");
        d.table(vec!["h\"".into()], vec![vec!["<x>".into()]]);
        let h = render(&d, Lang::En);
        assert!(!h.contains("<script"), "{h}");
        assert!(h.contains("&lt;script&gt;") && h.contains("&lt;T&gt;") && h.contains("h&quot;"));
        assert!(!h.contains("src=\"http") && !h.contains("href=\"http"));
        assert!(h.contains("<html lang=\"en\">"));
    }
}
