//! EventWriter's files, read back with this crate's reader: layout, buffering, the experiment
//! file's replacement and errors. (TensorBoard's own readers: python_reader.rs and
//! tensorboard_server.rs.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tensorboard::hparams::{EXPERIMENT_TAG, PLUGIN_NAME};
use tensorboard::proto::{
    HParamsPluginData, event::What, hparams_plugin_data::Data, session_log::SessionStatus,
    summary::value::Value,
};
use tensorboard::{
    Domain, EXPERIMENT_SUFFIX, EventWriter, Experiment, HParam, Metric, read_events, write_experiment,
};

use prost::Message;

fn file_len(w: &EventWriter) -> u64 {
    std::fs::metadata(w.path()).unwrap().len()
}

#[test]
fn a_new_file_starts_with_its_version_in_a_created_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("tb/sweep/run-0");
    let before = SystemTime::now();
    let w = EventWriter::create(&run).unwrap();
    let path = w.path().to_path_buf();
    drop(w);
    assert_eq!(path.parent().unwrap(), run);
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("events.out.tfevents."), "{name}");
    let events = read_events(&path).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].what, Some(What::FileVersion("brain.Event:2".into())));
    let since = before.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(events[0].wall_time >= since, "{} < {since}", events[0].wall_time);
}

#[test]
fn scalars_of_one_step_share_an_event_and_keep_their_wall_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap();
    let when = UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
    w.scalars_at(when, 3, [("val/top1", 0.5), ("val/loss", 2.0)])
        .unwrap();
    w.session_log_start(11).unwrap();
    w.flush().unwrap();
    let events = read_events(w.path()).unwrap();
    assert_eq!(events.len(), 3);
    let e = &events[1];
    assert_eq!((e.step, e.wall_time), (3, 1_700_000_000.5));
    let Some(What::Summary(s)) = &e.what else {
        panic!("{e:?}")
    };
    let values: Vec<(&str, Option<Value>)> = s
        .value
        .iter()
        .map(|v| (v.tag.as_str(), v.value.clone()))
        .collect();
    assert_eq!(
        values,
        [
            ("val/top1", Some(Value::SimpleValue(0.5))),
            ("val/loss", Some(Value::SimpleValue(2.0)))
        ]
    );
    let Some(What::SessionLog(log)) = &events[2].what else {
        panic!("{:?}", events[2])
    };
    assert_eq!((events[2].step, log.status), (11, SessionStatus::Start as i32));
}

#[test]
fn records_wait_in_the_buffer_until_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap().with_flush_interval(None);
    w.flush().unwrap();
    let start = file_len(&w);
    w.scalar("train/loss", 1, 0.5).unwrap();
    assert_eq!(file_len(&w), start, "no flush interval: still buffered");
    w.flush().unwrap();
    let one = file_len(&w);
    assert!(one > start);

    // An interval of zero flushes after every record.
    let mut w = w.with_flush_interval(Some(Duration::ZERO));
    w.scalar("train/loss", 2, 0.25).unwrap();
    assert!(file_len(&w) > one);
    let path = w.path().to_path_buf();

    // Dropping flushes too.
    let mut w = w.with_flush_interval(None);
    w.scalar("train/loss", 3, 0.125).unwrap();
    drop(w);
    assert_eq!(read_events(&path).unwrap().len(), 4);
}

#[test]
fn a_full_buffer_goes_to_the_file_as_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EventWriter::create(dir.path()).unwrap().with_flush_interval(None);
    // Far more than the buffer holds: the file takes whole records only, at every moment.
    for step in 0..2000 {
        w.scalar("train/loss", step, step as f64).unwrap();
        if step % 97 == 0 {
            let bytes = std::fs::read(w.path()).unwrap();
            let records = tensorboard::record::split_records(&bytes).unwrap();
            assert_eq!(records.whole_len, bytes.len(), "step {step}: a record cut short");
        }
    }
    assert!(file_len(&w) > 0);
}

#[test]
fn files_of_one_directory_sort_in_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let created: Vec<_> = (0..12)
        .map(|_| EventWriter::create(dir.path()).unwrap().path().to_path_buf())
        .collect();
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(sorted, created);
}

fn experiment(metric: &str) -> Experiment {
    Experiment {
        description: String::new(),
        hparams: vec![HParam::new(
            "width",
            Domain::Discrete(vec![8i64.into(), 16i64.into()]),
        )],
        metrics: vec![Metric::new(metric)],
        time_created: UNIX_EPOCH,
    }
}

fn experiment_metric(path: &std::path::Path) -> String {
    let events = read_events(path).unwrap();
    let Some(What::Summary(s)) = &events[1].what else {
        panic!("{:?}", events[1])
    };
    assert_eq!(s.value[0].tag, EXPERIMENT_TAG);
    let plugin = s.value[0]
        .metadata
        .as_ref()
        .unwrap()
        .plugin_data
        .as_ref()
        .unwrap();
    assert_eq!(plugin.plugin_name, PLUGIN_NAME);
    let data = HParamsPluginData::decode(&plugin.content[..]).unwrap();
    let Some(Data::Experiment(e)) = data.data else {
        panic!("{data:?}")
    };
    e.metric_infos[0].name.as_ref().unwrap().tag.clone()
}

#[test]
fn write_experiment_replaces_its_earlier_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = EventWriter::create(dir.path()).unwrap().path().to_path_buf();
    let first = write_experiment(dir.path(), &experiment("val/top1")).unwrap();
    assert!(first.to_str().unwrap().ends_with(EXPERIMENT_SUFFIX));
    let second = write_experiment(dir.path(), &experiment("test/top1")).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut want = vec![run, second.clone()];
    want.sort();
    assert_eq!(
        files, want,
        "the old experiment is gone, the other event file stays"
    );
    assert_eq!(experiment_metric(&second), "test/top1");

    // A bad experiment is refused before anything is removed.
    let mut bad = experiment("x");
    bad.hparams[0].domain = Domain::Discrete(vec![]);
    let err = write_experiment(dir.path(), &bad).unwrap_err().to_string();
    assert!(err.contains("\"width\""), "{err}");
    assert!(second.exists());
}

#[test]
fn a_directory_that_cannot_be_made_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = EventWriter::create(file.join("run")).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("creating") && msg.contains("not-a-dir"), "{msg}");
}
