//! Running a plan: skip what is done, run the rest (`--jobs` at a time), write each record
//! atomically, then the summary and plots.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use training::device::DeviceChoice;

use crate::config::Experiment;
use crate::kinds::{self, RunContext};
use crate::progress::{Progress, use_bars};
use crate::provenance::{Provenance, now_rfc3339};
use crate::results::{self, RunRecord, RunStatus, SCHEMA};
use crate::sweep::RunSpec;

/// How to run (none of it changes a run's result, so none of it is part of the run id).
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub results_dir: PathBuf,
    /// Rerun runs whose records exist.
    pub force: bool,
    /// Runs at a time.
    pub jobs: usize,
    pub device: DeviceChoice,
    /// CPU threads in all (split between jobs). Default: all cores.
    pub threads: Option<usize>,
    /// Progress bars (default: on a terminal outside CI).
    pub bars: bool,
}

impl ExecOptions {
    pub fn new(results_dir: PathBuf) -> ExecOptions {
        ExecOptions {
            results_dir,
            force: false,
            jobs: 1,
            device: DeviceChoice::Auto,
            threads: None,
            bars: use_bars(),
        }
    }
}

/// What happened to each run of a plan.
#[derive(Debug, Default)]
pub struct ExecReport {
    pub ran: Vec<String>,
    pub skipped: Vec<String>,
    pub failed: Vec<(String, String)>,
}

/// Records the config next to the results: `check` and `summarize` re-read it from there.
pub fn save_config(exp: &Experiment, results: &Path) -> Result<()> {
    results::write_atomic(&results.join("config.toml"), exp.source.text.as_bytes())?;
    let overrides = results.join("overrides.json");
    if exp.overrides.is_empty() {
        // Slurm tasks save concurrently: another may have removed it already.
        match std::fs::remove_file(&overrides) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    } else {
        let texts: Vec<&str> = exp.overrides.iter().map(|o| o.text.as_str()).collect();
        results::write_json(&overrides, &texts)?;
    }
    Ok(())
}

/// Runs `runs` (a plan, or a slice of one) into `opts.results_dir`.
pub fn execute(exp: &Experiment, runs: &[RunSpec], opts: &ExecOptions) -> Result<ExecReport> {
    let results = &opts.results_dir;
    std::fs::create_dir_all(results::runs_dir(results))
        .with_context(|| format!("creating {}", results::runs_dir(results).display()))?;
    if !opts.force {
        results::ensure_schema(results)?;
    }
    save_config(exp, results)?;

    let mut report = ExecReport::default();
    let mut todo = Vec::new();
    for spec in runs {
        if !opts.force && results::load_complete(results, spec).is_some() {
            report.skipped.push(spec.id.clone());
        } else {
            todo.push(spec);
        }
    }
    if todo.is_empty() {
        tracing::info!(
            "{}: all {} runs already done (use --force to rerun)",
            exp.experiment.name,
            runs.len()
        );
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
        report.skipped.len(),
        jobs,
        training::device::describe(device),
        threads,
        results.display()
    );
    let progress = Progress::new(runs.len(), report.skipped.len(), opts.bars);
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(spec) = todo.get(i) else { break };
                    let run = progress.start_run(spec.index, &spec.label(exp));
                    let result = run_one(exp, spec, results, device, threads, &run);
                    let line = match &result {
                        Ok(r) if r.status == RunStatus::Stopped => {
                            format!("stopped: {}", r.outcome.stopped.as_deref().unwrap_or(""))
                        }
                        Ok(r) => format!("done: {}", headline(r)),
                        Err(e) => format!("FAILED: {e:#}"),
                    };
                    progress.finish_run(run, &line);
                    outcomes
                        .lock()
                        .unwrap()
                        .push((spec.id.clone(), result.map(|_| ())));
                }
            });
        }
    });
    progress.finish();
    for (id, result) in outcomes.into_inner().unwrap() {
        match result {
            Ok(()) => report.ran.push(id),
            Err(e) => report.failed.push((id, format!("{e:#}"))),
        }
    }
    Ok(report)
}

/// Executes one run and writes its record.
pub fn run_one(
    exp: &Experiment,
    spec: &RunSpec,
    results: &Path,
    device: tch::Device,
    threads: usize,
    progress: &crate::progress::RunProgress,
) -> Result<RunRecord> {
    let started_at = now_rfc3339();
    let start = Instant::now();
    let kind = kinds::kind(exp.experiment.kind);
    let ctx = RunContext {
        device,
        threads,
        progress,
        artifacts: results::runs_dir(results).join(&spec.id),
    };
    let outcome = kind.execute(&spec.config, &ctx)?;
    let record = RunRecord {
        schema: SCHEMA,
        id: spec.id.clone(),
        experiment: exp.experiment.name.clone(),
        kind: exp.experiment.kind,
        index: spec.index,
        point: spec.point.clone(),
        status: if outcome.stopped.is_some() {
            RunStatus::Stopped
        } else {
            RunStatus::Complete
        },
        started_at,
        finished_at: now_rfc3339(),
        wall_s: start.elapsed().as_secs_f64(),
        device: training::device::describe(device),
        threads,
        provenance: Provenance::current(),
        config: spec.config.clone(),
        outcome,
    };
    results::write_json(&results::run_path(results, &spec.id), &record)?;
    Ok(record)
}

/// A short result line: the first of best_test_top1 / best_train_top1 (moons: what the reference
/// reports) / best_eval_top1 / whatever the run has.
fn headline(r: &RunRecord) -> String {
    let m = r.outcome.summary_metrics();
    for key in ["best_test_top1", "best_train_top1", "best_eval_top1"] {
        if let Some(v) = m.get(key) {
            return format!("{key} = {:.2}%", v * 100.0);
        }
    }
    m.iter()
        .next()
        .map_or_else(|| "ok".to_string(), |(k, v)| format!("{k} = {v:.4}"))
}

/// Fails with the list of failed runs, after everything else has been written.
pub fn fail_on_errors(report: &ExecReport) -> Result<()> {
    if report.failed.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = report
        .failed
        .iter()
        .map(|(id, e)| format!("  run {id}: {e}"))
        .collect();
    bail!(
        "{} run(s) failed (their records were not written; rerun to retry):\n{}",
        report.failed.len(),
        lines.join("\n")
    )
}
