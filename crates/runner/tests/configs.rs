//! The shipped configs and the sweep features they use: every file under `configs/` (and
//! `configs/gpu/`) plans without error, `[[sweep.extra]]` points run beside the grid, and
//! `--jobs 2` gives the same results as one run at a time.

mod common;
use std::path::{Path, PathBuf};

use common::*;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn shipped_configs() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["configs", "configs/gpu"] {
        for entry in std::fs::read_dir(workspace().join(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                all.push(p);
            }
        }
    }
    all.sort();
    all
}

/// Lines of `runner plan` that list a run (after the two header lines).
fn plan_rows(plan: &str) -> Vec<&str> {
    plan.lines().skip(2).filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn every_shipped_config_plans() {
    let configs = shipped_configs();
    let names: Vec<String> = configs
        .iter()
        .map(|p| p.strip_prefix(workspace()).unwrap().display().to_string())
        .collect();
    for expected in [
        "configs/demonet_width.toml",
        "configs/demonet_depth.toml",
        "configs/demonet_noact.toml",
        "configs/moons_2d.toml",
        "configs/implicit_dim.toml",
        "configs/starnet_ablation.toml",
        "configs/starnet_latency.toml",
        "configs/ci_regression.toml",
        "configs/gpu/demonet_width.toml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for config in &configs {
        let out = ok(&["plan", config.to_str().unwrap()], dir.path());
        assert!(
            !plan_rows(&out).is_empty(),
            "{}: no runs\n{out}",
            config.display()
        );
    }
}

#[test]
fn extra_points_follow_the_grid_once_per_seed() {
    let noact = workspace().join("configs/demonet_noact.toml");
    let dir = tempfile::tempdir().unwrap();
    let plan = ok(&["plan", noact.to_str().unwrap()], dir.path());
    let rows = plan_rows(&plan);
    // 2 modes x 2 activations x 5 seeds, then the linear baseline for each seed.
    assert_eq!(rows.len(), 25, "{plan}");
    for seed in 0..5 {
        assert!(
            rows[20 + seed].ends_with(&format!("extra=linear train.seed={seed}")),
            "{plan}"
        );
    }
    assert!(rows[..20].iter().all(|r| !r.contains("extra=")), "{plan}");
}

#[test]
fn bad_extra_points_are_errors_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = moons_config("x", 1, &[0], &["sum", "star"], "best_eval_top1 = 0.01");
    for (extra, expected) in [
        ("[[sweep.extra]]\n\"model.act\" = \"none\"\n", "needs a `label`"),
        (
            "[[sweep.extra]]\nlabel = \"a\"\n\"model.nope\" = 1\n",
            "no field `model.nope`",
        ),
        (
            "[[sweep.extra]]\nlabel = \"a\"\n\"model.act\" = \"tanh\"\n",
            "unknown variant `tanh`",
        ),
    ] {
        // Extras belong to [sweep]: insert them before [output].
        let text = base.replace("[output]", &format!("{extra}\n[output]"));
        let cfg = write(dir.path(), "x.toml", &text);
        let o = run(&["plan", cfg.to_str().unwrap()], dir.path());
        let msg = text_of(&o);
        assert!(!o.status.success(), "{extra}: accepted\n{msg}");
        assert!(
            msg.contains(expected) && msg.contains("x.toml:"),
            "{extra}: {msg}"
        );
        assert!(!msg.contains("panicked"), "{msg}");
    }
}

/// Metrics minus the wall-clock ones (`img_per_s`, `train_s`), which differ between any two runs.
fn without_timings(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "img_per_s" | "train_s"))
                .map(|(k, v)| (k.clone(), without_timings(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => items.iter().map(without_timings).collect(),
        other => other.clone(),
    }
}

fn text_of(o: &std::process::Output) -> String {
    common::text(o)
}

/// Two moons with an extra point, run with `--jobs 2` and with `--jobs 1`: the same runs, each
/// once, with identical metrics (runs are deterministic for a seed and a thread count; the config
/// pins one thread per run), and a bar plot because no swept axis is numeric.
#[test]
fn jobs_two_matches_jobs_one_and_extras_are_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let text = moons_config("j", 3, &[0, 1], &["sum", "star"], "best_eval_top1 = 0.01").replace(
        "[output]",
        "[[sweep.extra]]\nlabel = \"star, no act\"\n\"model.mode\" = \"star\"\n\"model.act\" = \"none\"\n\n[output]",
    );
    let cfg = write(dir.path(), "j.toml", &text);
    let cfg = cfg.to_str().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    ok(
        &["run", cfg, "--jobs", "2", "--results", a.to_str().unwrap()],
        dir.path(),
    );
    ok(
        &["run", cfg, "--jobs", "1", "--results", b.to_str().unwrap()],
        dir.path(),
    );

    let runs_a = run_files(&a);
    assert_eq!(runs_a.len(), 6, "{runs_a:?}");
    let names = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&runs_a), names(&run_files(&b)));
    for p in &runs_a {
        let ra = json(p);
        let rb = json(&b.join("runs").join(p.file_name().unwrap()));
        for key in ["best", "final", "epochs"] {
            assert_eq!(
                without_timings(&ra["outcome"][key]),
                without_timings(&rb["outcome"][key]),
                "{key} of {}",
                p.display()
            );
        }
    }

    let summary = json(&a.join("summary.json"));
    let entries = summary["points"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{summary}");
    let extra = entries
        .iter()
        .find(|e| e["point"] == serde_json::json!({"extra": "star, no act"}))
        .unwrap_or_else(|| panic!("no extra point in {summary}"));
    assert_eq!(extra["metrics"]["best_train_top1"]["n"], 2);
    let record = runs_a
        .iter()
        .map(|p| json(p))
        .find(|r| r["point"]["extra"] == "star, no act")
        .unwrap();
    assert_eq!(record["config"]["model"]["act"], "none");
    assert!(a.join("best_train_top1_dots.png").is_file() && a.join("best_train_top1_dots.svg").is_file());
}

/// The JSON paths at which two resolved configs differ.
fn differing_paths(a: &serde_json::Value, b: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let null = serde_json::Value::Null;
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                differing_paths(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), &path, out);
            }
        }
        _ if a != b => out.push(at.to_string()),
        _ => {}
    }
}

/// The budget sweep and its 42-epoch arm: the grid they promise, and every run pairs with its
/// twin at another budget (and with its sum/star twin): their resolved configs differ in that
/// one field, so the training subset, validation split and initial weights, which the train
/// kind draws from `[data]`, `[model]` and `train.seed` alone, are the same.
#[test]
fn the_budget_sweeps_pair_each_run_with_its_twin_at_every_budget() {
    for (file, widths, budgets, extras) in [
        ("configs/demonet_budget.toml", &[8, 16, 32, 64][..], [7, 21], 2),
        ("configs/demonet_budget_long.toml", &[8, 16][..], [21, 42], 0),
    ] {
        let exp = config::Experiment::load(&workspace().join(file)).unwrap();
        let plan = sweep::plan(&exp).unwrap();
        let grid = widths.len() * 2 * 2 * 5;
        assert_eq!(plan.len(), grid + extras * 5, "{file}");
        let cfg = |i: usize| plan[i].config.to_json();
        let find = |width: i64, epochs: i64, mode: &str, seed: i64| {
            plan.iter()
                .position(|s| {
                    s.point.get("width") == Some(&width.into())
                        && s.point["train.epochs"] == epochs
                        && s.point["mode"] == mode
                        && s.point["train.seed"] == seed
                })
                .unwrap_or_else(|| panic!("{file}: no run width {width} epochs {epochs} {mode} seed {seed}"))
        };
        for &w in widths {
            for seed in 0..5 {
                for mode in ["sum", "star"] {
                    let (a, b) = (find(w, budgets[0], mode, seed), find(w, budgets[1], mode, seed));
                    let mut diff = Vec::new();
                    differing_paths(&cfg(a), &cfg(b), "", &mut diff);
                    assert_eq!(diff, ["train.epochs"], "{file} width {w} {mode} seed {seed}");
                    assert_eq!(cfg(a)["data"]["seed"], "train");
                }
                let (sum, star) = (
                    find(w, budgets[1], "sum", seed),
                    find(w, budgets[1], "star", seed),
                );
                let mut diff = Vec::new();
                differing_paths(&cfg(sum), &cfg(star), "", &mut diff);
                assert_eq!(diff, ["model.mode"], "{file} width {w} seed {seed}");
            }
        }
        // the linear classifier at each budget, once per seed
        for (i, budget) in budgets.iter().enumerate().take(extras) {
            for seed in 0..5 {
                let s = &plan[grid + i * 5 + seed as usize];
                assert_eq!(s.point["extra"], format!("linear, {budget} epochs"), "{file}");
                assert_eq!(s.config.to_json()["train"]["epochs"], *budget);
                assert_eq!(s.point["train.seed"], seed);
            }
        }
    }
    // The 7-epoch DemoNet runs are the main job's runs (same resolved configs, same ids).
    let load = |f: &str| sweep::plan(&config::Experiment::load(&workspace().join(f)).unwrap()).unwrap();
    let main: Vec<String> = load("configs/demonet_width.toml")
        .into_iter()
        .filter(|s| !s.point.contains_key("extra"))
        .map(|s| s.id)
        .collect();
    let short: Vec<String> = load("configs/demonet_budget.toml")
        .into_iter()
        .filter(|s| s.point.get("train.epochs") == Some(&7.into()))
        .map(|s| s.id)
        .collect();
    let mut sorted = (main.clone(), short.clone());
    sorted.0.sort();
    sorted.1.sort();
    assert_eq!(sorted.0, sorted.1);
    assert_eq!(main.len(), 40);
}
