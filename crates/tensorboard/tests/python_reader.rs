//! The files EventWriter writes, read back by TensorBoard's own Python reader (EventAccumulator)
//! and the HParams plugin's protobufs; and TensorBoard's writer read by ours.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{scalar_tags, series, tensorboard_reads, tensorboard_writes};
use serde_json::json;
use tensorboard::proto::{event::What, summary::value::Value as SummaryValue};
use tensorboard::{
    Domain, EventWriter, Experiment, HParam, HParamValue, Metric, SessionStart, SessionStatus, read_events,
    write_experiment,
};

#[test]
fn every_scalar_reads_back_with_its_tag_step_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("runs/w64-star-s0");
    let mut w = EventWriter::create(&run).unwrap();
    // Per optimizer step: loss and learning rate; per epoch: several metrics in one event.
    let mut expected: BTreeMap<&str, Vec<(i64, f64)>> = BTreeMap::new();
    for step in (0..200).step_by(10) {
        let loss = 2.3 / (1.0 + step as f64 * 0.013);
        let lr = 0.1 * (1.0 - step as f64 / 200.0);
        w.scalar("train/loss", step, loss).unwrap();
        w.scalar("train/lr", step, lr).unwrap();
        expected.entry("train/loss").or_default().push((step, loss));
        expected.entry("train/lr").or_default().push((step, lr));
    }
    for epoch in 0..3 {
        let metrics = [
            ("val/top1", 0.61 + 0.1 * epoch as f64),
            ("val/loss", 1.0 / (epoch + 2) as f64),
            ("train/images_per_s", 12_345.678 * (epoch + 1) as f64),
        ];
        w.scalars(epoch, metrics).unwrap();
        for (tag, v) in metrics {
            expected.entry(tag).or_default().push((epoch, v));
        }
    }
    // A value f32 cannot hold exactly, and a negative one.
    w.scalar("edge/third", 7, 1.0 / 3.0).unwrap();
    w.scalar("edge/negative", 7, -1e-7).unwrap();
    expected.insert("edge/third", vec![(7, 1.0 / 3.0)]);
    expected.insert("edge/negative", vec![(7, -1e-7)]);
    w.flush().unwrap();

    let read = tensorboard_reads(&run);
    let want_tags: Vec<String> = expected.keys().map(|t| t.to_string()).collect();
    assert_eq!(scalar_tags(&read), want_tags, "{read}");
    for (tag, points) in &expected {
        let want: Vec<(i64, f32)> = points.iter().map(|&(s, v)| (s, v as f32)).collect();
        assert_eq!(series(&read, tag), want, "tag {tag}");
    }
}

#[test]
fn hparams_session_and_experiment_parse_with_the_plugins_protobufs() {
    let dir = tempfile::tempdir().unwrap();
    let start_time = UNIX_EPOCH + Duration::from_millis(1_764_000_000_250);
    let end_time = start_time + Duration::from_secs(95);
    let hparams: BTreeMap<String, HParamValue> = [
        ("width", HParamValue::from(64i64)),
        ("mode", "star".into()),
        ("train.seed", 3i64.into()),
        ("train.lr", 0.05.into()),
        ("bn", true.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let run = dir.path().join("w64-star-s3");
    let mut w = EventWriter::create(&run).unwrap();
    w.hparams_session_start(&SessionStart {
        hparams,
        group_name: "width=64 mode=star".into(),
        start_time,
    })
    .unwrap();
    w.scalar("val/top1", 4, 0.875).unwrap();
    w.hparams_session_end(SessionStatus::Success, end_time).unwrap();
    w.flush().unwrap();

    let experiment = Experiment {
        description: "demonet width sweep".into(),
        hparams: vec![
            HParam::new("width", Domain::Discrete(vec![16i64.into(), 64i64.into()])),
            HParam::new("mode", Domain::Discrete(vec!["star".into(), "sum".into()])),
            HParam::new("train.lr", Domain::Interval { min: 0.01, max: 0.1 }),
            HParam::new("bn", Domain::Discrete(vec![true.into(), false.into()])),
        ],
        metrics: vec![Metric::new("val/top1"), Metric::new("test/top1")],
        time_created: start_time,
    };
    write_experiment(dir.path(), &experiment).unwrap();

    let read = tensorboard_reads(&run);
    let start = &read["hparams"]["_hparams_/session_start_info"];
    assert_eq!(start["version"], 0);
    let info = &start["session_start_info"];
    assert_eq!(
        info["hparams"],
        // google.protobuf.Value prints as plain JSON: a number, a string, a bool.
        json!({"width": 64.0, "mode": "star", "train.seed": 3.0, "train.lr": 0.05, "bn": true})
    );
    assert_eq!(info["group_name"], "width=64 mode=star");
    assert_eq!(info["start_time_secs"], 1_764_000_000.25);
    let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
    assert_eq!(end["status"], "STATUS_SUCCESS");
    assert_eq!(end["end_time_secs"], 1_764_000_095.25);
    assert_eq!(series(&read, "val/top1"), [(4, 0.875)]);

    // The root run holds the experiment and nothing else.
    let root = tensorboard_reads(dir.path());
    assert_eq!(scalar_tags(&root), Vec::<String>::new());
    let hp = root["hparams"].as_object().unwrap();
    assert_eq!(hp.keys().collect::<Vec<_>>(), ["_hparams_/experiment"]);
    let exp = &hp["_hparams_/experiment"]["experiment"];
    assert_eq!(exp["description"], "demonet width sweep");
    assert_eq!(exp["time_created_secs"], 1_764_000_000.25);
    let infos = exp["hparam_infos"].as_array().unwrap();
    let names: Vec<&str> = infos.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["width", "mode", "train.lr", "bn"]);
    let types: Vec<&str> = infos.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "DATA_TYPE_FLOAT64",
            "DATA_TYPE_STRING",
            "DATA_TYPE_FLOAT64",
            "DATA_TYPE_BOOL"
        ]
    );
    assert_eq!(infos[0]["domain_discrete"], json!([16.0, 64.0]));
    assert_eq!(infos[1]["domain_discrete"], json!(["star", "sum"]));
    assert_eq!(
        infos[2]["domain_interval"],
        json!({"min_value": 0.01, "max_value": 0.1})
    );
    assert_eq!(infos[3]["domain_discrete"], json!([true, false]));
    let metrics: Vec<&str> = exp["metric_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"]["tag"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["val/top1", "test/top1"]);
}

#[test]
fn a_failed_run_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap();
    w.hparams_session_start(&SessionStart {
        hparams: BTreeMap::from([("width".to_string(), 8i64.into())]),
        group_name: String::new(),
        start_time: SystemTime::now(),
    })
    .unwrap();
    w.hparams_session_end(SessionStatus::Failure, SystemTime::now())
        .unwrap();
    drop(w); // drop flushes
    let read = tensorboard_reads(dir.path());
    let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
    assert_eq!(end["status"], "STATUS_FAILURE");
}

#[test]
fn a_file_cut_mid_record_reads_up_to_its_last_whole_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap();
    w.flush().unwrap();
    let path = w.path().to_path_buf();
    // File length after each whole record (a flush hands whole records to the file).
    let mut ends = vec![std::fs::metadata(&path).unwrap().len()];
    for step in 0..5 {
        w.scalar("train/loss", step, 1.0 + step as f64).unwrap();
        w.flush().unwrap();
        ends.push(std::fs::metadata(&path).unwrap().len());
    }
    drop(w);
    let whole = std::fs::read(&path).unwrap();
    assert_eq!(whole.len() as u64, ends[5]);

    // Inside the last record's header, its payload, and its footer.
    let (start, end) = (ends[4], ends[5]);
    for cut in [start + 3, start + 12 + 2, end - 1] {
        std::fs::write(&path, &whole[..cut as usize]).unwrap();
        let read = tensorboard_reads(dir.path());
        assert_eq!(
            series(&read, "train/loss"),
            [(0, 1.0), (1, 2.0), (2, 3.0), (3, 4.0)],
            "cut at byte {cut} of {end}"
        );
        let ours = read_events(&path).unwrap();
        assert_eq!(ours.len(), 5, "file_version + 4 scalars, cut at byte {cut}");
    }
}

#[test]
fn a_resumed_run_drops_the_steps_it_trains_again() {
    let dir = tempfile::tempdir().unwrap();
    let start = SessionStart {
        hparams: BTreeMap::from([("width".to_string(), 16i64.into())]),
        group_name: "width=16".into(),
        start_time: SystemTime::now(),
    };
    // First process: steps 1..=10, then stopped (Ctrl-C): no session end.
    {
        let mut w = EventWriter::create(dir.path()).unwrap();
        w.hparams_session_start(&start).unwrap();
        for step in 1..=10 {
            w.scalar("train/loss", step, step as f64).unwrap();
        }
    }
    let stopped = tensorboard_reads(dir.path());
    assert_eq!(series(&stopped, "train/loss").len(), 10);
    assert!(
        stopped["hparams"].get("_hparams_/session_end_info").is_none(),
        "{stopped}"
    );

    // Resumed from the checkpoint after step 5: a new file, START at 6, steps 6..=12 again.
    let mut w = EventWriter::create(dir.path()).unwrap();
    w.session_log_start(6).unwrap();
    w.hparams_session_start(&start).unwrap();
    for step in 6..=12 {
        w.scalar("train/loss", step, 100.0 + step as f64).unwrap();
    }
    w.hparams_session_end(SessionStatus::Success, SystemTime::now())
        .unwrap();
    w.flush().unwrap();

    let read = tensorboard_reads(dir.path());
    let want: Vec<(i64, f32)> = (1..=12)
        .map(|s| (s, if s <= 5 { s as f32 } else { 100.0 + s as f32 }))
        .collect();
    assert_eq!(series(&read, "train/loss"), want);
    let end = &read["hparams"]["_hparams_/session_end_info"]["session_end_info"];
    assert_eq!(end["status"], "STATUS_SUCCESS");
}

#[test]
fn our_reader_reads_tensorboards_writer() {
    let dir = tempfile::tempdir().unwrap();
    let events = [
        ("train/loss", 0, 2.5),
        ("train/loss", 10, 1.25),
        ("val/top1", 1, 0.8),
    ];
    tensorboard_writes(dir.path(), &events);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let read = read_events(&files[0]).unwrap();
    assert_eq!(read[0].what, Some(What::FileVersion("brain.Event:2".into())));
    let scalars: Vec<(String, i64, f32)> = read[1..]
        .iter()
        .map(|e| {
            let Some(What::Summary(s)) = &e.what else {
                panic!("not a summary: {e:?}")
            };
            let Some(SummaryValue::SimpleValue(v)) = s.value[0].value else {
                panic!("not a simple value: {s:?}")
            };
            (s.value[0].tag.clone(), e.step, v)
        })
        .collect();
    let want: Vec<(String, i64, f32)> = events
        .iter()
        .map(|&(t, s, v)| (t.to_string(), s, v as f32))
        .collect();
    assert_eq!(scalars, want);
}
