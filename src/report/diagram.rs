//! The data-flow diagram: discovered sources → the profile's flows → overseas recipients, as an
//! inline SVG (three columns, drawn by hand: no layout engine is needed for a bipartite chain)
//! and as Mermaid text that the filing team can paste into their own documents.

use super::html::escape;
use super::{Input, Lang, thousands};

pub struct Graph {
    /// Source nodes: label and second line (people, or how many sources an overflow node holds).
    pub sources: Vec<(String, String)>,
    /// Flow name, its exemption id, and the indices of its sources.
    pub flows: Vec<(String, String, Vec<usize>)>,
    /// Recipient label and the indices of the flows feeding it.
    pub recipients: Vec<(String, Vec<usize>)>,
}

/// Source nodes drawn one by one; the rest share one "+N more" node, so a flow fed by thousands
/// of files still gives a readable diagram (inventory.csv lists them all).
pub const MAX_SOURCE_NODES: usize = 12;

pub fn graph(input: &Input) -> Option<Graph> {
    let p = input.profile?;
    if p.flows.is_empty() {
        return None;
    }
    let l = input.lang;
    let inv = input.inventory;
    let by_source = super::tables::flows_by_source(inv, Some(p));
    // Sources with PI that feed a flow, largest first.
    let mut feeding: Vec<(&crate::inventory::SourceEntry, &Vec<String>)> = inv
        .sources
        .iter()
        .filter(|s| !s.categories.is_empty())
        .filter_map(|s| by_source.get(&s.path).map(|f| (s, f)))
        .collect();
    feeding.sort_by(|a, b| {
        b.0.subjects
            .estimate
            .cmp(&a.0.subjects.estimate)
            .then(a.0.path.cmp(&b.0.path))
    });
    let shown = feeding.len().min(MAX_SOURCE_NODES);
    let mut sources: Vec<(String, String)> = feeding[..shown]
        .iter()
        .map(|(s, _)| {
            (
                s.path.clone(),
                format!("{} {}", thousands(s.subjects.estimate), l.t("people", "人")),
            )
        })
        .collect();
    let rest = feeding.len() - shown;
    if rest > 0 {
        sources.push((
            format!(
                "+{} {}",
                thousands(rest as u64),
                l.t("more sources", "个其他数据源")
            ),
            l.t("listed in inventory.csv", "见 inventory.csv")
                .to_string(),
        ));
    }
    let mut flows = Vec::new();
    let mut recipients: Vec<(String, Vec<usize>)> = Vec::new();
    for (fi, f) in p.flows.iter().enumerate() {
        let mut idx: Vec<usize> = Vec::new();
        for (i, (_, names)) in feeding.iter().enumerate() {
            if names.contains(&f.name) {
                let node = i.min(shown);
                if !idx.contains(&node) {
                    idx.push(node);
                }
            }
        }
        flows.push((f.name.clone(), f.exemption.id().to_string(), idx));
        let label = format!("{} ({})", f.recipient, f.country);
        match recipients.iter_mut().find(|(l, _)| *l == label) {
            Some((_, v)) => v.push(fi),
            None => recipients.push((label, vec![fi])),
        }
    }
    Some(Graph {
        sources,
        flows,
        recipients,
    })
}

fn mermaid_label(s: &str) -> String {
    s.replace('"', "#quot;")
}

pub fn mermaid(g: &Graph, lang: Lang) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, (label, second)) in g.sources.iter().enumerate() {
        out.push_str(&format!(
            "  s{i}[\"{}<br/>{}\"]\n",
            mermaid_label(label),
            mermaid_label(second)
        ));
    }
    for (i, (name, exemption, _)) in g.flows.iter().enumerate() {
        let ex = if exemption == "none" {
            String::new()
        } else {
            format!("<br/>{}: {exemption}", lang.t("exemption", "豁免"))
        };
        out.push_str(&format!("  f{i}([\"{}{ex}\"])\n", mermaid_label(name)));
    }
    for (i, (label, _)) in g.recipients.iter().enumerate() {
        out.push_str(&format!("  r{i}[[\"{}\"]]\n", mermaid_label(label)));
    }
    for (i, (_, _, srcs)) in g.flows.iter().enumerate() {
        for s in srcs {
            out.push_str(&format!("  s{s} --> f{i}\n"));
        }
    }
    for (r, (_, fl)) in g.recipients.iter().enumerate() {
        for f in fl {
            out.push_str(&format!("  f{f} -->|{}| r{r}\n", lang.t("abroad", "出境")));
        }
    }
    out.trim_end().to_string()
}

const COL_W: u32 = 250;
const GAP: u32 = 70;
const BOX_H: u32 = 40;
const ROW: u32 = 54;
const TOP: u32 = 36;

fn clip(s: &str, n: usize) -> String {
    let c = s.chars().count();
    if c <= n {
        s.to_string()
    } else {
        format!("…{}", s.chars().skip(c - (n - 1)).collect::<String>())
    }
}

pub fn svg(g: &Graph, lang: Lang) -> String {
    let rows = g
        .sources
        .len()
        .max(g.flows.len())
        .max(g.recipients.len())
        .max(1) as u32;
    let width = 3 * COL_W + 2 * GAP + 2;
    let height = TOP + rows * ROW + 8;
    let x = |col: u32| 1 + col * (COL_W + GAP);
    // Centre each column vertically.
    let y = |col_len: usize, i: usize| {
        let offset = (rows - col_len as u32) * ROW / 2;
        TOP + offset + i as u32 * ROW
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\
<title>{}</title>\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#59636e\"/></marker></defs>",
        escape(lang.t("Data-flow diagram", "数据出境流程图"))
    );
    for (col, head) in [
        lang.t("Sources in China", "境内数据源"),
        lang.t("Outbound flows", "出境数据流"),
        lang.t("Overseas recipients", "境外接收方"),
    ]
    .iter()
    .enumerate()
    {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"18\" font-weight=\"bold\">{}</text>",
            x(col as u32),
            escape(head)
        ));
    }
    // Edges first, so boxes cover their ends.
    for (fi, (_, _, srcs)) in g.flows.iter().enumerate() {
        let fy = y(g.flows.len(), fi) + BOX_H / 2;
        for si in srcs {
            let sy = y(g.sources.len(), *si) + BOX_H / 2;
            s.push_str(&format!(
                "<line x1=\"{}\" y1=\"{sy}\" x2=\"{}\" y2=\"{fy}\" stroke=\"#59636e\" marker-end=\"url(#arrow)\"/>",
                x(0) + COL_W,
                x(1)
            ));
        }
    }
    for (ri, (_, fl)) in g.recipients.iter().enumerate() {
        let ry = y(g.recipients.len(), ri) + BOX_H / 2;
        for fi in fl {
            let fy = y(g.flows.len(), *fi) + BOX_H / 2;
            s.push_str(&format!(
                "<line x1=\"{}\" y1=\"{fy}\" x2=\"{}\" y2=\"{ry}\" stroke=\"#b42318\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>",
                x(1) + COL_W,
                x(2)
            ));
        }
    }
    let mut node = |col: u32, yy: u32, fill: &str, rx: u32, l1: &str, l2: &str| {
        s.push_str(&format!(
            "<rect x=\"{}\" y=\"{yy}\" width=\"{COL_W}\" height=\"{BOX_H}\" rx=\"{rx}\" fill=\"{fill}\" stroke=\"#59636e\"/>\
<text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" fill=\"#59636e\" font-size=\"11\">{}</text>",
            x(col),
            x(col) + 8,
            yy + 16,
            escape(&clip(l1, 36)),
            x(col) + 8,
            yy + 32,
            escape(&clip(l2, 40))
        ));
    };
    for (i, (label, second)) in g.sources.iter().enumerate() {
        node(0, y(g.sources.len(), i), "#eef6ff", 3, label, second);
    }
    for (i, (name, ex, _)) in g.flows.iter().enumerate() {
        let sub = if ex == "none" {
            String::new()
        } else {
            format!("{}: {ex}", lang.t("exemption", "豁免"))
        };
        node(1, y(g.flows.len(), i), "#fff4e5", 18, name, &sub);
    }
    for (i, (label, _)) in g.recipients.iter().enumerate() {
        node(
            2,
            y(g.recipients.len(), i),
            "#fdecea",
            3,
            label,
            lang.t("outside China", "境外"),
        );
    }
    s.push_str("</svg>");
    s
}
