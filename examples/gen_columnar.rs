//! Writes the columnar, database and archive fixtures (Parquet, mysqldump, pg_dump, SQLite,
//! .sql.gz, .zip, .tar.gz) into a folder, with each file's expected answer in `EXPECTED`.
//!
//! `cargo run --example gen_columnar -- /tmp/lake` then `pipl-scan scan /tmp/lake`. The same
//! generator backs `tests/columnar.rs`, which checks every answer.

#[path = "../tests/support/columnar.rs"]
mod support;

use std::fmt::Write as _;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "columnar-fixtures".to_string());
    let dir = std::path::Path::new(&dir);
    let mut expected = String::from("# Expected answer per file (reference date 2026-11-25)\n");
    for (path, e) in support::generate(dir) {
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(expected, "{name}: {}", e.line()).unwrap();
    }
    std::fs::write(dir.join("EXPECTED"), &expected).expect("write EXPECTED");
    print!("{expected}");
}
