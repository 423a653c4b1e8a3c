//! [`write`]: a results folder's report, from its records: `summary.json`, `summary.md` (its
//! tables), `records.json` (implicit_dim's measurements) and the figures.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use config::Experiment;
use kinds::KindName;
use sweep::RunSpec;

use super::figures;
use super::summary::build;
use super::tables;
use crate::results::{RunRecord, collect, summary_lock_path, write_json};

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

/// Writes `summary.json` (and the plots when `plots`) for the runs of `plan` found in `results`,
/// holding the folder's summary lock so that concurrent writers take turns.
pub fn write(exp: &Experiment, plan: &[RunSpec], results: &Path, plots: bool) -> Result<SummaryReport> {
    let start = Instant::now();
    let _lock = durable::Lock::acquire(&summary_lock_path(results))?;
    durable::clean_stale_temps(results);
    let mut c = collect(plan, results);
    c.warnings.extend(unknown_metrics(exp, &c.records));
    let summary = build(exp, &c.records);
    write_json(&results.join("summary.json"), &summary)?;
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
            also_paired: &summary.also_paired,
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

/// The metrics `[output]` names (`metric`, and those of `compare`, `also_compare`) that no record
/// has: their tables and figures would be empty without a word, so the summary says which.
fn unknown_metrics(exp: &Experiment, records: &[(RunSpec, RunRecord)]) -> Vec<String> {
    if records.is_empty() {
        return Vec::new();
    }
    let known: BTreeSet<String> = records
        .iter()
        .flat_map(|(_, r)| r.outcome.summary_metrics().into_keys())
        .collect();
    let out = &exp.output;
    let named = std::iter::once(&out.metric).chain(
        out.compare
            .iter()
            .chain(&out.also_compare)
            .filter_map(|c| c.metric.as_ref()),
    );
    let mut unknown: Vec<&String> = named.filter(|m| !known.contains(*m)).collect();
    unknown.dedup();
    unknown
        .into_iter()
        .map(|m| {
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            format!(
                "`[output]` names the metric {m:?}, which no run record has: its tables and figures are empty \
                 (the records have: {})",
                names.join(", ")
            )
        })
        .collect()
}

/// `records.json`: every implicit-dimension measurement of the runs, in plan order (keys sorted,
/// as in the run records).
fn write_measurements(records: &[(RunSpec, RunRecord)], results: &Path) -> Result<()> {
    let mut all = Vec::new();
    for (_, r) in records {
        let measured = kinds::implicit_dim::records(&r.outcome).with_context(|| format!("run {}", r.id))?;
        all.extend(measured);
    }
    write_json(&results.join("records.json"), &serde_json::to_value(&all)?)
}
