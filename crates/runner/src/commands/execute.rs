//! Running a plan: classify each run's record (done, stale, failed, unreadable, missing), run
//! what is to do (`--jobs` at a time, one lock per run), write each record atomically.
//!
//! A run that panics or errors is caught here and recorded as `failed` with its message; the
//! other runs, the summary and the plots go on. Two processes on one folder never run the same
//! run: each takes the run's lock first, re-reads the record, and waits (saying so) for runs
//! another process holds.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use training::device::DeviceChoice;

use config::Experiment;
use sweep::RunSpec;

use super::interrupt;
use super::progress::{Progress, use_bars};
use crate::results::{self, CODE_FINGERPRINT, Found, RunRecord, RunStatus, save_config};

pub mod events;
mod one_run;
use events::SweepEvents;
use one_run::run_guarded;
pub use one_run::{Job, interrupted, run_one};

/// How to run (none of it changes a run's result, so none of it is part of the run id).
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub results_dir: PathBuf,
    /// Rerun runs whose records exist.
    pub force: bool,
    /// Keep records made by other code (another fingerprint) instead of rerunning them.
    pub reuse_stale: bool,
    /// Runs at a time.
    pub jobs: usize,
    pub device: DeviceChoice,
    /// CPU threads in all (split between jobs). Default: all cores.
    pub threads: Option<usize>,
    /// Progress bars (default: on a terminal outside CI).
    pub bars: bool,
    /// The root of the runs' TensorBoard event files (`None`: none written).
    pub tensorboard: Option<PathBuf>,
}

impl ExecOptions {
    pub fn new(results_dir: PathBuf) -> ExecOptions {
        ExecOptions {
            results_dir,
            force: false,
            reuse_stale: false,
            jobs: 1,
            device: DeviceChoice::Auto,
            threads: None,
            bars: use_bars(),
            tensorboard: None,
        }
    }
}

/// What happened to each run of a plan (by id).
#[derive(Debug, Default)]
pub struct ExecReport {
    pub ran: Vec<String>,
    pub skipped: Vec<String>,
    /// Records of other code kept because of `--reuse-stale`.
    pub stale_kept: Vec<String>,
    /// (index, id, message).
    pub failed: Vec<(usize, String, String)>,
    /// Runs not started because of Ctrl-C.
    pub not_started: usize,
    /// Runs stopped by Ctrl-C mid-way, with their state saved to resume from: (index, id, message).
    pub interrupted: Vec<(usize, String, String)>,
}

/// The runs of `runs` that are to do, after saying (by name) what is stale, failed or unreadable.
fn triage<'a>(runs: &'a [RunSpec], opts: &ExecOptions, report: &mut ExecReport) -> Result<Vec<&'a RunSpec>> {
    let results = &opts.results_dir;
    let mut todo = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let (mut stale, mut failed_before, mut duplicates) = (Vec::new(), 0, 0);
    let kernels = training::kernels::current();
    let mut other_kernels = Vec::new();
    for spec in runs {
        // An --override that collapses an axis makes runs with one id: run it once.
        if !seen.insert(spec.id.as_str()) {
            duplicates += 1;
            continue;
        }
        if opts.force {
            todo.push(spec);
            continue;
        }
        match results::find(results, spec) {
            Found::Done(r) | Found::Stale(r) if r.provenance.cpu.kernels != kernels => {
                other_kernels.push(r.provenance.cpu.kernels);
                todo.push(spec);
            }
            Found::Done(_) => {
                remove_leftover_lock(results, spec);
                report.skipped.push(spec.id.clone())
            }
            Found::Stale(r) if opts.reuse_stale => {
                report.stale_kept.push(spec.id.clone());
                stale.push(r.provenance.code_fingerprint.clone());
            }
            Found::Stale(r) => {
                stale.push(r.provenance.code_fingerprint.clone());
                todo.push(spec);
            }
            Found::Failed(_) => {
                failed_before += 1;
                todo.push(spec);
            }
            Found::Unreadable(why) | Found::Mismatch(why) => {
                let kept = results::set_aside(results, &spec.id)?;
                tracing::warn!(
                    "run {} ({}): its record cannot be used ({why}); kept as {} and rerunning it",
                    spec.index,
                    spec.id,
                    kept.display()
                );
                todo.push(spec);
            }
            Found::Missing => todo.push(spec),
        }
    }
    if duplicates > 0 {
        tracing::warn!(
            "{duplicates} run(s) have the same config as an earlier run of the plan (an --override collapsed a sweep axis): each config runs once"
        );
    }
    if !stale.is_empty() {
        let count = stale.len();
        stale.sort();
        stale.dedup();
        let from: Vec<&str> = stale
            .iter()
            .map(|f| if f.is_empty() { "none recorded" } else { f })
            .collect();
        let action = if opts.reuse_stale {
            "kept because of --reuse-stale (marked in the summary)"
        } else {
            "rerunning them (--reuse-stale keeps them)"
        };
        tracing::warn!(
            "{count} run(s) are stale: recorded by other code (fingerprint {}; this build is {CODE_FINGERPRINT}); {action}",
            from.join(", ")
        );
    }
    if let Some(mode) = other_kernels.first() {
        tracing::warn!(
            "{} run(s) were recorded with {mode} CPU kernels; this run uses {kernels} ([experiment] kernels, --kernels): rerunning them",
            other_kernels.len()
        );
    }
    if failed_before > 0 {
        tracing::warn!("{failed_before} run(s) failed before: rerunning them");
    }
    Ok(todo)
}

/// Removes the lock file of a done run that nobody holds: a process killed after writing the
/// run's record and before removing its lock leaves the file (the kernel released the lock
/// itself). Anyone who takes a lock re-checks the record afterwards, so removing it is safe.
fn remove_leftover_lock(results: &Path, spec: &RunSpec) {
    let path = results::run_lock_path(results, &spec.id);
    if path.exists()
        && let Ok(Some(lock)) = durable::Lock::try_acquire(&path)
    {
        lock.release_and_remove();
    }
}

/// Runs `runs` (a plan, or a slice of one) into `opts.results_dir`.
pub fn execute(exp: &Experiment, runs: &[RunSpec], opts: &ExecOptions) -> Result<ExecReport> {
    let results = &opts.results_dir;
    let runs_dir = results::runs_dir(results);
    std::fs::create_dir_all(&runs_dir).with_context(|| format!("creating {}", runs_dir.display()))?;
    for dir in [results.as_path(), runs_dir.as_path()] {
        let n = durable::clean_stale_temps(dir);
        if n > 0 {
            tracing::info!(
                "removed {n} temporary file(s) left in {} by a killed process",
                dir.display()
            );
        }
    }
    if !opts.force {
        results::ensure_schema(results)?;
    }
    save_config(exp, results)?;

    let mut report = ExecReport::default();
    let todo = triage(runs, opts, &mut report)?;
    if todo.is_empty() {
        tracing::info!("{}: all {} runs already done", exp.experiment.name, runs.len());
        return Ok(report);
    }

    let device = opts.device.resolve()?;
    let jobs = opts.jobs.clamp(1, todo.len());
    let total_threads = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // tch's thread pool is process-wide: set once, each concurrent run gets an equal share.
    let threads = if device.is_cuda() {
        total_threads
    } else {
        (total_threads / jobs).max(1)
    };
    tch::set_num_threads(threads as i32);

    tracing::info!(
        "{}: {} runs to do, {} already done; {} at a time on {} with {} threads each; results in {}",
        exp.experiment.name,
        todo.len(),
        report.skipped.len() + report.stale_kept.len(),
        jobs,
        training::device::describe(device),
        threads,
        results.display()
    );
    // The experiment lists the whole sweep, also when this process runs a part of it (`--index`).
    let events = opts.tensorboard.as_ref().and_then(|root| {
        let plan = sweep::plan(exp).unwrap_or_else(|_| runs.to_vec());
        SweepEvents::start(root.clone(), exp, &plan)
            .inspect_err(|e| tracing::warn!("no TensorBoard events ({}): {e:#}", root.display()))
            .ok()
    });
    let job = Job {
        exp,
        results,
        device,
        threads,
        events: events.as_ref(),
    };
    let progress = Progress::new(runs.len(), runs.len() - todo.len(), opts.bars);
    let outcomes = Mutex::new(Vec::new());
    let busy = Mutex::new(Vec::new());
    let report_interrupted = AtomicUsize::new(0);
    // Pass 1 skips runs another process holds; pass 2 waits for them (and redoes any it left).
    for (pass, list) in [(1, todo), (2, Vec::new())] {
        let list = if pass == 1 {
            list
        } else {
            std::mem::take(&mut *busy.lock().unwrap())
        };
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..jobs.min(list.len()) {
                scope.spawn(|| {
                    while let Some(spec) = list.get(next.fetch_add(1, Ordering::SeqCst)).copied() {
                        let lock_path = results::run_lock_path(results, &spec.id);
                        let lock = if pass == 1 {
                            durable::Lock::try_acquire(&lock_path)
                        } else {
                            let pid = durable::holder(&lock_path).map_or("?".into(), |p| p.to_string());
                            tracing::info!(
                                "run {} is being run by another process (pid {pid}); waiting for it",
                                spec.index
                            );
                            durable::Lock::acquire(&lock_path).map(Some)
                        };
                        let lock = match lock {
                            Ok(Some(l)) => l,
                            Ok(None) => {
                                busy.lock().unwrap().push(spec);
                                continue;
                            }
                            Err(e) => {
                                outcomes.lock().unwrap().push((spec, Err(e)));
                                continue;
                            }
                        };
                        if interrupt::requested() {
                            outcomes.lock().unwrap().push((spec, Ok(None)));
                            report_interrupted.fetch_add(1, Ordering::SeqCst);
                            continue;
                        }
                        // Another process may have finished it since the triage.
                        if !opts.force
                            && let Some(r) = results::find(results, spec).result()
                            && (r.provenance.is_current_code() || opts.reuse_stale)
                            && r.provenance.cpu.kernels == training::kernels::current()
                        {
                            outcomes.lock().unwrap().push((spec, Ok(None)));
                            continue;
                        }
                        let run = progress.start_run(spec.index, &spec.label(exp));
                        let result = run_guarded(&job, spec, &run);
                        let line = match &result {
                            Ok(r) if r.status == RunStatus::Stopped => {
                                format!("stopped: {}", r.outcome.stopped.as_deref().unwrap_or(""))
                            }
                            Ok(r) => format!("done: {}", headline(r)),
                            Err(e) if interrupted(e).is_some() => format!("{e}"),
                            Err(e) => format!("FAILED: {}", first_line(&format!("{e:#}"))),
                        };
                        progress.finish_run(run, &line);
                        if result.is_ok() {
                            lock.release_and_remove();
                        }
                        outcomes.lock().unwrap().push((spec, result.map(Some)));
                    }
                });
            }
        });
    }
    progress.finish();
    report.not_started = report_interrupted.into_inner();
    for (spec, result) in outcomes.into_inner().unwrap() {
        match result {
            Ok(Some(_)) => report.ran.push(spec.id.clone()),
            Ok(None) => report.skipped.push(spec.id.clone()),
            Err(e) if interrupted(&e).is_some() => {
                report
                    .interrupted
                    .push((spec.index, spec.id.clone(), e.to_string()))
            }
            Err(e) => report
                .failed
                .push((spec.index, spec.id.clone(), format!("{e:#}"))),
        }
    }
    Ok(report)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A short result line: the first of test_top1 (at the epoch selected on validation) /
/// best_train_top1 (moons: what the reference reports) / best_eval_top1 / whatever the run has.
fn headline(r: &RunRecord) -> String {
    let m = r.outcome.summary_metrics();
    for key in ["test_top1", "best_train_top1", "best_eval_top1"] {
        if let Some(v) = m.get(key) {
            return format!("{key} = {:.2}%", v * 100.0);
        }
    }
    m.iter()
        .next()
        .map_or_else(|| "ok".to_string(), |(k, v)| format!("{k} = {v:.4}"))
}

/// The runs stopped by Ctrl-C, one line each, saying how to go on.
pub fn interrupted_lines(report: &ExecReport) -> String {
    report
        .interrupted
        .iter()
        .map(|(index, id, e)| format!("  run {index} ({id}): {e}; run the same command again to resume it"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The failed runs, one line each (their `failed` records hold the full message).
pub fn failure_lines(report: &ExecReport) -> String {
    report
        .failed
        .iter()
        .map(|(index, id, e)| format!("  run {index} ({id}): {}", first_line(e)))
        .collect::<Vec<_>>()
        .join("\n")
}
