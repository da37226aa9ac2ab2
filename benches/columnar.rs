//! Throughput of the columnar and database readers on 1M-row inputs: Parquet (snappy, with and
//! without dictionary encoding), a mysqldump, a pg_dump (COPY) and a SQLite table; and, side by
//! side in the same run, DuckDB counting regexp matches over the same Parquet file.
//!
//! `cargo bench --bench columnar`. The inputs are generated once into `target/bench-data/`
//! (by the fixture generator the tests use) and reused. Targets on the 2-core reference
//! machine: dumps ≥ 150 MB/s, Parquet ≥ 10M string cells/s. The DuckDB comparison needs
//! `pip install duckdb`; without it the ratio is skipped with a note.

#[path = "../tests/support/columnar.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use pipl_scan::detect::DetectorSet;
use pipl_scan::read::{Ctx, read_source};
use pipl_scan::sketch::SketchKey;

const ROWS: u64 = 1_000_000;
/// String cells per Parquet row: name, id_card, contact.email, contact.phone, city, two tags.
const STRING_CELLS_PER_ROW: u64 = 7;

fn data_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Generates (once) and returns the input `name`.
fn input(name: &str) -> PathBuf {
    static PEOPLE: OnceLock<Vec<support::Person>> = OnceLock::new();
    let path = data_dir().join(name);
    if path.exists() {
        return path;
    }
    let people = PEOPLE.get_or_init(|| support::people(ROWS, 2026));
    let tmp = path.with_extension("tmp");
    match name {
        "dict.parquet" => drop(support::write_parquet(&tmp, people, true, 128 * 1024)),
        "plain.parquet" => drop(support::write_parquet(&tmp, people, false, 128 * 1024)),
        "mysql.sql" => drop(support::write_mysqldump(&tmp, people, 1000)),
        "pg.sql" => drop(support::write_pgdump(&tmp, people, support::PgStyle::Copy)),
        "app.db" => drop(support::write_sqlite(&tmp, people)),
        "orders.parquet" => drop(support::write_orders_parquet(&tmp, ROWS)),
        "orders.sql" => drop(support::write_orders_mysqldump(&tmp, ROWS)),
        "orders.pg.sql" => drop(support::write_orders_pgdump(&tmp, ROWS)),
        _ => unreachable!(),
    }
    std::fs::rename(&tmp, &path).unwrap();
    path
}

struct Env {
    set: DetectorSet,
    key: SketchKey,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env {
        set: DetectorSet::load(None).unwrap(),
        key: SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap(),
    })
}

fn scan(path: &Path) -> u64 {
    let e = env();
    let ctx = Ctx::new(
        &e.set,
        &e.key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    let size = std::fs::metadata(path).unwrap().len();
    let r = read_source(path, size, &ctx);
    assert!(r[0].reason.is_none(), "{:?}", r[0].reason);
    r[0].acc.records
}

fn bench_file(b: Bencher, name: &str, by_cells: bool) {
    let path = input(name);
    let size = std::fs::metadata(&path).unwrap().len();
    let b = if by_cells {
        b.counter(ItemsCount::new(ROWS * STRING_CELLS_PER_ROW))
    } else {
        b.counter(BytesCount::new(size))
    };
    b.bench(|| scan(&path));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn parquet_snappy_dictionary(b: Bencher) {
    bench_file(b, "dict.parquet", true);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn parquet_snappy_plain(b: Bencher) {
    bench_file(b, "plain.parquet", true);
}

/// A PI-sparse table: ten string columns per row, one of them an e-mail.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn parquet_orders_sparse_pi(b: Bencher) {
    let path = input("orders.parquet");
    b.counter(ItemsCount::new(ROWS * 10)).bench(|| scan(&path));
}

/// The same orders as a mysqldump.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn mysqldump_orders_sparse_pi(b: Bencher) {
    bench_file(b, "orders.sql", false);
}

/// The same orders as a pg_dump (COPY).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn pg_dump_orders_sparse_pi(b: Bencher) {
    bench_file(b, "orders.pg.sql", false);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn mysqldump(b: Bencher) {
    bench_file(b, "mysql.sql", false);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn pg_dump_copy(b: Bencher) {
    bench_file(b, "pg.sql", false);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn sqlite_table(b: Bencher) {
    bench_file(b, "app.db", false);
}

/// Counts rows; the tokenizer alone, without detection.
struct CountRows(u64);

impl pipl_scan::read::sqldump::RowSink for CountRows {
    fn field(&mut self, _name: &str, _header: &str) -> usize {
        0
    }
    fn row<'v>(&mut self, _values: impl Iterator<Item = (usize, &'v [u8])>) {
        self.0 += 1;
    }
}

fn bench_tokenizer(b: Bencher, name: &str, dialect: pipl_scan::read::sqldump::Dialect) {
    let path = input(name);
    let bytes = std::fs::read(&path).unwrap();
    b.counter(BytesCount::new(bytes.len() as u64)).bench(|| {
        let mut rows = CountRows(0);
        pipl_scan::read::sqldump::tokenize(&bytes[..], dialect, &mut rows).unwrap();
        assert!(rows.0 >= ROWS);
    });
}

/// The mysqldump tokenizer alone (no detection): what the byte scanner costs.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn mysqldump_tokenizer_only(b: Bencher) {
    bench_tokenizer(b, "mysql.sql", pipl_scan::read::sqldump::Dialect::MySql);
}

/// The pg_dump tokenizer alone (no detection).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn pg_dump_tokenizer_only(b: Bencher) {
    bench_tokenizer(b, "pg.sql", pipl_scan::read::sqldump::Dialect::Postgres);
}

/// DuckDB counting rows whose ID, e-mail or phone column matches a regexp, over the same file,
/// best of 3 inside one Python process (so interpreter start-up is not counted).
fn duckdb_seconds(path: &Path) -> Result<f64, String> {
    let script = r#"
import sys, time, duckdb
con = duckdb.connect()
q = """SELECT count(*) FROM read_parquet(?) WHERE
  regexp_matches(id_card, '[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]')
  OR regexp_matches(contact.email, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}')
  OR regexp_matches(contact.phone, '1[3-9][0-9]([ -]?[0-9]{4}){2}')
  OR regexp_matches(CAST(mobile AS VARCHAR), '1[3-9][0-9]{9}')"""
best = None
for _ in range(3):
    t = time.perf_counter(); n = con.execute(q, [sys.argv[1]]).fetchone()[0]; dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(n, best)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string());
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    let rows: u64 = it.next().and_then(|x| x.parse().ok()).ok_or("no output")?;
    if rows != ROWS {
        return Err(format!("duckdb matched {rows} rows, expected {ROWS}"));
    }
    it.next()
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| "no time".to_string())
}

fn compare_with_duckdb() {
    for name in ["dict.parquet", "plain.parquet"] {
        let path = input(name);
        let ours = (0..3)
            .map(|_| {
                let t = Instant::now();
                scan(&path);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        match duckdb_seconds(&path) {
            Ok(duck) => println!(
                "parquet vs duckdb ({name}, {ROWS} rows): pipl-scan {ours:.3} s, duckdb regexp count {duck:.3} s, ratio pipl-scan/duckdb = {:.2}",
                ours / duck
            ),
            Err(e) => {
                println!("parquet vs duckdb ({name}): pipl-scan {ours:.3} s; duckdb skipped: {e}")
            }
        }
    }
}

fn main() {
    divan::main();
    compare_with_duckdb();
}
