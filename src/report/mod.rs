//! Report writers: the filing report (markdown and self-contained HTML, in Chinese or English),
//! the field inventory as CSV and xlsx, and the assessment as JSON.
//!
//! The report's content is built once, as a small document model ([`doc::Block`]s, by
//! [`content`]), and rendered by [`markdown`] and [`html`], so both say the same thing. The
//! tables that compliance teams filter and sort ([`tables`]) feed the CSV and xlsx writers and the
//! report alike. Nothing here reads files other than its inputs or touches the network: the HTML
//! carries its CSS and SVG charts inline and has no script.
//!
//! * [`doc`] — the document model; [`tables`] — the data-item, field, source and flow tables;
//! * [`content`] — the report's sections; [`filing`] — the filing pack and timeline;
//!   [`diagram`] — the data-flow diagram (SVG and Mermaid); [`charts`] — SVG bar charts;
//! * [`markdown`], [`html`], [`csv`], [`xlsx`], [`json`] — one writer per format;
//! * [`verify`] — the auditor's verification output (text, JSON, markdown).

pub mod charts;
pub mod content;
pub mod csv;
pub mod diagram;
pub mod doc;
pub mod filing;
pub mod html;
pub mod json;
pub mod markdown;
pub mod tables;
pub mod verify;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail};

use crate::assess::Assessment;
use crate::assess::profile::Profile;
use crate::inventory::Inventory;

/// An output format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Md,
    Html,
    Csv,
    Xlsx,
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Format::Md,
            "html" => Format::Html,
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "json" => Format::Json,
            other => {
                return Err(format!(
                    "`{other}` is not a report format (md, html, csv, xlsx, json)"
                ));
            }
        })
    }
}

/// Parses `md,html,xlsx`.
pub fn parse_formats(s: &str) -> Result<Vec<Format>, String> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let f: Format = part.parse()?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        return Err("no report format given (md, html, csv, xlsx, json)".into());
    }
    Ok(out)
}

/// The language of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "en" => Ok(Lang::En),
            "zh-CN" | "zh-cn" | "zh" => Ok(Lang::ZhCn),
            _ => Err(format!("`{s}` is not a report language (zh-CN, en)")),
        }
    }
}

impl Lang {
    /// Picks the string of this language.
    pub fn t<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

/// Everything a report is made from.
pub struct Input<'a> {
    pub inventory: &'a Inventory,
    /// Absent when no profile was given: the report then has no determination.
    pub assessment: Option<&'a Assessment>,
    pub profile: Option<&'a Profile>,
    pub lang: Lang,
    /// When the report was made (RFC 3339).
    pub generated_at: String,
    /// `verify`/`assess` checked the inventory's consistency (and its signature, when signed):
    /// `Some(signer)`, the signer's key fingerprint if it was signed. `None`: not checked (a
    /// scan's own reports).
    pub checked: Option<Option<String>>,
}

/// Writes the reports of `formats` into `dir`; returns the files written.
pub fn write(dir: &Path, formats: &[Format], input: &Input) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating output folder {}", dir.display()))?;
    let mut written = Vec::new();
    let doc = if formats
        .iter()
        .any(|f| matches!(f, Format::Md | Format::Html))
    {
        Some(content::build(input)?)
    } else {
        None
    };
    for f in formats {
        let (name, bytes) = match f {
            Format::Md => (
                "report.md",
                markdown::render(doc.as_ref().expect("built above")).into_bytes(),
            ),
            Format::Html => (
                "report.html",
                html::render(doc.as_ref().expect("built above"), input.lang).into_bytes(),
            ),
            Format::Csv => ("inventory.csv", csv::render(input)?),
            Format::Xlsx => ("inventory.xlsx", xlsx::render(input)?),
            Format::Json => match input.assessment {
                Some(a) => ("assessment.json", json::render(input, a)?),
                None => bail!(
                    "--format json writes assessment.json, which needs --profile (the inventory \
                     itself is inventory.json)"
                ),
            },
        };
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes through a temporary file in the same folder, synced, then renamed over `path`: a
/// crash, a full disk or a read-only folder leaves either the old file or the new one, never
/// half of one, and no temporary file behind (tempfile removes it when the write fails).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// [`write_atomic`] for contents written as a stream: `write` gets the temporary file (wrap it
/// in a `BufWriter` for small writes, and flush it) and what it returns is handed back once the
/// file is synced and renamed.
pub fn write_atomic_with<T>(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<T>,
) -> Result<T> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut b = tempfile::Builder::new();
    b.prefix(".pipl-scan-").suffix(".tmp");
    // The file's mode is what a plain create would give (0666 less the umask), not
    // tempfile's private 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = b.tempfile_in(dir).with_context(|| {
        format!(
            "writing {}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    let out = write(tmp.as_file_mut())
        .and_then(|out| tmp.as_file().sync_all().map(|_| out))
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the new file to {}", path.display()))?;
    Ok(out)
}

/// `12,345` (en) or `12,345` (zh-CN uses the same grouping).
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An estimate as `37` when exact, else `9,950 (95%: 9,800–10,100)`.
pub fn fmt_estimate(e: &crate::sketch::Estimate) -> String {
    if e.low == e.high {
        thousands(e.estimate)
    } else {
        format!(
            "{} (95%: {}–{})",
            thousands(e.estimate),
            thousands(e.low),
            thousands(e.high)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_languages_parse() {
        assert_eq!(
            parse_formats("md, html,xlsx,md").unwrap(),
            vec![Format::Md, Format::Html, Format::Xlsx]
        );
        assert!(parse_formats("pdf").unwrap_err().contains("pdf"));
        assert!(parse_formats("").is_err());
        assert_eq!("zh-CN".parse::<Lang>().unwrap(), Lang::ZhCn);
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn numbers_are_grouped_and_intervals_shown_only_when_open() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        let exact = crate::sketch::Estimate {
            estimate: 37,
            low: 37,
            high: 37,
        };
        assert_eq!(fmt_estimate(&exact), "37");
        let open = crate::sketch::Estimate {
            estimate: 9950,
            low: 9800,
            high: 10100,
        };
        assert_eq!(fmt_estimate(&open), "9,950 (95%: 9,800–10,100)");
    }
}
