//! Horizontal bar charts as inline SVG. Written by hand: a bar chart is a dozen rectangles, and
//! a charting crate would bring fonts, rasterisers or JavaScript the report must not carry.

use super::html::escape;
use super::thousands;

/// One bar: its label, its value and, if the value is an estimate, its 95 % interval.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub low: u64,
    pub high: u64,
}

const WIDTH: u32 = 760;
const LABEL_W: u32 = 300;
const VALUE_W: u32 = 90;
const ROW_H: u32 = 22;
const MAX_LABEL_CHARS: usize = 44;

fn shorten(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_LABEL_CHARS {
        return s.to_string();
    }
    // Keep the end of a path: the file name says more than the first folders.
    let tail: String = s.chars().skip(n - (MAX_LABEL_CHARS - 1)).collect();
    format!("…{tail}")
}

/// A bar chart titled `title`; bars keep their order. Returns an empty string for no bars.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let max = bars
        .iter()
        .map(|b| b.high.max(b.value))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    let height = 28 + ROW_H * bars.len() as u32 + 8;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\
<title>{}</title><text x=\"0\" y=\"16\" font-weight=\"bold\" font-size=\"13\">{}</text>",
        escape(title),
        escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 28 + ROW_H * i as u32;
        let w = ((b.value as f64 / max as f64) * plot_w as f64).round() as u32;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 6,
            y + 15,
            escape(&shorten(&b.label))
        ));
        s.push_str(&format!(
            "<rect x=\"{LABEL_W}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#4e79a7\"/>",
            y + 3,
            w.max(1),
            ROW_H - 6
        ));
        if b.high > b.low {
            let x1 = LABEL_W as f64 + b.low as f64 / max as f64 * plot_w as f64;
            let x2 = LABEL_W as f64 + b.high as f64 / max as f64 * plot_w as f64;
            s.push_str(&format!(
                "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{c}\" y2=\"{c}\" stroke=\"#1f2328\" stroke-width=\"1.5\"/>",
                c = y + ROW_H / 2
            ));
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{}</text>",
            LABEL_W + w.max(1) + 6,
            y + 15,
            thousands(b.value)
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "T",
            &[
                Bar {
                    label: "a<b".into(),
                    value: 100,
                    low: 100,
                    high: 100,
                },
                Bar {
                    label: "c".into(),
                    value: 50,
                    low: 40,
                    high: 60,
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&lt;b"));
        let plot = WIDTH - LABEL_W - VALUE_W;
        assert!(svg.contains(&format!("width=\"{plot}\"")), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{}\"", plot / 2 + plot % 2))
                || svg.contains(&format!("width=\"{}\"", plot / 2))
        );
        assert!(
            svg.contains("<line"),
            "interval drawn for the open estimate"
        );
        assert_eq!(bars("T", &[]), "");
    }

    #[test]
    fn long_labels_keep_their_end() {
        let long = format!("{}/file.csv", "dir/".repeat(30));
        let s = shorten(&long);
        assert!(s.ends_with("/file.csv") && s.chars().count() == MAX_LABEL_CHARS);
    }
}
