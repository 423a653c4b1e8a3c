//! One run of a plan: its kind executed, its record written, a panic or error turned into a
//! `failed` record (a Ctrl-C stop into none).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;
use tensorboard::SessionStatus;

use config::Experiment;
use kinds::{RunContext, RunOutcome};
use sweep::RunSpec;

use super::events::{Logged, SweepEvents, summary_metrics};
use crate::commands::progress::RunProgress;
use crate::commands::{fault_hooks, interrupt};
use crate::results::provenance::now_rfc3339;
use crate::results::{self, Provenance, RunRecord, RunStatus, SCHEMA};

/// What every run of one execution shares: the experiment, where its records go, the device and
/// each run's share of the CPU threads.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub exp: &'a Experiment,
    pub results: &'a Path,
    pub device: tch::Device,
    pub threads: usize,
    /// Where the runs' TensorBoard event files go (`None`: not written).
    pub events: Option<&'a SweepEvents>,
}

/// [`run_one`] with panics caught; a failed run leaves a `failed` record with its message.
pub(super) fn run_guarded(job: &Job<'_>, spec: &RunSpec, progress: &RunProgress) -> Result<RunRecord> {
    let started_at = now_rfc3339();
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| run_one(job, spec, progress)))
        .unwrap_or_else(|panic| Err(anyhow::anyhow!("panicked: {}", panic_message(&*panic))));
    // A run stopped by Ctrl-C is neither failed nor done: it leaves its checkpoint, no record.
    if let Err(e) = &result
        && interrupted(e).is_none()
    {
        let mut record = new_record(job, spec, RunOutcome::default(), started_at, start);
        record.status = RunStatus::Failed;
        record.error = Some(format!("{e:#}"));
        if let Err(w) = results::write_json(&results::run_path(job.results, &spec.id), &record) {
            tracing::warn!("run {}: could not record its failure: {w:#}", spec.index);
        }
    }
    result
}

/// The Ctrl-C stop that ended a run, if that is what `e` is.
pub fn interrupted(e: &anyhow::Error) -> Option<&training::Interrupted> {
    e.downcast_ref::<training::Interrupted>()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

fn new_record(
    job: &Job<'_>,
    spec: &RunSpec,
    outcome: RunOutcome,
    started_at: String,
    start: Instant,
) -> RunRecord {
    RunRecord {
        schema: SCHEMA,
        id: spec.id.clone(),
        experiment: job.exp.experiment.name.clone(),
        kind: job.exp.experiment.kind,
        index: spec.index,
        point: spec.point.clone(),
        status: if outcome.stopped.is_some() {
            RunStatus::Stopped
        } else {
            RunStatus::Complete
        },
        error: None,
        started_at,
        finished_at: now_rfc3339(),
        wall_s: start.elapsed().as_secs_f64(),
        device: training::device::describe(job.device),
        threads: tch::get_num_threads().max(1) as usize,
        provenance: Provenance::current(),
        config: spec.config.to_json(),
        outcome,
    }
}

/// Executes one run and writes its record.
pub fn run_one(job: &Job<'_>, spec: &RunSpec, progress: &RunProgress) -> Result<RunRecord> {
    let started_at = now_rfc3339();
    let start = Instant::now();
    let checkpoints = results::checkpoint_dir(job.results, &spec.id);
    let resuming = checkpoints.exists();
    let logged = Logged {
        shown: progress,
        events: job
            .events
            .and_then(|e| e.open_run(job.exp, spec, resuming))
            .map(Mutex::new),
    };
    let ctx = RunContext {
        device: job.device,
        threads: job.threads,
        progress: &logged,
        artifacts: results::runs_dir(job.results).join(&spec.id),
        checkpoints: checkpoints.clone(),
        stop_requested: interrupt::requested,
        tamper: fault_hooks::tamper(),
    };
    // Panics are caught here too, so that the event log can say the run failed.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        fault_hooks::before_run(spec.index);
        spec.config.clone().execute(&ctx)
    }))
    .unwrap_or_else(|panic| Err(anyhow::anyhow!("panicked: {}", panic_message(&*panic))));
    drop(ctx);
    if let Some(events) = logged.into_events() {
        let wall = start.elapsed().as_secs_f64();
        let (summary, status) = match &outcome {
            Ok(o) if o.stopped.is_some() => (summary_metrics(o, wall), Some(SessionStatus::Failure)),
            Ok(o) => (summary_metrics(o, wall), Some(SessionStatus::Success)),
            Err(e) if interrupted(e).is_some() => (Default::default(), None),
            Err(_) => (Default::default(), Some(SessionStatus::Failure)),
        };
        let spent = events.finish(&summary, status);
        tracing::debug!(
            "run {}: {:.2} ms in the TensorBoard writer, {:.4}% of its {wall:.2} s",
            spec.index,
            spent.as_secs_f64() * 1e3,
            100.0 * spent.as_secs_f64() / wall.max(1e-9)
        );
    }
    let outcome = outcome?;
    let record = new_record(job, spec, outcome, started_at, start);
    results::write_json(&results::run_path(job.results, &spec.id), &record)?;
    // The run is recorded: its checkpoints have served.
    let _ = std::fs::remove_dir_all(&checkpoints);
    Ok(record)
}
