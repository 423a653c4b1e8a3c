//! A run's TensorBoard event log, written while it trains: `<root>/<run id>/` per run (one line
//! per run in TensorBoard), and the sweep's HParams experiment in `<root>` itself.
//!
//! Tags (README "Watch a sweep live"): per optimiser step (the step counted over the whole run,
//! `epoch * steps_per_epoch + step`) `train/loss` and `train/lr`; per epoch (the 0-based epoch, as
//! in the records) every metric the record holds for it, `val_top1` as `val/top1` and so on, the
//! epoch's mean training loss and its last learning rate as `train/epoch_loss` and
//! `train/epoch_lr`, and `speed/img_per_s`, `speed/train_s`; once the run is done, its summary
//! metrics (`test_top1`, `best_val_top1`, ...) as `summary/<name>`, which the HParams table shows.
//!
//! A run resumed from a checkpoint writes `SessionLog.START` at the first step it trains again,
//! so readers drop what an earlier process wrote from that step on; a run that starts from
//! scratch removes what an earlier attempt left in its folder. Writing never fails a run: the
//! first error is logged and the run goes on without events.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use serde_json::Value;
use tensorboard::{
    Domain, EventWriter, Experiment, HParam, HParamValue, Metric, SessionStart, SessionStatus,
};

use config::Experiment as Config;
use sweep::RunSpec;

use crate::commands::progress::RunProgress;

/// The folder of a results folder that holds its event files.
pub const TB_DIR: &str = "tb";

/// Where a sweep's event files go (`--tensorboard DIR`, or `<results>/tb`), and how each swept
/// field is typed in the HParams table (one type per field).
#[derive(Debug, Clone)]
pub struct SweepEvents {
    pub root: PathBuf,
    /// Fields whose values are not all numbers, or not all booleans: shown as text everywhere.
    text_fields: BTreeSet<String>,
}

impl SweepEvents {
    /// The sweep `runs` of `exp` logging into `root`; writes the HParams experiment there.
    pub fn start(root: PathBuf, exp: &Config, runs: &[RunSpec]) -> Result<SweepEvents> {
        let values = field_values(runs);
        let text_fields = values
            .iter()
            .filter(|(_, vs)| !one_type(vs))
            .map(|(k, _)| k.clone())
            .collect();
        let events = SweepEvents { root, text_fields };
        tensorboard::write_experiment(&events.root, &events.experiment(exp, &values))?;
        Ok(events)
    }

    /// The run's event folder.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    fn experiment(&self, exp: &Config, values: &BTreeMap<String, Vec<&Value>>) -> Experiment {
        let hparams = values
            .iter()
            .map(|(field, vs)| {
                let mut domain: Vec<HParamValue> = Vec::new();
                for v in vs.iter().map(|v| self.value(field, v)) {
                    if !domain.contains(&v) {
                        domain.push(v);
                    }
                }
                HParam::new(field.clone(), Domain::Discrete(domain))
            })
            .collect();
        // The headline and the summary table's columns (summary metrics all of them).
        let mut names = vec![exp.output.metric.clone()];
        names.extend(exp.output.columns.iter().cloned());
        let mut seen = BTreeSet::new();
        names.retain(|n| seen.insert(n.clone()));
        Experiment {
            description: exp.experiment.description.clone(),
            hparams,
            metrics: names.iter().map(|n| Metric::new(summary_tag(n))).collect(),
            time_created: SystemTime::now(),
        }
    }

    fn value(&self, field: &str, v: &Value) -> HParamValue {
        match v {
            _ if self.text_fields.contains(field) => HParamValue::Text(text(v)),
            Value::Number(n) => HParamValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::Bool(b) => HParamValue::Bool(*b),
            other => HParamValue::Text(text(other)),
        }
    }

    /// The run's row of the HParams table: its swept values, grouped without its seeds.
    fn session_start(&self, exp: &Config, spec: &RunSpec) -> SessionStart {
        let group: Vec<String> = spec
            .group_point(exp)
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect();
        SessionStart {
            hparams: spec
                .point
                .iter()
                .map(|(k, v)| (k.clone(), self.value(k, v)))
                .collect(),
            group_name: group.join(" "),
            start_time: SystemTime::now(),
        }
    }

    /// Opens the run's event log: removes an earlier attempt's files unless the run resumes
    /// (`resuming`: its checkpoint folder exists), writes its session start. `None` (logged)
    /// when the folder cannot be written.
    pub fn open_run(&self, exp: &Config, spec: &RunSpec, resuming: bool) -> Option<RunEvents> {
        let dir = self.run_dir(&spec.id);
        let opened = (|| -> Result<EventWriter> {
            if !resuming && dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            let mut writer = EventWriter::create(&dir)?;
            writer.hparams_session_start(&self.session_start(exp, spec))?;
            writer.flush()?;
            Ok(writer)
        })();
        match opened {
            Ok(writer) => Some(RunEvents {
                writer: Some(writer),
                index: spec.index,
                first_step: None,
                last_step: 0,
                spent: Duration::ZERO,
            }),
            Err(e) => {
                tracing::warn!(
                    "run {}: no TensorBoard events ({}): {e:#}",
                    spec.index,
                    dir.display()
                );
                None
            }
        }
    }
}

/// Each swept field's values over the runs, in order of first appearance.
fn field_values(runs: &[RunSpec]) -> BTreeMap<String, Vec<&Value>> {
    let mut out: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for spec in runs {
        for (k, v) in &spec.point {
            let vs = out.entry(k.clone()).or_default();
            if !vs.contains(&v) {
                vs.push(v);
            }
        }
    }
    out
}

fn one_type(values: &[&Value]) -> bool {
    values.iter().all(|v| v.is_number()) || values.iter().all(|v| v.is_boolean())
}

/// A value as the table shows text: strings bare, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A run's summary metrics as the summary has them: its outcome's and its wall time.
pub fn summary_metrics(outcome: &kinds::RunOutcome, wall_s: f64) -> BTreeMap<String, f64> {
    let mut metrics = outcome.summary_metrics();
    metrics.insert("wall_s".into(), wall_s);
    metrics
}

/// The tag a summary metric is written under.
pub fn summary_tag(metric: &str) -> String {
    format!("summary/{metric}")
}

/// The tag of a per-epoch metric of a record: `val_top1` -> `val/top1`; the epoch's training
/// loss and learning rate get their own names (`train/loss`, `train/lr` are the per-step ones).
pub fn epoch_tag(metric: &str) -> Option<String> {
    Some(match metric {
        "epoch" => return None,
        "train_loss" => "train/epoch_loss".into(),
        "lr" => "train/epoch_lr".into(),
        "img_per_s" | "train_s" => format!("speed/{metric}"),
        _ => match metric.split_once('_') {
            Some((split, name)) => format!("{split}/{name}"),
            None => metric.to_string(),
        },
    })
}

/// One run's open event file, and the time spent writing it.
pub struct RunEvents {
    /// `None` once a write failed (the run goes on without events).
    writer: Option<EventWriter>,
    index: usize,
    /// The first step this process trained (`epoch * steps_per_epoch + step`).
    first_step: Option<i64>,
    last_step: i64,
    spent: Duration,
}

impl RunEvents {
    /// Runs `write` on the writer, timing it; the first error closes the log (with a warning).
    fn write(&mut self, write: impl FnOnce(&mut EventWriter) -> Result<()>) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        let t0 = Instant::now();
        let result = write(writer);
        self.spent += t0.elapsed();
        if let Err(e) = result {
            tracing::warn!("run {}: TensorBoard events stop here: {e:#}", self.index);
            self.writer = None;
        }
    }

    fn step(&mut self, step: &training::StepInfo) {
        let global = (step.epoch * step.steps_per_epoch + step.step) as i64;
        self.last_step = global;
        if self.first_step.is_none() {
            self.first_step = Some(global);
            if global > 0 {
                // A resume: readers drop what an earlier process wrote from this step on.
                self.write(|w| w.session_log_start(global));
            }
        }
        self.write(|w| match step.loss {
            Some(loss) => w.scalars(global, [("train/loss", loss), ("train/lr", step.lr)]),
            None => w.scalars(global, [("train/lr", step.lr)]),
        });
    }

    /// One epoch's metrics (as a record holds them), at the epoch as the step; flushed.
    pub fn epoch(&mut self, epoch: usize, metrics: &BTreeMap<String, f64>) {
        let tagged: Vec<(String, f64)> = metrics
            .iter()
            .filter_map(|(k, v)| Some((epoch_tag(k)?, *v)))
            .collect();
        self.write(|w| {
            w.scalars(epoch as i64, tagged.iter().map(|(t, v)| (t.as_str(), *v)))?;
            w.flush()
        });
    }

    /// The run's outcome: its summary metrics and session end (`Success`, or `Failure` for a
    /// run that failed or stopped short), flushed. A Ctrl-C stop writes no end: the run goes on.
    pub fn finish(mut self, summary: &BTreeMap<String, f64>, status: Option<SessionStatus>) -> Duration {
        let step = self.last_step;
        self.write(|w| {
            let tags: Vec<(String, f64)> = summary.iter().map(|(k, v)| (summary_tag(k), *v)).collect();
            if !tags.is_empty() {
                w.scalars(step, tags.iter().map(|(t, v)| (t.as_str(), *v)))?;
            }
            if let Some(status) = status {
                w.hparams_session_end(status, SystemTime::now())?;
            }
            w.flush()
        });
        self.spent
    }
}

/// A run's progress handle that also writes its event log: what the run's kind reports goes to
/// the bar (or log lines) and, with a log, into the event file.
pub struct Logged<'a> {
    pub shown: &'a RunProgress,
    pub events: Option<Mutex<RunEvents>>,
}

impl Logged<'_> {
    fn with_events(&self, f: impl FnOnce(&mut RunEvents)) {
        if let Some(events) = &self.events {
            f(&mut events.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    /// The event log, to finish it.
    pub fn into_events(self) -> Option<RunEvents> {
        self.events
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
    }
}

impl kinds::ShowProgress for Logged<'_> {
    fn set_epochs(&self, epochs: u64) {
        self.shown.set_epochs(epochs)
    }
    fn step(&self, epoch: usize, step: usize, steps: usize, loss: f64, samples_per_s: f64) {
        self.shown.step(epoch, step, steps, loss, samples_per_s)
    }
    fn epoch(&self, epoch: usize, epochs: usize, metrics: &BTreeMap<String, f64>) {
        self.shown.epoch(epoch, epochs, metrics);
        self.with_events(|e| e.epoch(epoch, metrics));
    }
    fn message(&self, text: &str) {
        self.shown.message(text)
    }
    fn optimiser_step(&self, step: &training::StepInfo) {
        self.with_events(|e| e.step(step));
    }
}

/// `<results>/tb`: the default root of a results folder's event files.
pub fn default_root(results: &Path) -> PathBuf {
    results.join(TB_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_metrics_get_tensorboard_groups_that_do_not_clash_with_step_tags() {
        assert_eq!(epoch_tag("val_top1").as_deref(), Some("val/top1"));
        assert_eq!(epoch_tag("test_loss").as_deref(), Some("test/loss"));
        assert_eq!(epoch_tag("eval_top1").as_deref(), Some("eval/top1"));
        assert_eq!(epoch_tag("train_top1").as_deref(), Some("train/top1"));
        assert_eq!(epoch_tag("train_loss").as_deref(), Some("train/epoch_loss"));
        assert_eq!(epoch_tag("lr").as_deref(), Some("train/epoch_lr"));
        assert_eq!(epoch_tag("img_per_s").as_deref(), Some("speed/img_per_s"));
        assert_eq!(epoch_tag("epoch"), None);
    }

    #[test]
    fn a_field_with_mixed_value_types_is_text_everywhere() {
        assert!(one_type(&[&Value::from(8), &Value::from(16.5)]));
        assert!(one_type(&[&Value::from(true), &Value::from(false)]));
        assert!(!one_type(&[&Value::from(8), &Value::from("auto")]));
        assert_eq!(text(&Value::from("star")), "star");
        assert_eq!(text(&serde_json::json!([1, 2])), "[1,2]");
    }
}
