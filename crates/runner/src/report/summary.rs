//! `summary.json`: [`Summary`], the run records of a plan as means over seeds per point
//! ([`SummaryEntry`]) and the paired comparisons `[output]` asks for.
//!
//! `summary.json` is `{"points": [{point, metrics: {name: {mean, std, n}}}], "paired": ...}`;
//! `paired` (see [`Paired`]) is there when `[output] compare` is set, `also_paired` with
//! `also_compare`, `vs_baseline` with `baseline`, `also_vs_baseline` with `also_baseline`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use config::{Compare, Experiment};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sweep::RunSpec;

use super::labels::{budget_axis, x_axis};
use super::stats::{self, Along, Paired, Point, Stat};
use crate::results::RunRecord;

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
    /// `[output] also_baseline`, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_vs_baseline: Vec<Paired>,
}

pub fn build(exp: &Experiment, records: &[(RunSpec, RunRecord)]) -> Summary {
    let points: Vec<_> = records
        .iter()
        .map(|(spec, r)| (spec.group_point(exp), r))
        .collect();
    let seeds = sweep::seed_axes(exp);
    let (x, budget) = (x_axis(exp), budget_axis(exp));
    let along = Along {
        x: x.as_deref(),
        budget: budget.as_deref(),
    };
    let paired = |c: &Compare| {
        let metric = c.metric.as_deref().unwrap_or(&exp.output.metric);
        stats::paired(c, metric, &seeds, along, records)
    };
    // Each baseline label names an extra, or a family of them (`linear, 7 epochs`, ...).
    let against = |label: &String| {
        let family = stats::baseline_family(exp, label);
        stats::against_extra(label, &family, &exp.output.metric, &seeds, records)
    };
    let vs_baseline = exp.output.baseline.as_ref().map(against);
    Summary {
        points: summarize(&points),
        paired: exp.output.compare.as_ref().map(paired),
        also_paired: exp.output.also_compare.iter().map(paired).collect(),
        vs_baseline,
        also_vs_baseline: exp.output.also_baseline.iter().map(against).collect(),
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One entry of `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryEntry {
    /// The swept fields and their values, seeds left out.
    pub point: BTreeMap<String, Value>,
    pub metrics: BTreeMap<String, Stat>,
    /// Runs of this point kept from other code (`--reuse-stale`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stale_runs: usize,
    /// Runs of this point made from a source tree with uncommitted changes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dirty_runs: usize,
}

/// Groups records by their point without seeds (in plan order) and averages each metric.
pub fn summarize(points: &[(BTreeMap<String, Value>, &RunRecord)]) -> Vec<SummaryEntry> {
    // (point, values per metric, stale runs, dirty runs)
    type Group = (Point, BTreeMap<String, Vec<f64>>, usize, usize);
    let mut groups: Vec<Group> = Vec::new();
    for (point, record) in points {
        let pos = match groups.iter().position(|(p, ..)| p == point) {
            Some(i) => i,
            None => {
                groups.push((point.clone(), BTreeMap::new(), 0, 0));
                groups.len() - 1
            }
        };
        let group = &mut groups[pos];
        for (name, value) in record.outcome.summary_metrics() {
            group.1.entry(name).or_default().push(value);
        }
        group
            .1
            .entry("wall_s".to_string())
            .or_default()
            .push(record.wall_s);
        group.2 += usize::from(!record.provenance.is_current_code());
        group.3 += usize::from(record.provenance.git.dirty);
    }
    groups
        .into_iter()
        .map(|(point, metrics, stale_runs, dirty_runs)| SummaryEntry {
            point,
            metrics: metrics.into_iter().map(|(k, v)| (k, Stat::of(&v))).collect(),
            stale_runs,
            dirty_runs,
        })
        .collect()
}

/// The points of a `summary.json`: `{"points": [...], ...}`, or a bare array (older summaries).
pub fn read_summary(path: &Path) -> Result<Vec<SummaryEntry>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        Object { points: Vec<SummaryEntry> },
        Array(Vec<SummaryEntry>),
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let shape: Shape = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a summary ({{\"points\": [{{point, metrics}}]}})",
            path.display()
        )
    })?;
    Ok(match shape {
        Shape::Object { points } | Shape::Array(points) => points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::write_json;

    #[test]
    fn a_nan_mean_survives_the_summary_file() {
        let dir = tempfile::tempdir().unwrap();
        let entry = SummaryEntry {
            point: BTreeMap::new(),
            metrics: BTreeMap::from([("loss".to_string(), Stat::of(&[1.0, f64::NAN]))]),
            stale_runs: 1,
            dirty_runs: 0,
        };
        let path = dir.path().join("summary.json");
        write_json(&path, &vec![entry]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"NaN\"") && text.contains("stale_runs") && !text.contains("dirty_runs"));
        let back = read_summary(&path).unwrap();
        assert!(back[0].metrics["loss"].mean.is_nan());
        assert_eq!(back[0].stale_runs, 1);
    }
}
