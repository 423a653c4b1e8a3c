//! Fault injection through the real binary: kill -9 during a summary write, two sweeps on one
//! folder, a read-only folder, a full disk, a NaN loss, a panicking run among good ones. Each
//! asserts that nothing finished is lost and that the error names its cause. (kill -9 during a
//! sweep: `sweeps.rs`, `killed_sweep_resumes_and_runs_each_point_once`.) Ctrl-C mid-run: a checkpoint,
//! exit 130 and a bit-identical resume.
//!
//! The file-system faults use a size-limited or read-only tmpfs where the test may mount one (as
//! root); elsewhere they fall back to a write permission (read-only) or an injected ENOSPC
//! (`STARLAB_FAULTS=write_error=...`, compiled into test builds only).

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, options: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = is_root()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", options, "tmpfs"])
                .arg(at)
                .status()
                .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let s = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(s.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "waited 2 minutes for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn kill_during_a_summary_write_leaves_the_old_summary_whole() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "s.toml",
        &moons_config("s", 1, &[0, 1], &["sum", "star"], "eval_loss = 0"),
    );
    let results = dir.path().join("results/s");
    ok(&["run", cfg.to_str().unwrap(), "--index", "0"], dir.path());
    ok(&["summarize", results.to_str().unwrap()], dir.path());
    let before = std::fs::read_to_string(results.join("summary.json")).unwrap();
    for i in 1..4 {
        ok(
            &["run", cfg.to_str().unwrap(), "--index", &i.to_string()],
            dir.path(),
        );
    }
    // The summary write pauses between its temporary file and the rename: kill it there.
    let mut child = runner()
        .args(["summarize", results.to_str().unwrap()])
        .env(faults::ENV, "pause_before_rename=summary.json")
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    wait_for("the summary's temporary file", || {
        names(&results)
            .iter()
            .any(|n| n.starts_with(".tmp-") && n.ends_with("summary.json"))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(results.join("summary.json")).unwrap(),
        before
    );
    assert_eq!(run_files(&results).len(), 4);

    // The next write cleans the dead process's temporary file and completes the summary.
    ok(&["summarize", results.to_str().unwrap()], dir.path());
    assert!(
        !names(&results).iter().any(|n| n.starts_with(".tmp-")),
        "{:?}",
        names(&results)
    );
    let summary = json(&results.join("summary.json"))["points"].clone();
    assert_eq!(summary[0]["metrics"]["best_eval_top1"]["n"], 2, "{summary}");
}

#[test]
fn two_sweeps_on_one_folder_run_each_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "c.toml",
        &moons_config("c", 3, &[0, 1, 2, 3], &["sum", "star"], "eval_loss = 0"),
    );
    let spawn = || {
        runner()
            .args(["run", cfg.to_str().unwrap(), "--no-plots"])
            .env("RUNNER_LOG", "info")
            .current_dir(dir.path())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (ta, tb) = (text(&a), text(&b));
    assert!(a.status.success() && b.status.success(), "{ta}\n---\n{tb}");
    // Each process logs "run I [...] done" for the runs it made: together, each run once.
    let done = |t: &str| {
        t.lines()
            .filter(|l| l.contains("]: done: "))
            .map(|l| {
                l.split(" [")
                    .next()
                    .unwrap()
                    .split("run ")
                    .last()
                    .unwrap()
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    let mut all = done(&ta);
    all.extend(done(&tb));
    all.sort();
    assert_eq!(all.len(), 8, "{ta}\n---\n{tb}");
    all.dedup();
    assert_eq!(all.len(), 8, "a run was made twice:\n{ta}\n---\n{tb}");
    let results = dir.path().join("results/c");
    assert_eq!(run_files(&results).len(), 8);
    let summary = json(&results.join("summary.json"))["points"].clone();
    for entry in summary.as_array().unwrap() {
        assert_eq!(entry["metrics"]["best_eval_top1"]["n"], 4, "{summary}");
    }
}

#[test]
fn a_read_only_results_folder_is_named_and_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "r.toml",
        &moons_config("r", 1, &[0, 1], &["star"], "eval_loss = 0"),
    );
    let mount = dir.path().join("mnt");
    let tmpfs = Tmpfs::mount(&mount, "size=16m");
    let results = mount.join("r");
    let r = results.to_str().unwrap();
    ok(
        &["run", cfg.to_str().unwrap(), "--results", r, "--index", "0"],
        dir.path(),
    );
    let record = std::fs::read(&run_files(&results)[0]).unwrap();
    let made_read_only = match &tmpfs {
        Some(t) => {
            t.remount("ro");
            true
        }
        // Without root a folder without write permission is read-only for us.
        None if !is_root() => {
            use std::os::unix::fs::PermissionsExt;
            for d in [&results, &results.join("runs")] {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
            }
            true
        }
        None => false,
    };
    assert!(
        made_read_only,
        "root without mount(8): cannot make a read-only folder here"
    );
    let o = run(&["run", cfg.to_str().unwrap(), "--results", r], dir.path());
    let out = text(&o);
    // Run 1 cannot be run (exit status 1: one failed run) and the summary cannot be written.
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("summary could not be written"), "{out}");
    assert!(
        out.contains("Read-only file system") || out.contains("Permission denied"),
        "the cause must be named:\n{out}"
    );
    assert!(out.contains(r), "the folder must be named:\n{out}");
    assert_eq!(std::fs::read(&run_files(&results)[0]).unwrap(), record);
    if let Some(t) = &tmpfs {
        t.remount("rw");
    }
}

#[test]
fn a_full_disk_fails_the_run_by_name_and_keeps_the_finished_record() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "f.toml",
        &moons_config("f", 1, &[0], &["star"], "eval_loss = 0"),
    );
    let mount = dir.path().join("mnt");
    let tmpfs = Tmpfs::mount(&mount, "size=2m");
    let results = mount.join("f");
    let r = results.to_str().unwrap();
    ok(
        &["run", cfg.to_str().unwrap(), "--results", r, "--no-plots"],
        dir.path(),
    );
    let record = std::fs::read(&run_files(&results)[0]).unwrap();
    let mut rerun = runner();
    rerun
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--results",
            r,
            "--force",
            "--no-plots",
        ])
        .current_dir(dir.path());
    if tmpfs.is_some() {
        // Fill the disk: what is left cannot hold a record.
        let filler = mount.join("filler");
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", filler.display()))
            .output();
    } else {
        rerun.env(faults::ENV, "write_error=.json");
    }
    let o = rerun.output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "one run failed:\n{out}");
    assert!(
        out.contains("No space left on device") && out.contains("FAILED"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&run_files(&results)[0]).unwrap(),
        record,
        "the finished record survives"
    );
    let temps: Vec<_> = names(&results.join("runs"))
        .into_iter()
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn a_nan_loss_is_a_result_that_parses_and_is_not_redone() {
    let dir = tempfile::tempdir().unwrap();
    // Run 1 diverges at once (lr 1e30), run 0 beside it trains.
    let body = moons_config("n", 3, &[0], &["star"], "eval_loss = 0")
        .replace("threads = 1", "threads = 1\ngrad_clip = 1e30")
        .replace("[sweep]\n", "[sweep]\n\"train.lr\" = [0.1, 1e30]\n");
    let cfg = write(dir.path(), "n.toml", &body);
    let results = dir.path().join("results/n");
    let out = ok(&["run", cfg.to_str().unwrap()], dir.path());
    let plan: serde_json::Value =
        serde_json::from_str(&ok(&["plan", cfg.to_str().unwrap(), "--json"], dir.path())).unwrap();
    let path = &results
        .join("runs")
        .join(format!("{}.json", plan[1]["id"].as_str().unwrap()));
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("\"NaN\""), "non-finite values are explicit: {text}");
    let record = json(path);
    assert_eq!(record["status"], "stopped", "{out}");
    assert!(
        record["outcome"]["stopped"]
            .as_str()
            .unwrap()
            .contains("loss became"),
        "{record}"
    );
    // The run is in the summary, its NaN stated as such.
    let summary = json(&results.join("summary.json"))["points"].clone();
    assert_eq!(
        summary[1]["metrics"]["final_train_loss"]["mean"], "NaN",
        "{summary}"
    );
    assert_eq!(summary[1]["metrics"]["wall_s"]["n"], 1, "{summary}");
    assert!(
        summary[0]["metrics"]["final_train_loss"]["mean"].is_number(),
        "{summary}"
    );
    let again = ok(&["run", cfg.to_str().unwrap()], dir.path());
    assert!(again.contains("results:"), "{again}");
    assert_eq!(json(path)["started_at"], record["started_at"], "not redone");
}

#[test]
fn a_panicking_run_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "p.toml",
        &moons_config("p", 2, &[0, 1], &["sum", "star"], "eval_loss = 0"),
    );
    let results = dir.path().join("results/p");
    let o = runner()
        .args(["run", cfg.to_str().unwrap(), "--jobs", "2"])
        .env(faults::ENV, "panic_index=1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "exit status = failed runs:\n{out}");
    assert!(out.contains("run 1") && out.contains("injected panic"), "{out}");
    let records: Vec<_> = run_files(&results).iter().map(|p| json(p)).collect();
    assert_eq!(records.len(), 4);
    let failed: Vec<_> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["index"], 1);
    assert!(failed[0]["error"].as_str().unwrap().contains("injected panic"));
    // The summary and plots went on, without the failed run.
    let summary = json(&results.join("summary.json"))["points"].clone();
    assert_eq!(summary[0]["metrics"]["best_eval_top1"]["n"], 1, "{summary}");
    assert_eq!(summary[1]["metrics"]["best_eval_top1"]["n"], 2, "{summary}");
    assert!(results.join("curves.png").is_file());

    // The next run redoes only the failed one.
    let stamps: Vec<_> = records.iter().map(|r| r["started_at"].clone()).collect();
    let out = ok(&["run", cfg.to_str().unwrap()], dir.path());
    assert!(out.contains("failed before"), "{out}");
    let after: Vec<_> = run_files(&results).iter().map(|p| json(p)).collect();
    for (i, r) in after.iter().enumerate() {
        assert_eq!(r["status"], "complete");
        assert_eq!(r["started_at"] == stamps[i], r["index"] != 1, "{r}");
    }
}

/// The numbers of a record without timings (they differ between any two runs).
fn numbers(record: &serde_json::Value) -> serde_json::Value {
    let strip = |m: &serde_json::Value| {
        let mut m = m.clone();
        if let Some(o) = m.as_object_mut() {
            o.retain(|k, _| !k.ends_with("_s") && !k.contains("per_s"));
        }
        m
    };
    let o = &record["outcome"];
    serde_json::json!({
        "epochs": o["epochs"].as_array().unwrap().iter().map(strip).collect::<Vec<_>>(),
        "final": strip(&o["final"]),
        "best": strip(&o["best"]),
        "other": o["other"],
        "status": record["status"],
    })
}

#[test]
fn a_run_killed_mid_epoch_resumes_from_its_checkpoint_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let body = moons_config("k", 40, &[0], &["star"], "eval_loss = 0")
        .replace("[train]\n", "[train]\ncheckpoint_every = 2\n")
        .replace("[model]\n", "[data]\nmoons_samples = 1000\n\n[model]\n");
    let (cfg, whole, id) = uninterrupted(dir.path(), "k.toml", &body);
    let cfg = cfg.to_str().unwrap();

    let cut = dir.path().join("cut");
    let ckpt = cut.join("runs").join(format!("{id}.ckpt"));
    let mut child = runner()
        .args(["run", cfg, "--results", "cut", "--no-plots"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    wait_for("the fourth epoch's checkpoint", || {
        ckpt.join("epoch_0004.safetensors").is_file()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        run_files(&cut).is_empty(),
        "the kill came too late: the run had finished"
    );

    let out = ok_with_env(
        &["run", cfg, "--results", "cut", "--no-plots"],
        dir.path(),
        "info",
    );
    assert!(out.contains("resuming from") && out.contains(".ckpt"), "{out}");
    let resumed = json(&run_files(&cut)[0]);
    assert_eq!(numbers(&resumed), numbers(&whole));
    assert!(
        !ckpt.exists(),
        "checkpoints are removed once the record is written"
    );
}

/// Writes config `name` and runs it to the end into `whole/`: the config's path, the record, its id.
fn uninterrupted(dir: &Path, name: &str, body: &str) -> (PathBuf, serde_json::Value, String) {
    let cfg = write(dir, name, body);
    ok(
        &["run", cfg.to_str().unwrap(), "--results", "whole", "--no-plots"],
        dir,
    );
    let whole = json(&run_files(&dir.join("whole"))[0]);
    let id = whole["id"].as_str().unwrap().to_string();
    (cfg, whole, id)
}

fn ok_with_env(args: &[&str], dir: &Path, log: &str) -> String {
    let o = runner()
        .args(args)
        .env("RUNNER_LOG", log)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

#[test]
fn ctrl_c_stops_a_run_after_its_step_and_a_rerun_resumes_bit_identical() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // No `checkpoint_every`: the Ctrl-C checkpoint does not depend on it.
    let body = moons_config("c", 150, &[0], &["star"], "eval_loss = 0")
        .replace("[model]\n", "[data]\nmoons_samples = 1000\n\n[model]\n");
    let (cfg, whole, id) = uninterrupted(dir.path(), "c.toml", &body);
    let cfg = cfg.to_str().unwrap();

    let cut = dir.path().join("cut");
    let mut child = runner()
        .args(["run", cfg, "--results", "cut", "--no-plots"])
        .env("RUNNER_LOG", "info")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut out = String::new();
    while !out.contains("epoch 2/150") {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no second epoch within 2 minutes:\n{out}"));
        out += &(line + "\n");
    }
    // SAFETY: kill has no memory preconditions; the pid is our child's, still running.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    out.extend(rx.try_iter().map(|l| l + "\n"));
    assert_eq!(status.code(), Some(130), "{out}");
    let ckpt = cut.join("runs").join(format!("{id}.ckpt"));
    assert!(ckpt.join("interrupted.safetensors").is_file(), "{out}");
    assert!(
        run_files(&cut).is_empty(),
        "an interrupted run has no record:\n{out}"
    );
    assert!(
        out.contains(&format!("run 0 ({id}): interrupted after step"))
            && out.contains("run the same command again"),
        "{out}"
    );
    assert!(cut.join("summary.json").is_file(), "the summary is still written");

    let out = ok_with_env(
        &["run", cfg, "--results", "cut", "--no-plots"],
        dir.path(),
        "info",
    );
    assert!(
        out.contains("resuming from") && out.contains("interrupted.safetensors"),
        "{out}"
    );
    let resumed = json(&run_files(&cut)[0]);
    assert_eq!(numbers(&resumed), numbers(&whole));
    assert!(
        !ckpt.exists(),
        "checkpoints are removed once the record is written"
    );
}
