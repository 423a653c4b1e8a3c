//! Running TensorBoard's Python code on the files a test wrote: `$STARLAB_PYTHON` (set by
//! `.cargo/config.toml` to the project's `.venv`, where `./lab setup` installs `tensorboard`).
#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The project's Python; a clear failure (never a skip) when it is missing.
pub fn python() -> String {
    std::env::var("STARLAB_PYTHON").unwrap_or_else(|_| {
        panic!("STARLAB_PYTHON is not set (.cargo/config.toml sets it): run `./lab setup`, then `cargo test`")
    })
}

/// Fails with what went wrong and the fix: these tests cannot pass without TensorBoard.
pub fn check(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named") {
        panic!(
            "{what}: {} lacks the tensorboard package: run `./lab setup` (it installs the pinned tensorboard into .venv)\n{stderr}",
            python()
        );
    }
    assert!(
        out.status.success(),
        "{what} failed ({}); if Python or tensorboard is missing, run `./lab setup`\n{stderr}",
        out.status
    );
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tensorboard_reader.py")
}

fn run_script(args: &[&str]) -> Output {
    let python = python();
    Command::new(&python)
        .arg(script())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run `./lab setup`"))
}

/// What TensorBoard's EventAccumulator loads from the run `dir`: `{"scalars": {tag: [[step,
/// value], ...]}, "hparams": {tag: HParamsPluginData as a dict}}`.
pub fn tensorboard_reads(dir: &Path) -> Value {
    let out = run_script(&["read", dir.to_str().unwrap()]);
    check("tensorboard_reader.py read", &out);
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

/// TensorBoard's own EventFileWriter writes `(tag, step, value)` scalars into `dir`.
pub fn tensorboard_writes(dir: &Path, events: &[(&str, i64, f64)]) {
    let json = serde_json::to_string(events).unwrap();
    let out = run_script(&["write", dir.to_str().unwrap(), &json]);
    check("tensorboard_reader.py write", &out);
}

/// `[[step, value], ...]` of one tag as the reader printed it. The values are `f32`, as
/// TensorBoard stores scalars (exact: serde_json may parse the printed double one ulp off, which
/// rounding to `f32` removes).
pub fn series(read: &Value, tag: &str) -> Vec<(i64, f32)> {
    read["scalars"][tag]
        .as_array()
        .unwrap_or_else(|| panic!("TensorBoard read no scalar {tag:?}: {read}"))
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap() as f32))
        .collect()
}

/// The tags of the scalars the reader found, sorted.
pub fn scalar_tags(read: &Value) -> Vec<String> {
    let mut tags: Vec<String> = read["scalars"].as_object().unwrap().keys().cloned().collect();
    tags.sort();
    tags
}
