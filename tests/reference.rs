//! The command-line reference (`docs/reference.md`, `docs/man/`) is generated from the clap
//! definitions by `examples/gen_reference.rs`; these tests fail when the committed files are not
//! what the current definitions generate, or when a command or flag is missing from them.

use std::path::Path;

#[allow(dead_code)]
#[path = "../examples/gen_reference.rs"]
mod gen_reference;

use gen_reference::{MAN_DIR, MARKDOWN_PATH, REGENERATE};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed_markdown() -> String {
    std::fs::read_to_string(root().join(MARKDOWN_PATH))
        .unwrap_or_else(|e| panic!("{MARKDOWN_PATH}: {e}; run `{REGENERATE}`"))
}

/// Points at the first line where two texts differ, so a failure says what changed.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut c = committed.lines();
    let mut g = generated.lines();
    for n in 1.. {
        match (c.next(), g.next()) {
            (None, None) => return "only line endings differ".to_string(),
            (a, b) if a != b => {
                return format!(
                    "line {n}:\n  committed: {}\n  generated: {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
            _ => {}
        }
    }
    unreachable!()
}

#[test]
fn the_markdown_reference_is_what_the_clap_definitions_generate() {
    let committed = committed_markdown();
    let generated = gen_reference::markdown();
    assert!(
        committed == generated,
        "{MARKDOWN_PATH} is out of date with src/cli/: run `{REGENERATE}` and commit the result.\n\
         First difference at {}",
        first_difference(&committed, &generated)
    );
}

#[test]
fn the_man_pages_are_what_the_clap_definitions_generate() {
    let pages = gen_reference::man_pages();
    assert!(
        pages.iter().any(|(name, _)| name == "pipl-scan.1"),
        "{pages:?}"
    );
    let dir = root().join(MAN_DIR);
    for (name, roff) in &pages {
        let committed = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            committed == *roff,
            "{MAN_DIR}/{name} is missing or out of date: run `{REGENERATE}` and commit the result"
        );
    }
    // A page of a command that no longer exists must not stay behind.
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{MAN_DIR}: {e}; run `{REGENERATE}`"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let generated: Vec<&String> = pages.iter().map(|(name, _)| name).collect();
    assert_eq!(
        on_disk.iter().collect::<Vec<_>>(),
        generated,
        "{MAN_DIR} holds other pages than the CLI has: run `{REGENERATE}`"
    );
}

/// Every visible command path (`pipl-scan`, `pipl-scan scan`, `pipl-scan ledger add` …) with
/// its command, depth first.
fn commands(cmd: &clap::Command, parent: &str, out: &mut Vec<(String, clap::Command)>) {
    let path = if parent.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{parent} {}", cmd.get_name())
    };
    out.push((path.clone(), cmd.clone()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        commands(sub, &path, out);
    }
}

/// The part of the reference documenting `path`: from its heading to the next command's.
fn section<'a>(md: &'a str, path: &str) -> Option<&'a str> {
    let heading = format!("## `{path}`\n");
    let start = md.find(&heading)? + heading.len();
    let rest = &md[start..];
    Some(&rest[..rest.find("\n## `").unwrap_or(rest.len())])
}

/// Walks the clap definitions and lists every command, positional argument and flag (by its
/// long name, or short where it has none) that `md` lacks in the section of its own command;
/// returns how many were checked too.
fn missing_from(md: &str) -> (usize, Vec<String>) {
    let mut all = Vec::new();
    commands(&gen_reference::command(), "", &mut all);
    let mut missing = Vec::new();
    let mut checked = 0;
    for (path, cmd) in &all {
        checked += 1;
        let Some(text) = section(md, path) else {
            missing.push(format!("command `{path}`"));
            continue;
        };
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let needle = if arg.is_positional() {
                let name = arg
                    .get_value_names()
                    .and_then(|n| n.first())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| arg.get_id().to_string().to_ascii_uppercase());
                format!("`<{name}>`")
            } else if let Some(long) = arg.get_long() {
                format!("`--{long}")
            } else if let Some(short) = arg.get_short() {
                format!("`-{short}")
            } else {
                continue;
            };
            checked += 1;
            if !text.contains(&needle) {
                missing.push(format!("{needle}` of `{path}`"));
            }
        }
    }
    (checked, missing)
}

/// Independent of the generator's output: a flag added without regenerating fails here with
/// its name, even if the file-equality test above were ever relaxed.
#[test]
fn every_command_argument_and_flag_is_in_the_reference() {
    let (checked, missing) = missing_from(&committed_markdown());
    // 11 commands and some 50 arguments today; fewer means the walk lost its way.
    assert!(
        checked >= 50,
        "only {checked} commands and arguments walked"
    );
    assert!(
        missing.is_empty(),
        "{MARKDOWN_PATH} lacks {}: run `{REGENERATE}`",
        missing.join(", ")
    );
}

#[test]
fn the_flag_check_names_what_a_stale_reference_lacks() {
    let md = committed_markdown();
    // A reference written before `--exact` existed, and one without the `ledger add` section.
    let without_flag: String = md
        .lines()
        .filter(|l| !l.starts_with("* `--exact`"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        missing_from(&without_flag).1,
        ["`--exact` of `pipl-scan scan`"]
    );
    let without_command = md.replace("## `pipl-scan ledger add`", "## `pipl-scan ledger append`");
    assert_eq!(
        missing_from(&without_command).1,
        ["command `pipl-scan ledger add`"]
    );
}

#[test]
fn the_guide_links_the_reference_and_says_how_to_regenerate_it() {
    let guide = std::fs::read_to_string(root().join("docs/GUIDE.md")).unwrap();
    assert!(
        guide.contains("(reference.md)"),
        "docs/GUIDE.md links reference.md"
    );
    assert!(
        guide.contains(REGENERATE),
        "docs/GUIDE.md names `{REGENERATE}`"
    );
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces turned into hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks.
fn prose(md: &str) -> Vec<&str> {
    let mut fenced = false;
    md.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// Every relative link of the README and the manual points at a file that exists, and at a
/// heading that exists in it: chapters moved out of the README must not point into the void.
#[test]
fn links_between_the_readme_and_the_chapters_resolve() {
    let mut files = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let md = std::fs::read_to_string(file).unwrap();
        for line in prose(&md) {
            for (i, _) in line.match_indices("](") {
                let rest = &line[i + 2..];
                let Some(end) = rest.find(')') else { continue };
                let target = &rest[..end];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let dest = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                let name = file.strip_prefix(root()).unwrap().display();
                if !dest.exists() {
                    broken.push(format!("{name}: `{target}`: no such file"));
                    continue;
                }
                if anchor.is_empty() {
                    continue;
                }
                let text = std::fs::read_to_string(&dest).unwrap_or_default();
                let found = prose(&text)
                    .iter()
                    .filter_map(|l| l.strip_prefix('#'))
                    .map(|h| slug(h.trim_start_matches('#')))
                    .any(|s| s == anchor);
                if !found {
                    broken.push(format!("{name}: `{target}`: no such heading"));
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} links checked");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The README's worked example, as (command, output shown) pairs: the `$ ` lines of its
/// `console` blocks and the lines under each.
fn readme_session() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut session: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_console = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_console = !in_console && line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            session.push((cmd.to_string(), Vec::new()));
        } else if let Some((_, shown)) = session.last_mut() {
            shown.push(line.to_string());
        }
    }
    session
}

/// Runs the README's worked example in a scratch folder holding the repository's fixtures and
/// examples, and requires every output line it shows (and the exit code `assess` announces), so
/// the front page cannot drift from the program. Two kinds of line depend on the day the test
/// runs and are left out: the assessment's counting window (it ends today) and the minors, whose
/// number falls as the fixtures' children turn 14. The inventory's samples are chosen by keyed
/// hash, so with a new key they are other values: quoted masked values are compared by shape
/// only. `jq` lines run only where jq is installed.
#[test]
fn the_readme_worked_example_shows_real_output() {
    let session = readme_session();
    assert!(
        session
            .iter()
            .filter(|(c, _)| c.starts_with("pipl-scan "))
            .count()
            >= 3,
        "{session:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    for d in ["fixtures", "examples"] {
        std::os::unix::fs::symlink(root().join(d), tmp.path().join(d)).unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_pipl-scan"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let has_jq = std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut compared = 0;
    for (cmd, shown) in &session {
        if cmd.starts_with("jq ") && !has_jq {
            eprintln!("skipped (no jq on PATH): {cmd}");
            continue;
        }
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(tmp.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        let expect = shown
            .iter()
            .find_map(|l| l.trim().strip_prefix("exit code "))
            .map_or(0, |n| n.parse().unwrap());
        assert_eq!(o.status.code(), Some(expect), "`{cmd}`:\n{out}{err}");
        for line in shown {
            if line.contains(", window ") || line.contains("minors (<14)") {
                continue;
            }
            assert!(
                out.lines().any(|l| masked_alike(l) == masked_alike(line)),
                "README.md shows `{line}` under `{cmd}`, which now prints:\n{out}{err}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} lines compared");
}

/// `line` with every quoted string holding a mask (`"110105********6252"`) replaced by
/// `"<masked>"`.
fn masked_alike(line: &str) -> String {
    line.split('"')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 && part.contains("**") {
                "<masked>"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("\"")
}
