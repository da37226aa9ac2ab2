//! Loading detector definitions: TOML files → checked [`Detector`]s.
//!
//! The catalogue in `detectors/` is embedded in the binary at build time (so `pipl-scan` runs from
//! any directory); `--detectors DIR` adds files or overrides embedded ones by id. Every problem is a
//! [`LoadError`] naming the file and the field, because a detector that silently loads wrong would
//! silently miss personal data.

use std::path::Path;

use serde::Deserialize;

use super::guards::Guard;
use super::validators::{Masker, Normaliser, Validator};
use super::{Detector, Examples, Names, PatternDef, Sensitivity};

/// The catalogue shipped with pipl-scan, one `(file name, TOML text)` per detector.
pub const EMBEDDED: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/embedded_detectors.rs"));

/// Default width, in characters, of the context window around a match.
const DEFAULT_WINDOW: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: field `{field}`: {message}")]
    Field {
        file: String,
        field: &'static str,
        message: String,
    },
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    #[error("{dir}: cannot read detector directory: {message}")]
    Dir { dir: String, message: String },
    #[error("detector `{id}`: multi-pattern matcher: {message}")]
    Build { id: String, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFile {
    id: String,
    names: Names,
    description: String,
    category: String,
    sensitive: Sensitivity,
    identifier: bool,
    /// Whether a finding is personal information at all: `false` for an organisation's
    /// identifier (the Unified Social Credit Code), reported as business data, never as a
    /// person or as a record with PI.
    #[serde(default = "yes")]
    personal: bool,
    /// The value is PI only beside a person's data in the same record (an IMEI, a plate, a
    /// diagnosis): a record holding nothing else is not a record with PI.
    #[serde(default)]
    needs_person: bool,
    #[serde(default)]
    priority: u32,
    patterns: Vec<PatternDef>,
    validator: Option<String>,
    normaliser: String,
    masker: String,
    #[serde(default)]
    context: ContextFile,
    #[serde(default)]
    header_hints: Vec<String>,
    /// Column headers that name something else (`订单号`, `学号`): such a column vetoes the
    /// detector for its values.
    #[serde(default)]
    not_header_hints: Vec<String>,
    /// Named checks on a candidate's surroundings (see [`Guard`]).
    #[serde(default)]
    guards: Vec<String>,
    /// Normalised values that are never personal information (public test card numbers).
    #[serde(default)]
    not_values: Vec<String>,
    examples: Examples,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    #[serde(default)]
    keywords: Vec<String>,
    /// Words that name the value as something else (`订单号`, `IMEI`): the nearest keyword
    /// within the window, positive or negative, decides.
    #[serde(default)]
    negative: Vec<String>,
    window: Option<usize>,
}

fn yes() -> bool {
    true
}

/// Parses and checks one detector file. `file` is the name used in error messages.
pub fn parse_detector(file: &str, text: &str) -> Result<Detector, LoadError> {
    let raw: DetectorFile = toml::from_str(text).map_err(|e| LoadError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let field = |field: &'static str, message: String| LoadError::Field {
        file: file.to_string(),
        field,
        message,
    };
    if raw.id.is_empty()
        || !raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(field("id", format!("`{}` is not a kebab-case id", raw.id)));
    }
    if let Some(stem) = Path::new(file).file_stem().and_then(|s| s.to_str())
        && stem != raw.id
    {
        return Err(field(
            "id",
            format!("`{}` differs from the file name `{stem}`", raw.id),
        ));
    }
    if !raw.personal
        && (raw.identifier || raw.sensitive.gbt35273_2020 || raw.sensitive.gbt45574_2025)
    {
        return Err(field(
            "personal",
            "a detector of data that is not personal can be neither an identifier nor sensitive"
                .into(),
        ));
    }
    if raw.needs_person && raw.identifier {
        return Err(field(
            "needs_person",
            "an identifier is a person's data: it cannot need another".into(),
        ));
    }
    if raw.patterns.is_empty() {
        return Err(field(
            "patterns",
            "at least one [[patterns]] entry is required".into(),
        ));
    }
    let mut raw = raw;
    for p in &mut raw.patterns {
        if let Some(list) = &p.terms {
            if !p.regex.is_empty() {
                return Err(field(
                    "patterns.terms",
                    "give either `regex` or `terms`, not both".into(),
                ));
            }
            let text = terms_text(file, list).map_err(|m| field("patterns.terms", m))?;
            p.regex = terms_regex(&text)
                .ok_or_else(|| field("patterns.terms", format!("`{list}` holds no term")))?;
        }
        check_regex(&p.regex).map_err(|m| field("patterns.regex", m))?;
    }
    let validator = match &raw.validator {
        None => None,
        Some(name) => Some(Validator::from_name(name).ok_or_else(|| {
            field(
                "validator",
                format!(
                    "unknown validator `{name}` (known: {})",
                    Validator::NAMES.join(", ")
                ),
            )
        })?),
    };
    let normaliser = Normaliser::from_name(&raw.normaliser).ok_or_else(|| {
        field(
            "normaliser",
            format!(
                "unknown normaliser `{}` (known: {})",
                raw.normaliser,
                Normaliser::NAMES.join(", ")
            ),
        )
    })?;
    let masker = Masker::from_name(&raw.masker).ok_or_else(|| {
        field(
            "masker",
            format!(
                "unknown masker `{}` (known: {})",
                raw.masker,
                Masker::NAMES.join(", ")
            ),
        )
    })?;
    let needs_context = raw.patterns.iter().any(|p| p.requires_context);
    if needs_context && raw.context.keywords.is_empty() && raw.header_hints.is_empty() {
        return Err(field(
            "context.keywords",
            "a pattern requires context but the detector has no keywords or header hints".into(),
        ));
    }
    if raw.patterns.iter().any(|p| p.requires_header) && raw.header_hints.is_empty() {
        return Err(field(
            "header_hints",
            "a pattern requires a header but the detector has no header hints".into(),
        ));
    }
    if raw.examples.matches.is_empty() || raw.examples.no_match.is_empty() {
        return Err(field(
            "examples",
            "both `match` and `no_match` examples are required".into(),
        ));
    }
    let guards = raw
        .guards
        .iter()
        .map(|name| {
            Guard::from_name(name).ok_or_else(|| {
                field(
                    "guards",
                    format!(
                        "unknown guard `{name}` (known: {})",
                        Guard::NAMES.join(", ")
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (keywords, context) =
        keyword_matcher(&raw.context.keywords).map_err(|m| field("context.keywords", m))?;
    let (negative, negative_context) =
        keyword_matcher(&raw.context.negative).map_err(|m| field("context.negative", m))?;
    if let Some(k) = negative.iter().find(|k| keywords.contains(k)) {
        return Err(field(
            "context.negative",
            format!("`{k}` is also a positive keyword"),
        ));
    }
    if raw.not_header_hints.iter().any(|h| h.trim().is_empty()) {
        return Err(field("not_header_hints", "an empty hint".into()));
    }
    let refined = !guards.is_empty()
        || negative_context.is_some()
        || !raw.not_values.is_empty()
        || validator == Some(Validator::Gb11643);
    Ok(Detector {
        refined,
        id: raw.id,
        names: raw.names,
        description: raw.description.trim().to_string(),
        category: raw.category,
        sensitive: raw.sensitive,
        identifier: raw.identifier,
        personal: raw.personal,
        needs_person: raw.needs_person,
        priority: raw.priority,
        patterns: raw.patterns,
        validator,
        normaliser,
        masker,
        keywords,
        context,
        negative,
        negative_context,
        window: raw.context.window.unwrap_or(DEFAULT_WINDOW),
        squashed_hints: super::squashed_hints(&raw.header_hints, &raw.not_header_hints),
        header_hints: raw.header_hints,
        not_header_hints: raw.not_header_hints,
        guards,
        not_values: raw.not_values,
        examples: raw.examples,
        origin: file.to_string(),
    })
}

/// Keywords lower-cased (ASCII) and their case-insensitive matcher, `None` when there are none.
fn keyword_matcher(
    words: &[String],
) -> Result<(Vec<String>, Option<aho_corasick::AhoCorasick>), String> {
    let words: Vec<String> = words.iter().map(|k| k.to_ascii_lowercase()).collect();
    if words.iter().any(|k| k.trim().is_empty()) {
        return Err("an empty keyword".into());
    }
    if words.is_empty() {
        return Ok((words, None));
    }
    // Leftmost-longest: `imeisv` is reported whole, not as `imei` glued to `sv` (which the
    // standalone check would then throw away).
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        // A DFA: the window of every candidate of a detector with negative keywords is searched
        // (a mobile number in a log line), where a contiguous NFA took ~40 instructions a byte
        // against a DFA's few; its build (~1M instructions a keyword set) is paid once.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&words)
        .map_err(|e| e.to_string())?;
    Ok((words, Some(ac)))
}

/// Word lists a detector's `terms` may name, embedded as the detector files are.
const DATA: &[(&str, &str)] = &[(
    "diagnosis-names.txt",
    include_str!("../../detectors/data/diagnosis-names.txt"),
)];

/// The text of the word list `name`: beside a detector file loaded from a directory
/// (`DIR/data/NAME`) when there is one, else the embedded list.
fn terms_text(file: &str, name: &str) -> Result<String, String> {
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("`{name}` must be a file name under data/"));
    }
    if let Some(dir) = Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        let p = dir.join("data").join(name);
        if p.is_file() {
            return std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()));
        }
    }
    DATA.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
        .ok_or_else(|| {
            format!(
                "no word list `{name}` (embedded: {})",
                DATA.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )
        })
}

/// A case-insensitive alternation of the list's terms, longest first (so `2型糖尿病` wins over
/// `糖尿病`), Latin terms bounded by `\b` so `flu` is not found in `influence`.
fn terms_regex(text: &str) -> Option<String> {
    let mut terms: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if terms.is_empty() {
        return None;
    }
    terms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    terms.dedup();
    let alts: Vec<String> = terms
        .iter()
        .map(|t| {
            let e = regex_syntax::escape(t);
            let first = t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            let last = t.chars().last().is_some_and(|c| c.is_ascii_alphabetic());
            format!(
                "{}{e}{}",
                if first { r"(?-u:\b)" } else { "" },
                if last { r"(?-u:\b)" } else { "" }
            )
        })
        .collect();
    Some(format!("(?i:{})", alts.join("|")))
}

/// Compiles one pattern alone, so a bad regex is reported against its own file and field.
/// Only the parts that can fail (parser, NFA) and the one engine the empty-string check needs
/// (the PikeVM) are built: the whole `meta` regex (a full DFA, literal prefilters) was a tenth
/// of the instructions of a process's start, for a regex thrown away.
fn check_regex(re: &str) -> Result<(), String> {
    let r = regex_automata::meta::Regex::builder()
        .configure(
            regex_automata::meta::Config::new()
                .auto_prefilter(false)
                .hybrid(false)
                .dfa(false)
                .onepass(false)
                .backtrack(false),
        )
        .build(re)
        .map_err(|e| format!("bad regex: {e}"))?;
    if r.is_match("") {
        return Err("pattern matches the empty string".into());
    }
    Ok(())
}

/// The embedded catalogue, then every `*.toml` of `dir` (if any) — a file whose id is already
/// loaded replaces it, any other adds a detector.
pub fn load_detectors(dir: Option<&Path>) -> Result<Vec<Detector>, LoadError> {
    let mut out: Vec<Detector> = Vec::new();
    for (file, text) in EMBEDDED {
        out.push(parse_detector(file, text)?);
    }
    if let Some(dir) = dir {
        for d in load_dir_only(dir)? {
            match out.iter_mut().find(|e| e.id == d.id) {
                Some(slot) => *slot = d,
                None => out.push(d),
            }
        }
    }
    Ok(out)
}

/// Every `*.toml` file of `dir`, sorted by name.
pub fn load_dir_only(dir: &Path) -> Result<Vec<Detector>, LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Dir {
        dir: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut paths = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| LoadError::Dir {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "toml") {
            paths.push(p);
        }
    }
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(&p).map_err(|e| LoadError::Io {
            file: name.clone(),
            message: e.to_string(),
        })?;
        out.push(parse_detector(&name, &text)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal detector file with `extra` top-level lines and `context` lines.
    fn file(extra: &str, context: &str) -> String {
        format!(
            r#"id = "x-id"
category = "c"
identifier = false
normaliser = "digits"
masker = "card"
description = "d"
{extra}
[names]
zh = "z"
en = "e"
[sensitive]
"gbt35273-2020" = false
"gbt45574-2025" = false
[context]
keywords = ["k"]
{context}
[[patterns]]
regex = '[0-9]{{4}}'
[examples]
match = ["1234"]
no_match = ["12"]
"#
        )
    }

    #[test]
    fn new_fields_load_and_bad_ones_name_their_field() {
        let d = parse_detector(
            "x-id.toml",
            &file(
                "guards = [\"url\", \"date\"]\nnot_header_hints = [\"sn\"]\nnot_values = [\"0000\"]",
                "negative = [\"Order\"]",
            ),
        )
        .unwrap();
        assert_eq!(d.negative, ["order"]);
        assert_eq!(d.guards.len(), 2);
        assert!(d.refined && d.header_vetoes("SN") && !d.header_matches("SN"));
        let err = |extra: &str, context: &str| {
            parse_detector("x-id.toml", &file(extra, context))
                .unwrap_err()
                .to_string()
        };
        let e = err("guards = [\"nope\"]", "");
        assert!(
            e.contains("field `guards`") && e.contains("nope") && e.contains("ssh-remote"),
            "{e}"
        );
        let e = err("", "negative = [\"K\"]");
        assert!(e.contains("field `context.negative`"), "{e}");
        let e = err("", "negative = [\"\"]");
        assert!(e.contains("field `context.negative`"), "{e}");
        let e = err("not_header_hints = [\" \"]", "");
        assert!(e.contains("field `not_header_hints`"), "{e}");
        let e = err("negative_words = [\"a\"]", "");
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn terms_become_a_pattern_longest_first_latin_bounded() {
        let re = terms_regex("# comment\n糖尿病\n2型糖尿病\nflu\n\n").unwrap();
        assert_eq!(re, r"(?i:2型糖尿病|糖尿病|(?-u:\b)flu(?-u:\b))");
        let m = regex_automata::meta::Regex::new(&re).unwrap();
        assert!(m.find("influence").is_none() && m.find("has FLU.").is_some());
        assert_eq!(m.find("诊断为2型糖尿病").map(|x| x.start()), Some(9));
        assert!(terms_regex("# only a comment\n").is_none());
        let with_terms = |pattern: &str| {
            parse_detector(
                "x-id.toml",
                &file("", "").replace("regex = '[0-9]{4}'", pattern),
            )
        };
        let d = with_terms("terms = \"diagnosis-names.txt\"\nrequires_context = true").unwrap();
        assert!(d.patterns[0].regex.contains("高血压"));
        let e = with_terms("terms = \"nope.txt\"").unwrap_err().to_string();
        assert!(
            e.contains("field `patterns.terms`") && e.contains("diagnosis-names.txt"),
            "{e}"
        );
        let e = with_terms("terms = \"../x.txt\"").unwrap_err().to_string();
        assert!(e.contains("file name under data/"), "{e}");
        let e = with_terms("regex = 'a'\nterms = \"diagnosis-names.txt\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not both"), "{e}");
    }

    #[test]
    fn business_data_and_person_bound_values_are_checked() {
        let d = parse_detector("x-id.toml", &file("personal = false", "")).unwrap();
        assert!(!d.personal && !d.needs_person);
        let d = parse_detector("x-id.toml", &file("needs_person = true", "")).unwrap();
        assert!(d.personal && d.needs_person);
        // An organisation's identifier can be no subject key; an identifier needs nobody else.
        let text = file("personal = false", "").replace("identifier = false", "identifier = true");
        let e = parse_detector("x-id.toml", &text).unwrap_err().to_string();
        assert!(e.contains("field `personal`"), "{e}");
        let text =
            file("needs_person = true", "").replace("identifier = false", "identifier = true");
        let e = parse_detector("x-id.toml", &text).unwrap_err().to_string();
        assert!(e.contains("field `needs_person`"), "{e}");
    }
}
