//! The kernel mode reaches the record and the comparison: `--kernels reproducible` (or
//! `[experiment] kernels`) re-executes the runner with the pinned environment and records
//! `cpu.kernels`; `check` compares reproducible records exactly whatever CPU made them, and native
//! records from another kind of CPU within the config's tolerances.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;

/// Rewrites every record of a results folder with `edit`.
fn edit_records(results: &Path, edit: impl Fn(&mut Value)) {
    for f in run_files(results) {
        let mut r = json(&f);
        edit(&mut r);
        std::fs::write(&f, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    }
}

/// As if the records came from an Intel machine: the vendor and family are what the comparison
/// reads, the first epoch's eval loss moves by far less than the tolerance.
fn from_another_vendor(r: &mut Value) {
    r["cpu"]["vendor"] = "GenuineIntel".into();
    r["cpu"]["family"] = "6/207".into();
    r["cpu"]["model"] = "Intel(R) Xeon(R) Platinum".into();
    let loss = r["outcome"]["epochs"][0]["eval_loss"].as_f64().unwrap();
    r["outcome"]["epochs"][0]["eval_loss"] = (loss + 1e-6).into();
}

fn setup(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    let cfg = moons_config(name, 2, &[0], &["sum", "star"], "eval_loss = 1e-4");
    write(&dir.join("configs"), &format!("{name}.toml"), &cfg);
}

#[test]
fn reproducible_records_are_compared_exactly_on_any_cpu() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "rk");
    ok(
        &[
            "run",
            "configs/rk.toml",
            "--kernels",
            "reproducible",
            "--no-plots",
        ],
        dir.path(),
    );
    let results = dir.path().join("results/rk");
    for f in run_files(&results) {
        let cpu = &json(&f)["cpu"];
        assert_eq!(cpu["kernels"], "reproducible", "{cpu}");
        assert_eq!(
            cpu["isa"], "avx2",
            "the reproducible mode pins ATen to AVX2: {cpu}"
        );
    }
    // Unchanged: exact, and the report says why.
    let out = ok(&["check", "results/rk"], dir.path());
    assert!(out.contains("exact (reproducible kernels on both)"), "{out}");
    assert!(out.contains("2 compared exactly, 0 within"), "{out}");
    // Made on another vendor and off by 1e-6: reproducible kernels promise the same bits, so the
    // tolerance does not apply and the check fails.
    edit_records(&results, from_another_vendor);
    let o = run(&["check", "results/rk"], dir.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("exact (reproducible kernels on both)"), "{out}");
    assert!(out.contains("epochs[0].eval_loss"), "{out}");
}

#[test]
fn native_records_of_another_vendor_are_compared_with_tolerances() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "nk");
    ok(&["run", "configs/nk.toml", "--no-plots"], dir.path());
    let results = dir.path().join("results/nk");
    for f in run_files(&results) {
        let cpu = &json(&f)["cpu"];
        assert_eq!(cpu["kernels"], "native", "{cpu}");
        assert!(cpu["vendor"].as_str().is_some_and(|v| !v.is_empty()), "{cpu}");
    }
    // Same CPU kind: exact; a change of 1e-6 fails.
    let out = ok(&["check", "results/nk"], dir.path());
    assert!(
        out.contains("exact (native kernels on the same CPU kind"),
        "{out}"
    );
    edit_records(&results, |r| {
        let loss = r["outcome"]["epochs"][0]["eval_loss"].as_f64().unwrap();
        r["outcome"]["epochs"][0]["eval_loss"] = (loss + 1e-6).into();
    });
    assert_eq!(run(&["check", "results/nk"], dir.path()).status.code(), Some(1));
    // Another vendor: the same change is within the config's tolerance (1e-4), and said so.
    edit_records(&results, |r| {
        let loss = r["outcome"]["epochs"][0]["eval_loss"].as_f64().unwrap();
        r["outcome"]["epochs"][0]["eval_loss"] = (loss - 1e-6).into();
        from_another_vendor(r);
    });
    let out = ok(&["check", "results/nk"], dir.path());
    assert!(
        out.contains("within [output] check tolerances (committed on GenuineIntel 6/207"),
        "{out}"
    );
    assert!(out.contains("0 compared exactly, 2 within"), "{out}");
}

#[test]
fn records_of_another_kernel_mode_are_rerun() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "mk");
    ok(&["run", "configs/mk.toml", "--no-plots"], dir.path());
    let out = ok(
        &[
            "run",
            "configs/mk.toml",
            "--kernels",
            "reproducible",
            "--no-plots",
        ],
        dir.path(),
    );
    assert!(
        out.contains("2 run(s) were recorded with native CPU kernels; this run uses reproducible"),
        "{out}"
    );
    for f in run_files(&dir.path().join("results/mk")) {
        assert_eq!(json(&f)["cpu"]["kernels"], "reproducible");
    }
}
