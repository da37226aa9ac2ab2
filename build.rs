//! Embeds `detectors/*.toml` in the binary so pipl-scan runs from any directory.
use std::{env, fs, path::Path};

fn main() {
    // Read when the script runs, not when it is compiled: a build script compiled for one
    // checkout (a git worktree sharing the target folder) must not read another's detectors.
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("detectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("detectors/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("[\n");
    for p in &files {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_name().unwrap().to_string_lossy();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            p.display().to_string()
        ));
    }
    out.push(']');
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded_detectors.rs");
    fs::write(dest, out).expect("write embedded_detectors.rs");
}
