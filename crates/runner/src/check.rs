//! `runner check`: do fresh results still agree with the committed summary?
//!
//! The committed folder holds `config.toml` and `summary.json`. The fresh summary comes from a
//! rerun of that config into a temporary folder, or from a folder given with `--fresh`. Each
//! metric named in `[output] check = { metric = tolerance }` is compared point by point: the
//! absolute difference of the means must be within the tolerance (either direction: a change is
//! a change, better or worse). A committed point with no fresh counterpart fails the check.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::config::Experiment;
use crate::execute::{self, ExecOptions};
use crate::results::{SummaryEntry, read_summary};
use crate::{summary, sweep};

/// Reruns `exp` into `keep` (or a temporary folder that is kept until the process ends) and
/// returns the folder holding the fresh `summary.json`.
pub fn rerun(exp: &Experiment, keep: Option<&Path>, exec: &ExecOptions) -> Result<PathBuf> {
    let dir = match keep {
        Some(d) => d.to_path_buf(),
        None => tempfile::Builder::new().prefix("runner-check-").tempdir()?.keep(),
    };
    let plan = sweep::plan(exp)?;
    let mut opts = exec.clone();
    opts.results_dir = dir.clone();
    opts.force = true;
    let report = execute::execute(exp, &plan, &opts)?;
    execute::fail_on_errors(&report)?;
    summary::write(exp, &plan, &dir, false)?;
    Ok(dir)
}

/// One compared metric at one point.
#[derive(Debug, Clone)]
pub struct Row {
    pub point: String,
    pub metric: String,
    pub committed: Option<f64>,
    pub fresh: Option<f64>,
    pub tolerance: f64,
}

impl Row {
    pub fn diff(&self) -> Option<f64> {
        Some(self.fresh? - self.committed?)
    }

    pub fn ok(&self) -> bool {
        self.diff().is_some_and(|d| d.abs() <= self.tolerance)
    }
}

pub struct CheckReport {
    pub rows: Vec<Row>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(Row::ok)
    }

    pub fn compared(&self) -> usize {
        self.rows.len()
    }

    pub fn points(&self) -> usize {
        let mut p: Vec<&str> = self.rows.iter().map(|r| r.point.as_str()).collect();
        p.dedup();
        p.len()
    }

    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| !r.ok())
            .map(|r| match (r.committed, r.fresh) {
                (Some(_), None) => format!("{} at [{}]: missing in the fresh results", r.metric, r.point),
                (None, _) => format!("{} at [{}]: missing in the committed summary", r.metric, r.point),
                _ => format!(
                    "{} at [{}] differs by {:+.4} (tolerance {})",
                    r.metric,
                    r.point,
                    r.diff().unwrap(),
                    r.tolerance
                ),
            })
            .collect()
    }

    /// A fixed-width table of every comparison.
    pub fn table(&self) -> String {
        let pw = self.rows.iter().map(|r| r.point.len()).max().unwrap_or(5).max(5);
        let mw = self.rows.iter().map(|r| r.metric.len()).max().unwrap_or(6).max(6);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<pw$}  {:<mw$}  {:>10}  {:>10}  {:>9}  {:>9}  status",
            "point", "metric", "committed", "fresh", "diff", "tolerance"
        );
        let num = |v: Option<f64>| v.map_or_else(|| "missing".to_string(), |v| format!("{v:.4}"));
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{:<pw$}  {:<mw$}  {:>10}  {:>10}  {:>9}  {:>9}  {}",
                r.point,
                r.metric,
                num(r.committed),
                num(r.fresh),
                r.diff().map_or_else(|| "-".to_string(), |d| format!("{d:+.4}")),
                r.tolerance,
                if r.ok() { "ok" } else { "REGRESSION" }
            );
        }
        out
    }
}

fn point_label(point: &BTreeMap<String, Value>) -> String {
    if point.is_empty() {
        return "(single point)".to_string();
    }
    point
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compares `fresh/summary.json` with `committed/summary.json` under `exp`'s tolerances.
pub fn compare(exp: &Experiment, committed: &Path, fresh: &Path) -> Result<CheckReport> {
    let tolerances = &exp.output.check;
    if tolerances.is_empty() {
        bail!(
            "{}: [output] has no `check = {{ metric = tolerance }}`, so there is nothing to compare",
            exp.source.path.display()
        );
    }
    let old = read_summary(&committed.join("summary.json"))?;
    let new = read_summary(&fresh.join("summary.json"))?;
    Ok(CheckReport {
        rows: rows(&old, &new, tolerances),
    })
}

pub fn rows(old: &[SummaryEntry], new: &[SummaryEntry], tolerances: &BTreeMap<String, f64>) -> Vec<Row> {
    let mut rows = Vec::new();
    for entry in old {
        let fresh = new.iter().find(|e| e.point == entry.point);
        for (metric, &tolerance) in tolerances {
            rows.push(Row {
                point: point_label(&entry.point),
                metric: metric.clone(),
                committed: entry.metrics.get(metric).map(|s| s.mean),
                fresh: fresh.and_then(|f| f.metrics.get(metric)).map(|s| s.mean),
                tolerance,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Stat;

    fn entry(width: i64, top1: f64) -> SummaryEntry {
        SummaryEntry {
            point: BTreeMap::from([("width".to_string(), Value::from(width))]),
            metrics: BTreeMap::from([(
                "best_top1".to_string(),
                Stat {
                    mean: top1,
                    std: 0.0,
                    n: 2,
                },
            )]),
        }
    }

    #[test]
    fn within_tolerance_passes_and_beyond_fails_either_way() {
        let tol = BTreeMap::from([("best_top1".to_string(), 0.02)]);
        let old = vec![entry(8, 0.80), entry(16, 0.85)];
        let ok = CheckReport {
            rows: rows(&old, &[entry(8, 0.81), entry(16, 0.84)], &tol),
        };
        assert!(ok.passed());
        let worse = CheckReport {
            rows: rows(&old, &[entry(8, 0.75), entry(16, 0.85)], &tol),
        };
        assert!(!worse.passed());
        assert_eq!(worse.failures().len(), 1);
        assert!(worse.table().contains("REGRESSION"));
        let better = CheckReport {
            rows: rows(&old, &[entry(8, 0.80), entry(16, 0.90)], &tol),
        };
        assert!(!better.passed());
    }

    #[test]
    fn a_missing_point_fails() {
        let tol = BTreeMap::from([("best_top1".to_string(), 0.02)]);
        let report = CheckReport {
            rows: rows(&[entry(8, 0.8), entry(16, 0.85)], &[entry(8, 0.8)], &tol),
        };
        assert!(!report.passed());
        assert!(
            report.failures()[0].contains("missing in the fresh results"),
            "{:?}",
            report.failures()
        );
    }
}
