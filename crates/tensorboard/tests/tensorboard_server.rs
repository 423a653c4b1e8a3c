//! End to end: `tensorboard --logdir` on a sweep this crate wrote, asked over its HTTP API for
//! the run list, a scalar series and the HParams table; with each of TensorBoard's two readers
//! (`--load_fast=true`: its Rust data server, what `auto` picks where it runs; `false`: the
//! Python multiplexer).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tensorboard::{
    Domain, EventWriter, Experiment, HParam, HParamValue, Metric, SessionStart, SessionStatus,
    write_experiment,
};

/// TensorBoard's start (Python imports, the first load of the logdir) on a busy 2-core machine.
const STARTUP: Duration = Duration::from_secs(120);

/// A TensorBoard process, killed when dropped (a failing test leaves none behind).
struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Server {
    fn start(logdir: &Path, load_fast: bool, log: std::path::PathBuf) -> Server {
        let port = free_port();
        let python = common::python();
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(&python)
            .args(["-m", "tensorboard.main", "--logdir"])
            .arg(logdir)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(format!("--load_fast={load_fast}"))
            .args(["--reload_interval", "1"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run `./lab setup`"));
        Server { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `path` until `ready` accepts its JSON, within [`STARTUP`]; fails with the server's
    /// log when it exits or the time is up.
    fn wait_for(&mut self, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        let mut last = String::from("no answer yet");
        while start.elapsed() < STARTUP {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = self.log();
                if log.contains("No module named") {
                    panic!(
                        "tensorboard is not installed in {}: run `./lab setup`\n{log}",
                        common::python()
                    );
                }
                panic!("tensorboard exited ({status}) before answering {path}:\n{log}");
            }
            match http(self.port, "GET", path, "") {
                Ok((200, body)) => match serde_json::from_str::<Value>(&body) {
                    Ok(v) if ready(&v) => return v,
                    Ok(v) => last = v.to_string(),
                    Err(e) => last = format!("not JSON ({e}): {body}"),
                },
                Ok((code, body)) => last = format!("HTTP {code}: {body}"),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "tensorboard did not answer {path} as expected within {STARTUP:?}; last: {last}\n{}",
            self.log()
        );
    }

    fn get(&self, path: &str) -> Value {
        self.json("GET", path, "")
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        self.json("POST", path, &body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: &str) -> Value {
        let (code, text) = http(self.port, method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()));
        assert_eq!(code, 200, "{method} {path}: {text}\n{}", self.log());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"))
    }
}

impl Drop for Server {
    // SIGKILL: TensorBoard runs its data server with --die-after-stdin, so that one goes too.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the OS picks it; TensorBoard binds it a moment later).
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 request (the connection closes after the answer): status and body.
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

struct Run {
    name: &'static str,
    width: i64,
    mode: &'static str,
    seed: i64,
    status: Option<SessionStatus>,
}

const RUNS: [Run; 3] = [
    Run {
        name: "w16-star-s0",
        width: 16,
        mode: "star",
        seed: 0,
        status: Some(SessionStatus::Success),
    },
    Run {
        name: "w16-star-s1",
        width: 16,
        mode: "star",
        seed: 1,
        status: Some(SessionStatus::Success),
    },
    Run {
        name: "w64-sum-s0",
        width: 64,
        mode: "sum",
        seed: 0,
        status: Some(SessionStatus::Failure),
    },
];

fn loss(run: &Run, step: i64) -> f64 {
    (run.width as f64).ln() / (1.0 + step as f64) + run.seed as f64 * 0.01
}

fn top1(run: &Run, epoch: i64) -> f64 {
    0.5 + 0.1 * epoch as f64 + if run.mode == "star" { 0.05 } else { 0.0 } + run.seed as f64 * 0.001
}

/// A small sweep: three runs (two seeds of one point), their scalars and hparams, the experiment.
fn write_sweep(root: &Path) {
    for run in &RUNS {
        let mut w = EventWriter::create(root.join(run.name)).unwrap();
        let hparams: BTreeMap<String, HParamValue> = [
            ("width".to_string(), run.width.into()),
            ("mode".to_string(), run.mode.into()),
            ("train.seed".to_string(), run.seed.into()),
        ]
        .into();
        w.hparams_session_start(&SessionStart {
            hparams,
            group_name: format!("width={} mode={}", run.width, run.mode),
            start_time: SystemTime::now(),
        })
        .unwrap();
        for step in (0..100).step_by(10) {
            w.scalar("train/loss", step, loss(run, step)).unwrap();
        }
        for epoch in 0..3 {
            w.scalar("val/top1", epoch, top1(run, epoch)).unwrap();
        }
        if let Some(status) = run.status {
            w.hparams_session_end(status, SystemTime::now()).unwrap();
        }
        w.flush().unwrap();
    }
    let experiment = Experiment {
        description: "end-to-end test sweep".into(),
        hparams: vec![
            HParam::new("width", Domain::Discrete(vec![16i64.into(), 64i64.into()])),
            HParam::new("mode", Domain::Discrete(vec!["star".into(), "sum".into()])),
            HParam::new("train.seed", Domain::Discrete(vec![0i64.into(), 1i64.into()])),
        ],
        metrics: vec![Metric::new("val/top1")],
        time_created: UNIX_EPOCH + Duration::from_secs(1_764_000_000),
    };
    write_experiment(root, &experiment).unwrap();
}

fn check_server(load_fast: bool) {
    let dir = tempfile::tempdir().unwrap();
    let logdir = dir.path().join("tb");
    write_sweep(&logdir);
    let mut server = Server::start(&logdir, load_fast, dir.path().join("tensorboard.log"));

    // The run list, once the first load has found every run.
    let runs = server.wait_for("/data/runs", |v| {
        v.as_array().is_some_and(|a| a.len() > RUNS.len())
    });
    let mut names: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [".", "w16-star-s0", "w16-star-s1", "w64-sum-s0"], "{runs}");

    // A scalar series: [[wall_time, step, value], ...].
    let run = &RUNS[2];
    let series = server.get(&format!(
        "/data/plugin/scalars/scalars?run={}&tag=train%2Floss",
        run.name
    ));
    let points: Vec<(i64, f32)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[1].as_i64().unwrap(), p[2].as_f64().unwrap() as f32))
        .collect();
    let want: Vec<(i64, f32)> = (0..100).step_by(10).map(|s| (s, loss(run, s) as f32)).collect();
    assert_eq!(points, want, "{series}");

    // The HParams experiment: our hparams and metric, from the root run's summary.
    let experiment = server.post("/data/plugin/hparams/experiment", &json!({"experimentName": ""}));
    let mut hparams: Vec<&str> = experiment["hparamInfos"]
        .as_array()
        .unwrap_or_else(|| panic!("{experiment}"))
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    hparams.sort(); // the plugin lists them by name
    assert_eq!(hparams, ["mode", "train.seed", "width"], "{experiment}");
    assert_eq!(
        experiment["metricInfos"][0]["name"]["tag"], "val/top1",
        "{experiment}"
    );
    assert_eq!(experiment["description"], "end-to-end test sweep");

    // The table: two groups (seeds group), each session's status and last val/top1.
    let groups = server.post(
        "/data/plugin/hparams/session_groups",
        &json!({
            "experimentName": "",
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
            "colParams": [{"metric": {"tag": "val/top1"}}, {"hparam": "width"}],
            "aggregationType": "AGGREGATION_AVG",
            "startIndex": 0,
            "sliceSize": 100
        }),
    );
    let groups = groups["sessionGroups"]
        .as_array()
        .unwrap_or_else(|| panic!("{groups}"));
    let mut seen: Vec<Group> = groups.iter().map(Group::from_json).collect();
    seen.sort_by(|a, b| a.name.cmp(&b.name));
    let session = |r: &Run, status: &str| Session {
        name: r.name.into(),
        status: status.into(),
        last_top1: top1(r, 2) as f32,
    };
    let want = [
        Group {
            name: "width=16 mode=star".into(),
            hparams: json!({"width": 16.0, "mode": "star"}),
            sessions: vec![
                session(&RUNS[0], "STATUS_SUCCESS"),
                session(&RUNS[1], "STATUS_SUCCESS"),
            ],
        },
        Group {
            name: "width=64 mode=sum".into(),
            hparams: json!({"width": 64.0, "mode": "sum"}),
            sessions: vec![session(&RUNS[2], "STATUS_FAILURE")],
        },
    ];
    assert_eq!(seen, want, "{groups:?}");
}

/// A row of the HParams table, from the plugin's JSON.
#[derive(Debug, PartialEq)]
struct Group {
    name: String,
    /// The hparams that make the group (the plugin copies them from whichever session it read
    /// first, so the seed is left out).
    hparams: Value,
    sessions: Vec<Session>,
}

#[derive(Debug, PartialEq)]
struct Session {
    name: String,
    status: String,
    /// The session's last `val/top1` (the only metric column).
    last_top1: f32,
}

impl Group {
    fn from_json(g: &Value) -> Group {
        let sessions = g["sessions"].as_array().unwrap_or_else(|| panic!("{g}"));
        Group {
            name: g["name"].as_str().unwrap().into(),
            hparams: {
                let mut hp = g["hparams"].clone();
                hp.as_object_mut().unwrap().remove("train.seed");
                hp
            },
            sessions: sessions
                .iter()
                .map(|s| Session {
                    name: s["name"].as_str().unwrap().into(),
                    status: s["status"].as_str().unwrap_or("").into(),
                    last_top1: s["metricValues"][0]["value"]
                        .as_f64()
                        .unwrap_or_else(|| panic!("no metric value in {s}"))
                        as f32,
                })
                .collect(),
        }
    }
}

#[test]
fn tensorboard_serves_the_sweep_with_its_rust_data_server() {
    check_server(true);
}

#[test]
fn tensorboard_serves_the_sweep_with_its_python_reader() {
    check_server(false);
}
