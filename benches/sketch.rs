//! Throughput of the distinct-subject sketches: hashing and inserting subject keys, and merging
//! sketches the way a scan merges per-file sketches into its totals.

use divan::Bencher;
use divan::counter::ItemsCount;
use pipl_scan::sketch::{Sketch, SketchKey};

fn main() {
    divan::main();
}

fn key() -> SketchKey {
    SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").expect("valid key")
}

/// Normalised subject keys of the usual length (a resident ID number with its detector prefix).
fn subject_keys(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| format!("cn-resident-id:110105{:011}X", i))
        .collect()
}

fn hashes(n: u64) -> Vec<u64> {
    let key = key();
    subject_keys(n)
        .iter()
        .map(|s| key.hash(s.as_bytes()))
        .collect()
}

fn sketch_of(hashes: &[u64]) -> Sketch {
    let mut sketch = Sketch::new();
    for &h in hashes {
        sketch.insert_hash(h);
    }
    sketch
}

/// Inserting `n` distinct keyed hashes into a fresh sketch, through coupon mode into registers.
#[divan::bench(args = [1_000, 100_000, 1_000_000])]
fn insert_hash(bencher: Bencher, n: u64) {
    let hashes = hashes(n);
    bencher
        .counter(ItemsCount::new(hashes.len()))
        .with_inputs(Sketch::new)
        .bench_local_refs(|sketch| {
            for &h in &hashes {
                sketch.insert_hash(divan::black_box(h));
            }
        });
}

/// The keyed hash alone (SipHash-1-3 of a 33-byte subject key).
#[divan::bench]
fn key_hash(bencher: Bencher) {
    let key = key();
    let subjects = subject_keys(10_000);
    bencher
        .counter(ItemsCount::new(subjects.len()))
        .bench_local(|| {
            let mut acc = 0u64;
            for s in &subjects {
                acc ^= key.hash(divan::black_box(s.as_bytes()));
            }
            acc
        });
}

/// Merging two sketches of 10^5 distinct inputs each (half overlapping).
#[divan::bench]
fn merge_two_100k(bencher: Bencher) {
    let all = hashes(150_000);
    let a = sketch_of(&all[..100_000]);
    let b = sketch_of(&all[50_000..]);
    bencher
        .with_inputs(|| a.clone())
        .bench_local_refs(|merged| merged.merge(divan::black_box(&b)));
}

/// Merging a small per-file sketch (37 people) into a 10^5 total.
#[divan::bench]
fn merge_small_into_100k(bencher: Bencher) {
    let all = hashes(100_037);
    let total = sketch_of(&all[..100_000]);
    let file = sketch_of(&all[100_000..]);
    bencher
        .with_inputs(|| total.clone())
        .bench_local_refs(|merged| merged.merge(divan::black_box(&file)));
}

/// Estimating a 10^5 sketch (builds the order-independent form first).
#[divan::bench]
fn estimate_100k(bencher: Bencher) {
    let sketch = sketch_of(&hashes(100_000));
    bencher.bench_local(|| divan::black_box(&sketch).estimate());
}
