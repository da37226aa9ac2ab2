//! The accuracy benchmark (`examples/accuracy`) checked on a small corpus: the generator writes
//! the same bytes every run, the harness reports every identifier detector and every people
//! figure, prints no raw value, and measures the clean resident IDs as found (a check that
//! fails if detection breaks). The classes today's detectors get wrong are measured by the
//! benchmark itself, not asserted here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../examples/accuracy/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../examples/accuracy/measure.rs"]
mod measure;

/// Every file under `root`, relative path → bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

#[test]
fn the_corpus_is_the_same_bytes_every_run() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let ta = corpus::generate(a.path(), 200, corpus::SEED);
    let tb = corpus::generate(b.path(), 200, corpus::SEED);
    assert_eq!(ta, tb, "same seed, same truth");
    let (fa, fb) = (tree(a.path()), tree(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(
            fb[path] == *bytes,
            "{} differs between runs",
            path.display()
        );
    }
    // Every labelled file exists, and the seed matters.
    for f in &ta.files {
        assert!(
            fa.contains_key(Path::new(&f.path)),
            "{} not written",
            f.path
        );
    }
    let tc = corpus::generate(c.path(), 200, corpus::SEED + 1);
    assert!(ta.files != tc.files, "another seed, another corpus");
    // The truth is consistent with its labels: no more people than the population, every
    // person labelled is counted, and minors are among the sensitive people.
    let labelled: std::collections::BTreeSet<u32> = ta
        .files
        .iter()
        .flat_map(|f| f.expected.iter().filter_map(|l| l.person))
        .collect();
    assert_eq!(ta.people, labelled.len() as u64);
    assert!(ta.people <= 200);
    // Every person's identifiers are joined through records of theirs: a linker that leaves
    // out the shared identifiers (the hotline, role mailboxes, family phones: values labelled
    // with no person or with several) finds exactly the people.
    let mut owners: BTreeMap<(&str, &str), std::collections::BTreeSet<Option<u32>>> =
        BTreeMap::new();
    for l in ta.files.iter().flat_map(|f| &f.expected) {
        owners
            .entry((&l.detector, &l.value))
            .or_default()
            .insert(l.person);
    }
    let own = |l: &corpus::Label| {
        l.person.is_some() && owners[&(l.detector.as_str(), l.value.as_str())].len() == 1
    };
    assert_eq!(measure::linked_components(&ta, &own), ta.people);
    for n in ta.sensitive_people.values() {
        assert!(*n >= ta.minor_people && *n <= ta.people);
    }
}

#[test]
fn the_harness_reports_every_detector_and_figure_without_raw_values() {
    let dir = tempfile::tempdir().unwrap();
    let truth = corpus::generate(dir.path(), 200, corpus::SEED);
    let m = measure::measure(dir.path(), &truth).unwrap();
    let table = m.markdown();
    for id in measure::IDENTIFIERS {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("| {id} | "))),
            "no row for {id}:\n{table}"
        );
        assert!(m.detectors[*id].expected > 0, "{id} has no labels");
    }
    let subjects = m
        .figures
        .iter()
        .find(|f| f.name == "totals.subjects")
        .expect("totals.subjects row");
    assert!(subjects.value.is_some());
    assert!(table.contains("| totals.subjects | "));
    // The labels' record numbers are the readers'.
    for f in &m.per_file {
        assert_eq!(f.records_read, f.records_labelled, "{}", f.path);
    }
    // Perfect detection with one key per record overcounts; joining every identifier of a
    // record, shared ones included, undercounts (the hotline and role mailboxes merge people).
    assert!(m.reference.keys > truth.people, "{:?}", m.reference);
    assert!(m.reference.naive_linked < truth.people, "{:?}", m.reference);
    // Clean resident IDs (plain ASCII, in CSV and xlsx columns) are found.
    let clean = &m.classes[&("cn-resident-id".to_string(), corpus::PLAIN.to_string())];
    assert!(clean.expected >= 100, "{clean:?}");
    assert!(
        clean.recall().unwrap() >= 0.99,
        "clean resident IDs: {clean:?}"
    );
    // Counts and rates only: no labelled value (expected or planted) is printed.
    for f in &truth.files {
        for l in f.expected.iter().chain(&f.negatives) {
            if l.value.len() >= 8 {
                assert!(
                    !table.contains(&l.value),
                    "{} value printed ({})",
                    l.detector,
                    l.class
                );
            }
        }
    }
}

#[test]
fn people_figures_include_a_future_people_figure_and_say_absent_otherwise() {
    let truth = corpus::Truth {
        schema: String::new(),
        seed: 0,
        population: 100,
        reference_date: corpus::REFERENCE_DATE.to_string(),
        people: 100,
        sensitive_people: BTreeMap::from([
            ("gbt45574-2025".to_string(), 10),
            ("gbt35273-2020".to_string(), 90),
        ]),
        minor_people: 3,
        files: Vec::new(),
    };
    let std = pipl_scan::detect::Standard::Gbt45574_2025;
    let today = serde_json::json!({
        "subjects": {"estimate": 150, "low": 150, "high": 150, "sketch": "AAA="},
        "sensitive_subjects_by_standard": {"gbt35273-2020": {"estimate": 99, "low": 1, "high": 2}},
        "subjects_lower_bound": 80,
        "records": 1000,
        "categories": [{"distinct": {"estimate": 5}}],
    });
    let figures = measure::people_figures(&today, &truth, std);
    let get = |fs: &[measure::Figure], n: &str| {
        fs.iter()
            .find(|f| f.name == n)
            .map(|f| (f.value, f.truth))
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(get(&figures, "totals.subjects"), (Some(150.0), 100));
    assert_eq!(get(&figures, "totals.people"), (None, 100));
    assert_eq!(
        get(
            &figures,
            "totals.sensitive_subjects_by_standard.gbt35273-2020"
        ),
        (Some(99.0), 90)
    );
    assert_eq!(
        get(&figures, "totals.subjects_lower_bound"),
        (Some(80.0), 100)
    );
    assert_eq!(
        figures.len(),
        4,
        "records and categories are not people figures"
    );
    let error = figures[0].error().unwrap();
    assert!((error - 0.5).abs() < 1e-9);

    let later = serde_json::json!({
        "subjects": {"estimate": 150},
        "people": {"estimate": 101, "method": "linked"},
        "minor_subjects": {"estimate": 3},
    });
    let figures = measure::people_figures(&later, &truth, std);
    assert_eq!(get(&figures, "totals.people"), (Some(101.0), 100));
    assert_eq!(get(&figures, "totals.minor_subjects"), (Some(3.0), 3));
}
