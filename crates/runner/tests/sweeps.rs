//! Sweeps through the built binary on tiny two-moons configs: plan / run --index / summarize,
//! resume after a kill, and `check` passing on a rerun and failing when the code is sabotaged.

mod common;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn plan_then_single_indices_then_summarize() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "s.toml",
        &moons_config("s", 1, &[0, 1], &["sum", "star"], "best_eval_top1 = 0.01"),
    );
    let cfg = cfg.to_str().unwrap();
    let results = dir.path().join("results/s");

    let plan = ok(&["plan", cfg], dir.path());
    let ids: Vec<String> = plan
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4, "{plan}");
    // Grid order: the last axis (seed) varies fastest.
    assert!(
        plan.lines().nth(2).unwrap().ends_with("mode=sum train.seed=0"),
        "{plan}"
    );
    assert!(
        plan.lines().nth(3).unwrap().ends_with("mode=sum train.seed=1"),
        "{plan}"
    );

    ok(&["run", cfg, "--index", "2"], dir.path());
    let files = run_files(&results);
    assert_eq!(files, vec![results.join("runs").join(format!("{}.json", ids[2]))]);
    let record = json(&files[0]);
    assert_eq!(record["point"]["mode"], "star");
    assert_eq!(record["config"]["model"]["mode"], "star");
    assert_eq!(record["index"], 2);
    for key in [
        "started_at",
        "wall_s",
        "device",
        "threads",
        "versions",
        "git",
        "outcome",
    ] {
        assert!(record.get(key).is_some(), "record lacks {key}: {record}");
    }
    assert_eq!(
        record["versions"]["libtorch"].as_str().unwrap().split('+').next(),
        Some("2.11.0")
    );
    assert!(plan.contains("pending") && !plan.contains("done "));
    assert!(
        ok(&["plan", cfg], dir.path())
            .lines()
            .nth(4)
            .unwrap()
            .contains("done")
    );

    // Summarize with one run: a point with n = 1, the others missing.
    let out = ok(&["summarize", results.to_str().unwrap()], dir.path());
    assert!(out.contains("missing runs"), "{out}");
    for i in [0, 1, 3] {
        ok(&["run", cfg, "--index", &i.to_string()], dir.path());
    }
    ok(&["summarize", results.to_str().unwrap()], dir.path());
    let summary = json(&results.join("summary.json"));
    let entries = summary["points"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{summary}");
    // Seeds are averaged: each point is just its mode, with n = 2.
    let points: Vec<&serde_json::Value> = entries.iter().map(|e| &e["point"]).collect();
    assert_eq!(
        points,
        vec![
            &serde_json::json!({"mode": "sum"}),
            &serde_json::json!({"mode": "star"})
        ]
    );
    // The mean is the mean of the two runs' own numbers.
    let per_run: Vec<f64> = run_files(&results)
        .iter()
        .map(|p| json(p))
        .filter(|r| r["point"]["mode"] == "star")
        .map(|r| r["outcome"]["best"]["eval_top1"].as_f64().unwrap())
        .collect();
    let star = &entries[1]["metrics"]["best_eval_top1"];
    assert_eq!(star["n"], 2);
    assert!((star["mean"].as_f64().unwrap() - (per_run[0] + per_run[1]) / 2.0).abs() < 1e-12);
    assert!(results.join("curves.png").is_file() && results.join("curves.svg").is_file());
    assert!(results.join("config.toml").is_file());
}

#[test]
fn killed_sweep_resumes_and_runs_each_point_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "k.toml",
        &moons_config(
            "k",
            20,
            &[0, 1, 2, 3, 4, 5, 6, 7],
            &["sum", "star"],
            "best_eval_top1 = 0.01",
        ),
    );
    let cfg = cfg.to_str().unwrap();
    let results = dir.path().join("results/k");

    let mut child = runner()
        .args(["run", cfg])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while run_files(&results).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no run finished in 2 minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before the first record was seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before: BTreeMap<_, _> = run_files(&results)
        .iter()
        .map(|p| (p.clone(), json(p)["started_at"].clone()))
        .collect();
    assert!(
        !before.is_empty() && before.len() < 16,
        "the kill must land mid-sweep ({} of 16 done)",
        before.len()
    );

    // A half-written record (as if the kill hit a non-atomic write) is redone, not trusted.
    let plan = ok(&["plan", cfg, "--json"], dir.path());
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let pending: Vec<String> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .filter(|id| !before.contains_key(&results.join("runs").join(format!("{id}.json"))))
        .collect();
    let torn = results.join("runs").join(format!("{}.json", pending[0]));
    std::fs::write(&torn, "{\"schema\": 1, \"id\": ").unwrap();

    let out = ok(&["run", cfg], dir.path());
    let after = run_files(&results);
    assert_eq!(after.len(), 16, "{out}");
    // ... but never silently: it is named, and kept aside rather than overwritten.
    assert!(
        out.contains(&pending[0]) && out.contains("cannot be used"),
        "{out}"
    );
    let aside: Vec<_> = std::fs::read_dir(results.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".json.unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1, "{out}");
    assert_eq!(
        std::fs::read_to_string(&aside[0]).unwrap(),
        "{\"schema\": 1, \"id\": "
    );
    for (path, started) in &before {
        assert_eq!(&json(path)["started_at"], started, "{} was rerun", path.display());
    }
    assert!(
        json(&torn)["outcome"]["best"]["eval_top1"].is_number(),
        "the torn record was redone"
    );
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(results.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".tmp-") || n.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A third invocation runs nothing; --force reruns everything.
    let stamps: Vec<_> = after.iter().map(|p| json(p)["started_at"].clone()).collect();
    ok(&["run", cfg], dir.path());
    assert_eq!(
        stamps,
        after
            .iter()
            .map(|p| json(p)["started_at"].clone())
            .collect::<Vec<_>>()
    );
    let first = results
        .join("runs")
        .join(format!("{}.json", plan[0]["id"].as_str().unwrap()));
    ok(&["run", cfg, "--force", "--index", "0"], dir.path());
    assert_ne!(
        json(&first)["started_at"],
        stamps[after.iter().position(|p| *p == first).unwrap()]
    );
}

#[test]
fn check_passes_on_rerun_and_fails_when_the_code_changes() {
    let dir = tempfile::tempdir().unwrap();
    // The reference recipe (30 epochs, width 100, depth 4); `check` reads configs/<name>.toml.
    let body = r#"[experiment]
name = "c"
kind = "moons"

[train]
threads = 1

[sweep]
mode = ["sum", "star"]
"train.seed" = [0, 1]

[output]
check = { eval_loss = 1e-4 }
"#;
    std::fs::create_dir(dir.path().join("configs")).unwrap();
    let cfg = write(&dir.path().join("configs"), "c.toml", body);
    let results = dir.path().join("results/c");
    ok(&["run", cfg.to_str().unwrap()], dir.path());
    let r = results.to_str().unwrap();

    let out = ok(&["check", r], dir.path());
    assert!(
        out.contains("check passed: ") && out.contains("of 4 runs agree"),
        "{out}"
    );
    assert!(out.contains("4 compared exactly"), "{out}");

    // A code change that keeps every run id: the star computed as a sum (test-only fault).
    let o = runner()
        .args(["check", r])
        .env(faults::ENV, "star_to_sum")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "sabotaged check must fail:\n{out}");
    assert!(out.contains("check FAILED") && out.contains("mode=star"), "{out}");
    // Difference rows name their run; the per-run "how compared" lines end the label with "): ".
    let sum_rows = out
        .lines()
        .filter(|l| l.contains("(mode=sum") && !l.contains("): "))
        .count();
    assert_eq!(sum_rows, 0, "the sum runs are unchanged:\n{out}");

    // --fresh compares with runs made elsewhere: a copy with one value changed fails.
    let fresh = dir.path().join("fresh");
    ok(
        &["run", cfg.to_str().unwrap(), "--results", fresh.to_str().unwrap()],
        dir.path(),
    );
    let one = run_files(&fresh).remove(0);
    let mut rec = json(&one);
    let v = rec["outcome"]["best"]["eval_top1"].as_f64().unwrap();
    rec["outcome"]["best"]["eval_top1"] = serde_json::json!(v - 0.01);
    std::fs::write(&one, serde_json::to_string(&rec).unwrap()).unwrap();
    let o = run(&["check", r, "--fresh", fresh.to_str().unwrap()], dir.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("best.eval_top1") && out.contains("1 difference(s)"),
        "{out}"
    );

    // A committed folder missing a run fails, naming it.
    std::fs::remove_file(run_files(&results).remove(0)).unwrap();
    let o = run(&["check", r, "--fresh", fresh.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("committed record") && text(&o).contains("missing"),
        "{}",
        text(&o)
    );
}

/// Each sabotage of the code path, none of which changes a run id, fails the checks CI runs on
/// the shipped regression configs (moons, and the image path with DemoNet and StarNet).
#[test]
fn ci_regression_checks_catch_each_sabotage() {
    let dir = tempfile::tempdir().unwrap();
    let configs = dir.path().join("configs");
    std::fs::create_dir(&configs).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(repo.join("configs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name.starts_with("ci_regression") {
            std::fs::copy(&path, configs.join(format!("{name}.toml"))).unwrap();
            names.push(name);
        }
    }
    names.sort();
    assert_eq!(names, ["ci_regression", "ci_regression_image"]);
    for name in &names {
        ok(
            &["run", &format!("configs/{name}.toml"), "--no-plots"],
            dir.path(),
        );
        let out = ok(&["check", &format!("results/{name}")], dir.path());
        assert!(out.contains("check passed"), "{name}: {out}");
    }
    let image = json(&run_files(&dir.path().join("results/ci_regression_image"))[0]);
    assert!(
        image["config"]["train"]["warmup_epochs"].as_u64().unwrap() > 0,
        "warm-up must be on to be switched off"
    );
    for (fault, folders) in [
        ("star_to_sum", &names[..]),
        ("init_scale", &names[..]),
        ("drop_image", &names[..]),
        ("no_warmup", &names[1..]),
    ] {
        for name in folders {
            let o = runner()
                .args(["check", &format!("results/{name}")])
                .env(faults::ENV, fault)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let out = text(&o);
            assert_eq!(
                o.status.code(),
                Some(1),
                "{fault} must fail the check of {name}:\n{out}"
            );
            assert!(out.contains("check FAILED"), "{fault}, {name}: {out}");
        }
    }
}

/// A record made by other code (another fingerprint) is rerun, or kept with --reuse-stale and
/// then marked; `summarize` flags mixed fingerprints and dirty trees.
#[test]
fn stale_records_are_rerun_or_kept_marked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "st.toml",
        &moons_config("st", 1, &[0, 1], &["star"], "eval_loss = 1e-4"),
    );
    let cfg = cfg.to_str().unwrap();
    let results = dir.path().join("results/st");
    ok(&["run", cfg], dir.path());
    let files = run_files(&results);
    let first = json(&files[0]);
    let fingerprint = first["code_fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16, "{first}");
    assert!(first["cpu"]["isa"].is_string() && first["cpu"]["cores"].as_u64().unwrap() >= 1);
    assert!(first["git"]["rev"].is_string());

    // Pretend run 0 was made by other code, and run 1 from a dirty tree.
    let mut old = first.clone();
    old["code_fingerprint"] = serde_json::json!("00000000deadbeef");
    // Explicit, so the test does not depend on whether this checkout has uncommitted changes.
    old["git"]["dirty"] = serde_json::json!(false);
    std::fs::write(&files[0], serde_json::to_string(&old).unwrap()).unwrap();
    let mut dirty = json(&files[1]);
    dirty["git"]["dirty"] = serde_json::json!(true);
    std::fs::write(&files[1], serde_json::to_string(&dirty).unwrap()).unwrap();

    let out = ok(&["summarize", results.to_str().unwrap()], dir.path());
    assert!(
        out.contains("mix 2 code fingerprints") && out.contains("00000000deadbeef"),
        "{out}"
    );
    assert!(out.contains("uncommitted changes"), "{out}");

    let out = ok(&["run", cfg, "--reuse-stale"], dir.path());
    assert!(
        out.contains("1 run(s) are stale") && out.contains("--reuse-stale"),
        "{out}"
    );
    assert_eq!(json(&files[0])["started_at"], first["started_at"], "kept");
    let summary = json(&results.join("summary.json"))["points"].clone();
    assert_eq!(summary[0]["stale_runs"], 1, "{summary}");
    assert_eq!(summary[0]["dirty_runs"], 1, "{summary}");

    let out = ok(&["run", cfg], dir.path());
    assert!(
        out.contains("1 run(s) are stale") && out.contains("rerunning"),
        "{out}"
    );
    let redone = json(&files[0]);
    assert_eq!(redone["code_fingerprint"].as_str(), Some(fingerprint.as_str()));
    assert_ne!(redone["started_at"], first["started_at"]);
    // Same code, same numbers.
    for m in ["eval_loss", "eval_top1", "train_loss", "train_top1"] {
        assert_eq!(redone["outcome"]["best"][m], first["outcome"]["best"][m], "{m}");
    }
    let points = json(&results.join("summary.json"))["points"].clone();
    assert!(
        points[0].is_object() && points[0].get("stale_runs").is_none(),
        "{points}"
    );
}

/// --override writes only where asked, and runs that an override makes identical run once.
#[test]
fn overrides_need_their_own_folder_and_duplicates_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "o.toml",
        &moons_config("o", 1, &[0], &["sum", "star"], "eval_loss = 1e-4"),
    );
    let cfg = cfg.to_str().unwrap();
    let o = run(&["run", cfg, "--override", "model.mode=star"], dir.path());
    assert_eq!(o.status.code(), Some(101), "{}", text(&o));
    assert!(text(&o).contains("--results DIR"), "{}", text(&o));
    assert!(!dir.path().join("results/o").exists());

    let out = ok(
        &["run", cfg, "--override", "model.mode=star", "--results", "alt"],
        dir.path(),
    );
    assert!(out.contains("same config as an earlier run"), "{out}");
    assert_eq!(run_files(&dir.path().join("alt")).len(), 1, "{out}");
}
