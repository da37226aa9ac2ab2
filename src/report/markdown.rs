//! Renders a [`Doc`] as GitHub-flavoured markdown (tables, fenced Mermaid block).

use super::doc::{Block, ChecklistState, Doc};

/// Escapes what would break a table cell or start markup in a line.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

fn text(s: &str) -> String {
    // Only characters that would turn plain text into markup at a line start or inline.
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '`' | '<' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", text(&doc.title)));
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text: t, .. } => {
                out.push_str(&format!("{} {}\n\n", "#".repeat(*level as usize), text(t)));
            }
            Block::Paragraph(p) => out.push_str(&format!("{}\n\n", text(p))),
            Block::Verdict { title, detail, .. } => {
                out.push_str(&format!("> **{}**\n>\n> {}\n\n", text(title), text(detail)));
            }
            Block::Callout { warning, text: t } => {
                let mark = if *warning { "⚠" } else { "ℹ" };
                out.push_str(&format!("> {mark} {}\n\n", text(t)));
            }
            Block::Table { head, rows } => {
                out.push_str(&format!(
                    "| {} |\n",
                    head.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | ")
                ));
                out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for r in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
            Block::List(items) => {
                for i in items {
                    out.push_str(&format!("- {}\n", text(i)));
                }
                out.push('\n');
            }
            Block::Checklist(items) => {
                for (state, label, item) in items {
                    let mark = if *state == ChecklistState::Supplied {
                        "x"
                    } else {
                        " "
                    };
                    out.push_str(&format!("- [{mark}] {} — *{}*\n", text(item), text(label)));
                }
                out.push('\n');
            }
            Block::Code {
                lang,
                caption,
                text: t,
            } => {
                out.push_str(&format!("{}\n\n```{lang}\n{t}\n```\n\n", text(caption)));
            }
            Block::Svg { alt, .. } => {
                if !alt.is_empty() {
                    out.push_str(&format!("*{}*\n\n", text(alt)));
                }
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_and_text_are_escaped() {
        let mut d = Doc::new("T");
        d.table(vec!["a|b".into()], vec![vec!["x|y\nz".into()]]);
        d.p("*not bold* <b>");
        let md = render(&d);
        assert!(md.contains("| a\\|b |"), "{md}");
        assert!(md.contains("| x\\|y<br>z |"), "{md}");
        assert!(md.contains("\\*not bold\\* \\<b>"), "{md}");
    }
}
