//! The Spark job of `contrib/spark/pipl_scan_spark.py`, run on `local[2]` with PySpark and a
//! JRE, against one `pipl-scan scan` of the same files with the same key.
//!
//! The contract tested: the job's merged inventory has the figures of one scan (people exactly,
//! every sketch estimate equal since the merged sketches are the same sketches, the same
//! sources); Spark SQL's `hll_union_agg` over the partitions' sketches gives, for the totals,
//! every category and every source system, an estimate inside the single scan's 95 % interval.
//!
//! Needs `java` and `python3` with `pyspark` (`.ci/run` installs them). Where either is
//! missing the test says so and passes, except under CI (`CI` set), where it fails: there it
//! must run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;

#[allow(dead_code)]
#[path = "support/people.rs"]
mod people;
use people::{KEY, copy_dir, mobile, resident_id};

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const REF_DATE: &str = "2026-11-25";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    std::env::var("PIPL_SCAN_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Why the job cannot run here (no JRE, no PySpark), or None.
fn missing_prerequisite() -> Option<String> {
    let java = Command::new("java").arg("-version").output();
    if !java.is_ok_and(|o| o.status.success()) {
        return Some("no `java` on PATH (Debian: apt-get install default-jre-headless)".into());
    }
    let py = Command::new(python())
        .args(["-c", "import pyspark; print(pyspark.__version__)"])
        .output();
    match py {
        Ok(o) if o.status.success() => None,
        Ok(_) => Some(format!(
            "`{}` has no pyspark (pip install pyspark)",
            python()
        )),
        Err(e) => Some(format!("cannot run `{}`: {e}", python())),
    }
}

/// Whether the test is skipped: says why where Java or PySpark is missing, and fails instead
/// under CI, where they must be there.
fn skipped() -> bool {
    let Some(why) = missing_prerequisite() else {
        return false;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "the Spark test must run in CI, but {why}: .ci/run installs Java and PySpark"
    );
    eprintln!("skipped: the Spark job needs Java and PySpark, but {why}");
    true
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// A share of three source systems: `crm/` (6,000 people, each ID beside a mobile, and in
/// `crm/orders/` every third mobile again beside an e-mail: people cross files, so partitions),
/// `hr/` (the repository's fixtures: spreadsheets, GBK and Big5 CSVs, JSON, text), `lake/`
/// (one mobile a note), plus a README and a hidden file at the top. Enough people that the
/// subject sketches leave exact mode and estimate.
fn generate(root: &Path) {
    let people = 6_000;
    std::fs::create_dir_all(root.join("crm/orders")).unwrap();
    std::fs::create_dir_all(root.join("lake/2026")).unwrap();
    for f in 0..12 {
        let mut s = String::from("姓名,身份证号,手机号\n");
        for i in (f * people / 12)..((f + 1) * people / 12) {
            s.push_str(&format!("张{},{},{}\n", i % 97, resident_id(i), mobile(i)));
        }
        std::fs::write(root.join(format!("crm/customers_{f:02}.csv")), s).unwrap();
    }
    for f in 0..7 {
        let mut s = String::from("手机号,邮箱\n");
        for i in (0..people).filter(|i| i % 7 == f && i % 3 == 0) {
            s.push_str(&format!("{},user{i}@example.com\n", mobile(i)));
        }
        std::fs::write(root.join(format!("crm/orders/contacts_{f}.csv")), s).unwrap();
    }
    for f in 0..10 {
        std::fs::write(
            root.join(format!("lake/2026/note_{f}.txt")),
            format!("客户 手机 {} 备注\n", mobile(50_000 + f)),
        )
        .unwrap();
    }
    copy_dir(&repo().join("fixtures/tabular"), &root.join("hr/tabular"));
    copy_dir(&repo().join("fixtures/text"), &root.join("hr/text"));
    std::fs::write(root.join("README.txt"), "no personal data here\n").unwrap();
    std::fs::write(root.join(".hidden.csv"), "手机号\n13900000001\n").unwrap();
}

/// A profile with two flows: the CRM to a head office, HR to a payroll provider. The globs
/// match anywhere in the path: a merged inventory of `--files-from` partitions has no root to
/// match them relative to.
const PROFILE: &str = r#"
[organisation]
name = "Example Trading (Shanghai) Co., Ltd."
ciio = false

[important_data]
holds = false
transfers = false
notified = false

[[flow]]
name = "crm-to-hq"
sources = ["**/crm/**"]
recipient = "Example Holding GmbH"
country = "Germany"
purpose = "Group customer service"
scenario = "CRM replication"
transfer_method = "nightly SFTP export"
storage_location = "Frankfurt"
retention = "3 years"

[[flow]]
name = "hr-to-payroll"
sources = ["**/hr/**"]
recipient = "Payroll Services Pte. Ltd."
country = "Singapore"
purpose = "Payroll"
scenario = "HR export"
transfer_method = "API"
storage_location = "Singapore"
retention = "7 years"
"#;

/// One `pipl-scan scan ROOT` with the test's key and reference date.
fn scan(root: &Path, out: &Path, key: &Path) -> Value {
    let o = Command::new(BIN)
        .arg("scan")
        .arg(root)
        .arg("-o")
        .arg(out)
        .arg("--key-file")
        .arg(key)
        .args(["--reference-date", REF_DATE, "--quiet"])
        .output()
        .expect("run pipl-scan scan");
    assert!(o.status.success(), "scan {root:?}: {}", text(&o));
    read_json(&out.join("inventory.json"))
}

/// The job: `python3 contrib/spark/pipl_scan_spark.py` on `local[2]`.
fn spark_job(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(python())
        .arg(repo().join("contrib/spark/pipl_scan_spark.py"))
        .args(args)
        .args(["--binary", BIN, "--master", "local[2]"])
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("run the Spark job")
}

/// A figure's estimate and its 95 % interval, low and high.
type Interval = (u64, u64, u64);

fn count(v: &Value) -> Interval {
    (
        v["estimate"].as_u64().unwrap(),
        v["low"].as_u64().unwrap(),
        v["high"].as_u64().unwrap(),
    )
}

fn sources(inv: &Value) -> Vec<String> {
    let mut v: Vec<String> = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn the_spark_job_gives_the_figures_of_one_scan() {
    if skipped() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("share");
    generate(&root);
    let key = tmp.path().join("sketch.key");
    std::fs::write(&key, KEY).unwrap();
    let profile = tmp.path().join("pipl-scan.toml");
    std::fs::write(&profile, PROFILE).unwrap();

    // A binary that does not exist is refused before Spark starts, naming it.
    let o = Command::new(python())
        .arg(repo().join("contrib/spark/pipl_scan_spark.py"))
        .arg(&root)
        .arg("-o")
        .arg(tmp.path().join("never"))
        .arg("--key-file")
        .arg(&key)
        .args(["--binary", "/nonexistent/pipl-scan"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--binary `/nonexistent/pipl-scan`: no executable pipl-scan"),
        "{}",
        text(&o)
    );

    let out = tmp.path().join("spark-out");
    let started = Instant::now();
    let o = spark_job(&[
        root.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--key-file".as_ref(),
        key.as_os_str(),
        "--reference-date".as_ref(),
        REF_DATE.as_ref(),
        "--partitions".as_ref(),
        "3".as_ref(),
        "--profile".as_ref(),
        profile.as_os_str(),
    ]);
    let log = text(&o);
    assert!(o.status.success(), "the Spark job failed: {log}");
    eprintln!(
        "the Spark job on local[2] took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(log.contains("Per source system"), "{log}");
    assert!(
        log.contains("Spark SQL estimates are inside the merged inventory's intervals"),
        "{log}"
    );

    let single = scan(&root, &tmp.path().join("single"), &key);
    let merged = read_json(&out.join("inventory.json"));
    let union = read_json(&out.join("spark-union.json"));
    let (st, mt) = (&single["totals"], &merged["totals"]);

    // The partitions hold every file once, and the merge is the single scan's inventory.
    assert_eq!(union["timing"]["partitions"], 3, "{union}");
    assert_eq!(merged["scan"]["merged_from"].as_array().unwrap().len(), 3);
    assert_eq!(sources(&merged), sources(&single));
    assert_eq!(sources(&single).len(), 49);
    assert_eq!(
        merged["scan"]["files_scanned"],
        single["scan"]["files_scanned"]
    );
    assert_eq!(mt["people"], st["people"], "people, linked exactly");
    assert!(st["people"]["people"].as_u64().unwrap() > 6_000);
    assert_eq!(union["people"], st["people"]["people"]);
    for k in [
        "subjects",
        "sensitive_subjects",
        "minor_subjects",
        "records",
    ] {
        assert_eq!(mt[k], st[k], "totals.{k}");
    }
    assert_eq!(mt["categories"], st["categories"]);

    // Spark SQL's unions, against the single scan's intervals.
    let checked: BTreeMap<(String, String), (u64, Interval)> = union["checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["table"].as_str().unwrap().to_string(),
                    c["key"].as_str().unwrap().to_string(),
                ),
                (c["spark"].as_u64().unwrap(), count(&c["merged"])),
            )
        })
        .collect();
    let inside = |what: &str, spark: u64, c: Interval| {
        assert!(
            c.1 <= spark && spark <= c.2,
            "{what}: Spark SQL {spark}, one scan {} [{}–{}]",
            c.0,
            c.1,
            c.2
        );
    };
    let subjects = checked[&("total".to_string(), "subjects".to_string())];
    assert!(
        subjects.1.1 < subjects.1.2,
        "the subjects should be estimated, not counted exactly: {subjects:?}"
    );
    for k in ["subjects", "sensitive_subjects", "minor_subjects"] {
        let (spark, merged_count) = checked[&("total".to_string(), k.to_string())];
        assert_eq!(merged_count, count(&st[k]), "{k}");
        inside(&format!("totals.{k}"), spark, count(&st[k]));
    }
    for std in ["gbt35273-2020", "gbt45574-2025"] {
        for f in [
            "sensitive_subjects_by_standard",
            "non_sensitive_subjects_by_standard",
        ] {
            let (spark, _) = checked[&("total".to_string(), format!("{f}.{std}"))];
            inside(&format!("{f}.{std}"), spark, count(&st[f][std]));
        }
    }
    let cats = st["categories"].as_array().unwrap();
    assert!(cats.len() >= 6, "{cats:?}");
    for c in cats {
        let d = c["detector"].as_str().unwrap();
        let (spark, _) = checked[&("category".to_string(), d.to_string())];
        inside(&format!("category {d}"), spark, count(&c["distinct"]));
    }

    // Per source system: each top folder's Spark SQL figures against a scan of that folder.
    let systems: BTreeMap<String, &Value> = union["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["system"].as_str().unwrap().to_string(), s))
        .collect();
    assert_eq!(
        systems.keys().collect::<Vec<_>>(),
        [".", "crm", "hr", "lake"],
        "{union}"
    );
    assert_eq!(systems["."]["files"], 2, "README.txt and the hidden file");
    for name in ["crm", "hr", "lake"] {
        let one = scan(
            &root.join(name),
            &tmp.path().join(format!("one-{name}")),
            &key,
        );
        let s = systems[name];
        assert_eq!(s["files"], one["scan"]["files_scanned"], "{name}");
        assert_eq!(s["records"], one["totals"]["records"], "{name}");
        for (k, field) in [
            ("subjects", "subjects"),
            ("sensitive", "sensitive_subjects"),
            ("minors", "minor_subjects"),
        ] {
            inside(
                &format!("system {name} {k}"),
                s[k].as_u64().unwrap(),
                count(&one["totals"][field]),
            );
        }
    }
    assert!(systems["crm"]["subjects"].as_u64().unwrap() > 6_000);
    assert!(systems["hr"]["sensitive"].as_u64().unwrap() > 0);

    // Per flow: Spark SQL over each flow's sources against a scan of its folder, and the
    // flow's people against `assess` of the single scan with the same profile.
    let o = Command::new(BIN)
        .arg("assess")
        .arg(tmp.path().join("single/inventory.json"))
        .arg("--profile")
        .arg(&profile)
        .args(["--format", "json", "--exit-zero", "--quiet", "-o"])
        .arg(tmp.path().join("single-assessment"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let single_assessment =
        read_json(&tmp.path().join("single-assessment/assessment.json"))["assessment"].clone();
    let job_assessment = read_json(&out.join("assessment/assessment.json"))["assessment"].clone();
    assert_eq!(job_assessment["decision"], single_assessment["decision"]);
    assert_eq!(union["assess_exit_code"], single_assessment["exit_code"]);
    let flows = union["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "{union}");
    for (flow, folder) in [(&flows[0], "crm"), (&flows[1], "hr")] {
        let name = flow["flow"].as_str().unwrap();
        let one = read_json(&tmp.path().join(format!("one-{folder}/inventory.json")));
        let single_flow = single_assessment["flows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        assert_eq!(
            flow["files"].as_u64().unwrap() as usize,
            single_flow["sources"].as_array().unwrap().len(),
            "{name}"
        );
        assert_eq!(
            flow["people"], single_flow["inventory"]["subjects"]["estimate"],
            "{name}"
        );
        inside(
            &format!("flow {name} subjects"),
            flow["subjects"].as_u64().unwrap(),
            count(&one["totals"]["subjects"]),
        );
        inside(
            &format!("flow {name} sensitive"),
            flow["sensitive"].as_u64().unwrap(),
            count(&one["totals"]["sensitive_subjects"]),
        );
    }
    assert_eq!(flows[0]["people"], 6_000, "{union}");
}

/// `--list spark`: Spark's `binaryFile` source lists the files (it leaves out names starting
/// with `.` or `_`), and `--path-map` names them by where the executors open them — here a
/// link standing for a mount point. The merge equals one scan of the mount point that excludes
/// what Spark's listing leaves out.
#[test]
fn the_spark_job_lists_with_spark_and_maps_uris_to_mount_points() {
    if skipped() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lake = tmp.path().join("lake");
    copy_dir(
        &repo().join("fixtures/tabular"),
        &lake.join("sales/tabular"),
    );
    copy_dir(&repo().join("fixtures/text"), &lake.join("support"));
    std::fs::write(lake.join("support/with space.csv"), "手机号\n13900000004\n").unwrap();
    std::fs::write(lake.join(".hidden.csv"), "手机号\n13900000001\n").unwrap();
    std::fs::write(lake.join("_SUCCESS.csv"), "手机号\n13900000002\n").unwrap();
    let mount = tmp.path().join("mnt-lake");
    std::os::unix::fs::symlink(&lake, &mount).unwrap();
    let key = tmp.path().join("sketch.key");
    std::fs::write(&key, KEY).unwrap();

    let out = tmp.path().join("spark-out");
    let path_map = format!("file://{}/={}/", lake.display(), mount.display());
    let o = spark_job(&[
        lake.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--key-file".as_ref(),
        key.as_os_str(),
        "--reference-date".as_ref(),
        REF_DATE.as_ref(),
        "--list".as_ref(),
        "spark".as_ref(),
        "--path-map".as_ref(),
        path_map.as_ref(),
    ]);
    let log = text(&o);
    assert!(o.status.success(), "the Spark job failed: {log}");
    assert!(log.contains("19 files listed"), "{log}");

    let single = Command::new(BIN)
        .arg("scan")
        .arg(&mount)
        .arg("-o")
        .arg(tmp.path().join("single"))
        .arg("--key-file")
        .arg(&key)
        .args(["--reference-date", REF_DATE, "--quiet"])
        .args(["--exclude", ".*", "--exclude", "_*"])
        .output()
        .unwrap();
    assert!(single.status.success(), "{}", text(&single));
    let single = read_json(&tmp.path().join("single/inventory.json"));
    let merged = read_json(&out.join("inventory.json"));
    assert_eq!(sources(&merged), sources(&single));
    assert!(
        sources(&merged)
            .iter()
            .all(|p| p.starts_with(&mount.display().to_string())),
        "{:?}",
        sources(&merged)
    );
    assert!(
        sources(&merged)
            .iter()
            .any(|p| p.ends_with("with space.csv"))
    );
    for k in ["people", "subjects", "sensitive_subjects", "categories"] {
        assert_eq!(merged["totals"][k], single["totals"][k], "totals.{k}");
    }
    let union = read_json(&out.join("spark-union.json"));
    let systems: Vec<&str> = union["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["system"].as_str().unwrap())
        .collect();
    assert_eq!(systems, ["sales", "support"], "{union}");
}
