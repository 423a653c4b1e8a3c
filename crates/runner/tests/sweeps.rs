//! Sweeps through the built binary on tiny two-moons configs: plan / run --index / summarize,
//! resume after a kill, and `check` passing on a rerun and failing when star is swapped for sum.

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
        .filter(|n| n.ends_with(".tmp"))
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
fn check_passes_on_rerun_and_fails_when_star_becomes_sum() {
    let dir = tempfile::tempdir().unwrap();
    // The reference recipe (30 epochs, width 100, depth 4) where star beats sum clearly.
    let body = r#"[experiment]
name = "c"
kind = "moons"

[train]
threads = 1

[sweep]
mode = ["star"]
"train.seed" = [0, 1]

[output]
check = { best_train_top1 = 0.02, best_eval_top1 = 0.02 }
"#;
    let cfg = write(dir.path(), "c.toml", body);
    let results = dir.path().join("results/c");
    ok(&["run", cfg.to_str().unwrap()], dir.path());

    let out = ok(&["check", results.to_str().unwrap()], dir.path());
    assert!(out.contains("check passed"), "{out}");

    let o = run(
        &["check", results.to_str().unwrap(), "--override", "model.mode=sum"],
        dir.path(),
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "sabotaged check must fail:\n{out}");
    assert!(
        out.contains("REGRESSION") && out.contains("best_train_top1"),
        "{out}"
    );

    // --fresh compares with a folder given by hand: the committed one against itself passes.
    let out = ok(
        &[
            "check",
            results.to_str().unwrap(),
            "--fresh",
            results.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.contains("check passed"), "{out}");
}
