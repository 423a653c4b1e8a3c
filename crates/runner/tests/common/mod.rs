//! Helpers for the integration tests: run the built `runner` binary on configs in temp dirs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn runner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runner"));
    // Plain logs, one thread: results do not depend on the test machine's core count.
    c.env("CI", "true").env("RUNNER_LOG", "warn");
    c
}

pub fn run(args: &[&str], dir: &Path) -> Output {
    runner()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the runner binary runs")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs and asserts exit status 0, returning stdout + stderr.
pub fn ok(args: &[&str], dir: &Path) -> String {
    let o = run(args, dir);
    assert!(
        o.status.success(),
        "runner {args:?} failed ({:?}):\n{}",
        o.status,
        text(&o)
    );
    text(&o)
}

pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// A tiny two-moons sweep: `seeds` x (sum, star), `epochs` epochs of the 2-D DemoNet.
pub fn moons_config(name: &str, epochs: usize, seeds: &[u64], modes: &[&str], check: &str) -> String {
    let seeds: Vec<String> = seeds.iter().map(|s| s.to_string()).collect();
    let modes: Vec<String> = modes.iter().map(|m| format!("\"{m}\"")).collect();
    format!(
        r#"[experiment]
name = "{name}"
kind = "moons"
description = "test sweep"

[model]
width = 32
depth = 2

[train]
epochs = {epochs}
threads = 1

[sweep]
mode = [{modes}]
"train.seed" = [{seeds}]

[output]
check = {{ {check} }}
"#,
        modes = modes.join(", "),
        seeds = seeds.join(", ")
    )
}

pub fn run_files(results: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(results.join("runs"))
        .map(|d| {
            d.map(|e| e.unwrap().path())
                // Hidden files are temporary files and locks, not records.
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
