//! The event files `runner run` writes while runs train (`<results>/tb/<run id>/`), read back by
//! TensorBoard's own Python reader (EventAccumulator, the HParams plugin's protobufs): the
//! per-step and per-epoch tags against the run records, the HParams session and experiment, a
//! resumed run's `SessionLog.START`, and the switches that turn them off or move them.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tensorboard::proto::{event::What, session_log::SessionStatus as Log};

/// What TensorBoard's EventAccumulator loads from `dir` (the `tensorboard` crate's test script).
fn tensorboard_reads(dir: &Path) -> Value {
    let python = std::env::var("STARLAB_PYTHON").unwrap_or_else(|_| {
        panic!("STARLAB_PYTHON is not set (.cargo/config.toml sets it): run `./lab setup`, then `cargo test`")
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tensorboard/tests/tensorboard_reader.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg("read")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run `./lab setup`"));
    assert!(
        out.status.success(),
        "the reader failed on {} (tensorboard missing? run `./lab setup`):\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Python's json writes non-finite floats (a diverged run's losses) as bare NaN / Infinity.
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text
        .replace("-Infinity", "null")
        .replace("Infinity", "null")
        .replace("NaN", "null");
    serde_json::from_str(&text).expect("the reader prints JSON")
}

/// `[(step, value)]` of one scalar tag as the reader loaded it.
fn series(read: &Value, tag: &str) -> Vec<(i64, f32)> {
    read["scalars"][tag]
        .as_array()
        .unwrap_or_else(|| panic!("TensorBoard read no scalar {tag:?}: {read}"))
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap() as f32))
        .collect()
}

/// One metric of every epoch of a record, as TensorBoard stores it (`f32`), by epoch.
fn record_epochs(record: &Value, metric: &str) -> Vec<(i64, f32)> {
    record["outcome"]["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["epoch"].as_f64().unwrap() as i64,
                e[metric].as_f64().unwrap() as f32,
            )
        })
        .collect()
}

fn event_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("tfevents"))
        .collect();
    files.sort();
    files
}

#[test]
fn a_sweep_writes_one_event_folder_per_run_with_the_records_numbers_and_hparams() {
    let dir = tempfile::tempdir().unwrap();
    let epochs = 3;
    let body = moons_config("tb", epochs, &[0, 1], &["sum", "star"], "eval_loss = 0")
        .replace("[output]\n", "[output]\ncolumns = [\"wall_s\"]\n");
    let cfg = write(dir.path(), "tb.toml", &body);
    ok(&["run", cfg.to_str().unwrap(), "--no-plots"], dir.path());
    let results = dir.path().join("results/tb");
    let records = run_files(&results);
    assert_eq!(records.len(), 4);

    for path in &records {
        let record = json(path);
        let id = record["id"].as_str().unwrap();
        let read = tensorboard_reads(&results.join("tb").join(id));

        // Per optimiser step, counted over the run: every step once, in order.
        let loss = series(&read, "train/loss");
        let lr = series(&read, "train/lr");
        let steps: Vec<i64> = loss.iter().map(|p| p.0).collect();
        assert_eq!(steps, (0..loss.len() as i64).collect::<Vec<_>>(), "{id}");
        assert_eq!(lr.len(), loss.len(), "{id}");
        let per_epoch = loss.len() / epochs;
        assert!(
            per_epoch > 0 && loss.len() == per_epoch * epochs,
            "{id}: {} steps",
            loss.len()
        );
        // The record's epoch loss is the mean of its steps' losses; its lr is the last step's.
        for (e, epoch_loss) in record_epochs(&record, "train_loss") {
            let chunk = &loss[e as usize * per_epoch..(e as usize + 1) * per_epoch];
            let mean = chunk.iter().map(|p| p.1 as f64).sum::<f64>() / per_epoch as f64;
            assert!(
                (mean as f32 - epoch_loss).abs() < 1e-5,
                "{id} epoch {e}: {mean} vs {epoch_loss}"
            );
        }
        let last_lr: Vec<f32> = lr
            .iter()
            .skip(per_epoch - 1)
            .step_by(per_epoch)
            .map(|p| p.1)
            .collect();
        let epoch_lr: Vec<f32> = record_epochs(&record, "lr").iter().map(|p| p.1).collect();
        assert_eq!(last_lr, epoch_lr, "{id}");

        // Per epoch, with the epoch as the step: every metric the record holds for it.
        for (tag, metric) in [
            ("eval/top1", "eval_top1"),
            ("eval/loss", "eval_loss"),
            ("train/top1", "train_top1"),
            ("train/epoch_loss", "train_loss"),
            ("train/epoch_lr", "lr"),
            ("speed/img_per_s", "img_per_s"),
        ] {
            assert_eq!(series(&read, tag), record_epochs(&record, metric), "{id} {tag}");
        }
        // The summary metrics the HParams table shows.
        let last = series(&read, "summary/best_train_top1");
        let best = record["outcome"]["best"]["train_top1"].as_f64().unwrap() as f32;
        assert_eq!(last.iter().map(|p| p.1).collect::<Vec<_>>(), [best], "{id}");
        let wall = series(&read, "summary/wall_s");
        assert_eq!(wall.len(), 1, "{id}");
        // The record's wall time is taken a moment after the events' (its file is written last).
        let recorded = record["wall_s"].as_f64().unwrap() as f32;
        assert!(
            wall[0].1 > 0.0 && wall[0].1 <= recorded,
            "{id}: {wall:?} vs {recorded}"
        );

        // The HParams session: the swept values (as the sweep spells them), grouped without the
        // seed, and its end.
        let start = &read["hparams"]["_hparams_/session_start_info"]["session_start_info"];
        let point = &record["point"];
        assert_eq!(start["hparams"]["mode"], point["mode"], "{id}: {start}");
        assert_eq!(
            start["hparams"]["train.seed"].as_f64(),
            point["train.seed"].as_f64(),
            "{id}: {start}"
        );
        assert_eq!(
            start["group_name"].as_str().unwrap(),
            format!("mode={}", point["mode"].as_str().unwrap())
        );
        let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
        assert_eq!(end["status"], "STATUS_SUCCESS", "{id}: {end}");
    }

    // The sweep's experiment, in the root: every swept field with its values, and the metric.
    let root = tensorboard_reads(&results.join("tb"));
    let experiment = &root["hparams"]["_hparams_/experiment"]["experiment"];
    let infos = experiment["hparam_infos"].as_array().unwrap();
    let names: Vec<&str> = infos.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["mode", "train.seed"], "{experiment}");
    assert_eq!(infos[0]["domain_discrete"], serde_json::json!(["sum", "star"]));
    assert_eq!(infos[1]["type"], "DATA_TYPE_FLOAT64");
    let metrics: Vec<&str> = experiment["metric_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"]["tag"].as_str().unwrap())
        .collect();
    // `[output] metric` (moons: best_train_top1), then the summary table's `columns`.
    assert_eq!(metrics, ["summary/best_train_top1", "summary/wall_s"]);
}

#[test]
fn the_switches_turn_event_files_off_or_put_them_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let body = moons_config("sw", 1, &[0], &["star"], "eval_loss = 0");
    let cfg = write(dir.path(), "sw.toml", &body);
    let cfg = cfg.to_str().unwrap();

    ok(
        &["run", cfg, "--results", "off", "--no-plots", "--no-tensorboard"],
        dir.path(),
    );
    assert_eq!(run_files(&dir.path().join("off")).len(), 1);
    assert!(!dir.path().join("off/tb").exists(), "--no-tensorboard wrote tb/");

    ok(
        &[
            "run",
            cfg,
            "--results",
            "moved",
            "--no-plots",
            "--tensorboard",
            "elsewhere",
        ],
        dir.path(),
    );
    assert!(!dir.path().join("moved/tb").exists());
    let id = json(&run_files(&dir.path().join("moved"))[0])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(event_files(&dir.path().join("elsewhere").join(&id)).len(), 1);

    let quiet = write(
        dir.path(),
        "quiet.toml",
        &body.replace("[output]\n", "[output]\ntensorboard = false\n"),
    );
    ok(
        &["run", quiet.to_str().unwrap(), "--results", "quiet", "--no-plots"],
        dir.path(),
    );
    assert_eq!(run_files(&dir.path().join("quiet")).len(), 1);
    assert!(
        !dir.path().join("quiet/tb").exists(),
        "tensorboard = false wrote tb/"
    );

    // `runner tensorboard` on a folder without event files says why, and how to get them.
    let o = run(&["tensorboard", "quiet"], dir.path());
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("no tb/ folder") && out.contains("tensorboard = false"),
        "{out}"
    );
    // ... and on a folder of runs' event files (a --tensorboard DIR) without a Python that has
    // tensorboard, how to install it.
    let o = runner()
        .args(["tensorboard", "elsewhere", "--port", "1"])
        .env("STARLAB_PYTHON", dir.path().join("no-such-python"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("no-such-python") && out.contains("./lab setup"),
        "{out}"
    );
}

#[test]
fn a_run_resumed_from_its_checkpoint_starts_a_new_session_and_reads_without_repeated_steps() {
    let dir = tempfile::tempdir().unwrap();
    let body = moons_config("r", 40, &[0], &["star"], "eval_loss = 0")
        .replace("[train]\n", "[train]\ncheckpoint_every = 2\n")
        .replace("[model]\n", "[data]\nmoons_samples = 1000\n\n[model]\n");
    let cfg = write(dir.path(), "r.toml", &body);
    let cfg = cfg.to_str().unwrap();
    ok(&["run", cfg, "--results", "whole", "--no-plots"], dir.path());
    let id = json(&run_files(&dir.path().join("whole"))[0])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let whole = tensorboard_reads(&dir.path().join("whole/tb").join(&id));

    // Killed (no chance to clean up) once it has a checkpoint, then run again: it resumes.
    let cut = dir.path().join("cut");
    let ckpt = cut.join("runs").join(format!("{id}.ckpt"));
    let mut child = runner()
        .args(["run", cfg, "--results", "cut", "--no-plots"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !ckpt.join("epoch_0004.safetensors").is_file() {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no checkpoint within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        run_files(&cut).is_empty(),
        "the kill came too late: the run had finished"
    );
    ok(&["run", cfg, "--results", "cut", "--no-plots"], dir.path());

    let run_dir = cut.join("tb").join(&id);
    let files = event_files(&run_dir);
    assert_eq!(files.len(), 2, "one event file per process: {files:?}");
    // The resumed process starts its file with START at the first step it trains again.
    let events = tensorboard::read_events(&files[1]).unwrap();
    let start = events
        .iter()
        .find_map(|e| match &e.what {
            Some(What::SessionLog(l)) if l.status == Log::Start as i32 => Some(e.step),
            _ => None,
        })
        .expect("the resumed run wrote a SessionLog START");
    let first_loss = events
        .iter()
        .find_map(|e| match &e.what {
            Some(What::Summary(s)) if s.value.iter().any(|v| v.tag == "train/loss") => Some(e.step),
            _ => None,
        })
        .unwrap();
    assert_eq!(start, first_loss);
    let per_epoch = series(&whole, "train/loss").len() as i64 / 40;
    assert!(
        start > 0 && start % per_epoch == 0,
        "START at {start}, {per_epoch} steps per epoch"
    );
    assert!(
        matches!(
            events
                .iter()
                .find(|e| e.step == start)
                .and_then(|e| e.what.as_ref()),
            Some(What::SessionLog(_))
        ),
        "START comes before the steps it restarts"
    );

    // TensorBoard shows each step once, with the numbers of a run that never stopped.
    let resumed = tensorboard_reads(&run_dir);
    for tag in ["train/loss", "train/lr", "eval/top1", "train/epoch_loss"] {
        assert_eq!(series(&resumed, tag), series(&whole, tag), "{tag}");
    }
    let end = &resumed["hparams"]["_hparams_/session_end_info"]["session_end_info"];
    assert_eq!(end["status"], "STATUS_SUCCESS", "{end}");
}

#[test]
fn a_run_that_diverges_or_panics_ends_its_session_as_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    // Run 1 diverges at once (lr 1e30: the run stops, recorded); run 2 panics (injected).
    let body = moons_config("f", 2, &[0], &["star"], "eval_loss = 0")
        .replace("threads = 1", "threads = 1\ngrad_clip = 1e30")
        .replace("[sweep]\n", "[sweep]\n\"train.lr\" = [0.1, 1e30, 0.05]\n");
    let cfg = write(dir.path(), "f.toml", &body);
    let o = runner()
        .args(["run", cfg.to_str().unwrap(), "--no-plots"])
        .env("STARLAB_FAULTS", "panic_index=2")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "one failed run:\n{}", text(&o));
    let results = dir.path().join("results/f");
    let mut status = std::collections::BTreeMap::new();
    for path in run_files(&results) {
        let record = json(&path);
        let read = tensorboard_reads(&results.join("tb").join(record["id"].as_str().unwrap()));
        let start = &read["hparams"]["_hparams_/session_start_info"]["session_start_info"];
        let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
        let lr = start["hparams"]["train.lr"].as_f64().unwrap();
        assert_eq!(Some(lr), record["point"]["train.lr"].as_f64());
        status.insert(
            record["index"].as_u64().unwrap(),
            (record["status"].clone(), end["status"].clone()),
        );
    }
    let want = |run: &str, session: &str| (Value::from(run), Value::from(session));
    assert_eq!(status[&0], want("complete", "STATUS_SUCCESS"));
    assert_eq!(status[&1], want("stopped", "STATUS_FAILURE"));
    assert_eq!(status[&2], want("failed", "STATUS_FAILURE"));
}

#[test]
fn a_folder_without_event_files_gets_them_from_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "rec.toml",
        &moons_config("rec", 2, &[0], &["sum", "star"], "eval_loss = 0"),
    );
    // As a committed folder is: records, no tb/.
    ok(
        &["run", cfg.to_str().unwrap(), "--no-plots", "--no-tensorboard"],
        dir.path(),
    );
    let results = dir.path().join("results/rec");
    assert!(!results.join("tb").exists());
    let out = ok(
        &["tensorboard", "results/rec", "--from-records", "--no-serve"],
        dir.path(),
    );
    assert!(out.contains("wrote the events of 2 recorded run(s)"), "{out}");

    for path in run_files(&results) {
        let record = json(&path);
        let read = tensorboard_reads(&results.join("tb").join(record["id"].as_str().unwrap()));
        for (tag, metric) in [("eval/top1", "eval_top1"), ("train/epoch_loss", "train_loss")] {
            assert_eq!(series(&read, tag), record_epochs(&record, metric), "{tag}");
        }
        assert!(
            read["scalars"].get("train/loss").is_none(),
            "records hold no per-step values"
        );
        let wall = record["wall_s"].as_f64().unwrap() as f32;
        assert_eq!(series(&read, "summary/wall_s"), [(0, wall)]);
        let start = &read["hparams"]["_hparams_/session_start_info"]["session_start_info"];
        assert_eq!(start["hparams"]["mode"], record["point"]["mode"]);
        let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
        assert_eq!(end["status"], "STATUS_SUCCESS");
    }
    let root = tensorboard_reads(&results.join("tb"));
    let infos = &root["hparams"]["_hparams_/experiment"]["experiment"]["hparam_infos"];
    assert_eq!(infos[0]["name"], "mode", "{root}");
}

/// `runner tensorboard`'s server (TensorBoard itself: the runner execs it), killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 request: status and body.
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, body.to_string()))
}

#[test]
fn runner_tensorboard_serves_the_sweeps_runs_curves_and_hparams_table() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "web.toml",
        &moons_config("web", 2, &[0, 1], &["sum", "star"], "eval_loss = 0"),
    );
    ok(&["run", cfg.to_str().unwrap(), "--no-plots"], dir.path());
    let results = dir.path().join("results/web");
    let records: Vec<Value> = run_files(&results).iter().map(|p| json(p)).collect();

    let port = TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("tensorboard.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let mut server = Served(
        runner()
            .args(["tensorboard", "results/web", "--port", &port.to_string()])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap(),
    );
    let log = || std::fs::read_to_string(&log).unwrap_or_default();
    // TensorBoard's start (Python imports, a first load of the logdir) on a busy 2-core machine.
    let t0 = Instant::now();
    let runs = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no run list within 2 minutes:\n{}",
            log()
        );
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("runner tensorboard exited ({status}):\n{}", log());
        }
        if let Ok((200, body)) = http(port, "GET", "/data/runs", "")
            && let Ok(runs) = serde_json::from_str::<Value>(&body)
            && records
                .iter()
                .all(|r| runs.as_array().unwrap().contains(&r["id"]))
        {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(runs.as_array().unwrap().len(), 5, "4 runs and the root: {runs}");

    // A run's per-step curve, as TensorBoard's reader loads it from the file.
    let id = records[0]["id"].as_str().unwrap();
    let (code, body) = http(
        port,
        "GET",
        &format!("/data/plugin/scalars/scalars?run={id}&tag=train%2Floss"),
        "",
    )
    .unwrap();
    assert_eq!(code, 200, "{body}");
    let served: Vec<(i64, f32)> = serde_json::from_str::<Value>(&body)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[1].as_i64().unwrap(), p[2].as_f64().unwrap() as f32))
        .collect();
    let read = tensorboard_reads(&results.join("tb").join(id));
    assert_eq!(served, series(&read, "train/loss"));

    // The HParams table: one row per mode, each with its two seeds, all finished.
    let request = serde_json::json!({
        "experimentName": "",
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
        "colParams": [{"metric": {"tag": "summary/best_train_top1"}}, {"hparam": "mode"}],
        "aggregationType": "AGGREGATION_AVG",
        "startIndex": 0,
        "sliceSize": 100
    });
    let (code, body) = http(
        port,
        "POST",
        "/data/plugin/hparams/session_groups",
        &request.to_string(),
    )
    .unwrap();
    assert_eq!(code, 200, "{body}\n{}", log());
    let groups: Value = serde_json::from_str(&body).unwrap();
    let mut rows: Vec<(String, usize, bool)> = groups["sessionGroups"]
        .as_array()
        .unwrap_or_else(|| panic!("{groups}"))
        .iter()
        .map(|g| {
            let sessions = g["sessions"].as_array().unwrap();
            let done = sessions.iter().all(|s| s["status"] == "STATUS_SUCCESS");
            (g["name"].as_str().unwrap().to_string(), sessions.len(), done)
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("mode=star".to_string(), 2, true),
            ("mode=sum".to_string(), 2, true)
        ],
        "{groups}"
    );
}
