//! Links libtorch (see torch-build), records the versions a run's record reports, and bakes in
//! the code fingerprint: a hash of the sources that can change a result.
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    torch_build::link_libtorch();

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RUNNER_RUSTC_VERSION={rustc_version}");

    // torch-sys reports <libtorch>/lib; the PyTorch wheel keeps `version.py` one level up.
    let libtorch = std::env::var("DEP_TCH_LIBTORCH_LIB")
        .ok()
        .and_then(|lib| std::fs::read_to_string(Path::new(&lib).join("../version.py")).ok())
        .and_then(|py| {
            py.lines().find_map(|l| {
                l.strip_prefix("__version__ = ")
                    .map(|v| v.trim_matches(['\'', '"', ' ']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RUNNER_LIBTORCH_VERSION={libtorch}");

    // The tch version this crate resolved to, from Cargo.lock's pin in the workspace manifest.
    println!("cargo:rustc-env=RUNNER_TCH_VERSION=0.24.0");

    let (fingerprint, files) = code_fingerprint();
    println!("cargo:rustc-env=RUNNER_CODE_FINGERPRINT={fingerprint}");
    println!("cargo:rustc-env=RUNNER_CODE_FILES={files}");
}

/// Crates whose code cannot change a number in a record: the runner's own shell (only its
/// `src/kinds` computes results), drawing, build plumbing, file writes, test-only faults and the
/// TensorBoard event files (a view of numbers computed elsewhere).
const NOT_RESULTS: &[&str] = &[
    "runner",
    "plots",
    "torch-build",
    "durable",
    "faults",
    "tensorboard",
];

/// SHA-256 over every `.rs` file under `src/`, `build.rs` and `Cargo.toml` of the crates that
/// compute results, the runner's `src/kinds`, and `Cargo.lock` (dependency versions). Comment and
/// blank lines are left out, so documentation edits do not stale results. Returns the first 16
/// hex digits and the number of files hashed.
fn code_fingerprint() -> (String, usize) {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let crates = manifest.parent().unwrap().to_path_buf();
    let mut files = vec![crates.join("../Cargo.lock")];
    let mut watched = vec![crates.join("../Cargo.lock"), manifest.join("src/kinds")];
    rust_files(&manifest.join("src/kinds"), &mut files);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crates)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .filter(|p| !NOT_RESULTS.iter().any(|n| p.file_name().unwrap() == *n))
        .collect();
    dirs.sort();
    for dir in dirs {
        for f in ["Cargo.toml", "build.rs"] {
            if dir.join(f).is_file() {
                files.push(dir.join(f));
                watched.push(dir.join(f));
            }
        }
        rust_files(&dir.join("src"), &mut files);
        watched.push(dir.join("src"));
    }
    for w in &watched {
        // A folder is scanned recursively for changes.
        println!("cargo:rerun-if-changed={}", w.display());
    }
    let mut keyed: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|f| {
            let key = f
                .strip_prefix(&crates)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            (key, f)
        })
        .collect();
    keyed.sort();
    let mut hash = Sha256::new();
    for (key, path) in &keyed {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        hash.update(key.as_bytes());
        hash.update([0]);
        for line in text.lines().map(str::trim_end) {
            let t = line.trim_start();
            if !t.is_empty() && !t.starts_with("//") {
                hash.update(line.as_bytes());
                hash.update([b'\n']);
            }
        }
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    (hex, keyed.len())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
