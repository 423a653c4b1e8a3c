//! From run records to `summary.json`, `summary.md` and the figures, and the saved config of a
//! results folder.
//!
//! `summary.json` is `{"points": [{point, metrics: {name: {mean, std, n}}}], "paired": ...}`;
//! `paired` (see [`crate::stats::Paired`]) is there when `[output] compare` is set, `also_paired`
//! with `also_compare`, `vs_baseline` with `baseline`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::config::{Experiment, Override};
use serde::{Deserialize, Serialize};

use crate::kinds::{KindName, implicit_dim};
use crate::results::{self, RunRecord, SummaryEntry};
use crate::stats::{self, Paired};
use crate::sweep::RunSpec;
use crate::{figures, tables};

/// What `write` produced.
pub struct SummaryReport {
    pub entries: usize,
    pub runs: usize,
    pub missing: Vec<usize>,
    pub plots: Vec<PathBuf>,
    pub seconds: f64,
    /// What a reader of the results should know: stale, dirty or mixed records, failed or
    /// unreadable runs.
    pub warnings: Vec<String>,
    /// Drawing failed (summary.json was written).
    pub plot_error: Option<String>,
}

impl SummaryReport {
    pub fn describe(&self, results: &Path) -> String {
        let mut s = format!(
            "summary: {} point(s) from {} run(s) in {:.2} s -> {}",
            self.entries,
            self.runs,
            self.seconds,
            results.join("summary.json").display()
        );
        if !self.missing.is_empty() {
            let _ = write!(s, "\n  missing runs (not done yet): indices {:?}", self.missing);
        }
        for w in &self.warnings {
            let _ = write!(s, "\n  warning: {w}");
        }
        for p in &self.plots {
            let _ = write!(s, "\n  plot: {}", p.display());
        }
        if let Some(e) = &self.plot_error {
            let _ = write!(s, "\n  plots FAILED: {e}");
        }
        s
    }
}

/// The records of a plan found in a results folder.
#[derive(Default)]
pub struct Collected {
    /// Results (current and stale), in plan order.
    pub records: Vec<(RunSpec, RunRecord)>,
    pub missing: Vec<usize>,
    pub warnings: Vec<String>,
}

/// The records of `plan` found under `results`, in plan order, and what is wrong with the rest.
pub fn collect(plan: &[RunSpec], results: &Path) -> Collected {
    let mut c = Collected::default();
    let (mut failed, mut unreadable) = (Vec::new(), Vec::new());
    for spec in plan {
        match results::find(results, spec) {
            results::Found::Done(r) | results::Found::Stale(r) => c.records.push((spec.clone(), *r)),
            results::Found::Failed(r) => failed.push(format!(
                "run {} failed: {}",
                spec.index,
                r.error.as_deref().unwrap_or("").lines().next().unwrap_or("")
            )),
            results::Found::Unreadable(why) | results::Found::Mismatch(why) => unreadable.push(why),
            results::Found::Missing => c.missing.push(spec.index),
        }
    }
    let mut prints: Vec<&str> = c
        .records
        .iter()
        .map(|(_, r)| r.provenance.code_fingerprint.as_str())
        .collect();
    prints.sort();
    prints.dedup();
    let stale = c
        .records
        .iter()
        .filter(|(_, r)| !r.provenance.is_current_code())
        .count();
    let dirty = c.records.iter().filter(|(_, r)| r.provenance.git.dirty).count();
    if prints.len() > 1 {
        c.warnings.push(format!(
            "the records mix {} code fingerprints ({}): rerun with --force for results of one code version",
            prints.len(),
            prints
                .iter()
                .map(|p| if p.is_empty() { "none" } else { p })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if stale > 0 {
        c.warnings.push(format!(
            "{stale} of {} records come from other code than this build ({}); marked as stale_runs",
            c.records.len(),
            crate::provenance::CODE_FINGERPRINT
        ));
    }
    if dirty > 0 {
        c.warnings.push(format!(
            "{dirty} of {} records come from a source tree with uncommitted changes; marked as dirty_runs",
            c.records.len()
        ));
    }
    c.warnings.extend(failed);
    c.warnings.extend(
        unreadable
            .into_iter()
            .map(|w| format!("record left out, it cannot be read: {w}")),
    );
    c
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub points: Vec<SummaryEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Paired>,
    /// `[output] also_compare`, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_paired: Vec<Paired>,
    /// `[output] baseline`: every other point minus that extra, seed by seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<Paired>,
}

pub fn build(exp: &Experiment, records: &[(RunSpec, RunRecord)]) -> Summary {
    let points: Vec<_> = records
        .iter()
        .map(|(spec, r)| (spec.group_point(exp), r))
        .collect();
    let seeds = crate::sweep::seed_axes(exp);
    let x = figures::x_axis(exp);
    let paired = |c: &stats::Compare| {
        let metric = c.metric.as_deref().unwrap_or(&exp.output.metric);
        stats::paired(c, metric, &seeds, x.as_deref(), records)
    };
    let vs_baseline = exp
        .output
        .baseline
        .as_ref()
        .map(|label| stats::against_extra(label, &exp.output.metric, &seeds, records));
    Summary {
        points: results::summarize(&points),
        paired: exp.output.compare.as_ref().map(paired),
        also_paired: exp.output.also_compare.iter().map(paired).collect(),
        vs_baseline,
    }
}

/// Writes `summary.json` (and the plots when `plots`) for the runs of `plan` found in `results`,
/// holding the folder's summary lock so that concurrent writers take turns.
pub fn write(exp: &Experiment, plan: &[RunSpec], results: &Path, plots: bool) -> Result<SummaryReport> {
    let start = Instant::now();
    let _lock = durable::Lock::acquire(&results::summary_lock_path(results))?;
    durable::clean_stale_temps(results);
    let c = collect(plan, results);
    let summary = build(exp, &c.records);
    results::write_json(&results.join("summary.json"), &summary)?;
    let md = tables::markdown(exp, &summary, c.records.len());
    durable::write_atomic(&results.join("summary.md"), md.as_bytes())?;
    if exp.experiment.kind == KindName::ImplicitDim {
        write_measurements(&c.records, results)?;
    }
    let (plots, plot_error) = if plots {
        let inputs = figures::Inputs {
            exp,
            records: &c.records,
            summary: &summary.points,
            paired: summary.paired.as_ref(),
        };
        match figures::draw(inputs, results) {
            Ok(p) => (p, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        }
    } else {
        (Vec::new(), None)
    };
    Ok(SummaryReport {
        entries: summary.points.len(),
        runs: c.records.len(),
        missing: c.missing,
        plots,
        seconds: start.elapsed().as_secs_f64(),
        warnings: c.warnings,
        plot_error,
    })
}

/// `records.json`: every implicit-dimension measurement of the runs, in plan order (keys sorted,
/// as in the run records).
fn write_measurements(records: &[(RunSpec, RunRecord)], results: &Path) -> Result<()> {
    let mut all = Vec::new();
    for (_, r) in records {
        let measured = implicit_dim::records(&r.outcome).with_context(|| format!("run {}", r.id))?;
        all.extend(measured);
    }
    results::write_json(&results.join("records.json"), &serde_json::to_value(&all)?)
}

/// The experiment a results folder was produced by: its `config.toml` and `overrides.json`.
pub fn load_saved(results: &Path) -> Result<Experiment> {
    let config = results.join("config.toml");
    if !config.is_file() {
        anyhow::bail!(
            "{} has no config.toml: is it a results folder written by `runner run`? (it saves its config there)",
            results.display()
        );
    }
    let mut exp = Experiment::load(&config)?;
    let overrides = results.join("overrides.json");
    if overrides.is_file() {
        let texts: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&overrides)?)
            .with_context(|| format!("{} is not a JSON list of overrides", overrides.display()))?;
        exp.overrides = texts
            .iter()
            .map(|t| {
                t.parse::<Override>()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", overrides.display()))
            })
            .collect::<Result<_>>()?;
    }
    Ok(exp)
}

/// `runner plan`'s table.
pub fn plan_table(exp: &Experiment, plan: &[RunSpec], results: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} run(s), results in {}",
        exp.experiment.name,
        exp.experiment.kind.as_str(),
        plan.len(),
        results.display()
    );
    let _ = writeln!(out, "{:>5}  {:<16}  {:<7}  point", "index", "id", "status");
    for spec in plan {
        let done = match results::find(results, spec) {
            results::Found::Done(_) => "done",
            results::Found::Stale(_) => "stale",
            results::Found::Failed(_) => "failed",
            results::Found::Unreadable(_) | results::Found::Mismatch(_) => "unreadable",
            results::Found::Missing => "pending",
        };
        let _ = writeln!(
            out,
            "{:>5}  {:<16}  {:<7}  {}",
            spec.index,
            spec.id,
            done,
            spec.label(exp)
        );
    }
    out
}
