//! From run records to `summary.json`, `summary.md` and the figures, and the saved config of a
//! results folder.
//!
//! `summary.json` is `{"points": [{point, metrics: {name: {mean, std, n}}}], "paired": ...}`;
//! `paired` (see [`crate::stats::Paired`]) is there when `[output] compare` is set.

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
        for p in &self.plots {
            let _ = write!(s, "\n  plot: {}", p.display());
        }
        s
    }
}

/// The records of `plan` found under `results`, in plan order, and the indices with none.
pub fn collect(plan: &[RunSpec], results: &Path) -> (Vec<(RunSpec, RunRecord)>, Vec<usize>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for spec in plan {
        match results::load_complete(results, spec) {
            Some(r) => found.push((spec.clone(), r)),
            None => missing.push(spec.index),
        }
    }
    (found, missing)
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub points: Vec<SummaryEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Paired>,
}

pub fn build(exp: &Experiment, records: &[(RunSpec, RunRecord)]) -> Summary {
    let points: Vec<_> = records
        .iter()
        .map(|(spec, r)| (spec.group_point(exp), r))
        .collect();
    let paired = exp.output.compare.as_ref().map(|c| {
        let metric = c.metric.as_deref().unwrap_or(&exp.output.metric);
        let seeds: Vec<&str> = exp
            .axes
            .iter()
            .filter(|a| a.is_seed())
            .map(|a| a.key.as_str())
            .collect();
        let x = figures::x_axis(exp);
        stats::paired(c, metric, &seeds, x.as_deref(), records)
    });
    Summary {
        points: results::summarize(&points),
        paired,
    }
}

/// Writes `summary.json` (and the plots when `plots`) for the runs of `plan` found in `results`.
pub fn write(exp: &Experiment, plan: &[RunSpec], results: &Path, plots: bool) -> Result<SummaryReport> {
    let start = Instant::now();
    let (records, missing) = collect(plan, results);
    let summary = build(exp, &records);
    results::write_json(&results.join("summary.json"), &summary)?;
    let md = tables::markdown(exp, &summary, records.len());
    results::write_atomic(&results.join("summary.md"), md.as_bytes())?;
    if exp.experiment.kind == KindName::ImplicitDim {
        write_measurements(&records, results)?;
    }
    let plots = if plots {
        let inputs = figures::Inputs {
            exp,
            records: &records,
            summary: &summary.points,
            paired: summary.paired.as_ref(),
        };
        figures::draw(inputs, results)?
    } else {
        Vec::new()
    };
    Ok(SummaryReport {
        entries: summary.points.len(),
        runs: records.len(),
        missing,
        plots,
        seconds: start.elapsed().as_secs_f64(),
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
        let done = if results::load_complete(results, spec).is_some() {
            "done"
        } else {
            "pending"
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
