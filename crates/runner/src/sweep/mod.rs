//! The grid: an [`Experiment`] becomes its list of runs, each with a resolved config and an id.
//!
//! Points are the cartesian product of the `[sweep]` axes in file order (the last axis varies
//! fastest), so a run's index is stable for a given config: Slurm array tasks rely on it.
//! `[[sweep.extra]]` points follow the grid, each once per combination of the seed axes; their
//! point is `extra = <label>` plus the seeds.
//!
//! `parse.rs` reads `[sweep]` from the file into [`Axis`] and [`Extra`] values.

pub mod parse;

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{Experiment, set_path};
use crate::kinds;
use crate::run_id::run_id;
pub use parse::{Axis, Extra};

/// One run of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSpec {
    /// Position in the grid (0-based).
    pub index: usize,
    /// Hash of `{kind, config}`; names `runs/<id>.json`.
    pub id: String,
    /// The swept values of this run, by sweep key as written in the config.
    pub point: BTreeMap<String, Value>,
    /// The kind's sections, fully resolved (defaults, sweep values and overrides applied).
    pub config: Value,
}

/// The keys of the sweep's seed axes (runs that differ only in these are replicates).
pub fn seed_axes(exp: &Experiment) -> Vec<&str> {
    exp.axes
        .iter()
        .filter(|a| a.is_seed())
        .map(|a| a.key.as_str())
        .collect()
}

impl RunSpec {
    /// The point without seed axes: runs that differ only in seed share it in the summary.
    pub fn group_point(&self, exp: &Experiment) -> BTreeMap<String, Value> {
        let seeds = seed_axes(exp);
        self.point
            .iter()
            .filter(|(k, _)| !seeds.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `width=16 mode=star seed=0`, in axis order (`extra=linear seed=0` for extra points).
    pub fn label(&self, exp: &Experiment) -> String {
        let extra = self.point.get(EXTRA).map(|v| format!("{EXTRA}={}", short(v)));
        let parts: Vec<String> = extra
            .into_iter()
            .chain(
                exp.axes
                    .iter()
                    .filter_map(|a| self.point.get(&a.key).map(|v| format!("{}={}", a.key, short(v)))),
            )
            .collect();
        if parts.is_empty() {
            "(single run)".to_string()
        } else {
            parts.join(" ")
        }
    }
}

/// A point value as text for labels and plots: strings bare, lists joined by `/`
/// (`star/star/sum/sum`), anything else as JSON.
pub fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(short).collect::<Vec<_>>().join("/"),
        other => other.to_string(),
    }
}

/// The point key of `[[sweep.extra]]` runs.
pub const EXTRA: &str = "extra";

/// Mixed-radix digits of `index` over `axes`, last axis fastest.
fn picks(axes: &[&Axis], index: usize) -> Vec<usize> {
    let mut rest = index;
    let mut picks = vec![0; axes.len()];
    for (i, axis) in axes.iter().enumerate().rev() {
        picks[i] = rest % axis.values.len();
        rest /= axis.values.len();
    }
    picks
}

/// Every run of the experiment: the grid in order, then the extra points.
pub fn plan(exp: &Experiment) -> Result<Vec<RunSpec>> {
    let all: Vec<&Axis> = exp.axes.iter().collect();
    let seeds: Vec<&Axis> = exp.axes.iter().filter(|a| a.is_seed()).collect();
    let grid: usize = all.iter().map(|a| a.values.len()).product();
    let per_extra: usize = seeds.iter().map(|a| a.values.len()).product();
    let mut runs = Vec::with_capacity(grid + exp.extras.len() * per_extra);
    for index in 0..grid {
        runs.push(resolve(exp, index, &all, &picks(&all, index), None)?);
    }
    for extra in &exp.extras {
        for i in 0..per_extra {
            runs.push(resolve(exp, runs.len(), &seeds, &picks(&seeds, i), Some(extra))?);
        }
    }
    Ok(runs)
}

/// One run: the base, then the extra point's fields, then the axes' values, then overrides.
fn resolve(
    exp: &Experiment,
    index: usize,
    axes: &[&Axis],
    picks: &[usize],
    extra: Option<&Extra>,
) -> Result<RunSpec> {
    let kind = kinds::kind(exp.experiment.kind);
    let mut config = exp.base.clone();
    let mut point = BTreeMap::new();
    if let Some(extra) = extra {
        for (path, value) in &extra.sets {
            set_path(&mut config, path, value.clone())?;
        }
        kind.canonical(config.clone()).map_err(|e| {
            exp.source.error_at(
                Some(extra.span.clone()),
                format!("[[sweep.extra]] `{}`: {e}", extra.label),
            )
        })?;
        point.insert(EXTRA.to_string(), json!(extra.label));
    }
    for (axis, &pick) in axes.iter().zip(picks) {
        let value = axis.values[pick].clone();
        set_path(&mut config, &axis.path, value.clone())?;
        // Check each swept value on its own first, so a bad one is blamed on its line.
        kind.canonical(config.clone()).map_err(|e| {
            exp.source.error_at(
                Some(axis.span.clone()),
                format!("sweep `{}` = {value}: {e}", axis.key),
            )
        })?;
        point.insert(axis.key.clone(), value);
    }
    for o in &exp.overrides {
        set_path(&mut config, &o.path, o.value.clone())?;
        kind.canonical(config.clone())
            .map_err(|e| anyhow::anyhow!("--override {}: {e}", o.text))?;
    }
    let config = kind
        .canonical(config)
        .map_err(|e| anyhow::anyhow!("run {index}: {e}"))?;
    kind.validate(&config)
        .map_err(|e| invalid(exp, &point, index, &e))?;
    let id = run_id(&json!({ "kind": exp.experiment.kind, "config": config }));
    Ok(RunSpec {
        index,
        id,
        point,
        config,
    })
}

/// A value out of range in run `index`: at the sweep axis that set the field, else at the field.
fn invalid(
    exp: &Experiment,
    point: &BTreeMap<String, Value>,
    index: usize,
    e: &crate::validate::FieldError,
) -> anyhow::Error {
    let field: Vec<&str> = std::iter::once(e.section.as_str())
        .chain(e.field.as_deref())
        .collect();
    let span = exp
        .axes
        .iter()
        .find(|a| a.path.iter().map(String::as_str).eq(field.iter().copied()) && point.contains_key(&a.key))
        .map(|a| a.span.clone())
        .or_else(|| crate::validate::key_span(&exp.source.text, &field));
    let label = point
        .iter()
        .map(|(k, v)| format!("{k}={}", short(v)))
        .collect::<Vec<_>>()
        .join(" ");
    exp.source.error_at(span, format!("run {index} ({label}): {e}"))
}
